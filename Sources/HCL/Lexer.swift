import AuditCore

// The HCL native-syntax scanner. It turns a file into a flat token list in one pass, tracking the
// nesting of quoted strings, heredocs and `${ }`/`%{ }` sequences on an explicit stack (no
// recursion), so it cannot overflow on any input. Lexical problems (invalid characters, unclosed
// strings, heredocs and comments) are reported here, located at the offending bytes; the parser
// stays quiet about the tokens they affect.

public enum TokenKind: Sendable, Hashable {
    case identifier, number
    case oBrace, cBrace, oBrack, cBrack, oParen, cParen
    case equal, colon, doubleColon, comma, dot, ellipsis, question, fatArrow
    case plus, minus, star, slash, percent, bang
    case equalEqual, notEqual, less, lessEqual, greater, greaterEqual, and, or
    /// `"` opening and closing a quoted template. A closing quote the lexer had to invent for an
    /// unclosed string is empty (its range has no bytes).
    case oQuote, cQuote
    /// Raw template text, escapes not yet decoded.
    case templateLiteral
    /// `${` or `${~`.
    case templateInterp
    /// `%{` or `%{~`.
    case templateControl
    /// `}` or `~}` closing an interpolation or directive.
    case templateSeqEnd
    /// `<<EOT` or `<<-EOT` (the line break after it belongs to neither token).
    case oHeredoc
    /// The marker on the line closing a heredoc (without its indentation).
    case cHeredoc
    case newline
    /// `# ...`, `// ...` (without the line break) or `/* ... */`.
    case comment
    /// Bytes that are not part of the language (already reported by the lexer).
    case invalid
    case eof
}

public struct Token: Sendable, Hashable {
    public var kind: TokenKind
    // Stored as 32-bit offsets (files are at most `Limits.maxFileSize`): 12 bytes a token instead
    // of 24, and token arrays are the lexer's largest allocation.
    private var start32: UInt32
    private var end32: UInt32

    /// UTF-8 byte offsets, half-open.
    public var start: Int {
        get { Int(start32) }
        set { start32 = UInt32(truncatingIfNeeded: newValue) }
    }

    public var end: Int {
        get { Int(end32) }
        set { end32 = UInt32(truncatingIfNeeded: newValue) }
    }

    public init(kind: TokenKind, start: Int, end: Int) {
        self.kind = kind
        self.start32 = UInt32(truncatingIfNeeded: start)
        self.end32 = UInt32(truncatingIfNeeded: end)
    }
}

public enum HCLLexer {
    /// What the scanner starts in: a configuration file, or a whole file read as a template
    /// (`templatefile`).
    public enum Mode: Sendable { case config, template }

    /// Every token of `source`, comments included, ending with `.eof`; plus lexical diagnostics.
    public static func tokenize(_ source: SourceFile, mode: Mode = .config) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        let scan = scan(source, mode: mode)
        return (scan.tokens, scan.diagnostics)
    }

    /// The comments of a configuration file, in order (for suppression directives).
    public static func comments(in source: SourceFile) -> [SourceRange] {
        let scan = scan(source, mode: .config)
        return scan.tokens.filter { $0.kind == .comment }.map { scan.positions.range($0.start, $0.end) }
    }

    /// A scanned file: tokens, lexical diagnostics, the position index, and an upper bound of how
    /// deeply a parse of it can recurse.
    struct Scan: Sendable {
        var tokens: [Token]
        var diagnostics: [Diagnostic]
        let positions: PositionIndex
        /// Bracket, brace and template nesting plus the operators that recurse without brackets
        /// (`-`, `!`, `?`, `*`, `%{`), counted within one line-delimited item.
        var depthBound: Int
    }

    /// Scans `source`. Without `keepComments` the comment tokens are left out (the parser never
    /// looks at them).
    static func scan(_ source: SourceFile, mode: Mode, keepComments: Bool = true) -> Scan {
        var lexer = Lexer(source: source, mode: mode, keepComments: keepComments)
        lexer.run()
        var depth = 0, chain = 0, bound = 0
        for token in lexer.tokens {
            switch token.kind {
            case .oBrace, .oBrack, .oParen, .oQuote, .oHeredoc, .templateInterp:
                depth += 1
            case .templateControl:
                depth += 1
                chain += 1
            case .cBrace, .cBrack, .cParen, .cQuote, .cHeredoc, .templateSeqEnd:
                depth = max(0, depth - 1)
            case .minus, .bang, .question, .star:
                chain += 1
            case .newline where depth == 0:
                chain = 0
            default:
                break
            }
            bound = max(bound, depth + chain)
        }
        let positions = PositionIndex(source: source)
        let diagnostics = lexer.problems.map {
            Diagnostic(.error, $0.summary, detail: $0.detail, range: positions.range($0.start, $0.end))
        }
        return Scan(tokens: lexer.tokens, diagnostics: diagnostics, positions: positions, depthBound: bound)
    }

    /// At most this many diagnostics are reported per file by the lexer, and as many by the
    /// parser; the last one says that more were left out.
    static let diagnosticLimit = 100
}

