import AuditCore
import Foundation
import Testing

@testable import Reporters
import TestSupport

/// Reporters are pure and deterministic, and each format carries only the fields it should.
@Suite struct PurityTests {
    @Test(arguments: OutputFormat.allCases)
    func sameReportRendersToTheSameBytes(format: OutputFormat) {
        let options = RenderOptions(color: true, sources: Fixture.sources)
        let first = render(Fixture.report, as: format, options: options)
        let second = render(Fixture.report, as: format, options: options)
        #expect(Data(first.utf8) == Data(second.utf8))
    }

    /// Dictionaries built in different orders and capacities iterate differently; no such
    /// order may reach the output.
    @Test(arguments: OutputFormat.allCases)
    func dictionaryOrderNeverReachesTheOutput(format: OutputFormat) {
        var a = Fixture.report
        var b = Fixture.report
        var kinds: [String: Int] = [:]
        kinds.reserveCapacity(512)
        for (k, v) in Fixture.report.filesByKind.sorted(by: { $0.key > $1.key }) { kinds[k] = v }
        for i in 0..<40 { a.filesByKind["kind\(i)"] = i; kinds["kind\(39 - i)"] = 39 - i }
        b.filesByKind = kinds
        var sourcesB: [String: SourceFile] = [:]
        sourcesB.reserveCapacity(64)
        for (k, v) in Fixture.sources.sorted(by: { $0.key > $1.key }) { sourcesB[k] = v }
        #expect(render(a, as: format, options: RenderOptions(sources: Fixture.sources)) == render(b, as: format, options: RenderOptions(sources: sourcesB)))
    }

    @Test(arguments: OutputFormat.allCases)
    func outputIsNewlineTerminatedUTF8WithoutCarriageReturnsOrNULs(format: OutputFormat) {
        let output = render(Fixture.report, as: format, options: RenderOptions(sources: Fixture.sources))
        #expect(output.hasSuffix("\n"))
        #expect(!output.contains("\r"))
        #expect(!output.unicodeScalars.contains("\u{0}"))
    }

    /// A report whose every field carries a unique marker; which formats may show which marker.
    struct Field {
        let marker: String
        let allowed: Set<OutputFormat>
    }

    static let everywhere = Set(OutputFormat.allCases)
    /// `compact` is one line per finding: no detail, notes or fix.
    static let beyondOneLine = everywhere.subtracting([.compact])
    static let fields: [Field] = [
        Field(marker: "MSGMARK", allowed: everywhere),
        Field(marker: "DETAILMARK", allowed: beyondOneLine),
        Field(marker: "RULEMARK", allowed: everywhere),
        Field(marker: "PATHMARK", allowed: everywhere),
        Field(marker: "NOTEMARK", allowed: beyondOneLine),
        Field(marker: "FIXMARK", allowed: beyondOneLine),
        Field(marker: "EDITMARK", allowed: [.text, .json, .sarif, .html]),
        Field(marker: "fingerprintmark", allowed: [.json, .sarif]),
        Field(marker: "TAGMARK", allowed: [.json, .sarif]),
        Field(marker: "KINDMARK", allowed: [.json, .html]),
        // What was audited is in every format but GitHub's annotations (issue 18 §2).
        Field(marker: "MODULEMARK", allowed: [.json, .html, .text, .junit, .sarif, .markdown]),
        Field(marker: "FLEETMARK", allowed: [.json, .html]),
        Field(marker: "HELPMARK", allowed: [.sarif]),
        Field(marker: "HELPURIMARK", allowed: [.sarif]),
        Field(marker: "SUMMARYMARK", allowed: [.sarif]),
        Field(marker: "TITLEMARK", allowed: [.sarif, .markdown, .html]),
        Field(marker: "TARGETMARK", allowed: [.json, .markdown, .html]),
        Field(marker: "VERSIONMARK", allowed: [.json, .sarif, .html]),
    ]

    static var markedReport: Report {
        let file = SourceFile(path: "PATHMARK/main.tf", text: "a = 1\n")
        let at = file.range(from: 4, to: 5)
        let finding = Finding(
            ruleId: "RULEMARK", severity: .error, tags: ["TAGMARK"], message: "MSGMARK", detail: "DETAILMARK",
            location: at, related: [RelatedNote("NOTEMARK", at: at)],
            fix: Fix("FIXMARK", edits: [TextEdit(range: at, newText: "EDITMARK")]), fingerprint: "fingerprintmark")
        return Report(
            toolVersion: "VERSIONMARK", target: "TARGETMARK", filesScanned: 1, filesByKind: ["KINDMARK": 1],
            modules: [ModuleSummary(path: "main.tf:module.MODULEMARK", source: "MODULEMARK", version: nil, kind: "root",
                                    fleets: [FleetSummary(name: "FLEETMARK", os: nil, ephemeral: nil, jit: nil, bootScript: "module-default")])],
            findings: [finding],
            rules: [RuleDescriptor(id: "RULEMARK", title: "TITLEMARK", severity: .error, tags: [], summary: "SUMMARYMARK", help: "HELPMARK", helpURI: "https://example.invalid/HELPURIMARK")])
    }

    @Test(arguments: OutputFormat.allCases)
    func eachFormatCarriesOnlyItsFields(format: OutputFormat) {
        let report = Self.markedReport
        let output = render(report, as: format, options: RenderOptions(sources: ["PATHMARK/main.tf": SourceFile(path: "PATHMARK/main.tf", text: "a = 1\n")]))
        for field in Self.fields {
            let present = output.contains(field.marker)
            if field.allowed.contains(format) {
                #expect(present, "\(format) should show \(field.marker)")
            } else {
                #expect(!present, "\(format) must not show \(field.marker)")
            }
        }
    }

    /// Nothing of the machine the tool runs on reaches any output: not the environment, not
    /// the working directory, home or temporary directory, not any absolute path.
    @Test(arguments: OutputFormat.allCases)
    func noEnvironmentOrAbsolutePaths(format: OutputFormat) {
        let canary = "ghr-audit-canary-\(UUID().uuidString)"
        setenv("GHR_AUDIT_REPORTER_CANARY", canary, 1)
        setenv("GITHUB_WORKSPACE", "/\(canary)/workspace", 1)
        defer {
            unsetenv("GHR_AUDIT_REPORTER_CANARY")
            unsetenv("GITHUB_WORKSPACE")
        }
        for report in [Fixture.report, Fixture.cleanReport, Self.markedReport] {
            let output = render(report, as: format, options: RenderOptions(color: true, sources: Fixture.sources))
            #expect(!output.contains(canary))
            for dir in [FileManager.default.currentDirectoryPath, NSHomeDirectory(), NSTemporaryDirectory(), TestPaths.packageRoot.path]
            where dir.count > 1 {
                #expect(!output.contains(dir), "\(format) output contains \(dir)")
            }
            #expect(!output.contains("file://"), "\(format) output contains a file URL")
            for line in output.split(separator: "\n") {
                #expect(!line.hasPrefix("/"), "\(format) output has a line starting with an absolute path: \(line)")
            }
        }
    }
}
