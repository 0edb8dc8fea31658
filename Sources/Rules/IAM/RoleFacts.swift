import AuditCore
import IAM
import Knowledge
import Terraform

/// The IAM side of a run's facts (`RunFacts.roles`), computed once when the `RuleContext` is built:
/// the module's requirements table, the runner role of every fleet (the module's own, or the
/// user's role `iam_overrides` puts in its place), and the role subjects of the gap analysis.
/// PermissionGapRule (IAM-301/302) and OverBroadGrantRule (IAM-303) read them instead of building
/// them each.
struct RoleFacts: Sendable {
    /// The runner role of one fleet of a runner module call with a target.
    struct RunnerRole: Sendable {
        var call: RunnerModuleCall
        var fleet: Fleet
        var target: ModuleVersion
        /// The role `iam_overrides` makes the runners use (7.7.0 and later, when the requirements
        /// table is readable); nil when they use the module's own role.
        var override: RunnerOverride?
    }

    /// `rules/knowledge/iam-requirements.yaml`, read; nil when the knowledge has none.
    private(set) var table: RequiredPermissions?
    /// Every non-placeholder fleet of every call of the root, multi-runner or runners module, in
    /// model order.
    private(set) var runnerRoles: [RunnerRole] = []
    /// Every role under a boundary or brought by the user, of every call (`RoleSubjects.all`).
    private(set) var subjects: [RoleSubject] = []

    init() {}

    init(_ context: RuleContext) {
        // Without a module call there is no role (and the table is not worth reading).
        guard !context.model.calls.isEmpty else { return }
        table = context.knowledge.iamRequirements
        let builder = table.map { RoleSubjects(context: context, table: $0) }
        var overrides: [RoleSubjects.FleetIndex: RunnerOverride?] = [:]
        for (c, call) in context.model.calls.enumerated() where call.kind.hasFleets {
            guard let target = context.targetVersion(for: call) else { continue }
            for (f, fleet) in call.fleets.filter({ !$0.isPlaceholder }).enumerated() {
                let override = target >= RoleSubjects.overridesRelease ? builder?.runnerOverride(fleet, call: call) : nil
                overrides[RoleSubjects.FleetIndex(call: c, fleet: f)] = .some(override)
                runnerRoles.append(RunnerRole(call: call, fleet: fleet, target: target, override: override))
            }
        }
        subjects = builder?.all(knownOverrides: overrides) ?? []
    }
}

extension RoleFacts {
    /// Called each time role subjects or a runner role override are worked out: RunFactsTests
    /// counts the calls to check that a run works them out once, not once per rule. Nil (no cost)
    /// outside that test.
    static let onBuild = TaskLocal<(@Sendable () -> Void)?>(wrappedValue: nil)
}

extension KnowledgeBase {
    /// `rules/knowledge/iam-requirements.yaml`, decoded once per loaded knowledge base and shared
    /// by the IAM rules and the live probe (it was decoded for every run: about a third of a small
    /// repository's audit).
    public var iamRequirements: RequiredPermissions? {
        derived.value("iam-requirements") {
            guard let document = try? iamRequirementsDocument() else { return nil }
            return try? RequiredPermissions(document: document)
        }
    }
}
