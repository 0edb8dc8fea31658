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
    /// UTF-8 byte offsets, half-open.
    public var start: Int
    public var end: Int

    public init(kind: TokenKind, start: Int, end: Int) {
        self.kind = kind
        self.start = start
        self.end = end
    }
}

public enum HCLLexer {
    /// What the scanner starts in: a configuration file, or a whole file read as a template
    /// (`templatefile`).
    public enum Mode: Sendable { case config, template }

    /// Every token of `source`, comments included, ending with `.eof`; plus lexical diagnostics.
    public static func tokenize(_ source: SourceFile, mode: Mode = .config) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(source: source, mode: mode)
        lexer.run()
        return (lexer.tokens, lexer.diagnostics)
    }

    /// The comments of a configuration file, in order (for suppression directives).
    public static func comments(in source: SourceFile) -> [SourceRange] {
        tokenize(source).tokens.filter { $0.kind == .comment }.map { source.range(from: $0.start, to: $0.end) }
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
    return s.properties.isIDStart
}

func isIdentifierContinue(_ s: Unicode.Scalar) -> Bool {
    if s.isASCII {
        let b = UInt8(s.value)
        return Byte.isASCIILetter(b) || Byte.isDigit(b) || b == Byte.underscore || b == Byte.minus
    }
    return s.properties.isIDContinue
}

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
    var diagnostics: [Diagnostic] = []

    init(source: SourceFile, mode: HCLLexer.Mode) {
        self.source = source
        self.bytes = source.bytes
        self.stack = [mode == .config ? .normal(Sequence()) : .template]
        tokens.reserveCapacity(bytes.count / 4 + 1)
        // A UTF-8 byte order mark is not part of the content.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
    }

    func byte(_ i: Int) -> UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func emit(_ kind: TokenKind, _ start: Int, _ end: Int) {
        tokens.append(Token(kind: kind, start: start, end: end))
    }

    mutating func report(_ summary: String, _ detail: String, _ start: Int, _ end: Int) {
        diagnostics.append(Diagnostic(.error, summary, detail: detail, range: source.range(from: start, to: end)))
    }

    mutating func run() {
        while let frame = stack.last {
            let more: Bool
            switch frame {
            case .normal: more = scanNormal()
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
        while let b = byte(pos), b == Byte.space || b == Byte.tab || (b == Byte.cr && byte(pos + 1) != Byte.lf) {
            pos += 1
        }
        guard let b = byte(pos) else { return false }
        let start = pos
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
            if Byte.isDigit(b) {
                number()
            } else {
                if isIdentifierStart(decodeScalar(bytes, at: pos).scalar) {
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
        emit(.comment, start, pos)
    }

    mutating func blockComment() {
        let start = pos
        pos += 2
        while pos < bytes.count {
            if bytes[pos] == Byte.star && byte(pos + 1) == Byte.slash {
                pos += 2
                emit(.comment, start, pos)
                return
            }
            pos += 1
        }
        emit(.comment, start, pos)
        report("Unclosed comment", "The comment started by `/*` here has no closing `*/`; everything after it was read as comment.",
               start, start + 2)
    }

    mutating func identifier() {
        let start = pos
        pos += decodeScalar(bytes, at: pos).length
        while pos < bytes.count {
            let (scalar, length) = decodeScalar(bytes, at: pos)
            guard isIdentifierContinue(scalar) else { break }
            pos += length
        }
        emit(.identifier, start, pos)
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
                if end <= bytes.count, Array(bytes[q..<end]) == marker,
                   end == bytes.count || bytes[end] == Byte.lf || (bytes[end] == Byte.cr && byte(end + 1) == Byte.lf) {
                    if pos > start { emit(.templateLiteral, start, pos) }
                    emit(.cHeredoc, q, end)
                    pos = end
                    stack.removeLast()
                    return true
                }
                atLineStart = false
            }
            guard pos < bytes.count else {
                if pos > start { emit(.templateLiteral, start, pos) }
                return false
            }
            if bytes[pos] == Byte.lf {
                pos += 1
                atLineStart = true
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
