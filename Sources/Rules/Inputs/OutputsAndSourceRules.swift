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
        for scope in context.model.scopes {
            let calls = context.model.calls.filter { $0.scope.module.directory == scope.module.directory }
            guard !calls.isEmpty else { continue }
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

/// VER-206: the user's `required_providers` does not allow the aws provider the target needs. The
/// module's own constraint per release and directory comes from the knowledge base
/// (`rules/knowledge/provider-requirements.yaml`); the finding names the first release of the
/// upgrade whose constraint no provider release satisfies together with the user's, which is
/// where the checklist files it.
public struct ProviderConstraintRule: Rule {
    public let id = RuleID.ver206
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        var seen = Set<String>()
        let kb = context.knowledge
        for call in context.model.calls {
            guard let target = context.targetVersion(for: call), let module = Self.moduleDirectory(of: call),
                  let required = kb.awsProviderRequirement(module: module, at: target),
                  let requiredConstraint = VersionConstraint(required.constraint) else { continue }
            for scope in context.model.scopes where scope.rootDirectory == call.scope.rootDirectory {
                for p in scope.module.providerRequirements where p.name == "aws" {
                    guard let text = p.versionConstraint, let constraint = VersionConstraint(text),
                          !constraint.overlaps(requiredConstraint) else { continue }
                    guard seen.insert("\(p.range)").inserted else { continue }
                    func conflicts(at v: ModuleVersion) -> ModuleProviderRequirement? {
                        guard let r = kb.awsProviderRequirement(module: module, at: v), let c = VersionConstraint(r.constraint),
                              !constraint.overlaps(c) else { return nil }
                        return r
                    }
                    // Where the upgrade breaks: the current release already conflicting, else the
                    // first release after it (up to the target) whose constraint conflicts.
                    let current = context.currentVersion(for: call)
                    let breaking: (version: ModuleVersion, requirement: ModuleProviderRequirement)? =
                        current.flatMap { c in conflicts(at: c).map { (c, $0) } }
                        ?? kb.releases.lazy.map(\.version)
                            .filter { v in v <= target && (current.map { v > $0 } ?? true) }
                            .compactMap { v in conflicts(at: v).map { (v, $0) } }.first
                    let first = breaking ?? (target, required)
                    let tag = { (v: ModuleVersion) in kb.release(version: v)?.tag ?? "v\(v)" }
                    var detail = "From \(first.version) the runner module requires the aws provider `\(first.requirement.constraint)` "
                        + "(\(first.requirement.citation(at: first.version, tag: tag(first.version))))"
                    if first.requirement.constraint != required.constraint {
                        detail += ", and \(target) requires `\(required.constraint)` (\(required.citation(at: target, tag: tag(target))))"
                    }
                    detail += "; no provider release satisfies both constraints and `terraform init` fails. Widen the constraint, e.g. `\(Self.widened(required.constraint))`."
                    out.append(context.finding(
                        id,
                        "aws provider constraint `\(text)` excludes the `\(required.constraint)` that module \(target) requires"
                            + (first.version == current ? " (already at \(first.version), the release in use)" : first.version < target ? " (from \(first.version))" : ""),
                        at: p.range,
                        detail: detail,
                        related: [RelatedNote("module call `\(call.address)`", at: call.call.block.typeRange)],
                        fix: Fix("Allow the aws provider `\(required.constraint)`"), changedIn: first.version))
                }
            }
        }
        return out
    }

    /// The module directory a call uses: `""` for the root module, `modules/multi-runner`, ...
    static func moduleDirectory(of call: RunnerModuleCall) -> String? {
        switch call.kind {
        case .root: return ""
        case .otherSubmodule: return call.source.subdirectory.map { $0.trimmingCharacters(in: ["/"]) }
        default: return "modules/" + call.kind.rawValue
        }
    }

    /// A lower bound that admits the required constraint's releases: `>= 6.21` for `>= 6.21` or
    /// `~> 6.21`.
    static func widened(_ required: String) -> String {
        guard let c = VersionConstraint(required), let low = c.clauses.first(where: { [.ge, .gt, .pessimistic, .eq].contains($0.op) })?.version else {
            return required
        }
        return ">= \(low.major).\(low.minor)"
    }
}

extension Body {
    /// Calls `visit` on every expression of the body, nested ones included.
    func forEachExpression(_ visit: (Expression) -> Void) {
        for item in items {
            switch item {
            case .attribute(let a): a.expression.forEach(visit)
            case .block(let b): b.body.forEachExpression(visit)
            }
        }
    }
}

extension Expression {
    func forEach(_ visit: (Expression) -> Void) {
        visit(self)
        switch kind {
        case .getAttribute(let e, _, _), .parenthesized(let e), .unary(_, let e):
            e.forEach(visit)
        case .index(let e, let k):
            e.forEach(visit); k.forEach(visit)
        case .splat(let s, let each):
            s.forEach(visit); each.forEach(visit)
        case .tuple(let items):
            items.forEach { $0.forEach(visit) }
        case .object(let items):
            for i in items { i.key.forEach(visit); i.value.forEach(visit) }
        case .functionCall(_, _, let args, _):
            args.forEach { $0.forEach(visit) }
        case .conditional(let c, let t, let f):
            c.forEach(visit); t.forEach(visit); f.forEach(visit)
        case .binary(_, let l, let r):
            l.forEach(visit); r.forEach(visit)
        case .forExpression(let f):
            f.collection.forEach(visit); f.keyResult?.forEach(visit); f.valueResult.forEach(visit); f.condition?.forEach(visit)
        case .template(let parts):
            for p in parts { p.forEach(visit) }
        default:
            break
        }
    }
}

extension TemplatePart {
    func forEach(_ visit: (Expression) -> Void) {
        switch self {
        case .literal: break
        case .interpolation(let e): e.forEach(visit)
        case .conditional(let c, let t, let e, _):
            c.forEach(visit); t.forEach { $0.forEach(visit) }; e.forEach { $0.forEach(visit) }
        case .loop(_, _, let coll, let body, _):
            coll.forEach(visit); body.forEach { $0.forEach(visit) }
        }
    }
}
