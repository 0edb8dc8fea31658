import AuditCore
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@testable import Reporters

@Suite struct JUnitReporterTests {
    func parse(_ text: String) throws -> XMLElement {
        let document = try XMLDocument(data: Data(text.utf8), options: [])
        return try #require(document.rootElement())
    }

    func int(_ element: XMLElement, _ name: String) -> Int? {
        element.attribute(forName: name)?.stringValue.flatMap { Int($0) }
    }

    @Test func countsMatchTheFindings() throws {
        let root = try parse(render(Fixture.report, as: .junit))
        #expect(root.name == "testsuites")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.map { $0.attribute(forName: "name")?.stringValue } == ["broken.tf", "config/runners/ランナー.yaml", "main.tf", "scripts/start-runner.sh"])
        let findings = Fixture.report.findings
        #expect(int(root, "tests") == findings.count)
        #expect(int(root, "failures") == findings.filter { $0.severity == .error && !$0.tags.contains("parse") }.count)
        #expect(int(root, "errors") == findings.filter { $0.severity == .error && $0.tags.contains("parse") }.count)
        var totalCases = 0
        for suite in suites {
            let cases = suite.elements(forName: "testcase")
            totalCases += cases.count
            #expect(int(suite, "tests") == cases.count)
            #expect(int(suite, "failures") == cases.filter { !$0.elements(forName: "failure").isEmpty }.count)
            #expect(int(suite, "errors") == cases.filter { !$0.elements(forName: "error").isEmpty }.count)
        }
        #expect(totalCases == findings.count)
    }

    @Test func testCasesNameRuleAndPlace() throws {
        let root = try parse(render(Fixture.report, as: .junit))
        let cases = root.elements(forName: "testsuite").flatMap { $0.elements(forName: "testcase") }
        let expected = Fixture.report.findings.map { ($0.ruleId, "\($0.location.path):\($0.location.start.line):\($0.location.start.column)") }
        #expect(cases.map { $0.attribute(forName: "classname")?.stringValue ?? "" } == expected.map(\.0))
        #expect(cases.map { $0.attribute(forName: "name")?.stringValue ?? "" } == expected.map(\.1))
        // Warnings and notes pass, with their text in system-out.
        let tf205 = try #require(cases.first { $0.attribute(forName: "classname")?.stringValue == "TF-205" })
        #expect(tf205.elements(forName: "failure").isEmpty)
        let out = try #require(tf205.elements(forName: "system-out").first?.stringValue)
        #expect(out.contains("warning[TF-205]: label `日本語-ラベル` matches 100% of nothing\nin GitHub"))
        #expect(out.contains("compared <case-insensitively> & must be ASCII"))
    }

    @Test func awkwardTextSurvivesTheRoundTrip() throws {
        let message = "a \"quoted\" <tag> & 'apos'\nsecond line\twith tab\r\nand CR, 100%"
        let detail = "]]> <!-- not a comment --> &amp; \u{1B}[31m escape \u{0}\u{FFFE}"
        let finding = Finding(
            ruleId: "R<&>", severity: .error, message: message, detail: detail,
            location: SourceRange(path: "dir/a&b <c>.tf", start: SourcePosition(line: 1, column: 1, offset: 0), end: SourcePosition(line: 1, column: 2, offset: 1)))
        let report = Report(toolVersion: "0", target: "t", filesScanned: 1, filesByKind: [:], modules: [], findings: [finding], rules: [])
        let root = try parse(render(report, as: .junit))
        let suite = try #require(root.elements(forName: "testsuite").first)
        #expect(suite.attribute(forName: "name")?.stringValue == "dir/a&b <c>.tf")
        let testcase = try #require(suite.elements(forName: "testcase").first)
        #expect(testcase.attribute(forName: "classname")?.stringValue == "R<&>")
        let failure = try #require(testcase.elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue == message)
        let text = try #require(failure.stringValue)
        // Characters XML cannot carry are shown as their control pictures / U+FFFD.
        #expect(text.contains("]]> <!-- not a comment --> &amp; \u{241B}[31m escape \u{2400}\u{FFFD}"))
    }

    @Test func cleanRunHasOnePassingTestCase() throws {
        let root = try parse(render(Fixture.cleanReport, as: .junit))
        #expect(int(root, "tests") == 1)
        #expect(int(root, "failures") == 0)
        #expect(int(root, "errors") == 0)
        let cases = root.elements(forName: "testsuite").flatMap { $0.elements(forName: "testcase") }
        #expect(cases.count == 1)
        #expect(cases[0].children == nil || cases[0].children?.isEmpty == true)
    }

    @Test(arguments: [
        ("a&b", "a&amp;b", "a&amp;b"),
        ("<x>", "&lt;x&gt;", "&lt;x&gt;"),
        ("\"'", "\"'", "&quot;&apos;"),
        ("l1\nl2\tt\r", "l1\nl2\tt&#13;", "l1&#10;l2&#9;t&#13;"),
        ("\u{7}\u{FFFF}ok", "\u{2407}\u{FFFD}ok", "\u{2407}\u{FFFD}ok"),
    ])
    func escaping(input: String, text: String, attribute: String) {
        #expect(XML.text(input) == text)
        #expect(XML.attribute(input) == attribute)
    }
}
