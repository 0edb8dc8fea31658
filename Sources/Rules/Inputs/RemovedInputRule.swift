import AuditCore
import HCL
import Knowledge
import Terraform

/// INP-201: an input the target release does not have (removed, renamed, not yet added, or a typo).
public struct RemovedInputRule: Rule {
    public let id = "INP-201"
    public init() {}

    /// Inputs other rules own (JIT-103 explains `enable_jit_config` before 4.0.1).
    static let ownedElsewhere: Set<String> = ["enable_jit_config"]

    /// Same value, new name: `enabled_userdata` → `enable_userdata`.
    static func isOneToOne(_ r: InputRename) -> Bool {
        guard let new = r.replacement, !new.contains(".") else { return false }
        let note = r.note.lowercased()
        return !(note.contains("type") || note.contains("shape") || note.contains("object") || note.contains("arn") || note.contains("list"))
    }

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let kb = context.knowledge
        for input in context.writtenInputs() {
            guard let target = context.targetVersion(for: input.call) else { continue }
            let known = kb.inputs(scope: input.scope, at: target)
            guard !known.contains(input.name), !Self.ownedElsewhere.contains(input.name) else { continue }
            let consequence = input.silentlyDropped
                ? "Terraform silently drops it, so the setting has no effect"
                : "Terraform rejects it with \"Unsupported argument\""
            var message: String
            var detail: String
            var edits: [TextEdit] = []
            var fixText: String
            if let life = kb.lifespan(scope: input.scope, name: input.name) {
                if let removed = life.removedIn, removed <= target {
                    let rename = kb.rename(scope: input.scope, old: input.name)
                    message = "`\(input.name)` was removed in \(removed) (\(input.scope.phrase))"
                    if let r = rename, let new = r.replacement {
                        message += "; use `\(new)`"
                        // A one-to-one rename is machine-applicable; a move into an object or a
                        // change of shape is not.
                        if Self.isOneToOne(r) { edits = [TextEdit(range: input.nameRange, newText: new)] }
                        fixText = "Replace `\(input.name)` with `\(new)`"
                    } else {
                        fixText = "Remove `\(input.name)`"
                    }
                    detail = "At \(target) `\(input.name)` is no longer an \(input.scope.phrase): \(consequence). \(rename?.note ?? "")"
                } else {
                    message = "`\(input.name)` only exists from \(life.first) (\(input.scope.phrase)), audited at \(target)"
                    detail = "At \(target) \(consequence). Target \(life.first) or later, or remove the setting."
                    fixText = "Target \(life.first) or later, or remove `\(input.name)`"
                }
            } else {
                let suggestion = kb.suggestion(for: input.name, among: known)
                message = "`\(input.name)` is not an \(input.scope.phrase) at \(target)" + (suggestion.map { "; did you mean `\($0)`?" } ?? "")
                detail = "\(consequence.prefix(1).uppercased() + consequence.dropFirst())." + (suggestion.map { " The closest input is `\($0)`." } ?? "")
                if let s = suggestion { edits = [TextEdit(range: input.nameRange, newText: s)] }
                fixText = suggestion.map { "Rename to `\($0)`" } ?? "Remove `\(input.name)`"
            }
            out.append(context.finding(id, message, at: input.nameRange, detail: detail.trimmingCharacters(in: .whitespaces),
                                       related: [RelatedNote("module call `\(input.call.address)` (\(input.call.evidence.how))", at: input.call.call.block.typeRange)],
                                       fix: Fix(fixText, edits: edits)))
        }
        return out
    }
}
