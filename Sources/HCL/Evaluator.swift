import AuditCore
import Documents
import Foundation

// The expression evaluator: HCL semantics over `Value`, with an explicit unknown.
//
// Principles:
// - Unknown propagates. Anything computed from an unknown is unknown and carries its reason; a
//   traversal into an unknown root (`aws_iam_policy.x.arn`, `data.*`, `module.*`) is unknown with
//   the traversal itself as the reason. The evaluator never guesses; the only answers it gives
//   despite an unknown are the ones that hold for every possible value (`false && x`, a
//   conditional whose branches are equal).
// - Errors are located diagnostics plus an unknown result, so one mistake does not cascade.
// - Origins: a literal's value points at the literal; a value read through a variable keeps the
//   origin of where it was written; computed values point at the expression computing them.

/// What expressions are evaluated against.
public struct EvalContext: Sendable {
    /// Root variables: `var`, `local`, `path`, `each`, `count`... A root that is absent (`module`,
    /// `data`, a resource type: they depend on state) makes a traversal into it unknown, named
    /// after the traversal, as does a root whose value is unknown.
    public var variables: [String: Value]
    /// Where `file`, `templatefile`, `fileset` and `fileexists` read. Nil: they return unknown.
    public var fileSystem: (any FileSystem)?
    /// The directory (relative to the scan root, `/`-separated, "" for the root) that relative
    /// paths resolve against: Terraform resolves them against the directory it runs in, the root
    /// module's. Paths never leave the scan root.
    public var moduleDirectory: String
    /// Functions besides `Functions.table` and the evaluator's own (`file`, `templatefile`,
    /// `fileset`, `fileexists`, `abspath`, `dirname`, `basename`, `try`, `can`...); they take
    /// precedence over the table.
    public var functions: [String: Function]
    /// The absolute path of the scan root when known, for `abspath` (and for absolute paths under
    /// it given to `file`). Nil: `abspath` is unknown and absolute paths are not read.
    public var absoluteRoot: String?
    /// The work this evaluation may do, shared with the other evaluations of a run. Nil: a budget
    /// of its own (the same limits, for this one evaluation).
    public var budget: EvaluationBudget?

    public init(variables: [String: Value] = [:], fileSystem: (any FileSystem)? = nil, moduleDirectory: String = "",
                functions: [String: Function] = [:], absoluteRoot: String? = nil, budget: EvaluationBudget? = nil) {
        self.variables = variables
        self.fileSystem = fileSystem
        self.moduleDirectory = moduleDirectory
        self.functions = functions
        self.absoluteRoot = absoluteRoot
        self.budget = budget
    }
}

/// Expression evaluation with Terraform's semantics and an explicit unknown (see `evaluate(_:in:)`).
public enum Evaluator {
    /// Expression trees deeper than this are refused (the parser never builds one).
    public static let maxDepth = Evaluation.maxDepth
    /// The functions the evaluator implements itself (they need the context or lazy arguments).
    public static let ownFunctions = Evaluation.ownFunctions
    /// The rule a file a function could not read is reported under: its value is unknown, like an
    /// input that could not be evaluated.
    public static let unreadableFileCode = "CORE-003"

    /// Evaluates `e` in `ctx` (the same as the free function `evaluate(_:in:)`).
    public static func evaluate(_ e: Expression, in ctx: EvalContext) -> (Value, [Diagnostic]) {
        HCL.evaluate(e, in: ctx)
    }

    /// Renders a template (the parts of `HCLParser.parseTemplate`) with `variables` as its only
    /// scope, as `templatefile` does; the result is always a string (or unknown).
    public static func render(_ parts: [TemplatePart], variables: [String: Value], in ctx: EvalContext, range: SourceRange) -> (Value, [Diagnostic]) {
        var inner = ctx
        inner.variables = variables
        return Evaluation.run(inner, depth: Evaluation.runDepth(of: parts), at: range) { evaluation in
            evaluation.renderingTemplate = range.path
            return evaluation.template(parts, range: range, unwrap: false)
        }
    }

    /// A template rendered as far as it can be known, for reading what it writes when some of
    /// `variables` are unknown (where `render` gives up on the whole text): escapes (`$${`, `%%{`)
    /// and directives are applied as `templatefile` applies them; an interpolation whose value is
    /// unknown (or fails) is written as its expression between `${` and `}` (`${var.owner}`); an
    /// `%{ if }` whose condition is unknown writes both branches; an `%{ for }` over an unknown
    /// collection writes its body once with its variables unknown. `complete`: nothing was unknown.
    public static func renderKnownParts(_ parts: [TemplatePart], variables: [String: Value], in ctx: EvalContext,
                                        range: SourceRange) -> (text: String, complete: Bool, diagnostics: [Diagnostic]) {
        var inner = ctx
        inner.variables = variables
        let box = PartialRendering()
        let (value, diagnostics) = Evaluation.run(inner, depth: Evaluation.runDepth(of: parts), at: range) { evaluation in
            evaluation.renderingTemplate = range.path
            evaluation.keepingUnknowns = true
            var out = ""
            var pendingUnknown: String?
            evaluation.render(parts, into: &out, unknown: &pendingUnknown)
            box.complete = !evaluation.sawUnknown && pendingUnknown == nil
            if pendingUnknown == Evaluation.templateTooLong || evaluation.exhausted { return evaluation.unknown(pendingUnknown ?? Evaluation.budgetExhausted, range) }
            return Value(.string(out), origin: range)
        }
        guard let text = value.stringValue else { return ("", false, diagnostics) }
        return (text, box.complete, diagnostics)
    }
}

/// What `renderKnownParts` learns inside the evaluation run.
private final class PartialRendering: @unchecked Sendable {
    var complete = true
}

/// Evaluates `e` in `ctx`: its value (unknown where it cannot be known statically or where it
/// failed) and the problems found, each located in the expression.
public func evaluate(_ e: Expression, in ctx: EvalContext) -> (Value, [Diagnostic]) {
    Evaluation.run(ctx, depth: Evaluation.runDepth(of: e), at: e.range) { $0.eval(e) }
}

/// Evaluates template parts (a parsed template file) to a string. Variables come from `ctx`.
public func evaluateTemplate(_ parts: [TemplatePart], range: SourceRange, in ctx: EvalContext) -> (Value, [Diagnostic]) {
    Evaluation.run(ctx, depth: Evaluation.runDepth(of: parts), at: range) { $0.template(parts, range: range, unwrap: false) }
}

// MARK: - The evaluator

/// One evaluation. A reference type, so the recursion passes one pointer around.
final class Evaluation {
    let ctx: EvalContext
    /// `for` variables, innermost last.
    var scopes: [[String: Value]] = []
    /// The element bound to `.splatItem`, innermost last.
    var splatItems: [Value] = []
    var diagnostics: [Diagnostic] = []
    /// Set while rendering a `templatefile`: Terraform forbids calling it recursively.
    var inTemplateFile = false
    /// The path of the template being rendered, for messages about its variables.
    var renderingTemplate: String?
    /// Set by `Evaluator.renderKnownParts`: unknown template parts are written as written (see
    /// there) instead of making the whole text unknown; `sawUnknown` records that one was.
    var keepingUnknowns = false
    var sawUnknown = false
    /// The run's budget, charged in batches of `pendingUnits`.
    let budget: EvaluationBudget
    var pendingUnits = 0
    /// Set once the run's budget is spent: every node is then unknown at once.
    var exhausted = false
    /// The expression this evaluation was started for: where running out of budget is reported.
    var topRange: SourceRange?

    init(_ ctx: EvalContext) {
        self.ctx = ctx
        self.budget = ctx.budget ?? EvaluationBudget()
        self.exhausted = budget.isSpent
    }

    /// Trees nested deeper than this are evaluated on a dedicated deep-stack thread: evaluation
    /// recurses once per level, and unoptimised builds use up to ~17 KB of stack per level (nested
    /// `for` expressions), more than a secondary thread may have.
    static let inlineDepth = 16
    /// Deeper trees are refused (the parser never builds one; see `HCLParser.maxNestingDepth`).
    static let maxDepth = 1_024

