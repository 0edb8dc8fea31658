import AuditCore

/// The output formats of `ghr-audit check --format`.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// Human-readable, grouped by file, with source snippets and underlines.
    case text
    /// The machine-readable contract (sorted keys, stable field set).
    case json
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
    case sarif
    /// JUnit XML for Jenkins, GitLab and other CI test report widgets.
    case junit
    /// GitHub Actions workflow commands (`::error file=…::…`) that become annotations.
    case github
    /// A Markdown summary suitable for a pull-request comment or a job summary.
    case markdown
    /// One self-contained HTML page: the run, the fleet map, the findings, the upgrade checklist.
    case html
    /// One line per finding, `path:line:col: severity[RULE-ID] message`, for editors and grep.
    case compact

    /// The conventional file extension for a file holding this format.
    public var fileExtension: String {
        switch self {
        case .text: "txt"
        case .json: "json"
        case .sarif: "sarif"
        case .junit: "xml"
        case .github: "txt"
        case .markdown: "md"
        case .html: "html"
        case .compact: "txt"
        }
    }
}

/// What a reporter may use besides the report. Everything the environment could contribute (a
/// terminal's colour support, the files' text) is decided by the caller and passed in here.
public struct RenderOptions: Sendable {
    /// ANSI colours in the `text` format. Ignored by every other format.
    public var color: Bool
    /// The text of the files findings point into, keyed by the finding's relative path. The
    /// `text` format shows the flagged line and a preview of machine-applicable fixes from it;
    /// a missing file only means no snippet.
    public var sources: [String: SourceFile]
    /// The column at which the `text` format wraps details (at least 40).
    public var lineWidth: Int
    /// The tool's home page, written as SARIF `tool.driver.informationUri` when set.
    public var informationURI: String?
    /// The lowest severity that makes the run fail (exit status 1); nil: nothing fails it. The
    /// `html` format states the verdict and exit status from it.
    public var failOn: Severity?
    /// Whether `text`, `compact`, `markdown` and `html` list the report's dismissed (suppressed and
    /// baselined) findings; every format counts them, and `json`, `sarif` and `junit` always list them.
    public var showSuppressed: Bool
    /// `--quiet`: `text` and `compact` print the findings only (no summary, scope or count of the
    /// dismissed lines). The documents (`json`, `sarif`, `junit`, `markdown`, `html`, `github`)
    /// are unchanged.
    public var quiet: Bool

    public init(color: Bool = false, sources: [String: SourceFile] = [:], lineWidth: Int = 100, informationURI: String? = nil,
                failOn: Severity? = .error, showSuppressed: Bool = false, quiet: Bool = false) {
        self.color = color
        self.sources = sources
        self.lineWidth = max(40, lineWidth)
        self.informationURI = informationURI
        self.failOn = failOn
        self.showSuppressed = showSuppressed
        self.quiet = quiet
    }
}

extension RenderOptions {
    /// The options of a command-line run: colour from `--color` (`--no-color` wins) and whether
    /// standard output is a terminal in `environment`; the rest as given.
    public static func commandLine(color: ColorChoice, noColor: Bool, standardOutputIsTerminal: Bool, environment: [String: String],
                                   sources: [String: SourceFile], informationURI: String?, failOn: Severity?,
                                   showSuppressed: Bool, quiet: Bool) -> RenderOptions {
        let colored = (noColor ? ColorChoice.never : color).enabled(isTerminal: standardOutputIsTerminal, environment: environment)
        return RenderOptions(color: colored, sources: sources, informationURI: informationURI, failOn: failOn, showSuppressed: showSuppressed, quiet: quiet)
    }
}

/// Renders `report` in `format`. A pure function: the same inputs give the same bytes; no file,
/// clock or environment is read. Output ends with a newline (the `github` format of a clean
/// report is empty: there is nothing to annotate).
public func render(_ report: Report, as format: OutputFormat, options: RenderOptions = RenderOptions()) -> String {
    switch format {
    case .text: TextReporter(report: report, options: options).render()
    case .json: JSONReporter.render(report)
    case .sarif: SARIFReporter.render(report, informationURI: options.informationURI)
    case .junit: JUnitReporter.render(report)
    case .github: GitHubReporter.render(report)
    case .markdown: MarkdownReporter.render(report, showSuppressed: options.showSuppressed)
    case .html: HTMLReporter.render(report, options: options)
    case .compact: CompactReporter.render(report, showSuppressed: options.showSuppressed, quiet: options.quiet)
    }
}

// MARK: - Helpers shared by the reporters

extension Finding {
    /// Findings tagged `parse` report that the tool could not read its input, not a problem
    /// the input has by the audit's rules.
    var isToolProblem: Bool { tags.contains("parse") }
}

enum Counting {
    /// `1 error`, `2 errors`, `0 notes`.
    static func phrase(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        count == 1 ? "1 \(noun)" : "\(count) \(plural ?? noun + "s")"
    }

    /// `2 errors, 1 warning, 0 notes in 3 files`, or `no findings (12 files scanned)`, followed
    /// by what a display filter hid and the dismissed findings when there are any:
    /// `…; 3 hidden by the display filter (1 error, 2 notes); 2 suppressed, 1 baselined`. With
    /// nothing shown but something hidden: `no findings shown (12 files scanned; 3 hidden …)`.
    static func summaryLine(_ report: Report) -> String {
        let tail = [hiddenPhrase(report), dismissedPhrase(report)].compactMap { $0 }.map { "; " + $0 }.joined()
        if report.findings.isEmpty {
            return "no findings\(report.hidden.isEmpty ? "" : " shown") (\(phrase(report.filesScanned, "file")) scanned\(tail))"
        }
        let files = Set(report.findings.map(\.location.path)).count
        return [Severity.error, .warning, .note].map { phrase(report.count($0), $0.rawValue) }.joined(separator: ", ")
            + " in \(phrase(files, "file"))" + tail
    }

