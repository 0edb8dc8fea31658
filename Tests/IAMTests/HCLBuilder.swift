import AuditCore
import HCL

/// Builds HCL syntax trees by hand for a source text, with real ranges: each call finds its token
/// at or after a cursor, in source order. (The tests use it instead of the HCL parser, which lives
/// in another branch; see the report.)
struct HCLBuilder {
    let file: SourceFile
    var cursor = 0

    init(_ text: String, path: String = "iam.tf") {
        file = SourceFile(path: path, text: text)
    }

    /// The range of the next occurrence of `token`; moves past it.
    mutating func at(_ token: String) -> SourceRange {
        let needle = Array(token.utf8)
        let bytes = file.bytes
        var i = cursor
        while i + needle.count <= bytes.count {
            if Array(bytes[i..<(i + needle.count)]) == needle {
                cursor = i + needle.count
                return file.range(from: i, to: i + needle.count)
            }
            i += 1
        }
        fatalError("token `\(token)` not found after offset \(cursor)")
    }

    /// `"value"` as the parser gives it: a template of one literal.
    mutating func str(_ value: String) -> Expression {
        let r = at("\"\(value)\"")
        let inner = file.range(from: r.start.offset + 1, to: r.end.offset - 1)
        return Expression(.template([.literal(value, inner)]), r)
    }

    mutating func number(_ text: String) -> Expression {
        Expression(.literal(.number(Double(text)!)), at(text))
    }

    /// `["a", "b"]`.
    mutating func list(_ values: [String]) -> Expression {
        let open = at("[")
        let items = values.map { str($0) }
        let close = at("]")
        return Expression(.tuple(items), open.union(close))
    }

    mutating func tuple(_ items: (inout HCLBuilder) -> [Expression]) -> Expression {
        let open = at("[")
        let built = items(&self)
        let close = at("]")
        return Expression(.tuple(built), open.union(close))
    }

    /// A traversal such as `var.prefix` or `data.aws_iam_policy_document.base.json`.
    mutating func ref(_ path: String) -> Expression {
        let r = at(path)
        let parts = path.split(separator: ".").map(String.init)
        var e = Expression(.variable(parts[0]), r)
        for p in parts.dropFirst() { e = Expression(.getAttribute(e, name: p, nameRange: r), r) }
        return e
    }

    /// A quoted template mixing text and `${traversal}` interpolations, e.g.
    /// `template("arn:", "data.aws_partition.current.partition", ":ssm:*:*:parameter/", "var.prefix", "/*")`:
    /// even positions are text, odd ones interpolations.
    mutating func template(_ pieces: String...) -> Expression {
        let open = at("\"")
        var parts: [TemplatePart] = []
        for (k, piece) in pieces.enumerated() {
            if k % 2 == 0 {
                if piece.isEmpty { continue }
                let r = at(piece)
                parts.append(.literal(piece, r))
            } else {
                _ = at("${")
                parts.append(.interpolation(ref(piece)))
                _ = at("}")
            }
        }
        let close = at("\"")
        return Expression(.template(parts), open.union(close))
    }

    /// `{ key = value, … }` with bare keys.
    mutating func object(_ items: [(String, (inout HCLBuilder) -> Expression)]) -> Expression {
        let open = at("{")
        var built: [ObjectItem] = []
        for (key, value) in items {
            let k = at(key)
            _ = at("=")
            built.append(ObjectItem(key: Expression(.literal(.string(key)), k), bareKey: true, value: value(&self)))
        }
        let close = at("}")
        return Expression(.object(built), open.union(close))
    }

    mutating func call(_ name: String, _ argument: (inout HCLBuilder) -> Expression) -> Expression {
        let n = at(name)
        _ = at("(")
        let arg = argument(&self)
        let close = at(")")
        return Expression(.functionCall(name: name, nameRange: n, arguments: [arg], expandFinal: false), n.union(close))
    }

    /// `<<EOF … EOF` whose body holds `${traversal}` interpolations in order.
    mutating func heredoc(marker: String = "EOF", interpolations: [String] = []) -> Expression {
        let opener = at("<<\(marker)\n")
        var parts: [TemplatePart] = []
        var literalStart = cursor
        for path in interpolations {
            let dollar = at("${")
            if dollar.start.offset > literalStart {
                parts.append(.literal(file.text(from: literalStart, to: dollar.start.offset), file.range(from: literalStart, to: dollar.start.offset)))
            }
            parts.append(.interpolation(ref(path)))
            _ = at("}")
            literalStart = cursor
        }
        let closing = at("\n\(marker)")
        parts.append(.literal(file.text(from: literalStart, to: closing.start.offset + 1), file.range(from: literalStart, to: closing.start.offset + 1)))
        return Expression(.template(parts), opener.union(closing))
    }

    mutating func attribute(_ name: String, _ value: (inout HCLBuilder) -> Expression) -> BodyItem {
        let n = at(name)
        _ = at("=")
        let v = value(&self)
        return .attribute(Attribute(name: name, nameRange: n, expression: v, range: n.union(v.range)))
    }

    mutating func block(_ type: String, _ labels: [String] = [], _ content: (inout HCLBuilder) -> [BodyItem]) -> Block {
        let t = at(type)
        let ls = labels.map { label -> BlockLabel in BlockLabel(value: label, range: at("\"\(label)\""), quoted: true) }
        let open = at("{")
        let items = content(&self)
        let close = at("}")
        return Block(type: type, typeRange: t, labels: ls, body: Body(items: items, range: open.union(close)),
                     openBraceRange: open, closeBraceRange: close, range: t.union(close))
    }
}

/// An evaluator for tests: traversals from a table, literals and templates of literals as
/// themselves, everything else unknown.
func evaluator(_ values: [String: Value]) -> (Expression) -> Value {
    { e in
        if let path = e.traversalPath?.joined(separator: ".") { return values[path] ?? .unknown(path) }
        if let s = e.staticString { return .string(s, origin: e.range) }
        if case .literal(.number(let n)) = e.kind { return .number(n) }
        if case .literal(.bool(let b)) = e.kind { return .bool(b) }
        return .unknown("expression")
    }
}
