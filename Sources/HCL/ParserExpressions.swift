import AuditCore
import Foundation

// The expression language: conditionals, binary and unary operators, terms, traversals, splats,
// collections, function calls and `for` expressions.

extension Parser {
    /// An invalid expression placeholder: an empty range at `offset`.
    func invalid(at offset: Int) -> Expression {
        Expression(.invalid, range(offset, offset))
    }

    func parseExpression() -> Expression {
        let first = peek()
        guard enter(first) else {
            leave()
            return invalid(at: previousEnd)
        }
        defer { leave() }
        return parseConditional()
    }

    /// Consumes line breaks after an operator when line breaks matter. HCL itself rejects a line
    /// break there; the parser reports it but keeps reading the operand so the tree stays whole.
    func continueAfterOperator(_ op: Token) {
        guard newlinesMatter, peekRaw().kind == .newline else { return }
        let lineBreak = peekRaw()
        if !recovering {
            report("Line break after operator",
                   "An expression cannot continue on the next line after `\(text(op))` here. Keep the operand on the same line, or wrap the whole expression in parentheses, inside which line breaks are allowed.",
                   range(lineBreak))
        }
        skipNewlines()
    }

    func parseConditional() -> Expression {
        let condition = parseBinary(minPrecedence: 1)
        guard peek().kind == .question else { return condition }
        let question = next()
        continueAfterOperator(question)
        let then = parseExpression()
        let colon = peek()
        guard colon.kind == .colon else {
            syntaxError("Missing `:` in conditional",
                        "A conditional needs both results: `condition ? true_value : false_value`; found \(describe(colon)) where `:` was expected.",
                        colon)
            let otherwise = invalid(at: max(previousEnd, then.range.end.offset))
            return Expression(.conditional(condition: condition, then: then, else: otherwise),
                              range(from: condition.range.start, otherwise.range.end.offset))
        }
        next()
        continueAfterOperator(colon)
        let otherwise = parseExpression()
        return Expression(.conditional(condition: condition, then: then, else: otherwise),
                          range(from: condition.range.start, max(otherwise.range.end.offset, colon.end)))
    }

    static func binaryOperator(_ kind: TokenKind) -> BinaryOperator? {
        switch kind {
        case .or: .or
        case .and: .and
        case .equalEqual: .equal
        case .notEqual: .notEqual
        case .greater: .greater
        case .greaterEqual: .greaterOrEqual
        case .less: .less
        case .lessEqual: .lessOrEqual
        case .plus: .add
        case .minus: .subtract
        case .star: .multiply
        case .slash: .divide
        case .percent: .modulo
        default: nil
        }
    }

    /// Precedence climbing: operators of one level associate to the left.
    func parseBinary(minPrecedence: Int) -> Expression {
        var lhs = parseUnary()
        // Each operator nests the expression so far one level deeper: a long chain counts
        // towards the nesting limit, so every tree stays shallow enough to evaluate recursively.
        var chain = 0
        defer { depth -= chain }
        while let op = Parser.binaryOperator(peek().kind), op.precedence >= minPrecedence {
            chain += 1
            guard enter(peek()) else { break }
            let opToken = next()
            continueAfterOperator(opToken)
            let rhs = parseBinary(minPrecedence: op.precedence + 1)
            lhs = Expression(.binary(op, lhs, rhs), range(from: lhs.range.start, max(rhs.range.end.offset, opToken.end)))
        }
        return lhs
    }

    func parseUnary() -> Expression {
        let token = peek()
        guard token.kind == .minus || token.kind == .bang else {
            return parsePostfix(parseTerm())
        }
        guard enter(token) else {
            leave()
            return invalid(at: previousEnd)
        }
        defer { leave() }
        next()
        let operandIsNumber = peek().kind == .number
        let operand = parseUnary()
        let whole = range(token.start, max(operand.range.end.offset, token.end))
        if token.kind == .minus, operandIsNumber, case .literal(.number(let n)) = operand.kind {
            // `-5` is a negative number literal, not an operation.
            return Expression(.literal(.number(-n)), whole)
        }
        return Expression(.unary(token.kind == .minus ? .negate : .not, operand), whole)
    }

