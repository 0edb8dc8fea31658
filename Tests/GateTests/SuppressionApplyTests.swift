import AuditCore
import Foundation
import Testing
@testable import Gate

private let known = KnownRuleIds(["JIT-101", "JIT-102", "JIT-104", "TF-120", "CORE-001", "CORE-005"], aliases: ["TF-020": "TF-120"])

/// 2025-06-15 12:00 UTC.
private let today = Date(timeIntervalSince1970: 1_749_988_800)

private struct Run {
    let source: SourceFile
    let kept: [Finding]
    let suppressed: [Finding]
    let generated: [Finding]
}

private func run(_ text: String, path: String = "main.tf", findings: (SourceFile) -> [Finding],
                 unsuppressible: (String) -> Bool = { _ in false }, isEnabled: (String) -> Bool = { _ in true }) -> Run {
    let source = SourceFile(path: path, text: text)
    let (s, p) = Suppression.parse(source)
    let r = Suppression.apply(findings: findings(source), suppressions: s, problems: p, knownRuleIds: known, today: today,
                              unsuppressible: unsuppressible, isEnabled: isEnabled)
    return Run(source: source, kept: r.kept, suppressed: r.suppressed, generated: r.generated)
}

@Suite("Suppression directives: applying")
struct SuppressionApplyTests {
    @Test func lineAboveAndSameLineSuppressOnlyTheirLine() {
        let text = """
        # ghr-audit:ignore JIT-101 -- custom AMI rebuilt from the platform repo
        enable_ephemeral_runners = true
        enable_jit_config = false # ghr-audit:ignore JIT-102 -- GHES 3.8 has no JIT API
        other = 1
        """
        let r = run(text) { s in
            [finding("JIT-101", s, line: 2), finding("JIT-101", s, line: 4), finding("JIT-102", s, line: 3), finding("JIT-104", s, line: 2)]
        }
        #expect(r.suppressed.map { "\($0.ruleId)@\($0.location.start.line)" } == ["JIT-101@2", "JIT-102@3"])
        #expect(r.kept.map { "\($0.ruleId)@\($0.location.start.line)" } == ["JIT-101@4", "JIT-104@2"])
        #expect(r.generated.isEmpty)
    }

    @Test func multipleIdsAndAliases() {
        let text = "# ghr-audit:ignore JIT-101,TF-020 -- both known exceptions\nx = 1\n"
        let r = run(text) { s in [finding("JIT-101", s, line: 2), finding("TF-120", s, line: 2)] }
        #expect(r.suppressed.count == 2)
        #expect(r.kept.isEmpty && r.generated.isEmpty)
    }

    @Test(arguments: [("2025-06-14", true), ("2025-06-15", false), ("2026-01-01", false)])
    func expiry(_ date: String, expired: Bool) throws {
        let text = "# ghr-audit:ignore JIT-101 exp:\(date) -- waiting for the AMI rebuild\nx = 1\n"
        let r = run(text) { s in [finding("JIT-101", s, line: 2)] }
        if expired {
            #expect(r.kept.count == 1 && r.suppressed.isEmpty)
            let g = try #require(r.generated.first)
            #expect(r.generated.count == 1)
            #expect(g.ruleId == "CORE-012" && g.severity == .warning && g.tags == ["suppression"])
            #expect(g.message == "Suppression of `JIT-101` expired on \(date)")
            #expect(r.source.text(of: g.location) == "ghr-audit:ignore JIT-101 exp:\(date) -- waiting for the AMI rebuild")
        } else {
            #expect(r.suppressed.count == 1 && r.kept.isEmpty && r.generated.isEmpty)
        }
    }

    @Test func expiredDirectiveIsNotAlsoReportedUnused() {
        let r = run("# ghr-audit:ignore JIT-101 exp:2020-01-01 -- old\nx = 1\n") { _ in [] }
        #expect(r.generated.map(\.ruleId) == ["CORE-012"])
    }

