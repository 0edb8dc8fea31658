import AuditCore
import Foundation
import HCL
import Synchronization

/// A value given to a module variable, and where it was given.
public struct VariableValue: Sendable {
    public var value: Value
    /// Where the value was written: the tfvars entry, the `-var` text, the module call argument, or
    /// the variable's default.
    public var range: SourceRange?
    public var source: Source

    public enum Source: String, Sendable { case defaultValue = "default", environment, workflow, tfvars, commandLine = "command line", moduleCall = "module call" }

    public init(value: Value, range: SourceRange?, source: Source) {
        self.value = value
        self.range = range
        self.source = source
    }
}

/// What the command line and environment give a root module.
public struct RootInputs: Sendable {
    /// Parsed `--var-file` files, in command-line order.
    public var varFiles: [HCLFile]
    /// `--var NAME=VALUE`, in command-line order.
    public var vars: [(name: String, value: String)]
    /// The process environment (only `TF_VAR_*` is read).
    public var environment: [String: String]

    public init(varFiles: [HCLFile] = [], vars: [(name: String, value: String)] = [], environment: [String: String] = [:]) {
        self.varFiles = varFiles
        self.vars = vars
        self.environment = environment
    }
}

/// Everything an expression of one module instance can refer to.
public struct ModuleScope: Sendable {
    public var module: TerraformModule { didSet { evaluationRoots = nil } }
    public var rootDirectory: String { didSet { evaluationRoots = nil } }
    public var variables: [String: VariableValue] { didSet { evaluationRoots = nil } }
    /// `var`, `path` and `terraform` as expressions see them, built once rather than for every
    /// evaluation (nil after a change to what they are made of).
    private var evaluationRoots: [String: Value]?
    /// Every local's value (each evaluated now if it was not yet). The audit itself evaluates a
    /// local only when something it evaluates refers to it (`evaluate`).
    public var locals: [String: Value] { localValues.all(self) }
    /// Locals in a cycle, or depending on one, with the cycle as text (`local.a → local.b → local.a`).
    public var cyclicLocals: [String: String] = [:]
    /// Problems known without evaluating anything (cycles of locals). What evaluating a local
    /// reported is in `localDiagnostics`.
    public var diagnostics: [Diagnostic] = []
    public var fileSystem: any FileSystem
    /// Functions that take precedence over the table's (`Workspace.functions`).
    public var functions: [String: Function]
    /// The run's evaluation budget, shared by every scope of a model.
    public var budget: EvaluationBudget
    /// The locals evaluated so far, shared by the copies of this scope (the model keeps several).
    private let localValues: LocalValues

    /// Builds the scope: evaluates defaults where no value was given; locals are evaluated when
    /// first needed (`eager`: all of them now, as the audit did before locals were lazy).
    public init(module: TerraformModule, rootDirectory: String, given: [String: VariableValue], fileSystem: any FileSystem,
                functions: [String: Function] = [:], budget: EvaluationBudget = EvaluationBudget(), eager: Bool = false,
                plans: LocalPlans? = nil) {
        self.module = module
        self.rootDirectory = rootDirectory
        self.fileSystem = fileSystem
        self.functions = functions
        self.budget = budget
        self.variables = given
        for (name, decl) in module.variables where given[name] == nil || (given[name]!.value.isNull && !decl.isNullable) {
            // A `nullable = false` variable given null takes its default, as if it were not given.
            if let def = decl.defaultExpression {
                let v = Self.evaluateConstant(def, module: module, fileSystem: fileSystem, rootDirectory: rootDirectory)
                variables[name] = VariableValue(value: v, range: def.range, source: .defaultValue)
            } else {
                variables[name] = VariableValue(value: .unknown("var.\(name) has no value in this repository", origin: decl.block.range), range: nil, source: .defaultValue)
            }
        }
        // Every value reaches the module converted to the declared type (optional attributes
        // filled in, undeclared attributes dropped), whoever gave it.
        for (name, decl) in module.variables {
            guard let type = decl.typeConstraint, let given = variables[name] else { continue }
            variables[name]?.value = type.convert(given.value) { def in
                Self.evaluateConstant(def, module: module, fileSystem: fileSystem, rootDirectory: rootDirectory)
            }
        }
        localValues = LocalValues()
        evaluationRoots = Self.evaluationRoots(module: module, rootDirectory: rootDirectory, variables: variables)
        // The order of the locals depends on the module alone: a module that many roots call (a
        // shared wrapper) is planned once per model.
        let plan = plans?.plan(for: module) ?? LocalPlan(module)
        diagnostics += plan.diagnostics
        cyclicLocals = plan.cyclicLocals
        localValues.prepare(order: plan.order, dependencies: plan.dependencies, fixed: plan.fixed, allAtOnce: plan.allAtOnce)
        if eager { localValues.evaluateInPasses(self) }
    }

