import AuditCore

/// A Terraform value with an explicit unknown. Every value remembers where it was written
/// (`origin`), so a rule can point at the YAML line or tfvars entry a fleet input came from.
/// Equality ignores origins.
public struct Value: Sendable, Hashable, CustomStringConvertible {
    public indirect enum Kind: Sendable, Hashable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        /// Tuples, lists and sets.
        case list([Value])
        /// Objects and maps (Terraform iterates them in key order).
        case object([String: Value])
        /// Cannot be known statically. The reason names what it depends on (`aws_iam_policy.x.arn`).
        case unknown(reason: String)
    }

    public var kind: Kind
    public var origin: SourceRange?
    /// For an unknown built by a `for` over an unknown collection: what every element looks like
    /// (the body evaluated once with the iteration variables unknown). Not part of equality.
    public var template: ForTemplate?

    public init(_ kind: Kind, origin: SourceRange? = nil, template: ForTemplate? = nil) {
        self.kind = kind
        self.origin = origin
        self.template = template
    }

    /// The same value written elsewhere (its template kept).
    public func relocated(to origin: SourceRange?) -> Value {
        var v = self
        v.origin = origin
        return v
    }

    public static func == (a: Value, b: Value) -> Bool { a.kind == b.kind }
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }

    public static let null = Value(.null)
    public static func unknown(_ reason: String, origin: SourceRange? = nil) -> Value { Value(.unknown(reason: reason), origin: origin) }
    public static func string(_ s: String, origin: SourceRange? = nil) -> Value { Value(.string(s), origin: origin) }
    public static func bool(_ b: Bool, origin: SourceRange? = nil) -> Value { Value(.bool(b), origin: origin) }
    public static func number(_ n: Double, origin: SourceRange? = nil) -> Value { Value(.number(n), origin: origin) }
    public static func list(_ l: [Value], origin: SourceRange? = nil) -> Value { Value(.list(l), origin: origin) }
    public static func object(_ o: [String: Value], origin: SourceRange? = nil) -> Value { Value(.object(o), origin: origin) }

    public var isUnknown: Bool { if case .unknown = kind { true } else { false } }
    public var isNull: Bool { if case .null = kind { true } else { false } }
    /// A known number or bool.
    public var isPrimitiveNonString: Bool {
        switch kind {
        case .number, .bool: true
        default: false
        }
    }

    /// True when this value or anything inside it is unknown.
    public var containsUnknown: Bool {
        switch kind {
        case .unknown: true
        case .list(let l): l.contains { $0.containsUnknown }
        case .object(let o): o.values.contains { $0.containsUnknown }
        default: false
        }
    }

    public var stringValue: String? { if case .string(let s) = kind { s } else { nil } }
    public var boolValue: Bool? {
        switch kind {
        case .bool(let b): b
        // Terraform converts "true"/"false" strings where a bool is expected.
        case .string("true"): true
        case .string("false"): false
        default: nil
        }
    }
    public var numberValue: Double? {
        switch kind {
        case .number(let n): n
        case .string(let s): Double(s)
        default: nil
        }
    }
    public var listValue: [Value]? { if case .list(let l) = kind { l } else { nil } }
    public var objectValue: [String: Value]? { if case .object(let o) = kind { o } else { nil } }

    /// Attribute or key lookup on an object; nil when absent or not an object.
    public subscript(key: String) -> Value? { objectValue?[key] }

    /// Terraform's string conversion of primitives (numbers without a trailing `.0`).
    public var asString: String? {
        switch kind {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number(let n): Value.format(n)
        default: nil
        }
    }

    public static func format(_ n: Double) -> String {
        if n.rounded() == n, abs(n) < 1e15 { return String(Int64(n)) }
        return String(n)
    }

    public var description: String {
        switch kind {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): Value.format(n)
        case .string(let s): "\"\(s)\""
        case .list(let l): "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .object(let o): "{" + o.keys.sorted().map { "\($0) = \(o[$0]!.description)" }.joined(separator: ", ") + "}"
        case .unknown(let reason): "(unknown: \(reason))"
        }
    }
}

/// The shape of the elements of a collection built by a `for` whose source collection is unknown
/// (`{ for k, v in var.specs : k => { ... } }` with `var.specs` unset): the element as the body
/// gives it with the iteration variables unknown, so what the body writes literally is known for
/// every element.
public final class ForTemplate: Sendable {
    /// The body's value (the `=>` value of an object `for`, the value of a list `for`).
    public let element: Value
    /// Where the `for`'s collection is written (`var.specs` in `for k, v in var.specs`).
    public let collectionRange: SourceRange
    /// Why the collection is unknown.
    public let reason: String
    /// Where the body is written.
    public let bodyRange: SourceRange
    /// An object-producing `{for ...}`.
    public let isObject: Bool

    public init(element: Value, collectionRange: SourceRange, reason: String, bodyRange: SourceRange, isObject: Bool) {
        self.element = element
        self.collectionRange = collectionRange
        self.reason = reason
        self.bodyRange = bodyRange
        self.isObject = isObject
    }
}
