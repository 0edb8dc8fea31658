import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Testing

/// `--min-severity`, `--rule`, `--skip-rule` (ids and tags) and `--color`.
@Suite("display filters and colour")
struct FindingFilterTests {
    /// Findings of several rules and severities, among them advice (JIT-106) and a real fix (INP-202).
    static let ghesMain = """
        module "runners" {
          source  = "philips-labs/github-runner/aws"
          version = "3.6.1"

          ghes_url                 = "https://ghes.example.com"
          enable_ephemeral_runners = true
          runner_extra_labels      = "arm64,large"
        }

        """

    static func findings() throws -> Report {
        let fs = MemoryFileSystem(["main.tf": ghesMain])
        return Auditor(knowledge: try KnowledgeBase.load()).audit(fileSystem: fs, options: AuditOptions(target: .version(ModuleVersion(6, 0, 0)))).report
    }

    @Test func rulesTagsAndSeverity() throws {
        let kb = try KnowledgeBase.load()
        let report = try Self.findings()
        #expect(Set(report.findings.map(\.severity)).count > 1, "\(report.findings.map(\.ruleId))")
        let errors = try FindingFilter.make(minSeverity: .error, rules: [], skipRules: [], knowledge: kb).apply(to: report)
        #expect(!errors.findings.isEmpty && errors.findings.allSatisfy { $0.severity == .error })
        #expect(errors.findings.count == report.findings.filter { $0.severity == .error }.count)

        let id = try #require(report.findings.first?.ruleId)
        let only = try FindingFilter.make(minSeverity: nil, rules: [id.lowercased()], skipRules: [], knowledge: kb).apply(to: report)
        #expect(!only.findings.isEmpty && only.findings.allSatisfy { $0.ruleId == id })
        let skipped = try FindingFilter.make(minSeverity: nil, rules: [], skipRules: [id], knowledge: kb).apply(to: report)
        #expect(skipped.findings.count == report.findings.count - only.findings.count)

        let byTag = try FindingFilter.make(minSeverity: nil, rules: ["jit"], skipRules: [], knowledge: kb).apply(to: report)
        #expect(!byTag.findings.isEmpty && byTag.findings.allSatisfy { $0.tags.contains("jit") })
        #expect(byTag.findings.count == report.findings.filter { $0.tags.contains("jit") }.count)
    }

    @Test func unknownValuesAreErrorsWithASuggestion() throws {
        let kb = try KnowledgeBase.load()
        do {
            _ = try FindingFilter.make(minSeverity: nil, rules: ["JIT-1O1"], skipRules: [], knowledge: kb)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("`--rule JIT-1O1` is neither a rule id nor a tag; did you mean `JIT-101`?"), "\(error.description)")
        }
        #expect(throws: EnvironmentError.self) { try FindingFilter.make(minSeverity: nil, rules: [], skipRules: ["nonsense"], knowledge: kb) }
    }

    @Test(arguments: [
        // (choice, terminal, NO_COLOR, TERM, expected)
        (ColorChoice.auto, true, nil, "xterm", true),
        (.auto, false, nil, "xterm", false),
        (.auto, true, "1", "xterm", false),
        (.auto, true, "", "xterm", true),     // NO_COLOR counts only when not empty
        (.auto, true, nil, "dumb", false),
        (.always, false, "1", "dumb", true),
        (.never, true, nil, "xterm", false),
    ] as [(ColorChoice, Bool, String?, String, Bool)])
    func colour(_ c: (ColorChoice, Bool, String?, String, Bool)) {
        var env = ["TERM": c.3]
        if let noColor = c.2 { env["NO_COLOR"] = noColor }
        #expect(c.0.enabled(isTerminal: c.1, environment: env) == c.4)
    }
}
