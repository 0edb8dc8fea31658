import AuditCore

/// A permission a module role needs that the role's policies or boundary do not (or may not) give.
public struct Gap: Sendable, Hashable {
    public enum Shortfall: Sendable, Hashable {
        /// No statement of `layer` allows it: the boundary lacks it, or (identity layer) no
        /// statement allows it. `closest` are the nearest statements of that layer.
        case notAllowed(layer: PolicyLayer, closest: [StatementReference])
        /// An explicit Deny applies.
        case denied(by: StatementReference)
        /// An explicit Deny covers part of the resources needed.
        case partlyDenied(by: StatementReference)
        /// Allowed only under conditions the audit cannot decide.
        case conditional([ConditionalGrant])
        /// The answer depends on parts of the policies or the request not known statically.
        case unknown(reason: String, statements: [StatementReference])
    }

    public var requirement: Requirement
    public var shortfall: Shortfall

    public init(requirement: Requirement, shortfall: Shortfall) {
        self.requirement = requirement
        self.shortfall = shortfall
    }

    public var role: ModuleRole { requirement.role }
    public var action: String { requirement.action }
    public var resource: String { requirement.resource }
    /// The release that introduced the need.
    public var introduced: ModuleVersion { requirement.introduced }
    public var need: Need { requirement.need }

    /// True when the policies certainly fall short (not allowed, or denied); false when it
    /// depends on conditions or unknown parts.
    public var isDefinite: Bool {
        switch shortfall {
        case .notAllowed, .denied, .partlyDenied: true
        case .conditional, .unknown: false
        }
    }

    /// The statements to point at in related notes.
    public var statements: [StatementReference] {
        switch shortfall {
        case .notAllowed(_, let s): s
        case .denied(let s), .partlyDenied(let s): [s]
        case .conditional(let g): g.map(\.statement)
        case .unknown(_, let s): s
        }
    }

    /// One sentence on what falls short, for a finding's detail.
    public var explanation: String {
        switch shortfall {
        case .notAllowed(.permissionBoundary, let closest):
            return "The permission boundary does not allow `\(action)` on `\(resource)`" + Gap.near(closest) + "."
        case .notAllowed(.identity, let closest):
            return "No statement allows `\(action)` on `\(resource)`" + Gap.near(closest) + "."
        case .denied(let s):
            return "\(s.name) in \(s.layer) explicitly denies `\(action)`; an explicit Deny wins over any Allow."
        case .partlyDenied(let s):
            return "\(s.name) in \(s.layer) explicitly denies `\(action)` on part of `\(resource)`; requests there fail, the rest is allowed."
        case .conditional(let grants):
            let parts = grants.map { g -> String in
                let conds = g.conditions.map(\.description).joined(separator: " and ")
                return g.effect == .allow ? "only if \(conds) (\(g.statement.name))" : "unless \(conds) (\(g.statement.name))"
            }
            return "`\(action)` is allowed " + parts.joined(separator: "; ") + "."
        case .unknown(let reason, _):
            return "Cannot tell whether `\(action)` on `\(resource)` is allowed: \(reason)."
        }
    }

    private static func near(_ closest: [StatementReference]) -> String {
        closest.isEmpty ? "" : "; nearest: " + closest.map(\.name).joined(separator: ", ")
    }
}

/// An Allow that grants every action, every IAM action, or everything but a few.
public struct OverBroadGrant: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// `"Action": "*"` or `"*:*"`.
        case allActions
        /// `"Action": "iam:*"`: the role can grant itself anything.
        case allIAMActions
        /// `"NotAction"` with an Allow: everything except a list.
        case allActionsExcept
    }

    public var kind: Kind
    /// The action token (or the `NotAction` key) to point at.
    public var action: PolicyPattern?
    public var actionRange: SourceRange?
    /// The `*` resource token.
    public var resourceRange: SourceRange?
    public var statementIndex: Int
    public var statement: PolicyStatement
    /// The grant has conditions, which may narrow it.
    public var isConditional: Bool
}

