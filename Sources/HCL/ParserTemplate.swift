import AuditCore
import Foundation

// The template language: quoted strings, heredocs and whole-file templates. Parsing happens in
// three steps over a flat list of parts: read literals, interpolations and directives; apply the
// `<<-` indentation flush and the `~` strip markers (both work on the source text next to the
// markers); then nest `if`/`else`/`endif` and `for`/`endfor` into a tree.

extension Parser {
    struct FlatPart {
        enum Kind {
            case literal(String)
            case interpolation(Expression)
            case ifOpen(Expression)
            case elseMark
            case endIf
            case forOpen(key: String?, value: String, collection: Expression)
            case endFor
        }

        var kind: Kind
        var stripLeft = false
        var stripRight = false
        var start: Int
        var end: Int
    }

    /// A quoted template or heredoc; the opening token is next.
    func parseTemplateExpression() -> Expression {
        let open = next()
        let heredoc = open.kind == .oHeredoc
        let flush = heredoc && source.bytes[open.start..<open.end].starts(with: "<<-".utf8)
        let terminator: TokenKind = heredoc ? .cHeredoc : .cQuote
        var parts: [TemplatePart]
        let first = peekRaw()
        if !heredoc, first.kind == .templateLiteral, index + 1 < tokens.count, tokens[index + 1].kind == terminator {
            // The common case, a string of plain text: one literal part, no flattening or nesting.
            index += 1
            let text = decodeLiteral(first.start, first.end, quoted: true)
            parts = text.isEmpty ? [] : [.literal(text, range(first.start, first.end))]
        } else {
            parts = parseTemplateBody(terminator: terminator, flush: flush, quoted: !heredoc)
        }
        let close = peekRaw()
        let end: Int
        if close.kind == terminator {
            index += 1
            end = close.end
        } else {
            // The lexer reports unclosed heredocs; an unclosed string inside `${` lands here.
            if !heredoc {
                syntaxError("Unclosed string", "The string started here has no closing `\"`.", open)
            }
            end = previousEnd
        }
        if parts.isEmpty {
            // An empty string still has one (empty) literal part, placed right after the opener.
            parts = [.literal("", range(open.end, open.end))]
        }
        return Expression(.template(parts), range(open.start, max(end, open.end)))
    }

    /// Reads template parts up to `terminator` (not consumed).
    func parseTemplateBody(terminator: TokenKind, flush: Bool, quoted: Bool = false) -> [TemplatePart] {
        var flat: [FlatPart] = []
        // Temporary: room for a few parts at once instead of growing from one.
        flat.reserveCapacity(8)
        loop: while true {
            let token = peekRaw()
            switch token.kind {
            case .templateLiteral:
                index += 1
                let text = decodeLiteral(token.start, token.end, quoted: quoted)
                flat.append(FlatPart(kind: .literal(text), start: token.start, end: token.end))
            case .templateInterp:
                flat.append(parseInterpolation())
            case .templateControl:
                if let directive = parseDirective() { flat.append(directive) }
            default:
                break loop
            }
        }
        if flush { flushIndentation(&flat) }
        applyStripMarkers(&flat)
        var i = 0
        return nest(flat, &i, stopAt: [])
    }

    func parseInterpolation() -> FlatPart {
        let open = next()
        let stripLeft = open.end - open.start == 3
        let nesting = enterBracket(open, newlinesMatter: false)
        defer { leaveBracket(nesting) }
        let upcoming = peek().kind
        if upcoming == .eof || upcoming == .cQuote || upcoming == .cHeredoc {
            syntaxError("Unclosed template sequence", "The `\(text(open))` here has no matching `}`.", open)
            return FlatPart(kind: .interpolation(invalid(at: open.end)), stripLeft: stripLeft, start: open.start, end: open.end)
        }
        let mark = errorSerial
        let expression = parseExpression()
        let (stripRight, end) = finishSequence(open: open, what: "interpolation", failed: errorSerial != mark)
        return FlatPart(kind: .interpolation(expression), stripLeft: stripLeft, stripRight: stripRight, start: open.start, end: end)
    }

    /// Consumes the `}` or `~}` ending a sequence (or recovers to it). Returns the strip flag and
    /// the end offset.
    func finishSequence(open: Token, what: String, failed: Bool) -> (Bool, Int) {
        let close = peek()
        if !failed && close.kind == .templateSeqEnd {
            next()
            return (close.end - close.start == 2, close.end)
        }
        if !failed {
            if close.kind == .eof || close.kind == .cQuote || close.kind == .cHeredoc {
                syntaxError("Unclosed template sequence", "The `\(text(open))` here has no matching `}`.", open)
            } else {
                syntaxError("Missing `}` after \(what)", "Expected `}` to end the \(what), but found \(describe(close)).", close)
            }
        }
        let end = recover(to: .templateSeqEnd)
        return (false, end ?? previousEnd)
    }

