import AuditCore

// ASCII bytes used by the scanners.
enum Byte {
    static let tab: UInt8 = 0x09, nl: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20
    static let bang: UInt8 = 0x21, dquote: UInt8 = 0x22, hash: UInt8 = 0x23, dollar: UInt8 = 0x24
    static let percent: UInt8 = 0x25, amp: UInt8 = 0x26, squote: UInt8 = 0x27, lparen: UInt8 = 0x28
    static let rparen: UInt8 = 0x29, star: UInt8 = 0x2A, plus: UInt8 = 0x2B, comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D, dot: UInt8 = 0x2E, slash: UInt8 = 0x2F, colon: UInt8 = 0x3A
    static let semi: UInt8 = 0x3B, lt: UInt8 = 0x3C, eq: UInt8 = 0x3D, gt: UInt8 = 0x3E
    static let question: UInt8 = 0x3F, at: UInt8 = 0x40, lbracket: UInt8 = 0x5B, backslash: UInt8 = 0x5C
    static let rbracket: UInt8 = 0x5D, backtick: UInt8 = 0x60, lbrace: UInt8 = 0x7B, pipe: UInt8 = 0x7C
    static let rbrace: UInt8 = 0x7D
}

extension ScriptCondition {
    /// The same condition for the code that runs when it does not hold.
    var negated: ScriptCondition {
        var c = self
        c.holds.toggle()
        return c
    }
}

/// A recovering scanner for bash: it never throws, always advances, bounds its recursion, and records
/// every simple command with its words, the conditions guarding it and its enclosing function.
final class BashParser {
    private let b: ScriptBuilder
    private let bytes: [UInt8]
    private var pos: Int
    private let limit: Int
    private var guards: [ScriptCondition]
    private var function: String?
    private var context: ScriptCommand.Context
    private let baseParent: Int?
    private let depth: Int
    private var nesting = 0
    private var parenDepth = 0
    private var lastTokenEnd: Int
    private var pendingHeredocs: [PendingHeredoc] = []
    private var collectors: [[Int]] = [[]]

    private struct PendingHeredoc {
        var ownerID: Int
        var redirection: Int
        var delimiter: [UInt8]
        var quoted: Bool
        var stripTabs: Bool
        var opStart: Int
        var opEnd: Int
    }

    private struct PipelineResult {
        var negated: Bool
        var main: Int?
    }

    private struct AndOrResult {
        var pipelines: [PipelineResult]
        var ops: [String]
    }

    static let reserved: Set<String> = [
        "if", "then", "elif", "else", "fi", "case", "esac", "for", "select", "while", "until", "do", "done",
        "function", "time", "{", "}", "!", "[[", "coproc",
    ]
    static let closers: Set<String> = ["then", "elif", "else", "fi", "do", "done", "esac", "}"]

    init(_ b: ScriptBuilder, start: Int, end: Int, guards: [ScriptCondition], function: String?,
         context: ScriptCommand.Context, parent: Int?, depth: Int) {
        self.b = b
        self.bytes = b.bytes
        self.pos = start
        self.limit = min(end, b.bytes.count)
        self.guards = guards
        self.function = function
        self.context = context
        self.baseParent = parent
        self.depth = depth
        self.lastTokenEnd = start
    }

    /// Scans the whole rendered text of `b`.
    static func scan(_ b: ScriptBuilder) {
        let p = BashParser(b, start: 0, end: b.bytes.count, guards: [], function: nil, context: .statement, parent: nil, depth: 0)
        _ = p.run()
    }

    /// Scans `[start, end)` as a script nested in command `parent` (here-document, `bash -c` string, …).
    static func scanEmbedded(_ b: ScriptBuilder, start: Int, end: Int, guards: [ScriptCondition], function: String?,
                             context: ScriptCommand.Context, parent: Int, depth: Int) -> [Int] {
        guard depth < ScriptBuilder.maxDepth, b.embeddedScans < ScriptBuilder.maxEmbeddedScans, end > start else { return [] }
        b.embeddedScans += 1
        let p = BashParser(b, start: start, end: end, guards: guards, function: function, context: context, parent: parent, depth: depth + 1)
        return p.run()
    }

    private func run() -> [Int] {
        parseList(stops: [])
        if !pendingHeredocs.isEmpty { readHeredocBodies() }
        return collectors[0]
    }

    private var level: Int { depth + nesting }

    // MARK: - Low level

    @inline(__always) private func peek(_ k: Int = 0) -> UInt8? {
        let p = pos + k
        return p < limit ? bytes[p] : nil
    }

    @inline(__always) private static func isBlank(_ c: UInt8) -> Bool { c == Byte.space || c == Byte.tab || c == Byte.cr }

    @inline(__always) private static func isMeta(_ c: UInt8) -> Bool {
        isBlank(c) || c == Byte.nl || c == Byte.semi || c == Byte.amp || c == Byte.pipe || c == Byte.lparen
            || c == Byte.rparen || c == Byte.lt || c == Byte.gt
    }

    private func skipBlanks() {
        while pos < limit {
            let c = bytes[pos]
            if Self.isBlank(c) { pos += 1; continue }
            if c == Byte.backslash {
                if peek(1) == Byte.nl { pos += 2; continue }
                if peek(1) == Byte.cr, peek(2) == Byte.nl { pos += 3; continue }
            }
            if c == Byte.hash {
                while pos < limit, bytes[pos] != Byte.nl { pos += 1 }
                continue
            }
            break
        }
    }

    private func skipBlanksAndNewlines() {
        while true {
            skipBlanks()
            guard pos < limit, bytes[pos] == Byte.nl else { return }
            consumeNewline()
        }
    }

    private func consumeNewline() {
        pos += 1
        if !pendingHeredocs.isEmpty { readHeredocBodies() }
    }

    /// The unquoted word at `pos` if it holds no quoting or expansion (for reserved-word checks).
    private func peekBareWord() -> (String, Int)? {
        var p = pos
        while p < limit {
            let c = bytes[p]
            if Self.isMeta(c) { break }
            if c == Byte.dquote || c == Byte.squote || c == Byte.backslash || c == Byte.dollar || c == Byte.backtick { return nil }
            p += 1
        }
        guard p > pos else { return nil }
        return (b.text(pos, p), p)
    }

    private func peekReserved() -> String? {
        guard let (w, _) = peekBareWord(), Self.reserved.contains(w) else { return nil }
        return w
    }

    private func consumeBareWord() {
        if let (_, end) = peekBareWord() {
            pos = end
            lastTokenEnd = end
        }
    }

    private func rawWord(_ s: Int, _ e: Int) -> ScriptWord {
        var w = WordBuilder(start: s)
        w.literal(bytes[s..<e], quoted: false)
        w.end = e
        return w.build(in: b)
    }

    // MARK: - Lists