    /// Runs `body` with a fresh evaluator, on a deep-stack thread when the tree is deep.
    static func run(_ ctx: EvalContext, depth: Int, at range: SourceRange, _ body: @escaping @Sendable (Evaluation) -> Value) -> (Value, [Diagnostic]) {
        if depth > maxDepth {
            return (Value(.unknown(reason: "expression nested too deeply to evaluate"), origin: range),
                    [Diagnostic(.error, "Expression too deep", detail: "This expression nests \(depth) levels deep; at most \(maxDepth) can be evaluated.", range: range)])
        }
        var ctx = ctx
        if ctx.budget == nil { ctx.budget = EvaluationBudget() }
        let evaluate: @Sendable () -> Unchecked<(Value, [Diagnostic])> = { [ctx] in
            let evaluator = Evaluation(ctx)
            evaluator.topRange = range
            var value = body(evaluator)
            evaluator.flushBudget(at: range)
            // Out of budget: the value as a whole is unknown, not a collection with holes in it.
            if evaluator.exhausted { value = evaluator.unknown(Evaluation.budgetExhausted, range) }
            return Unchecked((value, evaluator.diagnostics))
        }
        if depth <= inlineDepth { return evaluate().value }
        return DeepStack.run(stackSize: max(16 << 20, depth * (32 << 10)), evaluate).value
    }

    /// The depth `run` needs to know: exact for a tree deeper than `inlineDepth`, `inlineDepth`
    /// for any other. Most trees are shallow: a recursive look that stops below `inlineDepth`
    /// levels says so without the worklist `nestingDepth` allocates (measuring every evaluation's
    /// tree that way was 1.4% of a monorepo's audit).
    static func runDepth(of e: Expression) -> Int {
        deeper(e, 1) ? nestingDepth(of: e) : inlineDepth
    }

    static func runDepth(of parts: [TemplatePart]) -> Int {
        parts.contains { deeper($0, 2) } ? nestingDepth(of: parts) : inlineDepth
    }

    /// Whether the tree below `e`, at depth `d`, reaches deeper than `inlineDepth` (counted as
    /// `nestingDepth` counts). Recurses at most `inlineDepth` levels.
    private static func deeper(_ e: Expression, _ d: Int) -> Bool {
        if d > inlineDepth { return true }
        let n = d + 1
        switch e.kind {
        case .literal, .variable, .splatItem, .invalid: return false
        case .template(let parts): return parts.contains { deeper($0, n) }
        case .getAttribute(let base, _, _): return deeper(base, n)
        case .index(let base, let key): return deeper(base, n) || deeper(key, n)
        case .splat(let source, let each): return deeper(source, n) || deeper(each, n)
        case .tuple(let items): return items.contains { deeper($0, n) }
        case .object(let items): return items.contains { deeper($0.key, n) || deeper($0.value, n) }
        case .functionCall(_, _, let arguments, _): return arguments.contains { deeper($0, n) }
        case .conditional(let c, let t, let f): return deeper(c, n) || deeper(t, n) || deeper(f, n)
        case .unary(_, let x): return deeper(x, n)
        case .binary(_, let l, let r): return deeper(l, n) || deeper(r, n)
        case .forExpression(let f):
            return deeper(f.collection, n) || deeper(f.valueResult, n) || f.keyResult.map { deeper($0, n) } == true
                || f.condition.map { deeper($0, n) } == true
        case .parenthesized(let x): return deeper(x, n)
        }
    }

    private static func deeper(_ part: TemplatePart, _ d: Int) -> Bool {
        if d > inlineDepth { return true }
        let n = d + 1
        switch part {
        case .literal: return false
        case .interpolation(let e): return deeper(e, n)
        case .conditional(let c, let t, let f, _): return deeper(c, n) || t.contains { deeper($0, n) } || f.contains { deeper($0, n) }
        case .loop(_, _, let collection, let body, _): return deeper(collection, n) || body.contains { deeper($0, n) }
        }
    }

    /// The depth of an expression tree, measured without recursion (so any tree can be measured).
    static func nestingDepth(of root: Expression) -> Int {
        var deepest = 0
        var pending: [(Expression, Int)] = [(root, 1)]
        var pendingParts: [(TemplatePart, Int)] = []
        while !pending.isEmpty || !pendingParts.isEmpty {
            if let (e, d) = pending.popLast() {
                deepest = max(deepest, d)
                switch e.kind {
                case .literal, .variable, .splatItem, .invalid: break
                case .template(let parts): pendingParts += parts.map { ($0, d + 1) }
                case .getAttribute(let base, _, _): pending.append((base, d + 1))
                case .index(let base, let key): pending += [(base, d + 1), (key, d + 1)]
                case .splat(let source, let each): pending += [(source, d + 1), (each, d + 1)]
                case .tuple(let items): pending += items.map { ($0, d + 1) }
                case .object(let items): pending += items.flatMap { [($0.key, d + 1), ($0.value, d + 1)] }
                case .functionCall(_, _, let arguments, _): pending += arguments.map { ($0, d + 1) }
                case .conditional(let c, let t, let f): pending += [(c, d + 1), (t, d + 1), (f, d + 1)]
                case .unary(_, let x): pending.append((x, d + 1))
                case .binary(_, let l, let r): pending += [(l, d + 1), (r, d + 1)]
                case .forExpression(let f):
                    pending += ([f.collection, f.valueResult] + [f.keyResult, f.condition].compactMap { $0 }).map { ($0, d + 1) }
                case .parenthesized(let x): pending.append((x, d + 1))
                }
            } else if let (part, d) = pendingParts.popLast() {
                deepest = max(deepest, d)
                switch part {
                case .literal: break
                case .interpolation(let e): pending.append((e, d + 1))
                case .conditional(let c, let t, let f, _):
                    pending.append((c, d + 1))
                    pendingParts += (t + f).map { ($0, d + 1) }
                case .loop(_, _, let collection, let body, _):
                    pending.append((collection, d + 1))
                    pendingParts += body.map { ($0, d + 1) }
                }
            }
        }
        return deepest
    }

    static func nestingDepth(of parts: [TemplatePart]) -> Int {
        nestingDepth(of: Expression(.template(parts), SourceRange.fileStart("")))
    }

    func error(_ summary: String, _ detail: String, _ range: SourceRange) {
        diagnostics.append(Diagnostic(.error, summary, detail: detail, range: range))
    }

    func unknown(_ reason: String, _ range: SourceRange) -> Value { Value(.unknown(reason: reason), origin: range) }

    /// Reports an error and returns an unknown whose reason is the error.
    func failure(_ summary: String, _ detail: String, _ range: SourceRange) -> Value {
        error(summary, detail, range)
        return unknown("evaluation failed: \(summary)", range)
    }

    func eval(_ e: Expression) -> Value { evaluateNode(e) }

    // MARK: Budget

    static let budgetExhausted = "evaluation limit exceeded: the run's evaluation budget is spent"

    /// Charges `units` of work, reporting at `range` when the run's budget runs out here.
    func spend(_ units: Int, at range: SourceRange) {
        pendingUnits += units
        if pendingUnits >= 1_024 { flushBudget(at: range) }
    }

    func flushBudget(at range: SourceRange) {
        guard pendingUnits > 0 else { return }
        let within = budget.charge(pendingUnits)
        pendingUnits = 0
        if !within && !exhausted {
            exhausted = true
            let d = Diagnostic.limit("needs more than the \(budget.maxSteps) evaluation steps a run may take; "
                                     + "this and every later expression of the run are not evaluated", at: topRange ?? range)
            diagnostics.append(d)
            budget.record(d)
        }
    }

    /// Reports a value that is too large to build and returns an unknown naming the limit.
    func limitExceeded(_ what: String, _ range: SourceRange) -> Value {
        let d = Diagnostic.limit(what, at: range)
        diagnostics.append(d)
        budget.record(d)
        return unknown("evaluation limit exceeded: the expression \(what)", range)
    }

