import Foundation

/// Reads a module repository's releases from a (bare) git directory with the `git` command.
/// Used by the extractor from the dev tool and tests; the audit itself never runs it.
public struct GitMirror: ModuleSnapshots {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let gitDirectory: String

    public init(gitDirectory: String) {
        self.gitDirectory = gitDirectory
    }

    public var exists: Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: gitDirectory, isDirectory: &isDir) && isDir.boolValue
    }

    public func tags() throws -> [String] {
        try run(["tag", "--list"]).split(separator: "\n").map(String.init)
    }

    public func list(tag: String, under directory: String) throws -> [String] {
        let filter = directory.isEmpty ? [] : ["--", directory]
        return try run(["ls-tree", "-r", "--name-only", tag] + filter).split(separator: "\n").map(String.init)
    }

    /// Reads all objects in one `git cat-file --batch` process.
    public func read(_ specs: [String]) throws -> [String: String] {
        guard !specs.isEmpty else { return [:] }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-cat-file-\(UUID().uuidString)")
        try Data((specs.joined(separator: "\n") + "\n").utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let output = try runData(["cat-file", "--batch"], stdin: input)
        var result: [String: String] = [:]
        var i = 0
        for spec in specs {
            guard let newline = output[i...].firstIndex(of: 0x0A) else {
                throw Failure(description: "git cat-file output ended early at \(spec)")
            }
            let header = String(decoding: output[i..<newline], as: UTF8.self)
            i = newline + 1
            if header.hasSuffix(" missing") || header.hasSuffix(" ambiguous") { continue }
            let fields = header.split(separator: " ")
            guard fields.count == 3, let size = Int(fields[2]), i + size <= output.count else {
                throw Failure(description: "unexpected git cat-file header `\(header)` for \(spec)")
            }
            if fields[1] == "blob" {
                result[spec] = String(decoding: output[i..<(i + size)], as: UTF8.self)
            }
            i += size + 1
        }
        return result
    }

    private func run(_ arguments: [String]) throws -> String {
        String(decoding: try runData(arguments, stdin: nil), as: UTF8.self)
    }

    private func runData(_ arguments: [String], stdin: URL?) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--git-dir=\(gitDirectory)"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "git \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return Data(data)
    }
}