    func parseDirective() -> FlatPart? {
        let open = next()
        let stripLeft = open.end - open.start == 3
        let nesting = enterBracket(open, newlinesMatter: false)
        defer { leaveBracket(nesting) }
        let keyword = peek()
        let mark = errorSerial
        let kind: FlatPart.Kind
        if isKeyword(keyword, "if") {
            next()
            kind = .ifOpen(parseExpression())
        } else if isKeyword(keyword, "else") {
            next()
            kind = .elseMark
        } else if isKeyword(keyword, "endif") {
            next()
            kind = .endIf
        } else if isKeyword(keyword, "endfor") {
            next()
            kind = .endFor
        } else if isKeyword(keyword, "for") {
            next()
            let first = peek()
            guard first.kind == .identifier else {
                syntaxError("Invalid `for` directive", "Expected a variable name after `%{ for`, as in `%{ for item in list }`.", first)
                return brokenFor(open: open, stripLeft: stripLeft)
            }
            next()
            var key: String?
            var value = text(first)
            if peek().kind == .comma {
                next()
                let second = peek()
                guard second.kind == .identifier else {
                    syntaxError("Invalid `for` directive", "Expected the value variable name after `%{ for \(value),`.", second)
                    return brokenFor(open: open, stripLeft: stripLeft)
                }
                next()
                key = value
                value = text(second)
            }
            let inToken = peek()
            guard isKeyword(inToken, "in") else {
                syntaxError("Invalid `for` directive", "Expected `in` after the variable names of `%{ for`, but found \(describe(inToken)).", inToken)
                return brokenFor(open: open, stripLeft: stripLeft)
            }
            next()
            kind = .forOpen(key: key, value: value, collection: parseExpression())
        } else {
            let found = keyword.kind == .identifier ? "`\(text(keyword))`" : describe(keyword)
            syntaxError("Invalid template directive",
                        "`%{` starts a directive: `if`, `else`, `endif`, `for` or `endfor`; found \(found). To write a literal `%{`, double the percent sign: `%%{`.",
                        keyword)
            recover(to: .templateSeqEnd)
            return nil
        }
        let (stripRight, end) = finishSequence(open: open, what: "directive", failed: errorSerial != mark)
        return FlatPart(kind: kind, stripLeft: stripLeft, stripRight: stripRight, start: open.start, end: end)
    }

    /// A `for` directive that could not be read: kept as a loop over nothing so its `endfor`
    /// still matches and no follow-on error appears.
    func brokenFor(open: Token, stripLeft: Bool) -> FlatPart {
        let end = recover(to: .templateSeqEnd) ?? previousEnd
        return FlatPart(kind: .forOpen(key: nil, value: "", collection: invalid(at: open.end)),
                        stripLeft: stripLeft, start: open.start, end: end)
    }

    // MARK: Literal text