    /// Dispatches on the node kind. Every case is a separate method: in unoptimised builds a
    /// function's frame holds the locals of all its branches, and this one is on the stack once per
    /// nesting level.
    func evaluateNode(_ e: Expression) -> Value {
        if exhausted { return unknown(Evaluation.budgetExhausted, e.range) }
        spend(1, at: e.range)
        switch e.kind {
        case .literal: return literal(e)
        case .template: return templateExpression(e)
        case .variable: return variable(e)
        case .getAttribute, .index, .splat: return traversal(e)
        case .splatItem: return splatItem(e)
        case .tuple: return tuple(e)
        case .object: return object(e)
        case .functionCall: return functionCall(e)
        case .conditional: return conditional(e)
        case .unary: return unary(e)
        case .binary: return binary(e)
        case .forExpression: return forExpression(e)
        case .parenthesized: return parenthesized(e)
        // The parser reported why; evaluating it adds nothing.
        case .invalid: return unknown("the expression has a syntax error", e.range)
        }
    }

    func templateExpression(_ e: Expression) -> Value {
        guard case .template(let parts) = e.kind else { return unknown("unreachable", e.range) }
        return template(parts, range: e.range, unwrap: true)
    }

    func variable(_ e: Expression) -> Value {
        guard case .variable(let name) = e.kind else { return unknown("unreachable", e.range) }
        return variable(name, e.range)
    }

    func object(_ e: Expression) -> Value {
        guard case .object(let items) = e.kind else { return unknown("unreachable", e.range) }
        return object(items, e.range)
    }

    func unary(_ e: Expression) -> Value {
        guard case .unary(let op, let operand) = e.kind else { return unknown("unreachable", e.range) }
        return unary(op, eval(operand), operand.range, e.range)
    }

    func binary(_ e: Expression) -> Value {
        guard case .binary(let op, let lhs, let rhs) = e.kind else { return unknown("unreachable", e.range) }
        return binary(op, lhs, rhs, e.range)
    }

    func forExpression(_ e: Expression) -> Value {
        guard case .forExpression(let f) = e.kind else { return unknown("unreachable", e.range) }
        return forExpression(f, e.range)
    }

    func parenthesized(_ e: Expression) -> Value {
        guard case .parenthesized(let inner) = e.kind else { return unknown("unreachable", e.range) }
        return eval(inner)
    }

    func literal(_ e: Expression) -> Value {
        guard case .literal(let literal) = e.kind else { return unknown("unreachable", e.range) }
        switch literal {
        case .null: return Value(.null, origin: e.range)
        case .bool(let b): return Value(.bool(b), origin: e.range)
        case .number(let n): return Value(.number(n), origin: e.range)
        case .string(let s): return Value(.string(s), origin: e.range)
        }
    }

    func traversal(_ e: Expression) -> Value {
        if let v = unknownRootTraversal(e) { return v }
        switch e.kind {
        case .getAttribute(let base, let name, let nameRange): return attribute(of: eval(base), name, nameRange, e)
        case .index(let base, let key): return index(eval(base), key: key, e)
        case .splat(let source, let each): return splat(eval(source), each: each, e)
        default: return unknown("unreachable", e.range)
        }
    }

    func splatItem(_ e: Expression) -> Value {
        guard let item = splatItems.last else {
            return failure("Splat placeholder outside a splat", "This expression refers to a splat element outside any `[*]`.", e.range)
        }
        return item
    }

    func tuple(_ e: Expression) -> Value {
        guard case .tuple(let items) = e.kind else { return unknown("unreachable", e.range) }
        var out: [Value] = []
        out.reserveCapacity(items.count)
        for item in items { out.append(eval(item)) }
        return Value(.list(out), origin: e.range)
    }

    func functionCall(_ e: Expression) -> Value {
        guard case .functionCall(let name, let nameRange, let arguments, let expandFinal) = e.kind else { return unknown("unreachable", e.range) }
        return call(name, nameRange, arguments, expandFinal: expandFinal, e.range)
    }

    func conditional(_ e: Expression) -> Value {
        guard case .conditional(let condition, let then, let otherwise) = e.kind else { return unknown("unreachable", e.range) }
        return conditional(condition, then, otherwise, e.range)
    }

    // MARK: Variables and traversals

    func lookup(_ name: String) -> Value? {
        for scope in scopes.reversed() {
            if let v = scope[name] { return v }
        }
        return ctx.variables[name]
    }

    /// The roots Terraform defines; absent from a context, they depend on state or on where the
    /// expression sits, and are unknown.
    static let terraformRoots: Set<String> = ["var", "local", "module", "data", "path", "each", "count", "self", "terraform"]

    /// Whether a name that is not in scope is an absent root (unknown) rather than a mistake. A
    /// template rendered by `templatefile` sees only its variables; elsewhere only a name that
    /// looks like a misspelt root in scope (`vars`, `True`) is a mistake: resource types and
    /// Terraform's own roots just depend on state.
    func isAbsentRoot(_ name: String) -> Bool {
        if renderingTemplate != nil { return false }
        if Evaluation.terraformRoots.contains(name) || name.contains("_") { return true }
        if ["true", "false", "null"].contains(name.lowercased()) { return false }
        let names = scopes.flatMap(\.keys) + ctx.variables.keys
        return Wording.suggestion(for: name, among: names) == nil
    }

    func variable(_ name: String, _ range: SourceRange) -> Value {
        if let v = lookup(name) {
            if case .unknown = v.kind { return v.relocated(to: v.origin ?? range) }
            return v
        }
        if isAbsentRoot(name) { return unknown(name, range) }
        let names = Set(scopes.flatMap(\.keys) + ctx.variables.keys)
        var detail = "There is no variable named `\(name)` here."
        if let template = renderingTemplate {
            detail = "The template `\(template)` uses `\(name)`, which is not among the variables passed to `templatefile`."
        }
        if let suggestion = Wording.suggestion(for: name, among: Array(names)) {
            detail += " Did you mean `\(suggestion)`?"
        } else if ["true", "false", "null"].contains(name.lowercased()) {
            detail += " Keywords are lowercase: `\(name.lowercased())`."
        } else if !names.isEmpty, names.count <= 8 {
            detail += " Available here: \(Wording.quotedList(Array(names)))."
        }
        return failure("Unknown variable `\(name)`", detail, range)
    }

    /// The root variable of a traversal chain (`a` in `a.b[0][*].c`).
    static func root(of e: Expression) -> Expression? {
        switch e.kind {
        case .variable: return e
        case .getAttribute(let base, _, _): return root(of: base)
        case .index(let base, _): return root(of: base)
        case .splat(let source, _): return root(of: source)
        default: return nil
        }
    }

    /// A traversal whose root variable is unknown is unknown as a whole, named after itself.
    func unknownRootTraversal(_ e: Expression) -> Value? {
        guard let root = Evaluation.root(of: e), case .variable(let name) = root.kind else { return nil }
        if let value = lookup(name) {
            guard case .unknown = value.kind else { return nil }
        } else if !isAbsentRoot(name) {
            return nil
        }
        // Index keys are still evaluated for their own errors; their values do not matter.
        var step = e
        while true {
            switch step.kind {
            case .getAttribute(let base, _, _): step = base
            case .index(let base, let key):
                _ = eval(key)
                step = base
            case .splat(let source, _): step = source
            default: return unknown(Evaluation.text(of: e), e.range)
            }
        }
    }

    /// Source-like text of an expression, for unknown reasons (`aws_iam_policy.x.arn`).
    static func text(of e: Expression) -> String {
        switch e.kind {
        case .variable(let name): return name
        case .getAttribute(let base, let name, _): return text(of: base) + "." + name
        case .index(let base, let key):
            switch key.kind {
            case .literal(.number(let n)): return text(of: base) + "[\(Value.format(n))]"
            case .literal(.string(let s)): return text(of: base) + "[\"\(s)\"]"
            default:
                if let s = key.staticString { return text(of: base) + "[\"\(s)\"]" }
                return text(of: base) + "[\(text(of: key))]"
            }
        case .splat(let source, let each):
            let rest = text(of: each)
            return text(of: source) + "[*]" + (rest.hasPrefix("@") ? String(rest.dropFirst()) : rest)
        case .splatItem: return "@"
        case .literal(.number(let n)): return Value.format(n)
        case .literal(.string(let s)): return "\"\(s)\""
        case .literal(.bool(let b)): return b ? "true" : "false"
        case .literal(.null): return "null"
        case .functionCall(let name, _, _, _): return name + "(…)"
        case .parenthesized(let inner): return "(" + text(of: inner) + ")"
        default: return "…"
        }
    }

