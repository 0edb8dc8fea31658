import ArgumentParser
import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Rehearsal
import Reporters
import Rules

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The command line only: parsing arguments and printing. What the commands do lives in Engine
// (Invocation, FixPlan, ModuleSchema, ExitStatus), Gate and Reporters (OutputPlan), with tests.

struct GHRAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ghr-audit",
        abstract: "Audit a terraform-aws-github-runner deployment before a module upgrade.",
        version: ToolInfo.version,
        subcommands: [CheckCommand.self, ChecklistCommand.self, FixCommand.self, ProbeCommand.self, RehearseCommand.self, RulesCommand.self, ExplainCommand.self,
                      SchemaCommand.self, VersionCommand.self],
        defaultSubcommand: CheckCommand.self)
}

/// Loads the knowledge base or fails with an environment error.
func loadKnowledge() throws -> KnowledgeBase {
    do { return try KnowledgeBase.load() } catch { throw EnvironmentError("the embedded knowledge base could not be loaded: \(error)") }
}

func writeStdout(_ s: String) {
    FileHandle.standardOutput.write(Data(s.utf8))
}

func writeStderr(_ s: String) {
    FileHandle.standardError.write(Data(s.utf8))
}

/// Writes a file the user named (a report, a baseline, a checklist).
func writeUserFile(_ data: Data, to path: String, what: String = "") throws {
    do { try AtomicWriter.write(data, to: URL(fileURLWithPath: path)) } catch { throw EnvironmentError("cannot write \(what)\(path): \(error)") }
}

extension OutputFormat: ExpressibleByArgument {}
extension ColorChoice: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}

/// `--min-severity`, `--rule`, `--skip-rule`: what `check` and `checklist` show and which fixes
/// `fix` applies (never what the gate judges).
struct FilterFlags: ParsableArguments {
    @Option(name: .customLong("min-severity"), help: "Show only findings at or above this severity: note, warning or error (does not change the exit status).")
    var minSeverity: Severity?

    @Option(name: .customLong("rule"), help: "Show only findings of this rule id or tag (repeatable).")
    var rules: [String] = []

    @Option(name: .customLong("skip-rule"), help: "Hide findings of this rule id or tag (repeatable).")
    var skipRules: [String] = []

    func filter(_ knowledge: KnowledgeBase) throws -> FindingFilter {
        try FindingFilter.make(minSeverity: minSeverity, rules: rules, skipRules: skipRules, knowledge: knowledge)
    }
}
extension FailThreshold: ExpressibleByArgument {}

/// The report options `check` and `probe` share: formats and their files, the gate's threshold
/// and baseline, and what is shown (`--show-suppressed`, the display filter, colour).
struct ReportFlags: ParsableArguments {
    @Option(help: "Output format: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")). Repeatable, each followed by its own `--output`.")
    var format: [OutputFormat] = []

    @Option(name: [.customLong("output"), .customShort("o")], help: "Write the report of the preceding `--format` to FILE instead of standard output.")
    var output: [String] = []

    @Option(name: .customLong("fail-on"), help: "Lowest severity that makes the exit code 1: error, warning, note or none (default: the config's `fail_on`, else error).")
    var failOn: FailThreshold?

    @Option(help: "Report only findings that are not in this baseline file.")
    var baseline: String?

    @Flag(name: .customLong("show-suppressed"), help: "List the suppressed and baselined findings too (text, compact, markdown and html; every format counts them).")
    var showSuppressed = false

    @OptionGroup var filterFlags: FilterFlags

    @Option(help: "Colour the text output: auto (on a terminal, unless NO_COLOR is set and not empty or TERM is dumb), always or never.")
    var color: ColorChoice = .auto

    @Flag(name: .customLong("no-color"), help: "Same as `--color never`.")
    var noColor = false

    /// Which format goes where, from the command line as written (`--format F --output FILE` pairs).
    func outputPlan() throws -> OutputPlan {
        let plan: OutputPlan
        do { plan = try OutputPlan.pair(arguments: Array(CommandLine.arguments.dropFirst())) } catch { throw ValidationError(error.description) }
        guard plan.agrees(withParsedFormats: format, outputs: output) else {
            throw ValidationError("cannot tell which `--output` belongs to which `--format`; write `--format F --output FILE` pairs")
        }
        return plan
    }

    func filter(_ knowledge: KnowledgeBase) throws -> FindingFilter { try filterFlags.filter(knowledge) }

    /// `--baseline FILE`, read.
    func commandLineBaseline() throws -> BaselineInUse? {
        try baseline.map { path throws in try Invocation.baselineInUse(path, host: LocalHostFiles()) }
    }

    /// Renders `report` (what `filter` keeps) in every format of `plan`, to its file or stdout.
    func write(_ report: Report, plan: OutputPlan, filter: FindingFilter, sources: [String: SourceFile], threshold: FailThreshold, quiet: Bool) throws {
        let colored = (noColor ? ColorChoice.never : color).enabled(isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
        let options = RenderOptions(color: colored, sources: sources, informationURI: ToolInfo.informationURI,
                                    failOn: Severity(rawValue: threshold.rawValue), showSuppressed: showSuppressed, quiet: quiet)
        for output in plan.render(filter.apply(to: report), options: options) {
            if let file = output.file { try writeUserFile(Data(output.text.utf8), to: file) } else { writeStdout(output.text) }
        }
    }
}