    /// Decodes template text: `$${` and `%%{` always; backslash escapes in quoted strings.
    func decodeLiteral(_ start: Int, _ end: Int, quoted: Bool) -> String {
        let bytes = source.bytes
        // Plain ASCII text without escapes (most literals) is its own value.
        var plain = true
        for k in start..<end {
            let b = bytes[k]
            if b >= 0x80 || b == Byte.dollar || b == Byte.percent || (quoted && b == Byte.backslash) {
                plain = false
                break
            }
        }
        if plain { return string(start, end) }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start
        var nonASCII = false
        while i < end {
            let b = bytes[i]
            if b >= 0x80 { nonASCII = true }
            if quoted && b == Byte.backslash {
                guard i + 1 < end else {
                    report("Invalid escape sequence", "A `\\` at the end of a string escapes nothing; write `\\\\` for a backslash.", i, i + 1)
                    i += 1
                    continue
                }
                let c = bytes[i + 1]
                switch c {
                case 0x6E: out.append(Byte.lf); i += 2
                case 0x72: out.append(Byte.cr); i += 2
                case 0x74: out.append(Byte.tab); i += 2
                case Byte.quote, Byte.backslash: out.append(c); i += 2
                case 0x75, 0x55: // u, U
                    let digits = c == 0x75 ? 4 : 8
                    let hexEnd = i + 2 + digits
                    if hexEnd <= end, bytes[(i + 2)..<hexEnd].allSatisfy(Byte.isHex),
                       let value = UInt32(String(decoding: bytes[(i + 2)..<hexEnd], as: UTF8.self), radix: 16),
                       let scalar = Unicode.Scalar(value) {
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                        if value >= 0x80 { nonASCII = true }
                        i = hexEnd
                    } else {
                        var bad = i + 2
                        while bad < min(end, i + 2 + digits), Byte.isHex(bytes[bad]) { bad += 1 }
                        let letter = c == 0x75 ? "u" : "U"
                        let isWindowsPath = c == 0x55 && bad == i + 2
                        report("Invalid escape sequence",
                               "`\\\(letter)` must be followed by \(digits) hexadecimal digits naming a Unicode character"
                               + (isWindowsPath ? ". To write a backslash (as in a Windows path), double it: `\\\\`." : "."),
                               i, max(bad, i + 2))
                        out.append(contentsOf: bytes[i..<max(bad, i + 2)])
                        i = max(bad, i + 2)
                    }
                default:
                    let (_, length) = decodeScalar(bytes, at: i + 1)
                    let shown = source.text(from: i, to: i + 1 + length)
                    report("Invalid escape sequence",
                           "`\(shown)` is not an escape; the escapes are `\\n`, `\\r`, `\\t`, `\\\"`, `\\\\`, `\\uNNNN` and `\\UNNNNNNNN`. To write a backslash (as in a regular expression or a path), double it: `\\\(shown)`.",
                           i, i + 1 + length)
                    out.append(contentsOf: bytes[(i + 1)..<(i + 1 + length)])
                    i += 1 + length
                }
                continue
            }
            if b == Byte.dollar || b == Byte.percent, i + 2 < end, bytes[i + 1] == b, bytes[i + 2] == Byte.lbrace {
                out.append(b)
                out.append(Byte.lbrace)
                i += 3
                continue
            }
            out.append(b)
            i += 1
        }
        let text = String(decoding: out, as: UTF8.self)
        // HCL normalises string literals to Unicode NFC.
        return nonASCII ? text.precomposedStringWithCanonicalMapping : text
    }

    // MARK: Flush and strip

    static func isHorizontalSpace(_ s: Unicode.Scalar) -> Bool {
        s != "\n" && s != "\r" && s.properties.isWhitespace
    }

    /// `<<-`: removes the smallest indentation found on any line with content from every line.
    func flushIndentation(_ flat: inout [FlatPart]) {
        var minimum = Int.max
        var atLineStart = true
        for (k, part) in flat.enumerated() {
            guard case .literal(let text) = part.kind else {
                if atLineStart { minimum = 0 }
                atLineStart = false
                continue
            }
            let scalars = Array(text.unicodeScalars)
            var j = 0
            while j < scalars.count {
                if atLineStart {
                    var q = j
                    while q < scalars.count, Parser.isHorizontalSpace(scalars[q]) { q += 1 }
                    if q == scalars.count {
                        // Indentation running into an interpolation or directive counts.
                        if k + 1 < flat.count { minimum = min(minimum, q - j) }
                        j = q
                        atLineStart = false
                        break
                    }
                    if scalars[q] == "\n" || (scalars[q] == "\r" && q + 1 < scalars.count && scalars[q + 1] == "\n") {
                        j = q + (scalars[q] == "\n" ? 1 : 2)
                        continue
                    }
                    minimum = min(minimum, q - j)
                    j = q
                    atLineStart = false
                } else {
                    while j < scalars.count, scalars[j] != "\n" { j += 1 }
                    if j < scalars.count {
                        j += 1
                        atLineStart = true
                    }
                }
            }
        }
        guard minimum != Int.max, minimum > 0 else { return }
        atLineStart = true
        for k in flat.indices {
            guard case .literal(let text) = flat[k].kind else {
                atLineStart = false
                continue
            }
            var out = String.UnicodeScalarView()
            let scalars = Array(text.unicodeScalars)
            var j = 0
            while j < scalars.count {
                if atLineStart {
                    var removed = 0
                    while j < scalars.count, removed < minimum, Parser.isHorizontalSpace(scalars[j]) {
                        j += 1
                        removed += 1
                    }
                    atLineStart = false
                    continue
                }
                let s = scalars[j]
                out.append(s)
                j += 1
                if s == "\n" { atLineStart = true }
            }
            flat[k].kind = .literal(String(out))
        }
    }