public enum IAMAnalysis {
    /// The requirements the policies do not (or may not) satisfy, in the order given.
    ///
    /// - Parameters:
    ///   - identity: the policies attached to the role. When the module creates the role's
    ///     policies itself, pass `PolicyDocument.granting(_:)` of the requirements.
    ///   - boundary: the role's permission boundary, if any.
    ///   - bindings: values for placeholders in the requirements and the policies when the
    ///     caller knows them (`partition`, `region`, `account`, `aws_partition`...).
    public static func missing(required: [Requirement], identity: [PolicyDocument], boundary: PolicyDocument?,
                               bindings: [String: String] = [:]) -> [Gap] {
        let evaluator = PolicyEvaluator(identity: identity, boundary: boundary, bindings: bindings)
        return required.compactMap { r in
            let request = r.request(bindings: bindings)
            switch evaluator.decide(request) {
            case .allowed: return nil
            case .denied(let s): return Gap(requirement: r, shortfall: .denied(by: s))
            case .partlyDenied(let s): return Gap(requirement: r, shortfall: .partlyDenied(by: s))
            case .notAllowed(let layer, let closest):
                // The module grants some actions on `*` or on a wildcard pattern although it only
                // touches some of those resources (`ssm:PutParameter` on `*` writes tokens,
                // `ssm:DeleteParameter` on `<tokens>*` deletes `<tokens>/<instance id>`). A policy
                // allowing the action on a narrower part of them may be enough: say so instead of
                // calling it missing.
                let narrower = closest.filter { ref in
                    guard let list = ref.statement.actions, !list.negated,
                          list.patterns.contains(where: { PatternMatch.actionCovers($0, request.action).truth == .yes }) else { return false }
                    if request.resource.isMatchAll { return true }
                    guard request.resource.hasWildcard, let resources = ref.statement.resources, !resources.negated else { return false }
                    return resources.patterns.contains { PatternMatch.resourceOverlaps($0.binding(bindings), request.resource).truth != .no }
                }
                if !narrower.isEmpty {
                    let where_ = narrower.flatMap { $0.statement.resources?.patterns.map { "`\($0.text)`" } ?? [] }
                    let granted = request.resource.isMatchAll ? "every resource" : "`\(request.resource.description)`"
                    return Gap(requirement: r, shortfall: .unknown(
                        reason: "the module grants `\(r.action)` on \(granted), \(layer) allows it only on \(where_.joined(separator: ", ")); whether that is enough depends on the resources the role actually touches",
                        statements: narrower))
                }
                return Gap(requirement: r, shortfall: .notAllowed(layer: layer, closest: closest))
            case .conditional(let g): return Gap(requirement: r, shortfall: .conditional(g))
            case .unknown(let reason, let s): return Gap(requirement: r, shortfall: .unknown(reason: reason, statements: s))
            }
        }
    }

    /// Allow statements granting `*`, `*:*` or `iam:*` on `"Resource": "*"`, or `NotAction` on `*`.
    public static func overBroad(_ doc: PolicyDocument) -> [OverBroadGrant] {
        var out: [OverBroadGrant] = []
        for (index, s) in doc.statements.enumerated() where s.effect == .allow {
            guard let actions = s.actions, let resources = s.resources, !resources.negated,
                  let star = resources.patterns.first(where: \.isMatchAll) else { continue }
            let conditional = !s.conditions.isEmpty
            if actions.negated {
                out.append(OverBroadGrant(kind: .allActionsExcept, action: nil, actionRange: actions.keyRange,
                                          resourceRange: star.range, statementIndex: index, statement: s, isConditional: conditional))
                continue
            }
            for a in actions.patterns {
                let text = a.text.lowercased()
                let kind: OverBroadGrant.Kind?
                switch text {
                case "*", "*:*": kind = .allActions
                case "iam:*": kind = .allIAMActions
                default: kind = nil
                }
                guard let kind else { continue }
                out.append(OverBroadGrant(kind: kind, action: a, actionRange: a.range, resourceRange: star.range,
                                          statementIndex: index, statement: s, isConditional: conditional))
            }
        }
        return out
    }
}

extension PolicyDocument {
    /// A document granting exactly the requirements (with the module's own conditions): what the
    /// module attaches to a role it creates.
    public static func granting(_ requirements: [Requirement], origin: PolicyOrigin = .synthesized("module policies")) -> PolicyDocument {
        let statements = requirements.map { r in
            PolicyStatement(sid: nil, effect: .allow,
                            actions: PatternList(patterns: [r.actionPattern]),
                            resources: PatternList(patterns: [r.resourcePattern]),
                            conditions: r.conditions.map(\.policyCondition))
        }
        return PolicyDocument(version: Located(PolicyJSON.currentVersion, range: nil), statements: statements, origin: origin)
    }
}
