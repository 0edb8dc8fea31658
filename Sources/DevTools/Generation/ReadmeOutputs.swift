import Foundation

/// The README's example outputs, regenerated from the built `ghr-audit` binary (issue 20 §6).
///
/// Each example is a fenced block right after a marker comment naming the command line that
/// prints it, run from the package root, and optionally an excerpt to take of its output:
///
///     <!-- README-OUTPUT: check fixtures/ghes-ephemeral/repo --target 4.7.0 --format sarif | sarif-excerpt -->
///     ```json
///     …
///     ```
///
/// `ghr-audit-dev readme-outputs` rewrites every block; with `--check` (and in ReadmeTests) it
/// says which block differs from what the binary prints today.
public enum ReadmeOutputs {
    public static let markerPrefix = "<!-- README-OUTPUT: "

    /// One marked example: the command's arguments, the excerpt, and the block's body in the README.
    public struct Block: Sendable, Equatable {
        public var arguments: [String]
        public var excerpt: String?
        /// The text between the opening and the closing fence (ending with a newline).
        public var body: String
        /// The marker line (1-based), for messages.
        public var line: Int
        var bodyRange: Range<String.Index>

        public var command: String { (["ghr-audit"] + arguments).joined(separator: " ") + (excerpt.map { " | " + $0 } ?? "") }
    }

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every marked block; a marker not followed by a fenced block, or with an unknown excerpt, is
    /// a problem (never skipped).
    public static func blocks(in readme: String) throws -> [Block] {
        var out: [Block] = []
        var lineNumber = 0
        var index = readme.startIndex
        while index < readme.endIndex {
            let lineEnd = readme[index...].firstIndex(of: "\n") ?? readme.endIndex
            let line = readme[index..<lineEnd]
            lineNumber += 1
            let next = lineEnd < readme.endIndex ? readme.index(after: lineEnd) : lineEnd
            guard line.hasPrefix(markerPrefix) else { index = next; continue }
            guard line.hasSuffix(" -->") else { throw Problem(description: "README.md:\(lineNumber): the marker does not end with ` -->`") }
            let spec = line.dropFirst(markerPrefix.count).dropLast(4)
            let parts = spec.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let arguments = parts[0].split(separator: " ").map(String.init)
            let excerpt = parts.count > 1 ? parts[1] : nil
            if let excerpt, !excerpts.keys.contains(excerpt) {
                throw Problem(description: "README.md:\(lineNumber): unknown excerpt `\(excerpt)` (known: \(excerpts.keys.sorted().joined(separator: ", ")))")
            }
            // The fence opens on the next line and closes at the next line that is exactly ```.
            guard next < readme.endIndex, readme[next...].hasPrefix("```") else {
                throw Problem(description: "README.md:\(lineNumber): the marker is not followed by a fenced block")
            }
            let fenceEnd = readme[next...].firstIndex(of: "\n") ?? readme.endIndex
            let bodyStart = fenceEnd < readme.endIndex ? readme.index(after: fenceEnd) : fenceEnd
            guard let close = readme.range(of: "\n```\n", range: readme.index(before: bodyStart)..<readme.endIndex)
                ?? readme.range(of: "\n```", options: .anchored, range: readme.index(before: bodyStart)..<readme.endIndex) else {
                throw Problem(description: "README.md:\(lineNumber): the fenced block is not closed")
            }
            let bodyEnd = readme.index(after: close.lowerBound)
            let body = bodyStart <= bodyEnd ? String(readme[bodyStart..<bodyEnd]) : ""
            out.append(Block(arguments: arguments, excerpt: excerpt, body: body, line: lineNumber, bodyRange: bodyStart..<bodyEnd))
            index = close.upperBound
            lineNumber += readme[next..<close.upperBound].filter { $0 == "\n" }.count
        }
        return out
    }

    /// What the block must hold: the command's standard output (its excerpt), ending with one newline.
    public static func expected(_ block: Block, run: ([String]) throws -> String) throws -> String {
        var text = try run(block.arguments)
        if let excerpt = block.excerpt, let transform = excerpts[excerpt] { text = transform(text) }
        return text.trimmingCharacters(in: .newlines) + "\n"
    }

    /// The README with every block replaced by what the binary prints.
    public static func regenerate(_ readme: String, run: ([String]) throws -> String) throws -> String {
        var out = readme
        // From the last block back, so earlier ranges stay valid.
        for block in try blocks(in: readme).reversed() {
            out.replaceSubrange(block.bodyRange, with: try expected(block, run: run))
        }
        return out
    }

    /// Named excerpts of an output.
    public static let excerpts: [String: @Sendable (String) -> String] = [
        // The SARIF log without the rule catalogue (`tool.driver.rules`, one entry per rule) and the
        // results' `fixes` (the JSON example shows the same edits).
        "sarif-excerpt": { text in
            var lines = text.components(separatedBy: "\n")
            lines = replaceArray(in: lines, key: "rules", with: "\"\\u2026 one entry per rule of the catalogue \\u2026\"")
            lines = replaceArray(in: lines, key: "fixes", with: nil)
            return lines.joined(separator: "\n")
        },
    ]

    /// In pretty-printed JSON, each `"key": [ … ]` member (its lines up to the `]` at its indent):
    /// replaced by a one-element array holding `placeholder`, or dropped when it is nil.
    static func replaceArray(in lines: [String], key: String, with placeholder: String?) -> [String] {
        var out: [String] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let indent = String(line.prefix { $0 == " " })
            guard line == indent + "\"\(key)\": [" else { out.append(line); i += 1; continue }
            var j = i + 1
            while j < lines.count, lines[j] != indent + "]", lines[j] != indent + "]," { j += 1 }
            guard j < lines.count else { out.append(line); i += 1; continue }
            let trailingComma = lines[j].hasSuffix(",")
            if let placeholder {
                out += [line, indent + "  " + placeholder, indent + "]" + (trailingComma ? "," : "")]
            } else if !trailingComma, let last = out.indices.last, out[last].hasSuffix(",") {
                // The dropped member was the last: the one before loses its comma.
                out[last].removeLast()
            }
            i = j + 1
        }
        return out
    }

    /// Runs the built `ghr-audit` with `arguments` from `root` and returns its standard output
    /// (the exit status is the example's business: 1 for findings). Standard error is discarded.
    public static func runBinary(_ binary: URL, root: URL) -> ([String]) throws -> String {
        { arguments in
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            process.currentDirectoryURL = root
            var environment = ProcessInfo.processInfo.environment
            environment["NO_COLOR"] = "1"
            environment.removeValue(forKey: "GITHUB_ACTIONS")
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus <= 1 else {
                throw Problem(description: "`ghr-audit \(arguments.joined(separator: " "))` exited with \(process.terminationStatus)")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
