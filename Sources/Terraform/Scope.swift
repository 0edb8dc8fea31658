import AuditCore
import HCL

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
    public var module: TerraformModule
    public var rootDirectory: String
    public var variables: [String: VariableValue]
    public var locals: [String: Value] = [:]
    /// Locals in a cycle, or depending on one, with the cycle as text (`local.a → local.b → local.a`).
    public var cyclicLocals: [String: String] = [:]
    public var diagnostics: [Diagnostic] = []
    public var fileSystem: any FileSystem
    /// The run's evaluation budget, shared by every scope of a model.
    public var budget: EvaluationBudget

    /// Builds the scope: evaluates defaults where no value was given, then the locals.
    public init(module: TerraformModule, rootDirectory: String, given: [String: VariableValue], fileSystem: any FileSystem,
                budget: EvaluationBudget = EvaluationBudget()) {
        self.module = module
        self.rootDirectory = rootDirectory
        self.fileSystem = fileSystem
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
        evaluateLocals()
    }

    /// Locals may refer to each other in any order: evaluate in dependency order, then in passes
    /// until nothing changes (for references no static reading finds). Locals in a cycle, and those
    /// depending on one, are unknown; each cycle is an error (`CORE-006`).
    private mutating func evaluateLocals() {
        let dependencies = module.locals.mapValues { a in a.expression.localReferences.filter { module.locals[$0.name] != nil } }
        let (order, cycles) = Self.orderLocals(dependencies)
        for cycle in cycles {
            let chain = (cycle.map(\.name) + [cycle[0].name]).map { "local.\($0)" }.joined(separator: " → ")
            diagnostics.append(Diagnostic(
                .error, "Cycle of locals: \(chain)",
                detail: "Each of these locals needs the value of the next, so none has a value; Terraform rejects the configuration. "
                    + "Every input that depends on them is treated as unknown.",
                range: cycle[0].range, code: DiagnosticCode.cycle))
            for member in cycle { cyclicLocals[member.name] = chain }
        }
        // Locals depending on a cycle carry its text too.
        // A set: a module may hold a hundred thousand locals (the order array made this quadratic).
        let ordered = Set(order)
        for name in module.locals.keys.sorted() where !ordered.contains(name) && cyclicLocals[name] == nil {
            cyclicLocals[name] = cycles.first.map { ($0.map(\.name) + [$0[0].name]).map { "local.\($0)" }.joined(separator: " → ") } ?? "a cycle"
        }
        let names = order + module.locals.keys.sorted().filter { cyclicLocals[$0] != nil }
        for name in names {
            locals[name] = cyclicLocals[name].map { .unknown("local.\(name) depends on a cycle of locals (\($0))") }
                ?? .unknown("local.\(name) depends on itself")
        }
        var lastDiagnostics: [Diagnostic] = []
        for _ in 0..<2 {
            var changed = false
            lastDiagnostics = []
            for name in order {
                let (v, diags) = evaluate(module.locals[name]!.expression)
                lastDiagnostics += diags
                if v != locals[name]! || v.origin != locals[name]!.origin {
                    locals[name] = v
                    changed = true
                }
            }
            if !changed { break }
        }
        diagnostics += lastDiagnostics
    }

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

    private static func evaluateConstant(_ e: Expression, module: TerraformModule, fileSystem: any FileSystem, rootDirectory: String) -> Value {
        let ctx = EvalContext(variables: ["path": pathObject(module: module.directory, root: rootDirectory)], fileSystem: fileSystem, moduleDirectory: rootDirectory)
        return Evaluator.evaluate(e, in: ctx).0
    }

    /// `path.*` as Terraform shows them: relative to the working directory (the root module), where
    /// relative file paths are resolved too.
    static func pathObject(module: String, root: String) -> Value {
        .object(["module": .string(Paths.relative(from: root, to: module)), "root": .string("."), "cwd": .string(".")])
    }

    /// The evaluation context; `extra` adds `each`/`count` for one instance of a module call.
    public func context(extra: [String: Value] = [:]) -> EvalContext {
        var roots: [String: Value] = [
            "var": .object(variables.mapValues(\.value)),
            "local": .object(locals),
            "path": Self.pathObject(module: module.directory, root: rootDirectory),
            "terraform": .object(["workspace": .string("default")]),
        ]
        for (k, v) in extra { roots[k] = v }
        return EvalContext(variables: roots, fileSystem: fileSystem, moduleDirectory: rootDirectory, absoluteRoot: fileSystem.absoluteRoot, budget: budget)
    }

    public func evaluate(_ e: Expression, extra: [String: Value] = [:]) -> (Value, [Diagnostic]) {
        var (value, diagnostics) = Evaluator.evaluate(e, in: context(extra: extra))
        if !cyclicLocals.isEmpty {
            // A value that depends on a cycle is unknown, and that is an error of its own: the
            // setting the audit needs cannot be known.
            for ref in e.localReferences {
                guard let cycle = cyclicLocals[ref.name] else { continue }
                diagnostics.append(Diagnostic(
                    .error, "`local.\(ref.name)` depends on a cycle of locals",
                    detail: "`local.\(ref.name)` has no value: it depends on \(cycle).", range: ref.range))
            }
        }
        return (value, diagnostics)
    }
}

extension RootInputs {
    /// The values of a root module's variables, in Terraform's precedence: environment
    /// (`TF_VAR_name` set by the repository's GitHub Actions workflows, then the audit's own), then `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` in
    /// lexical order, then `--var-file` and `--var` (later wins).
    public func values(for module: TerraformModule, workspace: Workspace) -> (values: [String: VariableValue], diagnostics: [Diagnostic]) {
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
        for (name, given) in WorkflowVariables.values(for: module, from: WorkflowVariables.collect(workspace)) {
            values[name] = given.1
        }
        for key in environment.keys.sorted() where key.hasPrefix("TF_VAR_") {
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
