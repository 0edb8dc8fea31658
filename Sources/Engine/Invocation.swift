import AuditCore
import Foundation
import Gate
import HCL
import Knowledge
import Rules
import Terraform

/// The files a user names on the command line (`--var-file`, `--config`, `--baseline`) and the
/// folders to audit. Paths are the user's choice: absolute or relative to the working directory.
public protocol HostFiles: Sendable {
    /// The bytes of a file, or nil when it cannot be read.
    func read(_ path: String) -> Data?
    /// The folder at `path` as a scan root, or nil when it is not a folder that can be read.
    func scanRoot(_ path: String) -> (any FileSystem)?
}

/// The real file system.
public struct LocalHostFiles: HostFiles {
    public init() {}

    public func read(_ path: String) -> Data? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { return nil }
        return FileManager.default.contents(atPath: path)
    }

    public func scanRoot(_ path: String) -> (any FileSystem)? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue,
              FileManager.default.isReadableFile(atPath: path) else { return nil }
        return LocalFileSystem(root: URL(fileURLWithPath: path))
    }
}

/// Files in memory, keyed by path as a user would type it (`repo/main.tf`, `prod.tfvars`); a scan
/// root is every file under a folder prefix.
public struct MemoryHostFiles: HostFiles {
    public var files: [String: Data]

    public init(_ files: [String: String]) { self.files = files.mapValues { Data($0.utf8) } }

    public func read(_ path: String) -> Data? { files[Self.clean(path)] }

