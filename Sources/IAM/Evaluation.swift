import AuditCore

// AWS's evaluation logic for one principal: identity policies plus an optional permission
// boundary. An explicit Deny in any of them wins; otherwise the request is allowed only when every
// layer (the identity policies, and the boundary when there is one) has an Allow that applies.
// Statements whose match depends on unknown parts make the answer `unknown`; statements whose
// conditions cannot be decided make it `conditional`. Nothing is guessed.

/// What is asked: an action on a resource, with what is known about the request.
public struct AccessRequest: Sendable, Hashable {
    /// A concrete action (`ssm:GetParameter`) or a pattern the caller needs in full (`kms:ReEncrypt*`).
    public var action: PolicyPattern
    /// A resource ARN or ARN pattern (`*`, `arn:${partition}:ssm:…:parameter/x/*`).
    public var resource: PolicyPattern
    public var context: RequestContext

    public init(action: PolicyPattern, resource: PolicyPattern, context: RequestContext = RequestContext()) {
        self.action = action
        self.resource = resource
        self.context = context
    }

    public init(action: String, resource: String, context: RequestContext = RequestContext()) {
        self.init(action: PolicyPattern(action), resource: PolicyPattern(resource, syntax: .terraformTemplate), context: context)
    }
}

/// What is known about the request context. Condition keys are case-insensitive.
public struct RequestContext: Sendable, Hashable {
    /// Known values of condition keys.
    public var values: [String: [String]]
    /// Keys known to be absent from the request.
    public var absent: Set<String>
    /// Conditions the request is known to satisfy even though the values are not known here. The
    /// gap analysis puts the module's own grant conditions here: the module makes the request only
    /// when they hold, so a boundary with the very same condition lets it through.
    public var satisfied: [PolicyCondition]

    public init(values: [String: [String]] = [:], absent: Set<String> = [], satisfied: [PolicyCondition] = []) {
        self.values = Dictionary(values.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.absent = Set(absent.map { $0.lowercased() })
        self.satisfied = satisfied
    }

    public func values(of key: String) -> [String]? { values[key.lowercased()] }
    public func isAbsent(_ key: String) -> Bool { absent.contains(key.lowercased()) }

    /// Single values, for substituting policy variables such as `${aws:username}`.
    var variables: [String: String] {
        Dictionary(values.compactMap { $0.value.count == 1 ? ($0.key, $0.value[0]) : nil }, uniquingKeysWith: { a, _ in a })
    }
}

/// Which set of policies a statement belongs to.
public enum PolicyLayer: String, Sendable, Hashable, CustomStringConvertible {
    /// The role's identity policies (inline, attached, or the module's own).
    case identity
    /// The role's permission boundary.
    case permissionBoundary

    public var description: String {
        switch self {
        case .identity: "the identity policies"
        case .permissionBoundary: "the permission boundary"
        }
    }
}

/// A statement that took part in a decision, with enough to point at it.
public struct StatementReference: Sendable, Hashable {
    public var layer: PolicyLayer
    public var origin: PolicyOrigin
    /// Index of the statement in its document.
    public var index: Int
    public var statement: PolicyStatement

    public init(layer: PolicyLayer, origin: PolicyOrigin, index: Int, statement: PolicyStatement) {
        self.layer = layer
        self.origin = origin
        self.index = index
        self.statement = statement
    }

    /// `Sid` when it has one, else its position: for messages.
    public var name: String {
        if let sid = statement.sid?.value, !sid.isEmpty { return "`\(sid)`" }
        return "statement \(index + 1) of \(origin)"
    }
}

/// A condition that decides whether the request goes through.
public struct ConditionalGrant: Sendable, Hashable {
    public var statement: StatementReference
    /// The conditions that could not be decided.
    public var conditions: [PolicyCondition]
    /// `.allow`: the request is allowed only if the conditions hold. `.deny`: it is denied if they
    /// hold (so allowed only unless they do).
    public var effect: PolicyEffect

    public init(statement: StatementReference, conditions: [PolicyCondition], effect: PolicyEffect) {
        self.statement = statement
        self.conditions = conditions
        self.effect = effect
    }
}

public enum Decision: Sendable, Hashable {
    /// Every layer allows the request and nothing denies it.
    case allowed(by: [StatementReference])
    /// An explicit Deny applies.
    case denied(by: StatementReference)
    /// Otherwise allowed, but an explicit Deny covers part of the request's resources (a Deny on `parameter/x/runners/config/*` for a need on `parameter/x/*`): requests there fail.
    case partlyDenied(by: StatementReference)
    /// No statement of `layer` allows it (an implicit deny). `closest` are the statements of that
    /// layer that come nearest (the right action on other resources, or the same service).
    case notAllowed(layer: PolicyLayer, closest: [StatementReference])
    /// Allowed only if these conditions hold (for `.allow` grants) and do not hold (for `.deny`).
    case conditional([ConditionalGrant])
    /// The answer depends on parts not known statically.
    case unknown(reason: String, statements: [StatementReference])

