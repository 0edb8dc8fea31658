import AuditCore
import Documents
import Foundation
import HCL
import Knowledge

/// Reads the repository's Terraform into a `DeploymentModel`: every call of the runner module,
/// through the user's own wrapper modules, with one `Fleet` per runner configuration.
public struct DeploymentModelBuilder: Sendable {
    public var workspace: Workspace { didSet { functions = workspace.functions } }
    /// What every scope evaluates with instead of the table's functions (`Workspace.functions`).
    private var functions: [String: Function]
    public var knowledge: KnowledgeBase
    public var rootInputs: RootInputs
    /// The run's evaluation budget: the model's evaluations and the rules' share it.
    public var budget: EvaluationBudget
    /// Threads that model root modules at once; nil: one per core. The model is the same whatever
    /// the number.
    public var workers: Int?
    /// Evaluates every local of every module (what the audit did before locals were evaluated on
    /// demand): for measuring the work laziness saves. The findings are the same.
    public var eagerLocals = false

    /// How deep wrapper modules are followed.
    public static let maxWrapperDepth = 8

    public init(workspace: Workspace, knowledge: KnowledgeBase, rootInputs: RootInputs, budget: EvaluationBudget = EvaluationBudget(),
                workers: Int? = nil, eagerLocals: Bool = false) {
        self.workers = workers
        self.eagerLocals = eagerLocals
        self.workspace = workspace
        self.functions = workspace.functions
        self.knowledge = knowledge
        self.rootInputs = rootInputs
        self.budget = budget
    }

    public func build() -> DeploymentModel {
        let modules = workspace.terraformModules()
        let vendored = findVendoredCopies(modules: modules)
        func isVendored(_ dir: String) -> Bool {
            vendored.values.contains { $0.contains(dir) }
        }
        let userModules = modules.filter { !isVendored($0.key) }
        let roots = Self.rootModules(userModules)
        let manifest = ModulesManifest(workspace: workspace)

        // Roots are independent: each is modelled on its own worker with a budget of its own, then
        // the results are taken in root order. The run's budget is one, shared in root order: a
        // root whose work would not have fitted in what the roots before it left is modelled again,
        // in order, with the shared budget (as a one-worker run does), so the model (and every
        // limit finding) is the same whatever the scheduling.
        // What the repository's workflows set (`TF_VAR_*`), read once for every root.
        let workflowVariables = WorkflowVariables.collect(workspace)
        let parallel = (workers ?? Parallel.defaultWorkers) > 1 && roots.count > 1
        // The heaviest roots first (by the bytes of the files below each), so one big root (a
        // multi-runner call reading hundreds of YAML files) is not taken last and left to one
        // worker while the others are idle; the results are put back in root order.
        let order = parallel ? Self.heaviestFirst(roots, workspace: workspace) : []
        // The plan of each module's locals, made once for every scope of the module.
        let plans = LocalPlans()
        var speculative: [BuildState?]? = parallel ? {
            let states = Parallel.map(order, workers: workers) { i in
                var own = BuildState(budget: EvaluationBudget(maxSteps: budget.maxSteps), plans: plans)
                buildRoot(roots[i], modules: userModules, vendored: vendored, manifest: manifest, workflowVariables: workflowVariables, state: &own)
                return own
            }
            var byRoot = [BuildState?](repeating: nil, count: roots.count)
            for (k, i) in order.enumerated() { byRoot[i] = states[k] }
            return byRoot
        }() : nil
        var state = BuildState(budget: budget, plans: plans)
        for (i, dir) in roots.enumerated() {
            // Taken out of the list, so that its calls are changed in place (not copied while the
            // list still holds them) and it is freed once taken.
            let taken = speculative?[i] ?? nil
            speculative?[i] = nil
            if let own = taken, own.budget.exceeded.isEmpty, budget.absorb(own.budget) {
                state.take(own, budget: budget)
            } else {
                buildRoot(dir, modules: userModules, vendored: vendored, manifest: manifest, workflowVariables: workflowVariables, state: &state)
            }
        }
        state.placeLocalDiagnostics()
        state.diagnostics += state.budget.exceeded
        return DeploymentModel(calls: state.calls, roots: roots, vendoredRoots: vendored, scopes: state.scopes, diagnostics: state.diagnostics)
    }

