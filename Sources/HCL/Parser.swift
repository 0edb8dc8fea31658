import AuditCore
import Foundation

// The recovering HCL native-syntax parser: entry points, token access, error recovery and the
// structural language (bodies, attributes, blocks). Expressions are in ParserExpressions.swift,
// templates in ParserTemplate.swift.
//
// Conventions: the parser never throws and never traps on malformed input. Every problem becomes a
// located `Diagnostic`; after a syntax error the parser enters recovery mode (no further syntax
// errors) until it has skipped to a safe point: the end of the current body item, or the bracket
// closing the construct it was in. Recursion is bounded by `HCLParser.maxNestingDepth`.

public enum HCLParser {
    /// How deeply blocks, expressions and template directives may nest before the parser gives up
    /// on the construct with a diagnostic (instead of exhausting the stack).
    public static let maxNestingDepth = 256

    /// Parses a configuration file (`.tf`, `.hcl`, `.tfvars`): its body plus every problem found.
    public static func parse(_ source: SourceFile) -> HCLFile {
        run(source, mode: .config) { parser in
            let items = parser.parseBody(inBraces: false)
            // The parser's own index gives what `source.fullRange` gives, without interning the path again.
            let body = Body(items: items, range: parser.range(0, source.bytes.count))
            return HCLFile(source: source, body: body, diagnostics: parser.finishedDiagnostics())
        }
    }

    /// Parses the whole of `source` as one expression (a `-var` value, a tfvars-like snippet).
    /// Line breaks before and after the expression are allowed.
    public static func parseExpression(_ source: SourceFile) -> (Expression, [Diagnostic]) {
        let result = run(source, mode: .config) { parser -> ExpressionResult in
            parser.skipNewlines()
            let expression = parser.parseExpression()
            parser.skipNewlines()
            let extra = parser.peekRaw()
            if extra.kind != .eof {
                parser.syntaxError("Extra characters after expression",
                                   "The expression ends before \(parser.describe(extra)); only one expression is expected here.",
                                   extra)
            }
            return ExpressionResult(expression: expression, diagnostics: parser.finishedDiagnostics())
        }
        return (result.expression, result.diagnostics)
    }

    /// Parses the whole of `source` as a template, the way `templatefile()` reads a file: literal
    /// text with `${...}` interpolations and `%{if}`/`%{for}` directives.
    public static func parseTemplate(_ source: SourceFile) -> ([TemplatePart], [Diagnostic]) {
        let result = run(source, mode: .template) { parser -> TemplateResult in
            let parts = parser.parseTemplateBody(terminator: .eof, flush: false)
            return TemplateResult(parts: parts, diagnostics: parser.finishedDiagnostics())
        }
        return (result.parts, result.diagnostics)
    }

    struct ExpressionResult: Sendable {
        var expression: Expression
        var diagnostics: [Diagnostic]
    }

    struct TemplateResult: Sendable {
        var parts: [TemplatePart]
        var diagnostics: [Diagnostic]
    }

    /// Inputs whose possible recursion depth (see `HCLLexer.Scan.depthBound`) stays below this
    /// are parsed on the caller's thread.
    static let inlineDepth = 16

    /// Scans `source` and runs `body` with a parser over it. The descent recurses once per nesting
    /// level (bounded by `maxNestingDepth`), and unoptimised builds use up to ~20 KB of stack per
    /// level, more than a secondary thread may have. So input that could nest deeply is parsed
    /// on a dedicated thread with a 16 MiB stack; ordinary files stay on the caller's thread.
    static func run<T: Sendable>(_ source: SourceFile, mode: HCLLexer.Mode, _ body: @escaping @Sendable (Parser) -> T) -> T {
        let scan = HCLLexer.scan(source, mode: mode, keepComments: false)
        guard scan.depthBound > inlineDepth else {
            return body(Parser(source: source, scan: scan))
        }
        return DeepStack.run(stackSize: 16 << 20) { body(Parser(source: source, scan: scan)) }
    }
}

/// Carries a result back from a `DeepStack` thread; the semaphore orders the write before the read.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// Wraps a value that is handed to another thread while its owner waits for it (so access stays
/// exclusive although the type is not `Sendable`).
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs work on a thread with a large stack and waits for it. Recursive descent over deeply nested
/// input uses more stack than a secondary thread may have, especially in unoptimised builds.
enum DeepStack {
    static func run<T: Sendable>(stackSize: Int, _ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return box.value!
    }
}

