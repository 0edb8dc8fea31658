import AuditCore
import Testing

@testable import Reporters

@Suite struct GitHubReporterTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("100%", "100%25"),
        ("%0A literal", "%250A literal"),
        ("a\nb\r\nc", "a%0Ab%0D%0Ac"),
        ("a:b,c", "a:b,c"),
    ])
    func dataEscaping(input: String, expected: String) {
        #expect(GitHubReporter.escapeData(input) == expected)
    }

    @Test(arguments: [
        ("main.tf", "main.tf"),
        ("a:b,c", "a%3Ab%2Cc"),
        ("50%\n", "50%25%0A"),
        ("x\r", "x%0D"),
    ])
    func propertyEscaping(input: String, expected: String) {
        #expect(GitHubReporter.escapeProperty(input) == expected)
    }

    @Test func oneCommandPerFindingWithSeverityNames() {
        let lines = render(Fixture.report, as: .github).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        let commands = lines.dropLast()
        #expect(commands.count == Fixture.report.findings.count)
        for (command, finding) in zip(commands, Fixture.report.findings) {
            let name = ["error": "error", "warning": "warning", "note": "notice"][finding.severity.rawValue]!
            let l = finding.location
            #expect(command.hasPrefix(
                "::\(name) file=\(GitHubReporter.escapeProperty(l.path)),line=\(l.start.line),col=\(l.start.column),endLine=\(l.end.line),endColumn=\(l.end.column),title=\(finding.ruleId)::"))
        }
    }

    @Test func textFromScannedFilesCannotInjectCommands() {
        let finding = Finding(
            ruleId: "R,1:2", severity: .warning, message: "bad\n::error::forged\r\n::add-mask::x", detail: "100%",
            location: SourceRange(path: "a,b:c.tf", start: SourcePosition(line: 2, column: 3, offset: 9), end: SourcePosition(line: 2, column: 4, offset: 10)))
        let report = Report(toolVersion: "0", target: "t", filesScanned: 1, filesByKind: [:], modules: [], findings: [finding], rules: [])
        let output = render(report, as: .github)
        #expect(output == "::warning file=a%2Cb%3Ac.tf,line=2,col=3,endLine=2,endColumn=4,title=R%2C1%3A2::bad%0A::error::forged%0D%0A::add-mask::x%0A%0A100%25\n")
    }

    @Test func findingWithoutPathHasOnlyATitle() {
        let finding = Finding(ruleId: "CORE-010", severity: .note, message: "m", location: .fileStart(""))
        let report = Report(toolVersion: "0", target: "t", filesScanned: 0, filesByKind: [:], modules: [], findings: [finding], rules: [])
        #expect(render(report, as: .github) == "::notice title=CORE-010::m\n")
    }

    @Test func cleanReportWritesNothing() {
        #expect(render(Fixture.cleanReport, as: .github) == "")
    }
}
