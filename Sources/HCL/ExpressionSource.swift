/// An expression written back as HCL native syntax on one line, in one normal form: comments and
/// layout dropped, object items separated by `, `, `=` between key and value, strings and heredocs
/// as quoted strings with their escapes, numbers as Terraform prints them. Parsing the text gives
/// back the same expression (same structure, other ranges). Used where an expression is stored as
/// text to be parsed again (the knowledge base's variable types).
extension Expression {
    /// Nil when the expression holds a part the parser could not read (`.invalid`).
    public var normalizedSource: String? {
        var out = ""
        return ExpressionWriter.write(self, into: &out) ? out : nil
    }
}

enum ExpressionWriter {
    static func write(_ e: Expression, into out: inout String) -> Bool {
        switch e.kind {
        case .literal(let literal):
            switch literal {
            case .null: out += "null"
            case .bool(let b): out += b ? "true" : "false"
            case .number(let n): out += Value.format(n)
            case .string(let s): out += "\"" + escaped(s) + "\""
            }
        case .template(let parts):
            out += "\""
            guard writeParts(parts, into: &out) else { return false }
            out += "\""
        case .variable(let name):
            out += name
        case .getAttribute(let base, let name, _):
            guard write(base, into: &out) else { return false }
            out += "." + name
        case .index(let base, let key):
            guard write(base, into: &out) else { return false }
            out += "["
            guard write(key, into: &out) else { return false }
            out += "]"
        case .splat(let source, let each):
            var head = ""
            guard write(source, into: &head) else { return false }
            return write(each, splatHead: head + "[*]", into: &out)
        case .splatItem:
            return false
        case .tuple(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                guard write(item, into: &out) else { return false }
            }
            out += "]"
        case .object(let items):
            guard !items.isEmpty else { out += "{}"; return true }
            out += "{ "
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                if item.bareKey, case .literal(.string(let name)) = item.key.kind {
                    out += name
                } else {
                    guard write(item.key, into: &out) else { return false }
                }
                out += " = "
                guard write(item.value, into: &out) else { return false }
            }
            out += " }"
        case .functionCall(let name, _, let arguments, let expandFinal):
            out += name + "("
            for (i, argument) in arguments.enumerated() {
                if i > 0 { out += ", " }
                guard write(argument, into: &out) else { return false }
            }
            if expandFinal { out += "..." }
            out += ")"
        case .conditional(let condition, let then, let otherwise):
            guard write(condition, into: &out) else { return false }
            out += " ? "
            guard write(then, into: &out) else { return false }
            out += " : "
            return write(otherwise, into: &out)
        case .unary(let op, let operand):
            out += op.rawValue
            return write(operand, into: &out)
        case .binary(let op, let lhs, let rhs):
            guard write(lhs, into: &out) else { return false }
            out += " \(op.rawValue) "
            return write(rhs, into: &out)
        case .forExpression(let f):
            out += f.keyResult == nil ? "[for " : "{for "
            if let k = f.keyVariable { out += k + ", " }
            out += f.valueVariable + " in "
            guard write(f.collection, into: &out) else { return false }
            out += " : "
            if let key = f.keyResult {
                guard write(key, into: &out) else { return false }
                out += " => "
            }
            guard write(f.valueResult, into: &out) else { return false }
            if f.grouping { out += "..." }
            if let condition = f.condition {
                out += " if "
                guard write(condition, into: &out) else { return false }
            }
            out += f.keyResult == nil ? "]" : "}"
        case .parenthesized(let inner):
            out += "("
            guard write(inner, into: &out) else { return false }
            out += ")"
        case .invalid:
            return false
        }
        return true
    }

    /// A splat's per-element expression, its `.splatItem` written as the splat's head (`a[*]`).
    private static func write(_ e: Expression, splatHead: String, into out: inout String) -> Bool {
        switch e.kind {
        case .splatItem:
            out += splatHead
        case .getAttribute(let base, let name, _):
            guard write(base, splatHead: splatHead, into: &out) else { return false }
            out += "." + name
        case .index(let base, let key):
            guard write(base, splatHead: splatHead, into: &out) else { return false }
            out += "["
            guard write(key, into: &out) else { return false }
            out += "]"
        default:
            return false
        }
        return true
    }

    private static func writeParts(_ parts: [TemplatePart], into out: inout String) -> Bool {
        for part in parts {
            switch part {
            case .literal(let text, _):
                out += escaped(text)
            case .interpolation(let e):
                out += "${"
                guard write(e, into: &out) else { return false }
                out += "}"
            case .conditional(let condition, let then, let otherwise, _):
                out += "%{ if "
                guard write(condition, into: &out) else { return false }
                out += " }"
                guard writeParts(then, into: &out) else { return false }
                if !otherwise.isEmpty {
                    out += "%{ else }"
                    guard writeParts(otherwise, into: &out) else { return false }
                }
                out += "%{ endif }"
            case .loop(let keyVariable, let valueVariable, let collection, let body, _):
                out += "%{ for " + (keyVariable.map { $0 + ", " } ?? "") + valueVariable + " in "
                guard write(collection, into: &out) else { return false }
                out += " }"
                guard writeParts(body, into: &out) else { return false }
                out += "%{ endfor }"
            }
        }
        return true
    }

    /// Literal template text as it is written between quotes.
    static func escaped(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "{" where previous == "$" || previous == "%":
                // `${` and `%{` in literal text are written doubled (`$${`, `%%{`).
                out.append(previous!)
                out.append(c)
            default:
                if c.value < 0x20 || c.value == 0x7f {
                    let hex = String(c.value, radix: 16)
                    out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
                } else {
                    out.append(c)
                }
            }
            previous = c
        }
        return String(out)
    }
}
