import AuditCore
import HCL
import Knowledge
import Terraform

/// VER-206: the user's `required_providers` does not allow the aws provider the target needs. The
/// module's own constraint per release and directory comes from the knowledge base
/// (`rules/knowledge/provider-requirements.yaml`); the finding names the first release of the
/// upgrade whose constraint no provider release satisfies together with the user's, which is
/// where the checklist files it.
public struct ProviderConstraintRule: Rule {
    public let id = RuleID.ver206
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        var seen = Set<String>()
        let kb = context.knowledge
        // The scopes of each root, once (not a pass over every scope for every call).
        let scopesByRoot = Dictionary(grouping: context.model.scopes.indices) { context.model.scopes[$0].rootDirectory }
        for call in context.model.calls {
            guard let target = context.targetVersion(for: call), let module = Self.moduleDirectory(of: call),
                  let required = kb.awsProviderRequirement(module: module, at: target),
                  let requiredConstraint = VersionConstraint(required.constraint) else { continue }
            for index in scopesByRoot[call.scope.rootDirectory] ?? [] {
                for p in context.model.scopes[index].module.providerRequirements where p.name == "aws" {
                    guard let text = p.versionConstraint, let constraint = VersionConstraint(text),
                          !constraint.overlaps(requiredConstraint) else { continue }
                    guard seen.insert("\(p.range)").inserted else { continue }
                    func conflicts(at v: ModuleVersion) -> ModuleProviderRequirement? {
                        guard let r = kb.awsProviderRequirement(module: module, at: v), let c = VersionConstraint(r.constraint),
                              !constraint.overlaps(c) else { return nil }
                        return r
                    }
                    // Where the upgrade breaks: the current release already conflicting, else the
                    // first release after it (up to the target) whose constraint conflicts.
                    let current = context.currentVersion(for: call)
                    let breaking: (version: ModuleVersion, requirement: ModuleProviderRequirement)? =
                        current.flatMap { c in conflicts(at: c).map { (c, $0) } }
                        ?? kb.releases.lazy.map(\.version)
                            .filter { v in v <= target && (current.map { v > $0 } ?? true) }
                            .compactMap { v in conflicts(at: v).map { (v, $0) } }.first
                    let first = breaking ?? (target, required)
                    let tag = { (v: ModuleVersion) in kb.release(version: v)?.tag ?? "v\(v)" }
                    var detail = "From \(first.version) the runner module requires the aws provider `\(first.requirement.constraint)` "
                        + "(\(first.requirement.citation(tag: tag(first.version))))"
                    if first.requirement.constraint != required.constraint {
                        detail += ", and \(target) requires `\(required.constraint)` (\(required.citation(tag: tag(target))))"
                    }
                    detail += "; no provider release satisfies both constraints and `terraform init` fails. Widen the constraint, e.g. `\(Self.widened(required.constraint))`."
                    out.append(context.finding(
                        id,
                        "aws provider constraint `\(text)` excludes the `\(required.constraint)` that module \(target) requires"
                            + (first.version == current ? " (already at \(first.version), the release in use)" : first.version < target ? " (from \(first.version))" : ""),
                        at: p.range,
                        detail: detail,
                        related: [RelatedNote("module call `\(call.address)`", at: call.call.block.typeRange)],
                        fix: Fix("Allow the aws provider `\(required.constraint)`"), changedIn: first.version))
                }
            }
        }
        return out
    }

    /// The module directory a call uses: `""` for the root module, `modules/multi-runner`, ...
    static func moduleDirectory(of call: RunnerModuleCall) -> String? {
        switch call.kind {
        case .root: return ""
        case .otherSubmodule: return call.source.subdirectory.map { $0.trimmingCharacters(in: ["/"]) }
        default: return "modules/" + call.kind.rawValue
        }
    }

    /// A lower bound that admits the required constraint's releases: `>= 6.21` for `>= 6.21` or
    /// `~> 6.21`.
    static func widened(_ required: String) -> String {
        guard let c = VersionConstraint(required), let low = c.clauses.first(where: { [.ge, .gt, .pessimistic, .eq].contains($0.op) })?.version else {
            return required
        }
        return ">= \(low.major).\(low.minor)"
    }
}
