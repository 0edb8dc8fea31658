import AuditCore
import Foundation
import Knowledge
import ProbeClient

/// The checks of the GitHub half: pure functions from what the API answered (and what the fleet
/// expects) to findings.
public enum GitHubChecks {
    /// The first GHES release with the generate-jitconfig API.
    public static let firstGHESWithJIT = ModuleVersion(3, 10, 0)

    // MARK: GHES version vs JIT

    /// `version` is the GHES version (nil on github.com and ghe.com); `jit` whether the fleet
    /// registers with JIT configs (nil: unknown); `asked` the static audit's GHES findings
    /// (`ghesQuestions(in:)`), which the version answers: the failing finding relates to them, and
    /// on GHES 3.10 or later a note says the server has what JIT needs and relates to them too.
    public static func ghesVersion(_ version: String?, jit: Bool?, source: String, asked: [Finding] = []) -> [Finding] {
        guard let version else { return [] }
        return relate(ghesVersionFindings(version, jit: jit, source: source, asked: !asked.isEmpty), to: asked)
    }

    static func ghesVersionFindings(_ version: String, jit: Bool?, source: String, asked: Bool) -> [Finding] {
        guard let parsed = ModuleVersion(version) else {
            return [finding(GitHubProbeRule.ghesJIT, .warning, tags: ["ghes", "jit"], at: source,
                            "GHES version `\(version)` could not be read; JIT configuration needs GHES 3.10 or later",
                            detail: "The server reported a version the probe cannot compare.",
                            fix: "Confirm the GHES version by hand, or set `enable_jit_config = false`")]
        }
        guard parsed < firstGHESWithJIT else {
            // Only worth saying when `check` asked: then its warning is answered.
            guard asked else { return [] }
            return [finding(GitHubProbeRule.ghesJIT, .note, tags: ["ghes", "jit"], at: source,
                            "GHES \(version) has the JIT configuration API (3.10 or later): the GHES version `check` asks about satisfies what JIT needs",
                            detail: "`POST …/actions/runners/generate-jitconfig` exists from GHES 3.10 on, and the server reports \(version) (`\(source)`). The static warnings related below could only ask for the version; this answers them. `--jit-roundtrip` proves the API and the App's permission end to end.")]
        }
        switch jit {
        case false?:
            return []
        case true?:
            return [finding(GitHubProbeRule.ghesJIT, .error, tags: ["ghes", "jit"], at: source,
                            "GHES \(version) has no JIT configuration API, and the fleet registers ephemeral runners with JIT configs",
                            detail: "`POST …/actions/runners/generate-jitconfig` exists from GHES 3.10 on; on \(version) every scale-up of a JIT fleet fails (HTTP 404) and no runner starts.",
                            fix: "Set `enable_jit_config = false` for the fleet (module 4.0.1 or later), or upgrade GHES to 3.10 or later first")]
        case nil:
            return [finding(GitHubProbeRule.ghesJIT, .warning, tags: ["ghes", "jit"], at: source,
                            "GHES \(version) has no JIT configuration API; ephemeral fleets on module 4.x or later need `enable_jit_config = false`",
                            detail: "The probe does not know whether the fleet uses JIT configs (give the repository PATH or `--fleet-jit`). From module 4.0.0 on, ephemeral runners register with `generate-jitconfig`, which exists from GHES 3.10 on.",
                            fix: "Set `enable_jit_config = false` for ephemeral fleets, or upgrade GHES to 3.10 or later")]
        }
    }

    /// The static audit's GHES findings (tag `ghes`, e.g. JIT-106, which can only ask for the
    /// version): the questions the probe's GHES version answers.
    public static func ghesQuestions(in repository: [Finding]) -> [Finding] {
        repository.filter { $0.tags.contains("ghes") && !$0.tags.contains("probe") }
    }

