import AuditCore

// The policy model every front end produces (policy JSON files and templates, HCL
// `aws_iam_policy_document` blocks and `jsonencode` policies, later live AWS documents). Every
// element keeps the range of the token it was read from so findings point at that token.

/// Where a policy document came from. Evaluation never looks at it; findings and notes do.
public enum PolicyOrigin: Sendable, Hashable, CustomStringConvertible {
    /// A policy file (JSON or a Terraform template of JSON), path relative to the scan root.
    case file(String)
    /// A Terraform object: `data.aws_iam_policy_document.boundary`, `aws_iam_policy.deploy`.
    case terraform(String)
    /// A document fetched from an AWS account (ARN or name).
    case aws(String)
    /// Built by the audit itself, e.g. what the module grants a role at a release.
    case synthesized(String)

    public var description: String {
        switch self {
        case .file(let p): p
        case .terraform(let a): a
        case .aws(let a): a
        case .synthesized(let s): s
        }
    }
}

/// A value and where it was written.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var range: SourceRange?

    public init(_ value: Value, range: SourceRange?) {
        self.value = value
        self.range = range
    }
}

public enum PolicyEffect: String, Sendable, Hashable, CaseIterable {
    case allow = "Allow"
    case deny = "Deny"
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: which of the two was written, its patterns and
/// the key's range.
public struct PatternList: Sendable, Hashable {
    /// True for `NotAction`/`NotResource`: the statement applies to everything the patterns do
    /// not match.
    public var negated: Bool
    public var patterns: [PolicyPattern]
    /// The range of the key (`"Action"`, `actions =`).
    public var keyRange: SourceRange?

    public init(negated: Bool = false, patterns: [PolicyPattern], keyRange: SourceRange? = nil) {
        self.negated = negated
        self.patterns = patterns
        self.keyRange = keyRange
    }
}

/// `Principal`/`NotPrincipal` entries: `{"AWS": [...]}`, `{"Service": ...}`, or `"*"` (type `*`).
public struct PolicyPrincipal: Sendable, Hashable {
    public var type: Located<String>
    public var identifiers: [PolicyPattern]

    public init(type: Located<String>, identifiers: [PolicyPattern]) {
        self.type = type
        self.identifiers = identifiers
    }
}

/// A condition operator such as `StringEquals`, `ForAllValues:StringLike` or `ArnLikeIfExists`.
public struct ConditionOperator: Sendable, Hashable, CustomStringConvertible {
    public enum SetQualifier: String, Sendable, Hashable {
        case forAllValues = "ForAllValues"
        case forAnyValue = "ForAnyValue"
    }

    /// As written.
    public var text: String
    public var qualifier: SetQualifier?
    /// The operator without qualifier and `IfExists` suffix, e.g. `StringLike`.
    public var base: String
    public var ifExists: Bool

    public init(_ text: String) {
        self.text = text
        var rest = Substring(text)
        qualifier = nil
        for q in [SetQualifier.forAllValues, .forAnyValue] where rest.hasPrefix(q.rawValue + ":") {
            qualifier = q
            rest = rest.dropFirst(q.rawValue.count + 1)
        }
        ifExists = rest.hasSuffix("IfExists") && rest != "IfExists"
        if ifExists { rest = rest.dropLast("IfExists".count) }
        base = String(rest)
    }

    public var description: String { text }

    /// The base operators AWS defines.
    public static let knownBases: [String] = [
        "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "BinaryEquals", "Bool",
        "DateEquals", "DateGreaterThan", "DateGreaterThanEquals", "DateLessThan", "DateLessThanEquals", "DateNotEquals",
        "IpAddress", "NotIpAddress", "Null",
        "NumericEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "NumericLessThan", "NumericLessThanEquals", "NumericNotEquals",
        "StringEquals", "StringEqualsIgnoreCase", "StringLike", "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike",
    ]
}

/// One `operator → key → values` entry of a `Condition` block (or one HCL `condition` block).
public struct PolicyCondition: Sendable, Hashable, CustomStringConvertible {
    public var op: ConditionOperator
    public var operatorRange: SourceRange?
    /// Condition keys are case-insensitive; this is the key as written.
    public var key: String
    public var keyRange: SourceRange?
    public var values: [PolicyPattern]
    /// From the operator (or key) to the end of the values.
    public var range: SourceRange?

    public init(op: ConditionOperator, operatorRange: SourceRange? = nil, key: String, keyRange: SourceRange? = nil,
                values: [PolicyPattern], range: SourceRange? = nil) {
        self.op = op
        self.operatorRange = operatorRange
        self.key = key
        self.keyRange = keyRange
        self.values = values
        self.range = range
    }

    public static func == (a: PolicyCondition, b: PolicyCondition) -> Bool {
        a.op.text == b.op.text && a.key.lowercased() == b.key.lowercased() && a.values == b.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(op.text)
        hasher.combine(key.lowercased())
        hasher.combine(values)
    }