    private static func evaluationRoots(module: TerraformModule, rootDirectory: String, variables: [String: VariableValue]) -> [String: Value] {
        [
            "var": .object(variables.mapValues(\.value)),
            "path": pathObject(module: module.directory, root: rootDirectory),
            "terraform": terraformObject,
        ]
    }

    /// `terraform` as expressions see it: the same in every scope, so one value for the process.
    private static let terraformObject: Value = .object(["workspace": .string("default")])

    /// Whether `e` reads the `local` object other than as `local.NAME` or `local["NAME"]`.
    static func readsLocalsDynamically(_ e: HCL.Expression, static count: Int) -> Bool {
        var uses = 0
        e.forEachNode { node in if case .variable("local") = node.kind { uses += 1 } }
        return uses > count
    }

    /// What evaluating the locals evaluated so far reported (in dependency order).
    public var localDiagnostics: [Diagnostic] { localValues.diagnostics }

    /// How many locals were evaluated, and how many the module declares.
    public var localsEvaluated: (evaluated: Int, declared: Int) { (localValues.evaluatedCount, module.locals.count) }

    /// The locals in an order where each comes after those it refers to, and the cycles that keep
    /// the others out of it (each as its members, with the reference to the next member).
    static func orderLocals(_ dependencies: [String: [(name: String, range: SourceRange)]]) -> (order: [String], cycles: [[(name: String, range: SourceRange)]]) {
        // Kahn's algorithm on "refers to": a local is ready once everything it refers to is.
        var waitingOn: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for (name, refs) in dependencies {
            let targets = Set(refs.map(\.name))
            waitingOn[name] = targets.count
            for t in targets { dependents[t, default: []].append(name) }
        }
        var ready = waitingOn.filter { $0.value == 0 }.keys.sorted(by: >)
        var order: [String] = []
        while let name = ready.popLast() {
            order.append(name)
            for d in (dependents[name] ?? []).sorted(by: >) {
                waitingOn[d]! -= 1
                if waitingOn[d] == 0 { ready.append(d) }
            }
        }
        // What is left is in a cycle or depends on one: every such local refers to another one left.
        let left = Set(dependencies.keys).subtracting(order)
        var cycles: [[(name: String, range: SourceRange)]] = []
        var walked = Set<String>()
        for start in left.sorted() where !walked.contains(start) {
            var path: [(name: String, range: SourceRange)] = []
            var position: [String: Int] = [:]
            var current = start
            while !walked.contains(current) {
                walked.insert(current)
                guard let next = dependencies[current]!.filter({ left.contains($0.name) }).min(by: { $0.name < $1.name }) else { break }
                position[current] = path.count
                path.append((current, next.range))
                if let at = position[next.name] {
                    cycles.append(Array(path[at...]))
                    break
                }
                current = next.name
            }
        }
        return (order, cycles)
    }

    private static func evaluateConstant(_ e: HCL.Expression, module: TerraformModule, fileSystem: any FileSystem, rootDirectory: String) -> Value {
        let ctx = EvalContext(variables: ["path": pathObject(module: module.directory, root: rootDirectory)], fileSystem: fileSystem, moduleDirectory: rootDirectory)
        return Evaluator.evaluate(e, in: ctx).0
    }

    /// `path.*` for the module at `module` of the root at `root`, as Terraform shows them: relative
    /// to the working directory (the root module), where relative file paths are resolved too.
    /// Every scope keeps its `path` until the run ends, and scopes at the same relative path (every root module's is `.`, a
    /// shared wrapper's the same `../modules/x` from roots at one depth) share one value: a table
    /// by relative path, up to `sharedPathObjectLimit` of them in a process.
    static func pathObject(module: String, root: String) -> Value {
        let relative = Paths.relative(from: root, to: module)
        return sharedPathObjects.withLock { table in
            if let shared = table[relative] { return shared }
            let value: Value = .object(["module": .string(relative), "root": .string("."), "cwd": .string(".")])
            if table.count < sharedPathObjectLimit { table[relative] = value }
            return value
        }
    }

    static let sharedPathObjectLimit = 4096
    private static let sharedPathObjects = Mutex<[String: Value]>([:])

    /// The evaluation context; `extra` adds `each`/`count` for one instance of a module call.
    /// `local` holds every local (each evaluated now if it was not yet).
    public func context(extra: [String: Value] = [:]) -> EvalContext {
        context(locals: locals, extra: extra)
    }