/// One parse: a reference type so the recursive descent passes one pointer around instead of
/// copying parser state into every frame (which made debug-build frames tens of kilobytes).
final class Parser {
    let source: SourceFile
    let tokens: [Token]
    var index = 0
    var diagnostics: [Diagnostic]
    /// Set after a syntax error; further syntax errors are suppressed until the parser resumes at
    /// a new body item.
    var recovering = false
    /// Whether line breaks are tokens (bodies, object constructors) or skipped as whitespace
    /// (inside parentheses, brackets, interpolations, `for` expressions). Constructs set it on
    /// entry and put the previous value back on exit (`enterBracket`/`leaveBracket`).
    private(set) var newlinesMatter = true
    var depth = 0
    var reportedTooDeep = false
    /// Counts syntax errors, reported or suppressed, so a construct can tell whether one of its
    /// parts failed (and skip to its closing bracket).
    var errorSerial = 0
    /// The opening token of the innermost bracket, brace or template sequence being parsed (to
    /// name the one left unclosed).
    private(set) var innermostBracket: Token?
    /// Lines with a lexical diagnostic: syntax errors there are follow-on errors and stay quiet.
    let lexicalLines: Set<Int>

    let positions: PositionIndex
    /// Syntax diagnostics reported so far (for the per-file limit).
    var reported = 0

    /// `source.bytes`, held directly.
    let bytes: [UInt8]
    /// What `string(_:_:)` made, by a hash of the bytes (`length` 0: empty slot).
    struct CachedString {
        var start = 0
        var length = 0
        var string = ""
    }
    /// Owned by the parser (freed in `deinit`): a plain buffer, so a lookup costs no uniqueness or
    /// exclusivity check. A power of two of slots, 16 to 256 by the file's size (setting up and
    /// freeing the slots costs about 50 instructions each: a large table would dominate a small file).
    let strings: UnsafeMutablePointer<CachedString>
    let stringSlots: Int

    init(source: SourceFile, scan: HCLLexer.Scan) {
        self.source = source
        self.bytes = source.bytes
        var slots = 16
        while slots < 256 && slots < source.bytes.count >> 5 { slots <<= 1 }
        stringSlots = slots
        strings = .allocate(capacity: slots)
        strings.initialize(repeating: CachedString(), count: slots)
        self.tokens = scan.tokens
        self.positions = scan.positions
        self.diagnostics = scan.diagnostics
        self.lexicalLines = Set(scan.diagnostics.map(\.range.start.line))
    }

    deinit {
        strings.deinitialize(count: stringSlots)
        strings.deallocate()
    }

    func finishedDiagnostics() -> [Diagnostic] {
        // Stable sort by position: lexical and syntactic diagnostics interleave in file order.
        diagnostics.enumerated().sorted {
            ($0.element.range.start.offset, $0.offset) < ($1.element.range.start.offset, $1.offset)
        }.map(\.element)
    }

    // MARK: Tokens

    /// What `enterBracket` replaced, for `leaveBracket` to restore.
    struct Nesting {
        let newlinesMatter: Bool
        let innermostBracket: Token?
    }

    /// Enters the bracket `open` (nil: only the line break mode changes). Saved state lives in the
    /// caller's frame instead of stacks on the parser, so entering costs no allocation.
    func enterBracket(_ open: Token?, newlinesMatter matter: Bool) -> Nesting {
        let saved = Nesting(newlinesMatter: newlinesMatter, innermostBracket: innermostBracket)
        newlinesMatter = matter
        if let open { innermostBracket = open }
        return saved
    }

    func leaveBracket(_ saved: Nesting) {
        newlinesMatter = saved.newlinesMatter
        innermostBracket = saved.innermostBracket
    }

    /// The index of the token `peek(ahead)` returns.
    @inline(__always) func peekIndex(_ ahead: Int = 0) -> Int {
        // The common case, inline: the next token itself.
        if ahead == 0 && (newlinesMatter || tokens[index].kind != .newline) { return index }
        return peekIndexSkipping(ahead)
    }

