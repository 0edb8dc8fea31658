import AuditCore
import Engine
import Knowledge
import Reporters
import Rules
import Testing

/// A rule page shows, for each example with exact expectations, what
/// `ghr-audit check --rule ID --format compact --quiet` prints for it. This runs the command's pipeline on
/// each such example and compares the output with the page's lines, as actionlint checks its docs.
struct DocumentedOutput: CustomTestStringConvertible, Sendable {
    var rule: RuleMetadata
    var example: RuleExample
    var testDescription: String { "\(rule.id) \(example.name)" }

    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    /// Examples `check` runs (the probe's and the rehearsal's are run by their own suites).
    static let all: [DocumentedOutput] = knowledge.rules
        .filter { !$0.tags.contains(.probe) && !$0.tags.contains(.rehearsal) }
        .flatMap { rule in
            rule.examples.filter { $0.runnable && RuleDocRenderer.outputLines($0, of: rule) != nil }.map { DocumentedOutput(rule: rule, example: $0) }
        }
}

@Suite("Rule pages show the tool's output")
struct RuleDocOutputTests {
    @Test(arguments: DocumentedOutput.all)
    func pageShowsTheOutput(_ c: DocumentedOutput) throws {
        let (files, _) = c.example.materialise()
        let target = try #require(TargetSelection(c.example.targetText ?? "latest"))
        let result = Auditor(knowledge: DocumentedOutput.knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: target))
        let filter = try FindingFilter.make(minSeverity: nil, rules: [c.rule.id], skipRules: [], knowledge: DocumentedOutput.knowledge)
        let printed = render(filter.apply(to: result.report), as: .compact, options: RenderOptions(quiet: true))
        let page = try #require(RuleDocRenderer.outputLines(c.example, of: c.rule)).map { $0 + "\n" }.joined()
        #expect(printed == page, "`\(RuleDocRenderer.commandLine(c.example, of: c.rule))` prints\n\(printed)\nthe page shows\n\(page)")
        #expect(RuleDocRenderer.render(c.rule).contains(page) || !c.example.doc, "the page of \(c.rule.id) does not show the output")
    }

    @Test("examples kept out of the docs are not on the page; there are exact examples to check")
    func testOnlyExamplesStayOut() throws {
        #expect(!DocumentedOutput.all.isEmpty)
        for rule in DocumentedOutput.knowledge.rules {
            let page = RuleDocRenderer.render(rule)
            for example in rule.examples {
                #expect(page.contains("**\(example.name)**") == example.doc, "\(rule.id) \(example.name): doc is \(example.doc)")
            }
        }
    }
}