    @discardableResult
    private func parseList(stops: Set<String>, inCase: Bool = false) -> [AndOrResult] {
        var items: [AndOrResult] = []
        while true {
            skipBlanksAndNewlines()
            guard pos < limit else { break }
            let before = pos
            let c = bytes[pos]
            if c == Byte.rparen {
                if parenDepth > 0 { break }
                b.diagnose("unexpected `)`", "No `(` or `$(` is open here; remove the `)` or add the opening parenthesis.", pos, pos + 1)
                pos += 1
                continue
            }
            if c == Byte.semi {
                if peek(1) == Byte.semi || peek(1) == Byte.amp {
                    if inCase { break }
                    let len = peek(1) == Byte.semi && peek(2) == Byte.amp ? 3 : 2
                    b.diagnose("unexpected `\(b.text(pos, pos + len))` outside `case`",
                               "`;;` ends a `case` arm; outside `case … esac` it is a syntax error. Use `;` to separate commands.",
                               pos, pos + len)
                    pos += len
                    continue
                }
                pos += 1
                continue
            }
            if c == Byte.amp, peek(1) != Byte.gt {
                let len = peek(1) == Byte.amp ? 2 : 1
                b.diagnose("unexpected `\(b.text(pos, pos + len))`", "`&&` and `&` need a command before them.", pos, pos + len)
                pos += len
                continue
            }
            if c == Byte.pipe {
                let len = peek(1) == Byte.pipe ? 2 : 1
                b.diagnose("unexpected `\(b.text(pos, pos + len))`", "A pipe or `||` needs a command before it.", pos, pos + len)
                pos += len
                continue
            }
            if let w = peekReserved(), Self.closers.contains(w) {
                if stops.contains(w) { break }
                b.diagnose("unexpected `\(w)`", Self.strayCloserDetail(w), pos, pos + w.utf8.count)
                consumeBareWord()
                continue
            }
            items.append(parseAndOr())
            skipBlanks()
            if pos < limit {
                let c2 = bytes[pos]
                if c2 == Byte.semi, peek(1) != Byte.semi, peek(1) != Byte.amp { pos += 1 }
                else if c2 == Byte.amp, peek(1) != Byte.amp, peek(1) != Byte.gt { pos += 1 }
            }
            if pos == before {
                b.diagnose("unexpected `\(b.text(pos, pos + 1))`", "The scanner could not read a command here and skipped this character.", pos, pos + 1)
                pos += 1
            }
        }
        return items
    }

    private static func strayCloserDetail(_ w: String) -> String {
        switch w {
        case "fi": "`fi` closes an `if`, but no `if` is open here; remove it or add the missing `if … then`."
        case "then": "`then` follows the condition of an `if` or `elif`; none is open here."
        case "elif", "else": "`\(w)` belongs inside `if … fi`; none is open here."
        case "done": "`done` closes a `while`, `until` or `for` loop body, but no `do` is open here."
        case "do": "`do` follows the header of a `while`, `until` or `for` loop; none is open here."
        case "esac": "`esac` closes a `case`, but none is open here."
        default: "`}` closes a `{` group or function body, but none is open here."
        }
    }

    private func parseAndOr() -> AndOrResult {
        let start = pos
        var result = AndOrResult(pipelines: [], ops: [])
        var localGuard: ScriptCondition?
        var end = start
        while true {
            if let g = localGuard { guards.append(g) }
            let p = parsePipeline()
            if localGuard != nil { guards.removeLast() }
            result.pipelines.append(p)
            end = max(end, lastTokenEnd)
            skipBlanks()
            guard let c = peek(), c == Byte.amp || c == Byte.pipe, peek(1) == c else { break }
            let op = c == Byte.amp ? "&&" : "||"
            let opStart = pos
            pos += 2
            lastTokenEnd = pos
            result.ops.append(op)
            localGuard = ScriptCondition(
                kind: op == "&&" ? .andList : .orList, text: b.text(start, end), range: b.range(start, end),
                holds: op == "&&", expression: expression(of: result))
            skipBlanksAndNewlines()
            if pos >= limit {
                b.diagnose("`\(op)` at end of input", "`\(op)` needs a command after it.", opStart, opStart + 2)
                break
            }
        }
        return result
    }

    private func parsePipeline() -> PipelineResult {
        skipBlanks()
        var negated = false
        if peekReserved() == "time" {
            consumeBareWord()
            skipBlanks()
            if peekBareWord()?.0 == "-p" { consumeBareWord(); skipBlanks() }
        }
        if peekReserved() == "!" {
            consumeBareWord()
            negated = true
            skipBlanks()
        }
        var predecessor: Int?
        var main: Int?
        while true {
            let idx = parseCommand(predecessor: predecessor)
            main = idx
            predecessor = idx
            skipBlanks()
            if peek() == Byte.pipe, peek(1) != Byte.pipe {
                pos += peek(1) == Byte.amp ? 2 : 1
                lastTokenEnd = pos
                skipBlanksAndNewlines()
                continue
            }
            break
        }
        return PipelineResult(negated: negated, main: main)
    }

    private func parseCommand(predecessor: Int?) -> Int? {
        skipBlanks()
        guard pos < limit else { return nil }
        guard level < ScriptBuilder.maxDepth else {
            b.diagnose("nesting too deep", "The script nests more than \(ScriptBuilder.maxDepth) levels; the scanner skipped the rest of this line.", pos, pos + 1, .warning)
            while pos < limit, bytes[pos] != Byte.nl { pos += 1 }
            return nil
        }
        if let w = peekReserved() {
            nesting += 1
            defer { nesting -= 1 }
            switch w {
            case "if": parseIf()
            case "while", "until": parseWhile(w)
            case "for", "select": parseFor(w)
            case "case": parseCase()
            case "{": parseBraceGroup()
            case "[[": return parseDoubleBracket(predecessor: predecessor)
            case "function": parseFunctionKeyword()
            case "coproc":
                consumeBareWord()
                return parseCommand(predecessor: predecessor)
            default:
                return nil
            }
            parseTrailingRedirections()
            return nil
        }
        if bytes[pos] == Byte.lparen {
            nesting += 1
            defer { nesting -= 1 }
            if peek(1) == Byte.lparen, arithmeticAhead(from: pos + 2) { return parseArithmeticCommand(predecessor: predecessor) }
            parseSubshell()
            parseTrailingRedirections()
            return nil
        }
        if let def = functionDefinitionAhead() {
            nesting += 1
            defer { nesting -= 1 }
            let defStart = pos
            pos = def.afterParens
            lastTokenEnd = pos
            parseFunctionBody(name: def.name, defStart: defStart, nameStart: defStart, nameEnd: def.nameEnd)
            return nil
        }
        return parseSimpleCommand(predecessor: predecessor)
    }

    // MARK: - Compound commands

    private func expectCloser(_ word: String, opener: String, openerStart: Int) {
        skipBlanksAndNewlines()
        if peekReserved() == word {
            consumeBareWord()
            return
        }
        let found = pos >= limit ? "the end of the input" : (peekReserved().map { "`\($0)`" } ?? "`\(b.text(pos, min(limit, pos + 1)))`")
        b.diagnose("`\(opener)` without matching `\(word)`",
                   "Reached \(found) before the `\(word)` that closes this `\(opener)`; add `\(word)` where the block ends.",
                   openerStart, openerStart + opener.utf8.count)
    }

