import AuditCore
import Terraform

/// CORE-004: a module call whose release cannot be determined.
public struct ModuleVersionUnknownRule: Rule {
    public let id = RuleID.core004
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        guard context.fromOverride == nil else { return [] }
        return context.model.calls.compactMap { call in
            guard call.version == nil else { return nil }
            return context.finding(
                id,
                "version could not be determined for module `\(call.address)`: \(call.evidence.how)",
                at: call.evidence.range ?? call.sourceRange,
                detail: "Rules that depend on the current release are skipped for this call. Pin a release (`version = \"X.Y.Z\"` or `?ref=vX.Y.Z`), run `terraform init` so `.terraform/modules/modules.json` records it, or pass `--from`.",
                fix: Fix("Pin a release, or pass `--from X.Y.Z`"))
        }
    }
}