    // MARK: Terms

    func parseTerm() -> Expression {
        let token = peek()
        if !newlinesMatter, let innermost = innermostBracket, innermost.kind == .oParen || innermost.kind == .oBrack,
           nextLooksLikeNewBodyItem() {
            reportUnclosed(innermost)
            return invalid(at: previousEnd)
        }
        switch token.kind {
        case .number:
            next()
            return numberLiteral(token)
        case .identifier:
            let name = text(token)
            let after = peek(1)
            if after.kind == .oParen || after.kind == .doubleColon {
                return parseFunctionCall()
            }
            next()
            switch name {
            case "true": return Expression(.literal(.bool(true)), range(token))
            case "false": return Expression(.literal(.bool(false)), range(token))
            case "null": return Expression(.literal(.null), range(token))
            default: return Expression(.variable(name), range(token))
            }
        case .oParen:
            return parseParenthesized()
        case .oQuote, .oHeredoc:
            return parseTemplateExpression()
        case .oBrack:
            return parseTuple()
        case .oBrace:
            return parseObject()
        case .invalid:
            next()
            markError()
            return Expression(.invalid, range(token))
        case .eof:
            syntaxError("Missing expression", "Expected an expression, but the file ends here.", token)
            return invalid(at: previousEnd)
        case .newline:
            syntaxError("Missing expression", "Expected an expression before the end of the line.", token)
            return invalid(at: previousEnd)
        case .templateInterp:
            syntaxError("Interpolation outside a string",
                        "`${...}` is only valid inside a quoted string or heredoc; write the expression itself.", token)
            return invalid(at: previousEnd)
        default:
            syntaxError("Invalid expression", "Expected the start of an expression, but found \(describe(token)).", token)
            return invalid(at: previousEnd)
        }
    }

    /// The bracket `open` was never closed: the next line already starts a new item.
    func reportUnclosed(_ open: Token) {
        let opener = text(open)
        let closer = open.kind == .oParen ? ")" : open.kind == .oBrack ? "]" : "}"
        syntaxError("Unclosed `\(opener)`", "The `\(opener)` here has no matching `\(closer)`; add it where the expression ends.", open)
    }

    func numberLiteral(_ token: Token) -> Expression {
        let t = text(token)
        return Expression(.literal(.number(Double(t) ?? .nan)), range(token))
    }

    func parseParenthesized() -> Expression {
        let open = next()
        let nesting = enterBracket(open, newlinesMatter: false)
        defer { leaveBracket(nesting) }
        let inner = parseExpression()
        let close = peek()
        if close.kind == .cParen {
            next()
            return Expression(.parenthesized(inner), range(open.start, close.end))
        }
        if close.kind == .eof || nextLooksLikeNewBodyItem() {
            reportUnclosed(open)
            return Expression(.parenthesized(inner), range(open.start, previousEnd))
        }
        syntaxError("Missing `)`", "Expected `)` to close the parenthesis opened at line \(range(open).start.line), column \(range(open).start.column), but found \(describe(close)).", close)
        let end = recover(to: .cParen) ?? previousEnd
        return Expression(.parenthesized(inner), range(open.start, end))
    }

    // MARK: Function calls

