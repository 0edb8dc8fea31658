import AuditCore
import Knowledge

/// What `--min-severity`, `--rule` and `--skip-rule` keep: a display filter for `check` and
/// `checklist` and the choice of fixes for `fix`. It is separate from the gate: `check`'s exit
/// status judges every finding the baselines do not accept, whatever is shown.
public struct FindingFilter: Sendable, Hashable {
    public var minSeverity: Severity?
    /// Rule ids (canonical, upper case) or tags; empty: every rule.
    public var rules: [String]
    /// Rule ids or tags never kept.
    public var skipRules: [String]

    public init(minSeverity: Severity? = nil, rules: [String] = [], skipRules: [String] = []) {
        self.minSeverity = minSeverity
        self.rules = rules
        self.skipRules = skipRules
    }

    public var isEmpty: Bool { minSeverity == nil && rules.isEmpty && skipRules.isEmpty }

    /// The filter with each `--rule`/`--skip-rule` value checked against the catalogue: a rule id
    /// (any case, deprecated aliases too) or a tag some rule carries. Throws the message for the
    /// first unknown value.
    public static func make(minSeverity: Severity?, rules: [String], skipRules: [String], knowledge: KnowledgeBase) throws(EnvironmentError) -> FindingFilter {
        func resolve(_ value: String, flag: String) throws(EnvironmentError) -> String {
            let upper = value.uppercased()
            if knowledge.rule(id: upper) != nil { return upper }
            if let rule = knowledge.rules.first(where: { $0.deprecatedAliases.contains(upper) }) { return rule.id }
            let lower = value.lowercased()
            let tags = Set(knowledge.rules.flatMap { $0.tags.map(\.rawValue) })
            if tags.contains(lower) { return lower }
            let hint = knowledge.suggestion(for: upper, among: knowledge.rules.map(\.id)).map { "; did you mean `\($0)`?" }
                ?? knowledge.suggestion(for: lower, among: tags).map { "; did you mean `\($0)`?" } ?? ""
            throw EnvironmentError("`\(flag) \(value)` is neither a rule id nor a tag\(hint) (`ghr-audit rules` lists them)")
        }
        var kept: [String] = [], skipped: [String] = []
        for r in rules { kept.append(try resolve(r, flag: "--rule")) }
        for r in skipRules { skipped.append(try resolve(r, flag: "--skip-rule")) }
        return FindingFilter(minSeverity: minSeverity, rules: kept, skipRules: skipped)
    }

    public func keeps(_ f: Finding) -> Bool {
        if let minSeverity, f.severity < minSeverity { return false }
        func named(by value: String) -> Bool { f.ruleId == value || f.tags.contains(value) }
        if !rules.isEmpty && !rules.contains(where: named) { return false }
        return !skipRules.contains(where: named)
    }

    /// `report` showing only what the filter keeps (dismissed findings too). The findings it takes
    /// out move to `hidden`, so the reporters still judge and count them.
    public func apply(to report: Report) -> Report {
        guard !isEmpty else { return report }
        var copy = report
        copy.findings = report.findings.filter(keeps)
        copy.hidden = report.hidden + report.findings.filter { !keeps($0) }
        copy.dismissed = report.dismissed.filter { keeps($0.finding) }
        return copy
    }
}
