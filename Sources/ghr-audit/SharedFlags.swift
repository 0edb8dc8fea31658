import ArgumentParser
import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Reporters
import Rules

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension OutputFormat: ExpressibleByArgument {}
extension ColorChoice: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}
extension FailThreshold: ExpressibleByArgument {}

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
        do {
            return try OutputPlan.pair(arguments: Array(CommandLine.arguments.dropFirst()), parsedFormats: format, outputs: output)
        } catch { throw ValidationError(error.description) }
    }

    func filter(_ knowledge: KnowledgeBase) throws -> FindingFilter { try filterFlags.filter(knowledge) }

    /// Prints `outcome`'s report (what `filter` keeps) in every format of `plan`, to its file or
    /// stdout, and ends the run with its exit status.
    func finish(_ outcome: GateOutcome, plan: OutputPlan, filter: FindingFilter, sources: [String: SourceFile], quiet: Bool) throws {
        let options = RenderOptions.commandLine(color: color, noColor: noColor, standardOutputIsTerminal: isatty(STDOUT_FILENO) == 1,
                                                environment: ProcessInfo.processInfo.environment, sources: sources,
                                                informationURI: ToolInfo.informationURI, failOn: outcome.threshold.lowestFailing,
                                                showSuppressed: showSuppressed, quiet: quiet)
        try plan.render(filter.apply(to: outcome.report), options: options) { output in
            if let file = output.file { try writeUserFile(Data(output.text.utf8), to: file) } else { writeStdout(output.text) }
        }
        if outcome.status != .clean { throw ExitCode(outcome.status.rawValue) }
    }
}

/// The options `check`, `checklist`, `fix`, `rehearse` and `probe` share: what to audit and how.
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

    @Flag(name: [.customShort("q"), .long], help: "Print the findings (or the command's output) and errors only: no progress line, summary line or notes.")
    var quiet = false

    var arguments: AuditArguments {
        AuditArguments(target: target, from: from, varFiles: varFiles, vars: vars, config: config, requireModule: requireModule, jobs: jobs)
    }

    func validate() throws {
        do { try arguments.validate() } catch { throw ValidationError(error.description) }
    }

    /// Runs `body` with the progress line on stderr: drawn when stderr is a terminal and the run
    /// has taken a second, never under `--quiet`, erased before `body` returns.
    func withProgress<T>(_ body: (AuditProgress) throws -> T) rethrows -> T {
        let display = ProgressDisplay(isTerminal: isatty(STDERR_FILENO) == 1, quiet: quiet, now: ProgressDisplay.monotonic, write: writeStderr)
        return try display.around { try body(display.progress) }
    }

    /// The audit of `paths` with the progress line.
    func audit(paths: [String], knowledge: KnowledgeBase, extraRules: [any Rule] = [], host: any HostFiles = LocalHostFiles()) throws -> AuditRun {
        try withProgress { progress in
            try Invocation.audit(arguments.request(paths: paths, environment: ProcessInfo.processInfo.environment, extraRules: extraRules, progress: progress),
                                 knowledge: knowledge, host: host)
        }
    }

    /// A note for stderr, unless `--quiet`.
    func note(_ text: String) {
        if !quiet { writeStderr(text) }
    }
}