    /// `peekIndex` past line breaks and further ahead.
    /// `index` never passes the final `.eof` token, so the loop stays in bounds.
    func peekIndexSkipping(_ ahead: Int) -> Int {
        var i = index
        var remaining = ahead
        let skipNewlines = !newlinesMatter
        while true {
            let kind = tokens[i].kind
            if kind == .eof { return i }
            if !(skipNewlines && kind == .newline) {
                if remaining == 0 { return i }
                remaining -= 1
            }
            i += 1
        }
    }

    /// The index of the first token from `start` on that is not a line break.
    func nextNonNewline(_ start: Int) -> Int {
        var i = start
        while tokens[i].kind == .newline { i += 1 }
        return i
    }

    /// The next token, skipping line breaks where they do not matter.
    func peek(_ ahead: Int = 0) -> Token { tokens[peekIndex(ahead)] }

    /// The next token, line breaks included.
    func peekRaw() -> Token { tokens[min(index, tokens.count - 1)] }

    /// Consumes and returns what `peek()` returns.
    @discardableResult
    func next() -> Token {
        if !newlinesMatter {
            while tokens[index].kind == .newline { index += 1 }
        }
        let token = tokens[index]
        if token.kind != .eof { index += 1 }
        return token
    }

    func skipNewlines() {
        while tokens[index].kind == .newline { index += 1 }
    }

    /// The end offset of the last consumed token.
    var previousEnd: Int { index > 0 ? tokens[index - 1].end : 0 }

    func text(_ token: Token) -> String { token.kind == .identifier ? string(token.start, token.end) : source.text(from: token.start, to: token.end) }

    /// The text between two offsets of plain text (no escapes to decode), reusing the `String` made
    /// last time for the same bytes: a file repeats its names and short literals (`type`,
    /// `var`, `name`, `"String"`...), and making a `String` (validating its bytes, perhaps
    /// allocating) costs several times what a hit here costs. A small table indexed by a hash of
    /// the bytes; a collision only replaces the entry.
    func string(_ start: Int, _ end: Int) -> String {
        let length = end - start
        guard length > 0, length <= 64, start >= 0, end <= bytes.count else { return source.text(from: start, to: end) }
        return bytes.withUnsafeBufferPointer { buffer -> String in
            let base = buffer.baseAddress!
            var hash = UInt(length) &* 0x9E37_79B9
            hash = (hash ^ UInt(base[start])) &* 0x0100_0193
            hash = (hash ^ UInt(base[start + length / 2])) &* 0x0100_0193
            hash = (hash ^ UInt(base[end - 1])) &* 0x0100_0193
            let slot = Int(truncatingIfNeeded: (hash >> 7) & UInt(stringSlots - 1))
            if strings[slot].length == length, memcmp(base + strings[slot].start, base + start, length) == 0 {
                return strings[slot].string
            }
            let made = String(decoding: UnsafeBufferPointer(start: base + start, count: length), as: UTF8.self)
            strings[slot] = CachedString(start: start, length: length, string: made)
            return made
        }
    }

    func isKeyword(_ token: Token, _ word: String) -> Bool {
        guard token.kind == .identifier, token.end - token.start == word.utf8.count else { return false }
        return source.bytes[token.start..<token.end].elementsEqual(word.utf8)
    }

    func range(_ start: Int, _ end: Int) -> SourceRange { positions.range(start, end) }
    func range(_ token: Token) -> SourceRange { positions.range(token.start, token.end) }
    /// A range from a position already known (the start of a node being extended).
    func range(from start: SourcePosition, _ end: Int) -> SourceRange {
        SourceRange(pathID: positions.pathID, start: start, end: positions.position(max(start.offset, end)))
    }

    /// How a token reads in a message.
    func describe(_ token: Token) -> String {
        switch token.kind {
        case .newline: return "the end of the line"
        case .eof: return "the end of the file"
        case .oQuote: return "a quoted string"
        case .oHeredoc: return "a heredoc"
        case .number: return "the number `\(text(token))`"
        case .identifier: return "`\(text(token))`"
        case .cQuote where token.start == token.end: return "the end of the line"
        default:
            let t = text(token)
            return t.isEmpty ? "the end of the input" : "`\(t)`"
        }
    }

    // MARK: Diagnostics

