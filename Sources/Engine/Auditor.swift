import AuditCore
import Dispatch
import Foundation
import Gate
import HCL
import Knowledge
import Rules
import Scripts
import Terraform

/// Options of one audit run. Settings left nil come from `.ghr-audit.yml`, then the defaults.
public struct AuditOptions: Sendable {
    /// nil: the config file's `target`, else `latest`.
    public var target: TargetSelection?
    public var fromOverride: ModuleVersion?
    /// A config file given on the command line (`--config`); nil: `.ghr-audit.yml` at the root.
    public var configFile: SourceFile?
    /// The day suppressions' `exp:` dates are compared with.
    public var today: Date = Date()
    public var rootInputs: RootInputs
    /// Rule ids (or aliases) switched off.
    public var disabledRules: Set<String>
    public var severityOverrides: [String: Severity]
    /// `--require-module`: no runner module call found (CORE-008) is an error. nil: the config
    /// file's `require_module`, else false.
    public var requireModule: Bool?
    /// Counts the run reports while it works (the progress line on a terminal); nil: none.
    public var progress: AuditProgress?
    /// Threads that read, parse, model and scan (`--jobs`); nil: one per core. The report is the
    /// same byte for byte whatever the number.
    public var workers: Int?
    /// Evaluate every local of every module, as the audit did before locals were evaluated only
    /// when needed: the benchmark's measure of the work that saves. The findings are the same.
    public var eagerLocals = false
    /// The run's evaluation budget (`Limits.maxEvaluationSteps` unless a test gives a smaller one).
    public var maxEvaluationSteps = Limits.maxEvaluationSteps

    public init(target: TargetSelection? = nil, fromOverride: ModuleVersion? = nil, rootInputs: RootInputs = RootInputs(),
                disabledRules: Set<String> = [], severityOverrides: [String: Severity] = [:]) {
        self.target = target
        self.fromOverride = fromOverride
        self.rootInputs = rootInputs
        self.disabledRules = disabledRules
        self.severityOverrides = severityOverrides
    }
}

/// The outcome of a run: the report plus what reporters and later stages need.
public struct AuditResult: Sendable {
    public var report: Report
    /// The configuration the run used (the file's settings; problems are findings).
    public var config: GateConfig
    /// Findings that inline `ghr-audit:ignore` directives suppressed (`report.dismissed` holds
    /// them with their reasons).
    public var suppressed: [Finding] { report.dismissed.filter { $0.kind == .inSource }.map(\.finding) }
    public var workspace: Workspace
    public var model: DeploymentModel
    /// The text of every file a finding may point into.
    public var sources: [String: SourceFile]
    /// Each finding's fix before secrets were masked, by fingerprint: what `fix` writes.
    public var unmaskedFixes: [String: Fix] = [:]
    /// The format-1 fingerprint (`Fingerprint.compute`) of each finding, by its fingerprint:
    /// what baselines written before format 2 recorded.
    public var legacyFingerprints: [String: String] = [:]
    /// Evaluation work the run did (budget units), and the locals it evaluated of those declared
    /// in the modules it modelled: what evaluating only what is needed saves (the benchmark).
    public var evaluationSteps = 0
    public var localsEvaluated = 0
    public var localsDeclared = 0
    /// The module releases the knowledge base knows: where a rewritten `version` constraint
    /// must resolve to the target (`PinMove`).
    public var releases: [ModuleVersion] = []

    /// Lets go of every parsed file and the deployment model, for a command that reads only the
    /// report and `sources` from here on (`check`, once the gate has judged). They were most of
    /// the run's memory, and rendering a report on top of them made the run's peak.
    public mutating func releaseAnalysis() {
        workspace = Workspace(files: [:], fileSystem: workspace.fileSystem)
        model = .empty
    }

    /// `releaseAnalysis`, the freeing done on another thread while this one goes on (renders
    /// the reports): tearing down the trees and the model was 40-60 ms at the end of a
    /// monorepo's audit with one core idle.
    public mutating func releaseAnalysisInBackground() {
        let released = ReleasedAnalysis(workspace: workspace, model: model)
        releaseAnalysis()
        DispatchQueue.global(qos: .utility).async { released.drop() }
    }
}

