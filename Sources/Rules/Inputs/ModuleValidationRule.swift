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
        let (condition, problems) = HCLParser.parseExpression(SourceFile(path: validation.file, text: validation.condition))
        guard !problems.contains(where: { $0.severity == .error }) else { return nil }
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
        if let type = TypeConstraint(collapsedText: typeText) {
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

/// INP-209: a value the target release's own `validation` block rejects.
public struct ModuleValidationRule: Rule {
    public let id = RuleID.inp209
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let kb = context.knowledge
        for input in context.writtenInputs() {
            guard let verdict = context.failedValidation(of: input) else { continue }
            let v = verdict.failed
            let tag = kb.release(version: verdict.target)?.tag ?? "v\(verdict.target)"
            let rename = kb.rename(scope: input.scope, old: input.name)
            let message = "`\(input.name)` fails the module's validation at \(verdict.target): \"\(v.message.replacingOccurrences(of: "\n", with: " "))\""
            var detail = "\(tag):\(v.file) declares `validation { condition = \(v.condition.replacingOccurrences(of: "\n", with: " ")) }` "
                + "for `\(input.name)` (\(input.scope.phrase)); the value given fails it, so `terraform plan` stops with this message."
            if v.rejectsEveryValue { detail += " The condition only holds for null: the module rejects any value of `\(input.name)`." }
            let fixText: String
            if v.rejectsEveryValue {
                fixText = rename?.replacement.map { "Remove `\(input.name)` and set `\($0)` instead" } ?? "Remove `\(input.name)`"
            } else {
                fixText = "Change the value so that the module's condition holds"
            }
            let at = v.rejectsEveryValue ? input.nameRange : (input.value.origin ?? input.valueRange)
            out.append(context.finding(id, message, at: at, detail: detail,
                                       related: [RelatedNote("module call `\(input.call.address)` (\(input.call.evidence.how))", at: input.call.call.block.typeRange)],
                                       fix: Fix(fixText)))
        }
        return out
    }
}

/// INP-210: an object value that lacks an attribute the target release's type requires.
public struct ObjectAttributeRule: Rule {
    public let id = RuleID.inp210
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let kb = context.knowledge
        for input in context.writtenInputs() where input.scope.isVariableScope {
            guard let target = context.targetVersion(for: input.call),
                  let life = kb.lifespan(scope: input.scope, name: input.name), life.exists(at: target),
                  let typeText = life.typeText(at: target), let type = TypeConstraint(collapsedText: typeText) else { continue }
            let missing = type.missingAttributes(in: input.value)
            guard !missing.isEmpty else { continue }
            let names = missing.map { "`\($0)`" }.joined(separator: ", ")
            // The release that made the attributes required, when the type changed since the current release.
            let current = context.currentVersion(for: input.call)
            let change = life.typeChanges.last { change in
                current.map { min($0, target) < change.release && change.release <= max($0, target) } ?? false
            }
            var detail = "At \(target) `\(input.name)` (\(input.scope.phrase)) is `\(typeText)`; the value given has no \(names), "
                + "so Terraform rejects it (\"attribute ... is required\") before the plan."
            if let change, let current, current > target {
                detail += " The attributes it uses instead came in \(change.release): the target is older than the module's current release \(current)."
            } else if let change {
                detail += " The type changed in \(change.release)."
            }
            out.append(context.finding(
                id, "`\(input.name)` lacks the required \(missing.count == 1 ? "attribute" : "attributes") \(names) at \(target)",
                at: input.value.origin ?? input.valueRange, detail: detail,
                related: [RelatedNote("module call `\(input.call.address)` (\(input.call.evidence.how))", at: input.call.call.block.typeRange)],
                fix: Fix("Give \(names) in `\(input.name)`, as the type of \(target) requires"),
                changedIn: change?.release))
        }
        return out
    }
}