    /// Reports a syntax error unless already recovering from one, then enters recovery.
    /// Messages are autoclosures: they are only built when actually reported, and their string
    /// interpolation lives outside the recursive parsing functions' frames.
    func syntaxError(_ summary: @autoclosure () -> String, _ detail: @autoclosure () -> String, _ start: Int, _ end: Int) {
        if !recovering && !lexicalLines.contains(positions.position(start).line) {
            report(summary(), detail(), start, end)
        }
        markError()
    }

    /// Enters recovery without a new diagnostic (the problem was already reported).
    func markError() {
        recovering = true
        errorSerial += 1
    }

    func syntaxError(_ summary: @autoclosure () -> String, _ detail: @autoclosure () -> String, _ token: Token) {
        // Tokens the lexer rejected were reported there.
        if token.kind == .invalid {
            markError()
            return
        }
        syntaxError(summary(), detail(), token.start, token.end)
    }

    /// Reports a problem that does not disturb parsing (no recovery needed), within the
    /// per-file limit.
    func report(_ summary: @autoclosure () -> String, _ detail: @autoclosure () -> String, _ start: Int, _ end: Int) {
        reported += 1
        if reported <= HCLLexer.diagnosticLimit {
            diagnostics.append(Diagnostic(.error, summary(), detail: detail(), range: range(start, end)))
        } else if reported == HCLLexer.diagnosticLimit + 1 {
            diagnostics.append(Diagnostic(.error, "Too many syntax errors",
                detail: "\(HCLLexer.diagnosticLimit) syntax errors were reported before this point; the rest of the file was not checked for more.",
                range: range(start, end)))
        }
    }

    func report(_ summary: @autoclosure () -> String, _ detail: @autoclosure () -> String, _ range: SourceRange) {
        report(summary(), detail(), range.start.offset, range.end.offset)
    }

    // MARK: Depth

    /// Enters one nesting level; false (with a diagnostic, once) when the limit is exceeded.
    func enter(_ token: Token) -> Bool {
        depth += 1
        if depth > HCLParser.maxNestingDepth {
            if !reportedTooDeep {
                reportedTooDeep = true
                diagnostics.append(Diagnostic(.error, "Nesting too deep",
                    detail: "Blocks, brackets, expressions or template directives are nested more than \(HCLParser.maxNestingDepth) levels deep here; "
                        + "the rest of this construct was skipped. Flatten the structure (for example with locals).",
                    range: range(token)))
            }
            markError()
            return false
        }
        return true
    }

    func leave() { depth -= 1 }

    // MARK: Recovery

    static func opener(of closer: TokenKind) -> TokenKind? {
        switch closer {
        case .cBrace: .oBrace
        case .cBrack: .oBrack
        case .cParen: .oParen
        case .cQuote: .oQuote
        case .cHeredoc: .oHeredoc
        case .templateSeqEnd: .templateInterp
        default: nil
        }
    }

    static func isOpener(_ kind: TokenKind) -> Bool {
        switch kind {
        case .oBrace, .oBrack, .oParen, .oQuote, .oHeredoc, .templateInterp, .templateControl: true
        default: false
        }
    }

    /// True when the token at `i` is a line break followed by what reads as a new argument or
    /// block, and only parentheses or brackets are open (`open`): in there, `name =` at the start
    /// of a line is never valid, so the brackets were left unclosed.
    func newItemFollows(_ i: Int, open: [TokenKind]) -> Bool {
        guard tokens[i].kind == .newline, open.allSatisfy({ $0 == .oParen || $0 == .oBrack }) else { return false }
        guard i + 2 < tokens.count, tokens[i + 1].kind == .identifier else { return false }
        let after = tokens[i + 2].kind
        return after == .equal || after == .oBrace || after == .oQuote
    }

    /// Skips past the end of the current body item: the next line break outside any brackets.
    /// Stops before an unmatched `}` when inside a block, so the block still closes.
    func recoverBodyItem(inBraces: Bool) {
        recovering = true
        var open: [TokenKind] = []
        while true {
            let token = tokens[index]
            switch token.kind {
            case .eof:
                return
            case .newline:
                if open.isEmpty || newItemFollows(index, open: open) {
                    index += 1
                    return
                }
            case .cBrace, .cBrack, .cParen, .cQuote, .cHeredoc, .templateSeqEnd:
                let opener = Parser.opener(of: token.kind)!
                if let k = open.lastIndex(where: { $0 == opener || (opener == .templateInterp && $0 == .templateControl) }) {
                    open.removeSubrange(k...)
                } else if token.kind == .cBrace && inBraces && open.isEmpty {
                    return
                }
            default:
                if Parser.isOpener(token.kind) { open.append(token.kind) }
            }
            index += 1
        }
    }