    /// The statements that decided the answer, for related notes.
    public var statements: [StatementReference] {
        switch self {
        case .allowed(let s): s
        case .denied(let s), .partlyDenied(let s): [s]
        case .notAllowed(_, let s): s
        case .conditional(let g): g.map(\.statement)
        case .unknown(_, let s): s
        }
    }

    public var isAllowed: Bool { if case .allowed = self { true } else { false } }
}

public struct PolicyEvaluator: Sendable {
    public var identity: [PolicyDocument]
    public var boundary: PolicyDocument?
    /// Values for unknown parts of the policies (Terraform placeholders such as `aws_partition`,
    /// `account_id`) when the caller knows them.
    public var bindings: [String: String]

    public init(identity: [PolicyDocument], boundary: PolicyDocument? = nil, bindings: [String: String] = [:]) {
        self.identity = identity
        self.boundary = boundary
        self.bindings = bindings
    }

    public func decide(_ request: AccessRequest) -> Decision {
        let request = AccessRequest(action: request.action.binding(bindings), resource: request.resource.binding(bindings),
                                    context: request.context)
        var layers: [(PolicyLayer, [PolicyDocument])] = [(.identity, identity)]
        if let boundary { layers.append((.permissionBoundary, [boundary])) }

        var unknownReasons: [String] = []
        var unknownStatements: [StatementReference] = []
        var pending: [ConditionalGrant] = []
        var partial: StatementReference?

        // 1. Explicit denies, in every layer.
        for (layer, docs) in layers {
            for (doc, index, statement) in Self.statements(docs) where statement.effect == .deny {
                let ref = StatementReference(layer: layer, origin: doc.origin, index: index, statement: statement)
                switch outcome(statement, request, effect: .deny) {
                case .applies:
                    // A Deny that touches only part of what is asked does not deny all of it.
                    if covers(statement, request) { return .denied(by: ref) }
                    partial = partial ?? ref
                case .conditional(let c): pending.append(ConditionalGrant(statement: ref, conditions: c, effect: .deny))
                case .unknown(let deps):
                    unknownReasons.append("whether \(ref.name) denies it depends on \(Self.describe(deps))")
                    unknownStatements.append(ref)
                case .doesNotApply: break
                }
            }
        }

        // 2. An allow in every layer.
        var allowing: [StatementReference] = []
        for (layer, docs) in layers {
            var best: [StatementReference] = []
            var layerConditional: [ConditionalGrant] = []
            var layerUnknown: [(StatementReference, [String])] = []
            for (doc, index, statement) in Self.statements(docs) where statement.effect == .allow {
                let ref = StatementReference(layer: layer, origin: doc.origin, index: index, statement: statement)
                switch outcome(statement, request, effect: .allow) {
                case .applies: best.append(ref)
                case .conditional(let c): layerConditional.append(ConditionalGrant(statement: ref, conditions: c, effect: .allow))
                case .unknown(let deps): layerUnknown.append((ref, deps))
                case .doesNotApply: break
                }
            }
            if let first = best.first {
                allowing.append(first)
                continue
            }
            if !layerConditional.isEmpty {
                pending += layerConditional
                continue
            }
            if !layerUnknown.isEmpty {
                for (ref, deps) in layerUnknown {
                    unknownReasons.append("whether \(ref.name) allows it depends on \(Self.describe(deps))")
                    unknownStatements.append(ref)
                }
                continue
            }
            let gaps = docs.flatMap(\.unknownParts)
            if !gaps.isEmpty {
                unknownReasons.append("no statement of \(layer) that could be read allows it, and \(gaps.count == 1 ? "one part" : "\(gaps.count) parts") could not be read (\(gaps.map(\.reason).joined(separator: "; ")))")
                continue
            }
            return .notAllowed(layer: layer, closest: closest(docs, layer: layer, request))
        }

        if !unknownReasons.isEmpty {
            return .unknown(reason: unknownReasons.joined(separator: "; "), statements: unknownStatements)
        }
        if !pending.isEmpty { return .conditional(pending) }
        if let partial { return .partlyDenied(by: partial) }
        return .allowed(by: allowing)
    }