    /// The indices of `roots`, those with the most bytes in the files below them first (ties in
    /// root order).
    static func heaviestFirst(_ roots: [String], workspace: Workspace) -> [Int] {
        var bytesBelow: [String: Int] = [:]
        for path in workspace.sortedPaths {
            let size = workspace[path]?.source.bytes.count ?? 0
            var dir = Paths.directory(of: path)
            while true {
                bytesBelow[dir, default: 0] += size
                if dir.isEmpty { break }
                dir = Paths.directory(of: dir)
            }
        }
        let weights = roots.map { bytesBelow[$0] ?? 0 }
        return roots.indices.sorted { a, b in weights[a] != weights[b] ? weights[a] > weights[b] : a < b }
    }

    private func buildRoot(_ dir: String, modules: [String: TerraformModule], vendored: [String: VendoredCopy], manifest: ModulesManifest,
                           workflowVariables: [WorkflowVariable], state: inout BuildState) {
        let module = modules[dir]!
        let (values, diags) = rootInputs.values(for: module, workspace: workspace, workflowVariables: workflowVariables)
        state.diagnostics += diags
        let scope = ModuleScope(module: module, rootDirectory: dir, given: values, fileSystem: workspace.fileSystem, functions: functions, budget: state.budget,
                                eager: eagerLocals, plans: state.plans)
        let (callsBefore, scopesBefore) = (state.calls.count, state.scopes.count)
        visit(scope, prefix: "", callers: [], chain: [dir], modules: modules, vendored: vendored, manifest: manifest, state: &state)
        // A root that deploys runners is the runner deployment: every local of its modules is
        // evaluated, so what Terraform would fail on there (a local reading a broken file) is
        // reported as before. Elsewhere (application roots of a monorepo) a local is evaluated
        // only when something the audit reads refers to it.
        if state.calls.count > callsBefore {
            for scope in state.scopes[scopesBefore...] { _ = scope.locals }
        }
    }

    /// The modules Terraform would be run in: those no other module calls. A module that calls
    /// itself is still a root (the call is a cycle, reported where it is written), and a cycle of
    /// modules that nothing else calls is entered at its shallowest folder, so no call in it
    /// silently disappears.
    static func rootModules(_ modules: [String: TerraformModule]) -> [String] {
        var callees: [String: [String]] = [:]
        var calledByOthers = Set<String>()
        for (dir, module) in modules {
            let targets = module.localCallTargets.filter { $0 != dir && modules[$0] != nil }
            callees[dir] = targets
            calledByOthers.formUnion(targets)
        }
        var roots = modules.keys.filter { !calledByOthers.contains($0) }.sorted()
        var reached = Set<String>()
        func reach(from start: String) {
            var pending = [start]
            while let dir = pending.popLast() {
                guard reached.insert(dir).inserted else { continue }
                pending += callees[dir] ?? []
            }
        }
        roots.forEach(reach)
        let depth = { (dir: String) in dir.isEmpty ? 0 : dir.split(separator: "/").count }
        while let next = modules.keys.filter({ !reached.contains($0) }).min(by: { (depth($0), $0) < (depth($1), $1) }) {
            roots.append(next)
            reach(from: next)
        }
        return roots.sorted()
    }

    private struct BuildState {
        var calls: [RunnerModuleCall] = []
        var scopes: [ModuleScope] = []
        var diagnostics: [Diagnostic] = []
        /// One evaluation budget for the whole model.
        let budget: EvaluationBudget
        /// The plans of the modules' locals, shared by every root's state.
        let plans: LocalPlans
        /// Where each scope's locals' diagnostics go: the count of `diagnostics` when the scope
        /// was entered, and the scope's index.
        var localSlots: [(at: Int, scope: Int)] = []

        /// Inserts each scope's locals' diagnostics where the scope was entered.
        mutating func placeLocalDiagnostics() {
            for slot in localSlots.reversed() {
                diagnostics.insert(contentsOf: scopes[slot.scope].localDiagnostics, at: slot.at)
            }
            localSlots = []
        }

        /// Appends what another root's state holds, its scopes evaluating with `budget` from now on.
        mutating func take(_ other: consuming BuildState, budget: EvaluationBudget) {
            var other = other
            for i in other.calls.indices { other.calls[i].scope.budget = budget }
            for i in other.scopes.indices { other.scopes[i].budget = budget }
            calls += other.calls
            scopes += other.scopes
            localSlots += other.localSlots.map { ($0.at + diagnostics.count, $0.scope + scopes.count - other.scopes.count) }
            diagnostics += other.diagnostics
        }
    }

    /// One instance of a module call: its key and the `each`/`count` values.
    struct Instance {
        var key: String?
        var extra: [String: Value]
    }

