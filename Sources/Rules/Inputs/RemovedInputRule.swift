import AuditCore
import HCL
import Knowledge
import Terraform

/// INP-201: an input the target release does not have (removed, renamed, not yet added, or a typo).
public struct RemovedInputRule: Rule {
    public let id = RuleID.inp201
    public init() {}

    /// Inputs other rules own (JIT-103 explains `enable_jit_config` before 4.0.1).
    static let ownedElsewhere: Set<String> = ["enable_jit_config"]

    /// "an input …", "a field …".
    static func article(_ phrase: String) -> String {
        phrase.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    /// Where a multi-runner setting written at the wrong level belongs: a `runner_config` field
    /// written next to `runner_config` (the entry level), or an entry-level field (`fifo`,
    /// `redrive_build_queue`...) written inside `runner_config`.
    static func rightLevel(of name: String, writtenIn scope: InputScope, at target: ModuleVersion,
                           knowledge kb: KnowledgeBase) -> (scope: InputScope, place: String, writtenPlace: String)? {
        switch scope {
        case .multiRunnerConfig where kb.hasInput(name, scope: .runnerConfig, at: target):
            return (.runnerConfig, "inside `runner_config`", "next to `runner_config`")
        case .runnerConfig where kb.hasInput(name, scope: .multiRunnerConfig, at: target):
            return (.multiRunnerConfig, "next to `runner_config`, in the `multi_runner_config` entry", "inside `runner_config`")
        default:
            return nil
        }
    }

    /// Same value, new name: `enabled_userdata` → `enable_userdata`.
    static func isOneToOne(_ r: InputRename) -> Bool {
        guard let new = r.replacement, !new.contains(".") else { return false }
        let note = r.note.lowercased()
        return !(note.contains("type") || note.contains("shape") || note.contains("object") || note.contains("arn") || note.contains("list"))
    }

    /// The renames from `name` to what stands for it at `target`: each step's successor, while
    /// that successor (an input, not a field path) was itself renamed before the target. The last
    /// step says when its successor was removed without one by the target
    /// (`replacementRemovedIn`). Empty when `name` has no rename.
    static func renameChain(from name: String, scope: InputScope, at target: ModuleVersion,
                            knowledge kb: KnowledgeBase) -> [(rename: InputRename, replacementRemovedIn: ModuleVersion?)] {
        var chain: [(rename: InputRename, replacementRemovedIn: ModuleVersion?)] = []
        var current = name
        var seen: Set<String> = [name]
        while let r = kb.rename(scope: scope, old: current) {
            guard let next = r.replacement, !next.contains("."), seen.insert(next).inserted,
                  let removed = kb.lifespan(scope: scope, name: next)?.removedIn, removed <= target else {
                chain.append((r, nil))
                break
            }
            if let further = kb.rename(scope: scope, old: next), further.replacement != nil {
                chain.append((r, nil))
                current = next
            } else {
                chain.append((r, removed))
                break
            }
        }
        return chain
    }

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let kb = context.knowledge
        for input in context.writtenInputs() {
            // Before the first release the knowledge base covers, it cannot say what exists.
            guard let target = context.targetVersion(for: input.call),
                  let first = kb.releases.first?.version, target >= first else { continue }
            guard !kb.hasInput(input.name, scope: input.scope, at: target), !Self.ownedElsewhere.contains(input.name) else { continue }
            let known = kb.inputs(scope: input.scope, at: target)
            let consequence = input.silentlyDropped
                ? "Terraform silently drops it, so the setting has no effect"
                : "Terraform rejects it with \"Unsupported argument\""
            var message: String
            var detail: String
            var edits: [TextEdit] = []
            var fixText: String
            // Where the checklist files it: the release that removes the input; a typo or a
            // misplaced field holds today, whatever the target.
            var changedIn = context.currentVersion(for: input.call)
            if let life = kb.lifespan(scope: input.scope, name: input.name) {
                if let removed = life.removedIn, removed <= target {
                    changedIn = removed
                    let rename = kb.rename(scope: input.scope, old: input.name)
                    let chain = Self.renameChain(from: input.name, scope: input.scope, at: target, knowledge: kb)
                    message = "`\(input.name)` was removed in \(removed) (\(input.scope.phrase))"
                    if let r = rename, let new = r.replacement, let last = chain.last, let gone = last.replacementRemovedIn {
                        // The successor is gone by the target too (`fifo_build_queue` →
                        // `enable_fifo_build_queue`, removed in 6.0.0): nothing to rename to.
                        message += "; its successor `\(last.rename.replacement ?? new)` was removed in \(gone) too"
                        fixText = "Remove `\(input.name)`"
                    } else if let r = rename, let new = chain.last?.rename.replacement ?? r.replacement {
                        message += "; use `\(new)`"
                        // A one-to-one rename (every step of the chain) is machine-applicable; a
                        // move into an object or a change of shape is not.
                        if chain.allSatisfy({ Self.isOneToOne($0.rename) }) { edits = [TextEdit(range: input.nameRange, newText: new)] }
                        fixText = "Replace `\(input.name)` with `\(new)`"
                    } else {
                        fixText = "Remove `\(input.name)`"
                    }
                    detail = "At \(target) `\(input.name)` is no longer \(Self.article(input.scope.phrase)) \(input.scope.phrase): \(consequence). \(rename?.note ?? "")"
                } else {
                    message = "`\(input.name)` only exists from \(life.first) (\(input.scope.phrase)), audited at \(target)"
                    detail = "At \(target) \(consequence). Target \(life.first) or later, or remove the setting."
                    fixText = "Target \(life.first) or later, or remove `\(input.name)`"
                }
            } else if let level = Self.rightLevel(of: input.name, writtenIn: input.scope, at: target, knowledge: kb) {
                // A multi-runner setting written one level too high or too low: the object type
                // drops it, and the fleet runs with the default.
                message = "`\(input.name)` is written \(level.writtenPlace) but belongs \(level.place): Terraform silently drops it there"
                detail = "At \(target) `\(input.name)` is \(Self.article(level.scope.phrase)) \(level.scope.phrase). Written \(level.writtenPlace), it has no effect: the object type drops attributes it does not declare, without an error, so the fleet runs with the module's default. Move it \(level.place)."
                fixText = "Move `\(input.name)` \(level.place)"
            } else {
                let suggestion = kb.suggestion(for: input.name, among: known)
                message = "`\(input.name)` is not \(Self.article(input.scope.phrase)) \(input.scope.phrase) at \(target)" + (suggestion.map { "; did you mean `\($0)`?" } ?? "")
                detail = "\(consequence.prefix(1).uppercased() + consequence.dropFirst())." + (suggestion.map { " The closest input is `\($0)`." } ?? "")
                if let s = suggestion { edits = [TextEdit(range: input.nameRange, newText: s)] }
                fixText = suggestion.map { "Rename to `\($0)`" } ?? "Remove `\(input.name)`"
            }
            out.append(context.finding(id, message, at: input.nameRange, detail: detail.trimmingCharacters(in: .whitespaces),
                                       related: [RelatedNote("module call `\(input.call.address)` (\(input.call.evidence.how))", at: input.call.call.block.typeRange)],
                                       fix: Fix(fixText, edits: edits), changedIn: changedIn))
        }
        return out
    }
}
