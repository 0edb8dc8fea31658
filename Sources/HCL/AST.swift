import AuditCore

// The HCL syntax tree. Both syntaxes (native `.tf`/`.hcl` and JSON `.tf.json`) produce it; every
// node carries the exact source range it was read from.

/// A parsed file: its body (possibly partial) and every problem found while reading it.
public struct HCLFile: Sendable {
    public var source: SourceFile
    public var body: Body
    public var diagnostics: [Diagnostic]

    public init(source: SourceFile, body: Body, diagnostics: [Diagnostic]) {
        self.source = source
        self.body = body
        self.diagnostics = diagnostics
    }
}

public struct Body: Sendable {
    public var items: [BodyItem]
    public var range: SourceRange

    public init(items: [BodyItem], range: SourceRange) {
        self.items = items
        self.range = range
    }

    public var attributes: [Attribute] {
        items.compactMap { if case .attribute(let a) = $0 { a } else { nil } }
    }

    public var blocks: [Block] {
        items.compactMap { if case .block(let b) = $0 { b } else { nil } }
    }

    /// The last attribute with this name (Terraform rejects duplicates; the parser reports them).
    /// Read from the items in place: building `attributes` first copied every attribute of the
    /// body for each name asked (1% of a monorepo's audit).
    public func attribute(_ name: String) -> Attribute? {
        for item in items.reversed() {
            if case .attribute(let a) = item, a.name == name { return a }
        }
        return nil
    }

    public func blocks(ofType type: String) -> [Block] { blocks.filter { $0.type == type } }
}

/// A body's arguments and blocks, in source order. A block is one reference (its fields are boxed),
/// so an item is the size of an attribute (128 bytes, not the 176 of a block's fields): bodies hold
/// far more attributes than blocks, and every body of every file stays parsed until the run ends.
public enum BodyItem: Sendable {
    case attribute(Attribute)
    case block(Block)

    public var range: SourceRange {
        switch self {
        case .attribute(let a): a.range
        case .block(let b): b.range
        }
    }
}

public struct Attribute: Sendable {
    public var name: String
    public var nameRange: SourceRange
    public var expression: Expression
    /// From the first byte of the name to the end of the expression.
    public var range: SourceRange

    public init(name: String, nameRange: SourceRange, expression: Expression, range: SourceRange) {
        self.name = name
        self.nameRange = nameRange
        self.expression = expression
        self.range = range
    }
}

public struct BlockLabel: Sendable, Hashable {
    public var value: String
    public var range: SourceRange
    public var quoted: Bool

    public init(value: String, range: SourceRange, quoted: Bool) {
        self.value = value
        self.range = range
        self.quoted = quoted
    }
}

public struct Block: Sendable {
    /// The fields live in a shared copy-on-write box: a block is one reference wherever it is
    /// copied (a module's variable, output and resource tables, module calls, rules' lists),
    /// instead of 176 bytes in each; copies never see each other's changes.
    private var storage: Shared<Fields>

    private struct Fields: Sendable {
        var type: String
        var typeRange: SourceRange
        var labels: [BlockLabel]
        var body: Body
        var openBraceRange: SourceRange
        var closeBraceRange: SourceRange
        var range: SourceRange
    }

    public var type: String {
        get { storage.fields.type }
        _modify { yield &storage.fields.type }
    }
    public var typeRange: SourceRange {
        get { storage.fields.typeRange }
        _modify { yield &storage.fields.typeRange }
    }
    public var labels: [BlockLabel] {
        get { storage.fields.labels }
        _modify { yield &storage.fields.labels }
    }
    public var body: Body {
        get { storage.fields.body }
        _modify { yield &storage.fields.body }
    }
    /// The `{` and `}` tokens (the closing brace range is empty when the block was never closed).
    public var openBraceRange: SourceRange {
        get { storage.fields.openBraceRange }
        _modify { yield &storage.fields.openBraceRange }
    }
    public var closeBraceRange: SourceRange {
        get { storage.fields.closeBraceRange }
        _modify { yield &storage.fields.closeBraceRange }
    }
    /// From the type keyword to the closing brace.
    public var range: SourceRange {
        get { storage.fields.range }
        _modify { yield &storage.fields.range }
    }

    public init(type: String, typeRange: SourceRange, labels: [BlockLabel], body: Body,
                openBraceRange: SourceRange, closeBraceRange: SourceRange, range: SourceRange) {
        storage = Shared(Fields(type: type, typeRange: typeRange, labels: labels, body: body,
                                openBraceRange: openBraceRange, closeBraceRange: closeBraceRange, range: range))
    }
}

/// An expression node: what it is and where it was written.
public struct Expression: Sendable {
    public var kind: ExpressionKind
    public var range: SourceRange