    /// Skips to just after the `closer` matching an opener already consumed, honouring nesting.
    /// Stops (without consuming) at the end of input or at a closer that belongs to an enclosing
    /// construct. Returns the end offset of the closer when found.
    @discardableResult
    func recover(to closer: TokenKind) -> Int? {
        recovering = true
        var open: [TokenKind] = []
        let stopAtNewItem = closer == .cParen || closer == .cBrack
        while true {
            let token = tokens[index]
            switch token.kind {
            case .eof:
                return nil
            case .newline where stopAtNewItem && newItemFollows(index, open: open):
                return nil
            case .cBrace, .cBrack, .cParen, .cQuote, .cHeredoc, .templateSeqEnd:
                if open.isEmpty {
                    if token.kind == closer {
                        index += 1
                        return token.end
                    }
                    return nil
                }
                let opener = Parser.opener(of: token.kind)!
                if let k = open.lastIndex(where: { $0 == opener || (opener == .templateInterp && $0 == .templateControl) }) {
                    open.removeSubrange(k...)
                } else {
                    return nil
                }
            default:
                if Parser.isOpener(token.kind) { open.append(token.kind) }
            }
            index += 1
        }
    }

    /// True when the next token starts a line and reads like a new argument or block (`name =`,
    /// `name {`, `name "label"`): the sign of an unclosed bracket above it.
    func nextLooksLikeNewBodyItem() -> Bool {
        let i = peekIndex()
        guard tokens[i].kind == .identifier, i > 0, tokens[i - 1].kind == .newline else { return false }
        let after = tokens[min(i + 1, tokens.count - 1)]
        return after.kind == .equal || after.kind == .oBrace || after.kind == .oQuote
    }

    // MARK: Bodies

    func parseBody(inBraces: Bool) -> [BodyItem] {
        var items: [BodyItem] = []
        // The first definition of each argument name, for the duplicate check: while the body is
        // small (most are) its items are searched instead, which needs no table.
        var seen: [String: SourceRange] = [:]
        var hashed = false
        while true {
            let token = peekRaw()
            switch token.kind {
            case .newline:
                index += 1
                continue
            case .eof:
                return items.compacted()
            case .cBrace:
                if inBraces { return items.compacted() }
                recovering = false
                syntaxError("Unexpected `}`", "No block is open here for this `}` to close. Remove it, or check the braces above.", token)
                index += 1
                continue
            default:
                break
            }
            recovering = false
            guard let item = parseBodyItem(inBraces: inBraces) else { continue }
            if case .attribute(let attribute) = item {
                let first: SourceRange?
                if items.count < 16 {
                    first = Parser.firstDefinition(of: attribute.name, in: items)
                } else {
                    if !hashed {
                        hashed = true
                        for case .attribute(let a) in items.reversed() { seen[a.name] = a.nameRange }
                    }
                    first = seen[attribute.name]
                }
                if let first {
                    report("Duplicate argument `\(attribute.name)`",
                           "`\(attribute.name)` is already set at line \(first.start.line), column \(first.start.column); "
                           + "each argument may be set only once in a body. Remove one of the two definitions.",
                           attribute.nameRange)
                } else if hashed {
                    seen[attribute.name] = attribute.nameRange
                }
            }
            items.append(item)
        }
    }

    /// The name range of the first attribute called `name` in `items`.
    static func firstDefinition(of name: String, in items: [BodyItem]) -> SourceRange? {
        for case .attribute(let a) in items where a.name == name { return a.nameRange }
        return nil
    }

    /// True for tokens that can begin an expression.
    static func startsExpression(_ kind: TokenKind) -> Bool {
        switch kind {
        case .identifier, .number, .oQuote, .oHeredoc, .oBrack, .oBrace, .oParen, .minus, .bang: true
        default: false
        }
    }

