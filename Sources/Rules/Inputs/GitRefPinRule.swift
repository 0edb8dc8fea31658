import AuditCore
import Terraform

/// VER-210: a runner module call's git `source` pins a release tag (`?ref=v4.1.0`) other than
/// the target (issue 20 §4). A note: moving the ref is the upgrade itself.
public struct GitRefPinRule: Rule {
    public let id = RuleID.ver210
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        var seen = Set<SourceRange>()
        let releases = context.knowledge.releases.map(\.version)
        for call in context.model.calls where NoRunnerModuleRule.runnerKinds.contains(call.kind) && call.vendoredRoot == nil {
            guard let ref = call.source.gitRef, let range = call.call.sourceExpression?.range,
                  let named = PinMove.releaseTag(ref) ?? (call.evidence.how.hasPrefix("git ref") ? call.version : nil),
                  let target = context.targetVersion(for: call), named != target,
                  seen.insert(range).inserted else { continue }
            let fix = PinMove.of(call, to: target, releases: releases, workspace: context.workspace).fix(
                edited: { _ in "Move `?ref=` from \(named) to \(target)" }, otherwise: "Point `?ref=` at the tag of \(target)")
            out.append(context.finding(
                id, "git ref `\(ref)` of `\(call.address)` names release \(named), not the target \(target)",
                at: range,
                detail: "Terraform checks out the ref the source names, so the release \(target) this report describes is installed only once the ref moves.",
                related: call.callers, fix: fix))
        }
        return out
    }
}
