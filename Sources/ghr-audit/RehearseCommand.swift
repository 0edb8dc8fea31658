import ArgumentParser
import AuditCore
import Engine
import Foundation
import Rehearsal

extension ShellChoice: ExpressibleByArgument {}
extension RehearsalFormat: ExpressibleByArgument {}

/// `--timeout 20s` or `--timeout 20`.
struct Seconds: ExpressibleByArgument {
    var value: Double
    init?(argument: String) {
        guard let v = RehearsalTimeout.seconds(argument) else { return nil }
        value = v
    }
}

/// The rehearsal as a rule of the audit (`rehearse`, `check --rehearse`), or nil after saying why
/// it cannot run here (unless `quiet`).
func rehearsalRule(shell: ShellChoice, timeout: Double, quiet: Bool) -> RehearsalRule? {
    RehearsalRule.onThisMachine(shell: shell, timeout: timeout) { if !quiet { writeStderr($0 + "\n") } }
}

struct RehearseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Run each Linux fleet's start script in a bubblewrap sandbox and show which registration contract it follows.")

    @Argument(help: "The repository to rehearse (default: the current directory).")
    var path: String = "."

    @OptionGroup var flags: AuditFlags

    @Option(help: "`/bin/sh` in the sandbox: auto (dash for Ubuntu fleets, else bash), bash, dash or both.")
    var shell: ShellChoice = .auto

    @Option(help: "Seconds a run may take before it counts as never starting (`20s` or `20`, at most 600).")
    var timeout: Seconds = Seconds(argument: "20")!

    @Option(help: "Output format: text or json.")
    var format: RehearsalFormat = .text

    @Option(help: "Findings recorded in this baseline file (`check --write-baseline`) do not fail the run; default: the configuration's `baseline`.")
    var baseline: String?

    func run() throws {
        let knowledge = try loadKnowledge()
        // The progress line covers the audit and the sandbox runs (the rehearsal is one of its rules);
        // `--quiet` keeps the verdicts and says nothing else (not even why the sandbox cannot run).
        guard let rule = rehearsalRule(shell: shell, timeout: timeout.value, quiet: flags.quiet) else { return }
        let audit = try flags.audit(paths: [path], knowledge: knowledge, extraRules: [rule])
        // Inline suppressions and baselines apply to the rehearsal's findings as to any other.
        let commandLine = try baseline.map { path throws in try Invocation.baselineInUse(path, host: LocalHostFiles()) }
        let outcome = RehearsalOutcome(audit, rule: rule, baseline: commandLine)
        writeStdout(outcome.rendered(format))
        if outcome.status != .clean { throw ExitCode(outcome.status.rawValue) }
    }
}
