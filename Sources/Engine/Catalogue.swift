import AuditCore
import Foundation
import Knowledge

/// What `ghr-audit rules` and `ghr-audit explain` print, as text.
public enum Catalogue {
    /// The listing formats of `rules --format`.
    public enum ListingFormat: String, Sendable, CaseIterable {
        case text, json
    }

    /// Every rule, sorted by id: one aligned line each (`id  severity [tags] summary`), or a JSON
    /// array of objects (`id`, `severity`, `tags` joined by commas, `summary`, `title`).
    public static func listing(_ knowledge: KnowledgeBase, format: ListingFormat) -> String {
        let rules = knowledge.descriptors.sorted { $0.id < $1.id }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let rows = rules.map { ["id": $0.id, "severity": $0.severity.rawValue, "tags": $0.tags.joined(separator: ","), "summary": $0.summary, "title": $0.title] }
            // Encoding an array of string dictionaries cannot fail.
            return String(decoding: (try? encoder.encode(rows)) ?? Data("[]".utf8), as: UTF8.self) + "\n"
        case .text:
            let idWidth = rules.map(\.id.count).max() ?? 8
            return rules.map { r in
                let pad = String(repeating: " ", count: idWidth - r.id.count)
                let severity = r.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                return "\(r.id)\(pad)  \(severity) [\(r.tags.joined(separator: ","))] \(r.summary)\n"
            }.joined()
        }
    }

    /// A rule's documentation page without its "generated" banner; an unknown id (any case) is an
    /// error that suggests the nearest id.
    public static func explain(_ ruleId: String, knowledge: KnowledgeBase) throws(EnvironmentError) -> String {
        guard let rule = knowledge.rule(id: ruleId.uppercased()) else {
            let hint = knowledge.suggestion(for: ruleId.uppercased(), among: knowledge.rules.map(\.id)).map { "; did you mean `\($0)`?" } ?? ""
            throw EnvironmentError("no rule `\(ruleId)`\(hint) (`ghr-audit rules` lists them)")
        }
        return RuleDocRenderer.render(rule).split(separator: "\n", omittingEmptySubsequences: false)
            .drop { $0.hasPrefix("<!--") || $0.isEmpty }.joined(separator: "\n")
    }
}