// MARK: - Positions

/// Line and column of byte offsets, computed when asked. The line comes from the file's line
/// index, searched outward from the previous answer (the parser asks in nearly increasing order,
/// so most lookups touch one or two entries); the column is the byte distance from the line's
/// start minus the UTF-8 continuation bytes in between, counted with a per-64-byte table (so a
/// lookup costs O(log distance + 64) whatever the line's length, and an ASCII file needs no table).
///
/// A class, so the parser holds it in a constant and asking for a position is not a mutating
/// access to the parser's state (each of those cost a dynamic exclusivity check). It is only ever
/// used by one thread at a time: the scan that makes it hands it to one parser.
final class PositionIndex: @unchecked Sendable {
    let source: SourceFile
    /// `source.lineStarts` and `source.bytes.count`, held directly.
    private let lineStarts: [Int]
    private let byteCount: Int
    /// The file's path, interned once: every range of the file carries it.
    let pathID: SourcePathID
    /// `source.continuationsBefore`, held directly.
    private let continuationsBefore: [Int32]
    /// The 0-based line of the last lookup.
    private var lineHint = 0

    init(source: SourceFile) {
        self.source = source
        pathID = source.pathID
        lineStarts = source.lineStarts
        byteCount = source.bytes.count
        continuationsBefore = source.continuationsBefore
    }

    /// Continuation bytes before `offset`.
    private func continuations(before offset: Int) -> Int { source.continuations(before: offset) }

    /// The 0-based line holding `offset` (already clamped to the file).
    private func lineIndex(_ offset: Int) -> Int {
        let starts = lineStarts
        let n = starts.count
        var lo: Int, hi: Int  // starts[lo] <= offset, and hi == n or starts[hi] > offset
        let h = min(lineHint, n - 1)
        if starts[h] <= offset {
            lo = h
            hi = h + 1
            var step = 1
            while hi < n && starts[hi] <= offset {
                lo = hi
                step *= 2
                hi = min(n, hi + step)
            }
        } else {
            hi = h
            lo = h - 1
            var step = 1
            while starts[lo] > offset {
                hi = lo
                step *= 2
                lo = max(0, lo - step)
            }
        }
        let backward = starts[h] > offset
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid }
        }
        // A step back is usually a one-off (the start of an enclosing node): the hint stays
        // where the parser is reading.
        if !backward { lineHint = lo }
        return lo
    }

    func position(_ raw: Int) -> SourcePosition {
        let offset = raw < 0 ? 0 : (raw > byteCount ? byteCount : raw)
        // Most lookups land on the line of the previous one: two comparisons, no search.
        var line = lineHint
        let start: Int
        let here = lineStarts[line]
        if here <= offset && (line + 1 == lineStarts.count || offset < lineStarts[line + 1]) {
            start = here
        } else {
            line = lineIndex(offset)
            start = lineStarts[line]
        }
        var column = offset - start + 1
        if !continuationsBefore.isEmpty {
            column -= continuations(before: offset) - continuations(before: start)
        }
        // Lines, columns and offsets are below `Limits.maxFileSize`: they fit in 32 bits.
        return SourcePosition(line32: Int32(truncatingIfNeeded: line + 1), column32: Int32(truncatingIfNeeded: column),
                              offset32: Int32(truncatingIfNeeded: offset))
    }

    func range(_ start: Int, _ end: Int) -> SourceRange {
        let from = position(start)
        let raw = max(start, end)
        let endOffset = raw < 0 ? 0 : (raw > byteCount ? byteCount : raw)
        // Most ranges end on the line they start on: in an ASCII file the end's column then
        // follows from the start's, with no second lookup.
        let line = from.line
        if continuationsBefore.isEmpty, endOffset >= from.offset, line == lineStarts.count || endOffset < lineStarts[line] {
            let to = SourcePosition(line32: Int32(truncatingIfNeeded: line), column32: Int32(truncatingIfNeeded: from.column + (endOffset - from.offset)),
                                    offset32: Int32(truncatingIfNeeded: endOffset))
            return SourceRange(pathID: pathID, start: from, end: to)
        }
        return SourceRange(pathID: pathID, start: from, end: position(endOffset))
    }
}

