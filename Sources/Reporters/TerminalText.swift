import AuditCore

/// Turning arbitrary text (file contents, messages quoting it) into something safe and
/// predictable on a terminal: how wide each scalar is drawn, and what is drawn instead of
/// characters that would move the cursor, change colours or reorder the line.
enum TerminalText {
    static let tabWidth = 4

    /// One scalar as drawn: the text shown and its width in terminal columns.
    struct Cell: Equatable {
        var text: String
        var width: Int
    }

    /// How `scalar` is drawn when it starts at display column `column` (0-based, for tabs).
    ///
    /// - Tabs expand to the next multiple of `tabWidth`.
    /// - C0 controls and DEL become their Control Pictures (U+2400 block), C1 controls U+FFFD:
    ///   a file containing `ESC [ 2 J` must not clear the reader's screen.
    /// - Bidirectional formatting characters are shown as `<U+202E>`: they could otherwise make
    ///   the displayed source differ from what the parser saw ("Trojan Source").
    /// - Combining and other zero-width scalars take no column; East Asian wide and emoji
    ///   presentation scalars take two.
    static func cell(_ scalar: Unicode.Scalar, atColumn column: Int) -> Cell {
        let v = scalar.value
        if v >= 0x20 && v < 0x7F { return Cell(text: String(scalar), width: 1) }
        if scalar == "\t" {
            let n = tabWidth - column % tabWidth
            return Cell(text: String(repeating: " ", count: n), width: n)
        }
        if v < 0x20 { return Cell(text: String(Unicode.Scalar(0x2400 + v)!), width: 1) }
        if v == 0x7F { return Cell(text: "\u{2421}", width: 1) }
        if (0x80...0x9F).contains(v) { return Cell(text: "\u{FFFD}", width: 1) }
        if isBidiControl(v) {
            let hex = String(v, radix: 16, uppercase: true)
            let text = "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
            return Cell(text: text, width: text.count)
        }
        return Cell(text: String(scalar), width: width(of: scalar))
    }

