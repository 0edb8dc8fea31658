import AuditCore
import Foundation
import IAM
import ProbeClient
import Scripts

/// What the outside of a fleet says about the module release that deployed it (module-facts §7).
public struct DeployedRelease: Sendable, Hashable {
    /// The release is at least this one.
    public var atLeast: ModuleVersion?
    /// The release is older than this one.
    public var below: ModuleVersion?
    /// One sentence per fingerprint seen.
    public var evidence: [String] = []

    public var summary: String {
        switch (atLeast, below) {
        case let (a?, b?): ">= \(a) and < \(b)"
        case let (a?, nil): ">= \(a)"
        case let (nil, b?): "< \(b)"
        default: "unknown"
        }
    }

    mutating func atLeast(_ v: String, _ why: String) {
        let v = ModuleVersion(v)!
        if atLeast.map({ v > $0 }) ?? true { atLeast = v }
        evidence.append(why)
    }

    mutating func below(_ v: String, _ why: String) {
        let v = ModuleVersion(v)!
        if below.map({ v < $0 }) ?? true { below = v }
        evidence.append(why)
    }

    static func estimate(_ f: AWSFleetFacts) -> DeployedRelease {
        var d = DeployedRelease()
        let scaleUp = f.lambda("scale-up")
        if f.configNames.contains("enable_jit_config") { d.atLeast("4.0.1", "SSM `\(f.fleet.configPath)/enable_jit_config` exists (4.0.1+)") }
        if scaleUp?.environment["ENABLE_JIT_CONFIG"] != nil { d.atLeast("4.0.1", "the scale-up lambda has `ENABLE_JIT_CONFIG` (4.0.1+)") }
        if f.configNames.contains("ami_id") { d.atLeast("6.5.0", "SSM `\(f.fleet.configPath)/ami_id` exists (6.5.0+)") }
        if f.lambda("ssm-housekeeper") != nil { d.atLeast("5.2.0", "the `\(f.fleet.namePrefix)-ssm-housekeeper` lambda exists (5.2.0+)") }
        if scaleUp?.environment["RUNNER_EXTRA_LABELS"] != nil { d.below("4.0.0", "the scale-up lambda has `RUNNER_EXTRA_LABELS` (3.x)") }
        if f.instances.contains(where: { $0.tags["Type"] != nil && $0.tags["ghr:Type"] == nil }) {
            d.below("4.5.0", "instances carry `Type`/`Owner` tags without `ghr:` (before 4.5.0)")
        }
        if let scaleUp, scaleUp.environment["ENABLE_JIT_CONFIG"] == nil, f.configRead, !f.configNames.contains("enable_jit_config") {
            d.below("4.0.1", "neither the scale-up lambda nor SSM has the JIT setting (before 4.0.1)")
        }
        return d
    }

    /// Whether a release agrees with the fingerprints.
    public func admits(_ v: ModuleVersion) -> Bool {
        (atLeast.map { v >= $0 } ?? true) && (below.map { v < $0 } ?? true)
    }
}

/// The checks that turn one fleet's facts into findings.
public struct FleetChecks {
    static let jitMismatchId = "PRB-401"
    static let leftoverTokensId = "PRB-402"
    static let driftId = "PRB-403"
    static let userDataId = "PRB-404"
    static let legacyTagsId = "PRB-405"
    static let iamGapId = "PRB-406"
    static let queueId = "PRB-407"
    static let unreadableId = "PRB-408"
    static let lambdaErrorsId = "PRB-409"
    static let logSignatureId = "PRB-410"
    static let noFleetId = "PRB-411"
    static let imageId = "PRB-412"
    static let labelDriftId = "PRB-413"

    /// Every rule id the AWS probe emits.
    public static let ids = [jitMismatchId, leftoverTokensId, driftId, userDataId, legacyTagsId, iamGapId, queueId, unreadableId,
                      lambdaErrorsId, logSignatureId, noFleetId, imageId, labelDriftId]

    struct Context: Sendable {
        var region: String
        var account: String
        var now: Date
        var options: AWSProbeSettings
        var requirements: RequiredPermissions?
    }

    var facts: AWSFleetFacts
    let fleet: AWSFleetTarget
    let context: Context
    var sources: [String: SourceFile] = [:]

