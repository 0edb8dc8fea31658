/// What a reporter needs to know about a rule: the catalogue entry, without its examples.
public struct RuleDescriptor: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var severity: Severity
    public var tags: [String]
    /// One line, no trailing period.
    public var summary: String
    /// Markdown: why it matters and how to fix it.
    public var help: String
    /// Where the rule's documentation lives.
    public var helpURI: String

    public init(id: String, title: String, severity: Severity, tags: [String], summary: String, help: String, helpURI: String) {
        self.id = id
        self.title = title
        self.severity = severity
        self.tags = tags
        self.summary = summary
        self.help = help
        self.helpURI = helpURI
    }
}

/// One fleet: a runner configuration of one module call (a root-module instance or a
/// `multi_runner_config` entry).
public struct FleetSummary: Sendable, Hashable, Codable {
    public var name: String
    /// `linux`, `windows`, `osx`, or nil when unknown.
    public var os: String?
    /// nil when unknown.
    public var ephemeral: Bool?
    /// Whether the fleet registers with a JIT config at the target; nil when unknown.
    public var jit: Bool?
    /// What boots the runner: `module-default`, `userdata_template:<path>`, `ami:<path or unknown>`...
    public var bootScript: String
    /// Where the fleet's settings are written (a module block, a `multi_runner_config` entry);
    /// nil when they are built from several places.
    public var anchor: SourceRange?
    /// What boots the runner, step by step (the fleet map draws these).
    public var boot: [FleetPart]
    /// The IAM the repository decides for the fleet: a permission boundary, a role of its own.
    public var roles: [FleetPart]
    /// The name prefix of the fleet's AWS resources (`<prefix>` or `<prefix>-<multi-runner key>`):
    /// how the probe's live fleet is matched with it. nil when the prefix is not known.
    public var namePrefix: String?
    /// The AMI name pattern the fleet selects its image with (`ami_filter` or `ami.filter`).
    public var amiNameFilter: String?

    public init(name: String, os: String?, ephemeral: Bool?, jit: Bool?, bootScript: String,
                anchor: SourceRange? = nil, boot: [FleetPart] = [], roles: [FleetPart] = [],
                namePrefix: String? = nil, amiNameFilter: String? = nil) {
        self.name = name
        self.os = os
        self.ephemeral = ephemeral
        self.jit = jit
        self.bootScript = bootScript
        self.anchor = anchor
        self.boot = boot
        self.roles = roles
        self.namePrefix = namePrefix
        self.amiNameFilter = amiNameFilter
    }
}

public struct ModuleSummary: Sendable, Hashable, Codable {
    /// `module.<name>` with the file it is declared in, e.g. `main.tf:module.runners`.
    public var path: String
    public var source: String
    /// The version audited from (pinned or resolved), nil when unknown.
    public var version: String?
    /// `root`, `multi-runner`, `runners`, `webhook`, `download-lambda`, ...
    public var kind: String
    public var fleets: [FleetSummary]
    /// The `module` block.
    public var anchor: SourceRange?
    /// For a call of a vendored copy of the module: which release it was audited as and why (its
    /// CHANGELOG, its git submodule commit, or the start scripts and inputs it matches).
    public var versionEvidence: String?

    public init(path: String, source: String, version: String?, kind: String, fleets: [FleetSummary], anchor: SourceRange? = nil,
                versionEvidence: String? = nil) {
        self.path = path
        self.source = source
        self.version = version
        self.kind = kind
        self.fleets = fleets
        self.anchor = anchor
        self.versionEvidence = versionEvidence
    }
}

/// A finding the gate does not judge: suppressed by a `ghr-audit:ignore` directive in the file
/// (`inSource`) or accepted by a baseline (`external`). Reports count them and can list them.
public struct DismissedFinding: Sendable, Hashable {
    /// The names SARIF gives these kinds of suppression.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case inSource, external
    }

    public var finding: Finding
    public var kind: Kind
    /// Why: the directive's reason, or which baseline accepted it.
    public var justification: String

    public init(_ finding: Finding, kind: Kind, justification: String) {
        self.finding = finding
        self.kind = kind
        self.justification = justification
    }
}

