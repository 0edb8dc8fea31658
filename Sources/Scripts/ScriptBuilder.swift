import AuditCore

/// Accumulates the pieces of a word while a scanner reads it.
struct WordBuilder {
    let start: Int
    var end: Int
    private(set) var parts: [WordPart] = []
    private var valueBytes: [UInt8] = []
    private var pending: [UInt8] = []
    private var pendingQuoted = false

    init(start: Int) {
        self.start = start
        self.end = start
    }

    mutating func literal(_ bytes: some Sequence<UInt8>, quoted: Bool) {
        if !pending.isEmpty, pendingQuoted != quoted { flush() }
        pendingQuoted = quoted
        for byte in bytes {
            pending.append(byte)
            valueBytes.append(byte)
        }
    }

    mutating func literal(_ byte: UInt8, quoted: Bool) { literal(CollectionOfOne(byte), quoted: quoted) }

    /// Adds a non-literal part; `raw` is how it appears in `value`.
    mutating func add(_ part: WordPart, raw: some Sequence<UInt8>) {
        flush()
        parts.append(part)
        valueBytes.append(contentsOf: raw)
    }

    mutating func flush() {
        guard !pending.isEmpty else { return }
        parts.append(.literal(String(decoding: pending, as: UTF8.self), quoted: pendingQuoted))
        pending.removeAll(keepingCapacity: true)
    }

    /// Appends the parts of another builder (for array values, nested words).
    mutating func absorb(_ other: WordBuilder) {
        var o = other
        o.flush()
        flush()
        parts.append(contentsOf: o.parts)
        valueBytes.append(contentsOf: o.valueBytes)
    }

    func build(in b: ScriptBuilder) -> ScriptWord {
        var done = self
        done.flush()
        let e = min(end, b.bytes.count)
        return ScriptWord(range: b.range(start, e), text: b.text(start, e),
                          value: String(decoding: done.valueBytes, as: UTF8.self), parts: done.parts,
                          scanStart: start, scanEnd: e)
    }
}

/// Byte offset → position like `SourceFile.position(ofOffset:)`, but in O(256) on long lines: for every
/// line longer than `stride` bytes it keeps the column at each `stride`-byte checkpoint.
struct ColumnIndex: Sendable {
    static let stride = 256
    let source: SourceFile
    /// The path interned once (every range of the script carries it).
    let pathID: SourcePathID
    private let checkpoints: [Int: [Int]]
    /// Every byte is ASCII (nearly every script): a column is then the distance from the line's
    /// start, with no bytes to count and no checkpoint to look up.
    private let ascii: Bool

    init(_ source: SourceFile) {
        self.source = source
        pathID = SourcePathID(source.path)
        var cps: [Int: [Int]] = [:]
        let bytes = source.bytes
        ascii = Self.allASCII(bytes)
        for (index, start) in source.lineStarts.enumerated() {
            let end = index + 1 < source.lineStarts.count ? source.lineStarts[index + 1] : bytes.count
            guard end - start > 2 * Self.stride else { continue }
            var columns = [1]
            var column = 1
            var i = start
            while i < end {
                if bytes[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
                if (i - start) % Self.stride == 0 { columns.append(column) }
            }
            cps[index + 1] = columns
        }
        checkpoints = cps
    }

    func position(_ rawOffset: Int) -> SourcePosition {
        let bytes = source.bytes
        let offset = max(0, min(rawOffset, bytes.count))
        let line = source.line(ofOffset: offset)
        let start = source.lineStarts[line - 1]
        if ascii { return SourcePosition(line: line, column: offset - start + 1, offset: offset) }
        var column = 1
        var i = start
        if !checkpoints.isEmpty, let columns = checkpoints[line] {
            let k = min((offset - start) / Self.stride, columns.count - 1)
            column = columns[k]
            i = start + k * Self.stride
        }
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return SourcePosition(line: line, column: column, offset: offset)
    }

    func range(from start: Int, to end: Int) -> SourceRange {
        SourceRange(pathID: pathID, start: position(start), end: position(end))
    }

    /// Whether no byte has its high bit set, eight bytes at a time.
    static func allASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i + 8 <= raw.count {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
            while i < raw.count {
                if raw[i] & 0x80 != 0 { return false }
                i += 1
            }
            return true
        }
    }
}