    func instances(of call: ModuleCallBlock, in scope: ModuleScope) -> [Instance] {
        if let fe = call.forEach {
            let (v, _) = scope.evaluate(fe)
            switch v.kind {
            case .object(let o):
                return o.keys.sorted().map { k in Instance(key: k, extra: ["each": .object(["key": .string(k), "value": o[k]!])]) }
            case .list(let l):
                var seen = Set<String>()
                return l.compactMap { item -> Instance? in
                    guard let k = item.asString, seen.insert(k).inserted else { return nil }
                    return Instance(key: k, extra: ["each": .object(["key": .string(k), "value": item])])
                }.sorted { ($0.key ?? "") < ($1.key ?? "") }
            default:
                let unknown = Value.unknown("for_each of module.\(call.name) is not known statically")
                return [Instance(key: nil, extra: ["each": .object(["key": unknown, "value": unknown])])]
            }
        }
        if let c = call.count {
            let (v, _) = scope.evaluate(c)
            if let n = v.numberValue, !v.isUnknown {
                // At most 64 instances, clamped before the conversion: `count = 1e300` must not trap.
                let count = n.isNaN ? 0 : Int(max(0, min(n, 64)))
                return (0..<count).map { Instance(key: String($0), extra: ["count": .object(["index": .number(Double($0))])]) }
            }
            return [Instance(key: nil, extra: ["count": .object(["index": .unknown("count of module.\(call.name) is not known statically")])])]
        }
        return [Instance(key: nil, extra: [:])]
    }

    /// `chain`: the module folders from the root to this scope, to tell a cycle.
    private func visit(_ scope: ModuleScope, prefix: String, callers: [RelatedNote], chain: [String],
                       modules: [String: TerraformModule], vendored: [String: VendoredCopy],
                       manifest: ModulesManifest, state: inout BuildState) {
        let depth = chain.count - 1
        state.scopes.append(scope)
        state.diagnostics += scope.diagnostics
        // What evaluating its locals reports goes here once the model is built (locals are
        // evaluated when something needs them, possibly later in the walk).
        state.localSlots.append((state.diagnostics.count, state.scopes.count - 1))
        for call in scope.module.moduleCalls {
            guard let srcExpr = call.sourceExpression else { continue }
            let (srcValue, _) = scope.evaluate(srcExpr)
            guard let srcText = srcValue.stringValue else { continue }
            let source = ModuleSource(srcText)
            let address = prefix + "module.\(call.name)"
            if let local = source.localPath, let target = Paths.join(scope.module.directory, local), modules[target] != nil,
               let problem = Self.cycleProblem(call: call, address: address, target: target, chain: chain, at: srcExpr.range) {
                state.diagnostics.append(problem)
                continue
            }

            var vendoredRoot: String?
            var submodule: String?
            if let local = source.localPath, let target = Paths.join(scope.module.directory, local) {
                if let root = vendored.keys.sorted(by: { $0.count > $1.count }).first(where: { vendored[$0]!.contains(target) }) {
                    vendoredRoot = root
                    let rest = target == root ? "" : String(target.dropFirst(root.isEmpty ? 0 : root.count + 1))
                    submodule = rest.hasPrefix("modules/") ? String(rest.dropFirst("modules/".count)) : (rest.isEmpty ? nil : rest)
                } else if let child = modules[target] {
                    guard depth < Self.maxWrapperDepth else {
                        state.diagnostics.append(Diagnostic(
                            .warning, "Wrapper modules nested too deeply",
                            detail: "`\(address)` calls `\(target)` at wrapper depth \(depth + 1); at most \(Self.maxWrapperDepth) levels are followed, so the runner module calls below it are not audited.",
                            range: srcExpr.range, code: DiagnosticCode.limit))
                        continue
                    }
                    for inst in instances(of: call, in: scope) {
                        var given: [String: VariableValue] = [:]
                        for a in call.inputs {
                            let (v, _) = scope.evaluate(a.expression, extra: inst.extra)
                            given[a.name] = VariableValue(value: v, range: a.range, source: .moduleCall)
                        }
                        let childScope = ModuleScope(module: child, rootDirectory: scope.rootDirectory, given: given, fileSystem: workspace.fileSystem, functions: functions,
                                                     budget: state.budget, eager: eagerLocals, plans: state.plans)
                        let label = inst.key.map { "\(address)[\"\($0)\"]" } ?? address
                        let note = RelatedNote("through wrapper module `\(label)`", at: call.block.typeRange.union(call.block.labels.first?.range ?? call.block.typeRange))
                        visit(childScope, prefix: label + ".", callers: callers + [note], chain: chain + [target],
                              modules: modules, vendored: vendored, manifest: manifest, state: &state)
                    }
                    continue
                }
            }
            guard source.runnerModuleOrganisation != nil || vendoredRoot != nil else { continue }

            let kind: RunnerModuleKind = vendoredRoot != nil ? RunnerModuleKind(submodule: submodule) : source.kind
            let constraintText: String? = call.versionExpression.flatMap { scope.evaluate($0).0.stringValue }
            let constraint = constraintText.flatMap(VersionConstraint.init)
            let evidence = resolveVersion(call: call, source: source, constraint: constraint, address: address,
                                          vendored: vendoredRoot.flatMap { vendored[$0] }, manifest: manifest, scope: scope)
            let callInstances = instances(of: call, in: scope)
            var fleets: [Fleet] = []
            for (index, inst) in callInstances.enumerated() {
                fleets += self.fleets(of: call, kind: kind, instance: inst, address: address, scope: scope).map { fleet in
                    var fleet = fleet
                    fleet.callInstance = index
                    return fleet
                }
            }
            if kind.hasFleets, fleets.allSatisfy(\.isPlaceholder) {
                state.diagnostics.append(noFleet(call, kind: kind, address: address, instances: callInstances, fleets: fleets, scope: scope))
            }
            for fleet in fleets {
                if let template = fleet.template { state.diagnostics.append(templateFleet(fleet, template: template, address: address)) }
            }
            // Inputs the audit relies on that cannot be evaluated (CORE-003), once per argument.
            for a in call.inputs {
                let (_, diags) = scope.evaluate(a.expression, extra: callInstances.first?.extra ?? [:])
                state.diagnostics += diags.filter { $0.severity == .error || $0.code != nil }.map { d in
                    var d = d
                    d.detail = (d.detail.map { $0 + " " } ?? "") + "Input `\(a.name)` of `\(address)` is treated as unknown, so checks that need it are skipped."
                    return d
                }
            }
            state.calls.append(RunnerModuleCall(
                address: address, call: call, source: source, sourceRange: srcExpr.range,
                versionConstraint: constraint, evidence: evidence, kind: kind, fleets: fleets,
                callers: callers, scope: scope, vendoredRoot: vendoredRoot))
        }
    }