/// The options `check`, `checklist` and `fix` share: what to audit and how.
struct AuditFlags: ParsableArguments {
    @Option(help: "Module release to audit against: a version such as 4.0.1, `latest` (the newest release known), or `pinned` (each module call at the version it pins). Default: the config file's `target`, else `latest`.")
    var target: String?

    @Option(help: "Override the detected current module version of every call.")
    var from: String?

    @Option(name: .customLong("var-file"), help: "A Terraform variables file (repeatable; later files win).")
    var varFiles: [String] = []

    @Option(name: .customLong("var"), help: "A variable value NAME=VALUE (repeatable; wins over files).")
    var vars: [String] = []

    @Option(help: "Configuration file (default: `.ghr-audit.yml` at the scan root).")
    var config: String?

    @Flag(name: .customLong("require-module"), help: "Make \"no runner module call found\" (CORE-008) an error (config: `require_module: true`).")
    var requireModule = false

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Threads that read, parse, model and scan (default: one per core); the report is the same whatever the number.")
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("`--jobs \(jobs)` must be at least 1") }
        if let target, TargetSelection(target) == nil {
            throw ValidationError("`--target \(target)` is not a release (like 4.0.1), `latest` or `pinned`")
        }
        if let from, ModuleVersion(from) == nil { throw ValidationError("`--from \(from)` is not a release such as 3.6.1") }
        for v in vars where AuditRequest.variable(v) == nil { throw ValidationError("`--var \(v)` must have the form NAME=VALUE") }
    }

    func request(paths: [String]) -> AuditRequest {
        AuditRequest(paths: paths, target: target.flatMap(TargetSelection.init), from: from.flatMap(ModuleVersion.init),
                     varFiles: varFiles, vars: vars.compactMap(AuditRequest.variable), config: config,
                     environment: ProcessInfo.processInfo.environment, requireModule: requireModule ? true : nil)
    }

    @Flag(name: [.customShort("q"), .long], help: "Print the findings (or the command's output) and errors only: no progress line, summary line or notes.")
    var quiet = false

    /// Runs `body` with the progress line on stderr: drawn when stderr is a terminal and the run
    /// has taken a second, never under `--quiet`, erased before `body` returns.
    func withProgress<T>(_ body: (AuditProgress) throws -> T) rethrows -> T {
        let display = ProgressDisplay(isTerminal: isatty(STDERR_FILENO) == 1, quiet: quiet, now: ProgressDisplay.monotonic, write: writeStderr)
        return try display.around { try body(display.progress) }
    }

    func audit(paths: [String], knowledge: KnowledgeBase, extraRules: [any Rule] = [], progress: AuditProgress? = nil,
               host: any HostFiles = LocalHostFiles()) throws -> AuditRun {
        var request = request(paths: paths)
        request.extraRules = extraRules
        request.progress = progress
        request.workers = jobs
        return try Invocation.audit(request, knowledge: knowledge, host: host)
    }

    /// `audit` with the progress line.
    func auditShowingProgress(paths: [String], knowledge: KnowledgeBase) throws -> AuditRun {
        try withProgress { try audit(paths: paths, knowledge: knowledge, progress: $0) }
    }

    /// A note for stderr, unless `--quiet`.
    func note(_ text: String) {
        if !quiet { writeStderr(text) }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Audit one or more repositories (default: the current directory).",
        discussion: """
        EXIT STATUS:
          0  nothing at or above the threshold
          1  findings at or above `--fail-on` (default: error)
          2  a usage or environment error

        EXAMPLES:
          ghr-audit check infra/ --target 7.11.0
          ghr-audit check . --format sarif -o audit.sarif --baseline base.json
        """)

    @Argument(help: "Repositories or folders to audit.")
    var paths: [String] = ["."]

    @OptionGroup var flags: AuditFlags

    @OptionGroup var reporting: ReportFlags

    @Option(name: .customLong("write-baseline"), help: "Record the current findings (by fingerprint) in FILE.")
    var writeBaseline: String?

    @Option(name: .customLong("probe-results"), help: "The JSON report of `ghr-audit probe` (`--format json`): the `html` page shows the live fleet beside the repository.")
    var probeResults: String?

    @Flag(name: .customLong("update-baseline"), help: "Rewrite the baseline in use (`--baseline`, else the config's) with the current fingerprints of the findings it still accepts, dropping the entries nothing matches; migrates baselines written by older versions.")
    var updateBaseline = false

    @Flag(help: "Also run each Linux fleet's start script in a bubblewrap sandbox (see `rehearse`) and report what breaks (one path only).")
    var rehearse = false

    func validate() throws {
        if probeResults != nil && !reporting.format.contains(.html) {
            throw ValidationError("`--probe-results` is shown only by the html page: add `--format html`")
        }
        if rehearse && paths.count > 1 { throw ValidationError("`--rehearse` takes one path") }
    }

    func run() throws {
        let plan = try reporting.outputPlan()
        let knowledge = try loadKnowledge()
        let filter = try reporting.filter(knowledge)
        let live = try probeResults.map { path throws in try ProbeResults.read(path, host: LocalHostFiles()) }
        // The rehearsal runs as one more rule, so that suppressions and baselines apply to it.
        let rehearsal = rehearse ? RehearsalRun.rule(shell: .auto, timeout: 20, quiet: flags.quiet) : nil
        let run = try flags.withProgress { progress in
            try flags.audit(paths: paths, knowledge: knowledge, extraRules: rehearsal.map { [$0] } ?? [], progress: progress)
        }
        if let path = writeBaseline { try writeUserFile(Baseline.make(run.result.report.findings), to: path, what: "baseline ") }
        let commandLine = try reporting.commandLineBaseline()
        var report = run.gatedReport(commandLine: commandLine)
        report.live = live
        guard let upkeep = run.baselineUpkeep(commandLine: commandLine, update: updateBaseline) else {
            throw ValidationError("`--update-baseline` needs a baseline: give `--baseline FILE` or name one in the configuration")
        }
        for step in upkeep {
            if let write = step.write { try writeUserFile(write.data, to: write.path, what: "baseline ") }
            flags.note(step.message + "\n")
        }
        report.scannedPaths = paths
        let threshold = ExitStatus.threshold(failOn: reporting.failOn, config: run.result.config)
        try reporting.write(report, plan: plan, filter: filter, sources: run.result.sources, threshold: threshold, quiet: flags.quiet)
        if threshold.fails(report.findings) { throw ExitCode(ExitStatus.findings.rawValue) }
    }
}