    /// Reads a condition list up to `stop` and consumes `stop`.
    private func parseCondition(kind: ScriptCondition.Kind, stop: String, opener: String, openerStart: Int) -> ScriptCondition {
        let savedContext = context
        context = .condition
        skipBlanksAndNewlines()
        let condStart = pos
        lastTokenEnd = condStart
        let items = parseList(stops: Self.closers)
        let condEnd = max(condStart, lastTokenEnd)
        context = savedContext
        skipBlanksAndNewlines()
        if peekReserved() == stop {
            consumeBareWord()
        } else {
            let found = pos >= limit ? "the end of the input" : "`\(peekReserved() ?? b.text(pos, min(limit, pos + 1)))`"
            b.diagnose("missing `\(stop)` after `\(opener)` condition",
                       "Expected `\(stop)` after the condition of this `\(opener)` but found \(found); write `; \(stop)` after the condition.",
                       openerStart, openerStart + opener.utf8.count)
        }
        if items.isEmpty {
            b.diagnose("empty `\(opener)` condition", "`\(opener)` needs a command or test before `\(stop)`.", openerStart, openerStart + opener.utf8.count)
        }
        return ScriptCondition(kind: kind, text: b.text(condStart, condEnd), range: b.range(condStart, condEnd),
                               holds: true, expression: items.last.map(expression(of:)) ?? .unknown)
    }

    private func parseIf() {
        let ifStart = pos
        consumeBareWord()
        let c1 = parseCondition(kind: .if, stop: "then", opener: "if", openerStart: ifStart)
        guards.append(c1)
        parseList(stops: Self.closers)
        guards.removeLast()
        var negs = [c1.negated]
        while true {
            skipBlanksAndNewlines()
            let w = peekReserved()
            if w == "elif" {
                let s = pos
                consumeBareWord()
                guards.append(contentsOf: negs)
                let ci = parseCondition(kind: .if, stop: "then", opener: "elif", openerStart: s)
                guards.append(ci)
                parseList(stops: Self.closers)
                guards.removeLast(negs.count + 1)
                negs.append(ci.negated)
            } else if w == "else" {
                consumeBareWord()
                guards.append(contentsOf: negs)
                parseList(stops: Self.closers)
                guards.removeLast(negs.count)
                expectCloser("fi", opener: "if", openerStart: ifStart)
                return
            } else {
                expectCloser("fi", opener: "if", openerStart: ifStart)
                return
            }
        }
    }

    private func parseWhile(_ keyword: String) {
        let s = pos
        consumeBareWord()
        var cond = parseCondition(kind: keyword == "while" ? .while : .until, stop: "do", opener: keyword, openerStart: s)
        cond.holds = keyword == "while"
        guards.append(cond)
        parseList(stops: Self.closers)
        guards.removeLast()
        expectCloser("done", opener: keyword, openerStart: s)
    }

    private func parseFor(_ keyword: String) {
        let s = pos
        consumeBareWord()
        skipBlanks()
        let headerStart = pos
        if peek() == Byte.lparen, peek(1) == Byte.lparen {
            skipArithmetic()
        } else {
            _ = lexWord()
            skipBlanks()
            if peekBareWord()?.0 == "in" {
                consumeBareWord()
                while true {
                    skipBlanks()
                    guard let c = peek(), c != Byte.nl, c != Byte.semi else { break }
                    if lexWord() == nil { break }
                }
            }
        }
        let headerEnd = max(headerStart, lastTokenEnd)
        skipBlanks()
        if peek() == Byte.semi { pos += 1 }
        skipBlanksAndNewlines()
        let cond = ScriptCondition(kind: .loop, text: "\(keyword) \(b.text(headerStart, headerEnd))", range: b.range(s, headerEnd),
                                   holds: true, expression: .unknown)
        guards.append(cond)
        defer { guards.removeLast() }
        if peekReserved() == "do" {
            consumeBareWord()
            parseList(stops: Self.closers)
            expectCloser("done", opener: keyword, openerStart: s)
        } else if peekReserved() == "{" {
            parseBraceGroup()
        } else {
            b.diagnose("missing `do` after `\(keyword)` header", "Write `; do` after the word list and close the body with `done`.", s, s + keyword.utf8.count)
        }
    }

    private func parseCase() {
        let s = pos
        consumeBareWord()
        skipBlanks()
        let subject = lexWord()
        if subject == nil {
            b.diagnose("missing word after `case`", "Write `case \"$value\" in pattern) … ;; esac`.", s, s + 4)
        }
        let subjectWord = subject.map { $0.build(in: b) }
        skipBlanksAndNewlines()
        if peekBareWord()?.0 == "in" {
            consumeBareWord()
        } else {
            b.diagnose("missing `in` after `case` word", "Write `case WORD in` followed by the pattern arms.", s, s + 4)
        }
        // Arms reached only because earlier arms (ended by `;;`) did not match.
        var earlier: [ScriptCondition] = []
        while true {
            skipBlanksAndNewlines()
            guard pos < limit else {
                b.diagnose("`case` without matching `esac`", "Reached the end of the input before the `esac` that closes this `case`.", s, s + 4)
                return
            }
            let iterationStart = pos
            if peekReserved() == "esac" {
                consumeBareWord()
                return
            }
            if let w = peekReserved(), Self.closers.contains(w) {
                b.diagnose("`case` without matching `esac`", "Reached `\(w)` before the `esac` that closes this `case`.", s, s + 4)
                return
            }
            if peek() == Byte.lparen { pos += 1 }
            var patterns: [ScriptWord] = []
            let patStart = pos
            while true {
                skipBlanks()
                guard let w = lexWord() else { break }
                patterns.append(w.build(in: b))
                skipBlanks()
                if peek() == Byte.pipe { pos += 1; continue }
                break
            }
            let patEnd = max(patStart, lastTokenEnd)
            skipBlanks()
            if peek() == Byte.rparen {
                pos += 1
                lastTokenEnd = pos
            } else {
                b.diagnose("missing `)` after `case` pattern", "Each arm is written `pattern) commands ;;`.", patStart, max(patStart + 1, patEnd))
            }
            let cond = ScriptCondition(
                kind: .case, text: b.text(patStart, patEnd), range: b.range(patStart, patEnd), holds: true,
                expression: subjectWord.map { .matches($0, patterns: patterns) } ?? .unknown)
            guards.append(contentsOf: earlier)
            guards.append(cond)
            parseList(stops: Self.closers.union(["esac"]), inCase: true)
            guards.removeLast(earlier.count + 1)
            skipBlanksAndNewlines()
            if peek() == Byte.semi {
                if peek(1) == Byte.semi {
                    // `;;&` tests the next pattern anyway; `;;` ends the case.
                    if peek(2) == Byte.amp { pos += 3 } else { pos += 2; earlier.append(cond.negated) }
                } else if peek(1) == Byte.amp {
                    pos += 2
                } else {
                    pos += 1
                }
            } else {
                earlier.append(cond.negated)
            }
            if pos == iterationStart { pos += 1 }
        }
    }

    private func parseBraceGroup() {
        let s = pos
        consumeBareWord()
        parseList(stops: Self.closers)
        expectCloser("}", opener: "{", openerStart: s)
    }

    private func parseSubshell() {
        let s = pos
        pos += 1
        parenDepth += 1
        parseList(stops: Self.closers)
        parenDepth -= 1
        skipBlanksAndNewlines()
        if peek() == Byte.rparen {
            pos += 1
            lastTokenEnd = pos
        } else {
            b.diagnose("`(` without matching `)`", "Reached \(pos >= limit ? "the end of the input" : "`\(b.text(pos, pos + 1))`") before the `)` that closes this subshell.", s, s + 1)
        }
    }

