// ghr-audit-dev: maintenance commands for the ghr-audit package (not shipped).
//
//   swift run ghr-audit-dev extract-knowledge --mirror <bare repo> --lifespans <json> [--root <package>]
//       Regenerates every file of rules/knowledge/ (releases, inputs, renames, script fingerprints and
//       the IAM requirement table) from the module's git mirror and the lifespans data set.
//   swift run ghr-audit-dev generate [--root <package>] [--check]
//       Renders Sources/Knowledge/Generated/EmbeddedData.swift and docs/rules/*.md from rules/.
//       With --check, writes nothing and exits 1 when a generated file is stale.
//   swift run ghr-audit-dev validate [--root <package>]
//       Prints every problem of the rule catalogue and the knowledge data; exits 1 if any.
//   swift build --product ghr-audit && swift run ghr-audit-dev readme-outputs [--root <package>] [--binary <ghr-audit>] [--check]
//       Rewrites every example output of README.md marked `<!-- README-OUTPUT: ARGS -->` with what
//       the built ghr-audit prints for ARGS. With --check, writes nothing and exits 1 when one differs.

import DevTools
import Foundation
import Knowledge

struct UsageError: Error, CustomStringConvertible {
    var description: String
}

func standardError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// `--name value` options and `--flag` switches after the command.
struct Arguments {
    var options: [String: String] = [:]
    var flags: Set<String> = []

    init(_ args: ArraySlice<String>, options allowedOptions: Set<String>, flags allowedFlags: Set<String>) throws {
        var i = args.startIndex
        while i < args.endIndex {
            let a = args[i]
            if allowedFlags.contains(a) {
                flags.insert(a)
                i += 1
            } else if allowedOptions.contains(a) {
                guard i + 1 < args.endIndex else { throw UsageError(description: "\(a) needs a value") }
                options[a] = args[i + 1]
                i += 2
            } else {
                let known = (allowedOptions.union(allowedFlags)).sorted().joined(separator: ", ")
                throw UsageError(description: "unknown argument `\(a)`; expected \(known)")
            }
        }
    }

    func root() -> URL {
        URL(fileURLWithPath: options["--root"] ?? FileManager.default.currentDirectoryPath)
    }
}

func extractKnowledge(_ args: Arguments) throws -> Int32 {
    guard let mirrorPath = args.options["--mirror"], let lifespansPath = args.options["--lifespans"] else {
        throw UsageError(description: "extract-knowledge needs --mirror <bare repo> and --lifespans <json>")
    }
    let mirror = try GitMirror(path: mirrorPath)
    let json = try Data(contentsOf: URL(fileURLWithPath: lifespansPath))
    let output = try KnowledgeExtractor.run(mirror: mirror, lifespansJSON: json, log: { standardError("extract-knowledge: " + $0) })
    for w in output.warnings { standardError("warning: " + w) }
    guard output.problems.isEmpty else {
        for p in output.problems { standardError("error: " + p) }
        standardError("extract-knowledge: \(output.problems.count) curated fact(s) contradicted by the data; nothing written")
        return 1
    }
    let dir = args.root().appendingPathComponent("rules")
    for (path, text) in output.files.sorted(by: { $0.key < $1.key }) {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        print("wrote rules/\(path) (\(text.utf8.count) bytes)")
    }
    standardError("extract-knowledge: \(output.warnings.count) warning(s); run `swift run ghr-audit-dev generate` next")
    return 0
}

