import AuditCore

/// A recovering scanner for PowerShell: statements, pipelines, `if`/`elseif`/`else`, loops, `switch`,
/// `try`/`catch`, functions with parameters, script blocks, groups and sub-expressions, expandable
/// strings and here-strings. Like the bash scanner it never throws, always advances and bounds its
/// recursion.
final class PowerShellParser {
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
    private var lastTokenEnd: Int
    private var collectors: [[Int]] = [[]]
    /// Parameter names of the last `param( … )` block read.
    private var lastParamBlock: [String]?
    /// Directly inside `@{ … }`: `key = value` entries are expressions and `=` separates words.
    private var inHashtable = false

    private struct PipelineResult {
        var main: Int?
    }

    private struct ChainResult {
        var pipelines: [PipelineResult]
        var ops: [String]
    }

    static let keywords: Set<String> = [
        "if", "elseif", "else", "while", "do", "until", "for", "foreach", "switch", "function", "filter", "workflow",
        "try", "catch", "finally", "trap", "param", "return", "throw", "exit", "break", "continue", "begin", "process",
        "end", "dynamicparam", "class", "enum", "data", "configuration",
    ]

    static let comparisonOperators: Set<String> = [
        "-eq", "-ne", "-gt", "-ge", "-lt", "-le", "-like", "-notlike", "-match", "-notmatch", "-contains",
        "-notcontains", "-in", "-notin", "-is", "-isnot", "-replace",
    ]
    static let logicalOperators: Set<String> = ["-and", "-or", "-xor"]
    /// Operators after which a line break continues the expression.
    static let continuationOperators: Set<String> = comparisonOperators.union(logicalOperators).union([
        "-not", "-f", "-split", "-join", "-band", "-bor", "-bxor", "-shl", "-shr", "-as", "+", "-", "*", "/", "%", ",",
        "=", "+=", "-=", "..",
    ])

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

    static func scan(_ b: ScriptBuilder) {
        let p = PowerShellParser(b, start: 0, end: b.bytes.count, guards: [], function: nil, context: .statement, parent: nil, depth: 0)
        _ = p.run()
    }

    static func scanEmbedded(_ b: ScriptBuilder, start: Int, end: Int, guards: [ScriptCondition], function: String?,
                             context: ScriptCommand.Context, parent: Int, depth: Int) -> [Int] {
        guard depth < ScriptBuilder.maxDepth, b.embeddedScans < ScriptBuilder.maxEmbeddedScans, end > start else { return [] }
        b.embeddedScans += 1
        let p = PowerShellParser(b, start: start, end: end, guards: guards, function: function, context: context, parent: parent, depth: depth + 1)
        return p.run()
    }

    private func run() -> [Int] {
        parseStatementList(until: nil)
        return collectors[0]
    }

    private var level: Int { depth + nesting }

    // MARK: - Low level

    @inline(__always) private func peek(_ k: Int = 0) -> UInt8? {
        let p = pos + k
        return p < limit ? bytes[p] : nil
    }

    @inline(__always) private static func isSpace(_ c: UInt8) -> Bool { c == Byte.space || c == Byte.tab || c == Byte.cr || c == 0x0C }

