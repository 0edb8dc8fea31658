import AuditCore
import Terraform

/// VER-209: a runner module call's `version` constraint (a range, `~>`, `!=`) excludes the
/// target, so `terraform init` never installs the release the audit describes (issue 20 §4).
public struct VersionConstraintRule: Rule {
    public let id = RuleID.ver209
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        var seen = Set<SourceRange>()
        let releases = context.knowledge.releases.map(\.version)
        for call in context.model.calls where NoRunnerModuleRule.runnerKinds.contains(call.kind) && call.vendoredRoot == nil {
            guard let constraint = call.versionConstraint, constraint.exactVersion == nil,
                  let range = call.call.versionExpression?.range, let target = context.targetVersion(for: call),
                  !constraint.isSatisfied(by: target), seen.insert(range).inserted else { continue }
            let admitted = releases.filter(constraint.isSatisfied)
            let admits = admitted.max().map { "its newest known release is \($0)" } ?? "it admits no known release"
            let fix = PinMove.of(call, to: target, releases: releases, workspace: context.workspace).fix(
                edited: { "Set `version = \($0.newText)` so Terraform installs \(target)" },
                otherwise: "Set `version = \"\(PinMove.rewrite(constraint, toAdmit: target, releases: releases))\"`")
            out.append(context.finding(
                id, "`version = \"\(constraint.text)\"` of `\(call.address)` excludes the target \(target)",
                at: range,
                detail: "Terraform installs the newest release the constraint admits, and \(admits): `terraform init` never installs \(target), so the upgrade this report describes does not happen until the constraint admits it.",
                related: call.callers, fix: fix))
        }
        return out
    }
}