    /// The probe's GHES findings with the static findings they answer as related notes (the
    /// fingerprint stays: a related note does not change a finding's identity).
    static func relate(_ findings: [Finding], to asked: [Finding]) -> [Finding] {
        guard !asked.isEmpty else { return findings }
        return findings.map { f in
            guard f.ruleId == GitHubProbeRule.ghesJIT else { return f }
            var answered = f
            answered.related += asked.map { RelatedNote("`check` asked about the GHES version here (\($0.ruleId): \($0.message))", at: $0.location) }
            return answered
        }
    }

    // MARK: App permissions and events

    public struct Need: Sendable, Hashable {
        public var permission: String
        public var level: String
        /// As the App settings page names it.
        public var label: String
        public var scope: String
    }

    /// What a fleet of the owner needs (module docs: runners need Self-hosted runners or
    /// Administration read and write; Actions, Checks and Metadata read).
    public static func needs(for owner: GitHubOwner) -> [Need] {
        var needs: [Need] = []
        switch owner {
        case .organization:
            needs.append(Need(permission: "organization_self_hosted_runners", level: "write", label: "Self-hosted runners", scope: "Organization"))
        case .repository:
            needs.append(Need(permission: "administration", level: "write", label: "Administration", scope: "Repository"))
        }
        needs.append(Need(permission: "actions", level: "read", label: "Actions", scope: "Repository"))
        needs.append(Need(permission: "checks", level: "read", label: "Checks", scope: "Repository"))
        needs.append(Need(permission: "metadata", level: "read", label: "Metadata", scope: "Repository"))
        return needs
    }

    static func rank(_ level: String?) -> Int {
        switch level { case "read": 1; case "write": 2; case "admin": 3; default: 0 }
    }

    static func levelText(_ level: String) -> String { level == "write" ? "Read and write" : "Read-only" }

    /// The App's own grants (`GET /app`) and the installation's (what the owner accepted).
    public static func permissions(app: GitHubAppInfo, installation: GitHubInstallation?, owner: GitHubOwner) -> [Finding] {
        var out: [Finding] = []
        let slug = app.slug ?? "the App"
        for need in needs(for: owner) {
            let has = app.permissions[need.permission]
            if rank(has) < rank(need.level) {
                out.append(finding(GitHubProbeRule.permission, .error, tags: ["security"], at: "/app",
                                   "GitHub App `\(slug)` has \(has.map { "`\($0)`" } ?? "no") \(need.scope.lowercased()) permission \"\(need.label)\" (`\(need.permission)`); the fleet needs `\(need.level)`",
                                   detail: "The module's lambdas act as this App: without \(need.scope.lowercased()) \"\(need.label): \(levelText(need.level))\" they cannot \(need.permission == "actions" || need.permission == "checks" || need.permission == "metadata" ? "read the queued jobs" : "register or remove runners").",
                                   fix: "In the App's settings (Developer settings → GitHub Apps → \(slug) → Permissions & events), set \(need.scope) permissions → \(need.label) to \"\(levelText(need.level))\", then have the owner accept the new permissions"))
            } else if let installation, rank(installation.permissions[need.permission]) < rank(need.level) {
                let account = installation.account?.login ?? owner.description
                out.append(finding(GitHubProbeRule.permission, .error, tags: ["security"], at: owner.apiPrefix + "/installation",
                                   "The installation of `\(slug)` on `\(account)` has \(installation.permissions[need.permission].map { "`\($0)`" } ?? "no") \"\(need.label)\" (`\(need.permission)`) although the App asks for `\(has ?? "")`",
                                   detail: "The App requests the permission but the owner has not accepted the updated permissions, so installation tokens do not carry it.",
                                   fix: "An owner of `\(account)` accepts the pending permission request (Settings → GitHub Apps → \(slug) → Configure → Review request)"))
            }
        }
        return out
    }