    func parseFunctionCall() -> Expression {
        let first = next()
        var name = text(first)
        var nameEnd = first.end
        while peek().kind == .doubleColon {
            let colons = next()
            let part = peek()
            guard part.kind == .identifier else {
                syntaxError("Missing function name", "`::` must be followed by a name, as in `provider::aws::arn_parse(...)`; found \(describe(part)).", part)
                return Expression(.invalid, range(first.start, colons.end))
            }
            next()
            name += "::" + text(part)
            nameEnd = part.end
        }
        let nameRange = range(first.start, nameEnd)
        let open = peek()
        guard open.kind == .oParen else {
            syntaxError("Missing `(` after function name", "`\(name)` must be followed by `(` and its arguments.", open)
            return Expression(.invalid, nameRange)
        }
        next()
        let nesting = enterBracket(open, newlinesMatter: false)
        defer { leaveBracket(nesting) }
        var arguments: [Expression] = []
        var expandFinal = false
        var end = open.end
        while true {
            let token = peek()
            if token.kind == .cParen {
                next()
                end = token.end
                break
            }
            if token.kind == .eof || nextLooksLikeNewBodyItem() || token.kind == .cBrace || token.kind == .cBrack {
                reportUnclosed(open)
                end = previousEnd
                break
            }
            let mark = errorSerial
            let argument = parseExpression()
            arguments.append(argument)
            end = argument.range.end.offset
            if errorSerial != mark {
                end = recover(to: .cParen) ?? previousEnd
                break
            }
            let separator = peek()
            if separator.kind == .comma {
                next()
                end = separator.end
                continue
            }
            if separator.kind == .ellipsis {
                next()
                expandFinal = true
                let close = peek()
                if close.kind == .cParen {
                    next()
                    end = close.end
                } else {
                    syntaxError("`...` must follow the last argument",
                                "Expanding a list into arguments with `...` is only allowed on the final argument, directly before `)`.",
                                separator)
                    end = recover(to: .cParen) ?? previousEnd
                }
                break
            }
            if separator.kind == .cParen { continue }
            if separator.kind == .eof || nextLooksLikeNewBodyItem() {
                reportUnclosed(open)
                end = previousEnd
                break
            }
            syntaxError("Missing `,` between arguments",
                        "Arguments of `\(name)` are separated by commas; found \(describe(separator)) after an argument.",
                        separator)
            end = recover(to: .cParen) ?? previousEnd
            break
        }
        return Expression(.functionCall(name: name, nameRange: nameRange, arguments: arguments.compacted(), expandFinal: expandFinal),
                          range(first.start, end))
    }

    // MARK: Traversals and splats

    func parsePostfix(_ base: Expression) -> Expression {
        var expression = base
        // Like operators, each traversal step nests one level deeper.
        var chain = 0
        defer { depth -= chain }
        while true {
            let token = peek()
            if token.kind == .dot || token.kind == .oBrack {
                chain += 1
                guard enter(token) else { return expression }
            }
            if token.kind == .dot {
                let after = peek(1)
                switch after.kind {
                case .identifier:
                    next(); next()
                    expression = Expression(.getAttribute(expression, name: text(after), nameRange: range(after)),
                                            range(from: expression.range.start, after.end))
                case .number:
                    next(); next()
                    expression = legacyIndex(expression, number: after)
                case .star:
                    next(); next()
                    expression = attributeOnlySplat(source: expression, dot: token, star: after)
                default:
                    next()
                    syntaxError("Missing attribute name after `.`",
                                "Expected an attribute name (or `*`) after `.`, but found \(describe(after)).", after)
                    return expression
                }
            } else if token.kind == .oBrack {
                if peek(1).kind == .star {
                    let open = next()
                    let star = next()
                    var markerEnd = star.end
                    let close = peek()
                    if close.kind == .cBrack {
                        next()
                        markerEnd = close.end
                    } else {
                        syntaxError("Missing `]` after `[*`", "A full splat is written `[*]`; found \(describe(close)) after `[*`.", close)
                        markerEnd = recover(to: .cBrack) ?? previousEnd
                    }
                    guard enter(open) else {
                        leave()
                        return expression
                    }
                    let item = Expression(.splatItem, range(open.start, markerEnd))
                    let each = parsePostfix(item)
                    leave()
                    expression = Expression(.splat(source: expression, each: each),
                                            range(from: expression.range.start, max(each.range.end.offset, markerEnd)))
                } else {
                    expression = parseIndex(expression)
                }
            } else {
                return expression
            }
        }
    }

