import AuditCore
import HCL
import Knowledge
import Terraform

/// INP-209: a value the target release's own `validation` block rejects.
public struct ModuleValidationRule: Rule {
    public let id = RuleID.inp209
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let kb = context.knowledge
        for input in context.writtenInputs() {
            guard let verdict = context.failedValidation(of: input) else { continue }
            let v = verdict.failed
            let tag = kb.release(version: verdict.target)?.tag ?? "v\(verdict.target)"
            let rename = kb.rename(scope: input.scope, old: input.name)
            let message = "`\(input.name)` fails the module's validation at \(verdict.target): \"\(v.message.replacingOccurrences(of: "\n", with: " "))\""
            var detail = "\(tag):\(v.file) declares `validation { condition = \(v.condition.replacingOccurrences(of: "\n", with: " ")) }` "
                + "for `\(input.name)` (\(input.scope.phrase)); the value given fails it, so `terraform plan` stops with this message."
            if v.rejectsEveryValue { detail += " The condition only holds for null: the module rejects any value of `\(input.name)`." }
            let fixText: String
            if v.rejectsEveryValue {
                fixText = rename?.replacement.map { "Remove `\(input.name)` and set `\($0)` instead" } ?? "Remove `\(input.name)`"
            } else {
                fixText = "Change the value so that the module's condition holds"
            }
            let at = v.rejectsEveryValue ? input.nameRange : (input.value.origin ?? input.valueRange)
            out.append(context.finding(id, message, at: at, detail: detail,
                                       related: [RelatedNote("module call `\(input.call.address)` (\(input.call.evidence.how))", at: input.call.call.block.typeRange)],
                                       fix: Fix(fixText)))
        }
        return out
    }
}
