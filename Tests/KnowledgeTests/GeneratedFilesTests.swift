import AuditCore
import Foundation
import Testing
@testable import Knowledge
@testable import DevTools

/// The committed generated files must equal what `ghr-audit-dev generate` renders from `rules/`.
@Suite struct GeneratedFilesTests {
    static let stale = "stale: run `swift run ghr-audit-dev generate`"

    @Test func generatedFilesAreNotStale() throws {
        let root = TestEnvironment.packageRoot
        let rules = try GeneratedArtifacts.readRulesDirectory(root: root)
        let expected = GeneratedArtifacts.render(rulesFiles: rules)
        for (path, text) in expected.sorted(by: { $0.key < $1.key }) {
            let url = root.appendingPathComponent(path)
            let committed = try? String(contentsOf: url, encoding: .utf8)
            #expect(committed == text, "\(path) is \(Self.stale)")
        }
        for path in GeneratedArtifacts.existingDocs(root: root) where expected[path] == nil {
            Issue.record("\(path) documents no rule; \(Self.stale)")
        }
    }

    @Test func embeddedDataEqualsRulesOnDisk() throws {
        let rules = try GeneratedArtifacts.readRulesDirectory(root: TestEnvironment.packageRoot)
        #expect(Set(EmbeddedData.files.keys) == Set(rules.keys), Comment(rawValue: Self.stale))
        for (path, text) in rules {
            #expect(EmbeddedData.files[path] == text, "rules/\(path) differs from the embedded copy; \(Self.stale)")
        }
    }

    @Test func rawLiteralsRoundTripAwkwardText() {
        // Text that would end or escape a raw literal with fewer `#`s.
        let awkward = "a \"\"\"# b \\#(x) ##\"\"\" \\n\ttab\nlast line without newline"
        let literal = EmbeddedDataRenderer.rawLiteral(awkward)
        #expect(literal.hasPrefix("###\"\"\"\n"))
        #expect(literal.hasSuffix("\n\"\"\"###"))
        #expect(EmbeddedDataRenderer.rawLiteral("x\r\ny") == "\"x\\r\\ny\"", "carriage returns fall back to an escaped literal")
        let rendered = EmbeddedDataRenderer.render(files: [:])
        #expect(rendered.contains("[String: String] = [:\n    ]"))
    }