    init(facts: AWSFleetFacts, fleet: AWSFleetTarget, context: Context) {
        self.facts = facts
        self.fleet = fleet
        self.context = context
        self.facts.deployed = DeployedRelease.estimate(facts)
    }

    var r: String { "aws/\(context.region)" }
    func finding(_ id: String, _ severity: Severity, _ message: String, _ detail: String, at path: String, range: SourceRange? = nil,
                 lineText: String = "", related: [RelatedNote] = []) -> Finding {
        LiveResource.finding(id, severity, domain: AWSProbe.domain, message: message, detail: detail,
                             at: range ?? LiveResource.location(path), related: related + fleet.related, lineText: lineText)
    }

    mutating func all() -> [Finding] {
        jitConsistency() + leftoverTokens() + launchedButNotStarted() + drift() + labelDrift() + userData() + legacyTags() + image() + iamGaps() + queues() + lambdaErrors() + logSignatures()
    }

    // MARK: SSM runner config vs the scale-up lambda

    func jitConsistency() -> [Finding] {
        guard facts.configRead else { return [] }
        let path = "\(r)/ssm\(fleet.configPath)"
        let param = facts.config["enable_jit_config"]
        let lambdaValue = facts.lambda("scale-up")?.environment["ENABLE_JIT_CONFIG"]
        let mode = facts.config["agent_mode"]
        if let lambdaValue, param == nil, !facts.configNames.contains("enable_jit_config"), mode == "ephemeral" {
            return [finding(Self.jitMismatchId, .error,
                            "`enable_jit_config` is missing from `\(fleet.configPath)` while the scale-up lambda runs with ENABLE_JIT_CONFIG=\(lambdaValue)",
                            "The 4.0.1+ start script reads `\(fleet.configPath)/enable_jit_config` to choose between `config.sh` and `run.sh --jitconfig`. An empty value means neither branch configures the runner: it logs `Starting without JIT config`, then `Not configured`. The parameter is written by the module's Terraform (4.0.1+): apply the module again, or the lambdas were upgraded without the runners module.",
                            at: path)]
        }
        if let param, let lambdaValue, param.lowercased() != lambdaValue.lowercased() {
            return [finding(Self.jitMismatchId, .error,
                            "`\(fleet.configPath)/enable_jit_config` is `\(param)` but the scale-up lambda runs with ENABLE_JIT_CONFIG=\(lambdaValue)",
                            lambdaValue.lowercased() == "true"
                                ? "The lambda stores JIT configs in the per-instance parameter while the start script is told JIT is off: it passes the JIT config to `config.sh`, which rejects it (`Invalid configuration provided for url`). Apply the module so both come from the same `enable_jit_config`."
                                : "The lambda stores registration-token arguments while the start script is told JIT is on: `run.sh --jitconfig` rejects them (`Unrecognized command-line input arguments`). Apply the module so both come from the same `enable_jit_config`.",
                            at: path)]
        }
        return []
    }

    // MARK: Token parameters nobody fetched

    func leftoverTokens() -> [Finding] {
        let old = facts.tokens.filter { t in t.lastModified.map { context.now.timeIntervalSince($0) > context.options.tokenAge } ?? false }
        guard !old.isEmpty else { return [] }
        let running = Set(facts.instances.map(\.id))
        let ids = old.prefix(10).map { t in
            "`\(t.instanceId)` (\(LiveResource.age(context.now.timeIntervalSince(t.lastModified!))) old\(running.contains(t.instanceId) ? ", instance still up" : ""))"
        }
        return [finding(Self.leftoverTokensId, .warning,
                        "\(old.count) token parameter(s) under `\(fleet.tokensPath)` older than \(LiveResource.age(context.options.tokenAge)): runners that never started",
                        "A runner's start script deletes its `<tokens>/<instance id>` parameter once it has read it. These were never read: " +
                            ids.joined(separator: ", ") + (old.count > 10 ? ", …" : "") +
                            ". Look at the instances' user-data and runner logs for the failure (a token/JIT mismatch leaves exactly this trace). The values were not read.",
                        at: "\(r)/ssm\(fleet.tokensPath)")]
    }