// MARK: - Byte classes

enum Byte {
    static let tab: UInt8 = 0x09, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20
    static let bang: UInt8 = 0x21, quote: UInt8 = 0x22, hash: UInt8 = 0x23, dollar: UInt8 = 0x24
    static let percent: UInt8 = 0x25, amp: UInt8 = 0x26, apostrophe: UInt8 = 0x27
    static let lparen: UInt8 = 0x28, rparen: UInt8 = 0x29, star: UInt8 = 0x2A, plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C, minus: UInt8 = 0x2D, dot: UInt8 = 0x2E, slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A, semicolon: UInt8 = 0x3B, less: UInt8 = 0x3C, equal: UInt8 = 0x3D
    static let greater: UInt8 = 0x3E, question: UInt8 = 0x3F, lbrack: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C, rbrack: UInt8 = 0x5D, caret: UInt8 = 0x5E
    static let underscore: UInt8 = 0x5F, lbrace: UInt8 = 0x7B, pipe: UInt8 = 0x7C
    static let rbrace: UInt8 = 0x7D, tilde: UInt8 = 0x7E

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isASCIILetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    /// ASCII bytes that begin a token, whitespace or a diagnosed mistake (everything but `@`, `` ` ``,
    /// `\\` and control characters).
    static func startsToken(_ b: UInt8) -> Bool {
        if isASCIILetter(b) || isDigit(b) { return true }
        return b == space || b == tab || b == lf || b == cr || "_{}[]()=:,.?+-*/%!<>&|\"#~'$;^".utf8.contains(b)
    }

    static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) }

    /// Whether ASCII byte `b` is in the set given as two 64-bit masks (bit `b` of `low` for
    /// bytes below 64, bit `b - 64` of `high` for the rest); false for bytes of 128 and above.
    /// One shift and test instead of a chain of comparisons, and no table to load.
    @inline(__always) static func inSet(_ b: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        b < 64 ? (low >> UInt64(b)) & 1 != 0 : (b < 128 && (high >> UInt64(b & 63)) & 1 != 0)
    }

    /// ASCII letters (`A`-`Z`: bits 1-26 of the high mask, `a`-`z`: bits 33-58).
    static let lettersHigh: UInt64 = 0x07FF_FFFE_07FF_FFFE
    /// `0`-`9` (bits 48-57) and `-` (bit 45).
    static let digitsAndMinusLow: UInt64 = 0x03FF_2000_0000_0000
    /// `_` (bit 31 of the high mask).
    static let underscoreHigh: UInt64 = 1 << 31

    /// ASCII bytes that may continue an identifier: letters, digits, `_` and `-`.
    @inline(__always) static func continuesIdentifier(_ b: UInt8) -> Bool {
        inSet(b, digitsAndMinusLow, lettersHigh | underscoreHigh)
    }

    /// ASCII bytes that may start an identifier: letters and `_`.
    @inline(__always) static func startsIdentifier(_ b: UInt8) -> Bool {
        inSet(b, 0, lettersHigh | underscoreHigh)
    }

    /// Bytes a quoted string's text stops at: line breaks (LF, CR), `"`, `$`, `%` (a template
    /// sequence may start) and `\\` (an escape).
    @inline(__always) static func stopsQuotedText(_ b: UInt8) -> Bool {
        inSet(b, 1 << 0x0A | 1 << 0x0D | 1 << 0x22 | 1 << 0x24 | 1 << 0x25, 1 << (0x5C - 64))
    }
}

/// Decodes the scalar starting at byte `i` of valid-or-not UTF-8; malformed bytes decode as U+FFFD
/// of length 1 so scanning always advances.
func decodeScalar(_ bytes: [UInt8], at i: Int) -> (scalar: Unicode.Scalar, length: Int) {
    let replacement = Unicode.Scalar(0xFFFD)!
    let b0 = bytes[i]
    if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
    let length: Int
    var value: UInt32
    if b0 & 0xE0 == 0xC0 { length = 2; value = UInt32(b0 & 0x1F) }
    else if b0 & 0xF0 == 0xE0 { length = 3; value = UInt32(b0 & 0x0F) }
    else if b0 & 0xF8 == 0xF0 { length = 4; value = UInt32(b0 & 0x07) }
    else { return (replacement, 1) }
    guard i + length <= bytes.count else { return (replacement, 1) }
    for k in 1..<length {
        let b = bytes[i + k]
        guard b & 0xC0 == 0x80 else { return (replacement, 1) }
        value = value << 6 | UInt32(b & 0x3F)
    }
    return (Unicode.Scalar(value) ?? replacement, length)
}