    /// The `workflow_job` event the webhook lambda scales on.
    public static func events(app: GitHubAppInfo, installation: GitHubInstallation?) -> [Finding] {
        let slug = app.slug ?? "the App"
        if !app.events.contains("workflow_job") {
            return [finding(GitHubProbeRule.event, .error, tags: ["config"], at: "/app",
                            "GitHub App `\(slug)` is not subscribed to the `workflow_job` event",
                            detail: "Subscribed: \(app.events.isEmpty ? "none" : app.events.sorted().map { "`\($0)`" }.joined(separator: ", ")). The module's webhook scales up on `workflow_job` events only; without them no runner is ever started.",
                            fix: "In the App's settings → Permissions & events → Subscribe to events, tick \"Workflow job\"")]
        }
        if let installation, !installation.events.isEmpty, !installation.events.contains("workflow_job") {
            return [finding(GitHubProbeRule.event, .error, tags: ["config"], at: "/app/installations/\(installation.id)",
                            "The installation of `\(slug)` does not deliver the `workflow_job` event the App subscribes to",
                            detail: "The owner has not accepted the App's updated events.",
                            fix: "An owner of the account accepts the pending request (Settings → GitHub Apps → \(slug) → Configure → Review request)")]
        }
        return []
    }

    // MARK: Webhook

    public static func webhook(_ config: GitHubWebhookConfig, expectedURL: String?) -> [Finding] {
        var out: [Finding] = []
        let path = "/app/hook/config"
        let url = config.url?.trimmingCharacters(in: .whitespaces) ?? ""
        if url.isEmpty {
            out.append(finding(GitHubProbeRule.webhook, .error, tags: ["config"], at: path, "The GitHub App has no webhook URL",
                               detail: "No `workflow_job` event reaches the fleet's webhook, so no runner is ever started.",
                               fix: "Set the App's webhook URL to the module's `webhook_endpoint` output"))
        } else if let expectedURL, normalised(url) != normalised(expectedURL) {
            out.append(finding(GitHubProbeRule.webhook, .error, tags: ["config"], at: path,
                               "The GitHub App's webhook URL `\(url)` is not the fleet's webhook endpoint `\(expectedURL)`",
                               detail: "Events go elsewhere (an old deployment, another prefix), so this fleet does not scale.",
                               fix: "Set the App's webhook URL to `\(expectedURL)` (the module's `webhook_endpoint` output)"))
        }
        if let type = config.contentType, type.lowercased() != "json" {
            out.append(finding(GitHubProbeRule.webhook, .error, tags: ["config"], at: path,
                               "The GitHub App's webhook sends `\(type)`; the module's webhook reads JSON",
                               fix: "Set the webhook's content type to `application/json`"))
        }
        if let insecure = config.insecureSSL, insecure != "0" {
            out.append(finding(GitHubProbeRule.webhook, .warning, tags: ["config", "security"], at: path,
                               "The GitHub App's webhook does not verify TLS certificates (`insecure_ssl` is `\(insecure)`)",
                               detail: "Events (with the job's repository and labels) may go to whoever answers at that address.",
                               fix: "Enable SSL verification in the App's webhook settings"))
        }
        return out
    }