    public init(_ kind: ExpressionKind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

public enum UnaryOperator: String, Sendable, Hashable { case negate = "-", not = "!" }

public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
    case or = "||", and = "&&"
    case equal = "==", notEqual = "!="
    case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    case add = "+", subtract = "-"
    case multiply = "*", divide = "/", modulo = "%"

    /// HCL precedence: higher binds tighter.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        case .equal, .notEqual: 3
        case .greater, .greaterOrEqual, .less, .lessOrEqual: 4
        case .add, .subtract: 5
        case .multiply, .divide, .modulo: 6
        }
    }
}

public struct ObjectItem: Sendable {
    /// A bare identifier key is a `.literal(.string)` with `bareKey` set; `(expr)` and other
    /// expressions are evaluated.
    public var key: Expression
    public var bareKey: Bool
    public var value: Expression

    public init(key: Expression, bareKey: Bool, value: Expression) {
        self.key = key
        self.bareKey = bareKey
        self.value = value
    }
}

public struct ForExpression: Sendable {
    public var keyVariable: String?
    public var valueVariable: String
    public var collection: Expression
    /// Present for object-producing `{for ...}`.
    public var keyResult: Expression?
    public var valueResult: Expression
    public var condition: Expression?
    /// `...` after the value in an object `for` (group values by key).
    public var grouping: Bool

    public init(keyVariable: String?, valueVariable: String, collection: Expression, keyResult: Expression?,
                valueResult: Expression, condition: Expression?, grouping: Bool) {
        self.keyVariable = keyVariable
        self.valueVariable = valueVariable
        self.collection = collection
        self.keyResult = keyResult
        self.valueResult = valueResult
        self.condition = condition
        self.grouping = grouping
    }
}

/// One part of a template. The directives (rare) are boxed, so that a part is the size of an
/// interpolation (56 bytes) rather than of a `%{ for }` directive (120): every interpolated string
/// of every file is a list of these.
public enum TemplatePart: Sendable {
    /// Literal text after escapes (`$${` → `${`, `%%{` → `%{`) and strip markers are applied.
    case literal(String, SourceRange)
    case interpolation(Expression)
    indirect case conditional(condition: Expression, then: [TemplatePart], else: [TemplatePart], range: SourceRange)
    indirect case loop(keyVariable: String?, valueVariable: String, collection: Expression, body: [TemplatePart], range: SourceRange)
}

public enum Literal: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
}

// Only the cases holding an `Expression` (or a `ForExpression`, which holds several) are boxed:
// literals, variables, templates, tuples and objects sit inline, so a leaf costs no allocation.
public enum ExpressionKind: Sendable {
    case literal(Literal)
    /// A quoted string or heredoc. A template that is exactly one interpolation (`"${x}"`) yields
    /// x's value unchanged when evaluated.
    case template([TemplatePart])
    /// The root of a traversal: `var`, `local`, `each`, `path`, `module`, a resource type...
    case variable(String)
    /// `expr.name` (also the legacy index `expr.0`, which arrives as `.index` with a number literal).
    indirect case getAttribute(Expression, name: String, nameRange: SourceRange)
    /// `expr[key]`.
    indirect case index(Expression, key: Expression)
    /// `source[*].rest` and `source.*.rest`: `each` is evaluated for every element with `.splatItem`
    /// bound to that element.
    indirect case splat(source: Expression, each: Expression)
    /// The element placeholder inside a splat's `each`.
    case splatItem
    case tuple([Expression])
    case object([ObjectItem])
    indirect case functionCall(name: String, nameRange: SourceRange, arguments: [Expression], expandFinal: Bool)
    indirect case conditional(condition: Expression, then: Expression, else: Expression)
    indirect case unary(UnaryOperator, Expression)
    indirect case binary(BinaryOperator, Expression, Expression)
    indirect case forExpression(ForExpression)
    indirect case parenthesized(Expression)
    /// What the parser left where it could not read an expression (a diagnostic says why).
    case invalid
}

extension Expression {
    /// The dotted path of a static traversal such as `var.foo`, `local.a.b` or `module.x.y`; nil when
    /// the expression is not a plain traversal of attribute names (index keys that are string or number
    /// literals are included as their text).
    public var traversalPath: [String]? {
        switch kind {
        case .variable(let name): return [name]
        case .getAttribute(let base, let name, _):
            return base.traversalPath.map { $0 + [name] }
        case .index(let base, let key):
            guard let path = base.traversalPath else { return nil }
            switch key.kind {
            case .literal(.string(let s)): return path + [s]
            // As Terraform writes the number (a key beyond Int, `a.99999999999999999999`, trapped here).
            case .literal(.number(let n)): return path + [Value.format(n)]
            case .template(let parts):
                if parts.count == 1, case .literal(let s, _) = parts[0] { return path + [s] }
                return nil
            default: return nil
            }
        case .parenthesized(let e): return e.traversalPath
        default: return nil
        }
    }

    /// A string literal or a template with no interpolation: its text.
    public var staticString: String? {
        switch kind {
        case .literal(.string(let s)): return s
        case .template(let parts):
            var out = ""
            for p in parts {
                guard case .literal(let s, _) = p else { return nil }
                out += s
            }
            return out
        default: return nil
        }
    }
}