    /// After `((` or `$((`: true when the parentheses close as `))` (arithmetic), false when the first
    /// `(` closes alone, as in `$( (a || b) | c )`.
    private func arithmeticAhead(from start: Int) -> Bool {
        var p = start
        var depth = 0
        while p < limit {
            let c = bytes[p]
            if c == Byte.squote || c == Byte.dquote {
                p += 1
                while p < limit, bytes[p] != c {
                    if c == Byte.dquote, bytes[p] == Byte.backslash { p += 1 }
                    p += 1
                }
            } else if c == Byte.lparen {
                depth += 1
            } else if c == Byte.rparen {
                if depth == 0 { return p + 1 < limit && bytes[p + 1] == Byte.rparen }
                depth -= 1
            }
            p += 1
        }
        return true
    }

    private func skipArithmetic() {
        // At `((`: skip to the matching `))`.
        let s = pos
        pos += 2
        var depth = 0
        while pos < limit {
            let c = bytes[pos]
            if c == Byte.lparen { depth += 1 }
            if c == Byte.rparen {
                if depth == 0 {
                    if peek(1) == Byte.rparen {
                        pos += 2
                        lastTokenEnd = pos
                        return
                    }
                } else {
                    depth -= 1
                }
            }
            pos += 1
        }
        b.diagnose("`((` without matching `))`", "The arithmetic expression runs to the end of the input.", s, s + 2)
        lastTokenEnd = pos
    }

    private func parseArithmeticCommand(predecessor: Int?) -> Int? {
        let s = pos
        skipArithmetic()
        let word = rawWord(s, pos)
        let cmd = makeCommand(kind: .arithmetic, words: [word], assignments: [], redirections: [], start: s, end: pos, predecessor: predecessor)
        return appendCommand(cmd, nested: [])
    }

    private func functionDefinitionAhead() -> (name: String, nameEnd: Int, afterParens: Int)? {
        guard let (name, end) = peekBareWord(), !Self.reserved.contains(name), !name.utf8.contains(Byte.eq),
              name.utf8.allSatisfy({ $0.isIdentifierByte || $0 == Byte.minus || $0 == Byte.dot || $0 == Byte.colon || $0 == Byte.at })
        else { return nil }
        var p = end
        while p < limit, Self.isBlank(bytes[p]) { p += 1 }
        guard p < limit, bytes[p] == Byte.lparen else { return nil }
        p += 1
        while p < limit, Self.isBlank(bytes[p]) { p += 1 }
        guard p < limit, bytes[p] == Byte.rparen else { return nil }
        return (name, end, p + 1)
    }

    private func parseFunctionKeyword() {
        let s = pos
        consumeBareWord()
        skipBlanks()
        guard let (name, end) = peekBareWord() else {
            b.diagnose("missing function name", "Write `function name { … }`.", s, s + 8)
            return
        }
        let nameStart = pos
        pos = end
        lastTokenEnd = end
        var p = pos
        while p < limit, Self.isBlank(bytes[p]) { p += 1 }
        if p < limit, bytes[p] == Byte.lparen {
            var q = p + 1
            while q < limit, Self.isBlank(bytes[q]) { q += 1 }
            if q < limit, bytes[q] == Byte.rparen { pos = q + 1 }
        }
        parseFunctionBody(name: name, defStart: s, nameStart: nameStart, nameEnd: end)
    }

    private func parseFunctionBody(name: String, defStart: Int, nameStart: Int, nameEnd: Int) {
        skipBlanksAndNewlines()
        let bodyStart = pos
        let saved = function
        function = name
        _ = parseCommand(predecessor: nil)
        function = saved
        let bodyEnd = max(bodyStart, lastTokenEnd)
        b.functions.append(ScriptFunction(name: name, nameRange: b.range(nameStart, nameEnd), range: b.range(defStart, bodyEnd),
                                          bodyRange: b.range(bodyStart, bodyEnd), parameters: []))
    }

    private func parseTrailingRedirections() {
        while true {
            skipBlanks()
            guard lexRedirection(ownerID: nil, index: 0) != nil else { return }
        }
    }

    // MARK: - [[ ]]

    private func parseDoubleBracket(predecessor: Int?) -> Int? {
        let s = pos
        var words = [rawWord(pos, pos + 2)]
        pos += 2
        lastTokenEnd = pos
        var closed = false
        var regexNext = false
        while true {
            skipBlanksAndNewlines()
            guard pos < limit else { break }
            let c = bytes[pos]
            if c == Byte.rbracket, peek(1) == Byte.rbracket, pos + 2 >= limit || Self.isMeta(bytes[pos + 2]) {
                words.append(rawWord(pos, pos + 2))
                pos += 2
                lastTokenEnd = pos
                closed = true
                break
            }
            if c == Byte.semi { break }
            var len = 0
            if (c == Byte.amp || c == Byte.pipe), peek(1) == c { len = 2 }
            else if c == Byte.lparen || c == Byte.rparen || c == Byte.lt || c == Byte.gt { len = 1 }
            else if c == Byte.bang, pos + 1 >= limit || Self.isMeta(bytes[pos + 1]) { len = 1 }
            if len > 0 {
                words.append(rawWord(pos, pos + len))
                pos += len
                lastTokenEnd = pos
                regexNext = false
                continue
            }
            if regexNext {
                let rs = pos
                var depth = 0
                while pos < limit {
                    let d = bytes[pos]
                    if d == Byte.backslash { pos = min(limit, pos + 2); continue }
                    if d == Byte.lparen { depth += 1 } else if d == Byte.rparen {
                        if depth == 0 { break }
                        depth -= 1
                    } else if depth == 0, Self.isBlank(d) || d == Byte.nl { break }
                    pos += 1
                }
                if pos > rs {
                    words.append(rawWord(rs, pos))
                    lastTokenEnd = pos
                }
                regexNext = false
                continue
            }
            guard let w = lexWord() else { break }
            let word = w.build(in: b)
            words.append(word)
            regexNext = word.value == "=~"
        }
        if !closed {
            b.diagnose("`[[` without matching `]]`", "Close the test with ` ]]` (a space before `]]`).", s, s + 2)
        }
        let inner = Array(words.dropFirst().dropLast(closed ? 1 : 0))
        var cmd = makeCommand(kind: .test, words: words, assignments: [], redirections: [], start: s, end: max(s + 2, lastTokenEnd), predecessor: predecessor)
        cmd.test = TestExpressionParser.parse(inner, doubleBracket: true)
        return appendCommand(cmd, nested: nestedCommands(of: words))
    }

    // MARK: - Simple commands

