import AuditCore
import HCL
import Knowledge
import Terraform

/// VER-207: the registry source uses the old organisation name, or the plural docs typo.
public struct RegistrySourceRule: Rule {
    public let id = RuleID.ver207
    public static let renamedIn = ModuleVersion(6, 1, 1)
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        for call in context.model.calls {
            guard case .registry(let host, let ns, let name, _) = call.source.origin, let target = context.targetVersion(for: call) else { continue }
            let plural = name == "github-runners"
            guard plural || (ns.lowercased() == "philips-labs" && target >= Self.renamedIn) else { continue }
            let fixed = (host.map { $0 + "/" } ?? "") + "github-aws-runners/github-runner/aws" + (call.source.subdirectory.map { "//" + $0 } ?? "")
            let editRange = call.sourceRange
            let editable = context.workspace.source(editRange.path).map { $0.text(of: editRange) == "\"\(call.source.text)\"" } ?? false
            out.append(context.finding(
                id,
                plural
                    ? "`\(call.source.text)` is not the registry name of the runner module: it is `github-runner` (singular)"
                    : "the runner module is published as `github-aws-runners/github-runner/aws` from 6.1.1",
                at: editRange,
                detail: plural
                    ? "The plural form appears in the module's documentation but is not the registry name. Use `\(fixed)`."
                    : "The organisation was renamed from `philips-labs` to `github-aws-runners` in 6.1.1; new releases are published under the new name. Change the source to `\(fixed)` when moving to \(target).",
                severity: plural ? .warning : nil,
                related: call.callers,
                fix: Fix("Use `\(fixed)`", edits: editable ? [TextEdit(range: editRange, newText: "\"\(fixed)\"")] : [])))
        }
        return out
    }
}