    /// A located error when calling `target` from the end of `chain` closes a cycle of modules.
    static func cycleProblem(call: ModuleCallBlock, address: String, target: String, chain: [String], at range: SourceRange) -> Diagnostic? {
        guard let start = chain.firstIndex(of: target) else { return nil }
        func name(_ dir: String) -> String { dir.isEmpty ? "." : dir }
        let summary: String
        if start == chain.count - 1 {
            summary = "Module `\(address)` calls its own folder `\(name(target))`"
        } else {
            let loop = (chain[start...] + [target]).map { "`\(name($0))`" }.joined(separator: " → ")
            summary = "Module call `\(address)` closes a cycle of local modules: \(loop)"
        }
        return Diagnostic(.error, summary,
                          detail: "Terraform rejects a module that calls itself, directly or through other modules (`terraform init` fails). This call is not followed; the other module calls are still audited.",
                          range: range, code: DiagnosticCode.cycle)
    }

    // MARK: Fleets

    /// No silent pass: a runner module call that ends with no fleet the rules can check gets a
    /// warning (CORE-003) naming the call, the expression and the value that blocked it.
    func noFleet(_ call: ModuleCallBlock, kind: RunnerModuleKind, address: String, instances: [Instance],
                 fleets: [Fleet], scope: ModuleScope) -> Diagnostic {
        func text(_ e: HCL.Expression) -> String { workspace.text(of: e.range) ?? "…" }
        func why(_ v: Value) -> String {
            if case .unknown(let reason) = v.kind { return "its value is unknown: \(reason)" }
            return "it is \(v.description.count > 80 ? String(v.description.prefix(80)) + "…" : v.description)"
        }
        let skipped = "No fleet of this call is checked (JIT, start script, GHES, inputs); confirm them by hand or give the audit the value (`--var`, `--var-file`)."
        if instances.isEmpty {
            let e = call.forEach ?? call.count!
            let (v, _) = scope.evaluate(e)
            return Diagnostic(.warning, "module call `\(address)` deploys no fleet: `\(call.forEach != nil ? "for_each" : "count") = \(text(e))` gives no instance",
                              detail: "The expression gives no instance (\(why(v))), so the audit sees no fleet. " + skipped, range: e.range)
        }
        if let placeholder = fleets.first, let config = call.block.body.attribute("multi_runner_config") {
            let (v, _) = scope.evaluate(config.expression, extra: instances.first?.extra ?? [:])
            return Diagnostic(.warning, "module call `\(address)` has no fleet the audit can read: `multi_runner_config = \(text(config.expression))` is not a map it can evaluate",
                              detail: "The runner configurations come from `\(text(config.expression))`, and \(why(v)). " + skipped, range: placeholder.anchor)
        }
        return Diagnostic(.warning, "module call `\(address)` has no fleet: it sets no `multi_runner_config`",
                          detail: "A \(kind.rawValue) call without `multi_runner_config` deploys no runner (Terraform rejects it). " + skipped,
                          range: call.block.labels.first?.range ?? call.block.typeRange)
    }

