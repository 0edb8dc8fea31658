import Knowledge
import AuditCore
import HCL

/// How a `validation` block's texts are kept in the knowledge base.
package enum ValidationText {
    /// The condition as written: each line trimmed, empty lines dropped, joined with line feeds
    /// (the line breaks keep object constructors and comments readable by the HCL parser).
    package static func condition(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: "\n")
    }

    /// The message Terraform prints: the `error_message` expression evaluated (quoted strings
    /// unescaped, heredocs unwrapped), each line trimmed. A message that does not evaluate to a
    /// constant string (an interpolation) is kept as written.
    package static func message(_ text: String) -> String {
        let (expression, diagnostics) = HCLParser.parseExpression(SourceFile(path: "error_message", text: text))
        var value = text
        if !diagnostics.contains(where: { $0.severity == .error }) {
            let (v, _) = Evaluator.evaluate(expression, in: EvalContext())
            if let s = v.stringValue { value = s }
        }
        return condition(value)
    }
}

/// Groups the validation blocks of every release into spans of consecutive releases with the
/// same block (scope, variable, file, condition, message).
package enum ValidationBuilder {
    private struct Key: Hashable {
        var scope: InputScope
        var input: String
        var file: String
        var facts: ValidationFacts
    }

    package static func build(releases: [ModuleVersion], snapshots: [ModuleVersion: InputSnapshot]) -> [InputValidation] {
        var open: [Key: (first: ModuleVersion, last: ModuleVersion, releaseIndex: Int, order: Int)] = [:]
        var out: [(validation: InputValidation, order: Int)] = []
        for (index, release) in releases.enumerated() {
            let snapshot = snapshots[release] ?? [:]
            var seen: Set<Key> = []
            for scope in InputScope.allCases where scope.isVariableScope {
                for (name, facts) in snapshot[scope] ?? [:] {
                    for (order, v) in facts.validations.enumerated() {
                        let key = Key(scope: scope, input: name, file: facts.file, facts: v)
                        guard seen.insert(key).inserted else { continue }
                        if let span = open[key], span.releaseIndex == index - 1 {
                            open[key] = (span.first, release, index, order)
                        } else {
                            if let span = open[key] { out.append((make(key, span.first, span.last), span.order)) }
                            open[key] = (release, release, index, order)
                        }
                    }
                }
            }
        }
        for (key, span) in open { out.append((make(key, span.first, span.last), span.order)) }
        let scopes = InputScope.allCases
        return out.sorted {
            let a = $0.validation, b = $1.validation
            return (scopes.firstIndex(of: a.scope)!, a.input, a.first, $0.order, a.condition, a.message)
                < (scopes.firstIndex(of: b.scope)!, b.input, b.first, $1.order, b.condition, b.message)
        }.map(\.validation)
    }

    private static func make(_ key: Key, _ first: ModuleVersion, _ last: ModuleVersion) -> InputValidation {
        InputValidation(scope: key.scope, input: key.input, condition: key.facts.condition, message: key.facts.message,
                        file: key.file, first: first, last: last)
    }

    /// Conditions the audit's HCL parser cannot read (the operator should look at them).
    package static func unreadable(_ validations: [InputValidation]) -> [String] {
        validations.compactMap { v in
            let (_, diagnostics) = HCLParser.parseExpression(SourceFile(path: "condition", text: v.condition))
            return diagnostics.contains { $0.severity == .error }
                ? "validation of \(v.scope).\(v.input) (\(v.first)…\(v.last)): the condition does not parse" : nil
        }
    }
}
