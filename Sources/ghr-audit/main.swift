import ArgumentParser
import AuditCore
import Engine
import Foundation
import HCL
import Knowledge
import Reporters
import Rules
import Terraform

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit codes: 0 nothing at or above the threshold, 1 findings at or above it, 2 usage or
/// environment error.
enum Exit {
    static let clean: Int32 = 0
    static let findings: Int32 = 1
    static let environment: Int32 = 2
}

/// A problem with the environment or the command line: printed to stderr, exit code 2.
struct EnvironmentError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct GHRAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ghr-audit",
        abstract: "Audit a terraform-aws-github-runner deployment before a module upgrade.",
        version: ToolInfo.version,
        subcommands: [Check.self, Rules.self, Explain.self, Version.self],
        defaultSubcommand: Check.self)
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

enum FailOn: String, ExpressibleByArgument, CaseIterable {
    case error, warning, note, none

    func fails(_ findings: [Finding]) -> Bool {
        switch self {
        case .none: false
        case .error: findings.contains { $0.severity == .error }
        case .warning: findings.contains { $0.severity >= .warning }
        case .note: !findings.isEmpty
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Audit one or more repositories (default: the current directory).")

    @Argument(help: "Repositories or folders to audit.")
    var paths: [String] = ["."]

    @Option(help: "Module release to audit against: a version such as 4.0.1, `latest` (the newest release known), or `pinned` (each module call at the version it pins).")
    var target: String = "latest"

    @Option(help: "Override the detected current module version of every call.")
    var from: String?

    @Option(name: .customLong("var-file"), help: "A Terraform variables file (repeatable; later files win).")
    var varFiles: [String] = []

    @Option(name: .customLong("var"), help: "A variable value NAME=VALUE (repeatable; wins over files).")
    var vars: [String] = []

    @Option(help: "Output format: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: OutputFormat = .text

    @Option(help: "Write the report to FILE instead of standard output.")
    var output: String?

    @Option(name: .customLong("fail-on"), help: "Lowest severity that makes the exit code 1: error, warning, note or none.")
    var failOn: FailOn = .error

    @Flag(name: .customLong("no-color"), help: "Never colour the text output (NO_COLOR is honoured too).")
    var noColor = false

    func validate() throws {
        guard TargetSelection(target) != nil else {
            throw ValidationError("`--target \(target)` is not a release (like 4.0.1), `latest` or `pinned`")
        }
        if let from, ModuleVersion(from) == nil { throw ValidationError("`--from \(from)` is not a release such as 3.6.1") }
        for v in vars where !v.contains("=") { throw ValidationError("`--var \(v)` must have the form NAME=VALUE") }
    }

    func run() throws {
        let knowledge = try loadKnowledge()
        let selection = TargetSelection(target)!
        if case .version(let v) = selection, knowledge.release(version: v) == nil {
            let near = knowledge.releases.map(\.version).min { abs(distance($0, v)) < abs(distance($1, v)) }
            throw EnvironmentError("`--target \(v)` is not a release of terraform-aws-github-runner known to ghr-audit" + (near.map { "; the nearest is \($0)" } ?? ""))
        }
        var varFileSources: [HCLFileBox] = []
        for path in varFiles {
            guard let data = FileManager.default.contents(atPath: path) else { throw EnvironmentError("cannot read --var-file \(path)") }
            guard let src = SourceFile(path: path, data: data) else { throw EnvironmentError("--var-file \(path) is not valid UTF-8") }
            varFileSources.append(HCLFileBox(source: src))
        }
        let inputs = RootInputs(
            varFiles: varFileSources.map(\.parsed),
            vars: vars.map { v in
                let i = v.firstIndex(of: "=")!
                return (String(v[..<i]), String(v[v.index(after: i)...]))
            },
            environment: ProcessInfo.processInfo.environment)
        let options = AuditOptions(target: selection, fromOverride: from.flatMap(ModuleVersion.init), rootInputs: inputs)
        let auditor = Auditor(knowledge: knowledge)

        var merged: AuditResult?
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw EnvironmentError("`\(path)` is not a directory that can be read")
            }
            let fs = LocalFileSystem(root: URL(fileURLWithPath: path))
            var result = auditor.audit(fileSystem: fs, options: options)
            if paths.count > 1 { result = result.prefixingPaths(with: path) }
            merged = merged.map { $0.merging(result) } ?? result
        }
        guard let result = merged else { return }

        let color = format == .text && output == nil && !noColor
            && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
        let text = render(result.report, as: format, options: RenderOptions(color: color, sources: result.sources))
        if let output {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw EnvironmentError("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            writeStdout(text)
        }
        if failOn.fails(result.report.findings) { throw ExitCode(Exit.findings) }
    }

    private func distance(_ a: ModuleVersion, _ b: ModuleVersion) -> Int {
        (a.major - b.major) * 10_000 + (a.minor - b.minor) * 100 + (a.patch - b.patch)
    }
}

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the rule catalogue.")

    @Option(help: "text or json")
    var format: String = "text"

    func run() throws {
        let kb = try loadKnowledge()
        let rules = kb.descriptors.sorted { $0.id < $1.id }
        switch format {
        case "json":
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let rows = rules.map { ["id": $0.id, "severity": $0.severity.rawValue, "tags": $0.tags.joined(separator: ","), "summary": $0.summary, "title": $0.title] }
            writeStdout(String(decoding: try enc.encode(rows), as: UTF8.self) + "\n")
        case "text":
            let idWidth = rules.map(\.id.count).max() ?? 8
            for r in rules {
                let pad = String(repeating: " ", count: idWidth - r.id.count)
                let sev = r.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                writeStdout("\(r.id)\(pad)  \(sev) [\(r.tags.joined(separator: ","))] \(r.summary)\n")
            }
        default:
            throw ValidationError("`--format \(format)`: expected `text` or `json`")
        }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a rule's documentation.")

    @Argument(help: "A rule id such as JIT-101.")
    var ruleId: String

    func run() throws {
        let kb = try loadKnowledge()
        guard let rule = kb.rule(id: ruleId.uppercased()) else {
            let ids = kb.rules.map(\.id)
            let hint = kb.suggestion(for: ruleId.uppercased(), among: ids).map { "; did you mean `\($0)`?" } ?? ""
            throw EnvironmentError("no rule `\(ruleId)`\(hint) (`ghr-audit rules` lists them)")
        }
        writeStdout(RuleDocRenderer.render(rule))
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version and the newest module release known.")

    func run() throws {
        let kb = try loadKnowledge()
        writeStdout("ghr-audit \(ToolInfo.version) (knows terraform-aws-github-runner up to v\(kb.latest.version))\n")
    }
}

/// Parses a var file as HCL or JSON by name.
struct HCLFileBox {
    var parsed: HCLFile
    init(source: SourceFile) {
        parsed = source.path.hasSuffix(".json") ? HCLJSONParser.parse(source) : HCLParser.parse(source)
    }
}

// Exit codes: ArgumentParser's usage errors become 2, as do environment errors; findings are 1.
do {
    var command = try GHRAudit.parseAsRoot()
    try command.run()
} catch let error as EnvironmentError {
    writeStderr("ghr-audit: error: \(error.description)\n")
    exit(Exit.environment)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = GHRAudit.exitCode(for: error)
    if code == .success {
        writeStdout(GHRAudit.fullMessage(for: error) + "\n")
        exit(Exit.clean)
    }
    writeStderr(GHRAudit.fullMessage(for: error) + "\n")
    exit(Exit.environment)
}
