import AuditCore
import Terraform

/// VER-208: the target is older than the release a call uses: the report describes a downgrade.
public struct DowngradeRule: Rule {
    public let id = RuleID.ver208
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        context.model.calls.compactMap { call in
            guard NoRunnerModuleRule.runnerKinds.contains(call.kind), let current = context.currentVersion(for: call),
                  let target = context.targetVersion(for: call), target < current else { return nil }
            return context.finding(
                id, "target \(target) is older than \(current), the release `\(call.address)` uses: this audit describes a downgrade",
                at: call.evidence.range ?? call.sourceRange,
                detail: "The other findings of this call describe moving back to \(target). If you meant an upgrade, use `--target latest`, `--target pinned` or the release you mean to move to.")
        }
    }
}