    static func normalised(_ url: String) -> String {
        var s = url.lowercased()
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    // MARK: Runners

    public struct FleetRunners: Sendable {
        /// Fleet runners are those whose name starts with this prefix (the module's
        /// `runner_name_prefix`); nil: every self-hosted runner of the owner.
        public var namePrefix: String?
        public var ephemeral: Bool?
        /// The labels jobs target the fleet with (at the target release); empty: unknown.
        public var labels: [String]
        public var minimumVersion: ModuleVersion?
        /// Why `minimumVersion` (a row of `rules/knowledge/runner-versions.yaml`); nil: given by the user.
        public var minimumRequirement: RunnerRequirement?

        public init(namePrefix: String? = nil, ephemeral: Bool? = nil, labels: [String] = [], minimumVersion: ModuleVersion? = nil,
                    minimumRequirement: RunnerRequirement? = nil) {
            self.namePrefix = namePrefix
            self.ephemeral = ephemeral
            self.labels = labels
            self.minimumVersion = minimumVersion
            self.minimumRequirement = minimumRequirement
        }

        /// The minimum: the given one, else the table's for a fleet that registers with JIT configs.
        public static func minimum(given: ModuleVersion?, jit: Bool?, knowledge: KnowledgeBase) -> (ModuleVersion?, RunnerRequirement?) {
            if let given { return (given, nil) }
            guard jit == true, let row = knowledge.runnerRequirement("jitconfig") else { return (nil, nil) }
            return (row.minimum, row)
        }
    }

    static func list(_ names: [String], limit: Int = 5) -> String {
        let shown = names.prefix(limit).map { "`\($0)`" }.joined(separator: ", ")
        return names.count > limit ? shown + " and \(names.count - limit) more" : shown
    }

    public static func runners(_ runners: [GitHubRunner], fleet: FleetRunners, owner: GitHubOwner) -> [Finding] {
        var out: [Finding] = []
        let path = owner.apiPrefix + "/actions/runners"
        let mine = runners.filter { r in fleet.namePrefix.map { !$0.isEmpty && r.name.hasPrefix($0) } ?? true }

        // Ephemeral runners go away after one job; offline ones are registrations whose instance
        // never started the runner, or died before deregistering.
        let leftovers = mine.filter { r in r.status == "offline" && (r.ephemeral ?? (fleet.ephemeral == true && fleet.namePrefix != nil)) }
        if !leftovers.isEmpty {
            out.append(finding(GitHubProbeRule.offlineRunners, .warning, tags: [], at: path,
                               "\(leftovers.count) offline ephemeral runner\(leftovers.count == 1 ? "" : "s") left registered: \(list(leftovers.map(\.name)))",
                               detail: "Ephemeral runners deregister after their one job. Offline ones were registered (a JIT config or a token was issued) but their instance never ran the runner, or was terminated first: a start script that does not match the registration method, a missing AMI, or a failing boot.",
                               fix: "Look at the instances' boot logs for these names; then delete the stale runners (the module's scale-down removes them only for instances it still finds)"))
        }

        if !fleet.labels.isEmpty {
            var byMissing: [[String]: [String]] = [:]
            for r in mine {
                let has = Set(r.labels.map { $0.name.lowercased() })
                let missing = fleet.labels.filter { !has.contains($0.lowercased()) }
                if !missing.isEmpty { byMissing[missing, default: []].append(r.name) }
            }
            for (missing, names) in byMissing.sorted(by: { $0.key.joined(separator: ",") < $1.key.joined(separator: ",") }) {
                out.append(finding(GitHubProbeRule.labels, .warning, tags: ["config"], at: path,
                                   "\(names.count) runner\(names.count == 1 ? "" : "s") lack the fleet's label\(missing.count == 1 ? "" : "s") \(list(missing)): \(list(names))",
                                   detail: "Jobs that ask for the fleet's labels (\(list(fleet.labels, limit: 10))) are never picked up by these runners. From 4.0.0 on the module registers the full list `self-hosted,<os>,<arch>,<extra labels>`; runners registered by an older release or by hand keep their old labels.",
                                   fix: "Let these runners drain and be replaced by the upgraded fleet, or align the labels (`runner_extra_labels`) with the workflows' `runs-on`"))
            }
        }

        if let minimum = fleet.minimumVersion {
            let old = mine.filter { r in r.version.flatMap(ModuleVersion.init).map { $0 < minimum } ?? false }
            if !old.isEmpty {
                let versions = Set(old.compactMap(\.version)).sorted()
                out.append(finding(GitHubProbeRule.runnerVersion, .warning, tags: ["version"], at: path,
                                   "\(old.count) runner\(old.count == 1 ? " runs" : "s run") a version older than \(minimum) (\(versions.joined(separator: ", "))): \(list(old.map(\.name)))",
                                   detail: fleet.minimumRequirement.map { row in
                                       "The fleet registers with JIT configs, and \(minimum) is \(row.summary) (\(RunnerRequirement.source): \(row.evidence.joined(separator: "; "))). Older runners fail to start with the configs the scale-up lambda writes."
                                   } ?? "Runners below the minimum may not understand the registration the upgraded fleet uses (`run.sh --jitconfig`), and GitHub stops accepting outdated runners.",
                                   fix: "Rebuild the AMI or let the binaries syncer fetch a current runner; runners started with `--disableupdate` never update themselves"))
            }
        }
        return out
    }
}
