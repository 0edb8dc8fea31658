import AuditCore
@testable import Engine
import Knowledge
import Rules
@testable import Reporters
import Testing

/// Issue 20 §3: Markdown output (the `markdown` report and the `checklist`) never puts an HTML
/// entity inside a code span (GitHub shows `~&gt; 5.0` as typed), and every code span is closed.
@Suite("Markdown code spans: no entity inside, every span closed")
struct MarkdownCodeSpanTests {
    /// Problems in the code spans of `markdown`, one per line at fault (fenced blocks aside).
    static func problems(_ markdown: String) -> [String] {
        var out: [String] = []
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            if inFence { continue }
            for piece in MarkdownText.pieces(line) {
                switch piece {
                case .code(let span): if span.contains(/&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/) { out.append("entity in a code span: \(line)") }
                case .unclosed: out.append("an unclosed code span: \(line)")
                case .text: break
                }
            }
        }
        return out
    }

    @Test("every rule's examples through the markdown report and the checklist")
    func everyRuleExample() throws {
        let knowledge = try KnowledgeBase.load()
        var rendered = 0
        for rule in knowledge.rules {
            for example in rule.examples where example.runnable {
                let (files, _) = example.materialise()
                let target = TargetSelection(example.targetText ?? "latest") ?? .latest
                let result = Auditor(knowledge: knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: target))
                let report = render(result.report, as: .markdown, options: RenderOptions(showSuppressed: true))
                let checklist = Checklist.render(result, knowledge: knowledge, target: ModuleVersion(result.report.target) ?? knowledge.latest.version)
                #expect(Self.problems(report) == [], "\(rule.id) \(example.name): markdown report")
                #expect(Self.problems(checklist) == [], "\(rule.id) \(example.name): checklist")
                rendered += result.report.findings.count
            }
        }
        // Not vacuous: the triggering examples give a finding each, most of them with code spans (85 at 2026-12-06).
        #expect(rendered > 60)
    }

    @Test("a constraint and a name with backticks: literal in their spans, prose around them escaped")
    func constraintAndBackticks() {
        let f = Finding(ruleId: "VER-201", severity: .error, message: "version constraint `~> 5.0` excludes 7.11.0 <b>bold</b>",
                        location: .fileStart("main.tf"))
        var report = Report(toolVersion: "0", target: "7.11.0", filesScanned: 1, filesByKind: [:], modules: [], findings: [f], rules: [])
        let md = render(report, as: .markdown)
        #expect(md.contains("`~> 5.0`") && md.contains("&lt;b&gt;bold&lt;/b&gt;"), "\(md)")
        #expect(Self.problems(md) == [])
        report.findings[0].message = "label " + Wording.quoted("a`b") + " and " + Wording.quoted("`edge")
        #expect(report.findings[0].message == "label ``a`b`` and `` `edge ``")
        #expect(Self.problems(render(report, as: .markdown)) == [])
        #expect(Checklist.item(.init(ruleId: "X-1", title: "t", message: "`~> 5.0` & <x>", location: .fileStart("a`b.tf"), fix: nil, fixApplies: false, fingerprint: ""))
                == "- [ ] **X-1** t: `~> 5.0` &amp; &lt;x&gt; (``a`b.tf:1``)\n")
    }
}