public struct Report: Sendable {
    public var toolName: String
    public var toolVersion: String
    /// The module release audited against, e.g. `4.0.1`, or `pinned`.
    public var target: String
    public var filesScanned: Int
    /// How many files of each kind were read (`terraform`, `yaml`, `bash`, ...).
    public var filesByKind: [String: Int]
    /// Files found but not read, by kind: nothing in the runner deployment reaches them (a
    /// CloudFormation template, a Helm chart next to the Terraform).
    public var filesNotReached: [String: Int]
    public var modules: [ModuleSummary]
    /// What the audit could not resolve in the model (a release, a fleet map, a start script),
    /// one short phrase each, e.g. "start script of fleet `module.ci`: the AMI is built outside the repository".
    public var unresolved: [String] = []
    /// false for a report that describes no repository (`probe` without a repository path): it
    /// then says nothing about what was audited.
    public var auditsRepository = true
    /// Sorted with `Finding.ordered` and deduplicated.
    public var findings: [Finding]
    /// The catalogue entries of every rule that may appear (for SARIF `tool.driver.rules`).
    public var rules: [RuleDescriptor]
    /// The paths the run was asked to audit, as given (empty when not known).
    public var scannedPaths: [String] = []
    /// The git commit checked out at the scan root, when the root is a git work tree.
    public var commit: String?
    /// The upgrade plan by major release (the `checklist` command's content), when planned.
    public var checklist: UpgradeChecklist?
    /// What `ghr-audit probe` read from the deployed fleet: set by the probe (its JSON report
    /// carries it as `live`) and by `check --probe-results FILE` (the HTML page shows it beside
    /// the repository).
    public var live: LiveFacts?
    /// Findings left out of `findings` by a suppression or a baseline, in `Finding.ordered` order.
    public var dismissed: [DismissedFinding] = []
    /// Findings a display filter (`--min-severity`, `--rule`, `--skip-rule`) left out of `findings`,
    /// in report order. They are not shown, but the gate still judges them and every summary
    /// counts them (`FindingFilter.apply` fills this).
    public var hidden: [Finding] = []

    public init(toolName: String = "ghr-audit", toolVersion: String, target: String, filesScanned: Int,
                filesByKind: [String: Int], filesNotReached: [String: Int] = [:], modules: [ModuleSummary], findings: [Finding],
                rules: [RuleDescriptor]) {
        self.toolName = toolName
        self.toolVersion = toolVersion
        self.target = target
        self.filesScanned = filesScanned
        self.filesByKind = filesByKind
        self.filesNotReached = filesNotReached
        self.modules = modules
        self.findings = findings
        self.rules = rules
    }

    public func count(_ severity: Severity) -> Int { findings.filter { $0.severity == severity }.count }

    /// Every finding the gate judges: the shown ones and those a display filter hid.
    public var judged: [Finding] { hidden.isEmpty ? findings : findings + hidden }

    /// How many findings a suppression (`inSource`) or a baseline (`external`) dismissed.
    public func count(_ kind: DismissedFinding.Kind) -> Int { dismissed.filter { $0.kind == kind }.count }
}

/// What was audited (issue 18 §2), computed once from the report so that every reporter says the
/// same: runner module calls with path, source and release, fleets, start scripts resolved, what
/// could not be resolved, files not reached.
extension Report {
    /// Kinds of module call that deploy runners (the others are helper submodules).
    public static let runnerKinds: Set<String> = ["root", "multi-runner", "runners"]

    public var runnerCalls: [ModuleSummary] { modules.filter { Self.runnerKinds.contains($0.kind) } }
    public var fleetCount: Int { runnerCalls.reduce(0) { $0 + $1.fleets.count } }
    /// Fleets whose boot path was followed to a script (or the module's own).
    public var startScriptsResolved: Int {
        runnerCalls.reduce(0) { $0 + $1.fleets.filter { !$0.bootScript.hasSuffix(":unknown") && !$0.bootScript.hasSuffix(":inline") }.count }
    }
    public var filesNotReachedCount: Int { filesNotReached.values.reduce(0, +) }

    /// One line on what was audited and, when something was not resolved, a second one.
    public var scopeLines: [String] {
        guard auditsRepository else { return [] }
        func n(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
        let calls = runnerCalls
        var first: String
        if calls.isEmpty {
            first = "audited: no runner module call found"
        } else {
            let shown = calls.prefix(3).map { "\($0.path) (\($0.source) \($0.version ?? "release unknown")" + ($0.versionEvidence.map { ": " + $0 } ?? "") + ")" }
            first = "audited: " + n(calls.count, "runner module call") + ": " + shown.joined(separator: ", ")
            if calls.count > 3 { first += " and \(calls.count - 3) more" }
            first += "; " + n(fleetCount, "fleet") + ", " + "\(startScriptsResolved) of \(fleetCount) start script\(fleetCount == 1 ? "" : "s") resolved"
        }
        if filesNotReachedCount > 0 { first += "; " + n(filesNotReachedCount, "file") + " not reached by the deployment" }
        guard !unresolved.isEmpty else { return [first] }
        return [first, "not resolved: " + unresolved.joined(separator: "; ")]
    }
}