    /// With `--since`: of the instances launched in the window, those whose token parameter is
    /// still there after a 10-minute start-up (no runner fetched it, so none registered).
    func launchedButNotStarted() -> [Finding] {
        guard let since = context.options.since, !context.options.registrationsFromGitHub else { return [] }
        let from = context.now.addingTimeInterval(-since)
        let launched = facts.instances.filter { $0.launchTime.map { $0 >= from } ?? false }
        guard !launched.isEmpty else { return [] }
        let waiting = Dictionary(facts.tokens.map { ($0.instanceId, $0) }, uniquingKeysWith: { a, _ in a })
        let stuck = launched.filter { i in
            guard let t = waiting[i.id], let m = t.lastModified else { return false }
            return context.now.timeIntervalSince(m) > 600
        }
        guard !stuck.isEmpty else { return [] }
        return [finding(Self.leftoverTokensId, stuck.count == launched.count ? .error : .warning,
                        "\(stuck.count) of \(launched.count) instance(s) of fleet `\(fleet.namePrefix)` launched in the last \(LiveResource.age(since)) never fetched their token or JIT config",
                        "Their `\(fleet.tokensPath)/<instance id>` parameters are still there more than 10 minutes after the value was written: " +
                            stuck.prefix(10).map { "`\($0.id)`" }.joined(separator: ", ") +
                            ". The start script did not get as far as reading it (window \(window)); the runner log groups say why.",
                        at: "\(r)/ec2/instances/ghr:environment=\(fleet.namePrefix)")]
    }

    // MARK: Repository vs account

    func drift() -> [Finding] {
        guard let pinned = fleet.pinned, !facts.deployed.evidence.isEmpty, !facts.deployed.admits(pinned) else { return [] }
        let newer = facts.deployed.atLeast.map { pinned < $0 } ?? false
        return [finding(Self.driftId, .warning,
                        "fleet `\(fleet.namePrefix)` looks deployed by a release \(facts.deployed.summary), but the repository pins \(pinned)",
                        (newer ? "The account runs a newer release than the repository pins: someone applied another version, or the repository is behind. "
                               : "The account runs an older release than the repository pins: the pin was changed but not applied (yet). ") +
                            "Evidence: " + facts.deployed.evidence.joined(separator: "; ") + ".",
                        at: "\(r)/lambda/\(fleet.namePrefix)-scale-up")]
    }

    /// The labels the deployed scale-up lambda registers runners with (`RUNNER_LABELS`, 4.0.1+)
    /// against those the repository gives the fleet at its pinned release. Either side may be the
    /// one that moved, so the finding names both and which one the GitHub half checks runners with.
    func labelDrift() -> [Finding] {
        guard let repository = fleet.labels, let text = facts.lambda("scale-up")?.environment["RUNNER_LABELS"] else { return [] }
        let deployed = Self.labelSet(text)
        let declared = Set(repository.map { $0.lowercased() })
        guard !deployed.isEmpty, deployed != declared else { return [] }
        func list(_ labels: Set<String>) -> String { labels.isEmpty ? "none" : labels.sorted().map { "`\($0)`" }.joined(separator: ", ") }
        let onlyDeployed = deployed.subtracting(declared), onlyDeclared = declared.subtracting(deployed)
        var parts: [String] = []
        if !onlyDeployed.isEmpty { parts.append("only deployed: \(list(onlyDeployed))") }
        if !onlyDeclared.isEmpty { parts.append("only in the repository: \(list(onlyDeclared))") }
        let related = fleet.labelsAt.map { [RelatedNote("the repository's labels come from here\(fleet.pinned.map { " (at \($0))" } ?? "")", at: $0)] } ?? []
        return [finding(Self.labelDriftId, .warning,
                        "fleet `\(fleet.namePrefix)` is deployed with runner labels \(list(deployed)) (RUNNER_LABELS), but the repository gives \(list(declared))",
                        "The deployment drifted from the repository (\(parts.joined(separator: "; "))): a change not applied yet, or applied from elsewhere. "
                            + "Runners registered now carry the deployed labels; jobs whose `runs-on` asks for the repository's labels wait until the repository is applied. "
                            + "Where the repository has this one fleet, the GitHub half of the probe checks registered runners against the repository's labels at the target release (`--runner-labels` overrides).",
                        at: "\(r)/lambda/\(fleet.namePrefix)-scale-up", related: related)]
    }

    /// A comma-separated label list as the module writes it to the lambda, as a set (GitHub's
    /// labels are case-insensitive).
    static func labelSet(_ text: String) -> Set<String> {
        Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
    }