func isIdentifierStart(_ s: Unicode.Scalar) -> Bool {
    if s.isASCII { return Byte.isASCIILetter(UInt8(s.value)) || s.value == 0x5F }
    return isIDStart(s)
}

func isIdentifierContinue(_ s: Unicode.Scalar) -> Bool {
    if s.isASCII {
        let b = UInt8(s.value)
        return Byte.isASCIILetter(b) || Byte.isDigit(b) || b == Byte.underscore || b == Byte.minus
    }
    return isIDContinue(s)
}

// Out of line: reading `Unicode.Scalar.Properties` makes its caller set up the type's metadata on
// every call, which the lexer's per-token functions would otherwise pay even for ASCII.
@inline(never) func isIDStart(_ s: Unicode.Scalar) -> Bool { s.properties.isIDStart }
@inline(never) func isIDContinue(_ s: Unicode.Scalar) -> Bool { s.properties.isIDContinue }

// MARK: - Scanner

struct Lexer {
    /// The state of an expression context: the top level, or the inside of a `${ }`/`%{ }`.
    struct Sequence {
        /// Byte range of the `${`/`%{` that opened it; nil at top level.
        var owner: Range<Int>?
        /// True when the sequence sits in a quoted string, which cannot span lines.
        var inQuotedString = false
        /// `{` opened inside (so a `}` can be told from the sequence end).
        var braces = 0
        /// All brackets opened inside.
        var nesting = 0
        /// An unclosed-sequence diagnostic was already issued for it.
        var reported = false
    }

    enum Frame {
        case normal(Sequence)
        case quoted(open: Int)
        case heredoc(marker: [UInt8], openStart: Int, openEnd: Int, atLineStart: Bool)
        /// A whole file read as a template.
        case template
    }

    let source: SourceFile
    let bytes: [UInt8]
    var pos = 0
    var stack: [Frame]
    var tokens: [Token] = []
    /// Problems found, located by byte offsets (converted to positions once, at the end).
    var problems: [(summary: String, detail: String, start: Int, end: Int)] = []

    /// Whether comment tokens are kept (the parser does not need them).
    let keepComments: Bool

    init(source: SourceFile, mode: HCLLexer.Mode, keepComments: Bool = true) {
        self.source = source
        self.bytes = source.bytes
        self.keepComments = keepComments
        self.stack = [mode == .config ? .normal(Sequence()) : .template]
        // About one token per six bytes in real configurations; the array grows if needed.
        tokens.reserveCapacity(bytes.count / 6 + 16)
        // A UTF-8 byte order mark is not part of the content.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
    }

    func byte(_ i: Int) -> UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func emit(_ kind: TokenKind, _ start: Int, _ end: Int) {
        tokens.append(Token(kind: kind, start: start, end: end))
    }

    mutating func report(_ summary: String, _ detail: String, _ start: Int, _ end: Int) {
        if problems.count < HCLLexer.diagnosticLimit {
            problems.append((summary, detail, start, end))
        } else if problems.count == HCLLexer.diagnosticLimit {
            problems.append(("Too many lexical errors",
                             "\(HCLLexer.diagnosticLimit) problems were reported before this point; the rest of the file was not checked for more. Is this an HCL file?",
                             start, end))
        }
    }

    mutating func run() {
        while let frame = stack.last {
            var more: Bool
            switch frame {
            case .normal:
                // A token changes the frame stack only by pushing or popping frames, so while its
                // height holds, the top is still this expression frame.
                let height = stack.count
                repeat { more = scanNormal() } while more && stack.count == height
            case .quoted(let open): more = scanQuoted(open: open)
            case .heredoc(let marker, let openStart, let openEnd, let atLineStart):
                more = scanHeredoc(marker: marker, openStart: openStart, openEnd: openEnd, atLineStart: atLineStart)
            case .template: more = scanTemplateFile()
            }
            if !more { break }
        }
        // End of input: report heredocs still open (innermost first is fine; usually there is one).
        for frame in stack.reversed() {
            if case .heredoc(let marker, let openStart, let openEnd, _) = frame {
                let name = String(decoding: marker, as: UTF8.self)
                report("Unclosed heredoc",
                       "The heredoc started by `\(source.text(from: openStart, to: openEnd))` has no closing line. "
                       + "Add a line containing only `\(name)` (indentation allowed) after its text.",
                       openStart, openEnd)
            }
        }
        emit(.eof, bytes.count, bytes.count)
    }

