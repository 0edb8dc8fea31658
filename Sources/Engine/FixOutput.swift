import AuditCore
import Gate

/// What `ghr-audit fix` prints, line by line in the order it prints them, and its exit status.
/// The command line only writes the lines out.
public struct FixOutput: Sendable, Hashable {
    public enum Stream: Sendable, Hashable { case standardOutput, standardError }

    public struct Line: Sendable, Hashable {
        public var stream: Stream
        /// Written as it is (ends with a newline).
        public var text: String

        public init(stream: Stream, text: String) {
            self.stream = stream
            self.text = text
        }
    }

    public var lines: [Line] = []
    /// `clean`, or `environment` when `--apply` left a file that needed a fix unwritten.
    public var status: ExitStatus = .clean

    /// Everything for one stream, concatenated.
    public func text(of stream: Stream) -> String { lines.filter { $0.stream == stream }.map(\.text).joined() }

    mutating func error(_ text: String) { lines.append(Line(stream: .standardError, text: text)) }
}

extension FixPlan {
    /// What `fix` prints for this plan: first what to change by hand (stderr); then the diff on
    /// stdout, or with `writer` (`--apply`) the files written through it and what was left; last
    /// the findings not fixed (stderr, after the diff so that the diff stays applicable). `quiet`
    /// drops the "no machine-applicable fix" note.
    public func output(applyingWith writer: (any ScanRootWriter)? = nil, quiet: Bool = false) -> FixOutput {
        var out = FixOutput()
        for line in pinInstructions { out.error("ghr-audit: change by hand: \(line)\n") }
        // A shared wrapper's fix changes every caller: said before the diff, so no one applies it unaware.
        for line in sharedModuleNotes { out.error("ghr-audit: shared module: \(line)\n") }
        if files.isEmpty && unaudited.isEmpty {
            if !quiet { out.error("ghr-audit: no machine-applicable fix\n") }
        } else {
            for line in overlapMessages { out.error(line + "\n") }
            if let writer {
                let outcome = apply(to: writer)
                for line in outcome.messages { out.error(line + "\n") }
                out.status = outcome.status
            } else {
                for path in unaudited { out.error("ghr-audit: \(path): fix not shown: the audit did not read it\n") }
                out.lines.append(FixOutput.Line(stream: .standardOutput, text: diff))
            }
        }
        if !notFixed.isEmpty {
            out.error("ghr-audit: \(notFixed.count) finding(s) not fixed:\n" + notFixedLines.map { "  " + $0 + "\n" }.joined())
        }
        return out
    }
}
