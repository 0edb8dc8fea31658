import AuditCore
import IAM
import Knowledge
import Terraform

/// IAM-303: the runner role gets every action, every IAM action, or everything but a few, from a
/// policy the user attaches: an entry of `runner_iam_role_managed_policy_arns`, or a policy of the
/// role brought with `iam_overrides`. The module never needs any of these; on a runner they hand
/// the permission to every workflow job.
public struct OverBroadGrantRule: Rule {
    public let id = RuleID.iam303
    public init() {}

    /// A user-attached policy of a fleet's runner role.
    struct Attached {
        var resolved: PolicyResolver.Resolved
        /// Where to point when the policy itself is not in the repository (the ARN in the list).
        var fallback: SourceRange
        /// How the policy reaches the runner role.
        var how: RelatedNote
    }

    public func check(_ context: RuleContext) -> [Finding] {
        let table = context.facts.roles.table
        var findings: [Finding] = []
        var seen = Set<String>()
        let resolver = PolicyResolver(context: context)
        for runnerRole in context.facts.roles.runnerRoles {
            let (call, fleet, target) = (runnerRole.call, runnerRole.fleet, runnerRole.target)
            for attached in attachedPolicies(runnerRole, context: context, resolver: resolver) {
                for grant in IAMAnalysis.overBroad(attached.resolved.document) {
                    let location = Self.inRepository(grant.actionRange, context) ?? Self.inRepository(grant.statement.location, context) ?? attached.fallback
                    let key = "\(location.path)\u{1F}\(location.start.offset)\u{1F}\(grant.kind.rawValue)\u{1F}\(call.address)"
                    guard seen.insert(key).inserted else { continue }
                    findings.append(finding(grant, attached, call: call, fleet: fleet, target: target, location: location,
                                            table: table, context: context))
                }
            }
        }
        return findings
    }

    static func inRepository(_ r: SourceRange?, _ context: RuleContext) -> SourceRange? {
        guard let r, context.workspace.source(r.path) != nil else { return nil }
        return r
    }

    /// The policies the user attaches to a fleet's runner role: its own role's policies when
    /// `iam_overrides` replaces the module's role at the target, else the entries of
    /// `runner_iam_role_managed_policy_arns`.
    func attachedPolicies(_ runnerRole: RoleFacts.RunnerRole, context: RuleContext, resolver: PolicyResolver) -> [Attached] {
        let (call, fleet) = (runnerRole.call, runnerRole.fleet)
        switch runnerRole.override {
        case .visible(let user):
            let anchor = user.attachment.roleAnchor ?? user.attachment.input.range
            let how = RelatedNote("`iam_overrides` makes `\(user.address)` the runners' role", at: user.attachment.input.range)
            return user.documents.map { Attached(resolved: $0, fallback: $0.anchor ?? anchor, how: how) }
        case .hidden:
            return []
        case nil:
            break
        }
        guard let input = fleet.input("runner_iam_role_managed_policy_arns"), let list = input.value.listValue else { return [] }
        return list.compactMap { item in
            let at = item.origin ?? input.range
            return resolver.policy(arn: item, in: call.scope).resolved.map {
                Attached(resolved: $0, fallback: at,
                         how: RelatedNote("`runner_iam_role_managed_policy_arns` attaches \($0.name) to the runner role", at: at))
            }
        }
    }

    func finding(_ grant: OverBroadGrant, _ attached: Attached, call: RunnerModuleCall, fleet: Fleet, target: ModuleVersion,
                 location: SourceRange, table: RequiredPermissions?, context: RuleContext) -> Finding {
        let source = attached.resolved.name
        let what: String
        let risk: String
        switch grant.kind {
        case .allActions:
            what = "every action on every resource"
            risk = "any job can do anything in the account the role lives in"
        case .allIAMActions:
            what = "`iam:*` on every resource"
            risk = "any job can create or change roles and policies, and so give itself any permission"
        case .allActionsExcept:
            let except = grant.statement.actions.map { Wording.quotedList($0.patterns.map(\.text), conjunction: "and") } ?? ""
            what = "every action except \(except) on every resource"
            risk = "any job can do almost anything in the account the role lives in"
        }
        let fleetName = fleet.configKey.map { "runner configuration `\($0)` of `\(call.address)`" } ?? "`\(call.address)`"
        var detail = "Runner instances run workflow jobs, and every job (with each action and script it pulls in) can use what the runner role allows: \(risk)."
        if grant.isConditional {
            let conds = grant.statement.conditions.map(\.description).joined(separator: " and ")
            detail += " The grant is limited by \(conds), which narrows it only as far as the condition does."
        }
        if let table {
            let services = Set(table.for(role: .runnerInstance, at: target).compactMap { $0.action.split(separator: ":").first.map(String.init) })
            detail += " At \(target) the module's runner role needs only actions of \(Wording.quotedList(services, conjunction: "and")) (read from the module's own policies)."
        }
        detail += " Remove the policy, or replace it with one that allows the specific actions your jobs need."
        // How the policy reaches the role, unless the finding already points there.
        var related = attached.how.location == location ? [] : [attached.how]
        related += context.fleetNotes(FleetFacts(call: call, fleet: fleet, target: target))
        return context.finding(
            id,
            "\(source) grants \(what) to the runner role of \(fleetName)",
            at: location,
            detail: detail,
            related: related,
            fix: Fix("Remove \(source) from the runner role; grant only the actions jobs need"))
    }
}
