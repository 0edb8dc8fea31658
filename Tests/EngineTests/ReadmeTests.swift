import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Reporters
import Rules
import Testing

/// The README shows real output; these tests regenerate it and fail when it drifted, like
/// actionlint's check-checks. Update the README from the tool's output when they fail.
@Suite("README examples are real output")
struct ReadmeTests {
    static let readme: String = (try? String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    static func fenced(_ text: String) -> String { text.trimmingCharacters(in: .newlines) + "\n```" }

    static func audit(_ fixture: String, _ target: String) throws -> AuditResult {
        let knowledge = try KnowledgeBase.load()
        let fs = LocalFileSystem(root: packageRoot.appendingPathComponent(fixture))
        return Auditor(knowledge: knowledge).audit(fileSystem: fs, options: AuditOptions(target: TargetSelection(target)))
    }

    @Test func quickStartOutput() throws {
        let result = try Self.audit("fixtures/jit-token-only-ami/repo", "4.1.0")
        let text = render(result.report, as: .text, options: RenderOptions(color: false, sources: result.sources, informationURI: ToolInfo.informationURI))
        #expect(Self.readme.contains(Self.fenced(text)), "README quick-start output is stale")
    }

    @Test(arguments: [OutputFormat.text, .json, .github, .junit, .markdown])
    func formatExamples(_ format: OutputFormat) throws {
        let result = try Self.audit("fixtures/ghes-ephemeral/repo", "4.7.0")
        let text = render(result.report, as: format, options: RenderOptions(color: false, sources: result.sources, informationURI: ToolInfo.informationURI))
        #expect(Self.readme.contains(Self.fenced(text)), "README example of \(format) is stale")
    }

    @Test func checklistExample() throws {
        let result = try Self.audit("fixtures/multi-runner-mixed/repo", "4.1.0")
        let text = Checklist.render(result, knowledge: try KnowledgeBase.load(), target: ModuleVersion(4, 1, 0))
        #expect(Self.readme.contains(Self.fenced(text)), "README checklist example is stale")
    }

    @Test func fixExample() throws {
        let plan = FixPlan(try Self.audit("fixtures/jit-token-only-ami/repo", "4.1.0"))
        #expect(plan.files.count == 1)
        #expect(Self.readme.contains(Self.fenced(plan.diff)), "README fix example is stale")
    }

    /// The JSON section's list of tags names exactly the tags rules carry.
    @Test func tagsListNamesOnlyTagsRulesCarry() throws {
        let sentence = try #require(Self.readme.range(of: "Tags: ").map { Self.readme[$0.upperBound...] }?.prefix { $0 != "." })
        var listed = Set<String>()
        var rest = Substring(sentence)
        while let open = rest.firstIndex(of: "`") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "`") else { break }
            listed.insert(String(after[..<close]))
            rest = after[after.index(after: close)...]
        }
        let carried = Set(try KnowledgeBase.load().rules.flatMap { $0.tags.map(\.rawValue) })
        #expect(listed == carried, "README lists \(listed.sorted()), rules carry \(carried.sorted())")
    }
}