    // MARK: Launch template user data, through the same start-script analysis as `check`

    mutating func userData() -> [Finding] {
        guard let lt = facts.launchTemplate, let text = lt.userData, !text.isEmpty else { return [] }
        let path = "\(r)/ec2/launch-template/\(lt.name)/v\(lt.version)/user-data"
        let source = SourceFile(path: path, text: text)
        sources[path] = source
        let language: ScriptLanguage = text.contains("<powershell>") ? .powershell : .bash
        let report = ScriptAnalysis.analyze(source, language: language, template: false)
        let mode = facts.config["agent_mode"] ?? (facts.lambda("scale-up")?.environment["ENABLE_EPHEMERAL_RUNNERS"] == "true" ? "ephemeral" : nil)
        guard mode == "ephemeral" else { return [] }
        let jitNow = (facts.config["enable_jit_config"] ?? facts.lambda("scale-up")?.environment["ENABLE_JIT_CONFIG"])?.lowercased()
        let command = report.evidence.first { $0.role == .configCommand }?.range
        let anchor = command ?? report.evidence.first?.range
        let lineText = anchor.map { source.text(of: SourceRange(path: path, start: SourcePosition(line: $0.start.line, column: 1, offset: source.lineStarts[$0.start.line - 1]), end: $0.end)) } ?? ""
        switch report.contract {
        case .tokenOnly, .mixed:
            if jitNow == "true" {
                return [finding(Self.userDataId, .error,
                                "the user data of launch template `\(lt.name)` v\(lt.version) passes the SSM value to `config.sh`, but the fleet runs with JIT on",
                                "The scale-up lambda stores a JIT config in the per-instance parameter; `config.sh` rejects it and the runner never registers. \(report.rationale) Set `enable_jit_config = false` on the fleet, or update the script to the 4.0.1 contract (`run.sh --jitconfig` for ephemeral runners when `enable_jit_config` is `true`).",
                                at: path, range: anchor, lineText: lineText)]
            }
            if jitNow == nil, context.options.target >= ModuleVersion(4, 0, 0) {
                return [finding(Self.userDataId, .warning,
                                "the user data of launch template `\(lt.name)` v\(lt.version) is a token-only start script; ephemeral runners get JIT configs from 4.0.0 (target \(context.options.target))",
                                "Deployed today the fleet registers with tokens. After the upgrade the lambda stores a JIT config unless `enable_jit_config = false` is set, and this script passes it to `config.sh`, which rejects it. \(report.rationale)",
                                at: path, range: anchor, lineText: lineText)]
            }
        case .jitOnly where jitNow == "false":
            return [finding(Self.userDataId, .error,
                            "the user data of launch template `\(lt.name)` v\(lt.version) always starts ephemeral runners with `--jitconfig`, but the fleet runs with JIT off",
                            "The lambda stores registration-token arguments; `run.sh --jitconfig` rejects them. \(report.rationale)",
                            at: path, range: anchor, lineText: lineText)]
        default:
            break
        }
        return []
    }

    // MARK: Instances

    func legacyTags() -> [Finding] {
        var out: [Finding] = []
        let legacy = facts.instances.filter { $0.tags["Type"] != nil && $0.tags["ghr:Type"] == nil }
        if !legacy.isEmpty, context.options.target >= ModuleVersion(4, 5, 0) {
            out.append(finding(Self.legacyTagsId, .warning,
                               "\(legacy.count) instance(s) of fleet `\(fleet.namePrefix)` carry the pre-4.5 `Type`/`Owner` tags without `ghr:`",
                               "From 4.5.0 the lambdas tag and look up runners by `ghr:Type`/`ghr:Owner`. After the upgrade these instances (" +
                                   legacy.prefix(10).map { "`\($0.id)`" }.joined(separator: ", ") +
                                   ") are not recognised by scale-down and pool: let them finish (or terminate them) before upgrading.",
                               at: "\(r)/ec2/instances/ghr:environment=\(fleet.namePrefix)"))
        }
        let orphans = facts.instances.filter { $0.tags["ghr:orphan"] == "true" }
        if !orphans.isEmpty {
            out.append(finding(Self.legacyTagsId, .note,
                               "\(orphans.count) instance(s) of fleet `\(fleet.namePrefix)` are tagged `ghr:orphan`",
                               "Scale-down found no GitHub runner for them and will terminate them: " + orphans.prefix(10).map { "`\($0.id)`" }.joined(separator: ", ") + ".",
                               at: "\(r)/ec2/instances/ghr:environment=\(fleet.namePrefix)"))
        }
        if facts.imageMissing, let lt = facts.launchTemplate, let image = lt.imageId {
            out.append(finding(Self.legacyTagsId, .warning,
                               "launch template `\(lt.name)` v\(lt.version) uses AMI `\(image)`, which does not exist (any more)",
                               "New runners cannot start from this launch template until its AMI is replaced.",
                               at: "\(r)/ec2/launch-template/\(lt.name)"))
        }
        return out
    }