    func attribute(of base: Value, _ name: String, _ nameRange: SourceRange, _ e: Expression) -> Value {
        switch base.kind {
        case .unknown: return Value(base.kind, origin: e.range)
        case .object(let o):
            if let v = o[name] { return v }
            let suggestion = Wording.suggestion(for: name, among: Array(o.keys))
            if case .getAttribute(let root, _, _) = e.kind, case .variable(let rootName) = root.kind,
               rootName == "var" || rootName == "local", lookup(rootName) != nil, scopes.allSatisfy({ $0[rootName] == nil }) {
                // `var.x` / `local.x`: the module's declarations, not just any object.
                let what = rootName == "var" ? "input variable" : "local value"
                let hint = suggestion.map { " Did you mean `\($0)`?" } ?? ""
                return failure("Reference to undeclared \(what)", "No \(what) `\(name)` is declared in this module.\(hint)", e.range)
            }
            var detail = "This object has no attribute named `\(name)`."
            if let suggestion {
                detail += " Did you mean `\(suggestion)`?"
            } else if !o.isEmpty, o.count <= 12 {
                detail += " Its attributes are \(Wording.quotedList(Array(o.keys), conjunction: "and"))."
            }
            return failure("Unsupported attribute `\(name)`", detail, nameRange)
        case .null:
            return failure("Attribute of a null value", "`\(Evaluation.text(of: e))` reads attribute `\(name)` of a value that is null.", nameRange)
        case .list(let elements):
            // A legacy index written as an attribute (`.0`), as the JSON syntax may produce.
            if let i = Int(name), i >= 0, i < elements.count { return elements[i] }
            return failure("Unsupported attribute `\(name)`",
                           "A list has no attributes. To read `\(name)` from one element use an index (`[0].\(name)`), or from every element a splat (`[*].\(name)`).",
                           nameRange)
        default:
            return failure("Unsupported attribute `\(name)`", "\(Evaluation.describe(base).capitalizedFirst) has no attributes.", nameRange)
        }
    }

    func index(_ collection: Value, key keyExpression: Expression, _ e: Expression) -> Value {
        let key = eval(keyExpression)
        if case .unknown = collection.kind { return Value(collection.kind, origin: e.range) }
        if case .unknown = key.kind { return Value(key.kind, origin: e.range) }
        switch collection.kind {
        case .list(let elements):
            guard let n = Evaluation.number(key), n.rounded() == n else {
                return failure("Invalid index", "A list is indexed by a whole number; the key here is \(Evaluation.describe(key)).", keyExpression.range)
            }
            guard n >= 0, n < Double(elements.count) else {
                let size = elements.count == 1 ? "1 element" : "\(elements.count) elements"
                return failure("Index out of range", "Index \(Value.format(n)) is outside the list, which has \(size)"
                               + (elements.isEmpty ? "." : " (valid indexes are 0 to \(elements.count - 1))."), keyExpression.range)
            }
            return elements[Int(n)]
        case .object(let members):
            guard let name = Evaluation.keyString(key) else {
                return failure("Invalid index", "A map or object is indexed by a string; the key here is \(Evaluation.describe(key)).", keyExpression.range)
            }
            if let v = members[name] { return v }
            var detail = "The map has no element with the key \"\(name)\"."
            if let suggestion = Wording.suggestion(for: name, among: Array(members.keys)) { detail += " Did you mean \"\(suggestion)\"?" }
            detail += " Use `lookup(map, key, default)` or `try(...)` when the key may be absent."
            return failure("Invalid index", detail, keyExpression.range)
        case .null:
            return failure("Index of a null value", "`\(Evaluation.text(of: e))` indexes a value that is null.", keyExpression.range)
        default:
            return failure("Invalid index", "\(Evaluation.describe(collection).capitalizedFirst) cannot be indexed.", keyExpression.range)
        }
    }

    func splat(_ source: Value, each: Expression, _ e: Expression) -> Value {
        let elements: [Value]
        switch source.kind {
        case .unknown: return Value(source.kind, origin: e.range)
        case .null: return Value(.list([]), origin: e.range)
        case .list(let l): elements = l
        default: elements = [source]
        }
        var out: [Value] = []
        out.reserveCapacity(elements.count)
        for element in elements {
            splatItems.append(element)
            out.append(eval(each))
            splatItems.removeLast()
        }
        return Value(.list(out), origin: e.range)
    }

    // MARK: Collections

    func object(_ items: [ObjectItem], _ range: SourceRange) -> Value {
        var members: [String: Value] = [:]
        var unknownKey: Value?
        for item in items {
            let key = eval(item.key)
            let value = eval(item.value)
            if case .unknown = key.kind {
                unknownKey = unknownKey ?? key
                continue
            }
            guard let name = Evaluation.keyString(key) else {
                error("Invalid object key", "An object key must be a string (numbers and bools convert); found \(Evaluation.describe(key)).", item.key.range)
                continue
            }
            members[name] = value
        }
        if let unknownKey, case .unknown(let reason) = unknownKey.kind {
            return unknown("an object key depends on \(reason)", range)
        }
        return Value(.object(members), origin: range)
    }

    // MARK: Conditionals and operators

    func conditional(_ condition: Expression, _ then: Expression, _ otherwise: Expression, _ range: SourceRange) -> Value {
        let c = eval(condition)
        switch c.kind {
        case .unknown(let reason):
            // Both results must be evaluated to tell whether the condition matters.
            let a = eval(then), b = eval(otherwise)
            if !a.containsUnknown, a == b { return a }
            return unknown(reason, range)
        default:
            guard let flag = Evaluation.bool(c) else {
                return failure("Condition is not a bool", "The condition of `? :` must be true or false; it is \(Evaluation.describe(c)).", condition.range)
            }
            // Only the chosen result's errors matter; the other result only lends its type.
            let chosen = flag ? eval(then) : eval(otherwise)
            guard chosen.isPrimitiveNonString else { return chosen }
            let kept = diagnostics.count
            let other = eval(flag ? otherwise : then)
            diagnostics.removeSubrange(kept...)
            switch (chosen.kind, other.kind) {
            case (_, .string):
                // Terraform gives both results one type: a number or bool next to a string becomes
                // a string (`true ? 1 : "two"` is `"1"`).
                return Value(.string(chosen.asString!), origin: chosen.origin)
            case (.number, .bool), (.bool, .number):
                return failure("Inconsistent conditional result types",
                               "The results of `? :` must have one type; here one is \(Evaluation.describe(chosen)) and the other \(Evaluation.describe(other)).", range)
            default:
                return chosen
            }
        }
    }

    func unary(_ op: UnaryOperator, _ operand: Value, _ operandRange: SourceRange, _ range: SourceRange) -> Value {
        if case .unknown = operand.kind { return Value(operand.kind, origin: range) }
        switch op {
        case .negate:
            guard let n = Evaluation.number(operand) else {
                return failure("Invalid operand", "`-` needs a number; the operand is \(Evaluation.describe(operand)).", operandRange)
            }
            return Value(.number(-n), origin: range)
        case .not:
            guard let b = Evaluation.bool(operand) else {
                return failure("Invalid operand", "`!` needs a bool; the operand is \(Evaluation.describe(operand)).", operandRange)
            }
            return Value(.bool(!b), origin: range)
        }
    }

