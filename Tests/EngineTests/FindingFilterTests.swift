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

    @Test("the display filter keeps what it hides in the report, and every format judges and counts it")
    func hiddenFindingsAreJudgedAndCounted() throws {
        let kb = try KnowledgeBase.load()
        let report = try Self.findings()
        let errors = report.findings.filter { $0.severity == .error }
        let lower = report.findings.filter { $0.severity != .error }
        #expect(!errors.isEmpty && !lower.isEmpty, "\(report.findings.map(\.ruleId))")

        // Notes and warnings hidden: shown errors, and the summary lines count the rest.
        let onlyErrors = try FindingFilter.make(minSeverity: .error, rules: [], skipRules: [], knowledge: kb).apply(to: report)
        #expect(onlyErrors.hidden.count == lower.count)
        #expect(onlyErrors.judged.count == report.findings.count)
        let phrase = "\(lower.count) hidden by the display filter ("
        let text = render(onlyErrors, as: .text)
        let summary = try #require(text.split(separator: "\n").first { $0.hasPrefix("\(errors.count) error") })
        #expect(summary.contains("; " + phrase), "\(summary)")
        #expect(render(onlyErrors, as: .markdown).contains(phrase), "markdown")
        #expect(render(onlyErrors, as: .compact).split(separator: "\n").last?.hasPrefix(phrase) == true, "compact")
        #expect(!render(onlyErrors, as: .compact, options: RenderOptions(quiet: true)).contains("hidden by the display filter"))

        // Every error hidden (only notes shown, or nothing): the verdict still fails on them.
        let errorRules = Set(errors.map(\.ruleId))
        let noErrors = try FindingFilter.make(minSeverity: nil, rules: [], skipRules: Array(errorRules), knowledge: kb).apply(to: report)
        #expect(noErrors.findings.allSatisfy { $0.severity != .error } && noErrors.hidden.count >= errors.count)
        let html = render(noErrors, as: .html, options: RenderOptions(failOn: .error))
        #expect(html.contains("<strong>✗ Fails</strong> \(errors.count == 1 ? "1 finding" : "\(errors.count) findings") at or above error (all hidden by the display filter)"), "html verdict")
        #expect(html.contains("(exit status 1)"))
        // Unfiltered, the same page says the same verdict without the hidden part.
        #expect(render(report, as: .html, options: RenderOptions(failOn: .error)).contains("<strong>✗ Fails</strong>"))
        #expect(!render(report, as: .html, options: RenderOptions(failOn: .error)).contains("hidden by the display filter"))

        let nothing = try FindingFilter.make(minSeverity: nil, rules: [], skipRules: Array(Set(report.findings.map(\.ruleId))), knowledge: kb).apply(to: report)
        #expect(nothing.findings.isEmpty && nothing.hidden.count == report.findings.count)
        let all = "\(report.findings.count) hidden by the display filter ("
        #expect(render(nothing, as: .text).contains("no findings shown ("), "text")
        #expect(render(nothing, as: .text).contains(all), "text")
        let markdown = render(nothing, as: .markdown)
        #expect(markdown.hasPrefix("### ghr-audit: No findings shown\n"), "\(markdown)")
        #expect(markdown.contains(all) && markdown.contains("the gate still judges them"), "\(markdown)")
        let page = render(nothing, as: .html, options: RenderOptions(failOn: .error))
        #expect(page.contains("<strong>✗ Fails</strong>") && page.contains("No findings shown:"), "html")
        #expect(render(nothing, as: .html, options: RenderOptions(failOn: nil)).contains("<strong>✓ Passes</strong>"))
        #expect(render(nothing, as: .github).contains("\(all.dropLast(2)) ("), "github")
        let json = try #require(JSONSerialization.jsonObject(with: Data(render(nothing, as: .json).utf8)) as? [String: Any])
        let hidden = try #require((json["summary"] as? [String: Any])?["hidden"] as? [String: Int], "json")
        #expect(hidden["total"] == report.findings.count && hidden["error"] == errors.count)
        let sarif = try #require(JSONSerialization.jsonObject(with: Data(render(nothing, as: .sarif).utf8)) as? [String: Any])
        let run = try #require((sarif["runs"] as? [[String: Any]])?.first)
        #expect(((run["properties"] as? [String: Any])?["hiddenByDisplayFilter"] as? [String: Int])?["total"] == report.findings.count, "sarif")
        // Without a filter the documents keep their field set.
        #expect(!render(report, as: .json).contains("\"hidden\""))
        #expect(!render(report, as: .sarif).contains("hiddenByDisplayFilter"))
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