struct ChecklistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "checklist", abstract: "Write a Markdown upgrade checklist tailored to the repository.",
        discussion: """
        EXIT STATUS:
          0  the checklist was written
          2  a usage or environment error

        EXAMPLES:
          ghr-audit checklist infra/ --target 7.11.0
          ghr-audit checklist . --target 6.0.0 --rule jit --output UPGRADE.md
        """)

    @Argument(help: "The repository to plan for.")
    var path: String = "."

    @OptionGroup var flags: AuditFlags

    @Option(name: [.customLong("output"), .customShort("o")], help: "Write the checklist to FILE instead of standard output.")
    var output: String?

    @OptionGroup var filterFlags: FilterFlags

    func run() throws {
        let knowledge = try loadKnowledge()
        let filter = try filterFlags.filter(knowledge)
        var result = try flags.auditShowingProgress(paths: [path], knowledge: knowledge).result
        let full = result.report
        result.report = filter.apply(to: full)
        // What the display filter takes out still counts: a major is never "without finding" for it.
        let hidden = (full.findings + full.dismissed.map(\.finding)).filter { !filter.keeps($0) }
        let target = flags.target.flatMap(ModuleVersion.init) ?? ModuleVersion(result.report.target) ?? knowledge.latest.version
        let text = Checklist.render(result, knowledge: knowledge, target: target, hidden: hidden)
        if let output { try writeUserFile(Data(text.utf8), to: output) } else { writeStdout(text) }
    }
}

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fix", abstract: "Print a unified diff of every machine-applicable fix; `--apply` writes the files.",
        discussion: """
        EXIT STATUS:
          0  the diff was printed, or every file was written
          2  a usage or environment error, or a file left unwritten by --apply

        EXAMPLES:
          ghr-audit fix infra/ --target 7.11.0 | git apply
          ghr-audit fix . --rule INP-202 --apply
        """)

    @Argument(help: "The repository to fix.")
    var path: String = "."

    @OptionGroup var flags: AuditFlags

    @Flag(help: "Write the fixed files (atomically, keeping line endings, encoding, owner and mode; only files unchanged since the audit, never through a symbolic link) instead of printing the diff.")
    var apply = false

    @OptionGroup var filterFlags: FilterFlags

    func run() throws {
        let knowledge = try loadKnowledge()
        let filter = try filterFlags.filter(knowledge)
        var result = try flags.auditShowingProgress(paths: [path], knowledge: knowledge).result
        result.report = filter.apply(to: result.report)
        // The fixed files audited again in memory: what the fixes themselves make necessary (a
        // suppression they leave unused) joins the same diff.
        let plan = try FixPlan.settled(result) { changed in
            let host = OverlayHostFiles(base: LocalHostFiles(), root: path, replaced: changed)
            var again = try flags.audit(paths: [path], knowledge: knowledge, host: host).result
            again.report = filter.apply(to: again.report)
            return again
        }
        let output = plan.output(applyingWith: apply ? LocalScanRootWriter(root: URL(fileURLWithPath: path)) : nil, quiet: flags.quiet)
        for line in output.lines {
            switch line.stream {
            case .standardOutput: writeStdout(line.text)
            case .standardError: writeStderr(line.text)
            }
        }
        if output.status != .clean { throw ExitCode(output.status.rawValue) }
    }
}

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "List the rule catalogue.",
        discussion: """
        EXIT STATUS:
          0  the catalogue was printed
          2  a usage error

        EXAMPLES:
          ghr-audit rules
          ghr-audit rules --format json
        """)

    @Option(help: "text or json")
    var format: String = "text"

    func run() throws {
        guard let listing = Catalogue.ListingFormat(rawValue: format) else { throw ValidationError("`--format \(format)`: expected `text` or `json`") }
        writeStdout(Catalogue.listing(try loadKnowledge(), format: listing))
    }
}

