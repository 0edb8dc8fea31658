import AuditCore
import HCL

/// A variable's `type` constraint, as far as the audit needs it: enough to convert a given value the
/// way Terraform does before the module sees it. Terraform fills optional object attributes (with
/// their default or null), drops attributes the object type does not declare, and converts
/// primitives (`"true"` to a bool where a bool is expected). Without this, `var.x.attr` of an
/// optional attribute the caller left out would look like a reference to a missing attribute.
public indirect enum TypeConstraint: Sendable {
    case any
    case string
    case number
    case bool
    case list(TypeConstraint)
    case set(TypeConstraint)
    case map(TypeConstraint)
    case tuple([TypeConstraint])
    case object([String: ObjectAttribute])

    /// One attribute of an `object({...})` type.
    public struct ObjectAttribute: Sendable {
        public var type: TypeConstraint
        public var optional: Bool
        /// The second argument of `optional(type, default)`.
        public var defaultValue: Expression?
    }

    /// Reads a type expression; nil when it is not a type expression ghr-audit can read (the value
    /// is then used as given).
    public init?(_ e: Expression) {
        switch e.kind {
        case .variable(let name):
            switch name {
            case "any": self = .any
            case "string": self = .string
            case "number": self = .number
            case "bool": self = .bool
            // Bare collection keywords are shorthand for their `any` element type.
            case "list": self = .list(.any)
            case "set": self = .set(.any)
            case "map": self = .map(.any)
            default: return nil
            }
        case .parenthesized(let inner):
            self.init(inner)
        case .functionCall(let name, _, let args, _):
            switch name {
            case "list", "set", "map":
                guard args.count == 1, let element = TypeConstraint(args[0]) else { return nil }
                self = name == "list" ? .list(element) : (name == "set" ? .set(element) : .map(element))
            case "tuple":
                guard args.count == 1, case .tuple(let items) = args[0].kind else { return nil }
                var types: [TypeConstraint] = []
                for item in items {
                    guard let t = TypeConstraint(item) else { return nil }
                    types.append(t)
                }
                self = .tuple(types)
            case "object":
                guard args.count == 1, case .object(let items) = args[0].kind else { return nil }
                var attributes: [String: ObjectAttribute] = [:]
                for item in items {
                    guard let key = item.key.staticString ?? item.key.traversalPath.flatMap({ $0.count == 1 ? $0[0] : nil }),
                          let attribute = Self.attribute(item.value) else { return nil }
                    attributes[key] = attribute
                }
                self = .object(attributes)
            default:
                return nil
            }
        default:
            return nil
        }
    }

    private static func attribute(_ e: Expression) -> ObjectAttribute? {
        if case .functionCall("optional", _, let args, _) = e.kind {
            guard (1...2).contains(args.count), let type = TypeConstraint(args[0]) else { return nil }
            return ObjectAttribute(type: type, optional: true, defaultValue: args.count == 2 ? args[1] : nil)
        }
        return TypeConstraint(e).map { ObjectAttribute(type: $0, optional: false, defaultValue: nil) }
    }

    /// `value` converted to this type, as Terraform converts a variable's value. Leaves keep their
    /// origin; a default filled in for an optional attribute has the default's place in the type as
    /// its origin. Values that do not convert are left as they are: the audit reports no type errors.
    /// `evaluateDefault` evaluates the constant default of an `optional(type, default)`.
    public func convert(_ value: Value, evaluateDefault: (Expression) -> Value) -> Value {
        if value.isUnknown || value.isNull { return value }
        switch self {
        case .any:
            return value
        case .string:
            guard let text = value.asString, value.stringValue == nil else { return value }
            return Value(.string(text), origin: value.origin)
        case .number:
            guard case .string(let s) = value.kind, let n = Double(s) else { return value }
            return Value(.number(n), origin: value.origin)
        case .bool:
            guard case .string(let s) = value.kind, s == "true" || s == "false" else { return value }
            return Value(.bool(s == "true"), origin: value.origin)
        case .list(let element):
            guard let items = value.listValue else { return value }
            return Value(.list(items.map { element.convert($0, evaluateDefault: evaluateDefault) }), origin: value.origin)
        case .set(let element):
            // A set holds each element once, in Terraform's order (strings and numbers sorted).
            guard let items = value.listValue else { return value }
            var distinct: [Value] = []
            for item in items.map({ element.convert($0, evaluateDefault: evaluateDefault) }) where !distinct.contains(item) { distinct.append(item) }
            if distinct.allSatisfy({ $0.stringValue != nil }) {
                distinct.sort { $0.stringValue! < $1.stringValue! }
            } else if distinct.allSatisfy({ if case .number = $0.kind { true } else { false } }) {
                distinct.sort { $0.numberValue! < $1.numberValue! }
            }
            return Value(.list(distinct), origin: value.origin)
        case .tuple(let types):
            guard let items = value.listValue, items.count == types.count else { return value }
            return Value(.list(zip(items, types).map { $1.convert($0, evaluateDefault: evaluateDefault) }), origin: value.origin)
        case .map(let element):
            guard let fields = value.objectValue else { return value }
            return Value(.object(fields.mapValues { element.convert($0, evaluateDefault: evaluateDefault) }), origin: value.origin)
        case .object(let attributes):
            guard let fields = value.objectValue else { return value }
            var result: [String: Value] = [:]
            for (name, attribute) in attributes {
                if let given = fields[name], !(given.isNull && attribute.optional && attribute.defaultValue != nil) {
                    result[name] = attribute.type.convert(given, evaluateDefault: evaluateDefault)
                } else if attribute.optional {
                    // Terraform fills an omitted (or null) optional attribute with its default, itself
                    // converted (so nested optional attributes get their defaults too), else null.
                    if let def = attribute.defaultValue {
                        var filled = attribute.type.convert(evaluateDefault(def), evaluateDefault: evaluateDefault)
                        if filled.origin == nil { filled.origin = def.range }
                        result[name] = filled
                    } else {
                        result[name] = Value(.null, origin: nil)
                    }
                }
                // A required attribute that is missing stays missing (Terraform rejects the value).
            }
            // Attributes the type does not declare are dropped, as Terraform drops them.
            return Value(.object(result), origin: value.origin)
        }
    }
}