/// The last references to a run's parsed files and model, dropped by whoever calls `drop`.
private final class ReleasedAnalysis: @unchecked Sendable {
    // Written once by the thread that drops them; nothing else reads them.
    private var workspace: Workspace?
    private var model: DeploymentModel?

    init(workspace: Workspace, model: DeploymentModel) {
        self.workspace = workspace
        self.model = model
    }

    func drop() {
        workspace = nil
        model = nil
    }
}

/// Runs the whole pipeline: discover, read and parse once (in parallel), build the deployment
/// model, run every rule, then sort, deduplicate and fingerprint.
public struct Auditor: Sendable {
    public var knowledge: KnowledgeBase
    public var rules: [any Rule]
    public var toolVersion: String

    public init(knowledge: KnowledgeBase, rules: [any Rule] = RuleRegistry.all, toolVersion: String = ToolInfo.version) {
        self.knowledge = knowledge
        self.rules = rules
        self.toolVersion = toolVersion
    }

    public func audit(fileSystem: any FileSystem, options: AuditOptions) -> AuditResult {
        if let result = attempt(fileSystem: fileSystem, options: options) { return result }
        // The rules ran out of the budget on several workers: the audit again on one, once the
        // first attempt's files and model are gone (one worker always gives a result).
        var oneWorker = options
        oneWorker.workers = 1
        return attempt(fileSystem: fileSystem, options: oneWorker)!
    }