enum ExplainFormat: String, ExpressibleByArgument, CaseIterable {
    case text, markdown
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Print a rule's documentation.",
        discussion: """
        EXIT STATUS:
          0  the page was printed
          2  an unknown rule id

        EXAMPLES:
          ghr-audit explain JIT-101
          ghr-audit explain inp-201 --format markdown > INP-201.md
        """)

    @Argument(help: "A rule id such as JIT-101.")
    var ruleId: String

    @Option(help: "text (wrapped to the terminal, default) or markdown (the raw page, as docs/rules/RULE-ID.md holds it).")
    var format: ExplainFormat = .text

    func run() throws {
        let page = try Catalogue.explain(ruleId, knowledge: try loadKnowledge())
        switch format {
        case .markdown: writeStdout(page)
        case .text:
            var size = winsize()
            let columns = isatty(STDOUT_FILENO) == 1 && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 ? Int(size.ws_col) : nil
            writeStdout(MarkdownTerminal.render(page, width: MarkdownTerminal.width(terminalColumns: columns, environment: ProcessInfo.processInfo.environment)))
        }
    }
}

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Inputs of a module checkout.", subcommands: [Extract.self])

    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the inputs (type and default) of a terraform-aws-github-runner checkout as YAML, read with ghr-audit's HCL parser.")

        @Argument(help: "The module checkout (for example `.terraform/modules/runners`).")
        var moduleDirectory: String

        func run() throws {
            guard let fs = LocalHostFiles().scanRoot(moduleDirectory) else { throw EnvironmentError("`\(moduleDirectory)` is not a directory") }
            let (yaml, problems) = ModuleSchema.extract(fs, name: moduleDirectory)
            for p in problems { writeStderr(p + "\n") }
            writeStdout(yaml)
            if !problems.isEmpty { throw EnvironmentError("\(problems.count) parse problem(s) in the module's variables") }
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and the newest module release known.",
        discussion: """
        EXIT STATUS:
          0  always

        EXAMPLES:
          ghr-audit version
          ghr-audit --version
        """)

    func run() throws {
        // Only the release list: decoding the whole knowledge base would be most of the run.
        let latest: ModuleVersion
        do { latest = try KnowledgeBase.latestEmbeddedVersion() } catch { throw EnvironmentError("the embedded knowledge base could not be loaded: \(error)") }
        writeStdout("ghr-audit \(ToolInfo.version) (knows terraform-aws-github-runner up to v\(latest))\n")
    }
}

