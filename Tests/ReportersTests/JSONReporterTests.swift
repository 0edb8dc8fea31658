import AuditCore
import Foundation
import Testing

@testable import Reporters

@Suite struct JSONReporterTests {
    func parse(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func contractTopLevelAndSummary() throws {
        let json = try parse(render(Fixture.report, as: .json))
        #expect(json.keys.sorted() == ["findings", "modules", "scope", "summary", "suppressed", "target", "tool"])
        #expect(json["tool"] as? [String: String] == ["name": "ghr-audit", "version": "0.1.0"])
        #expect(json["target"] as? String == "5.0.0")
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["files"] as? Int == 7)
        #expect(summary["byKind"] as? [String: Int] == ["terraform": 3, "yaml": 2, "bash": 1, "powershell": 1])
        #expect(summary["error"] as? Int == 3)
        #expect(summary["warning"] as? Int == 2)
        #expect(summary["note"] as? Int == 1)
    }

    @Test func unknownsAreNull() throws {
        let json = try parse(render(Fixture.report, as: .json))
        let modules = try #require(json["modules"] as? [[String: Any]])
        #expect(modules[1]["version"] is NSNull)
        let windows = try #require((modules[0]["fleets"] as? [[String: Any]])?[1])
        #expect(windows["os"] is NSNull)
        #expect(windows["ephemeral"] is NSNull)
        #expect(windows["jit"] is NSNull)
        let linux = try #require((modules[0]["fleets"] as? [[String: Any]])?[0])
        #expect(linux["ephemeral"] as? Bool == true)
        #expect(linux["jit"] as? Bool == true)
    }

    @Test func findingsRoundTrip() throws {
        let json = try parse(render(Fixture.report, as: .json))
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.count == Fixture.report.findings.count)
        for (object, finding) in zip(findings, Fixture.report.findings) {
            #expect(object["ruleId"] as? String == finding.ruleId)
            #expect(object["severity"] as? String == finding.severity.rawValue)
            #expect(object["tags"] as? [String] == finding.tags)
            #expect(object["message"] as? String == finding.message)
            if let detail = finding.detail { #expect(object["detail"] as? String == detail) } else { #expect(object["detail"] is NSNull) }
            #expect(object["fingerprint"] as? String == finding.fingerprint)
            let location = try #require(object["location"] as? [String: Any])
            #expect(location["path"] as? String == finding.location.path)
            #expect(location["startLine"] as? Int == finding.location.start.line)
            #expect(location["startColumn"] as? Int == finding.location.start.column)
            #expect(location["endLine"] as? Int == finding.location.end.line)
            #expect(location["endColumn"] as? Int == finding.location.end.column)
            #expect((object["related"] as? [Any])?.count == finding.related.count)
            if let fix = finding.fix {
                let fixObject = try #require(object["fix"] as? [String: Any])
                #expect(fixObject["description"] as? String == fix.description)
                let edits = try #require(fixObject["edits"] as? [[String: Any]])
                #expect(edits.map { $0["newText"] as? String } == fix.edits.map(\.newText))
            } else {
                #expect(object["fix"] == nil)
            }
        }
    }

    @Test func formattingIsSortedPrettyAndNewlineTerminated() {
        let text = render(Fixture.cleanReport, as: .json)
        #expect(text.hasSuffix("}\n"))
        #expect(text.hasPrefix("{\n  \"findings\": [],\n  \"modules\": [],\n  \"scope\": {\n    \"filesNotReached\": {},\n"))
        #expect(!text.contains(" : "))
    }

    @Test(arguments: [
        ("plain", "\"plain\""),
        ("q\"b\\s/", "\"q\\\"b\\\\s/\""),
        ("\n\r\t\u{08}\u{0C}", "\"\\n\\r\\t\\b\\f\""),
        ("\u{01}\u{1F}\u{1B}", "\"\\u0001\\u001f\\u001b\""),
        ("\u{2028}\u{2029}", "\"\\u2028\\u2029\""),
        ("日本 é 🎉", "\"日本 é 🎉\""),
    ])
    func stringEscaping(input: String, expected: String) throws {
        var out = ""
        JSONValue.writeString(input, into: &out)
        #expect(out == expected)
        // And Foundation reads it back to the same string.
        let back = try JSONSerialization.jsonObject(with: Data("[\(out)]".utf8)) as? [String]
        #expect(back == [input])
    }

    @Test func keysSortByScalarValue() {
        let value = JSONValue.object(["b": .int(1), "B": .int(2), "$schema": .int(3), "é": .int(4), "a": .null])
        #expect(value.serialized() == "{\n  \"$schema\": 3,\n  \"B\": 2,\n  \"a\": null,\n  \"b\": 1,\n  \"é\": 4\n}\n")
    }
}
