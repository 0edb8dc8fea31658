import AuditCore
import Testing

@testable import Reporters

@Suite struct MarkdownReporterTests {
    @Test(arguments: [
        ("plain words", "plain words"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a & b", "a &amp; b"),
        ("*bold* _it_ [link](x) ~~s~~ | # ! @user $x$", "\\*bold\\* \\_it\\_ \\[link\\](x) \\~\\~s\\~\\~ \\| \\# \\! \\@user \\$x\\$"),
        ("keep `code <b> *x*` spans", "keep `code <b> *x*` spans"),
        ("double ``a ` b`` span", "double ``a ` b`` span"),
        ("unbalanced ` tick", "unbalanced \\` tick"),
        ("back\\slash", "back\\\\slash"),
    ])
    func inlineEscaping(input: String, expected: String) {
        #expect(MarkdownReporter.inline(input) == expected)
    }

    @Test(arguments: [
        ("- bullet *x*", "- bullet \\*x\\*"),
        ("  - nested", "  - nested"),
        ("        - deeper", "  - deeper"),
        ("      indented text *x*", "indented text \\*x\\*"),
        ("\tafter a tab", "after a tab"),
        ("1. not a list", "1\\. not a list"),
        ("2) nor this", "2\\) nor this"),
        ("+ plus", "\\+ plus"),
        ("===", "\\==="),
        ("# heading", "\\# heading"),
    ])
    func blockEscaping(input: String, expected: String) {
        #expect(MarkdownReporter.block(input) == expected)
    }

    @Test(arguments: [
        ("main.tf", "`main.tf`"),
        ("a`b", "``a`b``"),
        ("`edge", "`` `edge ``"),
    ])
    func codeSpans(input: String, expected: String) {
        #expect(MarkdownReporter.code(input) == expected)
    }

    @Test func cleanReportSaysNoFindings() {
        let text = render(Fixture.cleanReport, as: .markdown)
        #expect(text.hasPrefix("### ghr-audit: No findings\n"))
        #expect(!text.contains("|"))
    }

    @Test func summaryTablesCountSeveritiesAndRules() {
        let text = render(Fixture.report, as: .markdown)
        #expect(text.contains("| Error | 3 |\n| Warning | 2 |\n| Note | 1 |\n"))
        #expect(text.contains("| `TF-101` | Input type changed | 1 |\n"))
        // A `|` in a rule title does not split the table row.
        #expect(text.contains("| `TF-205` | Label \\| not ASCII | 1 |\n"))
    }

    @Test func findingsAreListedUnderTheirFileWithoutLinks() {
        let text = render(Fixture.report, as: .markdown)
        #expect(text.contains("#### `main.tf` (1 error, 1 warning, 1 note)\n\n- **Warning** `TF-001` at `main.tf:1`: module pinned to `3.6.1`"))
        #expect(text.contains("  - Fix: Write the labels as a list\n"))
        #expect(!text.contains("](http"))
        #expect(!text.contains("<a "))
    }

    @Test func pinnedTargetIsNotCalledARelease() {
        var report = Fixture.cleanReport
        report.target = "pinned"
        #expect(render(report, as: .markdown).contains("Audit target: `pinned`; 1 file scanned."))
    }
}
