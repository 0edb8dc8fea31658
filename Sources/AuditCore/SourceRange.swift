import Synchronization

/// A point in a source file.
///
/// `line` and `column` are 1-based; `column` counts Unicode scalars from the start of the line
/// (the convention Yams marks use). `offset` is the 0-based UTF-8 byte offset, exact and cheap to
/// slice with. Reporters convert to other units at the edge.
///
/// Stored as three 32-bit numbers (12 bytes; files are at most `Limits.maxFileSize`, larger values
/// are clamped): every syntax tree node holds two of these.
public struct SourcePosition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    @usableFromInline var line32: Int32
    @usableFromInline var column32: Int32
    @usableFromInline var offset32: Int32

    @inlinable public var line: Int {
        get { Int(line32) }
        set { line32 = Int32(clamping: newValue) }
    }

    @inlinable public var column: Int {
        get { Int(column32) }
        set { column32 = Int32(clamping: newValue) }
    }

    @inlinable public var offset: Int {
        get { Int(offset32) }
        set { offset32 = Int32(clamping: newValue) }
    }

    @inlinable public init(line: Int, column: Int, offset: Int) {
        line32 = Int32(clamping: line)
        column32 = Int32(clamping: column)
        offset32 = Int32(clamping: offset)
    }

    /// From numbers already known to fit (a parser's positions in a file of at most
    /// `Limits.maxFileSize` bytes), without clamping.
    @inlinable public init(line32: Int32, column32: Int32, offset32: Int32) {
        self.line32 = line32
        self.column32 = column32
        self.offset32 = offset32
    }

    public static let start = SourcePosition(line: 1, column: 1, offset: 0)

    @inlinable public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        if lhs.offset32 != rhs.offset32 { return lhs.offset32 < rhs.offset32 }
        if lhs.line32 != rhs.line32 { return lhs.line32 < rhs.line32 }
        return lhs.column32 < rhs.column32
    }

    public var description: String { "\(line):\(column)" }

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
}

/// A file path by number: paths are interned once per process, so a `SourceRange` holds four bytes
/// instead of a `String` (no reference counting when syntax trees copy and free their ranges).
/// Two ids are equal exactly when their paths have the same bytes.
public struct SourcePathID: Sendable, Hashable {
    public let rawValue: UInt32

    public init(_ path: String) { rawValue = SourcePathID.table.withLock { $0.intern(path) } }

    /// The interned path.
    public var path: String { SourcePathID.table.withLock { $0.paths[Int(rawValue)] } }

    /// A path compared and hashed by its UTF-8 bytes (`String`'s own `==` treats canonically
    /// equivalent spellings as equal; file names are bytes).
    private struct Key: Hashable {
        let path: String
        static func == (a: Key, b: Key) -> Bool {
            // The table's probes compare keys, most of them different: lengths first, then the
            // bytes in place (a generic walk of two `UTF8View`s cost about 25 instructions a byte).
            let x = a.path.utf8, y = b.path.utf8
            guard x.count == y.count else { return false }
            let same: Bool?? = x.withContiguousStorageIfAvailable { p in y.withContiguousStorageIfAvailable { q in p.elementsEqual(q) } }
            if case .some(.some(let result)) = same { return result }
            return x.elementsEqual(y)
        }
        func hash(into hasher: inout Hasher) {
            hasher.combine(path.utf8.count)
            let hashed: Void? = path.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            if hashed == nil { for b in path.utf8 { hasher.combine(b) } }
        }
    }

    private struct Table {
        var ids: [Key: UInt32] = [:]
        var paths: [String] = []

        mutating func intern(_ path: String) -> UInt32 {
            if let id = ids[Key(path: path)] { return id }
            let id = UInt32(paths.count)
            paths.append(path)
            ids[Key(path: path)] = id
            return id
        }
    }

    private static let table = Mutex(Table())
}

/// A half-open range `[start, end)` in one file. `path` is relative to the scan root with `/`
/// separators.
public struct SourceRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var pathID: SourcePathID
    public var start: SourcePosition
    public var end: SourcePosition

    public var path: String {
        get { pathID.path }
        set { pathID = SourcePathID(newValue) }
    }

    public init(path: String, start: SourcePosition, end: SourcePosition) {
        self.init(pathID: SourcePathID(path), start: start, end: end)
    }

    @inlinable public init(pathID: SourcePathID, start: SourcePosition, end: SourcePosition) {
        self.pathID = pathID
        self.start = start
        self.end = max(start, end)
    }

    /// An empty range at the start of `path` (for findings about a whole file).
    public static func fileStart(_ path: String) -> SourceRange {
        SourceRange(path: path, start: .start, end: .start)
    }

    /// The smallest range covering both (same file assumed; `self`'s path wins).
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(pathID: pathID, start: min(start, other.start), end: max(end, other.end))
    }

    @inlinable public func contains(_ position: SourcePosition) -> Bool {
        start.offset <= position.offset && position.offset < end.offset
    }

    @inlinable public var isEmpty: Bool { start.offset == end.offset }

    public var description: String { "\(path):\(start.line):\(start.column)-\(end.line):\(end.column)" }

    private enum CodingKeys: String, CodingKey { case path, start, end }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pathID = SourcePathID(try c.decode(String.self, forKey: .path))
        start = try c.decode(SourcePosition.self, forKey: .start)
        end = try c.decode(SourcePosition.self, forKey: .end)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
    }
}