    /// The settings rules need from a fleet, in the order a template fleet's warning names them.
    static let templateSettings = ["runner_os", "enable_ephemeral_runners", "enable_jit_config", "enable_userdata",
                                   "userdata_template", "ami_id_ssm_parameter_name", "runner_extra_labels"]

    /// No silent pass for fleets built by a `for` over an unknown collection: a warning on the
    /// collection says the fleets could not be enumerated, that the rules check one template for
    /// all of them, and which settings the rules need depend on each element.
    func templateFleet(_ fleet: Fleet, template: ForTemplate, address: String) -> Diagnostic {
        let of = workspace.text(of: template.collectionRange) ?? "…"
        let perElement = Self.templateSettings.filter { fleet.inputs[$0]?.value.containsUnknown == true }
        var detail = "`multi_runner_config` of `\(address)` is built by a `for` over `\(of)`, whose value the audit cannot know (\(template.reason)), so how many fleets there are and their names are unknown. "
        detail += "The rules check one template, every fleet built from `\(of)`, with what the body of the `for` writes for all of them. "
        let known = Self.templateSettings.filter { fleet.inputs[$0] != nil && !perElement.contains($0) }
        if !known.isEmpty { detail += "Known for every fleet: " + known.map { "`\($0)`" }.joined(separator: ", ") + ". " }
        if !perElement.isEmpty {
            detail += "Depending on each element, so not checked: " + perElement.map { "`\($0)`" }.joined(separator: ", ") + ". "
        }
        detail += "Give the audit the value (`--var`, `--var-file`, a default) to check each fleet."
        let summary = !perElement.isEmpty
            ? "fleets of `\(address)` cannot be enumerated and some of their settings depend on each element: `multi_runner_config` is built by a `for` over `\(of)`, which is unknown"
            : "fleets of `\(address)` cannot be enumerated: `multi_runner_config` is built by a `for` over `\(of)`, which is unknown; checked as one template"
        return Diagnostic(.warning, summary, detail: detail, range: template.collectionRange)
    }

    func fleets(of call: ModuleCallBlock, kind: RunnerModuleKind, instance: Instance, address: String, scope: ModuleScope) -> [Fleet] {
        guard kind.hasFleets else { return [] }
        var moduleInputs: [String: FleetInput] = [:]
        for a in call.inputs {
            let (v, _) = scope.evaluate(a.expression, extra: instance.extra)
            moduleInputs[a.name] = FleetInput(name: a.name, value: v, range: a.expression.range, nameRange: a.nameRange)
        }
        let label = instance.key.map { "\(address)[\"\($0)\"]" } ?? address
        let anchor = call.block.labels.first?.range ?? call.block.typeRange
        if kind != .multiRunner {
            return [Fleet(name: label, configKey: nil, inputs: moduleInputs, moduleInputs: moduleInputs,
                          container: .moduleBlock(call.block, file: call.file), anchor: anchor)]
        }
        guard let config = moduleInputs["multi_runner_config"] else { return [] }
        guard case .object(let entries) = config.value.kind else {
            if let template = config.value.template, template.isObject, case .object? = template.element["runner_config"]?.kind {
                // Built by a `for` over an unknown collection: one fleet carries what the body
                // writes for every fleet.
                let of = workspace.text(of: template.collectionRange).map { "`\($0)`" } ?? "an unknown collection"
                var fleet = fleet(entry: template.element, fleetName: "\(label)[every fleet built from \(of)]", key: nil,
                                  config: config, moduleInputs: moduleInputs)
                fleet.anchor = template.bodyRange
                fleet.template = template
                return [fleet]
            }
            // The map exists but cannot be read statically: one placeholder fleet says so.
            return [Fleet(name: label + ".multi_runner_config", configKey: nil, inputs: [:], moduleInputs: moduleInputs,
                          container: .unknown, anchor: config.range, isPlaceholder: true)]
        }
        return entries.keys.sorted().map { key in
            fleet(entry: entries[key]!, fleetName: "\(label)[\"\(key)\"]", key: key, config: config, moduleInputs: moduleInputs)
        }
    }