    /// Whether a Deny's resources take in every resource of the request. Actions are asked for in
    /// full (a Deny of one action of `kms:ReEncrypt*` denies the need), but a resource pattern is
    /// the range the module may touch: a Deny of part of it denies only that part.
    func covers(_ s: PolicyStatement, _ r: AccessRequest) -> Bool {
        guard let resources = s.resources else { return false }
        if listMatch(resources, r.resource, forDeny: false, r.context, cover: PatternMatch.resourceCovers, overlap: PatternMatch.resourceOverlaps).truth == .yes {
            return true
        }
        // A Deny of every resource of a type (`arn:aws:ec2:*:*:instance/*`) takes in every request
        // of the action's service on that type, however the need writes its resource (often `*`):
        // the action only ever acts on resources of its own types, so nothing is left allowed.
        guard !resources.negated, let service = Self.service(of: r.action) else { return false }
        return resources.patterns.contains { Self.isWholeType($0, service: service) }
    }

    /// The service prefix of an action (`ec2` of `ec2:TerminateInstances`), when written literally.
    static func service(of action: PolicyPattern) -> String? {
        guard case .literal(let text)? = action.pieces.first, let colon = text.firstIndex(of: ":") else { return nil }
        return String(text[..<colon]).lowercased()
    }

    /// `arn:<partition>:<service>:*:*:<type>/*` (or `<type>:*`, or `*` as the resource part): every
    /// resource of a type, in every region and account. The partition may be a placeholder.
    static func isWholeType(_ pattern: PolicyPattern, service: String) -> Bool {
        let parts = pattern.text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "arn", parts[2].lowercased() == service,
              parts[3] == "*", parts[4] == "*" else { return false }
        let resource = parts[5]
        if resource == "*" { return true }
        for separator in ["/", ":"] where resource.hasSuffix(separator + "*") {
            let type = resource.dropLast(2)
            if !type.isEmpty, !type.contains("*"), !type.contains("?"), !type.contains("/"), !type.contains("$") { return true }
        }
        return false
    }

    // MARK: Statements

    enum Outcome: Equatable {
        case applies
        case conditional([PolicyCondition])
        case unknown([String])
        case doesNotApply
    }

    private static func statements(_ docs: [PolicyDocument]) -> [(PolicyDocument, Int, PolicyStatement)] {
        docs.flatMap { doc in doc.statements.enumerated().map { (doc, $0.offset, $0.element) } }
    }

    private static func describe(_ deps: [String]) -> String {
        deps.isEmpty ? "parts not known statically" : Wording.quotedList(deps, conjunction: "and")
    }

    private func bound(_ p: PolicyPattern, _ context: RequestContext) -> PolicyPattern {
        p.binding(bindings, variables: context.variables)
    }

    /// Does the statement apply to the whole request (Allow) or to any part of it (Deny)?
    func outcome(_ s: PolicyStatement, _ r: AccessRequest, effect: PolicyEffect) -> Outcome {
        guard let actions = s.actions, let resources = s.resources else { return .doesNotApply }
        let forDeny = effect == .deny
        let a = listMatch(actions, r.action, forDeny: forDeny, r.context, cover: PatternMatch.actionCovers, overlap: PatternMatch.actionOverlaps)
        if a.truth == .no { return .doesNotApply }
        let res = listMatch(resources, r.resource, forDeny: forDeny, r.context, cover: PatternMatch.resourceCovers, overlap: PatternMatch.resourceOverlaps)
        if res.truth == .no { return .doesNotApply }
        let c = ConditionEvaluator(context: r.context, bindings: bindings).evaluate(s.conditions)
        if c.truth == .no { return .doesNotApply }
        if a.truth == .maybe || res.truth == .maybe {
            return .unknown(a.dependencies + res.dependencies.filter { !a.dependencies.contains($0) })
        }
        return c.truth == .yes ? .applies : .conditional(c.pending)
    }

