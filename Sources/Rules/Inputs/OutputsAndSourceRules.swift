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

/// VER-206: the user's `required_providers` does not allow the aws provider the target needs.
public struct ProviderConstraintRule: Rule {
    public let id = RuleID.ver206
    public init() {}

    /// The aws provider the root module requires, by release (module-facts §2.1).
    static let requirements: [(since: ModuleVersion, constraint: String, minimum: ModuleVersion)] = [
        (ModuleVersion(7, 7, 0), ">= 6.33", ModuleVersion(6, 33, 0)),
        (ModuleVersion(7, 0, 0), ">= 6.21", ModuleVersion(6, 21, 0)),
        (ModuleVersion(6, 6, 0), ">= 5.77", ModuleVersion(5, 77, 0)),
        (ModuleVersion(6, 0, 0), "~> 5.77", ModuleVersion(5, 77, 0)),
        (ModuleVersion(5, 6, 1), "~> 5.27", ModuleVersion(5, 27, 0)),
        (ModuleVersion(3, 5, 0), "~> 5.2", ModuleVersion(5, 2, 0)),
    ]

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        var seen = Set<String>()
        for call in context.model.calls {
            guard let target = context.targetVersion(for: call),
                  let req = Self.requirements.first(where: { $0.since <= target }) else { continue }
            for scope in context.model.scopes where scope.rootDirectory == call.scope.rootDirectory {
                for p in scope.module.providerRequirements where p.name == "aws" {
                    guard let text = p.versionConstraint, let constraint = VersionConstraint(text) else { continue }
                    // Some provider release must satisfy both the module's requirement and the user's constraint.
                    guard !Self.bothAllow(constraint, text, req.constraint, minimum: req.minimum) else { continue }
                    let key = "\(p.range)"
                    guard seen.insert(key).inserted else { continue }
                    // The release whose requirement the constraint first excludes: where the upgrade breaks.
                    let current = context.currentVersion(for: call)
                    let breaking = Self.requirements.reversed().first { r in
                        r.since <= target && (current.map { r.since > $0 } ?? true)
                            && !Self.bothAllow(constraint, text, r.constraint, minimum: r.minimum)
                    }?.since ?? current
                    out.append(context.finding(
                        id,
                        "aws provider constraint `\(text)` excludes the `\(req.constraint)` that module \(target) requires",
                        at: p.range,
                        detail: "From \(req.since) the runner module requires the aws provider `\(req.constraint)`; no provider release satisfies both constraints and `terraform init` fails. Widen the constraint, e.g. `>= \(req.minimum.major).\(req.minimum.minor)`.",
                        related: [RelatedNote("module call `\(call.address)`", at: call.call.block.typeRange)],
                        fix: Fix("Allow the aws provider `\(req.constraint)`"), changedIn: breaking))
                }
            }
        }
        return out
    }

    /// Whether some provider release satisfies both the user's constraint and the module's
    /// requirement (`~> 5.77` and `~> 5.2` do: 5.77 and above, below 6.0).
    static func bothAllow(_ user: VersionConstraint, _ userText: String, _ requirement: String, minimum: ModuleVersion) -> Bool {
        guard let required = VersionConstraint(requirement) else { return true }
        return candidates(from: minimum, naming: userText).contains { user.isSatisfied(by: $0) && required.isSatisfied(by: $0) }
    }

    /// Provider releases to try: every minor of the minimum's major and the next two (a few
    /// patches each), and the releases the user's constraint names.
    static func candidates(from m: ModuleVersion, naming userText: String = "") -> [ModuleVersion] {
        var out = [m]
        for major in m.major...(m.major + 2) {
            for minor in 0...150 { for patch in [0, 1, 2, 5, 10] { out.append(ModuleVersion(major, minor, patch)) } }
        }
        for token in userText.split(whereSeparator: { !($0.isNumber || $0 == ".") }) {
            let parts = token.split(separator: ".").compactMap { Int($0) }
            guard !parts.isEmpty, parts.count <= 3 else { continue }
            out.append(ModuleVersion(parts[0], parts.count > 1 ? parts[1] : 0, parts.count > 2 ? parts[2] : 0))
        }
        return out
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