    func parseIndex(_ collection: Expression) -> Expression {
        let open = next()
        let nesting = enterBracket(open, newlinesMatter: false)
        defer { leaveBracket(nesting) }
        if peek().kind == .cBrack {
            let close = next()
            syntaxError("Missing index", "`[]` needs a key or index between the brackets, as in `list[0]` or `map[\"key\"]`.", open.start, close.end)
            return Expression(.index(collection, key: invalid(at: open.end)), range(from: collection.range.start, close.end))
        }
        let mark = errorSerial
        let key = parseExpression()
        let close = peek()
        var end = close.end
        if errorSerial != mark {
            end = recover(to: .cBrack) ?? previousEnd
        } else if close.kind == .cBrack {
            next()
        } else if recovering {
            end = recover(to: .cBrack) ?? previousEnd
        } else if close.kind == .eof || nextLooksLikeNewBodyItem() {
            reportUnclosed(open)
            end = previousEnd
        } else {
            syntaxError("Missing `]` after index", "Expected `]` to close the index, but found \(describe(close)).", close)
            end = recover(to: .cBrack) ?? previousEnd
        }
        return Expression(.index(collection, key: key), range(from: collection.range.start, end))
    }

    /// `x.0` (and `x.0.1`, which HCL rejects because `0.1` reads as one number).
    func legacyIndex(_ collection: Expression, number: Token) -> Expression {
        let t = text(number)
        if t.contains("e") || t.contains("E") {
            syntaxError("Invalid legacy index", "`.\(t)` is not an index; write `[\(t)]` if a number was meant.", number)
            return Expression(.index(collection, key: numberLiteral(number)), range(from: collection.range.start, number.end))
        }
        guard let dot = t.firstIndex(of: ".") else {
            return Expression(.index(collection, key: numberLiteral(number)), range(from: collection.range.start, number.end))
        }
        let first = String(t[..<dot]), second = String(t[t.index(after: dot)...])
        syntaxError("Invalid legacy index syntax",
                    "`.\(t)` reads as the number \(t), so two legacy indexes cannot be chained. Write `[\(first)][\(second)]` instead.",
                    number)
        let split = number.start + first.utf8.count
        let firstKey = Expression(.literal(.number(Double(first) ?? 0)), range(number.start, split))
        let secondKey = Expression(.literal(.number(Double(second) ?? 0)), range(split + 1, number.end))
        let inner = Expression(.index(collection, key: firstKey), range(from: collection.range.start, split))
        return Expression(.index(inner, key: secondKey), range(from: collection.range.start, number.end))
    }

    /// `source.*.a.b`: only attribute (and legacy index) steps apply to each element.
    func attributeOnlySplat(source: Expression, dot: Token, star: Token) -> Expression {
        var each = Expression(.splatItem, range(dot.start, star.end))
        var chain = 0
        defer { depth -= chain }
        while peek().kind == .dot {
            chain += 1
            guard enter(peek()) else { break }
            let after = peek(1)
            if after.kind == .identifier {
                next(); next()
                each = Expression(.getAttribute(each, name: text(after), nameRange: range(after)), range(dot.start, after.end))
            } else if after.kind == .number {
                next(); next()
                let indexed = legacyIndex(each, number: after)
                each = Expression(indexed.kind, range(dot.start, after.end))
            } else if after.kind == .star {
                next()
                syntaxError("Nested splat not allowed",
                            "A `.*` splat cannot contain another splat. Use a full splat `[*]` or a `for` expression.", after)
                break
            } else {
                next()
                syntaxError("Missing attribute name after `.`",
                            "Expected an attribute name after `.`, but found \(describe(after)).", after)
                break
            }
        }
        return Expression(.splat(source: source, each: each), range(from: source.range.start, max(each.range.end.offset, star.end)))
    }

    // MARK: Collections

