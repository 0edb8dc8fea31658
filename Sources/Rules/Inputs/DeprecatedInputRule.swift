import AuditCore
import HCL
import Knowledge
import Terraform

/// INP-204: an input deprecated at the target (still accepted, going away).
public struct DeprecatedInputRule: Rule {
    public let id = RuleID.inp204
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        for input in context.writtenInputs() {
            guard let target = context.targetVersion(for: input.call),
                  let life = context.knowledge.lifespan(scope: input.scope, name: input.name),
                  life.exists(at: target), let since = life.deprecatedIn, since <= target,
                  // A value the module's validation rejects is an error (INP-209), not a deprecation.
                  context.failedValidation(of: input) == nil else { continue }
            let rename = context.knowledge.rename(scope: input.scope, old: input.name)
            out.append(context.finding(
                id,
                "`\(input.name)` is deprecated since \(since)" + (rename?.replacement.map { "; use `\($0)`" } ?? "")
                    + (life.removedIn.map { " (removed in \($0))" } ?? ""),
                at: input.nameRange,
                detail: rename?.note,
                related: [RelatedNote("module call `\(input.call.address)`", at: input.call.call.block.typeRange)],
                fix: Fix(rename?.replacement.map { "Move to `\($0)`" } ?? "Remove `\(input.name)`"), changedIn: since))
        }
        return out
    }
}
