import AuditCore
import Terraform

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