    private func parseSimpleCommand(predecessor: Int?) -> Int? {
        let start = pos
        let ownerID = b.newOwner()
        var words: [ScriptWord] = []
        var assignments: [ScriptAssignment] = []
        var redirections: [ScriptRedirection] = []
        var end = start
        while true {
            skipBlanks()
            guard pos < limit else { break }
            let c = bytes[pos]
            if c == Byte.nl || c == Byte.semi || c == Byte.pipe || c == Byte.rparen { break }
            if c == Byte.amp, peek(1) != Byte.gt { break }
            if let r = lexRedirection(ownerID: ownerID, index: redirections.count) {
                redirections.append(r)
                end = lastTokenEnd
                continue
            }
            if c == Byte.lparen {
                b.diagnose("unexpected `(`", "A `(` inside a command starts nothing here; quote it (`'('`) if it is meant literally.", pos, pos + 1)
                pos += 1
                continue
            }
            guard let wb = lexWord() else {
                b.diagnose("unexpected `\(b.text(pos, pos + 1))`", "The scanner skipped this character.", pos, pos + 1)
                pos += 1
                continue
            }
            let word = wb.build(in: b)
            end = lastTokenEnd
            if words.isEmpty, let a = splitAssignment(word) {
                assignments.append(a)
            } else {
                words.append(word)
            }
        }
        guard !words.isEmpty || !assignments.isEmpty || !redirections.isEmpty else { return nil }
        var cmd = makeCommand(kind: .simple, words: words, assignments: assignments, redirections: redirections,
                              start: start, end: max(start, end), predecessor: predecessor)
        let resolution = CommandResolver.resolve(words, language: .bash)
        cmd.nameIndex = resolution.nameIndex
        cmd.effectiveName = resolution.name
        cmd.effectiveArguments = resolution.arguments
        if let n = resolution.nameIndex {
            let name = words[n].value
            if name == "[" {
                let args = words[(n + 1)...]
                let inner = args.last?.value == "]" ? Array(args.dropLast()) : Array(args)
                cmd.test = TestExpressionParser.parse(inner, doubleBracket: false)
            } else if name == "test" {
                cmd.test = TestExpressionParser.parse(Array(words[(n + 1)...]), doubleBracket: false)
            } else if ["local", "export", "declare", "typeset", "readonly"].contains(name) {
                for w in words[(n + 1)...] { if let a = splitAssignment(w) { cmd.assignments.append(a) } }
            }
        }
        var nested = nestedCommands(of: words)
        for a in assignments { if let v = a.value { nested.append(contentsOf: nestedCommands(of: [v])) } }
        for r in redirections { if let t = r.target { nested.append(contentsOf: nestedCommands(of: [t])) } }
        let index = appendCommand(cmd, nested: nested)
        b.ownerIndex[ownerID] = index
        if !resolution.embedded.isEmpty { scanEmbeddedWords(resolution.embedded.map { words[$0] }, parent: index) }
        return index
    }

    private func makeCommand(kind: ScriptCommand.Kind, words: [ScriptWord], assignments: [ScriptAssignment],
                             redirections: [ScriptRedirection], start: Int, end: Int, predecessor: Int?) -> ScriptCommand {
        let cmd = ScriptCommand(
            index: -1, kind: kind, words: words, assignments: assignments, redirections: redirections,
            range: b.range(start, end), conditions: b.conditions(guards, at: start), function: function,
            context: context, parent: baseParent, pipelinePredecessor: predecessor, test: nil, nameIndex: nil,
            effectiveName: nil, effectiveArguments: [])
        return cmd
    }

    private func appendCommand(_ cmd: ScriptCommand, nested: [Int]) -> Int {
        let index = b.append(cmd, nested: nested)
        collectors[collectors.count - 1].append(index)
        return index
    }

    /// Re-reads the content of `words` (one script string, or `eval`'s words) as a script.
    private func scanEmbeddedWords(_ words: [ScriptWord], parent: Int) {
        guard let first = words.first, let last = words.last else { return }
        var s = first.scanStart, e = last.scanEnd
        if words.count == 1 { (s, e) = Self.contentRange(first, bytes) }
        let cmd = b.commands[parent]
        _ = Self.scanEmbedded(b, start: s, end: e, guards: cmd.conditions, function: cmd.function, context: .embedded, parent: parent, depth: level)
    }

    /// The inside of a quoted word (`'…'`, `"…"`, `$'…'`), or the word itself.
    static func contentRange(_ w: ScriptWord, _ bytes: [UInt8]) -> (Int, Int) {
        let s = w.scanStart, e = w.scanEnd
        if e - s >= 2 {
            let f = bytes[s], l = bytes[e - 1]
            if (f == Byte.squote || f == Byte.dquote), l == f { return (s + 1, e - 1) }
            if f == Byte.dollar, e - s >= 3, bytes[s + 1] == Byte.squote, l == Byte.squote { return (s + 2, e - 1) }
        }
        return (s, e)
    }

    private func splitAssignment(_ w: ScriptWord) -> ScriptAssignment? {
        var p = w.scanStart
        let e = w.scanEnd
        guard p < e, bytes[p].isIdentifierStart else { return nil }
        while p < e, bytes[p].isIdentifierByte { p += 1 }
        let nameEnd = p
        if p < e, bytes[p] == Byte.lbracket {
            while p < e, bytes[p] != Byte.rbracket { p += 1 }
            p += 1
        }
        if p < e, bytes[p] == Byte.plus { p += 1 }
        guard p < e, bytes[p] == Byte.eq else { return nil }
        let valueStart = p + 1
        let prefixLength = valueStart - w.scanStart
        var value: ScriptWord?
        if valueStart < e {
            var parts = w.parts
            var remaining = prefixLength
            var ok = true
            while remaining > 0, !parts.isEmpty {
                guard case .literal(let s, let q) = parts[0], !q else { ok = false; break }
                let count = s.utf8.count
                if count <= remaining {
                    parts.removeFirst()
                    remaining -= count
                } else {
                    parts[0] = .literal(String(decoding: s.utf8.dropFirst(remaining), as: UTF8.self), quoted: false)
                    remaining = 0
                }
            }
            if !ok { parts = w.parts }
            value = ScriptWord(range: b.range(valueStart, e), text: b.text(valueStart, e),
                               value: String(decoding: w.value.utf8.dropFirst(min(prefixLength, w.value.utf8.count)), as: UTF8.self),
                               parts: parts, scanStart: valueStart, scanEnd: e)
        }
        return ScriptAssignment(name: b.text(w.scanStart, nameEnd), nameRange: b.range(w.scanStart, nameEnd), range: w.range,
                                value: value, valueCommands: [], valueText: b.text(valueStart, e))
    }

    // MARK: - Redirections and here-documents

