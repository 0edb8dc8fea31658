import AuditCore

/// The human-readable format: findings grouped by file, each with its source line underlined,
/// the wrapped detail, related notes, the fix and a preview of its edits; a summary line last.
///
///     main.tf (1 error)
///
///     main.tf:3:3: error[TF-101]: input `foo` was removed in 5.0.0
///         3 |   foo = "bar"
///           |   ^~~
///         The input was replaced by `bar`.
///         note: variables.tf:1:1: variable declared here
///         fix: rename `foo` to `bar`
///           -   foo = "bar"
///           +   bar = "bar"
///
///     1 error, 0 warnings, 0 notes in 1 file
struct TextReporter {
    let report: Report
    let options: RenderOptions
    private var style: Style { Style(enabled: options.color) }
    /// The wrap column; `RenderOptions.lineWidth` may have been set below the minimum after init.
    private var width: Int { max(40, options.lineWidth) }
    private static let indent = "    "
    /// Lines of a fix preview shown per side before eliding.
    private static let maxPreviewLines = 6

    func render() -> String {
        var out: [String] = []
        for group in Counting.groupedByFile(report.findings) {
            if !options.quiet {
                out.append(style.bold(pathText(group.path)) + " (" + Counting.severityList(group.findings) + ")")
                out.append("")
            }
            for finding in group.findings {
                out += block(for: finding)
                out.append("")
            }
        }
        if options.showSuppressed && !report.dismissed.isEmpty {
            out.append(style.bold("Suppressed and baselined") + " (" + (Counting.dismissedPhrase(report) ?? "") + ")")
            out.append("")
            for d in report.dismissed {
                let f = d.finding
                out.append(location(f.location) + ": " + f.severity.rawValue + "[" + TerminalText.sanitized(f.ruleId) + "]: " + TerminalText.sanitized(f.message))
                for line in TerminalText.wrap(Counting.dismissal(d), width: width - Self.indent.count) {
                    out.append(line.isEmpty ? "" : Self.indent + line)
                }
                out.append("")
            }
        }
        if options.quiet {
            // The findings only (each block names its file), without the blank line after the last.
            if out.last == "" { out.removeLast() }
            return out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
        }
        out.append(Counting.summaryLine(report))
        out += report.scopeLines.map { style.dim($0) }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - One finding

    func block(for finding: Finding) -> [String] {
        let indent = Self.indent
        var lines: [String] = []
        lines.append(
            location(finding.location) + ": "
                + style.severity(finding.severity, finding.severity.rawValue)
                + style.bold("[" + TerminalText.sanitized(finding.ruleId) + "]")
                + ": " + TerminalText.sanitized(finding.message))
        lines += snippet(finding.location, severity: finding.severity)
        if let detail = finding.detail, !detail.isEmpty {
            for line in TerminalText.wrap(detail, width: width - indent.count) {
                lines.append(line.isEmpty ? "" : indent + line)
            }
        }
        for note in finding.related {
            lines.append(indent + style.severity(.note, "note:") + " " + location(note.location) + ": " + TerminalText.sanitized(note.message))
        }
        if let fix = finding.fix {
            let label = "fix: "
            let wrapped = TerminalText.wrap(fix.description, width: width - indent.count - label.count)
            for (i, line) in wrapped.enumerated() {
                lines.append(i == 0 ? indent + style.green("fix:") + " " + line : (line.isEmpty ? "" : indent + String(repeating: " ", count: label.count) + line))
            }
            lines += preview(fix.edits, findingPath: finding.location.path)
        }
        return lines
    }

    private func pathText(_ path: String) -> String { path.isEmpty ? "." : TerminalText.sanitized(path) }

    private func location(_ range: SourceRange) -> String {
        "\(pathText(range.path)):\(range.start.line):\(range.start.column)"
    }

    // MARK: - Source snippet

    /// The first line of `range` with the range underlined, or nothing when the file's text is
    /// not available or the range lies outside it.
    func snippet(_ range: SourceRange, severity: Severity) -> [String] {
        guard let file = options.sources[range.path], range.start.line >= 1, range.start.line <= file.lineCount else { return [] }
        let budget = snippetBudget(line: range.start.line)
        let wantedStart = max(range.start.column - 1, 0)

        // The line's cells, as far as the window can reach: once the line is too wide for one
        // screen line and the cells from the range's start on fill a window, the rest of the line
        // cannot be shown. (Computing every cell for every finding made a long line, minified JSON
        // or a hostile script, cost its length times the findings on it.)
        var cells: [TerminalText.Cell] = []
        var column = 0
        var fromStart = 0
        var complete = true
        for scalar in file.lineText(range.start.line).unicodeScalars {
            if column > budget && fromStart >= budget {
                complete = false
                break
            }
            let cell = TerminalText.cell(scalar, atColumn: column)
            if cells.count >= wantedStart { fromStart += cell.width }
            cells.append(cell)
            column += cell.width
        }
        // Cut short, the cells reach past the range's start (so no clamping differs).
        let limit = complete ? cells.count : Int.max
        let start = min(wantedStart, cells.count)
        let end = range.end.line == range.start.line ? min(max(range.end.column - 1, start), limit) : limit
        return snippetLines(cells: cells, column: column, start: start, end: end, line: range.start.line, severity: severity)
    }

    /// The columns a snippet of `line` may take: the width less the gutter.
    private func snippetBudget(line: Int) -> Int { max(20, width - (Self.indent.count + String(line).count + 3)) }

    /// The snippet's two lines from the cells of a line (all of them, or as far as the window can
    /// reach), the display width of those cells (`column`), and the cells the range covers
    /// (`start..<end`).
    func snippetLines(cells: [TerminalText.Cell], column: Int, start: Int, end: Int, line: Int, severity: Severity) -> [String] {
        let number = String(line)
        let budget = snippetBudget(line: line)
        var first = 0, last = cells.count
        if column > budget {
            // Too long for one screen line (minified JSON, long heredocs): show a window that
            // starts a little before the range.
            first = start
            var before = 0
            while first > 0 && before + cells[first - 1].width <= budget / 4 {
                first -= 1
                before += cells[first].width
            }
            last = first
            var used = first > 0 ? 1 : 0
            while last < cells.count && used + cells[last].width <= budget - 1 {
                used += cells[last].width
                last += 1
            }
        }

        var text = first > 0 ? "…" : ""
        var underlineStart = first > 0 ? 1 : 0
        var underlineWidth = 0
        for i in first..<last {
            text += cells[i].text
            if i < start { underlineStart += cells[i].width } else if i < end { underlineWidth += cells[i].width }
        }
        if last < cells.count { text += "…" }
        if start >= last && start > first { underlineStart = TerminalText.displayWidth(text) }

        let underline = String(repeating: " ", count: underlineStart)
            + style.severityPlain(severity, "^" + String(repeating: "~", count: max(0, underlineWidth - 1)))
        let gutter = Self.indent + number + " |"
        let blank = Self.indent + String(repeating: " ", count: number.count) + " |"
        return [text.isEmpty ? gutter : gutter + " " + text, blank + " " + underline]
    }

    // MARK: - Fix preview

    /// The lines a machine-applicable fix changes, before (`-`) and after (`+`), when the
    /// file's text is available; otherwise each edit described in words.
    func preview(_ edits: [TextEdit], findingPath: String) -> [String] {
        guard !edits.isEmpty else { return [] }
        let indent = Self.indent + "  "
        var lines: [String] = []
        for (path, fileEdits) in FixPreview.byFile(edits) {
            if path != findingPath { lines.append(indent + "in " + pathText(path) + ":") }
            if let file = options.sources[path], let diff = diffLines(fileEdits, in: file) {
                lines += diff.map { indent + $0 }
            } else {
                for edit in fileEdits { lines.append(indent + describe(edit)) }
            }
        }
        return lines
    }

    /// `main.tf:3:13-3:20: replace with `"5.0.0"``, for edits whose file text is not at hand.
    private func describe(_ edit: TextEdit) -> String {
        let r = edit.range
        let span = location(r) + (r.isEmpty ? "" : "-\(r.end.line):\(r.end.column)")
        let text = "`" + TerminalText.sanitized(edit.newText) + "`"
        if r.isEmpty { return span + ": insert " + text }
        if edit.newText.isEmpty { return span + ": delete" }
        return span + ": replace with " + text
    }

    /// `- old` / `+ new` lines for edits sorted by offset; nil when an edit lies outside the
    /// file or two edits overlap (then the edits are described instead).
    private func diffLines(_ edits: [TextEdit], in file: SourceFile) -> [String]? {
        guard let hunks = FixPreview.hunks(edits, in: file) else { return nil }
        var out: [String] = []
        for hunk in hunks {
            out += elided(hunk.removed.map(TerminalText.sanitized), marker: "-", colour: style.red)
            out += elided(hunk.added.map(TerminalText.sanitized), marker: "+", colour: style.green)
        }
        return out
    }

    private func elided(_ lines: [String], marker: String, colour: (String) -> String) -> [String] {
        var shown = lines.prefix(Self.maxPreviewLines).map { colour($0.isEmpty ? marker : marker + " " + $0) }
        if lines.count > Self.maxPreviewLines { shown.append(colour(marker + " …")) }
        return shown
    }
}