    /// Allow needs the list to cover the whole request; Deny needs it to touch any part. For the
    /// negated forms it is the other way round: `NotAction` allows only what no pattern touches.
    private func listMatch(_ list: PatternList, _ request: PolicyPattern, forDeny: Bool, _ context: RequestContext,
                           cover: (PolicyPattern, PolicyPattern) -> PatternMatch.Result,
                           overlap: (PolicyPattern, PolicyPattern) -> PatternMatch.Result) -> PatternMatch.Result {
        let patterns = list.patterns.map { bound($0, context) }
        let positiveUsesCover = !forDeny
        let useCover = list.negated ? !positiveUsesCover : positiveUsesCover
        var truth = Truth.no
        var deps: [String] = []
        for p in patterns {
            let m = useCover ? cover(p, request) : overlap(p, request)
            if m.truth == .maybe { deps += m.dependencies.filter { !deps.contains($0) } }
            truth = truth || m.truth
            if truth == .yes { break }
        }
        if list.negated { truth = !truth }
        return PatternMatch.Result(truth, dependencies: deps)
    }

    /// The allow statements of a layer nearest to the request: the right action on other
    /// resources first, then statements for the same service.
    private func closest(_ docs: [PolicyDocument], layer: PolicyLayer, _ r: AccessRequest) -> [StatementReference] {
        let service = r.action.text.split(separator: ":").first.map { $0.lowercased() }
        var scored: [(Int, StatementReference)] = []
        for (doc, index, s) in Self.statements(docs) where s.effect == .allow {
            guard let actions = s.actions else { continue }
            let ref = StatementReference(layer: layer, origin: doc.origin, index: index, statement: s)
            let a = listMatch(actions, r.action, forDeny: false, r.context, cover: PatternMatch.actionCovers, overlap: PatternMatch.actionOverlaps)
            if a.truth != .no {
                scored.append((2, ref))
            } else if let service, !actions.negated,
                      actions.patterns.contains(where: { $0.text.lowercased().hasPrefix(service + ":") }) {
                scored.append((1, ref))
            }
        }
        let top = scored.map(\.0).max() ?? 0
        return Array(scored.filter { $0.0 == top }.map(\.1).prefix(3))
    }
}

/// Decides conditions against what is known of the request.
struct ConditionEvaluator {
    let context: RequestContext
    let bindings: [String: String]

    struct Result {
        var truth: Truth
        var pending: [PolicyCondition]
    }

    /// All conditions must hold.
    func evaluate(_ conditions: [PolicyCondition]) -> Result {
        var truth = Truth.yes
        var pending: [PolicyCondition] = []
        for c in conditions {
            let t = evaluate(c)
            if t == .no { return Result(truth: .no, pending: []) }
            if t == .maybe { pending.append(c) }
            truth = truth && t
        }
        return Result(truth: truth, pending: pending)
    }

    func evaluate(_ c: PolicyCondition) -> Truth {
        if context.satisfied.contains(c) { return .yes }
        let op = c.op
        let negated = ["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
                       "NumericNotEquals", "DateNotEquals", "NotIpAddress"].contains(op.base)
        if op.base == "Null" {
            let wantsAbsent = c.values.first?.literalValue?.lowercased() == "true"
            if context.isAbsent(c.key) { return Truth(wantsAbsent) }
            if context.values(of: c.key) != nil { return Truth(!wantsAbsent) }
            return .maybe
        }
        if context.isAbsent(c.key) {
            if op.ifExists { return .yes }
            if op.qualifier == .forAllValues { return .yes }
            return Truth(negated)
        }
        guard let requestValues = context.values(of: c.key) else { return .maybe }
        let values = c.values.map { $0.binding(bindings, variables: context.variables) }
        func matchOne(_ requestValue: String) -> Truth {
            let rv = PolicyPattern(pieces: [.literal(requestValue)], text: requestValue)
            return values.map { cv -> Truth in
                switch op.base {
                case "StringEquals", "StringNotEquals":
                    if let lit = cv.literalValue { return Truth(lit == requestValue) }
                    return cv.hasUnknown ? .maybe : Truth(cv.text == requestValue)
                case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
                    if let lit = cv.literalValue { return Truth(lit.lowercased() == requestValue.lowercased()) }
                    return cv.hasUnknown ? .maybe : Truth(cv.text.lowercased() == requestValue.lowercased())
                case "StringLike", "StringNotLike":
                    return PatternMatch.stringCovers(cv, rv).truth
                case "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike":
                    return PatternMatch.resourceCovers(cv, rv).truth
                case "Bool":
                    guard let lit = cv.literalValue else { return .maybe }
                    return Truth(lit.lowercased() == requestValue.lowercased())
                default:
                    return .maybe
                }
            }.any()
        }
        var truth: Truth
        if op.qualifier == .forAllValues {
            truth = requestValues.map(matchOne).all()
        } else {
            truth = requestValues.map(matchOne).any()
        }
        if negated { truth = !truth }
        return truth
    }
}