    private func lexRedirection(ownerID: Int?, index: Int) -> ScriptRedirection? {
        let s = pos
        var p = pos
        while p < limit, bytes[p].isASCIIDigit { p += 1 }
        if p < limit, p == s, bytes[p] == Byte.lbrace {
            var q = p + 1
            while q < limit, bytes[q].isIdentifierByte { q += 1 }
            if q > p + 1, q < limit, bytes[q] == Byte.rbrace, q + 1 < limit, bytes[q + 1] == Byte.lt || bytes[q + 1] == Byte.gt { p = q + 1 }
        }
        guard p < limit else { return nil }
        let c = bytes[p]
        var op: [UInt8]
        func at(_ k: Int) -> UInt8? { p + k < limit ? bytes[p + k] : nil }
        if c == Byte.amp, p == s, at(1) == Byte.gt {
            op = at(2) == Byte.gt ? [Byte.amp, Byte.gt, Byte.gt] : [Byte.amp, Byte.gt]
        } else if c == Byte.gt {
            if p == s, at(1) == Byte.lparen { return nil }
            if at(1) == Byte.gt { op = [Byte.gt, Byte.gt] }
            else if at(1) == Byte.amp { op = [Byte.gt, Byte.amp] }
            else if at(1) == Byte.pipe { op = [Byte.gt, Byte.pipe] }
            else { op = [Byte.gt] }
        } else if c == Byte.lt {
            if p == s, at(1) == Byte.lparen { return nil }
            if at(1) == Byte.lt {
                if at(2) == Byte.lt { op = [Byte.lt, Byte.lt, Byte.lt] }
                else if at(2) == Byte.minus { op = [Byte.lt, Byte.lt, Byte.minus] }
                else { op = [Byte.lt, Byte.lt] }
            } else if at(1) == Byte.amp { op = [Byte.lt, Byte.amp] }
            else if at(1) == Byte.gt { op = [Byte.lt, Byte.gt] }
            else { op = [Byte.lt] }
        } else {
            return nil
        }
        pos = p + op.count
        let opEnd = pos
        lastTokenEnd = pos
        let opText = b.text(s, opEnd)
        skipBlanks()
        var target: ScriptWord?
        if let w = lexWord() { target = w.build(in: b) }
        if target == nil {
            b.diagnose("missing target after `\(opText)`", "A redirection needs a file name, descriptor or here-document delimiter after it.", s, opEnd)
        }
        if op.starts(with: [Byte.lt, Byte.lt]), op.count < 3 || op[2] == Byte.minus, let t = target {
            let raw = Array(bytes[t.scanStart..<t.scanEnd])
            let quoted = raw.contains(Byte.squote) || raw.contains(Byte.dquote) || raw.contains(Byte.backslash)
            pendingHeredocs.append(PendingHeredoc(
                ownerID: ownerID ?? -1, redirection: index, delimiter: Array(t.value.utf8), quoted: quoted,
                stripTabs: op.count == 3, opStart: s, opEnd: opEnd))
        }
        return ScriptRedirection(op: opText, range: b.range(s, max(opEnd, lastTokenEnd)), target: target, heredoc: nil)
    }

    private func readHeredocBodies() {
        let pending = pendingHeredocs
        pendingHeredocs.removeAll()
        for h in pending {
            let bodyStart = pos
            var bodyEnd = limit
            var found = false
            var looseMatch = false
            while pos < limit {
                let lineStart = pos
                var lineEnd = pos
                while lineEnd < limit, bytes[lineEnd] != Byte.nl { lineEnd += 1 }
                var ls = lineStart, le = lineEnd
                if le > ls, bytes[le - 1] == Byte.cr { le -= 1 }
                if h.stripTabs { while ls < le, bytes[ls] == Byte.tab { ls += 1 } }
                if bytes[ls..<le].elementsEqual(h.delimiter) {
                    bodyEnd = lineStart
                    pos = min(lineEnd + 1, limit)
                    found = true
                    break
                }
                if !looseMatch {
                    var ts = ls, te = le
                    while ts < te, Self.isBlank(bytes[ts]) { ts += 1 }
                    while te > ts, Self.isBlank(bytes[te - 1]) { te -= 1 }
                    if bytes[ts..<te].elementsEqual(h.delimiter) { looseMatch = true }
                }
                pos = lineEnd < limit ? lineEnd + 1 : limit
            }
            let delimiter = String(decoding: h.delimiter, as: UTF8.self)
            if !found {
                b.diagnose("here-document `\(delimiter)` is not terminated",
                           "No line consists of exactly `\(delimiter)`, so the body runs to the end of the input."
                               + (looseMatch ? " A line holds `\(delimiter)` with surrounding blanks: `<<-` strips only leading tabs, so remove the spaces." : ""),
                           h.opStart, h.opEnd)
            }
            attach(h, bodyStart: bodyStart, bodyEnd: bodyEnd)
        }
    }

    private func attach(_ h: PendingHeredoc, bodyStart: Int, bodyEnd: Int) {
        guard let index = b.ownerIndex[h.ownerID], index < b.commands.count,
              h.redirection < b.commands[index].redirections.count else { return }
        let embed = shouldScanHeredoc(owner: index, bodyStart: bodyStart, bodyEnd: bodyEnd)
        b.commands[index].redirections[h.redirection].heredoc = Heredoc(
            delimiter: String(decoding: h.delimiter, as: UTF8.self), quoted: h.quoted, stripsTabs: h.stripTabs,
            bodyRange: b.range(bodyStart, bodyEnd), scannedAsScript: embed)
        if embed {
            let cmd = b.commands[index]
            _ = Self.scanEmbedded(b, start: bodyStart, end: bodyEnd, guards: cmd.conditions, function: cmd.function,
                                  context: .heredoc, parent: index, depth: level)
        }
    }

    /// A here-document is read as a script when it feeds a shell, or is written to a `.sh` file, or
    /// starts with a shebang.
    private func shouldScanHeredoc(owner: Int, bodyStart: Int, bodyEnd: Int) -> Bool {
        let cmd = b.commands[owner]
        let program = cmd.programName ?? ""
        if CommandResolver.shells.contains(program) || program == "su" || program == "runuser" { return true }
        for next in b.commands[(owner + 1)...] where next.pipelinePredecessor == owner {
            if let p = next.programName, CommandResolver.shells.contains(p) { return true }
        }
        if program == "cat" || program == "tee" {
            var targets = cmd.redirections.filter { [">", ">>", ">|"].contains($0.op) }.compactMap { $0.target?.value }
            if program == "tee" { targets += cmd.effectiveArguments.map(\.value).filter { !$0.hasPrefix("-") } }
            if targets.contains(where: { $0.hasSuffix(".sh") || $0.hasSuffix(".bash") }) { return true }
        }
        var p = bodyStart
        while p < bodyEnd, Self.isBlank(bytes[p]) || bytes[p] == Byte.nl { p += 1 }
        return p + 1 < bodyEnd && bytes[p] == Byte.hash && bytes[p + 1] == Byte.bang
    }

    // MARK: - Words

    /// Reads one word at `pos`; nil when no word starts here.
    private func lexWord() -> WordBuilder? {
        let start = pos
        var w = WordBuilder(start: start)
        while pos < limit {
            let c = bytes[pos]
            if Self.isBlank(c) || c == Byte.nl || c == Byte.semi || c == Byte.amp || c == Byte.pipe || c == Byte.rparen { break }
            if c == Byte.lparen {
                if pos > start, isAssignmentPrefix(start, pos) {
                    lexArray(&w)
                    continue
                }
                if pos > start, [Byte.at, Byte.bang, Byte.plus, Byte.star, Byte.question].contains(bytes[pos - 1]) {
                    let s = pos
                    skipBalancedParens()
                    w.literal(bytes[s..<pos], quoted: false)
                    continue
                }
                break
            }
            if c == Byte.lt || c == Byte.gt {
                if pos == start, peek(1) == Byte.lparen {
                    lexSubstitution(&w, kind: .process, openLength: 2, quoted: false)
                    continue
                }
                break
            }
            switch c {
            case Byte.backslash:
                if peek(1) == Byte.nl { pos += 2 }
                else if peek(1) == Byte.cr, peek(2) == Byte.nl { pos += 3 }
                else if let n = peek(1) { w.literal(n, quoted: true); pos += 2 }
                else { w.literal(c, quoted: false); pos += 1 }
            case Byte.squote:
                lexSingleQuoted(&w)
            case Byte.dquote:
                lexDoubleQuoted(&w)
            case Byte.dollar:
                lexDollar(&w, quoted: false)
            case Byte.backtick:
                lexBacktick(&w, quoted: false)
            default:
                w.literal(c, quoted: false)
                pos += 1
            }
        }
        guard pos > start else { return nil }
        w.end = pos
        lastTokenEnd = pos
        return w
    }

