import AuditCore
import HCL
import Knowledge
import Terraform

/// INP-210: an object value that lacks an attribute the target release's type requires.
public struct ObjectAttributeRule: Rule {
    public let id = RuleID.inp210
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let kb = context.knowledge
        for input in context.writtenInputs() where input.scope.isVariableScope {
            guard let target = context.targetVersion(for: input.call),
                  let life = kb.lifespan(scope: input.scope, name: input.name), life.exists(at: target),
                  let typeText = life.typeText(at: target), let type = KnowledgeTexts.type(typeText) else { continue }
            let missing = type.missingAttributes(in: input.value)
            guard !missing.isEmpty else { continue }
            let names = missing.map { "`\($0)`" }.joined(separator: ", ")
            // The release that made the attributes required, when the type changed since the current release.
            let current = context.currentVersion(for: input.call)
            let change = life.typeChanges.last { change in
                current.map { min($0, target) < change.release && change.release <= max($0, target) } ?? false
            }
            var detail = "At \(target) `\(input.name)` (\(input.scope.phrase)) is `\(typeText)`; the value given has no \(names), "
                + "so Terraform rejects it (\"attribute ... is required\") before the plan."
            if let change, let current, current > target {
                detail += " The attributes it uses instead came in \(change.release): the target is older than the module's current release \(current)."
            } else if let change {
                detail += " The type changed in \(change.release)."
            }
            out.append(context.finding(
                id, "`\(input.name)` lacks the required \(missing.count == 1 ? "attribute" : "attributes") \(names) at \(target)",
                at: input.value.origin ?? input.valueRange, detail: detail,
                related: [RelatedNote("module call `\(input.call.address)` (\(input.call.evidence.how))", at: input.call.call.block.typeRange)],
                fix: Fix("Give \(names) in `\(input.name)`, as the type of \(target) requires"),
                changedIn: change?.release))
        }
        return out
    }
}