    func parseBodyItem(inBraces: Bool) -> BodyItem? {
        let token = peekRaw()
        switch token.kind {
        case .identifier:
            let name = next()
            let after = peekRaw()
            switch after.kind {
            case .equal:
                next()
                return finishAttribute(name: text(name), nameToken: name, inBraces: inBraces)
            case .oBrace, .oQuote, .identifier:
                return parseBlock(typeToken: name, type: text(name), inBraces: inBraces)
            case .colon, .equalEqual, .fatArrow:
                let n = text(name)
                syntaxError("Use `=` to set an argument",
                            "Found `\(n) \(text(after))`; arguments are set with `=`, as in `\(n) = ...`.", after)
                next()
                return finishAttribute(name: n, nameToken: name, inBraces: inBraces)
            case .newline, .eof, .cBrace:
                let n = text(name)
                syntaxError("Incomplete argument or block",
                            "`\(n)` must be followed by `=` and a value to set an argument (`\(n) = ...`), or by optional labels and `{` to open a block.",
                            name)
                recoverBodyItem(inBraces: inBraces)
                return nil
            default:
                let n = text(name)
                if Parser.startsExpression(after.kind) && after.kind != .oBrace {
                    // `name value`: most likely a forgotten `=`. Keep the value in the tree.
                    syntaxError("Missing `=` after argument name",
                                "Expected `=` between `\(n)` and its value: write `\(n) = \(restOfLine(from: after.start))`.",
                                after)
                    return finishAttribute(name: n, nameToken: name, inBraces: inBraces)
                }
                syntaxError("Invalid argument or block definition",
                            "Expected `=` (to set argument `\(n)`) or block labels and `{` (to open a `\(n)` block), but found \(describe(after)).",
                            after)
                recoverBodyItem(inBraces: inBraces)
                return nil
            }
        case .oQuote:
            return parseQuotedBodyItem(inBraces: inBraces)
        case .invalid:
            markError()
            recoverBodyItem(inBraces: inBraces)
            return nil
        default:
            syntaxError("Argument or block definition required",
                        "Expected an argument (`name = value`) or a block (`type \"label\" { ... }`), but found \(describe(token)).",
                        token)
            recoverBodyItem(inBraces: inBraces)
            return nil
        }
    }

    /// `"name" = value` or `"type" { ... }`: reported, but kept in the tree under the unquoted name.
    func parseQuotedBodyItem(inBraces: Bool) -> BodyItem? {
        let open = peekRaw()
        let quoted = parseTemplateExpression()
        let name = quoted.staticString
        let after = peekRaw()
        let quotedText = source.text(of: quoted.range)
        if after.kind == .equal, let name {
            let isIdentifier = Parser.isValidIdentifier(name)
            let advice = isIdentifier
                ? "Write `\(name) = ...` without quotes."
                : "`\(name)` is not a valid argument name; to use it as a key, set it inside a map: `tags = { \(quotedText) = ... }`."
            syntaxError("Argument name must not be quoted", "Found the quoted name \(quotedText). \(advice)", quoted.range.start.offset, quoted.range.end.offset)
            next()
            return finishAttribute(name: name, nameRange: quoted.range, inBraces: inBraces)
        }
        if after.kind == .oBrace || after.kind == .oQuote || after.kind == .identifier, let name {
            syntaxError("Block type must not be quoted",
                        "Found the quoted block type \(quotedText). Write the type as a bare name, as in `\(name) \"label\" { ... }`; only labels are quoted.",
                        quoted.range.start.offset, quoted.range.end.offset)
            let pseudo = Token(kind: .identifier, start: open.start, end: quoted.range.end.offset)
            return parseBlock(typeToken: pseudo, type: name, inBraces: inBraces)
        }
        syntaxError("Argument or block definition required",
                    "Expected an argument (`name = value`) or a block (`type \"label\" { ... }`), but found a quoted string.",
                    quoted.range.start.offset, quoted.range.end.offset)
        recoverBodyItem(inBraces: inBraces)
        return nil
    }

    /// The text from `offset` to the end of its line, shortened for quoting in a message.
    func restOfLine(from offset: Int) -> String {
        let line = source.line(ofOffset: offset)
        let lineStart = source.lineStarts[line - 1]
        let full = source.lineText(line)
        let prefixLength = source.text(from: lineStart, to: offset).count
        let rest = String(full.dropFirst(prefixLength)).trimmingCharacters(in: .whitespaces)
        return rest.count > 40 ? String(rest.prefix(40)) + "…" : rest
    }