    func context(locals: [String: Value], extra: [String: Value]) -> EvalContext {
        var roots = evaluationRoots ?? Self.evaluationRoots(module: module, rootDirectory: rootDirectory, variables: variables)
        roots["local"] = .object(locals)
        for (k, v) in extra { roots[k] = v }
        return EvalContext(variables: roots, fileSystem: fileSystem, moduleDirectory: rootDirectory, functions: functions,
                           absoluteRoot: fileSystem.absoluteRoot, budget: budget)
    }

    /// Evaluates `e` in this scope, evaluating first the locals it refers to (and theirs) that
    /// were not evaluated yet.
    public func evaluate(_ e: HCL.Expression, extra: [String: Value] = [:]) -> (Value, [Diagnostic]) {
        let references = e.localReferences
        let locals: [String: Value]
        if Self.readsLocalsDynamically(e, static: references.count) || references.contains(where: { module.locals[$0.name] == nil }) {
            // Read in a way no static reading follows, or naming a local that does not exist (whose
            // message suggests among every local): all of them.
            locals = self.locals
        } else {
            locals = localValues.values(for: references.map(\.name), in: self)
        }
        var (value, diagnostics) = Evaluator.evaluate(e, in: context(locals: locals, extra: extra))
        if !cyclicLocals.isEmpty {
            // A value that depends on a cycle is unknown, and that is an error of its own: the
            // setting the audit needs cannot be known.
            for ref in references {
                guard let cycle = cyclicLocals[ref.name] else { continue }
                diagnostics.append(Diagnostic(
                    .error, "`local.\(ref.name)` depends on a cycle of locals",
                    detail: "`local.\(ref.name)` has no value: it depends on \(cycle).", range: ref.range))
            }
        }
        return (value, diagnostics)
    }

    /// Evaluates one local's expression with the locals evaluated before it.
    fileprivate func evaluateLocal(_ name: String, locals: [String: Value]) -> (Value, [Diagnostic]) {
        var (value, diagnostics) = Evaluator.evaluate(module.locals[name]!.expression, in: context(locals: locals, extra: [:]))
        if !cyclicLocals.isEmpty {
            for ref in module.locals[name]!.expression.localReferences {
                guard let cycle = cyclicLocals[ref.name] else { continue }
                diagnostics.append(Diagnostic(
                    .error, "`local.\(ref.name)` depends on a cycle of locals",
                    detail: "`local.\(ref.name)` has no value: it depends on \(cycle).", range: ref.range))
            }
        }
        return (value, diagnostics)
    }
}

/// The locals of one module instance, evaluated on demand (issue 15: what no runner module call
/// or rule refers to is parsed, never evaluated), each once, in dependency order. A reference type
/// shared by the copies of a scope; a lock keeps it consistent when scopes are read from several
/// threads.
final class LocalValues: @unchecked Sendable {
    private let lock = NSLock()
    private var order: [String] = []
    private var rank: [String: Int] = [:]
    private var dependencies: [String: [String]] = [:]
    private var values: [String: Value] = [:]
    private var evaluated = Set<String>()
    private var reported: [Int: [Diagnostic]] = [:]
    private var allAtOnce = false
    private var complete = false

    func prepare(order: [String], dependencies: [String: [String]], fixed: [String: Value], allAtOnce: Bool) {
        self.order = order
        for (i, name) in order.enumerated() { rank[name] = i }
        self.dependencies = dependencies
        self.allAtOnce = allAtOnce
        values = fixed
    }

    /// The locals known so far after evaluating `names` and what they depend on.
    func values(for names: [String], in scope: ModuleScope) -> [String: Value] {
        lock.lock()
        defer { lock.unlock() }
        if allAtOnce || names.isEmpty {
            if allAtOnce && !names.isEmpty { evaluateAll(scope) }
            return values
        }
        var needed: [String] = []
        var seen = Set<String>()
        var pending = names
        while let name = pending.popLast() {
            guard rank[name] != nil, !evaluated.contains(name), seen.insert(name).inserted else { continue }
            needed.append(name)
            pending += dependencies[name] ?? []
        }
        for name in needed.sorted(by: { rank[$0]! < rank[$1]! }) {
            let (v, diags) = scope.evaluateLocal(name, locals: values)
            values[name] = v
            evaluated.insert(name)
            if !diags.isEmpty { reported[rank[name]!] = diags }
        }
        return values
    }

    /// Every local, evaluated.
    func all(_ scope: ModuleScope) -> [String: Value] {
        lock.lock()
        defer { lock.unlock() }
        if allAtOnce { evaluateAll(scope) } else if evaluated.count < order.count {
            for (i, name) in order.enumerated() where !evaluated.contains(name) {
                let (v, diags) = scope.evaluateLocal(name, locals: values)
                values[name] = v
                evaluated.insert(name)
                if !diags.isEmpty { reported[i] = diags }
            }
        }
        return values
    }

