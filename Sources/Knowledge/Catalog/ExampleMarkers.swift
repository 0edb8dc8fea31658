/// The position markers of example files: the keycap emoji 1️⃣ … 9️⃣ and 🔟.
///
/// A keycap is a digit, an optional VARIATION SELECTOR-16 (U+FE0F) and COMBINING ENCLOSING KEYCAP
/// (U+20E3); both spellings are accepted and reported in the canonical form with U+FE0F.
public enum ExampleMarkers {
    /// Every marker in canonical form, in order.
    public static let all: [String] = (1...9).map { "\($0)\u{FE0F}\u{20E3}" } + ["\u{1F51F}"]

    /// One marker found in a text.
    public struct Occurrence: Sendable, Hashable {
        public var marker: String
        /// Position in the stripped text: 1-based line, 1-based column (Unicode scalars), 0-based UTF-8 offset.
        public var line: Int
        public var column: Int
        public var offset: Int
    }

    /// The canonical form of a marker as written (with or without U+FE0F), or nil when `text` is
    /// not exactly one marker.
    public static func canonical(_ text: String) -> String? {
        let s = Array(text.unicodeScalars)
        if s == ["\u{1F51F}"] { return all[9] }
        guard (s.count == 2 || s.count == 3), let d = s.first, ("1"..."9").contains(d), s.last == "\u{20E3}",
              s.count == 2 || s[1] == "\u{FE0F}" else { return nil }
        return "\(d)\u{FE0F}\u{20E3}"
    }

    /// `text` without its markers, and the markers in order of appearance.
    public static func strip(_ text: String) -> (text: String, markers: [Occurrence]) {
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var markers: [Occurrence] = []
        var line = 1, column = 1, offset = 0
        var i = 0
        while i < s.count {
            let c = s[i]
            var markerLength = 0
            var marker = ""
            if c == "\u{1F51F}" {
                markerLength = 1
                marker = all[9]
            } else if ("1"..."9").contains(c) {
                if i + 1 < s.count, s[i + 1] == "\u{20E3}" {
                    markerLength = 2
                } else if i + 2 < s.count, s[i + 1] == "\u{FE0F}", s[i + 2] == "\u{20E3}" {
                    markerLength = 3
                }
                if markerLength > 0 { marker = "\(c)\u{FE0F}\u{20E3}" }
            }
            if markerLength > 0 {
                markers.append(Occurrence(marker: marker, line: line, column: column, offset: offset))
                i += markerLength
                continue
            }
            out.append(c)
            offset += String(c).utf8.count
            if c == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += 1
        }
        return (String(out), markers)
    }
}
