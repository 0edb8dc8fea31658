import AuditCore

/// A Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: a headline, a
/// table of counts per severity and per rule, then the findings grouped by file as a list.
/// Locations are plain `path:line` text (a comment cannot know which commit to link to).
///
/// Everything taken from findings is escaped: Markdown punctuation and HTML are shown
/// literally, with one deliberate exception, backtick code spans, which messages use to quote
/// identifiers and which render literally by nature.
enum MarkdownReporter {
    static func render(_ report: Report, showSuppressed: Bool = false) -> String {
        var out: [String] = []
        let tool = inline(report.toolName)
        guard !report.findings.isEmpty else {
            out.append("### \(tool): No findings" + (report.hidden.isEmpty ? "" : " shown"))
            out.append("")
            out.append(context(report))
            if let hidden = Counting.hiddenPhrase(report) {
                out.append("")
                out.append(inline(hidden.prefix(1).uppercased() + hidden.dropFirst()) + ": the gate still judges them.")
            }
            out += dismissed(report, list: showSuppressed)
            return out.joined(separator: "\n") + "\n"
        }
        out.append("### \(tool): " + Counting.summaryLine(report))
        out.append("")
        out.append(context(report))
        out.append("")
        out.append("| Severity | Findings |")
        out.append("| --- | ---: |")
        for severity in [Severity.error, .warning, .note] {
            out.append("| \(label(severity)) | \(report.count(severity)) |")
        }
        if let hidden = Counting.hiddenPhrase(report) {
            out.append("")
            out.append(inline(hidden.prefix(1).uppercased() + hidden.dropFirst()) + ": the gate still judges them.")
        }
        out.append("")
        out.append("| Rule | Title | Findings |")
        out.append("| --- | --- | ---: |")
        var ruleOrder: [String] = []
        var ruleCounts: [String: Int] = [:]
        for f in report.findings {
            if ruleCounts[f.ruleId] == nil { ruleOrder.append(f.ruleId) }
            ruleCounts[f.ruleId, default: 0] += 1
        }
        let titles = Dictionary(report.rules.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        for id in ruleOrder.sorted(by: JSONValue.keyOrder) {
            out.append("| \(tableCell(code(id))) | \(inline(oneLine(titles[id] ?? ""))) | \(ruleCounts[id]!) |")
        }
        for group in Counting.groupedByFile(report.findings) {
            out.append("")
            out.append("#### " + code(group.path.isEmpty ? "." : group.path) + " (" + Counting.severityList(group.findings) + ")")
            out.append("")
            for f in group.findings { out += item(f) }
        }
        out += dismissed(report, list: showSuppressed)
        return out.joined(separator: "\n") + "\n"
    }

    /// The dismissed findings: counted when there are any, listed when `list` is set.
    static func dismissed(_ report: Report, list: Bool) -> [String] {
        guard let counts = Counting.dismissedPhrase(report) else { return [] }
        var out = ["", "#### Suppressed and baselined (\(counts))"]
        guard list else { return out + ["", "Not shown; `--show-suppressed` lists them."] }
        out.append("")
        for d in report.dismissed {
            out += item(d.finding).prefix(1)
            out.append("  - " + inline(oneLine(Counting.dismissal(d))))
        }
        return out
    }

    static func context(_ report: Report) -> String {
        let files = Counting.phrase(report.filesScanned, "file") + " scanned."
        let scope = report.scopeLines.map { " " + inline($0.prefix(1).uppercased() + $0.dropFirst()) + "." }.joined()
        if ModuleVersion(report.target) != nil {
            return "Audited against module release \(code(report.target)); " + files + scope
        }
        return "Audit target: \(code(report.target)); " + files + scope
    }

    static func label(_ severity: Severity) -> String {
        switch severity {
        case .error: "Error"
        case .warning: "Warning"
        case .note: "Note"
        }
    }

    /// One finding as a list item; detail lines and sub-items are indented under it.
    static func item(_ f: Finding) -> [String] {
        let place = code("\(f.location.path):\(f.location.start.line)")
        var lines = ["- **\(label(f.severity))** \(code(f.ruleId)) at \(place): \(inline(oneLine(f.message)))"]
        if let detail = f.detail, !detail.isEmpty {
            for line in detail.split(separator: "\n", omittingEmptySubsequences: false) {
                let text = String(line.hasSuffix("\r") ? line.dropLast() : line)
                lines.append(text.trimmingSpaces.isEmpty ? "" : "  " + block(text))
            }
        }
        for note in f.related {
            lines.append("  - Note: \(code("\(note.location.path):\(note.location.start.line)")): \(inline(oneLine(note.message)))")
        }
        if let fix = f.fix {
            lines.append("  - Fix: " + inline(oneLine(fix.description)))
        }
        return lines
    }

    static func oneLine(_ s: String) -> String { MarkdownText.oneLine(s) }

    // MARK: - Escaping

    /// A line of a detail: a `- `/`* ` bullet is kept (details list alternatives that way, and
    /// two leading spaces nest it once), other leading indentation is dropped (four spaces would
    /// start a code block and show the escapes), everything else is escaped by `inline`, and a
    /// leading `1.`, `+` or `=` that Markdown would take for a block marker is neutralised.
    static func block(_ line: String) -> String {
        let indentWidth = line.prefix { $0 == " " || $0 == "\t" }.count
        var rest = Substring(line.dropFirst(indentWidth))
        var prefix = ""
        if rest.hasPrefix("- ") || rest.hasPrefix("* ") {
            prefix = (indentWidth >= 2 ? "  " : "") + "- "
            rest = rest.dropFirst(2)
        }
        var escaped = inline(String(rest))
        // An ordered-list marker (`1.` or `1)`) at the start of the text.
        let digits = escaped.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, let next = escaped.dropFirst(digits.count).first, next == "." || next == ")" {
            escaped = digits + "\\" + escaped.dropFirst(digits.count)
        }
        // `+`, `-` and `=` alone start list items or setext underlines.
        if let first = escaped.first, "+-=".contains(first) { escaped = "\\" + escaped }
        return prefix + escaped
    }

    /// Text within a line: code spans kept as they are, Markdown punctuation backslash-escaped,
    /// `<`, `>` and `&` as entities outside them, so neither Markdown nor HTML is interpreted.
    static func inline(_ s: String) -> String { MarkdownText.inline(s) }

    /// Literal text as a code span, with a fence longer than any backtick run inside it.
    static func code(_ s: String) -> String { MarkdownText.code(s) }

    /// A code span in a table cell: `|` must be escaped even inside code spans (GFM splits
    /// cells first). Text from `inline` needs nothing more, it escapes `|` already.
    static func tableCell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|")
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let dropped = drop { $0 == " " || $0 == "\t" }
        return dropped
    }

    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