    // MARK: Expression tokens

    /// Scans one token (or a run of whitespace). Returns false at end of input.
    mutating func scanNormal() -> Bool {
        let n = bytes.count
        var p = pos
        while p < n {
            let c = bytes[p]
            guard c == Byte.space || c == Byte.tab || (c == Byte.cr && (p + 1 == n || bytes[p + 1] != Byte.lf)) else { break }
            p += 1
        }
        pos = p
        guard p < n else { return false }
        let b = bytes[p]
        let start = p
        switch b {
        case Byte.lf, Byte.cr:
            if case .normal(let sequence) = stack[stack.count - 1], let owner = sequence.owner,
               sequence.inQuotedString, sequence.nesting == 0 {
                // A quoted string cannot continue on the next line: the `}` is missing.
                if !sequence.reported { reportUnclosedInterpolation(owner) }
                emit(.templateSeqEnd, pos, pos)
                stack.removeLast()
                if case .quoted = stack.last {
                    emit(.cQuote, pos, pos)
                    stack.removeLast()
                }
                return true
            }
            pos += b == Byte.lf ? 1 : 2
            emit(.newline, start, pos)
        case Byte.hash:
            lineComment()
        case Byte.slash:
            if byte(pos + 1) == Byte.slash {
                lineComment()
            } else if byte(pos + 1) == Byte.star {
                blockComment()
            } else {
                single(.slash)
            }
        case Byte.quote:
            pos += 1
            emit(.oQuote, start, pos)
            stack.append(.quoted(open: start))
        case Byte.less:
            if byte(pos + 1) == Byte.less {
                heredocIntroducer()
            } else if byte(pos + 1) == Byte.equal {
                double(.lessEqual)
            } else {
                single(.less)
            }
        case Byte.lbrace:
            single(.oBrace)
            updateSequence { $0.braces += 1; $0.nesting += 1 }
        case Byte.rbrace:
            if case .normal(let sequence) = stack[stack.count - 1], sequence.owner != nil, sequence.braces == 0 {
                single(.templateSeqEnd)
                stack.removeLast()
            } else {
                single(.cBrace)
                updateSequence { $0.braces = max(0, $0.braces - 1); $0.nesting = max(0, $0.nesting - 1) }
            }
        case Byte.tilde:
            if byte(pos + 1) == Byte.rbrace, case .normal(let sequence) = stack[stack.count - 1],
               sequence.owner != nil, sequence.braces == 0 {
                double(.templateSeqEnd)
                stack.removeLast()
            } else {
                pos += 1
                emit(.invalid, start, pos)
                report("Invalid character `~`",
                       "`~` is only valid as a whitespace-strip marker right after `${` or `%{`, or right before the `}` that closes one.",
                       start, pos)
            }
        case Byte.lbrack:
            single(.oBrack)
            updateSequence { $0.nesting += 1 }
        case Byte.rbrack:
            single(.cBrack)
            updateSequence { $0.nesting = max(0, $0.nesting - 1) }
        case Byte.lparen:
            single(.oParen)
            updateSequence { $0.nesting += 1 }
        case Byte.rparen:
            single(.cParen)
            updateSequence { $0.nesting = max(0, $0.nesting - 1) }
        case Byte.comma: single(.comma)
        case Byte.question: single(.question)
        case Byte.plus: single(.plus)
        case Byte.minus: single(.minus)
        case Byte.star: single(.star)
        case Byte.percent: single(.percent)
        case Byte.colon:
            if byte(pos + 1) == Byte.colon { double(.doubleColon) } else { single(.colon) }
        case Byte.equal:
            if byte(pos + 1) == Byte.equal { double(.equalEqual) }
            else if byte(pos + 1) == Byte.greater { double(.fatArrow) }
            else { single(.equal) }
        case Byte.bang:
            if byte(pos + 1) == Byte.equal { double(.notEqual) } else { single(.bang) }
        case Byte.greater:
            if byte(pos + 1) == Byte.equal { double(.greaterEqual) } else { single(.greater) }
        case Byte.amp:
            if byte(pos + 1) == Byte.amp { double(.and) }
            else { invalidOperator("&", suggestion: "&&", meaning: "logical AND") }
        case Byte.pipe:
            if byte(pos + 1) == Byte.pipe { double(.or) }
            else { invalidOperator("|", suggestion: "||", meaning: "logical OR") }
        case Byte.dot:
            if byte(pos + 1) == Byte.dot && byte(pos + 2) == Byte.dot {
                pos += 3
                emit(.ellipsis, start, pos)
            } else {
                single(.dot)
            }
        default:
            if Byte.startsIdentifier(b) {
                identifier()
            } else if Byte.isDigit(b) {
                number()
            } else {
                if b >= 0x80, isIdentifierStart(decodeScalar(bytes, at: pos).scalar) {
                    identifier()
                } else {
                    invalidCharacter()
                }
            }
        }
        return true
    }