    @Test func unknownIdWithDidYouMean() throws {
        let text = "x = 1 # ghr-audit:ignore JIT-110,JIT-101 -- typo in the first id\n"
        let r = run(text) { s in [finding("JIT-101", s, line: 1)] }
        #expect(r.suppressed.count == 1)
        let g = try #require(r.generated.first)
        #expect(r.generated.count == 1)
        #expect(g.ruleId == "CORE-010" && g.severity == .warning)
        #expect(g.message == "Suppression names unknown rule `JIT-110`")
        #expect(g.detail?.contains("Did you mean `JIT-101`?") == true)
        #expect(r.source.text(of: g.location) == "JIT-110")
        #expect(g.location.start.column == 26)
    }

    @Test func unknownIdWithAPredicateOnly() throws {
        let source = SourceFile(path: "main.tf", text: "# ghr-audit:ignore JIT-10l -- r\nx = 1\n")
        let (s, p) = Suppression.parse(source)
        #expect(p.count == 1)   // `JIT-10l` is not even well formed
        let source2 = SourceFile(path: "main.tf", text: "# ghr-audit:ignore JIT-111 -- r\nx = 1\n")
        let (s2, _) = Suppression.parse(source2)
        let r = Suppression.apply(findings: [], suppressions: s + s2, knownRuleIds: { $0 == "JIT-101" || $0 == "JIT-110" }, today: today)
        let g = try #require(r.generated.first)
        #expect(g.ruleId == "CORE-010")
        #expect(g.detail?.contains("Did you mean `JIT-101` or `JIT-110`?") == true)
    }

    @Test func missingReasonDoesNotSuppress() throws {
        let r = run("# ghr-audit:ignore JIT-101\nx = 1\n") { s in [finding("JIT-101", s, line: 2)] }
        #expect(r.kept.count == 1 && r.suppressed.isEmpty)
        let g = try #require(r.generated.first)
        #expect(r.generated.count == 1)
        #expect(g.ruleId == "CORE-011" && g.severity == .warning)
        #expect(g.message == "Suppression of `JIT-101` without a reason")
        #expect(g.location.start == SourcePosition(line: 1, column: 3, offset: 2))
    }

    @Test func malformedDirectivesAreReportedAndDoNotSuppress() {
        let r = run("# ghr-audit:ignore JIT-101 because legacy\nx = 1\n") { s in [finding("JIT-101", s, line: 2)] }
        #expect(r.kept.count == 1)
        #expect(r.generated.map(\.ruleId) == ["CORE-011"])
        #expect(r.generated[0].message == "Malformed suppression: expected `--` before the reason")
    }

    @Test func unusedDirectiveOffersToDeleteTheLine() throws {
        let text = "a = 1\n  # ghr-audit:ignore JIT-101 -- no longer needed\nb = 2\n"
        let r = run(text) { s in [finding("JIT-101", s, line: 1)] }
        #expect(r.kept.count == 1)
        let g = try #require(r.generated.first)
        #expect(g.ruleId == "CORE-013" && g.severity == .note && g.tags == ["suppression"])
        #expect(g.message == "Unused suppression of `JIT-101`")
        #expect(g.detail?.contains("line 3") == true)
        let fix = try #require(g.fix)
        #expect(fix.isMachineApplicable)
        #expect(try FixApplier.apply(fix.edits, to: r.source).get() == "a = 1\nb = 2\n")
    }

    @Test func unusedTrailingDirectiveKeepsTheCode() throws {
        let text = "a = 1 # ghr-audit:ignore JIT-101 -- stale\nb = 2\n"
        let r = run(text) { _ in [] }
        let fix = try #require(r.generated.first?.fix)
        #expect(try FixApplier.apply(fix.edits, to: r.source).get() == "a = 1\nb = 2\n")
    }

    @Test func partlyUnusedDirectiveOffersToDropTheUnusedIds() throws {
        let text = "# ghr-audit:ignore JIT-101, JIT-102, JIT-104 -- two of three still apply\nx = 1\n"
        let r = run(text) { s in [finding("JIT-102", s, line: 2)] }
        #expect(r.suppressed.count == 1)
        let g = try #require(r.generated.first)
        #expect(r.generated.count == 1)
        #expect(g.message == "Unused suppression of `JIT-101` and `JIT-104`")
        #expect(r.source.text(of: g.location) == "JIT-101, JIT-102, JIT-104")
        let fix = try #require(g.fix)
        #expect(try FixApplier.apply(fix.edits, to: r.source).get() == "# ghr-audit:ignore JIT-102 -- two of three still apply\nx = 1\n")
    }

