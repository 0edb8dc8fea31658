import AuditCore
import HCL
import Knowledge
import Terraform

/// What the module's own `validation` blocks say about one written value.
struct ValidationVerdict {
    /// The first block the value fails, and the release it was evaluated at.
    var failed: InputValidation
    var target: ModuleVersion
}

/// Evaluates a value against a variable's `validation` conditions (`rules/knowledge/validations.yaml`),
/// as Terraform does at plan time: the value converted to the variable's type first (optional
/// attributes filled in), the condition evaluated with `var.<name>` bound to it. A condition may
/// read other variables of the module (Terraform 1.9 and later): each is bound to the value the
/// call gives it, else the module's default, else left unknown. Only a condition that evaluates to
/// a known `false` without an error counts; anything else (an unknown variable among them) is
/// undecided.
enum ModuleValidation {
    /// Whether `value` passes `validation` (nil: cannot be decided statically). `others` gives
    /// the value of another variable the condition reads, converted to its type, or nil when it is
    /// not known.
    static func passes(_ value: Value, _ validation: InputValidation, typeText: String?,
                       others: (String) -> Value? = { _ in nil }, budget: EvaluationBudget = EvaluationBudget()) -> Bool? {
        guard !value.isUnknown, let converted = converted(value, typeText: typeText) else { return nil }
        guard let condition = KnowledgeTexts.condition(validation) else { return nil }
        var variables = [validation.input: converted]
        for name in variablesRead(by: condition) where name != validation.input {
            variables[name] = others(name) ?? .unknown("`var.\(name)` is not known statically")
        }
        let context = EvalContext(variables: ["var": .object(variables)], budget: budget)
        let (result, diagnostics) = Evaluator.evaluate(condition, in: context)
        guard !diagnostics.contains(where: { $0.severity == .error }), case .bool(let holds) = result.kind else { return nil }
        return holds
    }

    /// `value` converted to the variable's declared type (`typeText`, the knowledge base's text), as
    /// Terraform converts it before any condition reads it; nil when the type is an object type
    /// ghr-audit cannot read (omitted optional attributes would then read as missing ones).
    static func converted(_ value: Value, typeText: String?) -> Value? {
        guard let typeText else { return value }
        if let type = KnowledgeTexts.type(typeText) {
            return type.convert(value) { Evaluator.evaluate($0, in: EvalContext()).0 }
        }
        return typeText.contains("object(") ? nil : value
    }

    /// The names of the variables a condition reads (`var.NAME`, `var["NAME"]`).
    static func variablesRead(by condition: Expression) -> Set<String> {
        var names = Set<String>()
        condition.forEachNode { e in
            switch e.kind {
            case .getAttribute(let base, let name, _):
                if case .variable("var") = base.kind { names.insert(name) }
            case .index(let base, let key):
                if case .variable("var") = base.kind, let name = key.staticString { names.insert(name) }
            default: break
            }
        }
        return names
    }
}

extension RuleContext {
    /// The first validation block of the target release that the written value fails, if any.
    func failedValidation(of input: WrittenInput) -> ValidationVerdict? {
        guard input.scope.isVariableScope, let target = targetVersion(for: input.call) else { return nil }
        let validations = knowledge.validations(scope: input.scope, input: input.name, at: target)
        guard !validations.isEmpty else { return nil }
        let typeText = knowledge.lifespan(scope: input.scope, name: input.name)?.typeText(at: target)
        let others = { (name: String) in otherVariable(name, besides: input, at: target) }
        for v in validations where ModuleValidation.passes(input.value, v, typeText: typeText, others: others, budget: input.call.scope.budget) == false {
            return ValidationVerdict(failed: v, target: target)
        }
        return nil
    }

    /// The value another variable of the same module call has at `target`, as a validation
    /// condition reads it: the value the call gives (converted to the variable's type), else the
    /// module's default at the target; nil when neither is known (a required variable not given,
    /// a default too long to have been recorded whole, a variable the target does not declare).
    func otherVariable(_ name: String, besides input: WrittenInput, at target: ModuleVersion) -> Value? {
        guard let life = knowledge.lifespan(scope: input.scope, name: name), life.exists(at: target) else { return nil }
        let typeText = life.typeText(at: target)
        if let given = writtenInputs().first(where: { $0.callIndex == input.callIndex && $0.scope == input.scope && $0.name == name }) {
            return given.value.isUnknown ? nil : ModuleValidation.converted(given.value, typeText: typeText)
        }
        // Defaults are recorded cut at 120 characters: a longer text may be incomplete.
        guard let text = life.comparedText(at: target) ?? life.defaultValue, text.count < 120, text != "<REQUIRED>" else { return nil }
        let (e, problems) = HCLParser.parseExpression(SourceFile(path: "default", text: text))
        guard !problems.contains(where: { $0.severity == .error }) else { return nil }
        let (value, diagnostics) = Evaluator.evaluate(e, in: EvalContext())
        guard !value.isUnknown, !diagnostics.contains(where: { $0.severity == .error }) else { return nil }
        return ModuleValidation.converted(value, typeText: typeText)
    }
}