    // MARK: The launch template's AMI and the Packer template that builds it

    /// The image the launch template boots, related to the repository: the Packer sources whose
    /// `ami_name` matches its name (a note with file:line), a warning when the templates the static
    /// audit found on the fleet's boot path build other names, and when the module call's AMI
    /// filter no longer selects it.
    func image() -> [Finding] {
        guard let lt = facts.launchTemplate, let image = facts.image, let name = image.name, !name.isEmpty else { return [] }
        let path = "\(r)/ec2/image/\(image.id)"
        let described = "AMI `\(image.id)` (`\(name)`, owner \(image.ownerId.map { "`\($0)`" } ?? "unknown"))"
        var out: [Finding] = []
        let builders = fleet.amiBuilders.filter { LiveFacts.wildcardMatches($0.namePattern, name) }
        let templates = Array(Set(builders.map(\.template))).sorted()
        if !builders.isEmpty {
            out.append(finding(Self.imageId, .note,
                               "launch template `\(lt.name)` v\(lt.version) boots \(described), built by Packer template \(templates.map { "`\($0)`" }.joined(separator: ", "))",
                               "The image's name matches the `ami_name` of \(builders.map { "`\($0.source)` (`\($0.namePattern)`)" }.joined(separator: ", ")): the start script the audit reads in that template is the one this fleet boots, as long as the image was built from the repository's current version.",
                               at: path,
                               related: builders.map { RelatedNote("Packer template `\($0.template)`, source `\($0.source)`, names its AMIs `\($0.namePattern)`", at: $0.at) }))
        } else {
            let baking = fleet.amiBuilders.filter(\.bakesFleet)
            if !baking.isEmpty {
                out.append(finding(Self.imageId, .warning,
                                   "launch template `\(lt.name)` v\(lt.version) boots \(described), which the repository's Packer template\(baking.count > 1 ? "s" : "") for this fleet do\(baking.count > 1 ? "" : "es") not build",
                                   "The static audit judged the start script baked by \(baking.map { "`\($0.template)` (`\($0.namePattern)`)" }.joined(separator: ", ")); the deployed image has another name, so what boots today is not what was audited. Build the image from the repository and roll it out, or find the template that builds `\(name)`.",
                                   at: path,
                                   related: baking.map { RelatedNote("Packer template `\($0.template)` names its AMIs `\($0.namePattern)`", at: $0.at) }))
            }
        }
        if let filter = fleet.amiFilter, !LiveFacts.wildcardMatches(filter.pattern, name) {
            out.append(finding(Self.imageId, .warning,
                               "launch template `\(lt.name)` v\(lt.version) boots \(described), which the fleet's AMI filter `\(filter.pattern)` does not select",
                               "The repository selects the image by name; the deployed one has another name, so the next apply moves the fleet to a different AMI (and its start script) than runs today.",
                               at: path,
                               related: filter.at.map { [RelatedNote("the module call selects the fleet's AMI by name `\(filter.pattern)`", at: $0)] } ?? []))
        }
        return out
    }

    // MARK: IAM, through the same analysis as `check`

    static let roleSuffixes: [(String, ModuleRole)] = [
        ("runner-role", .runnerInstance), ("runner", .runnerInstance),
        ("action-scale-up-lambda-role", .scaleUp), ("scale-up-lambda", .scaleUp),
        ("action-scale-down-lambda-role", .scaleDown), ("scale-down-lambda", .scaleDown),
        ("action-pool-lambda-role", .pool), ("pool-lambda", .pool),
        ("action-webhook-lambda-role", .webhook), ("direct-webhook-lambda-role", .webhook), ("direct-webhook-lambda", .webhook),
        ("eventbridge-webhook-lambda-role", .webhook), ("eventbridge-webhook-lambda", .webhook),
        ("dispatcher-lambda-role", .dispatcher), ("dispatcher-lambda", .dispatcher),
        ("ssm-hk-lambda", .ssmHousekeeper),
    ]

