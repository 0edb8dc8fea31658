import AuditCore
import HCL
import Knowledge
import Terraform

/// INP-202: `runner_extra_labels` written as a comma-separated string where the target wants a list.
public struct LabelTypeRule: Rule {
    public let id = RuleID.inp202
    public static let listSince = ModuleVersion(5, 0, 0)
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        for input in context.writtenInputs() where input.name == "runner_extra_labels" {
            guard input.scope == .root || input.scope == .runnerConfig,
                  let target = context.targetVersion(for: input.call), target >= Self.listSince,
                  let text = input.value.stringValue else { continue }
            let labels = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let list = "[" + labels.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
            // The literal is replaced only where it is written as a plain string.
            let literalRange = input.value.origin ?? input.valueRange
            let editable = context.workspace.source(literalRange.path).map { src in
                let written = src.text(of: literalRange)
                return written == "\"\(text)\"" || written == text || written == "'\(text)'"
            } ?? false
            out.append(context.finding(
                id,
                "`runner_extra_labels` is a string, but from 5.0.0 it is a list of labels: use `\(list)`",
                at: literalRange,
                detail: "5.0.0 changed `runner_extra_labels` from a comma-separated string to `list(string)`\(input.scope == .runnerConfig ? " (in `runner_config` it also became optional)" : ""). At \(target) a string is \(input.silentlyDropped ? "not converted" : "rejected by Terraform's type check").",
                related: [RelatedNote("module call `\(input.call.address)`", at: input.call.call.block.typeRange)],
                fix: Fix("Write the labels as a list: `\(list)`", edits: editable ? [TextEdit(range: literalRange, newText: list)] : [])))
        }
        return out
    }
}
