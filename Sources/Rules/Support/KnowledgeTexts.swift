import AuditCore
import HCL
import Knowledge
import Synchronization
import Terraform

/// The knowledge base's type and `validation` condition texts, parsed once per process. Every
/// written input of a monorepo's thousand fleets asked for the same few texts, and INP-209 and
/// INP-210 parsed them again each time (a fifth of the rules' time). The memo is keyed by the text
/// itself and holds only knowledge-base texts, so it is bounded by the knowledge base.
enum KnowledgeTexts {
    /// The type a knowledge-base type text declares (`TypeConstraint(source:)`), nil when
    /// ghr-audit cannot read it.
    static func type(_ text: String) -> TypeConstraint? {
        if let known = memo.withLock({ $0.types[text] }) { return known }
        let parsed = TypeConstraint(source: text)
        memo.withLock { $0.types[text] = parsed }
        return parsed
    }

    /// A validation block's condition as an expression located in its module file, nil when it
    /// does not parse.
    static func condition(_ v: InputValidation) -> HCL.Expression? {
        let key = v.file + "\u{0}" + v.condition
        if let known = memo.withLock({ $0.conditions[key] }) { return known }
        let (e, problems) = HCLParser.parseExpression(SourceFile(path: v.file, text: v.condition))
        let parsed: HCL.Expression? = problems.contains(where: { $0.severity == .error }) ? nil : e
        memo.withLock { $0.conditions[key] = .some(parsed) }
        return parsed
    }

    private struct Parsed {
        var types: [String: TypeConstraint?] = [:]
        var conditions: [String: HCL.Expression?] = [:]
    }

    private static let memo = Mutex(Parsed())
}