    func binary(_ op: BinaryOperator, _ lhsExpression: Expression, _ rhsExpression: Expression, _ range: SourceRange) -> Value {
        let lhs = eval(lhsExpression), rhs = eval(rhsExpression)
        switch op {
        case .and, .or:
            let l = Evaluation.bool(lhs), r = Evaluation.bool(rhs)
            if lhs.isUnknown || rhs.isUnknown {
                // `false && x` and `true || x` hold whatever x is.
                let absorbing = op == .or
                if l == absorbing || r == absorbing { return Value(.bool(absorbing), origin: range) }
                return Value((lhs.isUnknown ? lhs : rhs).kind, origin: range)
            }
            guard let l else { return operandError(op, lhs, lhsExpression, need: "a bool") }
            guard let r else { return operandError(op, rhs, rhsExpression, need: "a bool") }
            return Value(.bool(op == .and ? l && r : l || r), origin: range)
        case .equal, .notEqual:
            if lhs.containsUnknown || rhs.containsUnknown {
                return Value((lhs.containsUnknown ? Evaluation.firstUnknown(lhs) : Evaluation.firstUnknown(rhs)).kind, origin: range)
            }
            let same = lhs == rhs
            return Value(.bool(op == .equal ? same : !same), origin: range)
        default:
            if lhs.isUnknown { return Value(lhs.kind, origin: range) }
            if rhs.isUnknown { return Value(rhs.kind, origin: range) }
            guard let l = Evaluation.number(lhs) else { return operandError(op, lhs, lhsExpression, need: "a number") }
            guard let r = Evaluation.number(rhs) else { return operandError(op, rhs, rhsExpression, need: "a number") }
            switch op {
            case .add: return Value(.number(l + r), origin: range)
            case .subtract: return Value(.number(l - r), origin: range)
            case .multiply: return Value(.number(l * r), origin: range)
            case .divide, .modulo:
                guard r != 0 else {
                    return failure("Division by zero", "The right operand of `\(op.rawValue)` is zero.", rhsExpression.range)
                }
                return Value(.number(op == .divide ? l / r : fmod(l, r)), origin: range)
            case .less: return Value(.bool(l < r), origin: range)
            case .lessOrEqual: return Value(.bool(l <= r), origin: range)
            case .greater: return Value(.bool(l > r), origin: range)
            case .greaterOrEqual: return Value(.bool(l >= r), origin: range)
            default: return unknown("unreachable", range)
            }
        }
    }

    func operandError(_ op: BinaryOperator, _ value: Value, _ e: Expression, need: String) -> Value {
        var detail = "`\(op.rawValue)` needs \(need); this operand is \(Evaluation.describe(value))."
        if need == "a number", case .string = value.kind, op == .add {
            detail += " To join strings, use a template (\"${a}${b}\") or `join`."
        }
        if need == "a bool", case .string(let s) = value.kind {
            detail += " Only the strings \"true\" and \"false\" convert to bools, not \"\(s)\"."
        }
        return failure("Invalid operand", detail, e.range)
    }

    // MARK: for expressions

    func forExpression(_ f: ForExpression, _ range: SourceRange) -> Value {
        let collection = eval(f.collection)
        let pairs: [(key: Value, value: Value)]
        switch collection.kind {
        case .unknown(let reason): return unknownForTemplate(f, reason: reason, range)
        case .list(let l): pairs = l.enumerated().map { (Value(.number(Double($0.offset))), $0.element) }
        case .object(let o): pairs = o.keys.sorted(by: Evaluation.precedes).map { (Value(.string($0)), o[$0]!) }
        case .null:
            return failure("Iteration over null", "The collection of this `for` is null; use `coalesce(x, [])` or a conditional when it may be null.", f.collection.range)
        default:
            return failure("Iteration over a non-collection", "A `for` iterates over a list, set, map or object; this is \(Evaluation.describe(collection)).", f.collection.range)
        }
        var listOut: [Value] = []
        var objectOut: [String: Value] = [:]
        var groups: [String: [Value]] = [:]
        var firstKeyRange: [String: SourceRange] = [:]
        var pendingUnknown: Value?
        for (key, value) in pairs {
            var scope: [String: Value] = [f.valueVariable: value]
            if let k = f.keyVariable { scope[k] = key }
            scopes.append(scope)
            defer { scopes.removeLast() }
            if let condition = f.condition {
                let c = eval(condition)
                if case .unknown = c.kind {
                    pendingUnknown = pendingUnknown ?? c
                    continue
                }
                guard let keep = Evaluation.bool(c) else {
                    return failure("Condition is not a bool", "The `if` of a `for` must be true or false; it is \(Evaluation.describe(c)).", condition.range)
                }
                if !keep { continue }
            }
            let v = eval(f.valueResult)
            guard let keyResult = f.keyResult else {
                listOut.append(v)
                continue
            }
            let k = eval(keyResult)
            if case .unknown = k.kind {
                pendingUnknown = pendingUnknown ?? k
                continue
            }
            guard let name = Evaluation.keyString(k) else {
                return failure("Invalid object key", "A `for` key must be a string; it is \(Evaluation.describe(k)).", keyResult.range)
            }
            if f.grouping {
                groups[name, default: []].append(v)
            } else if objectOut[name] != nil {
                let first = firstKeyRange[name].map { " (first produced at line \($0.start.line))" } ?? ""
                return failure("Duplicate object key", "The key \"\(name)\" is produced twice\(first). Add `...` after the value to group values by key, or make the keys unique.",
                               keyResult.range)
            } else {
                objectOut[name] = v
                firstKeyRange[name] = k.origin ?? keyResult.range
            }
        }
        if let pendingUnknown, case .unknown(let reason) = pendingUnknown.kind { return unknown(reason, range) }
        if f.keyResult == nil { return Value(.list(listOut), origin: range) }
        if f.grouping { return Value(.object(groups.mapValues { Value(.list($0), origin: range) }), origin: range) }
        return Value(.object(objectOut), origin: range)
    }

    /// A `for` over an unknown collection is unknown, but its body still has a shape: evaluated
    /// once with the iteration variables unknown, it says what every element carries.
    func unknownForTemplate(_ f: ForExpression, reason: String, _ range: SourceRange) -> Value {
        let element = Value.unknown("each element of \(Self.text(of: f.collection)) (\(reason))", origin: f.collection.range)
        var scope: [String: Value] = [f.valueVariable: element]
        if let k = f.keyVariable { scope[k] = .unknown("each key of \(Self.text(of: f.collection)) (\(reason))", origin: f.collection.range) }
        scopes.append(scope)
        defer { scopes.removeLast() }
        let body = eval(f.valueResult)
        let template = ForTemplate(element: body, collectionRange: f.collection.range, reason: reason,
                                   bodyRange: f.valueResult.range, isObject: f.keyResult != nil)
        return Value(.unknown(reason: reason), origin: range, template: template)
    }

    // MARK: Templates

    /// Renders template parts. With `unwrap`, a template that is exactly one interpolation returns
    /// that value unchanged.
    func template(_ parts: [TemplatePart], range: SourceRange, unwrap: Bool) -> Value {
        if unwrap, parts.count == 1, case .interpolation(let e) = parts[0] { return eval(e) }
        var out = ""
        var pendingUnknown: String?
        render(parts, into: &out, unknown: &pendingUnknown)
        if let pendingUnknown {
            if pendingUnknown == Evaluation.templateTooLong {
                return limitExceeded("builds a string longer than the \(Limits.maxStringBytes >> 20) MiB an expression may build", range)
            }
            return unknown(pendingUnknown, range)
        }
        spend(out.utf8.count >> 6, at: range)
        return Value(.string(out), origin: range)
    }

    static let templateTooLong = "evaluation limit exceeded: the template builds a string that is too long"

    /// Appends to a template's text unless that makes it longer than an expression may build.
    func append(_ s: String, to out: inout String, unknown pendingUnknown: inout String?) {
        guard pendingUnknown != Evaluation.templateTooLong else { return }
        if out.utf8.count + s.utf8.count > Limits.maxStringBytes {
            pendingUnknown = Evaluation.templateTooLong
            return
        }
        out += s
    }

