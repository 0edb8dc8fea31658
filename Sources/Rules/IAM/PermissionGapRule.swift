import AuditCore
import IAM
import Knowledge
import Terraform

/// IAM-301: a role needs a permission at the target that its boundary or its policies do not
/// give. IAM-302: an explicit Deny blocks one. Both come from one gap analysis per role: the
/// module's own policies (or the user's, for a role brought with `iam_overrides`) under the
/// boundary the repository attaches, against what the module needs at the target
/// (`rules/knowledge/iam-requirements.yaml`). Only definite shortfalls are reported: a need that
/// depends on unknown parts or undecidable conditions is not called missing.
public struct PermissionGapRule: Rule {
    public let id = Self.missingId
    public static let missingId = RuleID.iam301
    public static let denyId = RuleID.iam302
    public var emits: [RuleID] { [id, Self.denyId] }
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        guard let table = context.facts.roles.table else { return [] }
        var groups: [Group] = []
        var index: [String: Int] = [:]
        for subject in context.facts.roles.subjects {
            let gaps = IAMAnalysis.missing(required: subject.required, identity: subject.identity, boundary: subject.boundary,
                                           bindings: subject.bindings)
            for gap in gaps {
                guard let g = Group(gap, subject, table: table, context: context) else { continue }
                if let i = index[g.key] {
                    groups[i].merge(g)
                } else {
                    index[g.key] = groups.count
                    groups.append(g)
                }
            }
        }
        return groups.map { $0.finding(context) }
    }

    /// One finding: the shortfalls found at one place. IAM-301 groups by action (every role and
    /// resource that needs it and is not allowed it by the same statement or document), or by
    /// service when the policy has no statement for that service at all; IAM-302 by Deny statement.
    struct Group {
        /// One requirement of one role that falls short.
        struct Entry: Hashable {
            var role: String
            var action: String
            /// The resource with the placeholders the audit knows filled in.
            var resource: String
            var need: IAM.Need
            var introduced: ModuleVersion
            var why: String?
            var citation: String
            /// Why it is new with the upgrade; nil when the current release needs it too.
            var newly: String?
            /// The release from which the deployment needs it: where the checklist files it.
            var changedIn: ModuleVersion?
        }

        var ruleId: RuleID
        var callAddress: String
        var location: SourceRange
        /// "the permission boundary `aws_iam_policy.b`".
        var layer: String
        /// The end of an IAM-301 message: "which the permission boundary `x` does not allow".
        var which = ""
        var shortfall: String
        var needs: [Entry]
        var related: [RelatedNote]
        var isBoundary: Bool
        /// A Deny that covers only part of what is needed (a warning, not an error).
        var isPartial = false
        /// The current releases of the fleets involved (when known), and the target.
        var currents: [ModuleVersion]
        var target: ModuleVersion

        var key: String {
            var parts = [ruleId.rawValue, callAddress, location.path, String(location.start.offset), String(location.end.offset)]
            if ruleId == PermissionGapRule.missingId { parts.append(topic) }
            return parts.joined(separator: "\u{1F}")
        }

        /// What an IAM-301 finding is about: one action, or a whole service when the policy has no
        /// statement for that service at all (one fix covers every action of it).
        var topic: String

        /// Nil for a gap that is not definite (it depends on conditions or unknown parts).
        init?(_ gap: Gap, _ s: RoleSubject, table: RequiredPermissions, context: RuleContext) {
            guard gap.isDefinite else { return nil }
            callAddress = s.call.address
            currents = s.current.map { [$0] } ?? []
            target = s.target
            needs = [Entry(role: gap.role.rawValue, action: gap.action,
                          resource: gap.requirement.request(bindings: s.bindings).resource.description,
                          need: gap.need, introduced: gap.introduced, why: gap.requirement.why,
                          citation: gap.requirement.citation, newly: Group.newlyNeeded(gap.requirement, s, table: table),
                          changedIn: Group.neededFrom(gap.requirement, introduced: gap.introduced, s, table: table))]
            related = []
            let fallback = s.attachment.input.range
            func inRepository(_ r: SourceRange?) -> SourceRange? {
                guard let r, context.workspace.source(r.path) != nil else { return nil }
                return r
            }
            switch gap.shortfall {
            case .denied(let ref), .partlyDenied(let ref):
                topic = ""
                ruleId = PermissionGapRule.denyId
                isBoundary = ref.layer == .permissionBoundary
                layer = s.attachment.describe(ref.layer)
                location = inRepository(ref.statement.effectRange) ?? inRepository(ref.statement.location) ?? fallback
                if case .partlyDenied = gap.shortfall {
                    isPartial = true
                    shortfall = "\(ref.name) denies \(Group.actions(ref.statement)) on \(Group.resources(ref.statement)), part of what the role needs; requests for those resources fail, the rest is allowed"
                } else {
                    shortfall = "\(ref.name) denies \(Group.actions(ref.statement)) on \(Group.resources(ref.statement)); an explicit Deny wins over every Allow, in any policy"
                }
            case .notAllowed(let l, let closest):
                ruleId = PermissionGapRule.missingId
                isBoundary = l == .permissionBoundary
                layer = s.attachment.describe(l)
                let anchor = l == .permissionBoundary ? s.attachment.boundaryAnchor : s.attachment.roleAnchor
                // Of the nearest statements, those about the same resources first.
                let request = gap.requirement.request(bindings: s.bindings)
                let sameResources = { (ref: StatementReference) -> Bool in
                    guard let list = ref.statement.resources, !list.negated else { return false }
                    return list.patterns.contains { PatternMatch.resourceOverlaps($0.binding(s.bindings), request.resource).truth != .no }
                }
                let ranked = closest.filter(sameResources) + closest.filter { !sameResources($0) }
                let near = ranked.filter { inRepository($0.statement.location) != nil }
                location = near.first?.statement.location ?? inRepository(anchor) ?? fallback
                for ref in near.dropFirst() {
                    related.append(RelatedNote("\(ref.name) is also near: it allows \(Group.actions(ref.statement)) on \(Group.resources(ref.statement))", at: ref.statement.location!))
                }
                let service = gap.action.split(separator: ":").first.map { $0.lowercased() } ?? gap.action.lowercased()
                topic = closest.isEmpty ? "service " + service : "action " + gap.action.lowercased()
                let phrases = s.attachment.shortfall(l)
                which = phrases.which
                if let first = ranked.first {
                    shortfall = "\(phrases.subject) allows it; the nearest statement, \(first.name), allows \(Group.actions(first.statement)) on \(Group.resources(first.statement))"
                } else {
                    shortfall = "\(phrases.subject) allows any `\(service)` action"
                }
            case .conditional, .unknown:
                return nil
            }
            related += s.attachment.notes
            related += Group.unknownFeatureNotes(s)
            // Roles multi-runner creates once for all fleets are about the module call, not a fleet.
            var fleet = s.fleet
            if s.call.kind == .multiRunner, !RoleSubjects.perFleetRoles.contains(s.role) { fleet.configKey = nil }
            related += context.fleetNotes(FleetFacts(call: s.call, fleet: fleet, target: s.target))
        }

        mutating func merge(_ other: Group) {
            for n in other.needs where !needs.contains(n) { needs.append(n) }
            isPartial = isPartial && other.isPartial
            currents += other.currents
            for note in other.related where !related.contains(note) { related.append(note) }
        }

        func finding(_ context: RuleContext) -> Finding {
            let roles = Group.unique(needs.map(\.role)).sorted()
            let actions = Group.unique(needs.map(\.action))
            let resources = Group.unique(needs.map(\.resource))
            let introduced = needs.map(\.introduced).min()!
            let who = IAMWording.roles(roles)
            let message: String
            if ruleId == PermissionGapRule.denyId {
                let shown = Wording.quotedList(actions, limit: 3, conjunction: "and")
                message = "explicit Deny in \(layer) blocks \(shown)\(isPartial ? " on part of the resources" : ""), which \(who) \(roles.count == 1 ? "needs" : "need") from \(introduced)"
            } else {
                let on = resources.count == 1 ? "`\(resources[0])`" : "\(resources.count) resources"
                message = "\(who) \(roles.count == 1 ? "needs" : "need") \(Wording.quotedList(actions, sorted: false, limit: 3, conjunction: "and")) on \(on) from \(introduced), \(which)"
            }

            var detail: [String] = [IAMWording.sentence(shortfall) + "."]
            var said = Set<String>()
            // One sentence per role, action and resource: the earliest release, the first reason.
            var distinct: [Entry] = []
            for n in needs {
                if let i = distinct.firstIndex(where: { $0.role == n.role && $0.action.lowercased() == n.action.lowercased() && $0.resource == n.resource }) {
                    if n.introduced < distinct[i].introduced { distinct[i].introduced = n.introduced }
                    if distinct[i].why == nil { distinct[i].why = n.why }
                } else {
                    distinct.append(n)
                }
            }
            // One sentence per role, resource and release, naming the actions.
            var sentences: [(key: String, actions: [String], entry: Entry)] = []
            for n in distinct {
                let key = [n.role, n.resource, n.introduced.description].joined(separator: "\u{1F}")
                if let i = sentences.firstIndex(where: { $0.key == key }) {
                    sentences[i].actions.append(n.action)
                    if sentences[i].entry.why == nil { sentences[i].entry.why = n.why }
                } else {
                    sentences.append((key, [n.action], n))
                }
            }
            for (_, acts, n) in sentences {
                let what = ruleId == PermissionGapRule.denyId || actions.count > 1 ? Wording.quotedList(acts, sorted: false, conjunction: "and") : "it"
                var sentence = "`\(n.role)` needs \(what) on `\(n.resource)` since \(n.introduced)"
                // The same consequence once per role.
                if let why = n.why, said.insert(n.role + "\u{1F}" + why).inserted { sentence += ": \(why)" }
                detail.append(sentence + ".")
            }
            let newly = Group.unique(needs.compactMap(\.newly))
            if !newly.isEmpty {
                detail += newly
            } else if let current = currents.min(), current < target {
                detail.append("The module needs it since \(introduced), so the deployment at \(current) may lack it already.")
            }
            let remedy: String
            if ruleId == PermissionGapRule.denyId {
                remedy = "Narrow the Deny so it leaves \(Wording.quotedList(actions, conjunction: "and")) alone (a narrower `Action` or `Resource`, or a condition the module's requests do not meet), or remove it"
            } else if isBoundary {
                remedy = "Allow \(Wording.quotedList(actions, conjunction: "and")) on \(Wording.quotedList(resources, conjunction: "and")) (or a pattern covering \(resources.count == 1 ? "it" : "them")) in \(layer)"
            } else {
                remedy = "Attach a policy to the role that allows \(Wording.quotedList(actions, conjunction: "and")) on \(Wording.quotedList(resources, conjunction: "and"))"
            }
            detail.append("\(remedy). Needs read from \(Wording.quotedList(Group.unique(needs.map(\.citation)), conjunction: "and")).")
            let severity: Severity = needs.contains { $0.need == .required } && !isPartial ? .error : .warning
            return context.finding(ruleId, message, at: location, detail: detail.joined(separator: " "), severity: severity,
                                   related: Array(related.prefix(8)), fix: Fix(remedy), changedIn: needs.compactMap(\.changedIn).min())
        }

        static func unique<T: Hashable>(_ items: [T]) -> [T] {
            var seen = Set<T>()
            return items.filter { seen.insert($0).inserted }
        }

        // MARK: Wording

        static func actions(_ s: PolicyStatement) -> String {
            guard let list = s.actions else { return "no action" }
            return (list.negated ? "every action except " : "") + Wording.quotedList(list.patterns.map(\.text), sorted: false, limit: 4, conjunction: "and")
        }

        static func resources(_ s: PolicyStatement) -> String {
            guard let list = s.resources else { return "no resource" }
            if !list.negated, list.patterns.contains(where: \.isMatchAll) { return "every resource" }
            return (list.negated ? "every resource except " : "") + Wording.quotedList(list.patterns.map(\.text), sorted: false, limit: 3, conjunction: "and")
        }

        /// Why the need is new with the upgrade, or nil when the current release has it too (or
        /// the current release is not known).
        static func newlyNeeded(_ r: Requirement, _ s: RoleSubject, table: RequiredPermissions) -> String? {
            guard let current = s.current, current < s.target, s.newlyNeeded.contains(RoleSubject.key(r)) else { return nil }
            var reasons: [String] = []
            for term in r.features {
                let id = term.hasPrefix("!") ? String(term.dropFirst()) : term
                guard s.features.enabled[id] == nil, let feature = table.feature(id),
                      feature.defaultValue(at: current) != feature.defaultValue(at: s.target),
                      let change = feature.defaults.last(where: { d in ModuleVersion(d.from).map { current < $0 && $0 <= s.target } ?? false })
                else { continue }
                reasons.append("`\(feature.input)` is not set and defaults to `\(change.value)` from \(change.from) (\(feature.description))")
            }
            let head = "New with this upgrade: at \(current) `\(r.role)` does not need it"
            return reasons.isEmpty ? head + "." : head + ", but " + reasons.joined(separator: "; ") + "."
        }

        /// The release from which the deployment needs `r`: the current release when it needs it
        /// already; else the later of the release that introduced it and the release whose default
        /// turns on a feature it depends on. Nil when the current release is not known.
        static func neededFrom(_ r: Requirement, introduced: ModuleVersion, _ s: RoleSubject, table: RequiredPermissions) -> ModuleVersion? {
            guard let current = s.current else { return nil }
            guard current < s.target, s.newlyNeeded.contains(RoleSubject.key(r)) else { return current }
            var from = introduced > current ? introduced : nil
            for term in r.features {
                let id = term.hasPrefix("!") ? String(term.dropFirst()) : term
                guard s.features.enabled[id] == nil, let feature = table.feature(id),
                      let change = feature.defaults.last(where: { d in ModuleVersion(d.from).map { current < $0 && $0 <= s.target } ?? false }),
                      let release = ModuleVersion(change.from) else { continue }
                from = max(from ?? release, release)
            }
            return from
        }

        static func unknownFeatureNotes(_ s: RoleSubject) -> [RelatedNote] {
            s.features.unknown.keys.sorted().map { feature in
                let input = s.features.unknown[feature]!
                return RelatedNote("`\(input.name)` is not known statically: permissions that depend on it were not checked", at: input.range)
            }
        }
    }
}
