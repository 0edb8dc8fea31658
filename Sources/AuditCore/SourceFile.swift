import Foundation

/// The text of one file with a line index, so byte offsets convert to positions in O(log lines).
///
/// The file is held once, as its UTF-8 bytes: every file of a run stays loaded until the end,
/// and keeping a `String` of the same text beside the bytes doubled what the sources cost.
/// `text` decodes the bytes when asked (an O(n) copy, for the few whole-file readers).
public struct SourceFile: Sendable {
    public let path: String
    /// `path` interned once: ranges made here take it instead of interning the path each time
    /// (a locked table lookup that hashed the path, a quarter of composing a YAML file).
    public let pathID: SourcePathID
    public let bytes: [UInt8]
    /// Byte offset of the first byte of each line (line 1 at index 0).
    public let lineStarts: [Int]
    /// UTF-8 continuation bytes (`10xxxxxx`) before each 64-byte block; empty for an ASCII file.
    /// A column (in scalars) is then the byte distance from the line start less the continuation
    /// bytes between, found in at most 64 steps: counting every byte from the line start made a
    /// position on a long line (a minified `.tf.json`) cost its column.
    public let continuationsBefore: [Int32]

    /// The whole text, decoded from `bytes` on each call (the bytes are valid UTF-8: they came
    /// from a `String`, so this is the text the file was made from). Readers of a part use
    /// `text(from:to:)` or `text(of:)`; whole-file byte searches can read `bytes` directly.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public init(path: String, text: String) {
        self.init(path: path, utf8: Array(text.utf8))
    }

    /// `bytes` known to be valid UTF-8.
    private init(path: String, utf8 bytes: [UInt8]) {
        self.path = path
        pathID = SourcePathID(path)
        self.bytes = bytes
        // memchr finds line breaks many bytes at a time (every file read is indexed here). The
        // breaks are counted first so the index is allocated once at its exact size: it lives as
        // long as the file, and an index grown by appends kept up to half its capacity unused.
        let starts = bytes.withUnsafeBufferPointer { buffer -> [Int] in
            guard let base = buffer.baseAddress else { return [0] }
            func forEachBreak(_ body: (Int) -> Void) {
                var at = 0
                while at < buffer.count, let hit = memchr(base + at, 0x0A, buffer.count - at) {
                    at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit)) + 1
                    body(at)
                }
            }
            var breaks = 0
            forEachBreak { _ in breaks += 1 }
            return [Int](unsafeUninitializedCapacity: breaks + 1) { out, count in
                out[0] = 0
                count = 1
                forEachBreak { at in out[count] = at; count += 1 }
            }
        }
        self.lineStarts = starts
        continuationsBefore = SourceFile.continuationTable(bytes)
    }

    static func continuationTable(_ bytes: [UInt8]) -> [Int32] {
        bytes.withUnsafeBufferPointer { bytes -> [Int32] in
            let n = bytes.count
            // Eight bytes at a time: any byte with its high bit set?
            var i = 0
            var high: UInt64 = 0
            while i + 8 <= n {
                high |= UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)
                i += 8
            }
            while i < n {
                high |= UInt64(bytes[i])
                i += 1
            }
            guard high & 0x8080_8080_8080_8080 != 0 else { return [] }
            var table = [Int32](repeating: 0, count: n / 64 + 1)
            var count: Int32 = 0
            var block = 0
            while block * 64 < n {
                table[block] = count
                let end = min(n, block * 64 + 64)
                for k in (block * 64)..<end where bytes[k] & 0xC0 == 0x80 { count += 1 }
                block += 1
            }
            if block < table.count { table[block] = count }
            return table
        }
    }

    /// Continuation bytes before `offset` (at most the file's size), for a file that is not ASCII.
    public func continuations(before offset: Int) -> Int {
        let block = offset >> 6
        var count = Int(continuationsBefore[block])
        var k = block << 6
        while k < offset {
            if bytes[k] & 0xC0 == 0x80 { count += 1 }
            k += 1
        }
        return count
    }

    /// The file whose bytes are `data`, when they are UTF-8 (nil otherwise). A leading byte order
    /// mark is dropped, as Foundation's UTF-8 decoding drops it: offsets count from the text.
    ///
    /// The bytes are checked and copied as they are, with no `String` made of them: the loader
    /// reads every file through here, and a decoded copy of each was kept alive with the tree
    /// built from it (as much memory again as the input, for the whole run).
    public init?(path: String, data: Data) {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let body = data.starts(with: bom) ? data.dropFirst(bom.count) : data[...]
        let bytes = [UInt8](body)
        guard UTF8Check.isValid(bytes) else { return nil }
        self.init(path: path, utf8: bytes)
    }

    public var lineCount: Int { lineStarts.count }

    /// Where `data` stops being UTF-8: the range of the first byte sequence that is not a
    /// character (line and column count the characters before it), nil when all of it decodes.
    public static func firstInvalidUTF8(in data: Data, path: String) -> SourceRange? {
        var iterator = data.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0, line = 1, column = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
                if encoded.count == 1 && encoded.first == 0x0A { line += 1; column = 1 } else { column += 1 }
            case .error(let length):
                return SourceRange(path: path, start: SourcePosition(line: line, column: column, offset: offset),
                                   end: SourcePosition(line: line, column: column + 1, offset: offset + length))
            case .emptyInput:
                return nil
            }
        }
    }

    /// The 1-based line containing byte `offset`.
    public func line(ofOffset offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    /// The position of byte `offset` (clamped to the file). Columns count Unicode scalars.
    public func position(ofOffset rawOffset: Int) -> SourcePosition {
        let offset = max(0, min(rawOffset, bytes.count))
        let line = line(ofOffset: offset)
        let start = lineStarts[line - 1]
        // Scalar starts before `offset`: the bytes that are not UTF-8 continuation bytes.
        var column = offset - start + 1
        if !continuationsBefore.isEmpty { column -= continuations(before: offset) - continuations(before: start) }
        // A partial scalar at the end would over-count; it cannot happen for offsets at scalar starts.
        return SourcePosition(line: line, column: column, offset: offset)
    }

    public func range(from start: Int, to end: Int) -> SourceRange {
        SourceRange(pathID: pathID, start: position(ofOffset: start), end: position(ofOffset: end))
    }

    /// The whole file.
    public var fullRange: SourceRange { range(from: 0, to: bytes.count) }

    /// The text of 1-based line `n` without its line terminator.
    public func lineText(_ n: Int) -> String {
        guard n >= 1, n <= lineStarts.count else { return "" }
        let start = lineStarts[n - 1]
        var end = n < lineStarts.count ? lineStarts[n] - 1 : bytes.count
        if end > start, end <= bytes.count, end - 1 >= start, bytes[end - 1] == 0x0D { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// The text between two byte offsets.
    public func text(from start: Int, to end: Int) -> String {
        let s = max(0, min(start, bytes.count)), e = max(s, min(end, bytes.count))
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }

    public func text(of range: SourceRange) -> String { text(from: range.start.offset, to: range.end.offset) }
}

/// Whether bytes are well-formed UTF-8, as Unicode defines it (table 3-7: no overlong forms, no
/// surrogates, nothing above U+10FFFF): what `String(validating:as:)` accepts. Runs of ASCII
/// are passed over eight bytes at a time.
public enum UTF8Check {
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            let count = buffer.count
            var i = 0
            while i < count {
                // Eight ASCII bytes at once while they last.
                while i + 8 <= count,
                      UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                }
                guard i < count else { break }
                let b0 = base[i]
                if b0 < 0x80 { i += 1; continue }
                // The length of the sequence and the range its second byte must fall in.
                let length: Int, low: UInt8, high: UInt8
                switch b0 {
                case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
                case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
                case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
                case 0xED: (length, low, high) = (3, 0x80, 0x9F)
                case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
                case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
                case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
                default: return false
                }
                guard i + length <= count, (low...high).contains(base[i + 1]) else { return false }
                for k in 2..<length where base[i + k] & 0xC0 != 0x80 { return false }
                i += length
            }
            return true
        }
    }
}
