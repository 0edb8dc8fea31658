import AuditCore
import Foundation
import Gate
import Knowledge
import Rules

/// A mistake on the command line, found before anything runs: exit status 2, shown with the
/// command's usage as the argument parser shows its own.
public struct UsageError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The options `check`, `checklist`, `fix`, `rehearse` and `probe` share, as written on the
/// command line (`--target`, `--from`, `--var-file`, `--var`, `--config`, `--require-module`, `--jobs`).
public struct AuditArguments: Sendable, Hashable {
    public var target: String?
    public var from: String?
    public var varFiles: [String]
    public var vars: [String]
    public var config: String?
    public var requireModule: Bool
    public var jobs: Int?

    public init(target: String? = nil, from: String? = nil, varFiles: [String] = [], vars: [String] = [], config: String? = nil,
                requireModule: Bool = false, jobs: Int? = nil) {
        self.target = target
        self.from = from
        self.varFiles = varFiles
        self.vars = vars
        self.config = config
        self.requireModule = requireModule
        self.jobs = jobs
    }

    /// The first option that is not well formed.
    public func validate() throws(UsageError) {
        if let jobs, jobs < 1 { throw UsageError("`--jobs \(jobs)` must be at least 1") }
        if let target, TargetSelection(target) == nil {
            throw UsageError("`--target \(target)` is not a release (like 4.0.1), `latest` or `pinned`")
        }
        if let from, ModuleVersion(from) == nil { throw UsageError("`--from \(from)` is not a release such as 3.6.1") }
        for v in vars where AuditRequest.variable(v) == nil { throw UsageError("`--var \(v)` must have the form NAME=VALUE") }
    }

    /// `--target` as a selection; nil when not given.
    public var targetSelection: TargetSelection? { target.flatMap(TargetSelection.init) }

    /// The release `--target` names; nil for none, `latest` or `pinned`.
    public var targetRelease: ModuleVersion? { target.flatMap(ModuleVersion.init) }

    /// The audit of `paths` these options ask for (`TF_VAR_*` from `environment`; `--require-module`
    /// unset leaves the config file to decide).
    public func request(paths: [String], environment: [String: String], extraRules: [any Rule] = [], progress: AuditProgress? = nil) -> AuditRequest {
        var request = AuditRequest(paths: paths, target: targetSelection, from: from.flatMap(ModuleVersion.init),
                                   varFiles: varFiles, vars: vars.compactMap(AuditRequest.variable), config: config,
                                   environment: environment, requireModule: requireModule ? true : nil)
        request.extraRules = extraRules
        request.progress = progress
        request.workers = jobs
        return request
    }

    /// The release a run's report is about: `--target` when it names one, else the release the
    /// audit chose (`report.target`), else the newest known.
    public func release(of report: Report?, knowledge: KnowledgeBase) -> ModuleVersion {
        targetRelease ?? report.flatMap { ModuleVersion($0.target) } ?? knowledge.latest.version
    }
}

/// What `check` does after the audit: baselines written, read and kept up to date, the report
/// the gate judges and the exit status.
public struct CheckRequest: Sendable {
    /// The paths audited, as written (the report names them).
    public var paths: [String]
    /// `--baseline FILE`.
    public var baseline: String?
    /// `--write-baseline FILE`.
    public var writeBaseline: String?
    /// `--update-baseline`.
    public var updateBaseline: Bool
    /// `--fail-on`; nil: the config's `fail_on`, else `error`.
    public var failOn: FailThreshold?
    /// `--probe-results FILE`, read: the live fleet the html page shows.
    public var live: LiveFacts?

    public init(paths: [String], baseline: String? = nil, writeBaseline: String? = nil, updateBaseline: Bool = false,
                failOn: FailThreshold? = nil, live: LiveFacts? = nil) {
        self.paths = paths
        self.baseline = baseline
        self.writeBaseline = writeBaseline
        self.updateBaseline = updateBaseline
        self.failOn = failOn
        self.live = live
    }

    /// `check`'s own option combinations: `--probe-results` is shown only by the html page,
    /// `--rehearse` takes one path.
    public static func validate(probeResults: Bool, html: Bool, rehearse: Bool, pathCount: Int) throws(UsageError) {
        if probeResults && !html { throw UsageError("`--probe-results` is shown only by the html page: add `--format html`") }
        if rehearse && pathCount > 1 { throw UsageError("`--rehearse` takes one path") }
    }
}

/// The report to render and how the run ends.
public struct GateOutcome: Sendable {
    public var report: Report
    /// The threshold in force (for the html page's verdict).
    public var threshold: FailThreshold
    public var status: ExitStatus
}

extension AuditRun {
    /// `check` after the audit, in its order: the findings recorded in `--write-baseline`, the
    /// command line's baseline read (through `host`, after that write: it may be the same file),
    /// the gate applied, the baselines in use updated (`--update-baseline`) or noted when their
    /// fingerprints change with `--target`. `write` writes a baseline file, `note` says a line
    /// (without its newline) on standard error.
    public func check(_ request: CheckRequest, host: any HostFiles, write: (Data, String) throws -> Void,
                      note: (String) -> Void) throws -> GateOutcome {
        if let path = request.writeBaseline { try write(Baseline.make(result.report.findings), path) }
        let commandLine = try request.baseline.map { path throws(EnvironmentError) in try Invocation.baselineInUse(path, host: host) }
        var report = gatedReport(commandLine: commandLine)
        report.live = request.live
        guard let upkeep = baselineUpkeep(commandLine: commandLine, update: request.updateBaseline) else {
            throw UsageError("`--update-baseline` needs a baseline: give `--baseline FILE` or name one in the configuration")
        }
        for step in upkeep {
            if let w = step.write { try write(w.data, w.path) }
            note(step.message)
        }
        report.scannedPaths = request.paths
        return ExitStatus.outcome(report, failOn: request.failOn, config: result.config)
    }
}

extension ExitStatus {
    /// `report` judged by the threshold in force (`failOn`, else the config's, else `error`).
    public static func outcome(_ report: Report, failOn: FailThreshold?, config: GateConfig) -> GateOutcome {
        let threshold = threshold(failOn: failOn, config: config)
        return GateOutcome(report: report, threshold: threshold, status: threshold.fails(report.findings) ? .findings : .clean)
    }
}

extension FailThreshold {
    /// The lowest severity that fails (nil for `none`), as reporters state the verdict.
    public var lowestFailing: Severity? { Severity(rawValue: rawValue) }
}

extension Checklist {
    /// `checklist`'s page: the audit as `filter` shows it, for `--target` when it names a
    /// release, else the release the audit chose. What the filter hides still counts (a major is
    /// never "without finding" because of it).
    public static func render(_ result: AuditResult, filter: FindingFilter, arguments: AuditArguments, knowledge: KnowledgeBase) -> String {
        var shown = result
        shown.report = filter.apply(to: result.report)
        let hidden = (result.report.findings + result.report.dismissed.map(\.finding)).filter { !filter.keeps($0) }
        return render(shown, knowledge: knowledge, target: arguments.release(of: shown.report, knowledge: knowledge), hidden: hidden)
    }
}

extension FixPlan {
    /// The plan for the findings `filter` shows (`fix --rule ...`).
    public init(_ result: AuditResult, filter: FindingFilter) {
        var shown = result
        shown.report = filter.apply(to: result.report)
        self.init(shown)
    }
}