    mutating func updateSequence(_ change: (inout Sequence) -> Void) {
        if case .normal(var sequence) = stack[stack.count - 1] {
            change(&sequence)
            stack[stack.count - 1] = .normal(sequence)
        }
    }

    mutating func reportUnclosedInterpolation(_ owner: Range<Int>) {
        let opener = source.text(from: owner.lowerBound, to: owner.upperBound)
        report("Unclosed template sequence",
               "The `\(opener)` here has no matching `}` before the end of the line. Add the missing `}` before the closing `\"`.",
               owner.lowerBound, owner.upperBound)
    }

    mutating func single(_ kind: TokenKind) {
        emit(kind, pos, pos + 1)
        pos += 1
    }

    mutating func double(_ kind: TokenKind) {
        emit(kind, pos, pos + 2)
        pos += 2
    }

    mutating func lineComment() {
        let start = pos
        while let b = byte(pos), b != Byte.lf {
            if b == Byte.cr && byte(pos + 1) == Byte.lf { break }
            pos += 1
        }
        if keepComments { emit(.comment, start, pos) }
    }

    mutating func blockComment() {
        let start = pos
        pos += 2
        while pos < bytes.count {
            if bytes[pos] == Byte.star && byte(pos + 1) == Byte.slash {
                pos += 2
                if keepComments { emit(.comment, start, pos) }
                return
            }
            pos += 1
        }
        if keepComments { emit(.comment, start, pos) }
        report("Unclosed comment", "The comment started by `/*` here has no closing `*/`; everything after it was read as comment.",
               start, start + 2)
    }

    mutating func identifier() {
        let start = pos
        let n = bytes.count
        var p = pos + (bytes[pos] < 0x80 ? 1 : decodeScalar(bytes, at: pos).length)
        while p < n {
            // ASCII first, without decoding.
            let b = bytes[p]
            if b < 0x80 {
                guard Byte.continuesIdentifier(b) else { break }
                p += 1
                continue
            }
            let (scalar, length) = decodeScalar(bytes, at: p)
            guard isIdentifierContinue(scalar) else { break }
            p += length
        }
        pos = p
        emit(.identifier, start, p)
    }

    mutating func number() {
        let start = pos
        while let b = byte(pos), Byte.isDigit(b) { pos += 1 }
        if byte(pos) == Byte.dot, let d = byte(pos + 1), Byte.isDigit(d) {
            pos += 1
            while let b = byte(pos), Byte.isDigit(b) { pos += 1 }
        }
        if let e = byte(pos), e == 0x65 || e == 0x45 {
            var p = pos + 1
            if let s = byte(p), s == Byte.plus || s == Byte.minus { p += 1 }
            if let d = byte(p), Byte.isDigit(d) {
                pos = p
                while let b = byte(pos), Byte.isDigit(b) { pos += 1 }
            }
        }
        emit(.number, start, pos)
    }

    mutating func invalidOperator(_ op: String, suggestion: String, meaning: String) {
        let start = pos
        pos += 1
        emit(.invalid, start, pos)
        report("Unsupported operator `\(op)`",
               "HCL has no bitwise operators. Did you mean the \(meaning) operator `\(suggestion)`?", start, pos)
    }