    /// `3 hidden by the display filter (1 error, 2 notes)`, or nil when the filter hid nothing.
    static func hiddenPhrase(_ report: Report) -> String? {
        report.hidden.isEmpty ? nil : "\(report.hidden.count) hidden by the display filter (\(severityList(report.hidden)))"
    }

    /// `2 suppressed, 1 baselined` (the non-zero counts), or nil when nothing was dismissed.
    static func dismissedPhrase(_ report: Report) -> String? {
        let parts = [(DismissedFinding.Kind.inSource, "suppressed"), (.external, "baselined")].compactMap { kind, word in
            report.count(kind) == 0 ? nil : "\(report.count(kind)) \(word)"
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// `suppressed: <reason>` or `baselined: <which baseline>`.
    static func dismissal(_ d: DismissedFinding) -> String {
        (d.kind == .inSource ? "suppressed: " : "baselined: ") + d.justification
    }

    /// The non-zero severity counts of `findings`, most severe first: `2 errors, 1 note`.
    static func severityList(_ findings: [Finding]) -> String {
        [Severity.error, .warning, .note].compactMap { severity in
            let n = findings.filter { $0.severity == severity }.count
            return n == 0 ? nil : phrase(n, severity.rawValue)
        }.joined(separator: ", ")
    }

    /// Findings grouped by path, groups in order of first appearance (the report's order is
    /// already by path), findings within a group in report order.
    static func groupedByFile(_ findings: [Finding]) -> [(path: String, findings: [Finding])] {
        var order: [String] = []
        var groups: [String: [Finding]] = [:]
        for finding in findings {
            let path = finding.location.path
            if groups[path] == nil { order.append(path) }
            groups[path, default: []].append(finding)
        }
        return order.map { ($0, groups[$0]!) }
    }
}

/// The lines machine-applicable edits change, before and after, for the formats that preview
/// fixes (`text`, `html`).
enum FixPreview {
    /// Whole lines touched by a group of edits: as they are, and as the edits make them.
    struct Hunk {
        var firstLine: Int
        var removed: [String]
        var added: [String]
    }

    /// One hunk per group of edits on overlapping lines, for `edits` of one file sorted by
    /// offset; nil when an edit lies outside the file or two edits overlap.
    static func hunks(_ edits: [TextEdit], in file: SourceFile) -> [Hunk]? {
        struct Cluster { var firstLine: Int; var lastLine: Int; var edits: [TextEdit] }
        var clusters: [Cluster] = []
        var previousEnd = -1
        for edit in edits {
            let s = edit.range.start.offset, e = edit.range.end.offset
            guard s >= 0, e >= s, e <= file.bytes.count, s >= previousEnd else { return nil }
            previousEnd = e
            let firstLine = file.line(ofOffset: s)
            let lastLine = e > s ? file.line(ofOffset: e - 1) : firstLine
            if var current = clusters.last, firstLine <= current.lastLine {
                current.lastLine = max(current.lastLine, lastLine)
                current.edits.append(edit)
                clusters[clusters.count - 1] = current
            } else {
                clusters.append(Cluster(firstLine: firstLine, lastLine: lastLine, edits: [edit]))
            }
        }
        return clusters.map { cluster in
            let from = file.lineStarts[cluster.firstLine - 1]
            let to = cluster.lastLine < file.lineCount ? file.lineStarts[cluster.lastLine] : file.bytes.count
            var after = Array(file.bytes[from..<to])
            for edit in cluster.edits.reversed() {
                after.replaceSubrange((edit.range.start.offset - from)..<(edit.range.end.offset - from), with: Array(edit.newText.utf8))
            }
            return Hunk(firstLine: cluster.firstLine, removed: lines(file.bytes[from..<to]), added: lines(after[...]))
        }
    }

    /// Decoded lines of a byte span that ends at a line boundary, without line terminators.
    /// Split on the bytes: a `Character` split never saw the "\n" of a "\r\n" (one `Character`),
    /// so a CRLF file's hunk came out as one line holding its line breaks.
    static func lines(_ bytes: ArraySlice<UInt8>) -> [String] {
        var out: [String] = []
        var start = bytes.startIndex
        func piece(to end: Int) {
            let stop = end > start && bytes[end - 1] == UInt8(ascii: "\r") ? end - 1 : end
            out.append(String(decoding: bytes[start..<stop], as: UTF8.self))
        }
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            piece(to: i)
            start = i + 1
        }
        if start < bytes.endIndex { piece(to: bytes.endIndex) }
        return out
    }

    /// The edits of a fix grouped by file, files in order of first appearance, edits by offset.
    static func byFile(_ edits: [TextEdit]) -> [(path: String, edits: [TextEdit])] {
        var paths: [String] = []
        for edit in edits where !paths.contains(edit.range.path) { paths.append(edit.range.path) }
        return paths.map { path in
            (path, edits.filter { $0.range.path == path }.sorted {
                ($0.range.start.offset, $0.range.end.offset) < ($1.range.start.offset, $1.range.end.offset)
            })
        }
    }
}