    static func isValidIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, isIdentifierStart(first) else { return false }
        return s.unicodeScalars.dropFirst().allSatisfy(isIdentifierContinue)
    }

    func finishAttribute(name: String, nameToken: Token, inBraces: Bool) -> BodyItem {
        finishAttribute(name: name, nameRange: range(nameToken), inBraces: inBraces)
    }

    /// Parses the value after `name =` and the line break that must end the argument.
    func finishAttribute(name: String, nameRange: SourceRange, inBraces: Bool) -> BodyItem {
        let expression = parseExpression()
        let end = max(expression.range.end.offset, nameRange.end.offset)
        let attribute = Attribute(name: name, nameRange: nameRange, expression: expression,
                                  range: range(from: nameRange.start, end))
        endBodyItem(inBraces: inBraces, what: "argument", name: name)
        return .attribute(attribute)
    }

    /// Consumes the line break ending an argument or block; reports anything else on the line.
    func endBodyItem(inBraces: Bool, what: String, name: String) {
        if recovering {
            recoverBodyItem(inBraces: inBraces)
            return
        }
        let token = peekRaw()
        switch token.kind {
        case .newline:
            index += 1
        case .eof:
            break
        case .comma where what == "argument":
            syntaxError("Unexpected comma after argument",
                        "Arguments are separated by line breaks, not commas. Remove the `,` and put the next argument on its own line.",
                        token)
            recoverBodyItem(inBraces: inBraces)
        case .cBrace where inBraces:
            syntaxError("Missing line break after \(what)",
                        "The `}` closing the block must be on its own line after the \(what) `\(name)` (only a block holding a single argument may be written on one line, as in `block { \(what == "argument" ? name : "key") = ... }`).",
                        token)
        default:
            syntaxError("Missing line break after \(what)",
                        "The \(what) `\(name)` must end with a line break, but it is followed by \(describe(token)). Put what follows on its own line.",
                        token)
            recoverBodyItem(inBraces: inBraces)
        }
    }

    // MARK: Blocks

    func parseBlock(typeToken: Token, type: String, inBraces: Bool) -> BodyItem? {
        guard enter(typeToken) else {
            recoverBodyItem(inBraces: inBraces)
            leave()
            return nil
        }
        defer { leave() }
        var labels: [BlockLabel] = []
        while true {
            let token = peekRaw()
            if token.kind == .identifier {
                next()
                labels.append(BlockLabel(value: text(token), range: range(token), quoted: false))
            } else if token.kind == .oQuote {
                let label = parseTemplateExpression()
                if let value = label.staticString {
                    labels.append(BlockLabel(value: value, range: label.range, quoted: true))
                } else {
                    syntaxError("Invalid block label",
                                "Block labels are plain strings: they cannot contain `${...}` or `%{...}` sequences. To write a literal `${`, double the dollar: `$${`.",
                                label.range.start.offset, label.range.end.offset)
                    labels.append(BlockLabel(value: source.text(of: label.range), range: label.range, quoted: true))
                }
            } else {
                break
            }
        }
        let brace = peekRaw()
        guard brace.kind == .oBrace else {
            blockHeaderError(type: type, typeToken: typeToken, labels: labels, found: brace)
            recoverBodyItem(inBraces: inBraces)
            return nil
        }
        next()
        var items: [BodyItem] = []
        let closeStart: Int
        let closeEnd: Int
        let following = peekRaw()
        switch following.kind {
        case .newline, .eof, .cBrace:
            items = parseBody(inBraces: true)
            let close = peekRaw()
            if close.kind == .cBrace {
                next()
                closeStart = close.start
                closeEnd = close.end
            } else {
                recovering = false
                syntaxError("Unclosed block",
                            "The `{` opening this `\(type)` block has no matching `}` before the end of the file. Add the missing `}` (the braces above may be unbalanced).",
                            brace)
                closeStart = previousEnd
                closeEnd = previousEnd
            }
        default:
            let (item, end) = parseSingleLineBody(type: type, brace: brace)
            if let item { items = [item] }
            closeStart = end.start
            closeEnd = end.end
        }
        // After recovery the closing brace may be missing; the block still covers all it holds.
        let end = max(closeEnd, brace.end, items.last?.range.end.offset ?? 0)
        let body = Body(items: items, range: range(brace.start, end))
        let block = Block(type: type, typeRange: range(typeToken), labels: labels, body: body,
                          openBraceRange: range(brace), closeBraceRange: range(closeStart, closeEnd),
                          range: range(typeToken.start, end))
        endBodyItem(inBraces: inBraces, what: "block", name: type)
        return .block(block)
    }

    func blockHeaderError(type: String, typeToken: Token, labels: [BlockLabel], found: Token) {
        switch found.kind {
        case .equal:
            let detail = labels.count == 1 && !labels[0].quoted
                ? "`\(type) \(labels[0].value) =` reads as a block header: argument names are a single word. Did you mean `\(type)_\(labels[0].value) = ...` or a block `\(type) \(labels[0].value) { ... }`?"
                : "`=` sets an argument and cannot follow block labels. To open the `\(type)` block, write `{` instead of `=`."
            syntaxError("Invalid block definition", detail, found)
        case .newline, .eof:
            if labels.count == 1, labels[0].quoted {
                syntaxError("Missing `=` or `{`",
                            "`\(type)` is followed by a string on the same line. To set argument `\(type)`, write `\(type) = \(source.text(of: labels[0].range))`; to open a block, add `{` after the label.",
                            found)
            } else {
                syntaxError("Missing `{` after block header",
                            "A `\(type)` block needs `{` on the same line as its type and labels, with its content on the following lines.",
                            found)
            }
        default:
            syntaxError("Invalid block definition",
                        "Expected a quoted label or `{` after `\(source.text(from: typeToken.start, to: labels.last?.range.end.offset ?? typeToken.end))`, but found \(describe(found)).",
                        found)
        }
    }

    /// `type { name = value }` on one line. Returns the attribute (if any) and the closing token
    /// range (empty at the last consumed token when recovery had to skip).
    func parseSingleLineBody(type: String, brace: Token) -> (BodyItem?, (start: Int, end: Int)) {
        let first = peekRaw()
        var item: BodyItem?
        if first.kind == .identifier {
            let name = next()
            let after = peekRaw()
            switch after.kind {
            case .equal:
                next()
                let expression = parseExpression()
                let attribute = Attribute(name: text(name), nameRange: range(name), expression: expression,
                                          range: range(name.start, max(expression.range.end.offset, name.end)))
                item = .attribute(attribute)
            case .oBrace, .oQuote, .identifier:
                syntaxError("Nested block in a single-line block",
                            "A block written on one line can hold only one argument. To set argument `\(text(name))`, use `=`; to nest a `\(text(name))` block, put it on its own line inside `\(type) { ... }`.",
                            name.start, after.end)
                let end = recover(to: .cBrace)
                return (nil, (end.map { $0 - 1 } ?? previousEnd, end ?? previousEnd))
            default:
                syntaxError("Argument definition required",
                            "Expected `=` after `\(text(name))` in this single-line `\(type)` block.",
                            after)
                let end = recover(to: .cBrace)
                return (nil, (end.map { $0 - 1 } ?? previousEnd, end ?? previousEnd))
            }
        } else {
            syntaxError("Argument definition required",
                        "A `\(type)` block written on one line holds a single argument, as in `\(type) { name = value }`; found \(describe(first)).",
                        first)
            let end = recover(to: .cBrace)
            return (nil, (end.map { $0 - 1 } ?? previousEnd, end ?? previousEnd))
        }
        let close = peekRaw()
        switch close.kind {
        case .cBrace:
            next()
            return (item, (close.start, close.end))
        case .comma:
            syntaxError("Only one argument allowed in a single-line block",
                        "A block written on one line can hold only one argument. Put each argument of `\(type)` on its own line between `{` and `}`.",
                        close)
        case .newline:
            syntaxError("Single-line block not closed on its line",
                        "An argument on the same line as `{` makes this a single-line block, which must end with `}` on that line. Move the argument to the next line, or add `}` after it.",
                        close)
        case .eof:
            recovering = false
            syntaxError("Unclosed block", "The `{` opening this `\(type)` block has no matching `}` before the end of the file.", brace)
        default:
            syntaxError("Missing `}` after single-line block argument",
                        "A single-line block ends with `}` right after its one argument, but found \(describe(close)).",
                        close)
        }
        let end = recover(to: .cBrace)
        return (item, (end.map { $0 - 1 } ?? previousEnd, end ?? previousEnd))
    }
}