    /// One invalid character, or a run of them (reported once).
    mutating func invalidCharacter() {
        let start = pos
        let (first, firstLength) = decodeScalar(bytes, at: pos)
        pos += firstLength
        let summary: String
        let detail: String
        switch first {
        case "'":
            // Take a single-quoted string as one mistake rather than two stray quotes.
            var close = pos
            while close < bytes.count, bytes[close] != Byte.apostrophe, bytes[close] != Byte.lf { close += 1 }
            if close < bytes.count, bytes[close] == Byte.apostrophe {
                let content = source.text(from: pos, to: close)
                pos = close + 1
                summary = "Single-quoted string"
                detail = "Strings are written with double quotes: write \"\(content)\" instead of '\(content)'."
            } else {
                summary = "Invalid character `'`"
                detail = "Strings are written with double quotes: use \"...\" instead of '...'."
            }
        case ";":
            summary = "Invalid character `;`"
            detail = "Arguments and blocks are separated by line breaks, and tuple or object items by commas. Remove the `;`."
        case "^":
            summary = "Unsupported operator `^`"
            detail = "HCL has no bitwise operators; use the `pow` function for powers."
        case "$":
            summary = "Invalid character `$`"
            detail = "`${...}` is only valid inside a quoted string or heredoc. Outside a string, write the expression itself: `var.name`, not `${var.name}`."
        case "\u{00A0}", "\u{2007}", "\u{202F}", "\u{2002}", "\u{2003}", "\u{2009}", "\u{3000}", "\u{FEFF}", "\u{200B}":
            summary = "Invalid whitespace character"
            detail = "Found U+\(String(first.value, radix: 16, uppercase: true).leftPadded(4)), which looks like a space but is not one "
                + "(often pasted from a web page or document). Replace it with an ordinary space."
        default:
            // Merge a run of characters that cannot start any token into one diagnostic.
            while pos < bytes.count {
                let (scalar, length) = decodeScalar(bytes, at: pos)
                if scalar.isASCII ? Byte.startsToken(UInt8(scalar.value)) : (isIdentifierStart(scalar) || scalar.properties.isWhitespace) {
                    break
                }
                pos += length
            }
            let text = source.text(from: start, to: pos)
            summary = pos - start == firstLength ? "Invalid character" : "Invalid characters"
            let shown = text.unicodeScalars.count > 20 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(20))) + "…" : text
            detail = "`\(shown)` (U+\(String(first.value, radix: 16, uppercase: true).leftPadded(4))) is not used in HCL outside strings and comments."
        }
        emit(.invalid, start, pos)
        report(summary, detail, start, pos)
    }

    mutating func heredocIntroducer() {
        let start = pos
        var p = pos + 2
        let flush = byte(p) == Byte.minus
        if flush { p += 1 }
        let markerStart = p
        if p < bytes.count, isIdentifierStart(decodeScalar(bytes, at: p).scalar) {
            p += decodeScalar(bytes, at: p).length
            while p < bytes.count {
                let (scalar, length) = decodeScalar(bytes, at: p)
                guard isIdentifierContinue(scalar) else { break }
                p += length
            }
        }
        let markerEnd = p
        guard markerEnd > markerStart else {
            pos = markerStart
            emit(.invalid, start, pos)
            report("Invalid heredoc introducer",
                   "`<<` must be followed by a marker name on the same line, as in `<<EOT` or `<<-EOT` (HCL has no shift operators).",
                   start, pos)
            return
        }
        var lineEnd = markerEnd
        if byte(lineEnd) == Byte.cr && byte(lineEnd + 1) == Byte.lf { lineEnd += 2 }
        else if byte(lineEnd) == Byte.lf { lineEnd += 1 }
        else {
            pos = markerEnd
            emit(.invalid, start, pos)
            let marker = source.text(from: markerStart, to: markerEnd)
            report("Invalid heredoc introducer",
                   "`\(source.text(from: start, to: markerEnd))` must end its line; the heredoc text starts on the next line and ends at a line containing only `\(marker)`.",
                   start, markerEnd)
            return
        }
        emit(.oHeredoc, start, markerEnd)
        pos = lineEnd
        stack.append(.heredoc(marker: Array(bytes[markerStart..<markerEnd]), openStart: start, openEnd: markerEnd, atLineStart: true))
    }

    // MARK: Template text

    /// Handles `${`, `${~`, `%{`, `%{~` at `pos` (and the `$${`/`%%{` escapes, which stay in the
    /// literal). Returns true when a sequence was opened (the literal before it has been emitted).
    mutating func templateSequence(literalStart: Int) -> (opened: Bool, advanced: Bool) {
        let b = bytes[pos]
        guard b == Byte.dollar || b == Byte.percent else { return (false, false) }
        if byte(pos + 1) == b && byte(pos + 2) == Byte.lbrace {
            pos += 3
            return (false, true)
        }
        guard byte(pos + 1) == Byte.lbrace else { return (false, false) }
        if pos > literalStart { emit(.templateLiteral, literalStart, pos) }
        let start = pos
        pos += 2
        if byte(pos) == Byte.tilde { pos += 1 }
        emit(b == Byte.dollar ? .templateInterp : .templateControl, start, pos)
        let inQuoted: Bool
        if case .quoted = stack.last { inQuoted = true } else { inQuoted = false }
        stack.append(.normal(Sequence(owner: start..<pos, inQuotedString: inQuoted)))
        return (true, true)
    }

    mutating func scanQuoted(open: Int) -> Bool {
        let start = pos
        while true {
            // Ordinary text (non-ASCII bytes included) needs no decision.
            while pos < bytes.count, !Byte.stopsQuotedText(bytes[pos]) { pos += 1 }
            let atLineEnd = pos >= bytes.count || bytes[pos] == Byte.lf || (bytes[pos] == Byte.cr && byte(pos + 1) == Byte.lf)
            if atLineEnd {
                if pos > start { emit(.templateLiteral, start, pos) }
                if stack.count >= 2, case .normal(var parent) = stack[stack.count - 2], let owner = parent.owner,
                   parent.inQuotedString, parent.nesting == 0 {
                    // `"${name"`: the quote meant to end the string opened a new one instead.
                    if !parent.reported { reportUnclosedInterpolation(owner) }
                    parent.reported = true
                    stack[stack.count - 2] = .normal(parent)
                } else {
                    report("Unclosed string",
                           "The string started here has no closing `\"` on its line. Close it with `\"`; for text over several lines use a heredoc (`<<-EOT`) or the `\\n` escape.",
                           open, open + 1)
                }
                emit(.cQuote, pos, pos)
                stack.removeLast()
                return true
            }
            let b = bytes[pos]
            if b == Byte.quote {
                if pos > start { emit(.templateLiteral, start, pos) }
                single(.cQuote)
                stack.removeLast()
                return true
            }
            if b == Byte.backslash {
                pos += 1
                if pos < bytes.count, bytes[pos] != Byte.lf, !(bytes[pos] == Byte.cr && byte(pos + 1) == Byte.lf) {
                    pos += decodeScalar(bytes, at: pos).length
                }
                continue
            }
            let (opened, advanced) = templateSequence(literalStart: start)
            if opened { return true }
            if !advanced { pos += 1 }
        }
    }

    mutating func scanHeredoc(marker: [UInt8], openStart: Int, openEnd: Int, atLineStart initial: Bool) -> Bool {
        let start = pos
        var atLineStart = initial
        while true {
            if atLineStart {
                var q = pos
                while let b = byte(q), b == Byte.space || b == Byte.tab { q += 1 }
                let end = q + marker.count
                // Like HCL, the marker line may carry spaces after the marker too.
                var after = end
                while let b = byte(after), b == Byte.space || b == Byte.tab { after += 1 }
                if end <= bytes.count, bytes[q..<end].elementsEqual(marker),
                   after == bytes.count || bytes[after] == Byte.lf || (bytes[after] == Byte.cr && byte(after + 1) == Byte.lf) {
                    if pos > start { emit(.templateLiteral, start, pos) }
                    emit(.cHeredoc, q, end)
                    pos = after
                    stack.removeLast()
                    return true
                }
                atLineStart = false
            }
            guard pos < bytes.count else {
                if pos > start { emit(.templateLiteral, start, pos) }
                return false
            }
            let b = bytes[pos]
            if b == Byte.lf {
                pos += 1
                atLineStart = true
                continue
            }
            if b != Byte.dollar && b != Byte.percent {
                pos += 1
                continue
            }
            let (opened, advanced) = templateSequence(literalStart: start)
            if opened {
                // `templateSequence` pushed a frame: the heredoc frame is now second from the top.
                let index = stack.count - 2
                stack[index] = .heredoc(marker: marker, openStart: openStart, openEnd: openEnd, atLineStart: false)
                return true
            }
            if !advanced { pos += 1 }
        }
    }

    mutating func scanTemplateFile() -> Bool {
        let start = pos
        while pos < bytes.count {
            if bytes[pos] != Byte.dollar && bytes[pos] != Byte.percent {
                pos += 1
                continue
            }
            let (opened, advanced) = templateSequence(literalStart: start)
            if opened { return true }
            if !advanced { pos += 1 }
        }
        if pos > start { emit(.templateLiteral, start, pos) }
        return false
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