    func parseTuple() -> Expression {
        let open = next()
        let nesting = enterBracket(open, newlinesMatter: false)
        defer { leaveBracket(nesting) }
        if isKeyword(peek(), "for") {
            return parseFor(open: open, closer: .cBrack)
        }
        var items: [Expression] = []
        var end = open.end
        while true {
            let token = peek()
            if token.kind == .cBrack {
                next()
                end = token.end
                break
            }
            if token.kind == .eof || nextLooksLikeNewBodyItem() || token.kind == .cBrace || token.kind == .cParen {
                reportUnclosed(open)
                end = previousEnd
                break
            }
            let mark = errorSerial
            let item = parseExpression()
            items.append(item)
            if errorSerial != mark {
                end = recover(to: .cBrack) ?? previousEnd
                break
            }
            let separator = peek()
            if separator.kind == .comma {
                next()
                continue
            }
            if separator.kind == .cBrack { continue }
            if separator.kind == .eof || nextLooksLikeNewBodyItem() {
                reportUnclosed(open)
                end = previousEnd
                break
            }
            syntaxError("Missing `,` between items",
                        "Tuple items are separated by commas; found \(describe(separator)) after an item.", separator)
            end = recover(to: .cBrack) ?? previousEnd
            break
        }
        return Expression(.tuple(items.compacted()), range(open.start, end))
    }

    func parseObject() -> Expression {
        let open = next()
        let isFor = isKeyword(tokens[nextNonNewline(index)], "for")
        let nesting = enterBracket(open, newlinesMatter: !isFor)
        defer { leaveBracket(nesting) }
        if isFor {
            return parseFor(open: open, closer: .cBrace)
        }
        var items: [ObjectItem] = []
        var end = open.end
        while true {
            skipNewlines()
            let token = peek()
            if token.kind == .cBrace {
                next()
                end = token.end
                break
            }
            if token.kind == .eof || token.kind == .cBrack || token.kind == .cParen {
                reportUnclosed(open)
                end = previousEnd
                break
            }
            // The key: a bare identifier is a literal name; anything else is an expression.
            let key: Expression
            var bareKey = false
            if token.kind == .identifier, case let after = peek(1).kind, after == .equal || after == .colon {
                next()
                key = Expression(.literal(.string(text(token))), range(token))
                bareKey = true
            } else {
                let mark = errorSerial
                key = parseExpression()
                if errorSerial != mark {
                    end = recover(to: .cBrace) ?? previousEnd
                    break
                }
            }
            let separator = peek()
            guard separator.kind == .equal || separator.kind == .colon else {
                objectKeyError(key: key, found: separator, open: open)
                if separator.kind == .eof {
                    end = previousEnd
                } else {
                    end = recover(to: .cBrace) ?? previousEnd
                }
                break
            }
            next()
            let mark = errorSerial
            let value = parseExpression()
            items.append(ObjectItem(key: key, bareKey: bareKey, value: value))
            if errorSerial != mark {
                end = recover(to: .cBrace) ?? previousEnd
                break
            }
            let after = peek()
            if after.kind == .comma || after.kind == .newline {
                next()
                continue
            }
            if after.kind == .cBrace { continue }
            if after.kind == .eof {
                reportUnclosed(open)
                end = previousEnd
                break
            }
            syntaxError("Missing separator between object items",
                        "Object items are separated by a comma or a line break; found \(describe(after)) after the value.",
                        after)
            end = recover(to: .cBrace) ?? previousEnd
            break
        }
        return Expression(.object(items.compacted()), range(open.start, end))
    }

    func objectKeyError(key: Expression, found: Token, open: Token) {
        switch found.kind {
        case .eof:
            reportUnclosed(open)
        case .fatArrow:
            syntaxError("Use `=` or `:` in an object",
                        "Object items are written `key = value` (or `key: value`); `=>` only appears in `{for ...}` expressions.", found)
        case .newline, .comma, .cBrace:
            syntaxError("Missing value for object key",
                        "The key `\(source.text(of: key.range))` must be followed by `=` and a value.", found)
        case .identifier, .number:
            syntaxError("Missing `=` after object key",
                        "Expected `=` or `:` after the key `\(source.text(of: key.range))`. A key containing dots, spaces or other punctuation must be quoted: `\"my.key\" = ...`.",
                        found)
        default:
            syntaxError("Missing `=` after object key",
                        "Expected `=` or `:` after the key `\(source.text(of: key.range))`, but found \(describe(found)).", found)
        }
    }

