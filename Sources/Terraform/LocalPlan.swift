import AuditCore
import HCL
import Synchronization

/// How a module's locals are evaluated: each after those it refers to, the cycles that keep some
/// out of that order (each an error, `CORE-006`), and whether the module reads `local` in a way no
/// static reading follows. It depends on the module's text alone, so every scope of one module
/// shares it (`LocalPlans`).
public struct LocalPlan: Sendable {
    var order: [String]
    var dependencies: [String: [String]]
    /// Locals in a cycle, or depending on one, with the cycle as text (`local.a → local.b → local.a`).
    var cyclicLocals: [String: String] = [:]
    /// Their values: unknown, naming the cycle.
    var fixed: [String: Value] = [:]
    var diagnostics: [Diagnostic] = []
    /// A local read in a way no static reading follows (`local[var.k]`) or naming a local that
    /// does not exist: the module's locals are evaluated all together, in passes.
    var allAtOnce: Bool

    /// Orders the locals and finds their cycles; nothing is evaluated.
    public init(_ module: TerraformModule) {
        let references = module.locals.mapValues { (a: HCL.Attribute) in a.expression.localReferences }
        let dependencies = references.mapValues { refs in refs.filter { module.locals[$0.name] != nil } }
        let (order, cycles) = ModuleScope.orderLocals(dependencies)
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
        for name in module.locals.keys where cyclicLocals[name] != nil {
            fixed[name] = .unknown("local.\(name) depends on a cycle of locals (\(cyclicLocals[name]!))")
        }
        allAtOnce = module.locals.contains { name, a in
            ModuleScope.readsLocalsDynamically(a.expression, static: references[name]!.count)
                || references[name]!.contains { module.locals[$0.name] == nil }
        }
        self.order = order
        self.dependencies = dependencies.mapValues { $0.map(\.name) }
    }
}

/// The plans of the modules of one model, by directory, shared by the threads that build it. A
/// module a root calls three hundred times was ordered three hundred times (a twentieth of a
/// monorepo's audit). A model's modules are fixed while it is built, so a directory names one.
public final class LocalPlans: Sendable {
    private let plans = Mutex<[String: LocalPlan]>([:])

    public init() {}

    func plan(for module: TerraformModule) -> LocalPlan {
        if let known = plans.withLock({ $0[module.directory] }) { return known }
        let plan = LocalPlan(module)
        plans.withLock { $0[module.directory] = plan }
        return plan
    }
}