    /// The audit, or nil when the rules, run on several workers, ran out of the evaluation
    /// budget (which evaluations were cut short then depends on the scheduling).
    private func attempt(fileSystem: any FileSystem, options: AuditOptions) -> AuditResult? {
        var findings: [Finding] = []
        // What the rules derive from the knowledge base is worked out while the repository is
        // read (the rules wait for it if it is not ready; a second run finds it done).
        let workers = options.workers ?? Parallel.defaultWorkers
        if workers > 1 {
            let knowledge = knowledge
            DispatchQueue.global(qos: .userInitiated).async { RuleContext.prepare(knowledge) }
        }

        // The configuration file: settings the command line left open, and located problems.
        let known = KnownRuleIds(knowledge.rules.map(\.id), aliases: Dictionary(
            knowledge.rules.flatMap { r in r.deprecatedAliases.map { ($0, r.id) } }, uniquingKeysWith: { a, _ in a }))
        var config = GateConfig()
        var configSource = options.configFile
        if configSource == nil, let size = fileSystem.size(GateConfig.fileName), size > Limits.maxConfigBytes {
            // Refused unread: no configuration needs this much (the settings keep their defaults).
            findings.append(coreFinding(GateRules.configProblem, "Configuration file is larger than \(Limits.maxConfigBytes >> 10) KiB and was not read",
                                        at: .fileStart(GateConfig.fileName)))
        } else if configSource == nil {
            configSource = fileSystem.read(GateConfig.fileName).flatMap { SourceFile(path: GateConfig.fileName, data: $0) }
        }
        if let configSource {
            let (parsed, problems) = GateConfig.parse(configSource, knownRuleIds: known)
            config = parsed
            findings += problems.map { diagnosticFinding($0, ruleId: GateRules.configProblem) }
        }
        var options = options
        if options.target == nil, let t = config.target {
            // Validated as `--target` is: a release ghr-audit knows, `latest` or `pinned`. A value
            // that is none of them is a finding and the default target is used.
            if case .version(let v)? = TargetSelection(t.value), let unknown = Invocation.unknownRelease(v, knowledge: knowledge) {
                findings.append(coreFinding(GateRules.configProblem, "`target: \(t.value)` " + unknown, at: t.range))
            } else if let sel = TargetSelection(t.value) { options.target = sel } else {
                findings.append(coreFinding(GateRules.configProblem, "`target: \(t.value)` is not a release, `latest` or `pinned`", at: t.range))
            }
        }
        // Paths in the repository's config stay inside the repository.
        if let b = config.baseline, case .failure(let escape) = ScanRootPath.resolve(b.value, in: fileSystem) {
            findings.append(escapingPathFinding("baseline", b, escape))
            config.baseline = nil
        }
        for file in config.varFiles {
            let path: String
            switch ScanRootPath.resolve(file.value, in: fileSystem) {
            case .success(let p): path = p
            case .failure(let escape):
                findings.append(escapingPathFinding("var_files", file, escape))
                continue
            }
            guard let data = fileSystem.read(path), let src = SourceFile(path: path, data: data) else {
                findings.append(coreFinding(GateRules.configProblem, "variables file `\(file.value)` could not be read", at: file.range))
                continue
            }
            options.rootInputs.varFiles.insert(path.hasSuffix(".json") ? HCLJSONParser.parse(src) : HCLParser.parse(src), at: 0)
        }
        for name in config.vars.keys.sorted() where !options.rootInputs.vars.contains(where: { $0.name == name }) {
            options.rootInputs.vars.insert((name, Self.text(of: config.vars[name]!.value)), at: 0)
        }
        for (id, sev) in config.severity where options.severityOverrides[id] == nil { options.severityOverrides[id] = sev.value }
        options.disabledRules.formUnion(config.disable.map(\.value))
        let target = options.target ?? .latest

        let progress = options.progress
        let callsBefore = progress?.snapshot.moduleCalls ?? 0
        progress?.step("reading")
        let discovery = Discovery(fileSystem: fileSystem)
        var (found, problems) = discovery.walk(workers: options.workers)
        progress?.step("parsing")
        // The configuration file is the config parser's (its problems are CORE-005), not a document
        // of the repository to parse again.
        found = found.filter { config.includes($0.path) && !(options.configFile == nil && $0.path == GateConfig.fileName) }
        findings += problems.map {
            var f = coreFinding("CORE-002", $0.message, at: .fileStart($0.path))
            if $0.isWarning { f.severity = .warning }
            return f
        }

        // Read and parse, in parallel, what describes the deployment; then what it reaches
        // (issue 18 §1): a file nothing reaches is counted, never parsed or reported.
        // Sized for every file found (grown an insert at a time it was 1 MB of the 32x monorepo's peak).
        var files: [String: WorkspaceFile] = [:]
        files.reserveCapacity(found.count)
        func load(_ batch: [DiscoveredFile]) {
            for item in ParallelLoader.load(batch, fileSystem: fileSystem, progress: progress, workers: options.workers) {
                switch item {
                case .file(let f): files[f.path] = f
                case .unreadable(let path, let why, let range): findings.append(coreFinding("CORE-002", why, at: range ?? .fileStart(path)))
                case .skipped: break
                }
            }
        }
        let (always, others) = (found.filter(Reach.alwaysRead), found.filter { !Reach.alwaysRead($0) })
        load(always)
        var pending = Dictionary(others.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let named = Reach.literalReferences(in: Workspace(files: files, fileSystem: fileSystem), candidates: pending.keys.sorted(), workers: options.workers)
        load(named.sorted().compactMap { pending.removeValue(forKey: $0) })
        // What Terraform evaluation reads (`file`, `templatefile`, `yamldecode(file(...))`, `fileset`)
        // and the paths the fleets name (a `userdata_template` in a multi-runner YAML file). The
        // model refers to what those files hold (YAML key ranges), so it is built again with them.
        let recorder = RecordingFileSystem(base: fileSystem)
        // One evaluation budget for the run: the final model's evaluations and the rules' (each
        // round builds its model afresh, so each round starts a budget of its own).
        var model = DeploymentModel.empty
        var roundWorkspace = Workspace(files: [:], fileSystem: fileSystem)
        var budget: EvaluationBudget
        var round = 0
        while true {
            round += 1
            budget = EvaluationBudget(maxSteps: options.maxEvaluationSteps)
            // The previous round's model is released before the next is built (two whole models
            // alive at once were the run's peak memory).
            model = DeploymentModel.empty
            roundWorkspace = Workspace(files: files, fileSystem: recorder)
            model = DeploymentModelBuilder(workspace: roundWorkspace, knowledge: knowledge,
                                           rootInputs: options.rootInputs, budget: budget, workers: options.workers, eagerLocals: options.eagerLocals).build()
            let calls = model.calls.count
            progress?.update { $0.moduleCalls = callsBefore + calls; $0.step = "modelling" }
            guard round < 4 else { break }
            let reached = recorder.paths.union(Reach.namedByFleets(model, candidates: pending.keys, workers: options.workers))
            let batch = reached.sorted().compactMap { pending.removeValue(forKey: $0) }
            if batch.isEmpty { break }
            load(batch)
        }
        // The last round's workspace holds these files (nothing is loaded after it is built): its
        // index is kept, and it reads through the file system itself rather than the recorder.
        var workspace = roundWorkspace
        roundWorkspace = Workspace(files: [:], fileSystem: fileSystem)
        workspace.fileSystem = fileSystem
        pending[GateConfig.fileName] = nil   // read above, as the configuration
        var notReached: [String: Int] = [:]
        for d in pending.values { if let kind = Reach.countedKind(d) { notReached[kind, default: 0] += 1 } }
        let deployment = DeploymentScope(model: model)
        for path in workspace.sortedPaths {
            let file = workspace[path]!
            for d in file.diagnostics {
                var f = diagnosticFinding(d, ruleId: d.code ?? "CORE-001")
                if !deployment.reportsParseErrors(in: file) {
                    // Terraform would fail too, but not in the runner deployment: a note at most.
                    f.severity = .note
                    f.message += " (outside the runner deployment: no runner module call in this Terraform root)"
                }
                findings.append(f)
            }
        }
        for d in model.diagnostics { findings.append(diagnosticFinding(d, ruleId: d.code ?? "CORE-003")) }

        progress?.step("checking")
        let scripts = ParallelLoader.analyseScripts(workspace, workers: options.workers)
        // What the script scanners could not read (an unterminated here-document or quote swallows
        // the rest of the script): warnings, since the shell may still run the script, but the
        // audit's reading of it stops there.
        for path in scripts.keys.sorted() {
            for d in scripts[path]!.diagnostics {
                var f = diagnosticFinding(d)
                f.severity = .warning
                findings.append(f)
            }
        }
        let spentBeforeFacts = budget.isSpent
        var context = RuleContext(workspace: workspace, model: model, knowledge: knowledge, target: target,
                                  fromOverride: options.fromOverride, scripts: scripts, workers: options.workers)
        // The run's facts are worked out on every core too: a budget they ran out of cut short
        // evaluations that depend on the scheduling, so the audit is done again on one worker.
        if workers > 1, !spentBeforeFacts, budget.isSpent { return nil }
        // The rules are independent readers of the context, run on every core and taken in rule
        // order. Their evaluations share the run's budget: while it lasts, each evaluation is the
        // same whatever the order (locals are evaluated once, by whichever rule asks first), so
        // the findings are too. A budget the rules run out of would cut short evaluations that
        // depend on the scheduling: then the whole audit is done again on one worker, as a
        // one-worker run does it. A budget spent before the rules stops every evaluation at once,
        // and the rules run in order.
        let activeRules = rules.filter { !$0.emits.allSatisfy({ options.disabledRules.contains($0.rawValue) }) }
        if workers > 1, !budget.isSpent {
            let perRule = Parallel.map(activeRules, workers: workers) { [context] in $0.check(context) }
            if budget.isSpent { return nil }
            for ruleFindings in perRule { findings += ruleFindings }
        } else {
            for rule in activeRules { findings += rule.check(context) }
        }
        // The model's summary and what could not be resolved read each fleet's boot: taken from
        // the facts while they are there (resolved again after, it was a tenth of the time after
        // the rules), then the facts are released.
        let summaries = ModelSummary.summaries(model, context: context, workers: options.workers)
        let unresolved = ModelSummary.unresolved(model, context: context, workers: options.workers)
        context.releaseFacts()
        // What evaluating the locals only the rules needed reported (those the model needed are
        // among its diagnostics).
        let modelDiagnostics = Set(model.diagnostics)
        for scope in model.scopes {
            for d in scope.localDiagnostics where !modelDiagnostics.contains(d) { findings.append(diagnosticFinding(d, ruleId: d.code ?? "CORE-003")) }
        }
        // Limits the rules' own evaluations ran into (those of the model are among its diagnostics).
        for d in budget.exceeded where !model.diagnostics.contains(d) { findings.append(diagnosticFinding(d, ruleId: DiagnosticCode.limit)) }
        findings = findings.filter { !options.disabledRules.contains($0.ruleId) }

        // Inline suppressions.
        let (kept, suppressed) = applySuppressions(findings, workspace: workspace, known: known, options: options)
        findings = kept

        let requireModule = options.requireModule ?? config.requireModule?.value ?? false
        for i in findings.indices {
            if requireModule, findings[i].ruleId == RuleID.core008.rawValue { findings[i].severity = .error; continue }
            if let s = options.severityOverrides[findings[i].ruleId], !findings[i].tags.contains("parse") { findings[i].severity = s }
        }
        var legacyFingerprints: [String: String] = [:]
        findings = Self.finalise(findings, workspace: workspace, legacy: &legacyFingerprints, workers: options.workers)
        var dismissed: [DismissedFinding] = []
        for (i, f) in Self.finalise(suppressed.map(\.finding), workspace: workspace, legacy: &legacyFingerprints, dedupe: false, workers: options.workers).enumerated() {
            dismissed.append(DismissedFinding(f.redacted, kind: .inSource, justification: suppressed[i].justification))
        }
        dismissed.sort { Finding.ordered($0.finding, $1.finding) }
        // Fixes keep the original text for `fix` (which writes it back into the user's files);
        // nothing a user's files hold as a secret may reach a report, a log or a terminal.
        let unmaskedFixes = Dictionary(findings.compactMap { f in f.fix.map { (f.fingerprint, $0) } }, uniquingKeysWith: { a, _ in a })
        findings = Parallel.map(findings, workers: options.workers) { $0.redacted }

        var byKind: [String: Int] = [:]
        for f in files.values { byKind[f.kind.rawValue, default: 0] += 1 }
        var report = Report(
            toolVersion: toolVersion,
            target: target.description == "latest" ? knowledge.latest.version.description : target.description,
            filesScanned: files.count, filesByKind: byKind, filesNotReached: notReached,
            modules: summaries,
            findings: findings, rules: knowledge.descriptors)
        report.commit = GitHead.commit(in: fileSystem)
        report.checklist = Checklist.plan(findings: findings, calls: model.calls, knowledge: knowledge,
                                          target: ModuleVersion(report.target) ?? knowledge.latest.version, hidden: dismissed.map(\.finding),
                                          pinned: target == .pinned)
        report.dismissed = dismissed
        report.unresolved = unresolved
        // The files the findings point into, with their secrets masked (on every core: masking
        // reads each whole file).
        var sourcePaths: Set<String> = []
        for f in findings {
            for path in [f.location.path] + f.related.map(\.location.path) where path != GateConfig.fileName || configSource != nil {
                sourcePaths.insert(path)
            }
        }
        let orderedSourcePaths = sourcePaths.sorted()
        let masked = Parallel.map(orderedSourcePaths, workers: options.workers) { [configSource, workspace] path in
            (path == configSource?.path ? configSource : workspace.source(path))?.redacted
        }
        var sources: [String: SourceFile] = [:]
        for (i, path) in orderedSourcePaths.enumerated() { sources[path] = masked[i] }
        var result = AuditResult(report: report, config: config, workspace: workspace, model: model, sources: sources,
                                 unmaskedFixes: unmaskedFixes, legacyFingerprints: legacyFingerprints,
                                 releases: knowledge.releases.map(\.version))
        result.evaluationSteps = budget.stepsUsed
        for scope in model.scopes {
            let (evaluated, declared) = scope.localsEvaluated
            result.localsEvaluated += evaluated
            result.localsDeclared += declared
        }
        return result
    }

    /// CORE-005 for a config path that leaves the scan root (the file is not read).
    func escapingPathFinding(_ key: String, _ path: Located<String>, _ escape: ScanRootPath.Escape) -> Finding {
        coreFinding(GateRules.configProblem, "`\(key)` entry `\(path.value)` \(escape.explanation); it was not read", at: path.range,
                    detail: "Paths in `\(GateConfig.fileName)` name files of the audited repository and must stay inside it. Use a path relative to the scan root, or give a file elsewhere on the command line (`--baseline`, `--var-file`).")
    }

    /// Reads `ghr-audit:ignore` directives from every file that can hold comments and applies them.
    func applySuppressions(_ findings: [Finding], workspace: Workspace, known: KnownRuleIds, options: AuditOptions)
        -> (kept: [Finding], suppressed: [(finding: Finding, justification: String)])
    {
        var suppressions: [Suppression] = []
        var problems: [Suppression.Problem] = []
        for path in workspace.sortedPaths {
            let file = workspace[path]!
            // On the bytes: decoding every file's text to look was a copy of the whole input.
            guard file.source.bytes.containsBytes("ghr-audit:") else { continue }
            let language: SuppressionLanguage
            switch file.kind {
            case .terraform, .tfvars, .packer: language = .hcl
            case .yaml: language = .yaml
            case .bash: language = .bash
            case .powershell: language = .powershell
            default: continue
            }
            let (s, p) = Suppression.parse(file.source, language: language)
            suppressions += s
            problems += p
        }
        guard !suppressions.isEmpty || !problems.isEmpty else { return (findings, []) }
        let parseRules = Set(knowledge.rules.filter { $0.tags.contains(.parse) }.map(\.id))
        // A directive for the boot rehearsal's findings is unused only when the rehearsal ran.
        let ran = Set(rules.flatMap(\.emits).map(\.rawValue))
        let rehearsal = Set(RuleRegistry.rehearsalIds.map(\.rawValue))
        let result = Suppression.apply(
            findings: findings, suppressions: suppressions, problems: problems, knownRuleIds: known, today: options.today,
            unsuppressible: { parseRules.contains($0) },
            isEnabled: { !options.disabledRules.contains($0) && (ran.contains($0) || !rehearsal.contains($0)) })
        let generated = result.generated.filter { !options.disabledRules.contains($0.ruleId) }.map { f -> Finding in
            // Severity and tags of Gate's findings come from the catalogue like every other rule's.
            var f = f
            if let meta = knowledge.rule(id: f.ruleId) { f.tags = meta.tags.map(\.rawValue) }
            return f
        }
        return (result.kept + generated, Array(zip(result.suppressed, result.reasons)).map { ($0.0, $0.1) })
    }

    /// A config `vars` value as the text `--var` would carry.
    static func text(of v: ConfigValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return s
        case .list(let l): return "[" + l.map { quoted($0) }.joined(separator: ", ") + "]"
        case .map(let m): return "{" + m.keys.sorted().map { "\($0) = \(quoted(m[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    static func quoted(_ v: ConfigValue) -> String {
        if case .string(let s) = v { return "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        return text(of: v)
    }

    func coreFinding(_ id: String, _ message: String, at range: SourceRange, detail: String? = nil) -> Finding {
        let meta = knowledge.rule(id: id)
        return Finding(ruleId: id, severity: meta?.severity ?? .error, tags: meta?.tags.map(\.rawValue) ?? ["parse"], message: message, detail: detail, location: range)
    }

    func diagnosticFinding(_ d: Diagnostic, ruleId: String = "CORE-001") -> Finding {
        var f = coreFinding(ruleId, d.summary, at: d.range, detail: d.detail)
        if ruleId == "CORE-001" { f.severity = d.severity == .error ? .error : .warning }
        return f
    }

    /// Sorts, removes duplicates (unless `dedupe` is false, when the order is kept too) and
    /// computes fingerprints (stable across line shifts and target changes), recording each
    /// finding's format-1 fingerprint in `legacy`.
    static func finalise(_ findings: [Finding], workspace: Workspace, legacy: inout [String: String], dedupe: Bool = true,
                         workers: Int? = nil) -> [Finding] {
        var sorted = findings
        if dedupe {
            sorted.sort(by: Finding.ordered)
            var unique: [Finding] = []
            for f in sorted where unique.last.map({ !($0.ruleId == f.ruleId && $0.location == f.location && $0.message == f.message) }) ?? true {
                unique.append(f)
            }
            sorted = unique
        }
        // Each finding's lines (its first and up to four more), read once per distinct range of
        // lines and identified by their text; then its occurrence among findings with the same
        // key (in order); then the hashes, each finishing the hashed rule, file and lines that its
        // findings share (on every core: they do not depend on one another). Findings on one
        // long line (a minified `.tf.json`) each held and hashed a copy of it: 6,000 findings on
        // a 400 KB line took 2.4 GB and 48 s.
        let finding = sorted
        struct Lines: Hashable {
            var path: String
            var first: Int
            var last: Int
        }
        var ranges = Distinct<Lines>()
        let rangeOf = finding.map { f in
            ranges.id(Lines(path: f.location.path, first: f.location.start.line,
                            last: max(f.location.start.line, min(f.location.end.line, f.location.start.line + 4))))
        }
        let rangeTexts = Parallel.map(ranges.values, workers: workers) { r -> String in
            workspace.source(r.path).map { src in (r.first...r.last).map { src.lineText($0) }.joined(separator: "\n") } ?? ""
        }
        // Equal texts are one construct, wherever they are.
        var texts = Distinct<String>()
        let textOfRange = rangeTexts.map { texts.id($0) }
        let textOf = rangeOf.map { textOfRange[$0] }
        struct Key: Hashable {
            var ruleId: String
            var path: String
            var text: Int
            var rest: String
        }
        var seenLegacy: [Key: Int] = [:]
        var seen: [Key: Int] = [:]
        var occurrences: [(stable: Int, legacy: Int)] = []
        occurrences.reserveCapacity(finding.count)
        // The hashed rule, file and lines: `rest` is empty.
        var prefixKeys = Distinct<Key>()
        var prefixOf: [Int] = []
        prefixOf.reserveCapacity(finding.count)
        for (i, f) in finding.enumerated() {
            let legacyKey = Key(ruleId: f.ruleId, path: f.location.path, text: textOf[i], rest: f.message)
            let legacyOccurrence = seenLegacy[legacyKey, default: 0]
            seenLegacy[legacyKey] = legacyOccurrence + 1
            let key = Key(ruleId: f.ruleId, path: f.location.path, text: textOf[i], rest: Fingerprint.subject(of: f.message).joined(separator: "\u{1E}"))
            let occurrence = seen[key, default: 0]
            seen[key] = occurrence + 1
            occurrences.append((occurrence, legacyOccurrence))
            prefixOf.append(prefixKeys.id(Key(ruleId: f.ruleId, path: f.location.path, text: textOf[i], rest: "")))
        }
        let normalisedTexts = Parallel.map(texts.values, workers: workers) { Fingerprint.normalised($0) }
        let prefixes = Parallel.map(prefixKeys.values, workers: workers) { k -> (stable: Fingerprint.Prefix, legacy: Fingerprint.Prefix) in
            (Fingerprint.Prefix.stable(ruleId: k.ruleId, path: k.path, normalisedConstruct: normalisedTexts[k.text]),
             Fingerprint.Prefix.legacy(ruleId: k.ruleId, path: k.path, normalisedLineText: normalisedTexts[k.text]))
        }
        let prints = Parallel.map(finding.count, workers: workers) { [occurrences, prefixOf] i -> (stable: String, legacy: String) in
            let f = finding[i]
            let prefix = prefixes[prefixOf[i]]
            return (Fingerprint.stable(prefix.stable, message: f.message, occurrence: occurrences[i].stable),
                    Fingerprint.compute(prefix.legacy, message: f.message, occurrence: occurrences[i].legacy))
        }
        for i in sorted.indices {
            sorted[i].fingerprint = prints[i].stable
            legacy[prints[i].stable] = prints[i].legacy
        }
        return sorted
    }
}

/// Distinct values in the order first seen, each known by its index.
struct Distinct<T: Hashable> {
    private var ids: [T: Int] = [:]
    private(set) var values: [T] = []

    /// The index of `value`, added when new.
    mutating func id(_ value: T) -> Int {
        if let id = ids[value] { return id }
        ids[value] = values.count
        values.append(value)
        return values.count - 1
    }
}

public enum ToolInfo {
    public static let name = "ghr-audit"
    public static let version = "0.1.0"
    public static let informationURI = "https://github.com/ghr-audit/ghr-audit"
}

/// Reading, parsing and script analysis spread over the cores.
enum ParallelLoader {
    enum Loaded: Sendable {
        case file(WorkspaceFile)
        /// The path, why, and where in the file when the problem has a place (an invalid byte).
        case unreadable(String, String, SourceRange? = nil)
        case skipped
    }

    static func load(_ found: [DiscoveredFile], fileSystem: any FileSystem, progress: AuditProgress? = nil, workers: Int? = nil) -> [Loaded] {
        Parallel.map(found, workers: workers) { d in
            let loaded = loadOne(d, fileSystem: fileSystem)
            if case .file = loaded { progress?.fileParsed() }
            return loaded
        }
    }

    static func loadOne(_ d: DiscoveredFile, fileSystem: any FileSystem) -> Loaded {
        // Files whose name says nothing are read only when they may be scripts (a shebang) or templates.
        let mayBeScript = d.kind == nil
        // The size is known before anything is read (a sparse multi-gigabyte file is never read).
        let data: Data
        switch fileSystem.load(d.path) {
        case .data(let bytes): data = bytes
        case .tooLarge: return d.kind == nil ? .skipped : .unreadable(d.path, "file is larger than \(Discovery.maxFileSize >> 20) MiB and was not read")
        case .unreadable: return .unreadable(d.path, "file could not be read")
        }
        if mayBeScript {
            // Cheap test before decoding: scripts start with `#!` or are templates.
            guard d.isTemplate || data.starts(with: Array("#!".utf8)) else { return .skipped }
        }
        guard let source = SourceFile(path: d.path, data: data) else {
            if mayBeScript && !d.isTemplate { return .skipped }
            return .unreadable(d.path, "file is not valid UTF-8", SourceFile.firstInvalidUTF8(in: data, path: d.path))
        }
        var kind = d.kind
        if kind == nil {
            let trimmed = source.text.drop(while: { $0.isWhitespace })
            if d.isTemplate, trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
                kind = .json
            } else {
                kind = FileKind.scriptKind(ofContent: source.text, isTemplate: d.isTemplate)
            }
        }
        guard let kind else { return .skipped }
        return .file(WorkspaceFile.parse(source, kind: kind, isTemplate: d.isTemplate))
    }

    /// The analysis of every script. Unless `keepingScans`, each report keeps only its conclusions
    /// (what the rules read), not the scan (many times the script's size).
    static func analyseScripts(_ workspace: Workspace, workers: Int? = nil, keepingScans: Bool = false) -> [String: ScriptReport] {
        // By kind from the workspace's index, in path order (not a copy of every file, filtered).
        let scripts = workspace.paths(ofKinds: [.bash, .powershell]).map { workspace[$0]! }
        let reports = Parallel.map(scripts, workers: workers) { f in
            let template = f.isTemplate || TemplateDetection.looksLikeTemplate(f.source.text)
            let report = ScriptAnalysis.analyze(f.source, language: f.kind == .powershell ? .powershell : .bash, template: template)
            return keepingScans ? report : report.releasingScan()
        }
        var out: [String: ScriptReport] = [:]
        for (i, r) in reports.enumerated() { out[scripts[i].path] = r }
        return out
    }
}