    private func isAssignmentPrefix(_ s: Int, _ e: Int) -> Bool {
        guard e - s >= 2, bytes[e - 1] == Byte.eq, bytes[s].isIdentifierStart else { return false }
        var p = s
        while p < e - 1, bytes[p].isIdentifierByte { p += 1 }
        if p < e - 1, bytes[p] == Byte.plus { p += 1 }
        return p == e - 1
    }

    private func skipBalancedParens() {
        var depth = 0
        while pos < limit {
            let c = bytes[pos]
            if c == Byte.lparen { depth += 1 }
            if c == Byte.rparen {
                depth -= 1
                if depth <= 0 { pos += 1; return }
            }
            if c == Byte.nl { return }
            pos += 1
        }
    }

    private func lexArray(_ w: inout WordBuilder) {
        let s = pos
        pos += 1
        w.literal(Byte.lparen, quoted: false)
        while true {
            skipBlanksAndNewlines()
            guard pos < limit else {
                b.diagnose("array value without closing `)`", "Close the array with `)`.", s, s + 1)
                return
            }
            if bytes[pos] == Byte.rparen {
                pos += 1
                w.literal(Byte.rparen, quoted: false)
                return
            }
            if let inner = lexWord() {
                w.absorb(inner)
                w.literal(Byte.space, quoted: false)
            } else {
                pos += 1
            }
        }
    }

    private func lexSingleQuoted(_ w: inout WordBuilder) {
        let q = pos
        pos += 1
        let s = pos
        while pos < limit, bytes[pos] != Byte.squote { pos += 1 }
        w.literal(bytes[s..<pos], quoted: true)
        if pos < limit {
            pos += 1
        } else {
            b.diagnose("unterminated single-quoted string", "The `'` opened here has no closing `'` before the end of the input; add the closing quote.", q, q + 1)
        }
    }

    private func lexDoubleQuoted(_ w: inout WordBuilder) {
        let q = pos
        pos += 1
        while pos < limit {
            let c = bytes[pos]
            if c == Byte.dquote {
                pos += 1
                return
            }
            if c == Byte.backslash, let n = peek(1) {
                if n == Byte.nl { pos += 2; continue }
                if n == Byte.dollar || n == Byte.backtick || n == Byte.dquote || n == Byte.backslash {
                    w.literal(n, quoted: true)
                    pos += 2
                    continue
                }
                w.literal(c, quoted: true)
                pos += 1
                continue
            }
            if c == Byte.dollar { lexDollar(&w, quoted: true); continue }
            if c == Byte.backtick { lexBacktick(&w, quoted: true); continue }
            w.literal(c, quoted: true)
            pos += 1
        }
        b.diagnose("unterminated double-quoted string", "The `\"` opened here has no closing `\"` before the end of the input; add the closing quote.", q, q + 1)
    }

    private func lexDollar(_ w: inout WordBuilder, quoted: Bool) {
        let s = pos
        guard let n = peek(1) else {
            w.literal(Byte.dollar, quoted: quoted)
            pos += 1
            return
        }
        switch n {
        case Byte.lparen:
            if peek(2) == Byte.lparen, arithmeticAhead(from: pos + 3) {
                pos += 1
                skipArithmetic()
                w.add(.opaque(b.text(s, pos)), raw: bytes[s..<pos])
            } else {
                lexSubstitution(&w, kind: .command, openLength: 2, quoted: quoted)
            }
        case Byte.lbrace:
            lexParameterExpansion(&w, quoted: quoted)
        case Byte.squote where !quoted:
            pos += 2
            var value: [UInt8] = []
            while pos < limit, bytes[pos] != Byte.squote {
                if bytes[pos] == Byte.backslash, let e = peek(1) {
                    switch e {
                    case UInt8(ascii: "n"): value.append(Byte.nl)
                    case UInt8(ascii: "t"): value.append(Byte.tab)
                    default: value.append(e)
                    }
                    pos += 2
                    continue
                }
                value.append(bytes[pos])
                pos += 1
            }
            w.literal(value, quoted: true)
            if pos < limit { pos += 1 } else {
                b.diagnose("unterminated `$'` string", "The `$'` opened here has no closing `'`; add the closing quote.", s, s + 2)
            }
        case Byte.dquote where !quoted:
            pos += 1
            lexDoubleQuoted(&w)
        default:
            if n.isIdentifierStart {
                var p = pos + 1
                while p < limit, bytes[p].isIdentifierByte { p += 1 }
                addVariable(&w, name: b.text(pos + 1, p), start: s, end: p, quoted: quoted)
                pos = p
            } else if n.isASCIIDigit || [Byte.at, Byte.star, Byte.hash, Byte.question, Byte.dollar, Byte.bang, Byte.minus].contains(n) {
                addVariable(&w, name: b.text(pos + 1, pos + 2), start: s, end: pos + 2, quoted: quoted)
                pos += 2
            } else {
                w.literal(Byte.dollar, quoted: quoted)
                pos += 1
            }
        }
    }

    private func addVariable(_ w: inout WordBuilder, name: String, start: Int, end: Int, quoted: Bool) {
        let ref = VariableReference(name: name, range: b.range(start, end), quoted: quoted, scanStart: start, scanEnd: end)
        w.add(.variable(ref), raw: bytes[start..<end])
    }

    /// `${…}`: the first name is the reference; nested expansions in operators become parts too.
    private func lexParameterExpansion(_ w: inout WordBuilder, quoted: Bool) {
        let s = pos
        pos += 2
        nesting += 1
        defer { nesting -= 1 }
        guard level < ScriptBuilder.maxDepth else {
            b.diagnose("nesting too deep", "The script nests more than \(ScriptBuilder.maxDepth) levels; the scanner skipped this expansion.", s, s + 2, .warning)
            while pos < limit, bytes[pos] != Byte.rbrace, bytes[pos] != Byte.nl { pos += 1 }
            if pos < limit, bytes[pos] == Byte.rbrace { pos += 1 }
            w.add(.opaque(b.text(s, pos)), raw: bytes[s..<pos])
            return
        }
        var p = pos
        if p < limit, bytes[p] == Byte.bang || bytes[p] == Byte.hash, p + 1 < limit, bytes[p + 1] != Byte.rbrace { p += 1 }
        let nameStart = p
        if p < limit, bytes[p].isIdentifierStart {
            while p < limit, bytes[p].isIdentifierByte { p += 1 }
        } else if p < limit, bytes[p].isASCIIDigit {
            while p < limit, bytes[p].isASCIIDigit { p += 1 }
        } else if p < limit, [Byte.at, Byte.star, Byte.hash, Byte.question, Byte.dollar, Byte.bang, Byte.minus].contains(bytes[p]) {
            p += 1
        }
        let name = b.text(nameStart, p)
        pos = p
        var inner = WordBuilder(start: pos)
        var depth = 0
        var closed = false
        while pos < limit {
            let c = bytes[pos]
            if c == Byte.rbrace {
                if depth == 0 { pos += 1; closed = true; break }
                depth -= 1
                pos += 1
                continue
            }
            if c == Byte.lbrace { depth += 1; pos += 1; continue }
            switch c {
            case Byte.backslash: pos = min(limit, pos + 2)
            case Byte.squote where !quoted: lexSingleQuoted(&inner)
            case Byte.dquote: lexDoubleQuoted(&inner)
            case Byte.dollar: lexDollar(&inner, quoted: quoted)
            case Byte.backtick: lexBacktick(&inner, quoted: quoted)
            default: pos += 1
            }
        }
        if !closed {
            b.diagnose("unterminated `${`", "The parameter expansion opened here has no closing `}`.", s, s + 2)
        }
        if !name.isEmpty {
            let ref = VariableReference(name: name, range: b.range(s, pos), quoted: quoted, scanStart: s, scanEnd: pos)
            w.add(.variable(ref), raw: bytes[s..<pos])
        } else {
            w.add(.opaque(b.text(s, pos)), raw: [])
        }
        inner.flush()
        for part in inner.parts {
            switch part {
            case .variable, .substitution: w.add(part, raw: [])
            default: continue
            }
        }
    }

