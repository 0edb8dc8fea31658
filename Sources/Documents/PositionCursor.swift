import AuditCore

/// Converts byte offsets to positions in O(distance) when offsets mostly increase, as they do in a
/// single left-to-right parse: a step along the current line costs its length, with no search for
/// the line (`SourceFile.position(ofOffset:)`, used for any other step, searches the line index).
struct PositionCursor {
    let source: SourceFile
    /// The path interned once (every range of the document carries it).
    let pathID: SourcePathID
    private var last = SourcePosition.start
    private var lastLineEnd: Int

    init(_ source: SourceFile) {
        self.source = source
        pathID = SourcePathID(source.path)
        lastLineEnd = source.lineStarts.count > 1 ? source.lineStarts[1] : source.bytes.count + 1
    }

    mutating func position(_ rawOffset: Int) -> SourcePosition {
        let offset = max(0, min(rawOffset, source.bytes.count))
        if offset >= last.offset, offset < lastLineEnd {
            var column = last.column
            var i = last.offset
            let bytes = source.bytes
            while i < offset {
                if bytes[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
            }
            last = SourcePosition(line: last.line, column: column, offset: offset)
            return last
        }
        let p = source.position(ofOffset: offset)
        last = p
        lastLineEnd = p.line < source.lineStarts.count ? source.lineStarts[p.line] : source.bytes.count + 1
        return p
    }

    mutating func range(from start: SourcePosition, to end: Int) -> SourceRange {
        SourceRange(pathID: pathID, start: start, end: position(end))
    }
}

extension SourceFile {
    /// The byte length of the UTF-8 sequence starting at `offset` (1 for a stray continuation byte
    /// or the end of the file).
    func scalarLength(at offset: Int) -> Int {
        guard offset < bytes.count else { return 0 }
        let b = bytes[offset]
        let length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
        return min(length, bytes.count - offset)
    }

    /// A readable rendering of the character at `offset` for messages: `x`, or U+00A0 for invisible
    /// and control characters.
    func describeCharacter(at offset: Int) -> String {
        let length = scalarLength(at: offset)
        guard length > 0 else { return "end of file" }
        let text = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
        guard let scalar = text.unicodeScalars.first else { return "?" }
        let invisible = scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
            || scalar.properties.generalCategory == .format || scalar.value == 0xFEFF
        if invisible {
            return "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        }
        return "`\(text)`"
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