/// State shared by every scanner instance working on one file: the rendered bytes, the position map,
/// and the growing lists of commands, functions and diagnostics.
final class ScriptBuilder {
    let source: SourceFile
    let language: ScriptLanguage
    let bytes: [UInt8]
    let map: OffsetMap
    let regions: [TemplateRegion]
    let columns: ColumnIndex
    var commands: [ScriptCommand] = []
    var functions: [ScriptFunction] = []
    var diagnostics: [Diagnostic] = []
    var embeddedScans = 0
    private var nextOwner = 0
    /// Owner id (allocated when a simple command starts) → command index (once appended).
    var ownerIndex: [Int: Int] = [:]

    /// Nesting of substitutions, blocks and embedded scripts beyond which scanners stop descending.
    static let maxDepth = 40
    /// Cap on strings/here-documents re-read as scripts, so pathological input stays linear-ish.
    static let maxEmbeddedScans = 500

    init(source: SourceFile, language: ScriptLanguage, bytes: [UInt8], map: OffsetMap, regions: [TemplateRegion]) {
        self.source = source
        self.language = language
        self.bytes = bytes
        self.map = map
        self.regions = regions
        self.columns = ColumnIndex(source)
    }

    func newOwner() -> Int {
        nextOwner += 1
        return nextOwner
    }

    func range(_ start: Int, _ end: Int) -> SourceRange {
        let s = map.original(start: start)
        let e = max(s, map.original(end: max(start, end)))
        return columns.range(from: s, to: e)
    }

    func text(_ start: Int, _ end: Int) -> String {
        let s = max(0, min(start, bytes.count)), e = max(s, min(end, bytes.count))
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }

    private struct DiagnosticKey: Hashable {
        var summary: String
        var start: Int
        var end: Int
    }

    private var reported: Set<DiagnosticKey> = []

    func diagnose(_ summary: String, _ detail: String, _ start: Int, _ end: Int, _ severity: Diagnostic.Severity = .error) {
        let r = range(start, max(end, start))
        guard reported.insert(DiagnosticKey(summary: summary, start: r.start.offset, end: r.end.offset)).inserted else { return }
        diagnostics.append(Diagnostic(severity, summary, detail: detail, range: r))
    }

    /// `base` plus the template conditions whose region contains rendered offset `offset`, outermost first.
    func conditions(_ base: [ScriptCondition], at offset: Int) -> [ScriptCondition] {
        guard !regions.isEmpty else { return base }
        var result = base
        var added = false
        for region in regions where region.scanStart <= offset && offset < region.scanEnd {
            if !result.contains(region.condition) {
                result.append(region.condition)
                added = true
            }
        }
        guard added else { return result }
        return result.enumerated().sorted { l, r in
            l.element.range.start.offset != r.element.range.start.offset
                ? l.element.range.start.offset < r.element.range.start.offset : l.offset < r.offset
        }.map(\.element)
    }

    /// Appends `command`, assigns its index, and makes it the parent of the commands nested in its words.
    @discardableResult
    func append(_ command: ScriptCommand, nested: [Int]) -> Int {
        var cmd = command
        let index = commands.count
        cmd.index = index
        commands.append(cmd)
        for n in nested where n < index { commands[n].parent = index }
        return index
    }

    func finish(isTemplate: Bool, rendering: TemplateRendering?) -> ScannedScript {
        var diags = (rendering?.diagnostics ?? []) + diagnostics
        diags.sort { ($0.range.start.offset, $0.range.end.offset, $0.summary) < ($1.range.start.offset, $1.range.end.offset, $1.summary) }
        return ScannedScript(
            source: source, language: language, isTemplate: isTemplate,
            renderedText: String(decoding: bytes, as: UTF8.self), commands: commands, functions: functions,
            placeholders: rendering?.placeholders ?? [], directives: rendering?.directives ?? [],
            diagnostics: diags, map: map, renderedBytes: bytes, columns: columns)
    }
}

/// Nested top-level command indices of every substitution in `words`.
func nestedCommands(of words: [ScriptWord]) -> [Int] {
    var out: [Int] = []
    for w in words { for s in w.substitutions { out.append(contentsOf: s.commands) } }
    return out
}

extension UInt8 {
    var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isIdentifierStart: Bool { (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A) || self == 0x5F }
    var isIdentifierByte: Bool { isIdentifierStart || isASCIIDigit }
}