    /// Every local now, in passes, as the audit did before locals were evaluated on demand.
    func evaluateInPasses(_ scope: ModuleScope) {
        lock.lock()
        defer { lock.unlock() }
        evaluateAll(scope)
    }

    /// The module's locals in passes until nothing changes (for references no static reading
    /// follows), as a whole; the last pass's diagnostics are kept.
    private func evaluateAll(_ scope: ModuleScope) {
        guard !complete else { return }
        complete = true
        for name in order { values[name] = .unknown("local.\(name) depends on itself") }
        var last: [Int: [Diagnostic]] = [:]
        for _ in 0..<2 {
            var changed = false
            last = [:]
            for (i, name) in order.enumerated() {
                let (v, diags) = scope.evaluateLocal(name, locals: values)
                if !diags.isEmpty { last[i] = diags }
                if v != values[name]! || v.origin != values[name]!.origin {
                    values[name] = v
                    changed = true
                }
            }
            if !changed { break }
        }
        evaluated = Set(order)
        reported = last
    }

    var diagnostics: [Diagnostic] {
        lock.lock()
        defer { lock.unlock() }
        return reported.keys.sorted().flatMap { reported[$0]! }
    }

    var evaluatedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return evaluated.count
    }
}

extension RootInputs {
    /// The values of a root module's variables, in Terraform's precedence: environment
    /// (`TF_VAR_name` set by the repository's GitHub Actions workflows, then the audit's own), then `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` in
    /// lexical order, then `--var-file` and `--var` (later wins).
    /// `workflowVariables`: `WorkflowVariables.collect(workspace)`, when the caller has it (read once
    /// per model, not once per root).
    public func values(for module: TerraformModule, workspace: Workspace,
                       workflowVariables: [WorkflowVariable]? = nil) -> (values: [String: VariableValue], diagnostics: [Diagnostic]) {
        var values: [String: VariableValue] = [:]
        var diagnostics: [Diagnostic] = []

        func cliValue(_ name: String, _ text: String, origin: String) {
            guard let decl = module.variables[name] else { return }
            if decl.takesExpressionFromCLI {
                let src = SourceFile(path: origin, text: text)
                let (expr, diags) = HCLParser.parseExpression(src)
                diagnostics += diags
                let (v, ediags) = Evaluator.evaluate(expr, in: EvalContext(variables: [:], fileSystem: workspace.fileSystem, moduleDirectory: module.directory))
                diagnostics += ediags
                values[name] = VariableValue(value: v, range: nil, source: .commandLine)
            } else {
                values[name] = VariableValue(value: .string(text), range: nil, source: origin.hasPrefix("TF_VAR_") ? .environment : .commandLine)
            }
        }

        // `TF_VAR_*` the repository's workflows set for this root, then the audit's own environment.
        for (name, given) in WorkflowVariables.values(for: module, from: workflowVariables ?? WorkflowVariables.collect(workspace)) {
            values[name] = given.1
        }
        // Only the `TF_VAR_` names are sorted (sorting the whole environment for every root was
        // 0.8% of a 642-root monorepo's audit).
        for key in environment.keys.filter({ $0.hasPrefix("TF_VAR_") }).sorted() {
            cliValue(String(key.dropFirst("TF_VAR_".count)), environment[key]!, origin: key)
        }

        func apply(_ file: HCLFile) {
            for a in file.body.attributes where module.variables[a.name] != nil {
                let (v, diags) = Evaluator.evaluate(a.expression, in: EvalContext(variables: [:], fileSystem: workspace.fileSystem, moduleDirectory: module.directory))
                diagnostics += diags
                values[a.name] = VariableValue(value: v, range: a.range, source: .tfvars)
            }
        }

        let dir = module.directory.isEmpty ? "" : module.directory + "/"
        var auto: [String] = []
        for path in workspace.paths(inDirectory: module.directory) {
            let name = Paths.fileName(of: path)
            if name.hasSuffix(".auto.tfvars") || name.hasSuffix(".auto.tfvars.json") { auto.append(path) }
        }
        let ordered = [dir + "terraform.tfvars", dir + "terraform.tfvars.json"] + auto.sorted()
        for path in ordered {
            if let f = workspace[path]?.hcl { apply(f) }
        }
        for f in varFiles { apply(f) }
        for (name, text) in vars { cliValue(name, text, origin: "--var \(name)") }
        return (values, diagnostics)
    }
}
