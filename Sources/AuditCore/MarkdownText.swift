/// Text for Markdown documents (the `markdown` report, the `checklist`, the rule pages): code
/// spans fenced so that they hold any text, and prose escaped so that neither Markdown nor HTML in
/// it is interpreted (issue 20 §3). A code span's content is never escaped: Markdown shows it
/// literally, so an entity there (`~&gt; 5.0`) would show as typed.
public enum MarkdownText {
    /// `s` as a code span: its delimiter one backtick longer than the longest run inside, padded
    /// with a space when the text starts or ends with a backtick (or is empty); line breaks
    /// become spaces.
    public static func code(_ s: String) -> String {
        let text = oneLine(s)
        let fence = String(repeating: "`", count: longestBacktickRun(text) + 1)
        let pad = text.hasPrefix("`") || text.hasSuffix("`") || text.isEmpty ? " " : ""
        return fence + pad + text + pad + fence
    }

    /// The longest run of backticks in `s`.
    public static func longestBacktickRun(_ s: String) -> Int {
        var longest = 0, run = 0
        for c in s {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// Prose that quotes names in code spans (messages, titles, fixes): each code span kept as
    /// it is (a run of backticks closed by a run of the same length), an unclosed backtick run
    /// escaped, and outside the spans Markdown punctuation backslash-escaped and `<`, `>`, `&`
    /// written as entities, so neither Markdown nor HTML is interpreted.
    public static func inline(_ s: String) -> String {
        var out = ""
        for piece in pieces(s) {
            switch piece {
            case .code(let span): out += span
            case .text(let text): for c in text { out += escape(c) }
            case .unclosed(let run): out += String(repeating: "\\`", count: run)
            }
        }
        return out
    }

    /// The parts of prose: text, code spans (with their delimiters), unclosed backtick runs.
    public enum Piece: Equatable, Sendable {
        case text(String)
        case code(String)
        case unclosed(Int)
    }

    /// `s` split into text and code spans as CommonMark reads them: a backtick run opens a span
    /// that the next run of the same length closes.
    public static func pieces(_ s: String) -> [Piece] {
        let tick = UInt8(ascii: "`")
        guard s.utf8.contains(tick) else { return s.isEmpty ? [] : [.text(s)] }
        return bytePieces(s) ?? characterPieces(s)
    }

    /// `pieces` on the UTF-8 bytes: what `characterPieces` gives when every backtick is a
    /// Character of its own (nil otherwise: a combining mark after one, a prepended scalar before
    /// one). Splitting into Characters first was most of rendering an HTML report's prose.
    public static func bytePieces(_ s: String) -> [Piece]? {
        let tick = UInt8(ascii: "`")
        if s.joinsNeighbour("`") { return nil }
        let bytes = Array(s.utf8)
        func text(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }
        func runLength(at i: Int) -> Int {
            var run = 0
            while i + run < bytes.count && bytes[i + run] == tick { run += 1 }
            return run
        }
        var out: [Piece] = []
        var textStart = 0
        var i = 0
        while i < bytes.count {
            guard bytes[i] == tick else { i += 1; continue }
            let run = runLength(at: i)
            if textStart < i { out.append(.text(text(textStart, i))) }
            // The closing run: the next run of exactly `run` backticks.
            var j = i + run
            var close: Int?
            while j < bytes.count {
                guard bytes[j] == tick else { j += 1; continue }
                let r = runLength(at: j)
                if r == run { close = j; break }
                j += r
            }
            if let close {
                out.append(.code(text(i, close + run)))
                i = close + run
            } else {
                out.append(.unclosed(run))
                i += run
            }
            textStart = i
        }
        if textStart < bytes.count { out.append(.text(text(textStart, bytes.count))) }
        return out
    }

    /// `pieces` Character by Character.
    public static func characterPieces(_ s: String) -> [Piece] {
        let chars = Array(s)
        var out: [Piece] = []
        var text = ""
        var i = 0
        while i < chars.count {
            guard chars[i] == "`" else {
                text.append(chars[i])
                i += 1
                continue
            }
            var run = 0
            while i + run < chars.count && chars[i + run] == "`" { run += 1 }
            if !text.isEmpty { out.append(.text(text)); text = "" }
            if let close = closingRun(chars, from: i + run, length: run) {
                out.append(.code(String(chars[i..<(close + run)])))
                i = close + run
            } else {
                out.append(.unclosed(run))
                i += run
            }
        }
        if !text.isEmpty { out.append(.text(text)) }
        return out
    }

    /// The index of a backtick run of exactly `length` at or after `start`.
    public static func closingRun(_ chars: [Character], from start: Int, length: Int) -> Int? {
        var j = start
        while j < chars.count {
            guard chars[j] == "`" else { j += 1; continue }
            var run = 0
            while j + run < chars.count && chars[j + run] == "`" { run += 1 }
            if run == length { return j }
            j += run
        }
        return nil
    }

    static func escape(_ c: Character) -> String {
        switch c {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        case "\\", "*", "_", "[", "]", "|", "~", "#", "!", "@", "$": "\\" + String(c)
        default: String(c)
        }
    }

    /// Line breaks as spaces.
    public static func oneLine(_ s: String) -> String {
        s.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).joined(separator: " ")
    }
}