    /// `StringEquals aws:ARN = "${ec2:SourceInstanceARN}"` style, for messages.
    public var description: String {
        let vals = values.map { "\"\($0.text)\"" }
        return "\(op.text) `\(key)` " + (vals.count == 1 ? vals[0] : "[" + vals.joined(separator: ", ") + "]")
    }
}

public struct PolicyStatement: Sendable, Hashable {
    public var sid: Located<String>?
    /// Nil when the effect is missing, invalid or unknown (a diagnostic says which).
    public var effect: PolicyEffect?
    /// The effect's value token (HCL: nil when the default `Allow` applies).
    public var effectRange: SourceRange?
    /// `Action` or `NotAction`; nil when missing.
    public var actions: PatternList?
    /// `Resource` or `NotResource`; nil when missing (trust policies have none).
    public var resources: PatternList?
    public var principals: [PolicyPrincipal]
    public var notPrincipals: [PolicyPrincipal]
    public var conditions: [PolicyCondition]
    /// The whole statement (JSON object or HCL block).
    public var range: SourceRange?
    /// Set when the statement exists only under a template condition, e.g. `kms_key_arn != ""`
    /// for a statement inside `%{ if kms_key_arn != "" }…%{ endif }`.
    public var templateCondition: String?

    public init(sid: Located<String>? = nil, effect: PolicyEffect?, effectRange: SourceRange? = nil,
                actions: PatternList?, resources: PatternList?, principals: [PolicyPrincipal] = [],
                notPrincipals: [PolicyPrincipal] = [], conditions: [PolicyCondition] = [],
                range: SourceRange? = nil, templateCondition: String? = nil) {
        self.sid = sid
        self.effect = effect
        self.effectRange = effectRange
        self.actions = actions
        self.resources = resources
        self.principals = principals
        self.notPrincipals = notPrincipals
        self.conditions = conditions
        self.range = range
        self.templateCondition = templateCondition
    }

    /// The statement's best location: its range, else its first action token.
    public var location: SourceRange? {
        range ?? actions?.keyRange ?? actions?.patterns.first?.range
    }
}

/// A part of a document that could not be read statically (a `dynamic "statement"` block, a
/// `source_policy_documents` entry the caller could not resolve...). Evaluation takes it into
/// account: when nothing known allows a request, the answer is `unknown`, not "not allowed".
public struct UnknownPolicyPart: Sendable, Hashable {
    public var reason: String
    public var range: SourceRange?

    public init(_ reason: String, range: SourceRange?) {
        self.reason = reason
        self.range = range
    }
}

public struct PolicyDocument: Sendable, Hashable {
    /// `Version` value and range; nil when absent.
    public var version: Located<String>?
    public var statements: [PolicyStatement]
    public var unknownParts: [UnknownPolicyPart]
    /// The whole document.
    public var range: SourceRange?
    public var origin: PolicyOrigin

    public init(version: Located<String>? = nil, statements: [PolicyStatement], unknownParts: [UnknownPolicyPart] = [],
                range: SourceRange? = nil, origin: PolicyOrigin) {
        self.version = version
        self.statements = statements
        self.unknownParts = unknownParts
        self.range = range
        self.origin = origin
    }

    /// True when every part of the document could be read.
    public var isComplete: Bool { unknownParts.isEmpty }

    /// The document with unknown parts named in `values` replaced by their text (a caller that
    /// evaluated a template's placeholders binds them here).
    public func binding(_ values: [String: String]) -> PolicyDocument {
        guard !values.isEmpty else { return self }
        var copy = self
        func bind(_ list: PatternList?) -> PatternList? {
            list.map { PatternList(negated: $0.negated, patterns: $0.patterns.map { $0.binding(values) }, keyRange: $0.keyRange) }
        }
        copy.statements = statements.map { s in
            var s = s
            s.actions = bind(s.actions)
            s.resources = bind(s.resources)
            s.principals = s.principals.map { PolicyPrincipal(type: $0.type, identifiers: $0.identifiers.map { $0.binding(values) }) }
            s.notPrincipals = s.notPrincipals.map { PolicyPrincipal(type: $0.type, identifiers: $0.identifiers.map { $0.binding(values) }) }
            s.conditions = s.conditions.map { c in
                var c = c
                c.values = c.values.map { $0.binding(values) }
                return c
            }
            return s
        }
        return copy
    }
}

/// What a front end returns: the document it could read (possibly partial) and every problem found.
public struct PolicyParseResult: Sendable {
    public var document: PolicyDocument?
    public var diagnostics: [Diagnostic]

    public init(document: PolicyDocument?, diagnostics: [Diagnostic]) {
        self.document = document
        self.diagnostics = diagnostics
    }
}
