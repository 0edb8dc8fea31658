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

/// CORE-008: no call of the runner module was found, so nothing of a runner deployment was
/// audited (issue 18 §2). Names what was scanned and what looked like the module.
public struct NoRunnerModuleRule: Rule {
    public let id = RuleID.core008
    public init() {}

    public static let runnerKinds: Set<RunnerModuleKind> = [.root, .multiRunner, .runners]

    public func check(_ context: RuleContext) -> [Finding] {
        guard !context.model.calls.contains(where: { Self.runnerKinds.contains($0.kind) }) else { return [] }
        let workspace = context.workspace
        let modules = workspace.terraformModules()
        let tfFiles = workspace.files(ofKind: .terraform).count + workspace.files(ofKind: .terraformJSON).count
        var scanned = "\(tfFiles) Terraform file\(tfFiles == 1 ? "" : "s") in \(modules.count) folder\(modules.count == 1 ? "" : "s")"
        if context.model.calls.isEmpty == false {
            scanned += ", \(context.model.calls.count) call\(context.model.calls.count == 1 ? "" : "s") of the module's helper submodules"
        }
        // What looked like the module: calls of a local folder holding the module's layout or
        // named after it, and vendored copies no call uses.
        var lookalikes: [(String, SourceRange)] = []
        for dir in modules.keys.sorted() {
            for call in modules[dir]!.moduleCalls {
                guard let src = call.sourceExpression?.staticString, let local = ModuleSource(src).localPath,
                      let target = Paths.join(dir, local) else { continue }
                let layout = workspace.fileSystem.list(target + "/modules/runners") != nil
                    || workspace.fileSystem.list(target + "/lambdas") != nil && workspace.fileSystem.list(target + "/modules") != nil
                if layout || src.contains("github-runner") {
                    lookalikes.append(("module `\(call.name)` in `\(call.file)` calls `\(src)`, which \(layout ? "holds the module's layout (`modules/runners`, `lambdas/`)" : "is named after the module") but was not recognised as a copy of a release", call.block.range))
                }
            }
        }
        for copy in context.model.vendoredRoots.values.sorted(by: { $0.directory < $1.directory }) where lookalikes.isEmpty {
            lookalikes.append(("`\(copy.directory)` is a copy of the module that no module call uses", .fileStart(copy.directory.isEmpty ? "." : copy.directory)))
        }
        // At what looked like the module, else the first block of the first Terraform file.
        let firstFile = workspace.sortedPaths.first { workspace[$0]!.kind.isTerraform }
        let firstBlock = firstFile.flatMap { workspace[$0]?.hcl?.body.blocks.first?.range }
        let anchor = lookalikes.first?.1 ?? firstBlock ?? firstFile.map { SourceRange.fileStart($0) } ?? .fileStart(".")
        var detail = "Scanned \(scanned). Nothing of a runner deployment was audited, so a clean report says nothing about one."
        if !lookalikes.isEmpty { detail += " Looked like the module: " + lookalikes.map(\.0).joined(separator: "; ") + "." }
        detail += " Point the audit at the folder that deploys terraform-aws-github-runner, or pass `--require-module` (config `require_module: true`) to make this an error in CI."
        return [context.finding(id, "no call of the runner module found (scanned \(scanned))", at: anchor, detail: detail)]
    }
}

/// VER-208: the target is older than the release a call uses: the report describes a downgrade.
public struct DowngradeRule: Rule {
    public let id = RuleID.ver208
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        context.model.calls.compactMap { call in
            guard NoRunnerModuleRule.runnerKinds.contains(call.kind), let current = context.currentVersion(for: call),
                  let target = context.targetVersion(for: call), target < current else { return nil }
            return context.finding(
                id, "target \(target) is older than \(current), the release `\(call.address)` uses: this audit describes a downgrade",
                at: call.evidence.range ?? call.sourceRange,
                detail: "The other findings of this call describe moving back to \(target). If you meant an upgrade, use `--target latest`, `--target pinned` or the release you mean to move to.")
        }
    }
}

/// Every rule, in catalogue order. An immutable value: no registry singleton.
public enum RuleRegistry {
    public static let all: [any Rule] = [
        ModuleVersionUnknownRule(),
        NoRunnerModuleRule(),
        DowngradeRule(),
        TokenOnlyScriptRule(),
        JITSwitchMissingRule(),
        JITOnlyScriptOptedOutRule(),
        JITAwareScriptTooEarlyRule(),
        GHESJITRule(),
        WindowsJITRule(),
        UbuntuDashRule(),
        LambdaVersionRule(),
        PartitionRule(),
        BootScriptNotFoundRule(),
        RemovedInputRule(),
        LabelTypeRule(),
        DefaultChangeRule(),
        DeprecatedInputRule(),
        ModuleValidationRule(),
        ObjectAttributeRule(),
        RemovedOutputRule(),
        ProviderConstraintRule(),
        RegistrySourceRule(),
        VersionConstraintRule(),
        GitRefPinRule(),
        WorkflowLabelRule(),
        PermissionGapRule(),
        OverBroadGrantRule(),
    ]

    /// Rule ids whose detection lives in the engine (parse and read problems).
    public static let engineIds: Set<RuleID> = [.core001, .core002, .core003, .core005, .core006, .core007, .core010, .core011, .core012, .core013]

    /// Rule ids the live probe (target `Probe`, which depends on this target's neighbours, not on
    /// it) emits; ProbeTests checks this list against the probe's own.
    public static let probeIds: Set<RuleID> = [
        .prb401, .prb402, .prb403, .prb404, .prb405, .prb406, .prb407, .prb408, .prb409, .prb410, .prb411, .prb412,
    ]

    /// Rule ids the boot rehearsal (target `Rehearsal`) emits; RehearsalTests runs their examples.
    public static let rehearsalIds: Set<RuleID> = [.rhs501, .rhs502]

    /// Every id some code can emit.
    public static var implementedIds: Set<RuleID> {
        Set(all.flatMap(\.emits)).union(engineIds).union(probeIds).union(rehearsalIds)
    }
}