    public func scanRoot(_ path: String) -> (any FileSystem)? {
        let folder = Self.clean(path)
        let prefix = folder.isEmpty ? "" : folder + "/"
        let inside = files.filter { $0.key.hasPrefix(prefix) }
        guard !inside.isEmpty else { return nil }
        return MemoryFileSystem(data: Dictionary(uniqueKeysWithValues: inside.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
    }

    static func clean(_ path: String) -> String { Paths.join("", path) ?? path }
}

/// A problem with the environment or the command line: printed to stderr, exit status 2.
public struct EnvironmentError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What `check`, `checklist` and `fix` were asked to audit (the shared command-line options).
public struct AuditRequest: Sendable {
    public var paths: [String]
    public var target: TargetSelection?
    public var from: ModuleVersion?
    /// `--var-file` paths, in order (later files win).
    public var varFiles: [String]
    /// `--var NAME=VALUE` (win over files).
    public var vars: [(name: String, value: String)]
    /// `--config FILE`.
    public var config: String?
    /// `TF_VAR_*` come from here.
    public var environment: [String: String]
    /// `--require-module`; nil: the config file decides.
    public var requireModule: Bool?
    /// Rules run besides the catalogue's (the boot rehearsal of `check --rehearse`).
    public var extraRules: [any Rule] = []
    /// Where the run counts what it has done (the progress line); nil: nowhere.
    public var progress: AuditProgress?
    /// `--jobs`: threads for reading, parsing, modelling and scanning; nil: one per core.
    public var workers: Int?

    public init(paths: [String] = ["."], target: TargetSelection? = nil, from: ModuleVersion? = nil, varFiles: [String] = [],
                vars: [(name: String, value: String)] = [], config: String? = nil, environment: [String: String] = [:],
                requireModule: Bool? = nil) {
        self.paths = paths
        self.target = target
        self.from = from
        self.varFiles = varFiles
        self.vars = vars
        self.config = config
        self.environment = environment
        self.requireModule = requireModule
    }

    /// `NAME=VALUE` split at the first `=`; nil when there is none.
    public static func variable(_ text: String) -> (name: String, value: String)? {
        guard let i = text.firstIndex(of: "=") else { return nil }
        return (String(text[..<i]), String(text[text.index(after: i)...]))
    }
}

/// A baseline a run uses, with where it came from.
public struct BaselineInUse: Sendable {
    public var baseline: Baseline
    /// The path as the user wrote it (`--baseline FILE`, or the config's `baseline:`).
    public var shown: String
    /// The path on the host, for rewriting it (`--update-baseline`).
    public var hostPath: String

    public init(_ baseline: Baseline, shown: String, hostPath: String) {
        self.baseline = baseline
        self.shown = shown
        self.hostPath = hostPath
    }
}

/// One run over every requested path, with the baselines the scan roots' configs name.
public struct AuditRun: Sendable {
    /// Every finding of every root (paths prefixed with the root when there are several).
    public var result: AuditResult
    /// Baselines named by `baseline:` in each root's config, read from inside that root.
    public var configBaselineFiles: [BaselineInUse]

    public var configBaselines: [Baseline] { configBaselineFiles.map(\.baseline) }

    /// The baselines the gate uses: `commandLine` (`--baseline FILE`) when given, else those
    /// the configs name.
    public func baselinesInUse(commandLine: BaselineInUse?) -> [BaselineInUse] {
        commandLine.map { [$0] } ?? configBaselineFiles
    }

    /// The findings the gate judges: those not in `commandLine` (`--baseline FILE`), or when it
    /// is nil, not in the baselines the configs name.
    public func newFindings(commandLine: Baseline?) -> [Finding] {
        gatedReport(commandLine: commandLine.map { BaselineInUse($0, shown: "", hostPath: "") }).findings
    }

    /// The report the gate judges: the findings no baseline in use accepts; those a baseline
    /// accepts join the suppressed ones in `dismissed` (kind `external`, the baseline named).
    public func gatedReport(commandLine: BaselineInUse?) -> Report {
        Self.gated(result.report, by: baselinesInUse(commandLine: commandLine), legacyFingerprints: result.legacyFingerprints)
    }

    /// `report` with the findings one of `baselines` accepts moved to `dismissed` (kind
    /// `external`, the baseline named); `check` and `probe` gate the same way.
    public static func gated(_ report: Report, by baselines: [BaselineInUse], legacyFingerprints: [String: String] = [:]) -> Report {
        var report = report
        var remaining = report.findings
        for use in baselines {
            let (new, known) = use.baseline.filter(remaining, legacyFingerprint: { legacyFingerprints[$0.fingerprint] })
            remaining = new
            let why = use.shown.isEmpty ? "accepted by the baseline" : "accepted by the baseline \(use.shown)"
            report.dismissed += known.map { DismissedFinding($0, kind: .external, justification: why) }
        }
        report.findings = remaining
        report.dismissed.sort { Finding.ordered($0.finding, $1.finding) }
        return report
    }

    /// Each baseline in use rewritten in the current format with the current fingerprints of
    /// the findings it accepts (entries no finding matches are dropped), and how many were dropped.
    public func updatedBaselines(commandLine: BaselineInUse?) -> [(use: BaselineInUse, data: Data, dropped: Int)] {
        baselinesInUse(commandLine: commandLine).map { use in
            let legacy: (Finding) -> String? = { result.legacyFingerprints[$0.fingerprint] }
            let migrated = use.baseline.migrated(to: result.report.findings, legacyFingerprint: legacy)
            return (use, migrated.data(), use.baseline.entries.count - migrated.entries.count)
        }
    }

    /// One step of `check`'s care of the baselines in use: a file to rewrite (nil for a note
    /// only) and the line to say on standard error.
    public struct BaselineUpkeep: Sendable {
        public var write: (path: String, data: Data)?
        public var message: String
    }

    /// With `update` (`--update-baseline`), each baseline in use rewritten (see `updatedBaselines`)
    /// and the line that says so; nil when there is none to update. Without it, a note for each
    /// baseline in use whose format-1 fingerprints change with `--target`.
    public func baselineUpkeep(commandLine: BaselineInUse?, update: Bool) -> [BaselineUpkeep]? {
        guard update else {
            return baselinesInUse(commandLine: commandLine).filter(\.baseline.needsMigration).map { use in
                BaselineUpkeep(write: nil, message: "ghr-audit: note: baseline \(use.shown) has format-1 fingerprints, which change with `--target`; `--update-baseline` rewrites it")
            }
        }
        let updates = updatedBaselines(commandLine: commandLine)
        guard !updates.isEmpty else { return nil }
        return updates.map { u in
            let dropped = u.dropped > 0 ? " (\(u.dropped) entr\(u.dropped == 1 ? "y" : "ies") no finding matches removed)" : ""
            return BaselineUpkeep(write: (u.use.hostPath, u.data), message: "ghr-audit: updated baseline \(u.use.shown)" + dropped)
        }
    }
}

public enum Invocation {
    /// Audits every path of `request`: reads the var-files and the config from `host`, audits
    /// each root through its own file system, reads the baselines the configs name, and merges
    /// the roots (paths prefixed when there are several).
    public static func audit(_ request: AuditRequest, knowledge: KnowledgeBase, host: any HostFiles) throws(EnvironmentError) -> AuditRun {
        if case .version(let v)? = request.target, let unknown = unknownRelease(v, knowledge: knowledge) {
            throw EnvironmentError("`--target \(v)` " + unknown)
        }
        var varFiles: [HCLFile] = []
        for path in request.varFiles {
            let source = try readSource(path, flag: "--var-file", host: host)
            varFiles.append(path.hasSuffix(".json") ? HCLJSONParser.parse(source) : HCLParser.parse(source))
        }
        let configFile = try request.config.map { path throws(EnvironmentError) in try readSource(path, flag: "--config", host: host) }
        var options = AuditOptions(target: request.target, fromOverride: request.from,
                                   rootInputs: RootInputs(varFiles: varFiles, vars: request.vars, environment: request.environment))
        options.configFile = configFile
        options.requireModule = request.requireModule
        options.progress = request.progress
        options.workers = request.workers
        request.progress?.update { $0.rootsTotal = request.paths.count }
        let auditor = Auditor(knowledge: knowledge, rules: RuleRegistry.all + request.extraRules)
        var merged: AuditResult?
        var baselines: [BaselineInUse] = []
        for (index, path) in request.paths.enumerated() {
            request.progress?.update { $0.root = index + 1 }
            guard let fs = host.scanRoot(path) else { throw EnvironmentError("`\(path)` is not a directory that can be read") }
            var result = auditor.audit(fileSystem: fs, options: options)
            // The auditor has already refused (with a finding) a baseline outside the root.
            if let named = result.config.baseline, case .success(let inside) = ScanRootPath.resolve(named.value, in: fs) {
                let shown = request.paths.count == 1 ? named.value : (path as NSString).appendingPathComponent(named.value)
                guard let data = fs.read(inside) else { throw EnvironmentError("cannot read baseline \(shown) (named in the configuration)") }
                baselines.append(BaselineInUse(try loadBaseline(data, path: shown), shown: shown, hostPath: (path as NSString).appendingPathComponent(inside)))
            }
            if request.paths.count > 1 { result = result.prefixingPaths(with: path) }
            merged = merged.map { $0.merging(result) } ?? result
        }
        guard let result = merged else { throw EnvironmentError("no path to audit") }
        return AuditRun(result: result, configBaselineFiles: baselines)
    }

    /// The baseline at a path given on the command line.
    public static func readBaseline(_ path: String, host: any HostFiles) throws(EnvironmentError) -> Baseline {
        guard let data = host.read(path) else { throw EnvironmentError("cannot read baseline \(path)") }
        return try loadBaseline(data, path: path)
    }

    /// `readBaseline` with its origin, for reporting and rewriting it.
    public static func baselineInUse(_ path: String, host: any HostFiles) throws(EnvironmentError) -> BaselineInUse {
        BaselineInUse(try readBaseline(path, host: host), shown: path, hostPath: path)
    }

    static func loadBaseline(_ data: Data, path: String) throws(EnvironmentError) -> Baseline {
        do { return try Baseline.load(data) } catch { throw EnvironmentError("baseline \(path): \(error)") }
    }

    static func readSource(_ path: String, flag: String, host: any HostFiles) throws(EnvironmentError) -> SourceFile {
        guard let data = host.read(path) else { throw EnvironmentError("cannot read \(flag) \(path)") }
        guard let source = SourceFile(path: path, data: data) else { throw EnvironmentError("\(flag) \(path) is not valid UTF-8") }
        return source
    }

    /// Why `v` cannot be a target (`--target`, or `target:` in the configuration): "is not a
    /// release … known to ghr-audit; the nearest is X"; nil for a known release.
    static func unknownRelease(_ v: ModuleVersion, knowledge: KnowledgeBase) -> String? {
        guard knowledge.release(version: v) == nil else { return nil }
        let near = knowledge.releases.map(\.version).min { $0.distance(to: v) < $1.distance(to: v) }
        return "is not a release of terraform-aws-github-runner known to ghr-audit" + (near.map { "; the nearest is \($0)" } ?? "")
    }
}

/// Exit statuses: 0 nothing at or above the threshold, 1 findings at or above it, 2 a usage or
/// environment error (or, for `fix --apply`, a file left unwritten).
public enum ExitStatus: Int32, Sendable {
    case clean = 0
    case findings = 1
    case environment = 2

    /// The status of a `check` run: the command line's `--fail-on`, else the config's `fail_on`,
    /// else `error`, applied to the findings the gate judges.
    public static func of(_ findings: [Finding], failOn: FailThreshold?, config: GateConfig) -> ExitStatus {
        threshold(failOn: failOn, config: config).fails(findings) ? .findings : .clean
    }

    /// The threshold in force: the command line's, else the config's, else `error`.
    public static func threshold(failOn: FailThreshold?, config: GateConfig) -> FailThreshold {
        failOn ?? config.failOn?.value ?? .error
    }
}

extension FailThreshold {
    /// Whether any of `findings` fails the gate.
    public func fails(_ findings: [Finding]) -> Bool {
        findings.contains { fails(on: $0.severity) }
    }
}
