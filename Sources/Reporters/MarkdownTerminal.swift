import AuditCore

/// A Markdown page (a rule's documentation, as `docs/rules/RULE.md` holds it) as plain text for a
/// terminal (issue 20 §3, `ghr-audit explain`): no Markdown syntax left, prose wrapped to the
/// width, code shown as it is.
///
/// - Headings: their text, flush left; what follows is indented two columns.
/// - Paragraphs: consecutive lines joined and word-wrapped; list items (`- `) keep their dash and
///   hang their continuation lines.
/// - Fenced code blocks: indented four more columns, never wrapped (code stays copyable), the
///   fences and their language dropped.
/// - Tables: aligned columns, without the pipes and the delimiter row (an empty header row is
///   left out).
/// - Inline: code spans lose their backticks, `**strong**` its asterisks, links become
///   `text (url)`, autolinks `<url>` the url, backslash escapes the character.
/// - HTML comments (the generated banner) are dropped.
///
/// Everything is sanitized for the terminal (no control characters reach it).
public enum MarkdownTerminal {
    public static func render(_ markdown: String, width: Int = 80) -> String {
        let width = max(40, width)
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        var out: [String] = []
        var indent = ""
        var paragraph: [String] = []

        func blank() { if let last = out.last, !last.isEmpty { out.append("") } }
        func flush() {
            guard !paragraph.isEmpty else { return }
            let text = paragraph.joined(separator: " ")
            paragraph = []
            // A code span is not split over two lines (a command to copy stays whole) unless it
            // is nearly as wide as the line itself.
            let available = width - indent.count
            for line in TerminalText.wrap(inline(text, joiner: unbreakable, keepTogetherUpTo: available - 10), width: available) {
                out.append(line.isEmpty ? "" : indent + line.replacingOccurrences(of: unbreakable, with: " "))
            }
        }

        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.drop { $0 == " " }
            // An HTML comment, possibly over several lines.
            if trimmed.hasPrefix("<!--") {
                flush()
                while i < lines.count && !lines[i].contains("-->") { i += 1 }
                i += 1
                continue
            }
            // A fenced code block: its lines as they are, indented.
            if let fence = fenceOpening(trimmed) {
                flush()
                blank()
                i += 1
                while i < lines.count, !isFenceClosing(lines[i], fence: fence) {
                    out.append(lines[i].isEmpty ? "" : indent + "    " + TerminalText.sanitized(lines[i]))
                    i += 1
                }
                i += 1
                out.append("")
                continue
            }
            if trimmed.isEmpty {
                flush()
                blank()
                i += 1
                continue
            }
            // A heading.
            if let (level, text) = heading(trimmed) {
                flush()
                blank()
                let wrapped = TerminalText.wrap(inline(text), width: width)
                out += wrapped
                if level == 1 { out.append(String(repeating: "=", count: wrapped.map(TerminalText.displayWidth).max() ?? 0)) }
                indent = "  "
                out.append("")
                i += 1
                continue
            }
            // A table: every consecutive line starting with `|`.
            if trimmed.hasPrefix("|") {
                flush()
                var rows: [[String]] = []
                while i < lines.count, lines[i].drop(while: { $0 == " " }).hasPrefix("|") {
                    let cells = tableCells(String(lines[i].drop { $0 == " " }))
                    if !cells.allSatisfy(isDelimiterCell) { rows.append(cells.map { inline($0) }) }
                    i += 1
                }
                if let first = rows.first, first.allSatisfy(\.isEmpty) { rows.removeFirst() }
                out += table(rows, indent: indent, width: width)
                continue
            }
            // A list item starts a paragraph of its own (nested ones keep their indentation).
            if trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") {
                flush()
                paragraph = [String(repeating: " ", count: line.count - trimmed.count) + "- " + trimmed.dropFirst(2)]
            } else {
                paragraph.append(String(trimmed))
            }
            i += 1
        }
        flush()
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    /// The width to wrap at: the terminal's columns when standard output is one, else `COLUMNS`
    /// when it is a number, else 80.
    public static func width(terminalColumns: Int?, environment: [String: String]) -> Int {
        if let c = terminalColumns, c > 0 { return c }
        if let c = environment["COLUMNS"].flatMap({ Int($0) }), c > 0 { return c }
        return 80
    }

    // MARK: - Blocks

    /// The fence (three or more backticks or tildes) opening a code block, or nil.
    static func fenceOpening(_ line: Substring) -> String? {
        guard let c = line.first, c == "`" || c == "~" else { return nil }
        let fence = line.prefix { $0 == c }
        guard fence.count >= 3 else { return nil }
        // A backtick fence's info string has no backtick (otherwise it is a code span).
        if c == "`" && line.dropFirst(fence.count).contains("`") { return nil }
        return String(fence)
    }

    static func isFenceClosing(_ line: String, fence: String) -> Bool {
        let trimmed = line.trimmingSpaces
        guard let c = fence.first, trimmed.hasPrefix(fence) else { return false }
        return trimmed.allSatisfy { $0 == c }
    }

    /// `## Title` → (2, "Title").
    static func heading(_ line: Substring) -> (Int, String)? {
        let hashes = line.prefix { $0 == "#" }
        guard (1...6).contains(hashes.count) else { return nil }
        let rest = line.dropFirst(hashes.count)
        guard rest.isEmpty || rest.first == " " else { return nil }
        var text = rest.trimmingSpaces
        // A closing sequence of hashes.
        while text.hasSuffix("#") { text = String(text.dropLast()) }
        return (hashes.count, text.trimmingSpaces)
    }

    /// The cells of `| a | b |` (a `\|` or a `|` inside a code span stays in its cell).
    static func tableCells(_ line: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var inCode = false
        var chars = Array(line.trimmingSpaces)
        if chars.first == "|" { chars.removeFirst() }
        if chars.last == "|" && !(chars.count >= 2 && chars[chars.count - 2] == "\\") { chars.removeLast() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" && i + 1 < chars.count && chars[i + 1] == "|" {
                current.append("|")
                i += 2
                continue
            }
            if c == "`" { inCode.toggle() }
            if c == "|" && !inCode {
                cells.append(current.trimmingSpaces)
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        cells.append(current.trimmingSpaces)
        return cells
    }

    static func isDelimiterCell(_ cell: String) -> Bool {
        !cell.isEmpty && cell.allSatisfy { $0 == "-" || $0 == ":" } && cell.contains("-")
    }

    /// Rows in aligned columns; the last column wraps under itself when the row is too wide.
    static func table(_ rows: [[String]], indent: String, width: Int) -> [String] {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return [] }
        var widths = Array(repeating: 0, count: columns)
        for row in rows {
            for (c, cell) in row.enumerated() where c < columns - 1 { widths[c] = max(widths[c], TerminalText.displayWidth(cell)) }
        }
        var out: [String] = []
        for row in rows {
            var prefix = indent
            for c in 0..<(columns - 1) {
                let cell = c < row.count ? row[c] : ""
                prefix += cell + String(repeating: " ", count: widths[c] - TerminalText.displayWidth(cell) + 2)
            }
            let last = row.count == columns ? row[columns - 1] : ""
            let hang = String(repeating: " ", count: TerminalText.displayWidth(prefix))
            let wrapped = TerminalText.wrap(last, width: max(20, width - hang.count))
            for (n, piece) in wrapped.enumerated() {
                let line = (n == 0 ? prefix : hang) + piece
                out.append(String(line.reversed().drop { $0 == " " }.reversed()))
            }
        }
        out.append("")
        return out
    }

    // MARK: - Inline

    /// Stands for a space inside a code span while a paragraph is wrapped (a private-use
    /// scalar: never in a rule's text, one column wide).
    static let unbreakable: Character = "\u{E000}"

    /// Inline Markdown as plain text: code spans' text (their spaces as `joiner`), strong
    /// emphasis's text, `text (url)` for links, autolinks' urls, escaped characters themselves.
    static func inline(_ text: String, joiner: Character = " ", keepTogetherUpTo limit: Int = .max) -> String {
        let chars = Array(text)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count, chars[i + 1].isASCII, chars[i + 1].isPunctuation || chars[i + 1].isSymbol {
                out.append(chars[i + 1])
                i += 2
                continue
            }
            if c == "`" {
                var run = 0
                while i + run < chars.count && chars[i + run] == "`" { run += 1 }
                if let close = MarkdownText.closingRun(chars, from: i + run, length: run) {
                    var code = String(chars[(i + run)..<close])
                    // One space either side is padding (a span that starts or ends with a backtick).
                    if code.count >= 2, code.first == " ", code.last == " ", code.contains(where: { $0 != " " }) { code = String(code.dropFirst().dropLast()) }
                    out += joiner == " " || TerminalText.displayWidth(code) > limit ? code : String(code.map { $0 == " " ? joiner : $0 })
                    i = close + run
                } else {
                    out += String(repeating: "`", count: run)
                    i += run
                }
                continue
            }
            if c == "*" && i + 1 < chars.count && chars[i + 1] == "*" {
                if let close = find(chars, "**", from: i + 2) {
                    out += inline(String(chars[(i + 2)..<close]), joiner: joiner, keepTogetherUpTo: limit)
                    i = close + 2
                    continue
                }
            }
            if c == "[", let closeText = matching(chars, from: i), closeText + 1 < chars.count, chars[closeText + 1] == "(",
               let closeURL = find(chars, ")", from: closeText + 2) {
                let label = inline(String(chars[(i + 1)..<closeText]), joiner: joiner, keepTogetherUpTo: limit)
                let url = String(chars[(closeText + 2)..<closeURL])
                out += label == url ? url : "\(label) (\(url))"
                i = closeURL + 1
                continue
            }
            if c == "<", let close = find(chars, ">", from: i + 1) {
                let inside = String(chars[(i + 1)..<close])
                if inside.hasPrefix("https://") || inside.hasPrefix("http://") {
                    out += inside
                    i = close + 1
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return TerminalText.sanitized(out)
    }

    private static func find(_ chars: [Character], _ needle: String, from start: Int) -> Int? {
        let n = Array(needle)
        var j = start
        while j + n.count <= chars.count {
            if Array(chars[j..<(j + n.count)]) == n { return j }
            j += 1
        }
        return nil
    }

    /// The `]` closing the `[` at `open`, skipping code spans.
    private static func matching(_ chars: [Character], from open: Int) -> Int? {
        var depth = 0
        var inCode = false
        for j in open..<chars.count {
            switch chars[j] {
            case "`": inCode.toggle()
            case "[" where !inCode: depth += 1
            case "]" where !inCode:
                depth -= 1
                if depth == 0 { return j }
            default: break
            }
        }
        return nil
    }
}

extension String {
    fileprivate func replacingOccurrences(of c: Character, with replacement: Character) -> String {
        String(map { $0 == c ? replacement : $0 })
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