    @Test func docsFollowTheFixedOutline() throws {
        let kb = try TestEnvironment.knowledge()
        let rule = try #require(kb.rule(id: "CORE-001"))
        let page = RuleDocRenderer.render(rule)
        let headings = page.split(separator: "\n").filter { $0.hasPrefix("#") }.map(String.init)
        #expect(headings == [
            "# CORE-001: File could not be parsed", "## Description", "## Why", "## Triggering example",
            "## Non-triggering example", "## How to fix", "## When to suppress", "## References",
        ])
        #expect(page.contains("| Default severity | error |"))
        #expect(page.contains("```hcl\nmodule \"runners\" {"))
        #expect(page.contains("```text\nmain.tf:5:34: error[CORE-001] Unexpected comma after argument\n```"))
        #expect(RuleDocRenderer.renderIndex(kb.rules).contains("| [CORE-004](CORE-004.md) | Module version could not be determined | warning | `version` |"))
    }

    @Test func docsShowOnlyDocumentedExamplesAndLinkFacts() {
        var rule = RuleMetadata(
            id: "JIT-101", title: "T", severity: .error, tags: [.jit], summary: "S", reliesOn: [.v("4.0.1")],
            facts: [FactCitation("v4.0.1:README.md:95-96")!], description: "D", rationale: "R", remediation: "F",
            suppressWhen: "When the fleet is not ephemeral.", deprecatedAliases: ["JIT-001"], references: ["https://example.com/x"],
            examples: [
                RuleExample(name: "shown", kind: .triggering, files: [ExampleFile(path: "a.sh", contents: "````\n1️⃣x")],
                            expect: [ExampleExpectation(marker: "1️⃣", message: "m")]),
                RuleExample(name: "hidden", kind: .nonTriggering, doc: false, files: [ExampleFile(path: "b.tf", contents: "")]),
            ], sourcePath: "jit/JIT-101.yaml")
        var page = RuleDocRenderer.render(rule)
        #expect(page.contains("**shown**"))
        #expect(!page.contains("**hidden**"))
        #expect(!page.contains("## Non-triggering example"))
        #expect(page.contains("`````bash\n````\n1️⃣x\n`````"), "the fence outgrows backticks in the example")
        #expect(page.contains("[`v4.0.1:README.md:95-96`](https://github.com/github-aws-runners/terraform-aws-github-runner/blob/v4.0.1/README.md#L95-L96)"))
        #expect(page.contains("- <https://example.com/x>"))
        #expect(page.contains("| Deprecated aliases | `JIT-001` |"))
        #expect(page.contains("# ghr-audit:ignore JIT-101 -- <reason>"))
        rule.suppressWhen = nil
        page = RuleDocRenderer.render(rule)
        #expect(page.contains("Do not suppress this rule"))
    }

    @Test("an example whose expectations are all exact shows the lines `check --rule ID --format compact --quiet` prints, in file order")
    func exactExamplesShowTheOutput() throws {
        let files = [ExampleFile(path: "main.tf", contents: "a = 1\n2️⃣b = 2\n"), ExampleFile(path: "a.tf", contents: "  1️⃣c = 3\n")]
        let exact = RuleExample(name: "exact", kind: .triggering, target: ModuleVersion(4, 1, 0), files: files, expect: [
            ExampleExpectation(marker: "2️⃣", message: "second `b`", end: ExamplePosition(line: 2, column: 6)),
            ExampleExpectation(marker: "1️⃣", message: "first", end: ExamplePosition(line: 1, column: 4), severity: .warning),
        ])
        let rule = RuleMetadata(id: "JIT-101", title: "T", severity: .error, tags: [.jit], summary: "S", reliesOn: [], facts: [],
                                description: "D", rationale: "R", remediation: "F", suppressWhen: nil, deprecatedAliases: [], references: [],
                                examples: [exact], sourcePath: "jit/JIT-101.yaml")
        #expect(RuleDocRenderer.outputLines(exact, of: rule) == ["a.tf:1:3: warning[JIT-101] first", "main.tf:2:1: error[JIT-101] second `b`"])
        let page = RuleDocRenderer.render(rule)
        #expect(page.contains("`ghr-audit check --target 4.1.0 --rule JIT-101 --format compact --quiet` prints:\n\n```text\na.tf:1:3: warning[JIT-101] first\nmain.tf:2:1: error[JIT-101] second `b`\n```\n"), "\(page)")
        #expect(!page.contains("Reported:"))
        // One expectation that is not exact: the page lists the substrings instead.
        var partial = exact
        partial.expect[1].end = nil
        #expect(RuleDocRenderer.outputLines(partial, of: rule) == nil)
        #expect(RuleDocRenderer.renderExample(partial, of: rule).contains("Reported:\n\n- 2️⃣ second `b`\n- 1️⃣ first\n"))
    }

    @Test("the catalogue reads `end` and `severity` of an expectation and reports bad ones")
    func exactExpectationsAreRead() throws {
        let yaml = """
            id: JIT-101
            title: T
            severity: error
            tags: [jit]
            summary: S
            description: D
            rationale: R
            remediation: F
            examples:
              - name: one
                kind: triggering
                files:
                  main.tf: "1️⃣a = 1\\n"
                expect:
                  - marker: 1️⃣
                    message: "whole message"
                    end: "1:6"
                    severity: warning
              - name: two
                kind: non_triggering
                files:
                  main.tf: "a = 2\\n"
            """
        let kb = try KnowledgeBase.load(files: EmbeddedData.files.merging(["jit/JIT-101.yaml": yaml]) { _, new in new })
        let e = try #require(kb.rule(id: "JIT-101")?.examples.first?.expect.first)
        #expect(e.end == ExamplePosition(line: 1, column: 6) && e.severity == .warning && e.isExact)
        let bad = yaml.replacingOccurrences(of: "end: \"1:6\"", with: "end: \"1-6\"").replacingOccurrences(of: "severity: warning", with: "severity: fatal")
        let problems = try KnowledgeBase.load(files: EmbeddedData.files.merging(["jit/JIT-101.yaml": bad]) { _, new in new }).problems.map(\.description)
        #expect(problems.contains { $0.contains("1-6") && $0.contains("is not `LINE:COLUMN`") }, "\(problems)")
        #expect(problems.contains { $0.contains("fatal") && $0.contains("not note, warning or error") }, "\(problems)")
    }
}
