import AuditCore
import Foundation

/// One `[submodule "name"]` section of a `.gitmodules` file.
public struct GitSubmodule: Sendable, Hashable {
    public var name: String
    /// The checkout folder, relative to the scan root.
    public var path: String
    public var url: String
    /// Where the section is written.
    public var range: SourceRange

    /// Whether the submodule is a checkout of terraform-aws-github-runner (either organisation).
    public var isRunnerModule: Bool {
        let lower = url.lowercased()
        return ["philips-labs", "github-aws-runners"].contains { org in
            lower.contains("\(org)/terraform-aws-github-runner")
        }
    }
}

/// Reads `.gitmodules` (git's config syntax): sections, `key = value` lines, `#`/`;` comments,
/// optional double quotes around values. Lines it cannot read are skipped: git itself would refuse
/// the file, and the audit only needs the submodules it can name.
public enum GitSubmodules {
    public static func parse(_ source: SourceFile) -> [GitSubmodule] {
        let directory = Paths.directory(of: source.path)
        var result: [GitSubmodule] = []
        var current: (name: String, line: Int, lastLine: Int, path: String?, url: String?)?

        func flush() {
            guard let c = current, let path = c.path, let url = c.url,
                  let full = directory.isEmpty ? Optional(path) : Paths.join(directory, path) else { return }
            // From the section header to the end of its last setting.
            let start = source.lineStarts[c.line - 1]
            var lastText = source.lineText(c.lastLine)
            if lastText.hasSuffix("\r") { lastText.removeLast() }
            let end = source.lineStarts[c.lastLine - 1] + lastText.utf8.count
            result.append(GitSubmodule(name: c.name, path: full, url: url, range: source.range(from: start, to: end)))
        }

        for line in 1...max(1, source.lineCount) {
            let text = source.lineText(line).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty || text.hasPrefix("#") || text.hasPrefix(";") { continue }
            if text.hasPrefix("[") {
                flush()
                current = nil
                guard let close = text.lastIndex(of: "]") else { continue }
                let header = text[text.index(after: text.startIndex)..<close].trimmingCharacters(in: .whitespacesAndNewlines)
                guard header.hasPrefix("submodule") else { continue }
                let name = header.dropFirst("submodule".count).trimmingCharacters(in: .whitespacesAndNewlines)
                current = (unquote(name), line, line, nil, nil)
                continue
            }
            guard current != nil, let eq = text.firstIndex(of: "=") else { continue }
            let key = text[..<eq].trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let value = unquote(text[text.index(after: eq)...].trimmingCharacters(in: .whitespacesAndNewlines))
            current?.lastLine = line
            if key == "path" { current?.path = value.hasSuffix("/") ? String(value.dropLast()) : value }
            if key == "url" { current?.url = value }
        }
        flush()
        return result
    }

    static func unquote(_ s: String) -> String {
        s.count >= 2 && s.hasPrefix("\"") && s.hasSuffix("\"") ? String(s.dropFirst().dropLast()) : s
    }
}
