import AuditCore
import Foundation
import Testing

@testable import Reporters

/// Suppressed and baselined findings in every format, and the `compact` format.
@Suite struct DismissedAndCompactTests {
    static var report: Report {
        var report = Fixture.report
        let first = report.findings.removeFirst(), second = report.findings.removeFirst()
        report.dismissed = [
            DismissedFinding(first, kind: .inSource, justification: "REASONMARK"),
            DismissedFinding(second, kind: .external, justification: "accepted by the baseline ci/base.json"),
        ]
        return report
    }

    @Test(arguments: OutputFormat.allCases)
    func everyFormatCountsThem(format: OutputFormat) throws {
        let out = render(Self.report, as: format)
        switch format {
        case .json:
            let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
            let summary = try #require(json["summary"] as? [String: Any])
            #expect(summary["suppressed"] as? Int == 1 && summary["baselined"] as? Int == 1)
            let listed = try #require(json["suppressed"] as? [[String: Any]])
            #expect(listed.compactMap { ($0["suppression"] as? [String: String])?["kind"] } == ["inSource", "external"])
            #expect((listed.first?["suppression"] as? [String: String])?["justification"] == "REASONMARK")
        case .sarif:
            let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
            let results = try #require(((json["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
            let suppressions = results.compactMap { $0["suppressions"] as? [[String: String]] }
            #expect(results.count == Fixture.report.findings.count)
            #expect(suppressions.map { $0.first?["kind"] } == ["inSource", "external"])
            #expect(suppressions.first?.first?["justification"] == "REASONMARK")
        case .junit:
            #expect(out.contains("skipped=\"2\"") && out.contains("<skipped message=\"suppressed: REASONMARK\"/>"))
        default:
            #expect(out.contains("1 suppressed, 1 baselined"), "\(format): \(out)")
            #expect(!out.contains("REASONMARK"), "\(format) lists them only when asked")
        }
    }

    @Test(arguments: [OutputFormat.text, .compact, .markdown, .html])
    func showSuppressedListsThem(format: OutputFormat) {
        let out = render(Self.report, as: format, options: RenderOptions(showSuppressed: true))
        #expect(out.contains("suppressed: REASONMARK") && out.contains("baselined: accepted by the baseline ci/base.json"), "\(format): \(out)")
    }

    @Test func compactIsOneGreppableLinePerFinding() {
        let out = render(Fixture.report, as: .compact)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == Fixture.report.findings.count)
        for (line, f) in zip(lines, Fixture.report.findings) {
            #expect(line.hasPrefix("\(f.location.path):\(f.location.start.line):\(f.location.start.column): \(f.severity.rawValue)[\(f.ruleId)] "), "\(line)")
        }
        // Text from the scanned files never breaks the line or reaches the terminal raw.
        var hostile = Fixture.cleanReport
        hostile.findings = [Finding(ruleId: "X-001", severity: .warning, message: "a\nb\u{1B}[31mc", location: .fileStart("m.tf"))]
        let one = render(hostile, as: .compact)
        #expect(one.split(separator: "\n").count == 1 && !one.contains("\u{1B}"))
        #expect(one.hasPrefix("m.tf:1:1: warning[X-001] a b"))
    }

    @Test("--quiet: compact is the finding lines and nothing else, dismissed ones not even counted")
    func quietCompactIsTheFindingsOnly() {
        let out = render(Self.report, as: .compact, options: RenderOptions(quiet: true))
        #expect(out == Self.report.findings.map { CompactReporter.line($0) + "\n" }.joined())
        #expect(render(Fixture.cleanReport, as: .compact, options: RenderOptions(quiet: true)) == "")
    }

    @Test("--quiet: text is the findings' blocks, without file headers, summary or scope lines")
    func quietTextIsTheFindingsOnly() {
        let options = RenderOptions(sources: Fixture.sources, quiet: true)
        let out = render(Self.report, as: .text, options: options)
        let reporter = TextReporter(report: Self.report, options: options)
        #expect(out == Self.report.findings.map { reporter.block(for: $0).joined(separator: "\n") + "\n" }.joined(separator: "\n"))
        #expect(!out.contains("1 suppressed") && !out.contains(Counting.summaryLine(Self.report)))
        // The loud form has the same blocks, and more.
        let loud = render(Self.report, as: .text, options: RenderOptions(sources: Fixture.sources))
        for f in Self.report.findings { #expect(loud.contains(reporter.block(for: f).joined(separator: "\n"))) }
        #expect(loud.contains(Counting.summaryLine(Self.report)))
        #expect(render(Fixture.cleanReport, as: .text, options: RenderOptions(quiet: true)) == "")
    }

    @Test("--quiet leaves the documents alone", arguments: [OutputFormat.json, .sarif, .junit, .github, .markdown, .html])
    func quietLeavesDocuments(format: OutputFormat) {
        #expect(render(Self.report, as: format, options: RenderOptions(quiet: true)) == render(Self.report, as: format))
    }
}