    /// The fleet of one `multi_runner_config` entry.
    func fleet(entry: Value, fleetName: String, key: String?, config: FleetInput, moduleInputs: [String: FleetInput]) -> Fleet {
        let runnerConfig = entry["runner_config"]
        var inputs: [String: FleetInput] = [:]
        if case .object(let fields)? = runnerConfig?.kind {
            for (name, v) in fields {
                let at = v.origin ?? runnerConfig?.origin ?? entry.origin ?? config.range
                inputs[name] = FleetInput(name: name, value: v, range: at, nameRange: v.origin.flatMap { workspace.keyRange(ofValueAt: $0) })
            }
        }
        let container: InputContainer
        if let origin = runnerConfig?.origin {
            let isYAML = workspace[origin.path]?.kind == .yaml
            container = isYAML ? .yamlMapping(origin) : .hclObject(origin)
        } else {
            container = .unknown
        }
        return Fleet(name: fleetName, configKey: key, inputs: inputs, moduleInputs: moduleInputs,
                     container: container, anchor: entry.origin ?? config.range)
    }

    // MARK: Versions

    func resolveVersion(call: ModuleCallBlock, source: ModuleSource, constraint: VersionConstraint?, address: String,
                        vendored: VendoredCopy?, manifest: ModulesManifest, scope: ModuleScope) -> VersionEvidence {
        let manifestKey = address.replacingOccurrences(of: "module.", with: "")
            .split(separator: ".").joined(separator: ".")
        if let entry = manifest.entries[manifestKey] {
            if let v = entry.version.flatMap(ModuleVersion.init) {
                return VersionEvidence(version: v, how: "installed version in `.terraform/modules/modules.json`", range: entry.range)
            }
            if let ref = ModuleSource(entry.source).gitRef, let v = versionFromRef(ref) {
                return VersionEvidence(version: v, how: "installed git ref `\(ref)` in `.terraform/modules/modules.json`", range: entry.range)
            }
        }
        if let vendored {
            let how: String
            if vendored.version != nil {
                how = "vendored copy in \(vendored.displayName) (\(vendored.how))"
            } else if vendored.isMissingSubmodule {
                how = vendored.how
            } else {
                how = "vendored copy in \(vendored.displayName) whose release could not be read: \(vendored.how)"
            }
            return VersionEvidence(version: vendored.version, how: how, range: nil)
        }
        let versionRange = call.versionExpression?.range
        if let constraint {
            if let exact = constraint.exactVersion {
                return VersionEvidence(version: exact, how: "pinned `version = \"\(constraint.text)\"`", range: versionRange)
            }
            if let newest = constraint.newest(in: knowledge.releases.map(\.version)) {
                return VersionEvidence(version: newest, how: "newest release matching `\(constraint.text)`", range: versionRange)
            }
            return VersionEvidence(version: nil, how: "no known release matches `\(constraint.text)`", range: versionRange)
        }
        if let ref = source.gitRef {
            if let v = versionFromRef(ref) {
                return VersionEvidence(version: v, how: "git ref `\(ref)`", range: call.sourceExpression?.range)
            }
            return VersionEvidence(version: nil, how: "git ref `\(ref)` is not a release tag or a known release commit", range: call.sourceExpression?.range)
        }
        if source.isRegistry {
            return VersionEvidence(version: knowledge.latest.version, how: "no `version` constraint: Terraform installs the newest release", range: call.block.labels.first?.range)
        }
        return VersionEvidence(version: nil, how: "git source without `?ref=`: it follows the default branch", range: call.sourceExpression?.range)
    }

    func versionFromRef(_ ref: String) -> ModuleVersion? {
        if let v = ModuleVersion(ref), ref.contains(".") { return v }
        if ref.count >= 7, ref.allSatisfy(\.isHexDigit) { return knowledge.release(commitPrefix: ref)?.version }
        return nil
    }

    // MARK: Vendored copies

    /// A variable every release's `modules/runners` declares: it tells the module's own submodule
    /// from a user's wrapper that happens to live in `modules/runners`.
    static let runnersSubmoduleVariable = "sqs_build_queue"