    private func lexSubstitution(_ w: inout WordBuilder, kind: CommandSubstitution.Kind, openLength: Int, quoted: Bool) {
        let s = pos
        pos += openLength
        guard level < ScriptBuilder.maxDepth else {
            b.diagnose("nesting too deep", "The script nests more than \(ScriptBuilder.maxDepth) levels; the scanner skipped this substitution.", s, s + openLength, .warning)
            var depth = 1
            while pos < limit, depth > 0 {
                if bytes[pos] == Byte.lparen { depth += 1 } else if bytes[pos] == Byte.rparen { depth -= 1 }
                pos += 1
            }
            w.add(.opaque(b.text(s, pos)), raw: bytes[s..<pos])
            return
        }
        let savedContext = context
        context = .substitution
        collectors.append([])
        nesting += 1
        parenDepth += 1
        let savedParen = parenDepth
        parseList(stops: [])
        parenDepth = savedParen - 1
        nesting -= 1
        let top = collectors.removeLast()
        context = savedContext
        skipBlanksAndNewlines()
        if pos < limit, bytes[pos] == Byte.rparen {
            pos += 1
        } else {
            b.diagnose("unterminated `\(b.text(s, s + openLength))`", "The substitution opened here has no closing `)`.", s, s + openLength)
        }
        let sub = CommandSubstitution(kind: kind, range: b.range(s, pos), commands: top, scanStart: s, scanEnd: pos)
        w.add(.substitution(sub), raw: bytes[s..<pos])
    }

    private func lexBacktick(_ w: inout WordBuilder, quoted: Bool) {
        let s = pos
        pos += 1
        while pos < limit, bytes[pos] != Byte.backtick {
            if bytes[pos] == Byte.backslash, pos + 1 < limit { pos += 1 }
            pos += 1
        }
        let contentEnd = min(pos, limit)
        if pos < limit {
            pos += 1
        } else {
            b.diagnose("unterminated backquote", "The `` ` `` opened here has no closing `` ` ``; prefer `$( … )`.", s, s + 1)
        }
        var top: [Int] = []
        if level < ScriptBuilder.maxDepth, b.embeddedScans < ScriptBuilder.maxEmbeddedScans, contentEnd > s + 1 {
            b.embeddedScans += 1
            let inner = BashParser(b, start: s + 1, end: contentEnd, guards: guards, function: function, context: .substitution, parent: nil, depth: level + 1)
            top = inner.run()
        }
        let sub = CommandSubstitution(kind: .backtick, range: b.range(s, pos), commands: top, scanStart: s, scanEnd: pos)
        w.add(.substitution(sub), raw: bytes[s..<pos])
    }

    // MARK: - Conditions

    private func expression(of ao: AndOrResult) -> ConditionExpression {
        guard let first = ao.pipelines.first else { return .unknown }
        var e = pipelineExpression(first)
        for (k, op) in ao.ops.enumerated() where k + 1 < ao.pipelines.count {
            let r = pipelineExpression(ao.pipelines[k + 1])
            e = op == "&&" ? .and(e, r) : .or(e, r)
        }
        return e
    }

    private func pipelineExpression(_ p: PipelineResult) -> ConditionExpression {
        guard let m = p.main, m < b.commands.count else { return .unknown }
        let base = b.commands[m].test ?? .command(m)
        return p.negated ? .not(base) : base
    }
}

/// Parses the arguments of `[[ … ]]`, `[ … ]` and `test …` into a `ConditionExpression`.
struct TestExpressionParser {
    let words: [ScriptWord]
    let doubleBracket: Bool
    private var i = 0

    static let binary: Set<String> = ["=", "==", "!=", "=~", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"]
    static let unary: Set<String> = ["-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h", "-k", "-p", "-r", "-s", "-t", "-u", "-w",
                                     "-x", "-G", "-L", "-N", "-O", "-S", "-z", "-n", "-o", "-v", "-R"]

    init(words: [ScriptWord], doubleBracket: Bool) {
        self.words = words
        self.doubleBracket = doubleBracket
    }

    static func parse(_ words: [ScriptWord], doubleBracket: Bool) -> ConditionExpression {
        var p = TestExpressionParser(words: words, doubleBracket: doubleBracket)
        return p.parse()
    }

    mutating func parse() -> ConditionExpression {
        guard !words.isEmpty else { return .unknown }
        let e = parseOr(0)
        return i == words.count ? e : .unknown
    }

    private func peek(_ k: Int = 0) -> String? { i + k < words.count ? words[i + k].value : nil }

    private mutating func parseOr(_ depth: Int) -> ConditionExpression {
        var l = parseAnd(depth)
        while let p = peek(), p == "||" || (!doubleBracket && p == "-o") {
            i += 1
            l = .or(l, parseAnd(depth))
        }
        return l
    }

    private mutating func parseAnd(_ depth: Int) -> ConditionExpression {
        var l = parseNot(depth)
        while let p = peek(), p == "&&" || (!doubleBracket && p == "-a" && i + 1 < words.count) {
            i += 1
            l = .and(l, parseNot(depth))
        }
        return l
    }

    private mutating func parseNot(_ depth: Int) -> ConditionExpression {
        guard depth < 64, let p = peek() else { return .unknown }
        if p == "!", i + 1 < words.count {
            i += 1
            return .not(parseNot(depth + 1))
        }
        if p == "(" {
            i += 1
            let e = parseOr(depth + 1)
            if peek() == ")" { i += 1 } else { return .unknown }
            return e
        }
        let remaining = words.count - i
        if remaining >= 3, let op = peek(1), Self.binary.contains(op) {
            let e = ConditionExpression.compare(words[i], op: op, words[i + 2])
            i += 3
            return e
        }
        if remaining >= 2, Self.unary.contains(p), !(peek(1) == "&&" || peek(1) == "||" || peek(1) == ")") {
            let e = ConditionExpression.unary(op: p, words[i + 1])
            i += 2
            return e
        }
        i += 1
        return .truthy(words[i - 1])
    }
}
