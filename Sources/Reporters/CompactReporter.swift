import AuditCore

/// One line per finding, as compilers and tflint's `compact` format write them, so editors
/// (`errorformat`, problem matchers) and `grep` can read the report:
///
///     main.tf:3:3: error[INP-201] `foo` was removed in 5.0.0
///
/// Text from the scanned files is sanitized (no control characters) and kept on one line. With
/// `showSuppressed`, dismissed findings follow in the same shape with ` (suppressed: reason)`;
/// otherwise a last line counts them when there are any (not under `quiet`). A last line counts the
/// findings a display filter hid (not under `quiet`).
enum CompactReporter {
    static func render(_ report: Report, showSuppressed: Bool, quiet: Bool = false) -> String {
        var lines = report.findings.map { line($0) }
        if showSuppressed {
            lines += report.dismissed.map { line($0.finding) + " (" + oneLine(Counting.dismissal($0)) + ")" }
        } else if !quiet, let counts = Counting.dismissedPhrase(report) {
            lines.append(counts + " (`--show-suppressed` lists them)")
        }
        if !quiet, let hidden = Counting.hiddenPhrase(report) { lines.append(hidden) }
        return lines.map { $0 + "\n" }.joined()
    }

    static func line(_ f: Finding) -> String {
        let path = f.location.path.isEmpty ? "." : f.location.path
        return oneLine("\(path):\(f.location.start.line):\(f.location.start.column): \(f.severity.rawValue)[\(f.ruleId)] \(f.message)")
    }

    static func oneLine(_ s: String) -> String {
        TerminalText.sanitized(s.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).joined(separator: " "))
    }
}