    /// `${~` / `%{~` trim whitespace at the end of the literal before; `~}` at the start of the one after.
    func applyStripMarkers(_ flat: inout [FlatPart]) {
        for k in flat.indices {
            if flat[k].stripLeft, k > 0, case .literal(let text) = flat[k - 1].kind {
                var scalars = Substring(text).unicodeScalars
                while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
                flat[k - 1].kind = .literal(String(scalars))
            }
            if flat[k].stripRight, k + 1 < flat.count, case .literal(let text) = flat[k + 1].kind {
                var scalars = Substring(text).unicodeScalars
                while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
                flat[k + 1].kind = .literal(String(scalars))
            }
        }
    }

    // MARK: Nesting

    enum Closer { case elseMark, endIf, endFor }

    static func closer(of kind: FlatPart.Kind) -> Closer? {
        switch kind {
        case .elseMark: .elseMark
        case .endIf: .endIf
        case .endFor: .endFor
        default: nil
        }
    }

    /// Builds the part tree from `flat[i...]`, stopping (without consuming) at a closer that an
    /// enclosing directive is waiting for.
    func nest(_ flat: [FlatPart], _ i: inout Int, stopAt: [Closer]) -> [TemplatePart] {
        var out: [TemplatePart] = []
        // At the top level each flat part gives at most one part: one allocation of the right size.
        if i == 0 && stopAt.isEmpty { out.reserveCapacity(flat.count) }
        while i < flat.count {
            let part = flat[i]
            switch part.kind {
            case .literal(let text):
                i += 1
                if !text.isEmpty { out.append(.literal(text, range(part.start, part.end))) }
            case .interpolation(let expression):
                i += 1
                out.append(.interpolation(expression))
            case .ifOpen(let condition):
                i += 1
                guard enter(Token(kind: .templateControl, start: part.start, end: part.end)) else {
                    leave()
                    skipToCloser(flat, &i, opener: .endIf)
                    continue
                }
                let then = nest(flat, &i, stopAt: stopAt + [.elseMark, .endIf])
                var otherwise: [TemplatePart] = []
                if i < flat.count, case .elseMark = flat[i].kind {
                    i += 1
                    otherwise = nest(flat, &i, stopAt: stopAt + [.endIf])
                }
                var end = part.end
                if i < flat.count, case .endIf = flat[i].kind {
                    end = flat[i].end
                    i += 1
                } else {
                    report("Unclosed `if` directive",
                           "The `\(source.text(from: part.start, to: part.end))` here has no matching `%{ endif }`.",
                           range(part.start, part.end))
                    end = i > 0 ? flat[i - 1].end : part.end
                }
                leave()
                out.append(.conditional(condition: condition, then: then, else: otherwise, range: range(part.start, end)))
            case .forOpen(let key, let value, let collection):
                i += 1
                guard enter(Token(kind: .templateControl, start: part.start, end: part.end)) else {
                    leave()
                    skipToCloser(flat, &i, opener: .endFor)
                    continue
                }
                let body = nest(flat, &i, stopAt: stopAt + [.endFor])
                var end = part.end
                if i < flat.count, case .endFor = flat[i].kind {
                    end = flat[i].end
                    i += 1
                } else {
                    report("Unclosed `for` directive",
                           "The `\(source.text(from: part.start, to: part.end))` here has no matching `%{ endfor }`.",
                           range(part.start, part.end))
                    end = i > 0 ? flat[i - 1].end : part.end
                }
                leave()
                out.append(.loop(keyVariable: key, valueVariable: value, collection: collection, body: body, range: range(part.start, end)))
            case .elseMark, .endIf, .endFor:
                let closer = Parser.closer(of: part.kind)!
                if stopAt.contains(closer) { return out }
                let word = closer == .elseMark ? "else" : closer == .endIf ? "endif" : "endfor"
                let opener = closer == .endFor ? "%{ for ... }" : "%{ if ... }"
                report("Unexpected `\(word)` directive", "No `\(opener)` is open here for this `%{ \(word) }`.", range(part.start, part.end))
                i += 1
            }
        }
        return out
    }

    /// After the nesting limit: skips the directive's content up to its matching closer.
    func skipToCloser(_ flat: [FlatPart], _ i: inout Int, opener: Closer) {
        var depth = 0
        while i < flat.count {
            switch flat[i].kind {
            case .ifOpen where opener == .endIf, .forOpen where opener == .endFor:
                depth += 1
            case .endIf where opener == .endIf, .endFor where opener == .endFor:
                if depth == 0 {
                    i += 1
                    return
                }
                depth -= 1
            default:
                break
            }
            i += 1
        }
    }
}