    static func isBidiControl(_ v: UInt32) -> Bool {
        (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F || v == 0x061C
    }

    /// Terminal columns of a printable scalar (a compact `wcwidth`).
    static func width(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B || (0x1160...0x11FF).contains(v) { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        if isEastAsianWide(v) { return 2 }
        return 1
    }

    /// East Asian Wide and Fullwidth blocks (UAX #11), coarse-grained by block.
    static func isEastAsianWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
             0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1B000...0x1B2FF,
             0x1F200...0x1F2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Whether every byte of `text` is printable ASCII (space to `~`): each is drawn as itself in
    /// one column, so the text is its own sanitized form and its width is its length. Nearly all
    /// of a report is; asking the Unicode tables scalar by scalar was half of rendering it.
    static func isPrintableASCII(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// `text` made safe for one terminal line: every scalar drawn by `cell`.
    static func sanitized(_ text: String) -> String {
        if isPrintableASCII(text) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        var column = 0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v >= 0x20 && v < 0x7F {
                // Printable ASCII is drawn as itself in one column: no cell to build.
                out.append(UInt8(truncatingIfNeeded: v))
                column += 1
                continue
            }
            let c = cell(scalar, atColumn: column)
            out.append(contentsOf: c.text.utf8)
            column += c.width
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The display width of a sanitized single-line string.
    static func displayWidth(_ text: some StringProtocol) -> Int {
        if isPrintableASCII(text) { return text.utf8.count }
        var column = 0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            column += v >= 0x20 && v < 0x7F ? 1 : cell(scalar, atColumn: column).width
        }
        return column
    }

    /// Word-wraps `text` to `width` columns. Explicit line breaks are kept (blank lines too);
    /// each input line is wrapped on spaces, continuation lines keep the line's own leading
    /// indentation, plus two columns under a `- ` or `* ` bullet. Words longer than the width
    /// are not broken (URLs and paths stay copyable).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        for raw in text.splitBytes(UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = sanitized(String(raw.hasSuffix("\r") ? raw.dropLast() : raw))
            lines += wrapOnBytes(line, width: width) ?? wrapLine(line, width: width)
        }
        return lines
    }

    /// `wrap` of one sanitized line, Character by Character.
    static func wrapLine(_ line: String, width: Int) -> [String] {
        let leading = String(line.prefix { $0 == " " })
        let body = line.dropFirst(leading.count)
        let bullet = body.hasPrefix("- ") || body.hasPrefix("* ")
        return fill(body.split(separator: " ", omittingEmptySubsequences: true), leading: leading, bullet: bullet, width: width,
                    measure: { displayWidth($0) })
    }

    /// `wrap` of one sanitized line on its bytes, words split at space bytes: what `wrapLine`
    /// gives, without segmenting the line into Characters (most of what a report wraps; Character
    /// by Character it was most of rendering). Nil when a space is not a Character of its own
    /// there (a combining mark after it, a prepended scalar before it): `wrapLine` then.
    static func wrapOnBytes(_ line: String, width: Int) -> [String]? {
        let space = UInt8(ascii: " ")
        let bytes = Array(line.utf8)
        var ascii = true
        for b in bytes where b < 0x20 || b >= 0x7F { ascii = false; break }
        if !ascii, line.joinsNeighbour(" ") { return nil }
        var p = 0
        while p < bytes.count, bytes[p] == space { p += 1 }
        let leadingCount = p
        let bullet = bytes.count >= p + 2 && (bytes[p] == UInt8(ascii: "-") || bytes[p] == UInt8(ascii: "*")) && bytes[p + 1] == space
        let hangingCount = leadingCount + (bullet ? 2 : 0)
        // The words laid out as `fill` lays them out, a line at a time in a byte buffer.
        var lines: [String] = []
        var current = [UInt8](repeating: space, count: leadingCount)
        var currentWidth = leadingCount
        var hasWord = false
        while p < bytes.count {
            if bytes[p] == space { p += 1; continue }
            let start = p
            var wordASCII = true
            while p < bytes.count, bytes[p] != space {
                if bytes[p] >= 0x80 { wordASCII = false }
                p += 1
            }
            let word = bytes[start..<p]
            let w = wordASCII ? word.count : displayWidth(String(decoding: word, as: UTF8.self))
            if hasWord && currentWidth + 1 + w > width {
                lines.append(String(decoding: current, as: UTF8.self))
                current = [UInt8](repeating: space, count: hangingCount)
                currentWidth = hangingCount + w
            } else {
                if hasWord { current.append(space); currentWidth += 1 }
                currentWidth += w
            }
            current.append(contentsOf: word)
            hasWord = true
        }
        lines.append(hasWord ? String(decoding: current, as: UTF8.self) : "")
        return lines
    }

    /// `words` laid out in lines of at most `width` columns (a longer word has a line of its own):
    /// the first line starts with `leading`, the next with `leading` plus two columns under a
    /// bullet. `leading` is spaces only.
    private static func fill(_ words: some Sequence<Substring>, leading: String, bullet: Bool, width: Int, measure: (Substring) -> Int) -> [String] {
        let hanging = leading + (bullet ? "  " : "")
        var lines: [String] = []
        var current = leading
        var currentWidth = leading.utf8.count
        var hasWord = false
        for word in words {
            let w = measure(word)
            if hasWord && currentWidth + 1 + w > width {
                lines.append(current)
                current = hanging + word
                currentWidth = hanging.utf8.count + w
            } else {
                if hasWord { current += " "; currentWidth += 1 }
                current += word
                currentWidth += w
            }
            hasWord = true
        }
        lines.append(hasWord ? current : "")
        return lines
    }
}

/// ANSI SGR styling, a no-op when colour is off.
struct Style {
    let enabled: Bool

    static let reset = "\u{1B}[0m"

    func apply(_ codes: String, _ text: String) -> String {
        enabled && !text.isEmpty ? "\u{1B}[\(codes)m\(text)\(Style.reset)" : text
    }

    func bold(_ text: String) -> String { apply("1", text) }
    func red(_ text: String) -> String { apply("31", text) }
    func green(_ text: String) -> String { apply("32", text) }
    func dim(_ text: String) -> String { apply("2", text) }

    func severity(_ severity: Severity, _ text: String) -> String {
        switch severity {
        case .error: apply("1;31", text)
        case .warning: apply("1;33", text)
        case .note: apply("1;36", text)
        }
    }

    /// The colour of a severity without bold, for underlines.
    func severityPlain(_ severity: Severity, _ text: String) -> String {
        switch severity {
        case .error: apply("31", text)
        case .warning: apply("33", text)
        case .note: apply("36", text)
        }
    }
}
