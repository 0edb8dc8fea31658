import AuditCore
import HCL
import Knowledge
import Terraform

/// INP-205: references to module outputs the target release no longer has.
public struct RemovedOutputRule: Rule {
    public let id = RuleID.inp205
    public init() {}

    struct RemovedOutput {
        var kind: RunnerModuleKind
        var name: String
        var removedIn: ModuleVersion
        var replacement: String?
    }

    /// Outputs of `modules/multi-runner` removed in 5.0.0 and 5.19.0 (module-facts §1.2, §2.3).
    static let removed: [RemovedOutput] = [
        RemovedOutput(kind: .multiRunner, name: "runners", removedIn: ModuleVersion(5, 0, 0), replacement: "runners_map"),
        RemovedOutput(kind: .multiRunner, name: "binaries_syncer", removedIn: ModuleVersion(5, 0, 0), replacement: "binaries_syncer_map"),
        RemovedOutput(kind: .multiRunner, name: "queues", removedIn: ModuleVersion(5, 19, 0), replacement: nil),
    ]

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        // The calls of each module, once (not a filter over every call for every scope).
        let callsByDirectory = Dictionary(grouping: context.model.calls.indices) { context.model.calls[$0].scope.module.directory }
        for scope in context.model.scopes {
            guard let indices = callsByDirectory[scope.module.directory] else { continue }
            let calls = indices.map { context.model.calls[$0] }
            for file in scope.module.files {
                file.body.forEachExpression { expr in
                    // Exactly `module.NAME.OUTPUT` (deeper traversals contain this node and are visited too).
                    guard case .getAttribute = expr.kind, let path = expr.traversalPath, path.count == 3, path[0] == "module" else { return }
                    guard let call = calls.first(where: { $0.call.name == path[1] }), let target = context.targetVersion(for: call) else { return }
                    let outputName = path[2]
                    for r in Self.removed where r.kind == call.kind && r.name == outputName && r.removedIn <= target {
                        out.append(context.finding(
                            id,
                            "output `\(r.name)` of `module.\(call.call.name)` was removed in \(r.removedIn)" + (r.replacement.map { "; use `\($0)`" } ?? ""),
                            at: expr.range,
                            detail: "At \(target) Terraform fails with \"Unsupported attribute\".",
                            related: [RelatedNote("module call `\(call.address)`", at: call.call.block.typeRange)],
                            fix: Fix(r.replacement.map { "Use `module.\(call.call.name).\($0)`" } ?? "Remove the reference"), changedIn: r.removedIn))
                    }
                }
            }
        }
        return out
    }
}