    /// Directories that hold a copy of the runner module: a `modules/runners` folder that is the
    /// module's own (it declares `sqs_build_queue`) next to a `modules/multi-runner` folder or the
    /// module's root.
    func findVendoredCopies(modules: [String: TerraformModule]) -> [String: VendoredCopy] {
        var result: [String: VendoredCopy] = [:]
        for (dir, module) in modules {
            let suffix = "modules/runners"
            guard dir == suffix || dir.hasSuffix("/" + suffix),
                  module.variables[Self.runnersSubmoduleVariable] != nil else { continue }
            let root = String(dir.dropLast(suffix.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard modules[root.isEmpty ? "modules/multi-runner" : root + "/modules/multi-runner"] != nil
                || modules[root] != nil else { continue }
            var version: ModuleVersion?
            var how = "CHANGELOG.md"
            if let changelog = workspace.source(root.isEmpty ? "CHANGELOG.md" : root + "/CHANGELOG.md") {
                version = Self.firstChangelogVersion(changelog.text)
            }
            if version == nil, let (v, source) = submoduleRelease(root) {
                version = v
                how = source
            }
            if version == nil, let match = matchRelease(root: root, modules: modules) {
                version = match.version
                how = match.how
            } else if version == nil {
                how = "no release found in its CHANGELOG.md, git submodule commit, start scripts or inputs"
            }
            result[root] = VendoredCopy(directory: root, version: version, how: how, hasRootModule: modules[root] != nil)
        }
        // Git submodules of the module's repository. A checkout without `--recurse-submodules` (the
        // default of most CI checkouts) leaves the folder empty: the calls into it are still calls
        // of the runner module, whose release is read from the recorded submodule commit when the
        // tree has it.
        for file in workspace.files(ofKind: .gitmodules) {
            for sub in GitSubmodules.parse(file.source) where sub.isRunnerModule {
                if var copy = result[sub.path] {
                    if !copy.how.hasPrefix("git submodule") { copy.how = "git submodule, " + copy.how }
                    result[sub.path] = copy
                } else if !modules.keys.contains(where: { $0 == sub.path || $0.hasPrefix(sub.path + "/") }) {
                    let recorded = submoduleRelease(sub.path)
                    result[sub.path] = VendoredCopy(
                        directory: sub.path, version: recorded?.0,
                        how: recorded?.1 ?? "git submodule `\(sub.path)` is not checked out (`git submodule update --init` fetches it)",
                        isMissingSubmodule: true)
                }
            }
        }
        return result
    }

    /// The release a vendored copy without a CHANGELOG or submodule commit matches, from its own
    /// files: the start-script templates of `modules/runners/templates` by fingerprint (an
    /// unedited template ships in known releases only) and the variables its root,
    /// `modules/multi-runner` and `modules/runners` declare against each release's inputs. The
    /// oldest release matching both is assumed (releases that differ in neither cannot be told
    /// apart); without an exact match, the nearest releases by inputs, with the differences.
    func matchRelease(root: String, modules: [String: TerraformModule]) -> (version: ModuleVersion?, how: String)? {
        func dir(_ sub: String) -> String { root.isEmpty ? sub : sub.isEmpty ? root : root + "/" + sub }
        var candidates = knowledge.releases.map(\.version)
        var evidence: [String] = []
        // Start scripts: every unedited template narrows the candidates to the releases shipping it.
        let templates = dir("modules/runners/templates")
        var edited: [String] = []
        for entry in workspace.fileSystem.list(templates) ?? [] where entry.kind == .file {
            let path = templates + "/" + entry.name
            guard let size = workspace.fileSystem.size(path), size <= Self.maxTemplateBytes,
                  let data = workspace.fileSystem.read(path) else { continue }
            guard let fingerprint = knowledge.fingerprint(ofScript: String(decoding: data, as: UTF8.self)),
                  fingerprint.form == .template else {
                if entry.name.hasSuffix(".sh") || entry.name.hasSuffix(".ps1") { edited.append(entry.name) }
                continue
            }
            let shipped = Set(fingerprint.releases)
            let narrowed = candidates.filter { shipped.contains($0) }
            if !narrowed.isEmpty {
                candidates = narrowed
                evidence.append("`\(entry.name)`")
            }
        }
        // Inputs: the variables of each of the copy's modules against each candidate's.
        let scopes: [(InputScope, String)] = [(.root, dir("")), (.multiRunner, dir("modules/multi-runner")), (.runners, dir("modules/runners"))]
        let declared = scopes.compactMap { scope, path in modules[path].map { (scope, Set($0.variables.keys)) } }
        guard !declared.isEmpty || !evidence.isEmpty else { return nil }
        func differences(_ release: ModuleVersion) -> (extra: [String], missing: [String]) {
            var extra: [String] = [], missing: [String] = []
            for (scope, names) in declared {
                let known = knowledge.inputs(scope: scope, at: release)
                extra += names.subtracting(known).sorted()
                missing += known.subtracting(names).sorted()
            }
            return (extra, missing)
        }
        let scored = candidates.map { ($0, differences($0)) }
        guard let best = scored.map({ $0.1.extra.count + $0.1.missing.count }).min() else { return nil }
        let nearest = scored.filter { $0.1.extra.count + $0.1.missing.count == best }
        let assumed = nearest[0].0
        // A copy far from every release (a fork, a rewrite) is not taken for one.
        let known = declared.reduce(0) { $0 + knowledge.inputs(scope: $1.0, at: assumed).count }
        guard best <= max(3, known / 20) else {
            return (nil, "no release found in its CHANGELOG.md or git submodule commit, and its inputs match none closely (the nearest, \(assumed), differs in \(best))")
        }
        let range = nearest.count == 1 ? "release \(assumed)" : "releases \(assumed)…\(nearest[nearest.count - 1].0)"
        var what = [evidence.isEmpty ? nil : "its start scripts (" + evidence.joined(separator: ", ") + ")",
                    declared.isEmpty ? nil : "its inputs"].compactMap { $0 }.joined(separator: " and ")
        if !edited.isEmpty { what += " (edited, not compared: " + edited.sorted().map { "`\($0)`" }.joined(separator: ", ") + ")" }
        var how: String
        if best == 0 {
            how = "\(what) match \(range)"
        } else {
            let d = nearest[0].1
            var parts: [String] = []
            if !d.extra.isEmpty { parts.append("declares " + Self.names(d.extra) + " that \(assumed) does not") }
            if !d.missing.isEmpty { parts.append("lacks " + Self.names(d.missing)) }
            how = "\(what) match no release exactly; nearest \(range) (\(parts.joined(separator: ", ")))"
        }
        if nearest.count > 1 { how += "; the oldest, \(assumed), is assumed" } else { how += "; \(assumed) is assumed" }
        return (assumed, how)
    }

    /// Start-script templates of the module are a few kilobytes; anything larger is not one of them.
    static let maxTemplateBytes = 256 * 1024

    /// `` `a`, `b`, `c` and 2 more ``.
    static func names(_ list: [String]) -> String {
        let shown = list.prefix(3).map { "`\($0)`" }.joined(separator: ", ")
        return list.count > 3 ? shown + " and \(list.count - 3) more" : shown
    }

    /// A vendored copy that is a git submodule: the release whose tag commit the submodule has
    /// checked out (from `.gitmodules` and the submodule's `HEAD` under `.git/modules/` or its
    /// own `.git` file).
    func submoduleRelease(_ root: String) -> (ModuleVersion, String)? {
        guard let modules = workspace.source(".gitmodules") else { return nil }
        var name: String?
        var current: String?
        for raw in modules.text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[submodule") {
                current = line.split(separator: "\"").dropFirst().first.map(String.init)
            } else if line.hasPrefix("path"), let eq = line.firstIndex(of: "=") {
                if line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces) == root { name = current }
            }
        }
        guard let name else { return nil }
        var heads = [".git/modules/\(name)/HEAD"]
        if let gitFile = workspace.fileSystem.read(root + "/.git").flatMap({ String(data: $0, encoding: .utf8) }),
           let dir = gitFile.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespacesAndNewlines),
           let joined = Paths.join(root, dir) {
            heads.insert(joined + "/HEAD", at: 0)
        }
        for head in heads {
            guard let text = workspace.fileSystem.read(head).flatMap({ String(data: $0, encoding: .utf8) })?.trimmingCharacters(in: .whitespacesAndNewlines),
                  let release = knowledge.release(commitPrefix: text) else { continue }
            return (release.version, "git submodule `\(name)` at commit \(text.prefix(12))")
        }
        return nil
    }

    /// The first `## [X.Y.Z]` or `## X.Y.Z` heading of a release-please changelog.
    static func firstChangelogVersion(_ text: String) -> ModuleVersion? {
        for line in text.split(separator: "\n").prefix(200) where line.hasPrefix("## ") || line.hasPrefix("### [") {
            var s = line.drop(while: { $0 == "#" || $0 == " " })
            if s.hasPrefix("[") { s = s.dropFirst() }
            let token = s.prefix(while: { $0.isNumber || $0 == "." })
            if let v = ModuleVersion(String(token)), token.split(separator: ".").count == 3 { return v }
        }
        return nil
    }
}

/// `.terraform/modules/modules.json`: what `terraform init` really installed.
struct ModulesManifest {
    struct Entry {
        var key: String
        var source: String
        var version: String?
        var range: SourceRange
    }

    var entries: [String: Entry] = [:]

    init(workspace: Workspace) {
        for file in workspace.files(ofKind: .modulesManifest) {
            guard let root = file.json, let items = root["Modules"]?.elements else { continue }
            for item in items {
                func str(_ k: String) -> String? { item[k]?.stringValue }
                guard let key = str("Key"), !key.isEmpty, let source = str("Source") else { continue }
                entries[key] = Entry(key: key, source: source, version: str("Version"), range: item.range)
            }
        }
    }
}