    // MARK: for expressions

    /// `[for k, v in coll : value if cond]` and `{for k, v in coll : key => value... if cond}`,
    /// with the `for` keyword next. Line breaks are insignificant throughout.
    func parseFor(open: Token, closer: TokenKind) -> Expression {
        let forToken = next()
        let closerText = closer == .cBrack ? "]" : "}"
        func fail() -> Expression {
            let end = recover(to: closer) ?? previousEnd
            return Expression(.invalid, range(open.start, end))
        }
        let first = peek()
        guard first.kind == .identifier else {
            syntaxError("Invalid `for` expression", "`for` must be followed by a variable name, as in `for item in list :`.", first)
            return fail()
        }
        next()
        var keyVariable: String?
        var valueVariable = text(first)
        if peek().kind == .comma {
            next()
            let second = peek()
            guard second.kind == .identifier else {
                syntaxError("Invalid `for` expression", "Expected the value variable name after `for \(valueVariable),`.", second)
                return fail()
            }
            next()
            keyVariable = valueVariable
            valueVariable = text(second)
        }
        let inToken = peek()
        guard isKeyword(inToken, "in") else {
            syntaxError("Invalid `for` expression", "Expected `in` after the variable names of `for`, but found \(describe(inToken)).", inToken)
            return fail()
        }
        next()
        let mark = errorSerial
        let collection = parseExpression()
        if errorSerial != mark { return fail() }
        let colon = peek()
        guard colon.kind == .colon else {
            syntaxError("Invalid `for` expression", "Expected `:` after the collection of `for`, but found \(describe(colon)).", colon)
            return fail()
        }
        next()
        var keyResult: Expression?
        var valueResult = parseExpression()
        if peek().kind == .fatArrow {
            next()
            keyResult = valueResult
            valueResult = parseExpression()
        }
        if errorSerial != mark { return fail() }
        var grouping = false
        var ellipsis: Token?
        if peek().kind == .ellipsis {
            ellipsis = next()
            grouping = true
        }
        var condition: Expression?
        if isKeyword(peek(), "if") {
            next()
            condition = parseExpression()
            if errorSerial != mark { return fail() }
        }
        let close = peek()
        var end = close.end
        if close.kind == closer {
            next()
        } else if close.kind == .eof {
            syntaxError("Unclosed `for` expression", "The `\(text(open))` opening this `for` expression has no matching `\(closerText)`.", open)
            end = previousEnd
        } else {
            syntaxError("Invalid `for` expression", "Expected `\(closerText)` to end the `for` expression, but found \(describe(close)).", close)
            end = recover(to: closer) ?? previousEnd
        }
        if closer == .cBrack {
            if let keyResult {
                report("Key expression in a tuple `for`",
                       "`=>` builds an object: use `{for ...}` braces to build an object, or remove `\(source.text(of: keyResult.range)) =>` to build a list.",
                       keyResult.range)
            }
            if let ellipsis {
                report("Grouping `...` in a tuple `for`", "Grouping with `...` only applies to object `{for ...}` expressions.", range(ellipsis))
            }
        } else if keyResult == nil {
            report("Missing key in an object `for`",
                   "An object `{for ...}` needs `key => value` after the `:`; to build a list, use `[for ...]` brackets.",
                   valueResult.range)
        }
        _ = forToken
        let loop = ForExpression(keyVariable: keyVariable, valueVariable: valueVariable, collection: collection,
                                 keyResult: closer == .cBrace ? keyResult : nil, valueResult: valueResult,
                                 condition: condition, grouping: closer == .cBrace && grouping)
        return Expression(.forExpression(loop), range(open.start, end))
    }
}