    func render(_ parts: [TemplatePart], into out: inout String, unknown pendingUnknown: inout String?) {
        for part in parts {
            if pendingUnknown == Evaluation.templateTooLong || exhausted { return }
            switch part {
            case .literal(let s, _):
                append(s, to: &out, unknown: &pendingUnknown)
            case .interpolation(let e):
                let v = eval(e)
                if keepingUnknowns, v.isUnknown || v.asString == nil {
                    // Null and invalid values are errors Terraform reports; here they are unknown text.
                    sawUnknown = true
                    append("${" + Evaluation.text(of: e) + "}", to: &out, unknown: &pendingUnknown)
                    continue
                }
                switch v.kind {
                case .unknown(let reason): if pendingUnknown == nil || reason == Evaluation.templateTooLong { pendingUnknown = reason }
                case .null:
                    error("Null value in template", "`\(Evaluation.text(of: e))` is null, which cannot be part of a string. Use `coalesce(x, \"\")` or a conditional.", e.range)
                    pendingUnknown = pendingUnknown ?? "evaluation failed: null value in template"
                default:
                    if let s = v.asString {
                        append(s, to: &out, unknown: &pendingUnknown)
                    } else {
                        error("Invalid value in template", "\(Evaluation.describe(v).capitalizedFirst) cannot be part of a string; use `jsonencode` or `join` to turn it into text.", e.range)
                        pendingUnknown = pendingUnknown ?? "evaluation failed: invalid value in template"
                    }
                }
            case .conditional(let condition, let then, let otherwise, _):
                let c = eval(condition)
                if keepingUnknowns, Evaluation.bool(c) == nil {
                    sawUnknown = true
                    render(then, into: &out, unknown: &pendingUnknown)
                    render(otherwise, into: &out, unknown: &pendingUnknown)
                    continue
                }
                if case .unknown(let reason) = c.kind {
                    pendingUnknown = pendingUnknown ?? reason
                    continue
                }
                guard let flag = Evaluation.bool(c) else {
                    error("Condition is not a bool", "The condition of `%{ if }` must be true or false; it is \(Evaluation.describe(c)).", condition.range)
                    pendingUnknown = pendingUnknown ?? "evaluation failed: condition is not a bool"
                    continue
                }
                render(flag ? then : otherwise, into: &out, unknown: &pendingUnknown)
            case .loop(let keyVariable, let valueVariable, let collection, let body, _):
                let c = eval(collection)
                let pairs: [(Value, Value)]
                if keepingUnknowns, c.listValue == nil && c.objectValue == nil {
                    sawUnknown = true
                    let unknownItem = unknown("the collection of `%{ for }` is unknown", collection.range)
                    var scope: [String: Value] = [valueVariable: unknownItem]
                    if let keyVariable { scope[keyVariable] = unknownItem }
                    scopes.append(scope)
                    render(body, into: &out, unknown: &pendingUnknown)
                    scopes.removeLast()
                    continue
                }
                switch c.kind {
                case .unknown(let reason):
                    pendingUnknown = pendingUnknown ?? reason
                    continue
                case .list(let l): pairs = l.enumerated().map { (Value(.number(Double($0.offset))), $0.element) }
                case .object(let o): pairs = o.keys.sorted(by: Evaluation.precedes).map { (Value(.string($0)), o[$0]!) }
                default:
                    error("Iteration over a non-collection", "`%{ for }` iterates over a list, set, map or object; this is \(Evaluation.describe(c)).", collection.range)
                    pendingUnknown = pendingUnknown ?? "evaluation failed: iteration over a non-collection"
                    continue
                }
                for (key, value) in pairs {
                    var scope: [String: Value] = [valueVariable: value]
                    if let keyVariable { scope[keyVariable] = key }
                    scopes.append(scope)
                    render(body, into: &out, unknown: &pendingUnknown)
                    scopes.removeLast()
                }
            }
        }
    }

    // MARK: Helpers

    /// Terraform's number conversion: numbers, and strings written as decimal numbers.
    static func number(_ v: Value) -> Double? {
        switch v.kind {
        case .number(let n): return n
        case .string(let s):
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
            return Double(s)
        default: return nil
        }
    }

    static func bool(_ v: Value) -> Bool? { v.boolValue }

    /// An object key from a value: strings, and numbers and bools in their string form.
    static func keyString(_ v: Value) -> String? {
        switch v.kind {
        case .string, .number, .bool: return v.asString
        default: return nil
        }
    }

    /// The first unknown inside a value (for the reason).
    static func firstUnknown(_ v: Value) -> Value {
        switch v.kind {
        case .unknown: return v
        case .list(let l): return l.first(where: \.containsUnknown).map(firstUnknown) ?? v
        case .object(let o): return o.keys.sorted().compactMap { o[$0] }.first(where: \.containsUnknown).map(firstUnknown) ?? v
        default: return v
        }
    }

