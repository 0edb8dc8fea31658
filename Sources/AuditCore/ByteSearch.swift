#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// The first occurrence of `needle` at or after `from`, byte for byte (UTF-8): Foundation's
    /// `range(of:)` without the bridge to `NSString`, for ASCII markers such as `://`.
    public func rangeOfBytes(_ needle: String, from: String.Index? = nil) -> Range<String.Index>? {
        let start = from.map { utf8.distance(from: utf8.startIndex, to: $0) } ?? 0
        var haystack = self
        var needle = needle
        let found: Int? = haystack.withUTF8 { h in needle.withUTF8 { n in ByteSearch.firstOffset(of: n, in: h, from: start) } }
        guard let found else { return nil }
        let lower = utf8.index(utf8.startIndex, offsetBy: found)
        return lower..<utf8.index(lower, offsetBy: needle.utf8.count)
    }

    /// Whether the text holds `needle` byte for byte (UTF-8). For the ASCII markers the audit
    /// looks for in whole files this is what `contains` means, without Foundation's
    /// Unicode-aware search (which bridges the text to `NSString` first).
    public func containsBytes(_ needle: String) -> Bool {
        needle.isEmpty || rangeOfBytes(needle) != nil
    }
}

extension Array where Element == UInt8 {
    /// Whether the bytes hold `needle`'s UTF-8 bytes: a file's text searched without decoding
    /// it into a `String` first.
    public func containsBytes(_ needle: String) -> Bool {
        var needle = needle
        return needle.isEmpty || withUnsafeBufferPointer { h in needle.withUTF8 { n in ByteSearch.firstOffset(of: n, in: h, from: 0) } } != nil
    }
}

enum ByteSearch {
    /// The offset of the first occurrence of `n` in `h` at or after `start`: `memchr` for the
    /// needle's first byte, `memcmp` for the rest.
    static func firstOffset(of n: UnsafeBufferPointer<UInt8>, in h: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let hb = h.baseAddress, let nb = n.baseAddress, !n.isEmpty, h.count - start >= n.count else { return nil }
        let first = Int32(n[0])
        var at = start
        let last = h.count - n.count
        while at <= last {
            guard let hit = memchr(hb + at, first, last - at + 1) else { return nil }
            let offset = UnsafeRawPointer(hit) - UnsafeRawPointer(hb)
            if memcmp(hb + offset, nb, n.count) == 0 { return offset }
            at = offset + 1
        }
        return nil
    }
}

extension String {
    /// The parts between occurrences of the ASCII byte `separator`, as `split(separator:)` gives
    /// them but compared byte by byte instead of Character by Character (which runs the grapheme
    /// breaking over every byte: a path's components, a report's lines). A separator always
    /// separates, also before a combining mark (a Character comparison would see one Character
    /// there), and "\r\n" splits at its "\n".
    public func splitBytes(_ separator: UInt8, omittingEmptySubsequences: Bool = true) -> [Substring] {
        precondition(separator < 0x80, "an ASCII separator keeps every part valid UTF-8")
        var parts: [Substring] = []
        let bytes = utf8
        var start = bytes.startIndex, i = start
        while i != bytes.endIndex {
            if bytes[i] == separator {
                if !(omittingEmptySubsequences && start == i) { parts.append(self[start..<i]) }
                start = bytes.index(after: i)
            }
            i = bytes.index(after: i)
        }
        if !(omittingEmptySubsequences && start == bytes.endIndex) { parts.append(self[start..<bytes.endIndex]) }
        return parts
    }

    /// The text with every occurrence of `target` replaced by `replacement`, left to right, byte
    /// for byte (UTF-8): Foundation's `replacingOccurrences` without the bridge to `NSString`, for
    /// ASCII markers such as `${path.module}`.
    public func replacingBytes(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, containsBytes(target) else { return self }
        let h = Array(utf8), n = Array(target.utf8), r = Array(replacement.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(h.count)
        var i = 0
        while i < h.count {
            if h[i] == n[0], i + n.count <= h.count, h[i..<(i + n.count)].elementsEqual(n) {
                out += r
                i += n.count
            } else {
                out.append(h[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space: the set Foundation's
    /// `.whitespacesAndNewlines` holds (the scalars with Unicode's `White_Space` property, and
    /// U+200B ZERO WIDTH SPACE, which Foundation counts too; checked over every scalar). Foundation's
    /// `trimmingCharacters(in:)` bridges to `NSString` and copies through UTF-16 first: reading
    /// the rule catalogue's prose that way was a seventh of loading the knowledge base.
    public var trimmingWhitespace: String {
        func isSpace(_ s: Unicode.Scalar) -> Bool {
            s.value < 0x80 ? (s.value == 0x20 || (0x09...0x0D).contains(s.value)) : (s.value == 0x200B || s.properties.isWhitespace)
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first..<scalars.index(after: last)])
    }
}

extension String {
    /// Whether some `ascii` scalar of the string is not a Character of its own: a combining mark
    /// (or another extender) after it, or a prepended scalar before it, joins it to a neighbour.
    /// Where none is, a reader that splits the bytes at `ascii` splits where a reader of
    /// Characters would (the text report's wrap at spaces, prose's code spans at backticks).
    public func joinsNeighbour(_ ascii: Unicode.Scalar) -> Bool {
        // Only a non-ASCII scalar can join an ASCII one.
        guard utf8.contains(where: { $0 >= 0x80 }) else { return false }
        var previous: Unicode.Scalar?
        for scalar in unicodeScalars {
            if let p = previous, p == ascii && scalar.value >= 0x80 || scalar == ascii && p.value >= 0x80,
               (String(p) + String(scalar)).count == 1 {
                return true
            }
            previous = scalar
        }
        return false
    }
}
