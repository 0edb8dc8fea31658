import AuditCore
import Foundation
import Testing

@testable import Reporters
import TestSupport

@Suite struct SARIFReporterTests {
    func parse(_ report: Report) throws -> [String: Any] {
        let text = render(report, as: .sarif)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func run(_ sarif: [String: Any]) throws -> [String: Any] {
        let runs = try #require(sarif["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        return try #require(runs.first)
    }

    /// Validates with Python's `jsonschema` against the OASIS schema. Skips (with a message)
    /// when python3, jsonschema or the schema file is missing, except that a missing python3
    /// or jsonschema fails when `CI` is `true`.
    @Test(arguments: ["fixture", "clean"])
    func validatesAgainstTheSARIFSchema(which: String) throws {
        guard let schema = TestPaths.shared("testdata/sarif/sarif-schema-2.1.0.json") else {
            print("skipped: ../shared/testdata/sarif/sarif-schema-2.1.0.json is absent")
            return
        }
        let report = which == "fixture" ? Fixture.report : Fixture.cleanReport
        let output = render(report, as: .sarif)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-\(UUID().uuidString).sarif")
        try Data(output.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let script = """
            import json, sys
            try:
                import jsonschema
            except ImportError:
                sys.exit(3)
            schema = json.load(open(sys.argv[2]))
            errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.load(open(sys.argv[1]))))
            for e in errors:
                print("/".join(map(str, e.absolute_path)) + ": " + e.message)
            sys.exit(1 if errors else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path, schema.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
        switch process.terminationStatus {
        case 0:
            break
        case 3, 127:
            let why = process.terminationStatus == 3 ? "Python's jsonschema is not installed" : "python3 is not installed"
            if inCI { Issue.record("\(why); CI must validate SARIF output") } else { print("skipped: \(why)") }
        default:
            Issue.record("SARIF output does not validate against the 2.1.0 schema:\n\(log)")
        }
    }

    @Test func runDeclaresColumnKindAndRelativeBase() throws {
        let run = try run(try parse(Fixture.report))
        #expect(run["columnKind"] as? String == "unicodeCodePoints")
        let bases = try #require(run["originalUriBaseIds"] as? [String: Any])
        #expect(bases.keys.sorted() == ["%SRCROOT%"])
    }

    @Test func resultsPointIntoTheRuleCatalogue() throws {
        let run = try run(try parse(Fixture.report))
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == Fixture.rules.map(\.id))
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == Fixture.report.findings.count)
        for result in results {
            let id = try #require(result["ruleId"] as? String)
            if let index = result["ruleIndex"] as? Int {
                #expect(rules[index]["id"] as? String == id)
            } else {
                #expect(!Fixture.rules.contains { $0.id == id }, "\(id) is in the catalogue but has no ruleIndex")
            }
        }
        let tf101 = try #require(rules.first { $0["id"] as? String == "TF-101" })
        #expect((tf101["defaultConfiguration"] as? [String: Any])?["level"] as? String == "error")
        #expect(tf101["name"] as? String == "InputTypeChanged")
        #expect(tf101["helpUri"] as? String == "https://example.invalid/ghr-audit/rules/TF-101")
    }

    @Test func resultsCarryFullRegionsFingerprintsRelatedLocationsAndFixes() throws {
        let run = try run(try parse(Fixture.report))
        let results = try #require(run["results"] as? [[String: Any]])
        let tf101 = try #require(results.first { $0["ruleId"] as? String == "TF-101" })
        let location = try #require((tf101["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        let region = try #require(location["region"] as? [String: Int])
        #expect(region == ["startLine": 6, "startColumn": 25, "endLine": 6, "endColumn": 34])
        #expect(location["artifactLocation"] as? [String: String] == ["uri": "main.tf", "uriBaseId": "%SRCROOT%"])
        #expect(tf101["partialFingerprints"] as? [String: String] == ["ghrAudit/v2": "f00000000000000000000000000000d4"])
        let related = try #require(tf101["relatedLocations"] as? [[String: Any]])
        #expect(related.map { $0["id"] as? Int } == [1, 2])
        #expect((related[1]["message"] as? [String: String])?["text"] == "fleet labels written as a list here")
        let fix = try #require((tf101["fixes"] as? [[String: Any]])?.first)
        let change = try #require((fix["artifactChanges"] as? [[String: Any]])?.first)
        let replacement = try #require((change["replacements"] as? [[String: Any]])?.first)
        #expect(replacement["deletedRegion"] as? [String: Int] == region)
        #expect((replacement["insertedContent"] as? [String: String])?["text"] == "[\"gpu\", \"x64\"]")
        // A fix without edits is not a SARIF fix (artifactChanges needs one), but the reader still sees it.
        let tf110 = try #require(results.first { $0["ruleId"] as? String == "TF-110" })
        #expect(tf110["fixes"] == nil)
        #expect((tf110["message"] as? [String: String])?["text"]?.hasSuffix("Fix: Check that the start script passes `--jitconfig`") == true)
    }

    @Test func duplicateRuleDescriptorsAreWrittenOnce() throws {
        var report = Fixture.report
        report.rules = [Fixture.rules[2]] + Fixture.rules
        let run = try run(try parse(report))
        let rules = try #require((run["tool"] as? [String: Any]).flatMap { $0["driver"] as? [String: Any] }?["rules"] as? [[String: Any]])
        let ids = rules.compactMap { $0["id"] as? String }
        #expect(ids == ["TF-101", "CORE-001", "TF-001", "TF-110", "TF-205"])
        let results = try #require(run["results"] as? [[String: Any]])
        for result in results {
            if let index = result["ruleIndex"] as? Int { #expect(ids[index] == result["ruleId"] as? String) }
        }
    }

    @Test func messageTextClosesTheFirstSentenceBeforeTheDetail() {
        let at = SourceRange.fileStart("a.tf")
        #expect(SARIFReporter.messageText(Finding(ruleId: "R", severity: .note, message: "short", location: at)) == "short")
        #expect(SARIFReporter.messageText(Finding(ruleId: "R", severity: .note, message: "short", detail: "More.", location: at)) == "short.\n\nMore.")
        #expect(SARIFReporter.messageText(Finding(ruleId: "R", severity: .note, message: "why?", detail: "More.", location: at)) == "why?\n\nMore.")
    }

    @Test func parseFindingsAreResultsAndToolExecutionNotifications() throws {
        let run = try run(try parse(Fixture.report))
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.contains { $0["ruleId"] as? String == "CORE-001" })
        let invocation = try #require((run["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
        let notifications = try #require(invocation["toolExecutionNotifications"] as? [[String: Any]])
        #expect(notifications.count == 1)
        #expect((notifications[0]["associatedRule"] as? [String: Any])?["id"] as? String == "CORE-001")
        #expect(notifications[0]["level"] as? String == "error")

        var warningOnly = Fixture.report
        warningOnly.findings = warningOnly.findings.map { f in
            var f = f
            if f.isToolProblem { f.severity = .warning }
            return f
        }
        let run2 = try self.run(try parse(warningOnly))
        let invocation2 = try #require((run2["invocations"] as? [[String: Any]])?.first)
        #expect(invocation2["executionSuccessful"] as? Bool == true)
        #expect((invocation2["toolExecutionNotifications"] as? [Any])?.count == 1)

        let clean = try self.run(try parse(Fixture.cleanReport))
        let invocation3 = try #require((clean["invocations"] as? [[String: Any]])?.first)
        #expect(invocation3["executionSuccessful"] as? Bool == true)
        #expect(invocation3["toolExecutionNotifications"] == nil)
    }

    @Test(arguments: [
        ("main.tf", "main.tf"),
        ("config/runners/ランナー.yaml", "config/runners/%E3%83%A9%E3%83%B3%E3%83%8A%E3%83%BC.yaml"),
        ("my dir/a#b?c%d.tf", "my%20dir/a%23b%3Fc%25d.tf"),
        ("c:x/y.tf", "c%3Ax/y.tf"),
        ("a\\b.tf", "a%5Cb.tf"),
    ])
    func pathsBecomeURIReferences(path: String, uri: String) {
        #expect(SARIFReporter.uriReference(path) == uri)
    }

    @Test func informationURIIsWrittenOnlyWhenGiven() throws {
        let without = render(Fixture.cleanReport, as: .sarif)
        #expect(!without.contains("informationUri"))
        let with = render(Fixture.cleanReport, as: .sarif, options: RenderOptions(informationURI: "https://example.invalid/ghr-audit"))
        #expect(with.contains("\"informationUri\": \"https://example.invalid/ghr-audit\""))
    }
}