    /// Terraform orders object keys by their UTF-8 bytes.
    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// "the string \"x\"", "a list of 3 elements"... for messages.
    static func describe(_ v: Value) -> String {
        switch v.kind {
        case .null: return "null"
        case .bool(let b): return "the bool \(b)"
        case .number(let n): return "the number \(Value.format(n))"
        case .string(let s): return s.count > 40 ? "a string" : "the string \"\(s)\""
        case .list(let l): return "a list of \(l.count) element\(l.count == 1 ? "" : "s")"
        case .object(let o): return o.isEmpty ? "an empty object" : "an object with attributes \(Wording.quotedList(Array(o.keys.prefix(5)), conjunction: "and"))"
        case .unknown: return "an unknown value"
        }
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

// MARK: - Function calls

extension Evaluation {
    /// Every function Terraform provides (as of 1.10). A call to one that neither the function
    /// table nor the evaluator implements is unknown, not an error.
    static let terraformFunctionNames: Set<String> = [
        "abs", "abspath", "alltrue", "anytrue", "base64decode", "base64encode", "base64gzip", "base64sha256", "base64sha512",
        "basename", "bcrypt", "can", "ceil", "chomp", "chunklist", "cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets",
        "coalesce", "coalescelist", "compact", "concat", "contains", "csvdecode", "dirname", "distinct", "element", "endswith",
        "ephemeralasnull", "file", "filebase64", "filebase64sha256", "filebase64sha512", "fileexists", "filemd5", "fileset",
        "filesha1", "filesha256", "filesha512", "flatten", "floor", "format", "formatdate", "formatlist", "indent", "index",
        "issensitive", "join", "jsondecode", "jsonencode", "keys", "length", "log", "lookup", "lower", "matchkeys", "max", "md5",
        "merge", "min", "nonsensitive", "one", "parseint", "pathexpand", "plantimestamp", "pow", "range", "regex", "regexall",
        "replace", "reverse", "rsadecrypt", "sensitive", "setintersection", "setproduct", "setsubtract", "setunion", "sha1",
        "sha256", "sha512", "signum", "slice", "sort", "split", "startswith", "strcontains", "strrev", "substr", "sum",
        "templatefile", "templatestring", "textdecodebase64", "textencodebase64", "timeadd", "timecmp", "timestamp", "title",
        "tobool", "tolist", "tomap", "tonumber", "toset", "tostring", "transpose", "trim", "trimprefix", "trimspace", "trimsuffix",
        "try", "type", "upper", "urlencode", "uuid", "uuidv5", "values", "yamldecode", "yamlencode", "zipmap",
    ]

    /// Why some functions are never known before Terraform runs.
    static let runtimeOnly: [String: String] = [
        "timestamp": "`timestamp()` is known only when Terraform applies",
        "plantimestamp": "`plantimestamp()` is known only when Terraform plans",
        "uuid": "`uuid()` is random",
        "bcrypt": "`bcrypt()` is salted at random",
        "rsadecrypt": "`rsadecrypt()` needs a private key",
    ]

    /// The functions implemented here (they need the file system, the context or lazy arguments).
    static let ownFunctions: [String] = ["abspath", "basename", "can", "dirname", "file", "filebase64", "filebase64sha256",
                                         "fileexists", "fileset", "filesha256", "pathexpand", "templatefile", "try"]

    func call(_ name: String, _ nameRange: SourceRange, _ arguments: [Expression], expandFinal: Bool, _ range: SourceRange) -> Value {
        if name == "try" { return tryCall(arguments, range) }
        if name == "can" { return canCall(arguments, range) }
        var args = arguments.map(eval)
        if expandFinal, let last = args.popLast() {
            switch last.kind {
            case .list(let elements): args += elements
            case .unknown: return Value(last.kind, origin: range)
            default:
                return failure("Invalid expanding argument", "`...` expands a list or tuple into arguments; the last argument is \(Evaluation.describe(last)).",
                               arguments.last?.range ?? range)
            }
        }
        if name.containsBytes("::") {
            return unknown("provider function `\(name)` is not evaluated statically", range)
        }
        if Evaluation.ownFunctions.contains(name) {
            return ownFunction(name, args, arguments, range)
        }
        if let function = ctx.functions[name] ?? Functions.table[name] {
            let (value, problems) = function(args, range)
            diagnostics += problems
            for p in problems where p.code == DiagnosticCode.limit { budget.record(p) }
            if let what = value.exceededLimit { return limitExceeded(what, range) }
            spend(value.buildCost, at: range)
            return value
        }
        if let reason = Evaluation.runtimeOnly[name] { return unknown(reason, range) }
        if Evaluation.terraformFunctionNames.contains(name) {
            return unknown("`\(name)` is not evaluated statically", range)
        }
        var detail = "There is no function named `\(name)`."
        let extra = Array(ctx.functions.keys) + Array(Evaluation.terraformFunctionNames)
        if let suggestion = Functions.suggestion(for: name, extraNames: extra) {
            detail += " Did you mean `\(suggestion)`?"
        }
        return failure("Call to unknown function `\(name)`", detail, nameRange)
    }

    /// A sub-evaluation with this one's scopes whose diagnostics are kept apart (for `try`/`can`).
    func isolated(_ e: Expression) -> (Value, [Diagnostic]) {
        let sub = Evaluation(ctx)
        sub.scopes = scopes
        sub.splatItems = splatItems
        sub.inTemplateFile = inTemplateFile
        sub.renderingTemplate = renderingTemplate
        sub.topRange = topRange
        let v = sub.eval(e)
        sub.flushBudget(at: e.range)
        if sub.exhausted { exhausted = true }
        return (v, sub.diagnostics)
    }

    /// `try(a, b, ...)`: the first argument that evaluates without error. Arguments after it are
    /// not evaluated. A result that is not wholly known is unknown: it might still fail.
    func tryCall(_ arguments: [Expression], _ range: SourceRange) -> Value {
        guard !arguments.isEmpty else {
            return failure("Wrong number of arguments", "`try` needs at least one argument.", range)
        }
        var failures: [String] = []
        for argument in arguments {
            let (v, problems) = isolated(argument)
            // A limit is no failure of the expression: its value is unknown, not the fallback.
            if let limit = problems.first(where: { $0.code == DiagnosticCode.limit }) {
                diagnostics.append(limit)
                return unknown("evaluation limit exceeded in `try`", range)
            }
            if problems.contains(where: { $0.severity == .error }) {
                failures.append(problems.first { $0.severity == .error }!.summary)
                continue
            }
            if v.containsUnknown {
                if case .unknown(let reason) = Evaluation.firstUnknown(v).kind { return unknown(reason, range) }
            }
            return v
        }
        return failure("No `try` argument succeeded",
                       "Every argument of `try` failed: " + failures.map { "“\($0)”" }.joined(separator: "; ") + ". Add a last argument that cannot fail, such as a default value.",
                       range)
    }

    /// `can(x)`: whether `x` evaluates without error (unknown when `x` is not wholly known).
    func canCall(_ arguments: [Expression], _ range: SourceRange) -> Value {
        guard arguments.count == 1 else {
            return failure("Wrong number of arguments", "`can` takes exactly one argument; found \(arguments.count).", range)
        }
        let (v, problems) = isolated(arguments[0])
        if let limit = problems.first(where: { $0.code == DiagnosticCode.limit }) {
            diagnostics.append(limit)
            return unknown("evaluation limit exceeded in `can`", range)
        }
        if problems.contains(where: { $0.severity == .error }) { return Value(.bool(false), origin: range) }
        if v.containsUnknown, case .unknown(let reason) = Evaluation.firstUnknown(v).kind { return unknown(reason, range) }
        return Value(.bool(true), origin: range)
    }

    static let signatures: [String: [String]] = [
        "abspath": ["path"], "basename": ["path"], "dirname": ["path"], "file": ["path"], "filebase64": ["path"],
        "filebase64sha256": ["path"], "fileexists": ["path"], "fileset": ["path", "pattern"], "filesha256": ["path"],
        "pathexpand": ["path"], "templatefile": ["path", "vars"],
    ]

    func ownFunction(_ name: String, _ args: [Value], _ arguments: [Expression], _ range: SourceRange) -> Value {
        let parameters = Evaluation.signatures[name] ?? []
        guard args.count == parameters.count else {
            let expected = parameters.count == 1 ? "1 argument" : "\(parameters.count) arguments"
            return failure("Wrong number of arguments", "`\(name)(\(parameters.joined(separator: ", ")))` takes \(expected); found \(args.count).", range)
        }
        // (`templatefile` names its file in the reason for unknown variables itself.)
        if let u = args.enumerated().first(where: { $0.element.isUnknown && !(name == "templatefile" && $0.offset == 1) })?.element {
            return Value(u.kind, origin: range)
        }
        func argumentRange(_ i: Int) -> SourceRange { i < arguments.count ? arguments[i].range : range }
        var strings: [String] = []
        for (i, a) in args.enumerated() where !(name == "templatefile" && i == 1) {
            guard let s = Evaluation.pathString(a) else {
                return failure("Invalid argument", "The `\(parameters[i])` argument of `\(name)` must be a string; it is \(Evaluation.describe(a)).", argumentRange(i))
            }
            strings.append(s)
        }
        switch name {
        case "basename": return Value(.string(GoPath.base(strings[0])), origin: range)
        case "dirname": return Value(.string(GoPath.dir(strings[0])), origin: range)
        case "pathexpand":
            if strings[0].hasPrefix("~") { return unknown("`pathexpand` depends on the home directory of whoever runs Terraform", range) }
            return Value(.string(strings[0]), origin: range)
        case "abspath":
            guard let root = ctx.absoluteRoot else { return unknown("`abspath` depends on the directory Terraform runs in", range) }
            let base = GoPath.clean(ctx.moduleDirectory.isEmpty ? root : root + "/" + ctx.moduleDirectory)
            let path = strings[0].hasPrefix("/") ? strings[0] : base + "/" + strings[0]
            return Value(.string(GoPath.clean(path)), origin: range)
        case "fileexists":
            switch resolve(strings[0], function: name, range) {
            case .failure(let u): return u.value
            case .success(let path):
                guard let fs = ctx.fileSystem else { return unknown("no file system to check `\(strings[0])` in", range) }
                return Value(.bool(fs.read(path) != nil), origin: range)
            }
        case "fileset":
            return fileset(strings[0], pattern: strings[1], range)
        case "templatefile":
            return templateFile(strings[0], vars: args[1], varsRange: argumentRange(1), range)
        default:
            // file, filebase64, filesha256, filebase64sha256
            switch read(strings[0], function: name, argumentRange(0), range) {
            case .failure(let u): return u.value
            case .success(let (path, data)):
                switch name {
                case "filebase64": return Value(.string(data.base64EncodedString()), origin: range)
                case "filesha256": return Value(.string(Fingerprint.sha256Hex(data)), origin: range)
                case "filebase64sha256":
                    return Value(.string(Data(Evaluation.bytes(fromHex: Fingerprint.sha256Hex(data))).base64EncodedString()), origin: range)
                default:
                    guard let text = String(data: data, encoding: .utf8) else {
                        return failure("File is not UTF-8 text", "`file` reads text; `\(strings[0])` is not valid UTF-8. Use `filebase64` for binary files.", argumentRange(0))
                    }
                    // The value points at the whole file, so findings can point into it.
                    return Value(.string(text), origin: SourceFile(path: path, text: text).fullRange)
                }
            }
        }
    }

    static func pathString(_ v: Value) -> String? {
        switch v.kind {
        case .string(let s): return s
        case .number, .bool: return v.asString
        default: return nil
        }
    }

    static func bytes(fromHex hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let a = iterator.next(), let b = iterator.next() {
            out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16) ?? 0)
        }
        return out
    }

