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

// The command line only: argument declarations, help, calls and printing, a file per command.
// What the commands do lives in the libraries, with tests: Engine (AuditArguments, Invocation,
// AuditRun.check, Checklist, FixPlan, ModuleSchema, ExitStatus), Reporters (OutputPlan,
// RenderOptions), Probe (the probe's options and run), Rehearsal (the rehearse command's run).

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

// Fewer malloc arenas than glibc's default: less memory kept free per thread (`Allocator`).
Allocator.limitArenas()

// Inside a rehearsal sandbox this binary also plays the commands a boot touches (`curl`, `aws`,
// `config.sh`, …): started under such a name with GHR_REHEARSAL set, it is that stub and nothing else.
if let stub = RehearsalStub.name(forArgv0: CommandLine.arguments[0], environment: ProcessInfo.processInfo.environment) {
    exit(RehearsalStub.main(name: stub, args: Array(CommandLine.arguments.dropFirst()), argv0: CommandLine.arguments[0]))
}

// Exit statuses: ArgumentParser's usage errors become 2, as do environment errors; findings are 1.
do {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments == ["version"] {
        // Just `version`: no need to build the argument parser's tree of every command (a third
        // of that command's instructions).
        try VersionCommand().run()
    } else if arguments.first == "check", var check = try? CheckCommand.parse(Array(arguments.dropFirst())) {
        // `check` named first, as CI and pre-commit run it, and its arguments valid: parsed as a
        // command of its own. Through the root the argument parser reflects over the root's and
        // `check`'s options several times (a fifth of an empty scan's instructions). Anything
        // else (help, a mistake, an option of the root) goes through the root below, which says
        // what it always said.
        try check.run()
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
    // A library's usage error is shown as the argument parser shows its own.
    let error: any Error = (error as? UsageError).map { ValidationError($0.description) } ?? error
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