    private static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 32 : c }

    /// Skips blanks, line continuations (backtick + newline) and comments, not newlines.
    private func skipSpace() {
        while pos < limit {
            let c = bytes[pos]
            if Self.isSpace(c) { pos += 1; continue }
            if c == Byte.backtick {
                if peek(1) == Byte.nl { pos += 2; continue }
                if peek(1) == Byte.cr, peek(2) == Byte.nl { pos += 3; continue }
            }
            if c == Byte.hash {
                while pos < limit, bytes[pos] != Byte.nl { pos += 1 }
                continue
            }
            if c == Byte.lt, peek(1) == Byte.hash {
                skipBlockComment()
                continue
            }
            if c == Byte.lt, atLineStart(), let end = userDataTagEnd() {
                pos = end
                continue
            }
            break
        }
    }

    private func skipSpaceAndNewlines() {
        while true {
            skipSpace()
            guard pos < limit, bytes[pos] == Byte.nl || bytes[pos] == Byte.semi else { return }
            pos += 1
        }
    }

    private func skipBlockComment() {
        let s = pos
        pos += 2
        while pos < limit {
            if bytes[pos] == Byte.hash, peek(1) == Byte.gt {
                pos += 2
                return
            }
            pos += 1
        }
        b.diagnose("unterminated block comment", "The `<#` opened here has no closing `#>`; everything after it is a comment.", s, s + 2)
    }

    private func atLineStart() -> Bool {
        var p = pos - 1
        while p >= 0, Self.isSpace(bytes[p]) { p -= 1 }
        return p < 0 || bytes[p] == Byte.nl
    }

    /// EC2 user-data wraps PowerShell in `<powershell>…</powershell>` (and `<persist>true</persist>`);
    /// those lines are not PowerShell.
    private func userDataTagEnd() -> Int? {
        var e = pos
        while e < limit, bytes[e] != Byte.nl { e += 1 }
        var t = e
        while t > pos, Self.isSpace(bytes[t - 1]) { t -= 1 }
        let line = b.text(pos, t).lowercased()
        let tags = ["<powershell>", "</powershell>", "<script>", "</script>", "<persist>true</persist>", "<persist>false</persist>"]
        return tags.contains(line) ? t : nil
    }

    /// The keyword at `pos` (lower-cased) if a bare identifier that is a keyword starts here.
    private func peekKeyword() -> String? {
        var p = pos
        while p < limit, bytes[p].isIdentifierByte || bytes[p] == Byte.minus { p += 1 }
        guard p > pos else { return nil }
        if p < limit {
            let c = bytes[p]
            guard Self.isSpace(c) || c == Byte.nl || c == Byte.lparen || c == Byte.lbrace || c == Byte.semi
                || c == Byte.rbrace || c == Byte.rparen || c == Byte.dollar || c == Byte.dquote || c == Byte.squote
            else { return nil }
        }
        let w = b.text(pos, p).lowercased()
        return Self.keywords.contains(w) ? w : nil
    }

    private func consumeKeyword(_ w: String) {
        pos += w.utf8.count
        lastTokenEnd = pos
    }

    private func appendCommand(_ cmd: ScriptCommand, nested: [Int]) -> Int {
        let index = b.append(cmd, nested: nested)
        collectors[collectors.count - 1].append(index)
        return index
    }

    // MARK: - Statements

    private func parseStatementList(until closer: UInt8?) {
        while true {
            skipSpaceAndNewlines()
            guard pos < limit else { return }
            let before = pos
            let c = bytes[pos]
            if c == Byte.rparen || c == Byte.rbrace {
                if closer != nil { return }
                b.diagnose("unexpected `\(b.text(pos, pos + 1))`", "Nothing is open here for `\(b.text(pos, pos + 1))` to close; remove it or add the opening bracket.", pos, pos + 1)
                pos += 1
                continue
            }
            parseStatement()
            if pos == before {
                b.diagnose("unexpected `\(b.text(pos, pos + 1))`", "The scanner could not read a statement here and skipped this character.", pos, pos + 1)
                pos += 1
            }
        }
    }

    private func parseStatement() {
        guard level < ScriptBuilder.maxDepth else {
            b.diagnose("nesting too deep", "The script nests more than \(ScriptBuilder.maxDepth) levels; the scanner skipped the rest of this line.", pos, pos + 1, .warning)
            while pos < limit, bytes[pos] != Byte.nl { pos += 1 }
            return
        }
        if let k = peekKeyword() {
            nesting += 1
            defer { nesting -= 1 }
            let s = pos
            switch k {
            case "if": parseIf(); return
            case "while": parseWhile(); return
            case "do": parseDo(); return
            case "for", "foreach":
                var p = pos + k.utf8.count
                while p < limit, Self.isSpace(bytes[p]) { p += 1 }
                if p < limit, bytes[p] == Byte.lparen {
                    parseLoop(k)
                    return
                }
            case "switch": parseSwitch(); return
            case "function", "filter", "workflow", "configuration": parseFunction(k); return
            case "try", "finally", "begin", "process", "end", "dynamicparam":
                consumeKeyword(k)
                parseBlock(opener: k, openerStart: s)
                if k == "try" { parseCatchClauses() }
                return
            case "trap":
                consumeKeyword(k)
                skipSpace()
                if peek() == Byte.lbracket { skipBracket() }
                guards.append(ScriptCondition(kind: .catch, text: "trap", range: b.range(s, s + 4), holds: true, expression: .unknown))
                parseBlock(opener: k, openerStart: s)
                guards.removeLast()
                return
            case "catch", "elseif", "else", "until":
                b.diagnose("unexpected `\(k)`", "`\(k)` must follow the block of \(k == "catch" ? "`try`" : k == "until" ? "`do`" : "`if`").", s, s + k.utf8.count)
                consumeKeyword(k)
                return
            case "param":
                consumeKeyword(k)
                skipSpace()
                if peek() == Byte.lparen, let w = lexWord() {
                    lastParamBlock = Self.parameterNames(in: w, b)
                }
                return
            case "class", "enum", "data":
                consumeKeyword(k)
                skipSpace()
                _ = lexWord()
                parseBlock(opener: k, openerStart: s)
                return
            case "return", "throw", "exit", "break", "continue":
                consumeKeyword(k)
                skipSpace()
                if let c = peek(), c != Byte.nl, c != Byte.semi, c != Byte.rbrace, c != Byte.rparen { _ = parseChain() }
                return
            default:
                break
            }
        }
        _ = parseChain()
    }

    private func parseBlock(opener: String, openerStart: Int) {
        skipSpaceAndNewlinesOnly()
        guard peek() == Byte.lbrace else {
            b.diagnose("missing `{` after `\(opener)`", "`\(opener)` needs a `{ … }` block.", openerStart, openerStart + opener.utf8.count)
            return
        }
        let s = pos
        pos += 1
        nesting += 1
        let savedHashtable = inHashtable
        inHashtable = false
        parseStatementList(until: Byte.rbrace)
        inHashtable = savedHashtable
        nesting -= 1
        skipSpaceAndNewlines()
        if peek() == Byte.rbrace {
            pos += 1
            lastTokenEnd = pos
        } else {
            b.diagnose("`{` without matching `}`", "Reached \(describeHere()) before the `}` that closes this block of `\(opener)`.", s, s + 1)
        }
    }

    private func describeHere() -> String {
        pos >= limit ? "the end of the input" : "`\(b.text(pos, pos + 1))`"
    }

    /// Newlines only (a `;` between `}` and `else` ends the `if`).
    private func skipSpaceAndNewlinesOnly() {
        while true {
            skipSpace()
            guard pos < limit, bytes[pos] == Byte.nl else { return }
            pos += 1
        }
    }

    /// `( condition )` after `if`, `elseif`, `while`, `until`.
    private func parseParenCondition(kind: ScriptCondition.Kind, opener: String, openerStart: Int) -> ScriptCondition {
        skipSpaceAndNewlinesOnly()
        guard peek() == Byte.lparen else {
            b.diagnose("missing `(` after `\(opener)`", "Write `\(opener) (condition) { … }`.", openerStart, openerStart + opener.utf8.count)
            return ScriptCondition(kind: kind, text: "", range: b.range(openerStart, openerStart), holds: true, expression: .unknown)
        }
        let open = pos
        pos += 1
        let saved = context
        context = .condition
        collectors.append([])
        nesting += 1
        parseStatementList(until: Byte.rparen)
        nesting -= 1
        let top = collectors.removeLast()
        context = saved
        skipSpaceAndNewlines()
        let close = pos
        if peek() == Byte.rparen {
            pos += 1
            lastTokenEnd = pos
        } else {
            b.diagnose("`(` without matching `)`", "Reached \(describeHere()) before the `)` that closes the condition of `\(opener)`.", open, open + 1)
        }
        var s = open + 1, e = close
        while s < e, Self.isSpace(bytes[s]) || bytes[s] == Byte.nl { s += 1 }
        while e > s, Self.isSpace(bytes[e - 1]) || bytes[e - 1] == Byte.nl { e -= 1 }
        return ScriptCondition(kind: kind, text: b.text(s, e), range: b.range(s, e), holds: true,
                               expression: top.count == 1 ? expression(ofCommand: top[0], depth: 0) : .unknown)
    }

    private func parseIf() {
        let s = pos
        consumeKeyword("if")
        let c1 = parseParenCondition(kind: .if, opener: "if", openerStart: s)
        guards.append(c1)
        parseBlock(opener: "if", openerStart: s)
        guards.removeLast()
        var negs = [c1.negated]
        while true {
            let save = pos
            skipSpaceAndNewlinesOnly()
            let k = peekKeyword()
            if k == "elseif" {
                let es = pos
                consumeKeyword("elseif")
                guards.append(contentsOf: negs)
                let ci = parseParenCondition(kind: .if, opener: "elseif", openerStart: es)
                guards.append(ci)
                parseBlock(opener: "elseif", openerStart: es)
                guards.removeLast(negs.count + 1)
                negs.append(ci.negated)
            } else if k == "else" {
                let es = pos
                consumeKeyword("else")
                guards.append(contentsOf: negs)
                parseBlock(opener: "else", openerStart: es)
                guards.removeLast(negs.count)
                return
            } else {
                pos = save
                return
            }
        }
    }

    private func parseWhile() {
        let s = pos
        consumeKeyword("while")
        let c = parseParenCondition(kind: .while, opener: "while", openerStart: s)
        guards.append(c)
        parseBlock(opener: "while", openerStart: s)
        guards.removeLast()
    }

    /// `do { … } while|until ( … )`: the body runs at least once, so it is not guarded.
    private func parseDo() {
        let s = pos
        consumeKeyword("do")
        parseBlock(opener: "do", openerStart: s)
        skipSpaceAndNewlinesOnly()
        if let k = peekKeyword(), k == "while" || k == "until" {
            let ks = pos
            consumeKeyword(k)
            _ = parseParenCondition(kind: k == "while" ? .while : .until, opener: k, openerStart: ks)
        } else {
            b.diagnose("missing `while` or `until` after `do` block", "Write `do { … } while (condition)`.", s, s + 2)
        }
    }

    private func parseLoop(_ keyword: String) {
        let s = pos
        consumeKeyword(keyword)
        skipSpace()
        let headerStart = pos
        _ = lexWord()
        let headerEnd = max(headerStart, lastTokenEnd)
        guards.append(ScriptCondition(kind: .loop, text: "\(keyword) \(b.text(headerStart, headerEnd))", range: b.range(s, headerEnd),
                                      holds: true, expression: .unknown))
        parseBlock(opener: keyword, openerStart: s)
        guards.removeLast()
    }

    private func parseSwitch() {
        let s = pos
        consumeKeyword("switch")
        var subject: ScriptWord?
        while true {
            skipSpace()
            guard let c = peek() else { break }
            if c == Byte.minus {
                _ = lexWord()
                continue
            }
            if c == Byte.lparen {
                subject = lexWord()?.build(in: b)
            }
            break
        }
        skipSpaceAndNewlinesOnly()
        guard peek() == Byte.lbrace else {
            b.diagnose("missing `{` after `switch`", "Write `switch (value) { pattern { … } }`.", s, s + 6)
            return
        }
        let open = pos
        pos += 1
        var clauses: [ScriptCondition] = []
        while true {
            skipSpaceAndNewlines()
            guard pos < limit else {
                b.diagnose("`{` without matching `}`", "Reached the end of the input before the `}` that closes this `switch`.", open, open + 1)
                return
            }
            if bytes[pos] == Byte.rbrace {
                pos += 1
                lastTokenEnd = pos
                return
            }
            let before = pos
            let patternStart = pos
            let pattern = lexWord()?.build(in: b)
            let patternEnd = max(patternStart, lastTokenEnd)
            let isDefault = pattern?.value.lowercased() == "default" && pattern?.isQuoted == false
            if isDefault {
                // `default` runs only when no other clause matched.
                guards.append(contentsOf: clauses.map(\.negated))
                parseBlock(opener: "switch", openerStart: s)
                guards.removeLast(clauses.count)
            } else {
                let expression: ConditionExpression = subject.flatMap { sub in pattern.map { .matches(sub, patterns: [$0]) } } ?? .unknown
                let clause = ScriptCondition(kind: .case, text: b.text(patternStart, patternEnd), range: b.range(patternStart, patternEnd),
                                             holds: true, expression: expression)
                guards.append(clause)
                parseBlock(opener: "switch", openerStart: s)
                guards.removeLast()
                clauses.append(clause)
            }
            if pos == before { pos += 1 }
        }
    }

    private func parseCatchClauses() {
        while true {
            let save = pos
            skipSpaceAndNewlinesOnly()
            guard let k = peekKeyword(), k == "catch" || k == "finally" else {
                pos = save
                return
            }
            let s = pos
            consumeKeyword(k)
            if k == "catch" {
                while true {
                    skipSpace()
                    if peek() == Byte.lbracket { skipBracket(); continue }
                    if peek() == Byte.comma { pos += 1; continue }
                    break
                }
                guards.append(ScriptCondition(kind: .catch, text: "catch", range: b.range(s, s + 5), holds: true, expression: .unknown))
                parseBlock(opener: k, openerStart: s)
                guards.removeLast()
            } else {
                parseBlock(opener: k, openerStart: s)
                return
            }
        }
    }

    private func parseFunction(_ keyword: String) {
        let s = pos
        consumeKeyword(keyword)
        skipSpace()
        let nameStart = pos
        while pos < limit, !Self.isSpace(bytes[pos]), bytes[pos] != Byte.nl, bytes[pos] != Byte.lbrace, bytes[pos] != Byte.lparen { pos += 1 }
        let nameEnd = pos
        guard nameEnd > nameStart else {
            b.diagnose("missing function name", "Write `\(keyword) Name { … }`.", s, s + keyword.utf8.count)
            return
        }
        let name = b.text(nameStart, nameEnd)
        skipSpace()
        var parameters: [String] = []
        if peek() == Byte.lparen, let w = lexWord() {
            parameters = Self.parameterNames(in: w, b)
        }
        skipSpaceAndNewlinesOnly()
        let bodyStart = pos
        let savedFunction = function
        let savedParams = lastParamBlock
        function = name
        lastParamBlock = nil
        parseBlock(opener: keyword, openerStart: s)
        if parameters.isEmpty, let p = lastParamBlock { parameters = p }
        function = savedFunction
        lastParamBlock = savedParams
        let bodyEnd = max(bodyStart, lastTokenEnd)
        b.functions.append(ScriptFunction(name: name, nameRange: b.range(nameStart, nameEnd), range: b.range(s, bodyEnd),
                                          bodyRange: b.range(bodyStart, bodyEnd), parameters: parameters))
    }

    /// Parameter names of a `( … )` parameter list: the first variable of each comma-separated entry.
    private static func parameterNames(in word: WordBuilder, _ b: ScriptBuilder) -> [String] {
        let w = word.build(in: b)
        guard let group = w.substitutions.first else { return [] }
        var names: [String] = []
        for index in group.commands where index < b.commands.count {
            var expectName = true
            for word in b.commands[index].words {
                if word.value == "," { expectName = true; continue }
                if word.value == "=" { expectName = false; continue }
                if expectName, let v = word.references.first {
                    names.append(v.name)
                    expectName = false
                }
            }
        }
        return names
    }

    private func skipBracket() {
        var depth = 0
        while pos < limit {
            let c = bytes[pos]
            if c == Byte.lbracket { depth += 1 }
            if c == Byte.rbracket {
                depth -= 1
                if depth <= 0 { pos += 1; lastTokenEnd = pos; return }
            }
            if c == Byte.nl { return }
            pos += 1
        }
    }

    // MARK: - Pipelines

    private func parseChain() -> ChainResult {
        let start = pos
        var result = ChainResult(pipelines: [], ops: [])
        var localGuard: ScriptCondition?
        var end = start
        while true {
            if let g = localGuard { guards.append(g) }
            let p = parsePipeline()
            if localGuard != nil { guards.removeLast() }
            result.pipelines.append(p)
            end = max(end, lastTokenEnd)
            skipSpace()
            guard let c = peek(), c == Byte.amp || c == Byte.pipe, peek(1) == c else { break }
            let op = c == Byte.amp ? "&&" : "||"
            pos += 2
            lastTokenEnd = pos
            result.ops.append(op)
            localGuard = ScriptCondition(kind: op == "&&" ? .andList : .orList, text: b.text(start, end), range: b.range(start, end),
                                         holds: op == "&&", expression: chainExpression(result))
            skipSpaceAndNewlinesOnly()
        }
        return result
    }

    private func chainExpression(_ r: ChainResult) -> ConditionExpression {
        guard let first = r.pipelines.first?.main else { return .unknown }
        var e = ConditionExpression.command(first)
        for (k, op) in r.ops.enumerated() where k + 1 < r.pipelines.count {
            let rhs: ConditionExpression = r.pipelines[k + 1].main.map { .command($0) } ?? .unknown
            e = op == "&&" ? .and(e, rhs) : .or(e, rhs)
        }
        return e
    }

    private func parsePipeline() -> PipelineResult {
        var predecessor: Int?
        var main: Int?
        while true {
            let idx = parseElement(predecessor: predecessor)
            main = idx
            predecessor = idx
            skipSpace()
            if peek() == Byte.pipe, peek(1) != Byte.pipe {
                pos += 1
                lastTokenEnd = pos
                skipSpaceAndNewlinesOnly()
                continue
            }
            break
        }
        return PipelineResult(main: main)
    }

    private func isAssignmentOperator() -> Int? {
        guard let c = peek() else { return nil }
        if c == Byte.eq { return peek(1) == Byte.eq ? nil : 1 }
        if [Byte.plus, Byte.minus, Byte.star, Byte.slash, Byte.percent].contains(c), peek(1) == Byte.eq { return 2 }
        if c == Byte.question, peek(1) == Byte.question, peek(2) == Byte.eq { return 3 }
        return nil
    }

    private func parseElement(predecessor: Int?) -> Int? {
        skipSpace()
        let start = pos
        var words: [ScriptWord] = []
        var redirections: [ScriptRedirection] = []
        var end = start
        // `$x = …`, `[string]$x = …`, `$x.y = …`
        if let c = peek(), c == Byte.dollar || c == Byte.lbracket, let lvalue = lexWord() {
            let word = lvalue.build(in: b)
            let save = pos
            skipSpace()
            if let opLength = isAssignmentOperator(), let ref = word.references.first {
                pos += opLength
                lastTokenEnd = pos
                return parseAssignment(target: word, ref: ref, start: start, predecessor: predecessor)
            }
            pos = save
            words.append(word)
            end = lastTokenEnd
        }
        while true {
            skipSpace()
            guard pos < limit else { break }
            let c = bytes[pos]
            if c == Byte.nl {
                if let last = words.last, !isCommand(words), Self.continuationOperators.contains(last.value.lowercased()) {
                    pos += 1
                    continue
                }
                break
            }
            if c == Byte.semi || c == Byte.rparen || c == Byte.rbrace { break }
            if c == Byte.pipe { break }
            if c == Byte.amp {
                if peek(1) == Byte.amp { break }
                if words.isEmpty {
                    var w = WordBuilder(start: pos)
                    w.literal(Byte.amp, quoted: false)
                    pos += 1
                    w.end = pos
                    lastTokenEnd = pos
                    words.append(w.build(in: b))
                    end = pos
                    continue
                }
                pos += 1 // background job
                break
            }
            if let r = lexRedirection() {
                redirections.append(r)
                end = lastTokenEnd
                continue
            }
            if c == Byte.comma || c == Byte.eq || (c == Byte.bang && peek(1) != Byte.eq) {
                var w = WordBuilder(start: pos)
                w.literal(c, quoted: false)
                pos += 1
                w.end = pos
                lastTokenEnd = pos
                words.append(w.build(in: b))
                end = pos
                continue
            }
            guard let wb = lexWord() else {
                b.diagnose("unexpected `\(b.text(pos, pos + 1))`", "The scanner skipped this character.", pos, pos + 1)
                pos += 1
                continue
            }
            words.append(wb.build(in: b))
            end = lastTokenEnd
        }
        guard !words.isEmpty || !redirections.isEmpty else { return nil }
        let kind: ScriptCommand.Kind = !inHashtable && isCommand(words) ? .simple : .expression
        var cmd = makeCommand(kind: kind, words: words, redirections: redirections, start: start, end: max(start, end), predecessor: predecessor)
        var embedded: [Int] = []
        if kind == .simple {
            let r = CommandResolver.resolve(words, language: .powershell)
            cmd.nameIndex = r.nameIndex
            cmd.effectiveName = r.name
            cmd.effectiveArguments = r.arguments
            embedded = r.embedded
        }
        let index = appendCommand(cmd, nested: nestedCommands(of: words) + nestedCommands(of: redirections.compactMap(\.target)))
        if !embedded.isEmpty { scanEmbeddedWords(embedded.map { words[$0] }, parent: index) }
        return index
    }

    /// A pipeline element invokes a command when it starts with a bare name or the call operator.
    private func isCommand(_ words: [ScriptWord]) -> Bool {
        guard let first = words.first, let byte = first.text.utf8.first else { return false }
        if first.value == "&" || first.value == "." { return words.count > 1 }
        if byte == Byte.dollar || byte == Byte.lparen || byte == Byte.lbracket || byte == Byte.at || byte == Byte.dquote
            || byte == Byte.squote || byte == Byte.minus || byte == Byte.bang || byte == Byte.lbrace || byte == Byte.comma
            || byte == Byte.eq || byte.isASCIIDigit {
            return false
        }
        return true
    }

    private func parseAssignment(target: ScriptWord, ref: VariableReference, start: Int, predecessor: Int?) -> Int? {
        skipSpaceAndNewlinesOnly()
        let rhsStart = pos
        collectors.append([])
        nesting += 1
        if let k = peekKeyword(), ["if", "switch", "foreach", "for", "while", "do", "try"].contains(k) {
            parseStatement()
        } else {
            _ = parseChain()
        }
        nesting -= 1
        let rhs = collectors.removeLast()
        let rhsEnd = max(rhsStart, lastTokenEnd)
        let assignment = ScriptAssignment(name: ref.name, nameRange: ref.range, range: b.range(start, rhsEnd), value: nil,
                                          valueCommands: rhs, valueText: b.text(rhsStart, rhsEnd))
        var cmd = makeCommand(kind: .assignment, words: [target], redirections: [], start: start, end: rhsEnd, predecessor: predecessor)
        cmd.assignments = [assignment]
        return appendCommand(cmd, nested: rhs + nestedCommands(of: [target]))
    }

    private func makeCommand(kind: ScriptCommand.Kind, words: [ScriptWord], redirections: [ScriptRedirection],
                             start: Int, end: Int, predecessor: Int?) -> ScriptCommand {
        ScriptCommand(
            index: -1, kind: kind, words: words, assignments: [], redirections: redirections, range: b.range(start, end),
            conditions: b.conditions(guards, at: start), function: function, context: context, parent: baseParent,
            pipelinePredecessor: predecessor, test: nil, nameIndex: nil, effectiveName: nil, effectiveArguments: [])
    }

    private func scanEmbeddedWords(_ words: [ScriptWord], parent: Int) {
        guard let first = words.first, let last = words.last else { return }
        var s = first.scanStart, e = last.scanEnd
        if words.count == 1 {
            (s, e) = Self.contentRange(first, bytes)
            // Only strings and bare words hold script text; `$cmd` is resolved after the scan.
            if first.text.utf8.first == Byte.dollar || first.text.utf8.first == Byte.lparen { return }
        }
        let cmd = b.commands[parent]
        _ = Self.scanEmbedded(b, start: s, end: e, guards: cmd.conditions, function: cmd.function, context: .embedded, parent: parent, depth: level)
    }

    /// The inside of a PowerShell string word, or the word itself.
    static func contentRange(_ w: ScriptWord, _ bytes: [UInt8]) -> (Int, Int) {
        let s = w.scanStart, e = w.scanEnd
        if e - s >= 4, bytes[s] == Byte.at, bytes[s + 1] == Byte.dquote || bytes[s + 1] == Byte.squote {
            var cs = s + 2
            while cs < e, bytes[cs] != Byte.nl { cs += 1 }
            var ce = e - 2
            while ce > cs, bytes[ce - 1] != Byte.nl { ce -= 1 }
            return (min(cs + 1, e), max(min(cs + 1, e), ce))
        }
        if e - s >= 2 {
            let f = bytes[s], l = bytes[e - 1]
            if (f == Byte.squote || f == Byte.dquote), l == f { return (s + 1, e - 1) }
        }
        return (s, e)
    }

    private func lexRedirection() -> ScriptRedirection? {
        let s = pos
        var p = pos
        if p < limit, bytes[p].isASCIIDigit || bytes[p] == Byte.star { p += 1 }
        guard p < limit, bytes[p] == Byte.gt else {
            if p == s, p < limit, bytes[p] == Byte.lt, p + 1 < limit, bytes[p + 1] != Byte.hash {
                b.diagnose("`<` is not a PowerShell redirection", "PowerShell has no input redirection; pipe the content instead (`Get-Content file | command`).", s, s + 1, .warning)
                pos += 1
                lastTokenEnd = pos
                return ScriptRedirection(op: "<", range: b.range(s, pos), target: nil, heredoc: nil)
            }
            return nil
        }
        p += 1
        if p < limit, bytes[p] == Byte.gt { p += 1 }
        var target: ScriptWord?
        if p + 1 < limit, bytes[p] == Byte.amp, bytes[p + 1].isASCIIDigit {
            p += 2
            pos = p
            lastTokenEnd = p
        } else {
            pos = p
            lastTokenEnd = p
            skipSpace()
            target = lexWord()?.build(in: b)
        }
        return ScriptRedirection(op: b.text(s, p), range: b.range(s, max(p, lastTokenEnd)), target: target, heredoc: nil)
    }

    // MARK: - Words

    private func lexWord() -> WordBuilder? {
        let start = pos
        var w = WordBuilder(start: start)
        var dashWord = false
        while pos < limit {
            let c = bytes[pos]
            if Self.isSpace(c) || c == Byte.nl || c == Byte.semi || c == Byte.pipe || c == Byte.comma || c == Byte.rparen
                || c == Byte.rbrace || c == Byte.amp {
                break
            }
            if pos == start, c == Byte.minus { dashWord = true }
            if dashWord, pos > start, [Byte.lparen, Byte.dollar, Byte.dquote, Byte.squote, Byte.bang, Byte.lbracket].contains(c) { break }
            if c == Byte.eq, pos == start || inHashtable || (bytes[start] == Byte.dollar || bytes[start] == Byte.lbracket) { break }
            if c == Byte.gt { break }
            if c == Byte.lt, peek(1) == Byte.hash { break }
            if c == Byte.hash, pos == start { break }
            if c == Byte.bang, pos == start { break }
            switch c {
            case Byte.squote:
                lexSingleQuoted(&w)
            case Byte.dquote:
                lexDoubleQuoted(&w)
            case Byte.at:
                if let n = peek(1), n == Byte.dquote || n == Byte.squote, hereStringAhead() {
                    lexHereString(&w, expandable: n == Byte.dquote)
                } else if peek(1) == Byte.lparen {
                    lexGroup(&w, kind: .array, openLength: 2, closer: Byte.rparen)
                } else if peek(1) == Byte.lbrace {
                    lexGroup(&w, kind: .hashtable, openLength: 2, closer: Byte.rbrace)
                } else if let n = peek(1), n.isIdentifierStart {
                    var p = pos + 1
                    while p < limit, bytes[p].isIdentifierByte { p += 1 }
                    addVariable(&w, name: b.text(pos + 1, p), start: pos, end: p, quoted: false)
                    pos = p
                } else {
                    w.literal(c, quoted: false)
                    pos += 1
                }
            case Byte.dollar:
                lexDollar(&w, quoted: false)
            case Byte.lparen:
                lexGroup(&w, kind: .group, openLength: 1, closer: Byte.rparen)
            case Byte.lbrace:
                lexGroup(&w, kind: .scriptBlock, openLength: 1, closer: Byte.rbrace)
            case Byte.lbracket:
                let s = pos
                skipBracket()
                if pos == s { pos += 1 }
                w.add(.opaque(b.text(s, pos)), raw: bytes[s..<pos])
            case Byte.backtick:
                if peek(1) == Byte.nl || (peek(1) == Byte.cr && peek(2) == Byte.nl) { break }
                if let n = peek(1) {
                    w.literal(Self.escape(n), quoted: true)
                    pos += 2
                } else {
                    pos += 1
                }
                continue
            default:
                w.literal(c, quoted: false)
                pos += 1
            }
            if c == Byte.backtick { break }
        }
        guard pos > start else { return nil }
        w.end = pos
        lastTokenEnd = pos
        return w
    }

    private static func escape(_ n: UInt8) -> UInt8 {
        switch n {
        case UInt8(ascii: "n"): Byte.nl
        case UInt8(ascii: "t"): Byte.tab
        case UInt8(ascii: "r"): Byte.cr
        case UInt8(ascii: "0"): 0
        default: n
        }
    }

    private func hereStringAhead() -> Bool {
        var p = pos + 2
        while p < limit, Self.isSpace(bytes[p]) { p += 1 }
        return p < limit && bytes[p] == Byte.nl
    }

    private func lexSingleQuoted(_ w: inout WordBuilder) {
        let q = pos
        pos += 1
        var value: [UInt8] = []
        while pos < limit {
            if bytes[pos] == Byte.squote {
                if peek(1) == Byte.squote {
                    value.append(Byte.squote)
                    pos += 2
                    continue
                }
                pos += 1
                w.literal(value, quoted: true)
                return
            }
            value.append(bytes[pos])
            pos += 1
        }
        w.literal(value, quoted: true)
        b.diagnose("unterminated single-quoted string", "The `'` opened here has no closing `'` before the end of the input; add the closing quote.", q, q + 1)
    }

    private func lexDoubleQuoted(_ w: inout WordBuilder) {
        let q = pos
        pos += 1
        while pos < limit {
            let c = bytes[pos]
            if c == Byte.dquote {
                if peek(1) == Byte.dquote {
                    w.literal(Byte.dquote, quoted: true)
                    pos += 2
                    continue
                }
                pos += 1
                return
            }
            if c == Byte.backtick, let n = peek(1) {
                w.literal(Self.escape(n), quoted: true)
                pos += 2
                continue
            }
            if c == Byte.dollar {
                lexDollar(&w, quoted: true)
                continue
            }
            w.literal(c, quoted: true)
            pos += 1
        }
        b.diagnose("unterminated double-quoted string", "The `\"` opened here has no closing `\"` before the end of the input; add the closing quote.", q, q + 1)
    }

    private func lexHereString(_ w: inout WordBuilder, expandable: Bool) {
        let s = pos
        let quote = bytes[pos + 1]
        pos += 2
        while pos < limit, bytes[pos] != Byte.nl { pos += 1 }
        pos = min(limit, pos + 1)
        var firstLine = true
        while pos < limit {
            // The closing `"@` / `'@` must start a line; the line break before it is not content.
            var lineStart = pos
            while lineStart < limit, Self.isSpace(bytes[lineStart]) { lineStart += 1 }
            if lineStart + 1 < limit, bytes[lineStart] == quote, bytes[lineStart + 1] == Byte.at {
                pos = lineStart + 2
                return
            }
            if !firstLine { w.literal(Byte.nl, quoted: true) }
            firstLine = false
            while pos < limit, bytes[pos] != Byte.nl {
                if bytes[pos] == Byte.cr, pos + 1 < limit, bytes[pos + 1] == Byte.nl {
                    pos += 1
                    continue
                }
                if expandable, bytes[pos] == Byte.dollar {
                    lexDollar(&w, quoted: true)
                    continue
                }
                if expandable, bytes[pos] == Byte.backtick, let n = peek(1), n != Byte.nl {
                    w.literal(Self.escape(n), quoted: true)
                    pos += 2
                    continue
                }
                w.literal(bytes[pos], quoted: true)
                pos += 1
            }
            if pos < limit { pos += 1 }
        }
        b.diagnose("unterminated here-string", "The here-string opened here needs a line starting with `\(quote == Byte.dquote ? "\"@" : "'@")` to close it.", s, s + 2)
    }

    private func lexDollar(_ w: inout WordBuilder, quoted: Bool) {
        let s = pos
        guard let n = peek(1) else {
            w.literal(Byte.dollar, quoted: quoted)
            pos += 1
            return
        }
        if n == Byte.lparen {
            lexGroup(&w, kind: .subexpression, openLength: 2, closer: Byte.rparen)
            return
        }
        if n == Byte.lbrace {
            var p = pos + 2
            while p < limit, bytes[p] != Byte.rbrace, bytes[p] != Byte.nl {
                if bytes[p] == Byte.backtick { p += 1 }
                p += 1
            }
            p = min(p, limit)
            let name = b.text(pos + 2, p)
            if p < limit, bytes[p] == Byte.rbrace {
                p += 1
            } else {
                b.diagnose("unterminated `${`", "The braced variable name opened here has no closing `}`.", s, s + 2)
            }
            addVariable(&w, name: Self.normalize(name), start: s, end: p, quoted: quoted)
            pos = p
            return
        }
        if n.isIdentifierStart || n.isASCIIDigit {
            var p = pos + 1
            while p < limit, bytes[p].isIdentifierByte { p += 1 }
            if p + 1 < limit, bytes[p] == Byte.colon, bytes[p + 1].isIdentifierStart {
                p += 1
                while p < limit, bytes[p].isIdentifierByte || bytes[p] == Byte.minus && !quoted { p += 1 }
            }
            addVariable(&w, name: Self.normalize(b.text(pos + 1, p)), start: s, end: p, quoted: quoted)
            pos = p
            return
        }
        if [Byte.dollar, Byte.question, UInt8(ascii: "^")].contains(n) {
            addVariable(&w, name: b.text(pos + 1, pos + 2), start: s, end: pos + 2, quoted: quoted)
            pos += 2
            return
        }
        w.literal(Byte.dollar, quoted: quoted)
        pos += 1
    }

    /// Drops scope prefixes other than `env:`.
    static func normalize(_ name: String) -> String {
        let lower = name.lowercased()
        for scope in ["script:", "global:", "local:", "private:", "using:"] where lower.hasPrefix(scope) {
            return String(name.dropFirst(scope.count))
        }
        if lower.hasPrefix("env:") { return "env:" + name.dropFirst(4) }
        return name
    }

    private func addVariable(_ w: inout WordBuilder, name: String, start: Int, end: Int, quoted: Bool) {
        let ref = VariableReference(name: name, range: b.range(start, end), quoted: quoted, scanStart: start, scanEnd: end)
        w.add(.variable(ref), raw: bytes[start..<end])
    }

    private func lexGroup(_ w: inout WordBuilder, kind: CommandSubstitution.Kind, openLength: Int, closer: UInt8) {
        let s = pos
        pos += openLength
        guard level < ScriptBuilder.maxDepth else {
            b.diagnose("nesting too deep", "The script nests more than \(ScriptBuilder.maxDepth) levels; the scanner skipped this group.", s, s + openLength, .warning)
            var depth = 1
            while pos < limit, depth > 0 {
                let c = bytes[pos]
                if c == Byte.lparen || c == Byte.lbrace { depth += 1 } else if c == Byte.rparen || c == Byte.rbrace { depth -= 1 }
                pos += 1
            }
            w.add(.opaque(b.text(s, pos)), raw: bytes[s..<pos])
            return
        }
        let saved = context
        let savedHashtable = inHashtable
        context = .substitution
        inHashtable = kind == .hashtable
        collectors.append([])
        nesting += 1
        parseStatementList(until: closer)
        nesting -= 1
        let top = collectors.removeLast()
        context = saved
        inHashtable = savedHashtable
        skipSpaceAndNewlines()
        if peek() == closer {
            pos += 1
        } else {
            let closeText = closer == Byte.rparen ? ")" : "}"
            b.diagnose("`\(b.text(s, s + openLength))` without matching `\(closeText)`",
                       "Reached \(describeHere()) before the `\(closeText)` that closes this \(kind == .scriptBlock ? "script block" : kind == .hashtable ? "hashtable" : "group").",
                       s, s + openLength)
        }
        lastTokenEnd = pos
        w.add(.substitution(CommandSubstitution(kind: kind, range: b.range(s, pos), commands: top, scanStart: s, scanEnd: pos)), raw: bytes[s..<pos])
    }

    // MARK: - Conditions

    private func expression(ofCommand index: Int, depth: Int) -> ConditionExpression {
        guard depth < 16, index < b.commands.count else { return .unknown }
        let cmd = b.commands[index]
        switch cmd.kind {
        case .expression:
            var p = PowerShellConditionParser(words: cmd.words, b: b, depth: depth)
            return p.parse()
        case .simple:
            return .command(index)
        default:
            return .unknown
        }
    }
}

/// Parses a PowerShell condition (`$a -eq "x" -or -not $b`) from the words of an expression element.
/// `-and`/`-or`/`-xor` share one precedence and associate left, as in PowerShell.
struct PowerShellConditionParser {
    let words: [ScriptWord]
    let b: ScriptBuilder
    let depth: Int
    private var i = 0

    init(words: [ScriptWord], b: ScriptBuilder, depth: Int) {
        self.words = words
        self.b = b
        self.depth = depth
    }

    mutating func parse() -> ConditionExpression {
        guard !words.isEmpty else { return .unknown }
        let e = parseLogical()
        return i == words.count ? e : .unknown
    }

    private func peek() -> String? { i < words.count ? words[i].value.lowercased() : nil }

    static func normalizeOperator(_ op: String) -> String {
        let lower = op.lowercased()
        if lower.count > 2, lower.hasPrefix("-c") || lower.hasPrefix("-i") {
            let stripped = "-" + lower.dropFirst(2)
            if PowerShellParser.comparisonOperators.contains(stripped) { return stripped }
        }
        return lower
    }

    private mutating func parseLogical() -> ConditionExpression {
        var l = parseUnary(0)
        while let p = peek(), PowerShellParser.logicalOperators.contains(p) {
            i += 1
            let r = parseUnary(0)
            l = p == "-and" ? .and(l, r) : p == "-or" ? .or(l, r) : .unknown
        }
        return l
    }

    private mutating func parseUnary(_ n: Int) -> ConditionExpression {
        guard n < 64, let p = peek() else { return .unknown }
        if p == "!" || p == "-not" {
            i += 1
            return .not(parseUnary(n + 1))
        }
        let left = words[i]
        i += 1
        if let op = peek().map(Self.normalizeOperator), PowerShellParser.comparisonOperators.contains(op), i + 1 <= words.count - 1 {
            i += 1
            let right = words[i]
            i += 1
            return .compare(left, op: op, right)
        }
        if let group = Self.pureGroup(left), group.commands.count == 1, group.commands[0] < b.commands.count {
            let inner = b.commands[group.commands[0]]
            if inner.kind == .expression, depth < 16 {
                var sub = PowerShellConditionParser(words: inner.words, b: b, depth: depth + 1)
                return sub.parse()
            }
            if inner.kind == .simple { return .command(inner.index) }
        }
        return .truthy(left)
    }

    /// The group when the word is exactly `( … )` or `$( … )`.
    static func pureGroup(_ w: ScriptWord) -> CommandSubstitution? {
        guard w.parts.count == 1, case .substitution(let s) = w.parts[0], s.kind == .group || s.kind == .subexpression else { return nil }
        return s
    }
}