    static func lambdaName(of role: ModuleRole) -> String? {
        switch role {
        case .scaleUp: "scale-up"
        case .scaleDown: "scale-down"
        case .pool: "pool"
        case .webhook: "webhook"
        case .ssmHousekeeper: "ssm-housekeeper"
        case .dispatcher: "dispatch-to-runner"
        default: nil
        }
    }

    /// The module role a role name belongs to: `<prefix>-<x>` before 6.7.7, `<prefix>-<x>-<8 hex>` after.
    static func moduleRole(of name: String, prefix: String) -> ModuleRole? {
        guard name.hasPrefix(prefix + "-") else { return nil }
        var rest = Substring(name.dropFirst(prefix.count + 1))
        if let dash = rest.lastIndex(of: "-"), rest[rest.index(after: dash)...].count == 8,
           rest[rest.index(after: dash)...].allSatisfy(\.isHexDigit) {
            let stem = rest[..<dash]
            if roleSuffixes.contains(where: { $0.0 == stem }) { rest = stem }
        }
        return roleSuffixes.first { $0.0 == rest }?.1
    }

    mutating func iamGaps() -> [Finding] {
        guard let table = context.requirements else { return [] }
        var out: [Finding] = []
        var bindings = [
            "partition": "aws", "region": context.region, "account": context.account, "prefix": fleet.namePrefix,
            "ssm_config_path": fleet.configPath, "ssm_tokens_path": fleet.tokensPath,
            "ami_id_ssm_parameter_name": "\(fleet.configPath)/ami_id", "event_bus_name": "\(fleet.namePrefix)-runners",
        ]
        let top = fleet.ssmBase.dropFirst(context.options.ssmRoot.count + 1).split(separator: "/").first.map(String.init) ?? fleet.namePrefix
        bindings["ssm_app_path"] = "\(context.options.ssmRoot)/\(top)/app"
        if let runner = facts.roles.first(where: { Self.moduleRole(of: $0.role.name, prefix: fleet.namePrefix) == .runnerInstance }) {
            bindings["runner_role_name"] = runner.role.name
            bindings["runner_role_path"] = runner.role.path
        }
        if let queue = facts.queues.keys.first(where: { !$0.contains("_dead_letter") }) { bindings["build_queue_name"] = queue }
        // Features as the live fleet shows them; the rest take their default at the target.
        var features: [String: Bool] = [:]
        if let cw = facts.config["enable_cloudwatch"] { features["cloudwatch-agent"] = cw == "true" }
        if facts.lambdasRead {
            features["pool"] = facts.lambda("pool") != nil
            features["binaries-syncer"] = facts.lambdas.contains { $0.name.hasSuffix("-syncer") }
            features["ssm-housekeeper"] = facts.lambda("ssm-housekeeper") != nil
            features["job-retry"] = facts.lambda("job-retry") != nil
        }
        for live in facts.roles {
            guard let role = Self.moduleRole(of: live.role.name, prefix: fleet.namePrefix) else { continue }
            let rolePath = "aws/global/iam/role/\(live.role.name)"
            func parse(_ p: IAMPolicyDocument) -> PolicyDocument? {
                let path = "\(rolePath)/\(p.source.replacingOccurrences(of: ":", with: "/"))"
                let src = SourceFile(path: path, text: p.document)
                sources[path] = src
                return PolicyJSON.parse(src, origin: .aws(p.source)).document
            }
            let identity = live.policies.compactMap(parse)
            let boundary = live.boundary.flatMap(parse)
            var roleBindings = bindings
            if let fn = Self.lambdaName(of: role) { roleBindings["log_group_name"] = "/aws/lambda/\(fleet.namePrefix)-\(fn)" }
            let required = table.for(role: role, at: context.options.target, features: features)
            var seen = Set<String>()
            let gaps = IAMAnalysis.missing(required: required, identity: identity, boundary: boundary, bindings: roleBindings)
                .filter { $0.isDefinite && seen.insert($0.explanation).inserted }
            guard !gaps.isEmpty else { continue }
            let actions = Array(Set(gaps.map(\.action))).sorted()
            let required_ = gaps.filter { $0.need == .required }
            out.append(finding(Self.iamGapId, required_.isEmpty ? .warning : .error,
                               "role `\(live.role.name)` (\(role)) lacks \(actions.count) permission(s) release \(context.options.target) needs: " +
                                   actions.prefix(6).map { "`\($0)`" }.joined(separator: ", ") + (actions.count > 6 ? ", …" : ""),
                               gaps.prefix(6).map { "\(Self.bind($0.explanation, roleBindings)) (needed since \($0.introduced)\($0.requirement.why.map { ": \($0)" } ?? ""))" }
                                   .joined(separator: " ") + (gaps.count > 6 ? " (and \(gaps.count - 6) more)" : "") +
                                   " Read from the live role's \(live.policies.count) polic\(live.policies.count == 1 ? "y" : "ies")\(live.boundary != nil ? " and its permission boundary" : "").",
                               at: rolePath))
        }
        return out
    }