    @Test func secondOfTwoIdenticalDirectivesIsUnused() {
        let text = "# ghr-audit:ignore JIT-101 -- one\n# ghr-audit:ignore JIT-101 -- the same again\nx = 1\n"
        let r = run(text) { s in [finding("JIT-101", s, line: 3)] }
        #expect(r.suppressed.count == 1)
        #expect(r.generated.map { "\($0.ruleId)@\($0.location.start.line)" } == ["CORE-013@2"])
    }

    @Test func unusedIsNotReportedForDisabledRulesNorInFilesThatFailedToParse() {
        let text = "# ghr-audit:ignore JIT-101 -- r\nx = 1\n"
        #expect(run(text, findings: { _ in [] }, isEnabled: { $0 != "JIT-101" }).generated.isEmpty)
        let broken = run(text) { s in [finding("CORE-001", s, line: 2, tags: ["parse"])] }
        #expect(broken.generated.isEmpty)
        #expect(broken.kept.count == 1)
    }

    @Test func parseFindingsCannotBeSuppressed() throws {
        let text = "# ghr-audit:ignore CORE-001 -- the parser is wrong\nx = = 1\n"
        let r = run(text) { s in [finding("CORE-001", s, line: 2, tags: ["parse"])] }
        #expect(r.kept.map(\.ruleId) == ["CORE-001"] && r.suppressed.isEmpty)
        let g = try #require(r.generated.first)
        #expect(r.generated.count == 1)
        #expect(g.ruleId == "CORE-011")
        #expect(g.message == "`CORE-001` cannot be suppressed")
        #expect(r.source.text(of: g.location) == "CORE-001")
    }

    @Test func parseRulesNamedWithoutAFindingAreReportedViaThePredicate() {
        let r = run("# ghr-audit:ignore CORE-005 -- r\nx = 1\n", findings: { _ in [] }, unsuppressible: { $0.hasPrefix("CORE-") })
        #expect(r.generated.map(\.message) == ["`CORE-005` cannot be suppressed"])
    }

    @Test func suppressionFindingsThemselvesAreNeverSuppressed() {
        let text = "# ghr-audit:ignore CORE-013 -- r\n# ghr-audit:ignore JIT-101 -- r\nx = 1\n"
        let r = run(text) { _ in [] }
        #expect(r.generated.map(\.ruleId).sorted() == ["CORE-011", "CORE-013"])
    }

    @Test func generatedFindingsAreSortedAndWorded() {
        let text = """
        # ghr-audit:ignore JIT-104 -- unused
        a = 1
        # ghr-audit:ignore JIT-999 -- unknown
        b = 2
        # ghr-audit:ignore JIT-101
        c = 3
        """
        let r = run(text) { _ in [] }
        #expect(r.generated.map(\.ruleId) == ["CORE-013", "CORE-010", "CORE-011"])
        for g in r.generated {
            #expect(!g.message.hasSuffix("."))
            #expect(g.message.contains("`"))
            #expect(g.detail?.hasSuffix(".") == true)
        }
    }

    @Test func everyLanguageSuppresses() {
        let cases: [(String, String, Int)] = [
            ("c.yaml", "runners:\n  # ghr-audit:ignore JIT-101 -- r\n  ephemeral: true\n", 3),
            ("u.sh", "#!/bin/bash\n./config.sh $cfg # ghr-audit:ignore JIT-101 -- r\n", 2),
            ("s.ps1", "<# ghr-audit:ignore JIT-101 -- r #>\n& .\\config.cmd $c\n", 2),
            ("p.pkr.hcl", "// ghr-audit:ignore JIT-101 -- r\nsource \"x\" \"y\" {}\n", 2),
        ]
        for (path, text, line) in cases {
            let r = run(text, path: path) { s in [finding("JIT-101", s, line: line)] }
            #expect(r.suppressed.count == 1, "\(path)")
            #expect(r.generated.isEmpty, "\(path)")
        }
    }
}