    /// A path argument as a path relative to the scan root, or the unknown to return instead. A
    /// path that leaves the root is never read: the value is unknown and a warning (`CORE-003`)
    /// names the path as seen from the scan root.
    func resolve(_ path: String, function: String, _ range: SourceRange) -> Result<String, UnknownResult> {
        func outside(_ shown: String, _ why: String) -> Result<String, UnknownResult> {
            diagnostics.append(Diagnostic(
                .warning, "`\(function)` reads `\(shown)`, outside the scan root",
                detail: "\(why) The audit reads nothing outside the directory it scans, so this value is unknown and checks that need it are skipped. "
                    + "Scan the directory that holds both, or pass the value with `--var`/`--var-file`.",
                range: range, code: Evaluator.unreadableFileCode))
            return .failure(UnknownResult(unknown("`\(function)` reads `\(shown)`, outside the scanned directory", range)))
        }
        if path.hasPrefix("~") {
            return outside(path, "The path is under the home directory of whoever runs Terraform.")
        }
        if path.hasPrefix("/") {
            guard let root = ctx.absoluteRoot, path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
                return outside(path, "The absolute path is not below the scanned directory.")
            }
            guard let joined = Paths.join("", String(path.dropFirst(root.count))) else {
                return outside(path, "The absolute path climbs out of the scanned directory.")
            }
            return .success(joined)
        }
        guard let joined = Paths.join(ctx.moduleDirectory, path) else {
            let shown = GoPath.clean(ctx.moduleDirectory.isEmpty ? path : ctx.moduleDirectory + "/" + path)
            return outside(shown, "`\(path)`, relative to `\(ctx.moduleDirectory.isEmpty ? "." : ctx.moduleDirectory)` where Terraform runs, climbs out of the scanned directory.")
        }
        return .success(joined)
    }

    struct UnknownResult: Error {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    func read(_ path: String, function: String, _ argumentRange: SourceRange, _ range: SourceRange) -> Result<(String, Data), UnknownResult> {
        switch resolve(path, function: function, range) {
        case .failure(let u): return .failure(u)
        case .success(let resolved):
            guard let fs = ctx.fileSystem else {
                return .failure(UnknownResult(unknown("no file system to read `\(path)` from", range)))
            }
            // One `load`: the size is checked on the open file before it is read.
            let loaded = fs.load(resolved)
            if case .tooLarge(let size) = loaded {
                return .failure(UnknownResult(limitExceeded("reads `\(resolved)`, a file of \(size) bytes; files over \(Limits.maxFileSize >> 20) MiB are not read", argumentRange)))
            }
            guard case .data(let data) = loaded else {
                diagnostics.append(Diagnostic(.warning, "File not found: `\(function)` reads `\(resolved)`",
                    detail: "`\(function)` reads `\(path)` (`\(resolved)` from the scan root), which does not exist or cannot be read. "
                        + "The value is unknown, so checks that need it are skipped. If the file is generated before Terraform runs, this is expected; otherwise Terraform will fail here.",
                    range: argumentRange, code: Evaluator.unreadableFileCode))
                return .failure(UnknownResult(unknown("`\(path)` is not in the scanned tree", range)))
            }
            return .success((resolved, data))
        }
    }
}

// MARK: - templatefile and fileset

extension Evaluation {
    /// `templatefile(path, vars)`: the file parsed as a template and rendered with only `vars` in
    /// scope. Unknown variables it uses make the result unknown, with a reason naming the file.
    func templateFile(_ path: String, vars: Value, varsRange: SourceRange, _ range: SourceRange) -> Value {
        if inTemplateFile {
            return failure("Recursive `templatefile`", "A template rendered by `templatefile` cannot call `templatefile` itself.", range)
        }
        let variables: [String: Value]
        switch vars.kind {
        case .object(let o): variables = o
        case .unknown(let reason): return unknown("templatefile `\(path)`: \(reason)", range)
        default:
            return failure("Invalid argument", "The `vars` argument of `templatefile` must be a map or object; it is \(Evaluation.describe(vars)).", varsRange)
        }
        let file: (String, Data)
        switch read(path, function: "templatefile", range, range) {
        case .failure(let u):
            if case .unknown(let reason) = u.value.kind { return unknown("templatefile `\(path)`: \(reason)", range) }
            return u.value
        case .success(let found): file = found
        }
        guard let text = String(data: file.1, encoding: .utf8) else {
            return failure("Template is not UTF-8 text", "`templatefile` reads text; `\(path)` is not valid UTF-8.", range)
        }
        let source = SourceFile(path: file.0, text: text)
        let (parts, problems) = HCLParser.parseTemplate(source)
        diagnostics += problems
        if problems.contains(where: { $0.severity == .error }) {
            return unknown("templatefile `\(path)`: the template has syntax errors", source.fullRange)
        }
        var context = ctx
        context.variables = variables
        let templateRange = source.fullRange
        let (rendered, renderProblems) = Evaluation.run(context, depth: Evaluation.runDepth(of: parts), at: templateRange) { sub in
            sub.inTemplateFile = true
            sub.renderingTemplate = path
            return sub.template(parts, range: templateRange, unwrap: false)
        }
        diagnostics += renderProblems
        if case .unknown(let reason) = rendered.kind {
            return unknown("templatefile `\(path)`: \(reason)", templateRange)
        }
        return Value(rendered.kind, origin: templateRange)
    }

    /// `fileset(path, pattern)`: the files under `path` matching the glob, relative to `path`, sorted.
    func fileset(_ path: String, pattern: String, _ range: SourceRange) -> Value {
        let base: String
        switch resolve(path, function: "fileset", range) {
        case .failure(let u): return u.value
        case .success(let resolved): base = resolved
        }
        guard let fs = ctx.fileSystem else { return unknown("no file system to list `\(path)` in", range) }
        let matcher: Glob
        do { matcher = try Glob(pattern, syntax: .fileset) } catch {
            return failure("Invalid glob pattern", "`\(pattern)` is not a valid pattern: \(error).", range)
        }
        var found: [String] = []
        var pending: [(String, Int)] = [("", 0)]
        // Each directory once, whatever links lead to it; a bounded number of them.
        var entered = Set<FileIdentity>()
        var listed = 0
        while let (relative, level) = pending.popLast() {
            let directory = relative.isEmpty ? base : (base.isEmpty ? relative : base + "/" + relative)
            if let identity = fs.identity(directory), !entered.insert(identity).inserted { continue }
            listed += 1
            if listed > Limits.maxDirectories {
                return limitExceeded("lists more than \(Limits.maxDirectories) directories with `fileset`", range)
            }
            guard let entries = fs.list(directory) else { continue }
            for entry in entries {
                let child = relative.isEmpty ? entry.name : relative + "/" + entry.name
                switch entry.kind {
                case .file: if matcher.matches(child) { found.append(child) }
                case .directory: if level < 64 { pending.append((child, level + 1)) }
                default: break
                }
            }
            if found.count > Limits.maxCollectionElements {
                return limitExceeded("matches more than \(Limits.maxCollectionElements) files with `fileset`", range)
            }
        }
        return Value(.list(found.sorted(by: Evaluation.precedes).map { Value(.string($0), origin: range) }), origin: range)
    }
}

/// Go's `path/filepath` functions as Terraform uses them (`/` separators).
enum GoPath {
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = out.last, last != ".." {
                    out.removeLast()
                } else if !rooted {
                    out.append(part)
                }
                continue
            }
            out.append(part)
        }
        let joined = out.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func base(_ path: String) -> String {
        if path.isEmpty { return "." }
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        if p == "/" { return "/" }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return String(p)
    }

    static func dir(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return clean(String(path[...slash]))
    }
}

/// Terraform's `fileset` globbing (`*`, `**`, `?`, `[...]`, `{a,b}`) for callers outside the evaluator.
public enum FileGlob {
    /// Whether `path` (relative, `/`-separated) matches `pattern`; an invalid pattern matches nothing.
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        (try? Glob(pattern, syntax: .fileset))?.matches(path) ?? false
    }
}