    /// The explanation with the placeholders the probe knows filled in.
    static func bind(_ text: String, _ bindings: [String: String]) -> String {
        bindings.reduce(text) { $0.replacingOccurrences(of: "${\($1.key)}", with: $1.value) }
    }

    // MARK: Queues

    func queues() -> [Finding] {
        var out: [Finding] = []
        for (name, attrs) in facts.queues.sorted(by: { $0.key < $1.key }) {
            let depth = Int(attrs["ApproximateNumberOfMessages"] ?? "") ?? 0
            guard depth > 0 else { continue }
            if name.contains("_dead_letter") {
                out.append(finding(Self.queueId, .warning,
                                   "dead-letter queue `\(name)` holds \(depth) message(s)",
                                   "Each is a job event scale-up gave up on (for example `No runners create: maximum of runners reached.` retried to the end, or a scale error). The jobs may still be waiting in GitHub. The messages were not read.",
                                   at: "\(r)/sqs/\(name)"))
            } else {
                out.append(finding(Self.queueId, .note,
                                   "build queue `\(name)` holds \(depth) message(s) waiting for scale-up",
                                   "Jobs are queued for runners right now; a backlog that does not drain points at scale-up failing or at the maximum number of runners.",
                                   at: "\(r)/sqs/\(name)"))
            }
        }
        return out
    }

    // MARK: After the upgrade

    var window: String {
        let f = ISO8601DateFormatter()
        let from = context.now.addingTimeInterval(-(context.options.since ?? 0))
        return "\(f.string(from: from)) to \(f.string(from: context.now))"
    }

    func lambdaErrors() -> [Finding] {
        var out: [Finding] = []
        for (key, sum) in facts.metrics.sorted(by: { $0.key < $1.key }) where sum > 0 {
            let parts = key.split(separator: " ")
            out.append(finding(Self.lambdaErrorsId, .warning,
                               "lambda `\(parts[0])` reported \(Int(sum)) \(parts[1].lowercased()) in the last \(LiveResource.age(context.options.since ?? 0))",
                               "CloudWatch `AWS/Lambda` `\(parts[1])` summed over \(window). The upgrade guide says to watch these after an upgrade; the lambda's log group `/aws/lambda/\(parts[0])` says why.",
                               at: "\(r)/lambda/\(parts[0])"))
        }
        return out
    }

    func logSignatures() -> [Finding] {
        var bySignature: [String: [LogSignatureHit]] = [:]
        for h in facts.logHits { bySignature[h.signature, default: []].append(h) }
        return bySignature.keys.sorted().compactMap { id in
            guard let s = LogSignatures.signature(id), let hits = bySignature[id] else { return nil }
            let total = hits.reduce(0) { $0 + $1.count }
            let groups = hits.map { "`\($0.group)` (\($0.count))" }.joined(separator: ", ")
            let f = ISO8601DateFormatter()
            let first = hits.map(\.first).min()!, last = hits.map(\.last).max()!
            return finding(Self.logSignatureId, .error,
                           "\(total) log line(s) of fleet `\(fleet.namePrefix)` match \"\(s.phrase)\"",
                           "Meaning: \(s.meaning). Seen in \(groups) between \(f.string(from: first)) and \(f.string(from: last)) (window \(window)).",
                           at: "\(r)/logs\(hits[0].group)")
        }
    }
}