extension TypeConstraint {
    /// The required object attributes `value` leaves out, as paths (`key_base64`,
    /// `[0].cron`, `["small"].id`): Terraform rejects such a value ("attribute ... is required").
    /// Only what is known counts: an unknown value or collection is missing nothing.
    public func missingAttributes(in value: Value) -> [String] {
        // Almost every value lacks nothing: that is found without sorting any keys or building
        // any path (a multi-runner map of a thousand fleets was sorted at every level).
        lacksAttributes(value) ? paths(missingIn: value) : []
    }

    /// Whether `value` leaves out a required attribute anywhere: what `missingAttributes` finds,
    /// without the paths.
    private func lacksAttributes(_ value: Value) -> Bool {
        if value.isUnknown || value.isNull { return false }
        switch self {
        case .any, .string, .number, .bool:
            return false
        case .list(let element), .set(let element):
            return value.listValue?.contains { element.lacksAttributes($0) } ?? false
        case .tuple(let types):
            guard let items = value.listValue, items.count == types.count else { return false }
            return zip(items, types).contains { $0.1.lacksAttributes($0.0) }
        case .map(let element):
            return value.objectValue?.values.contains { element.lacksAttributes($0) } ?? false
        case .object(let attributes):
            guard let fields = value.objectValue else { return false }
            return attributes.contains { name, attribute in
                if let given = fields[name] { return attribute.type.lacksAttributes(given) }
                return !attribute.optional
            }
        }
    }

    private func paths(missingIn value: Value) -> [String] {
        if value.isUnknown || value.isNull { return [] }
        switch self {
        case .any, .string, .number, .bool:
            return []
        case .list(let element), .set(let element):
            guard let items = value.listValue else { return [] }
            return items.enumerated().flatMap { i, item in element.paths(missingIn: item).map { "[\(i)]" + Self.joined($0) } }
        case .tuple(let types):
            guard let items = value.listValue, items.count == types.count else { return [] }
            return zip(items, types).enumerated().flatMap { i, pair in pair.1.paths(missingIn: pair.0).map { "[\(i)]" + Self.joined($0) } }
        case .map(let element):
            guard let fields = value.objectValue else { return [] }
            return fields.keys.sorted().flatMap { k in element.paths(missingIn: fields[k]!).map { "[\"\(k)\"]" + Self.joined($0) } }
        case .object(let attributes):
            guard let fields = value.objectValue else { return [] }
            var out: [String] = []
            for name in attributes.keys.sorted() {
                let attribute = attributes[name]!
                if let given = fields[name] {
                    out += attribute.type.paths(missingIn: given).map { name + Self.joined($0) }
                } else if !attribute.optional {
                    out.append(name)
                }
            }
            return out
        }
    }

    private static func joined(_ rest: String) -> String { rest.hasPrefix("[") ? rest : "." + rest }
}

extension VariableDeclaration {
    /// `nullable` (true unless written `nullable = false`): whether a null given to the variable
    /// stays null, or is replaced by the default.
    public var isNullable: Bool {
        guard let e = block.body.attribute("nullable")?.expression else { return true }
        let (v, _) = Evaluator.evaluate(e, in: EvalContext(variables: [:], fileSystem: MemoryFileSystem(data: [:]), moduleDirectory: ""))
        if case .bool(let b) = v.kind { return b }
        return true
    }

    /// The `type` expression.
    public var typeExpression: Expression? { block.body.attribute("type")?.expression }

    /// The declared type, when it is one ghr-audit can read.
    public var typeConstraint: TypeConstraint? { typeExpression.flatMap(TypeConstraint.init) }
}

extension TypeConstraint {
    /// Reads a type expression written as HCL source (the knowledge base's `type` texts, stored in
    /// normal form on one line). Nil when the text does not parse or is not a type expression
    /// ghr-audit can read.
    public init?(source text: String) {
        let (e, diagnostics) = HCLParser.parseExpression(SourceFile(path: "type", text: text))
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return nil }
        self.init(e)
    }
}