// Inside a rehearsal sandbox this binary also plays the commands a boot touches (`curl`, `aws`,
// `config.sh`, …): started under such a name with GHR_REHEARSAL set, it is that stub and nothing else.
if let stub = RehearsalStub.name(forArgv0: CommandLine.arguments[0], environment: ProcessInfo.processInfo.environment) {
    exit(RehearsalStub.main(name: stub, args: Array(CommandLine.arguments.dropFirst()), argv0: CommandLine.arguments[0]))
}

// Exit statuses: ArgumentParser's usage errors become 2, as do environment errors; findings are 1.
do {
    if Array(CommandLine.arguments.dropFirst()) == ["version"] {
        // Just `version`: no need to build the argument parser's tree of every command (a third
        // of that command's instructions).
        try VersionCommand().run()
    } else {
        var command = try GHRAudit.parseAsRoot()
        try command.run()
    }
} catch let error as EnvironmentError {
    writeStderr("ghr-audit: error: \(error.description)\n")
    exit(ExitStatus.environment.rawValue)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = GHRAudit.exitCode(for: error)
    if code == .success {
        writeStdout(GHRAudit.fullMessage(for: error) + "\n")
        exit(ExitStatus.clean.rawValue)
    }
    // One error prefix everywhere: the argument parser's "Error: " becomes ours.
    var message = GHRAudit.fullMessage(for: error)
    if message.hasPrefix("Error: ") { message = "ghr-audit: error: " + message.dropFirst("Error: ".count) }
    writeStderr(message + "\n")
    exit(ExitStatus.environment.rawValue)
}
