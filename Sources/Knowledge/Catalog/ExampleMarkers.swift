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

    /// `text` without its markers, and the markers in order of appearance. Read on the UTF-8
    /// bytes (every example file of the catalogue passes through here at each start); a text
    /// without U+20E3 or 🔟 has none and is returned as it is.
    public static func strip(_ text: String) -> (text: String, markers: [Occurrence]) {
        guard text.containsBytes("\u{20E3}") || text.containsBytes("\u{1F51F}") else { return (text, []) }
        let bytes = Array(text.utf8)
        let keycap: [UInt8] = [0xE2, 0x83, 0xA3], selector: [UInt8] = [0xEF, 0xB8, 0x8F], ten: [UInt8] = [0xF0, 0x9F, 0x94, 0x9F]
        func at(_ i: Int, _ sequence: [UInt8]) -> Bool {
            i + sequence.count <= bytes.count && bytes[i..<(i + sequence.count)].elementsEqual(sequence)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var markers: [Occurrence] = []
        var line = 1, column = 1
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            var markerLength = 0
            var marker = ""
            if at(i, ten) {
                markerLength = 4
                marker = all[9]
            } else if b >= UInt8(ascii: "1"), b <= UInt8(ascii: "9") {
                if at(i + 1, keycap) {
                    markerLength = 4
                } else if at(i + 1, selector), at(i + 4, keycap) {
                    markerLength = 7
                }
                if markerLength > 0 { marker = all[Int(b - UInt8(ascii: "1"))] }
            }
            if markerLength > 0 {
                markers.append(Occurrence(marker: marker, line: line, column: column, offset: out.count))
                i += markerLength
                continue
            }
            let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
            out.append(contentsOf: bytes[i..<min(i + length, bytes.count)])
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += length
        }
        return (String(decoding: out, as: UTF8.self), markers)
    }
}