func generate(_ args: Arguments) throws -> Int32 {
    let root = args.root()
    let rulesFiles = try GeneratedArtifacts.readRulesDirectory(root: root)
    guard !rulesFiles.isEmpty else { throw UsageError(description: "no files under \(root.path)/rules; run from the package root or pass --root") }
    // A rule file that cannot be read at all would silently lose its page: refuse instead.
    do {
        _ = try KnowledgeBase.load(files: rulesFiles)
    } catch let error as KnowledgeBaseError {
        for p in error.problems { standardError("error: \(p)") }
        standardError("generate: the catalogue cannot be loaded; nothing written")
        return 1
    }
    let problems = CatalogValidator.validate(files: rulesFiles)
    for p in problems { standardError("warning: \(p)") }

    let artifacts = GeneratedArtifacts.render(rulesFiles: rulesFiles)
    let stale = GeneratedArtifacts.existingDocs(root: root).filter { artifacts[$0] == nil }
    var changed: [String] = []
    for (path, text) in artifacts.sorted(by: { $0.key < $1.key }) {
        let url = root.appendingPathComponent(path)
        if let current = try? Data(contentsOf: url), current == Data(text.utf8) { continue }
        changed.append(path)
        if !args.flags.contains("--check") {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }
    if args.flags.contains("--check") {
        for path in changed { print("stale: \(path)") }
        for path in stale { print("obsolete: \(path)") }
        return changed.isEmpty && stale.isEmpty ? 0 : 1
    }
    for path in stale {
        try FileManager.default.removeItem(at: root.appendingPathComponent(path))
        print("removed \(path)")
    }
    for path in changed { print("wrote \(path)") }
    print("generate: \(artifacts.count) file(s), \(changed.count) changed, \(stale.count) removed, \(problems.count) catalogue problem(s)")
    return 0
}

func validate(_ args: Arguments) throws -> Int32 {
    let files = try GeneratedArtifacts.readRulesDirectory(root: args.root())
    let problems = CatalogValidator.validate(files: files)
    for p in problems { print(p) }
    print("validate: \(files.count) file(s), \(problems.count) problem(s)")
    return problems.isEmpty ? 0 : 1
}

func readmeOutputs(_ args: Arguments) throws -> Int32 {
    let root = args.root()
    let binary = args.options["--binary"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ghr-audit")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw UsageError(description: "no ghr-audit binary at \(binary.path): run `swift build --product ghr-audit` first, or pass --binary")
    }
    let url = root.appendingPathComponent("README.md")
    let readme = try String(contentsOf: url, encoding: .utf8)
    let run = ReadmeOutputs.runBinary(binary, root: root)
    let blocks = try ReadmeOutputs.blocks(in: readme)
    var stale: [String] = []
    for block in blocks where try ReadmeOutputs.expected(block, run: run) != block.body {
        stale.append("README.md:\(block.line): `\(block.command)`")
    }
    if args.flags.contains("--check") {
        for s in stale { print("stale: " + s) }
        print("readme-outputs: \(blocks.count) example(s), \(stale.count) stale")
        return stale.isEmpty ? 0 : 1
    }
    if !stale.isEmpty { try Data(ReadmeOutputs.regenerate(readme, run: run).utf8).write(to: url) }
    for s in stale { print("rewrote " + s) }
    print("readme-outputs: \(blocks.count) example(s), \(stale.count) rewritten")
    return 0
}

let usage = """
usage: ghr-audit-dev extract-knowledge --mirror <bare repo> --lifespans <json> [--root <package>]
       ghr-audit-dev generate [--root <package>] [--check]
       ghr-audit-dev validate [--root <package>]
       ghr-audit-dev readme-outputs [--root <package>] [--binary <ghr-audit>] [--check]
"""

let argv = CommandLine.arguments
do {
    guard argv.count >= 2 else { throw UsageError(description: "missing command") }
    let rest = argv.dropFirst(2)
    let status: Int32
    switch argv[1] {
    case "extract-knowledge":
        status = try extractKnowledge(Arguments(rest, options: ["--mirror", "--lifespans", "--root"], flags: []))
    case "generate":
        status = try generate(Arguments(rest, options: ["--root"], flags: ["--check"]))
    case "validate":
        status = try validate(Arguments(rest, options: ["--root"], flags: []))
    case "readme-outputs":
        status = try readmeOutputs(Arguments(rest, options: ["--root", "--binary"], flags: ["--check"]))
    case "-h", "--help", "help":
        print(usage)
        status = 0
    default:
        throw UsageError(description: "unknown command `\(argv[1])`; expected `extract-knowledge`, `generate`, `validate` or `readme-outputs`")
    }
    exit(status)
} catch let error as UsageError {
    standardError("ghr-audit-dev: \(error.description)\n\(usage)")
    exit(2)
} catch {
    standardError("ghr-audit-dev: \(error)")
    exit(1)
}
