/// A point in a source file.
///
/// `line` and `column` are 1-based; `column` counts Unicode scalars from the start of the line
/// (the convention Yams marks use). `offset` is the 0-based UTF-8 byte offset, exact and cheap to
/// slice with. Reporters convert to other units at the edge.
///
/// Stored in 32 bits each (files are at most `Limits.maxFileSize`, 64 MiB): every syntax node, value
/// and finding carries two positions in a `SourceRange`, so this halves what positions cost in
/// memory (a range is 40 bytes instead of 64).
public struct SourcePosition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    private var storedLine: Int32
    private var storedColumn: Int32
    private var storedOffset: Int32

    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }
    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }
    public var offset: Int {
        get { Int(storedOffset) }
        set { storedOffset = Int32(clamping: newValue) }
    }

    public init(line: Int, column: Int, offset: Int) {
        storedLine = Int32(clamping: line)
        storedColumn = Int32(clamping: column)
        storedOffset = Int32(clamping: offset)
    }

    private enum CodingKeys: String, CodingKey { case line, column, offset }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(line: try c.decode(Int.self, forKey: .line), column: try c.decode(Int.self, forKey: .column),
                  offset: try c.decode(Int.self, forKey: .offset))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(line, forKey: .line)
        try c.encode(column, forKey: .column)
        try c.encode(offset, forKey: .offset)
    }

    public static let start = SourcePosition(line: 1, column: 1, offset: 0)

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        if lhs.offset != rhs.offset { return lhs.offset < rhs.offset }
        if lhs.line != rhs.line { return lhs.line < rhs.line }
        return lhs.column < rhs.column
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range `[start, end)` in one file. `path` is relative to the scan root with `/`
/// separators.
public struct SourceRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var start: SourcePosition
    public var end: SourcePosition

    public init(path: String, start: SourcePosition, end: SourcePosition) {
        self.path = path
        self.start = start
        self.end = max(start, end)
    }

    /// An empty range at the start of `path` (for findings about a whole file).
    public static func fileStart(_ path: String) -> SourceRange {
        SourceRange(path: path, start: .start, end: .start)
    }

    /// The smallest range covering both (same file assumed; `self`'s path wins).
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(path: path, start: min(start, other.start), end: max(end, other.end))
    }

    public func contains(_ position: SourcePosition) -> Bool {
        start.offset <= position.offset && position.offset < end.offset
    }

    public var isEmpty: Bool { start.offset == end.offset }

    public var description: String { "\(path):\(start.line):\(start.column)-\(end.line):\(end.column)" }
}
