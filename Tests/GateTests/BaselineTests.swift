import AuditCore
import Foundation
import Testing
@testable import Gate

/// What the engine does: a finding per (rule, line, message), fingerprinted from the rule, path,
/// flagged lines, message and how many equal keys precede it in the file.
private func fingerprinted(_ source: SourceFile, _ hits: [(rule: String, needle: String, message: String)]) -> [Finding] {
    var seen: [String: Int] = [:]
    return hits.map { hit in
        let found = source.text.range(of: hit.needle)!
        let offset = source.text.utf8.distance(from: source.text.utf8.startIndex, to: found.lowerBound)
        let range = source.range(from: offset, to: offset + hit.needle.utf8.count)
        let lines = (range.start.line...range.end.line).map(source.lineText).joined(separator: "\n")
        let key = [hit.rule, source.path, lines, hit.message].joined(separator: "|")
        let occurrence = seen[key, default: 0]
        seen[key] = occurrence + 1
        return Finding(ruleId: hit.rule, severity: .error, message: hit.message, location: range,
                       fingerprint: Fingerprint.compute(ruleId: hit.rule, path: source.path, lineText: lines, message: hit.message, occurrence: occurrence))
    }
}

private let before = SourceFile(path: "main.tf", text: """
module "runners" {
  source                   = "philips-labs/github-runner/aws"
  version                  = "3.6.1"
  enable_ephemeral_runners = true
  userdata_template        = "./user-data.sh"
}
""")

/// The same file after someone added a header and reindented one attribute.
private let after = SourceFile(path: "main.tf", text: """
# Runners for the build fleet.
# Owned by the platform team.

module "runners" {
  source                   = "philips-labs/github-runner/aws"
  version                  = "3.6.1"
  enable_ephemeral_runners =   true
  userdata_template        = "./user-data.sh"
}
""")

private let hits: [(rule: String, needle: String, message: String)] = [
    ("JIT-101", "enable_ephemeral_runners", "Ephemeral fleet boots a token-only start script"),
    ("TF-120", "version", "Module pinned below the target release"),
]

@Suite("Baselines")
struct BaselineTests {
    @Test func fingerprintsSurviveLinesInsertedAbove() throws {
        let old = fingerprinted(before, hits), new = fingerprinted(after, hits)
        #expect(old[0].location.start.line == 4 && new[0].location.start.line == 7)
        #expect(old.map(\.fingerprint) == new.map(\.fingerprint))
        let baseline = try Baseline.load(Baseline.make(old))
        let split = baseline.filter(new)
        #expect(split.new.isEmpty)
        #expect(split.known.map(\.ruleId) == ["JIT-101", "TF-120"])
    }

    @Test func aChangedFlaggedLineOrAnExtraOccurrenceIsNew() throws {
        let baseline = try Baseline.load(Baseline.make(fingerprinted(before, hits)))
        let edited = SourceFile(path: "main.tf", text: before.text.replacingOccurrences(of: "\"3.6.1\"", with: "\"3.7.0\""))
        let split = baseline.filter(fingerprinted(edited, hits))
        #expect(split.new.map(\.ruleId) == ["TF-120"])
        #expect(split.known.map(\.ruleId) == ["JIT-101"])
        // The same finding twice: the baseline accepted one.
        let twice = fingerprinted(before, [hits[0]]) + fingerprinted(before, [hits[0]])
        #expect(twice[0].fingerprint == twice[1].fingerprint)
        let split2 = baseline.filter(twice)
        #expect(split2.known.count == 1 && split2.new.count == 1)
    }

    @Test func findingsWithoutFingerprintAreNeverKnownAndNotWritten() throws {
        let bare = Finding(ruleId: "JIT-101", severity: .error, message: "m", location: .fileStart("main.tf"))
        let baseline = try Baseline.load(Baseline.make([bare]))
        #expect(baseline.entries.isEmpty)
        #expect(baseline.filter([bare]).new.count == 1)
    }

    @Test func resolvedEntriesAreThoseNoFindingMatched() throws {
        let old = fingerprinted(before, hits)
        let baseline = Baseline(findings: old)
        #expect(baseline.resolved(by: [old[1]]).map(\.ruleId) == ["JIT-101"])
        #expect(baseline.resolved(by: old).isEmpty)
    }

    @Test func outputIsSortedPrettyAndDeterministic() throws {
        let a = Finding(ruleId: "TF-120", severity: .warning, message: "b/c \"quoted\"", location: .fileStart("z.tf"), fingerprint: "0002")
        let b = Finding(ruleId: "JIT-101", severity: .error, message: "é", location: .fileStart("a/main.tf"), fingerprint: "0001")
        let data = Baseline.make([a, b])
        #expect(data == Baseline.make([b, a]))
        #expect(String(decoding: data, as: UTF8.self) == """
        {
          "findings" : [
            {
              "fingerprint" : "0001",
              "message" : "é",
              "path" : "a/main.tf",
              "ruleId" : "JIT-101"
            },
            {
              "fingerprint" : "0002",
              "message" : "b/c \\"quoted\\"",
              "path" : "z.tf",
              "ruleId" : "TF-120"
            }
          ],
          "format" : "ghr-audit-baseline",
          "tool" : "ghr-audit",
          "version" : 1
        }

        """)
        let loaded = try Baseline.load(data)
        #expect(loaded.tool == "ghr-audit")
        #expect(loaded.entries.map(\.fingerprint) == ["0001", "0002"])
        #expect(loaded.data() == data)
    }

    static let broken: [(json: String, error: Baseline.LoadError)] = [
        ("", .notJSON("the file is empty")),
        ("[]", .notABaseline("expected a JSON object with `format`, `version` and `findings`, found a list")),
        (#"{"version": "2.1.0", "runs": []}"#, .notABaseline("it looks like a SARIF report; write a baseline with ghr-audit instead")),
        (#"{"failed_checks": []}"#, .notABaseline("it looks like a checkov baseline; ghr-audit baselines are written by ghr-audit")),
        (#"{"format": "other", "version": 1, "findings": []}"#, .notABaseline("`format` is a string, expected \"ghr-audit-baseline\"")),
        (#"{"version": 1, "findings": []}"#, .notABaseline("it has no `format` field (expected \"ghr-audit-baseline\")")),
        (#"{"format": "ghr-audit-baseline", "version": 2, "findings": []}"#, .unsupportedVersion(2)),
        (#"{"format": "ghr-audit-baseline", "version": true, "findings": []}"#, .notABaseline("`version` is missing or not an integer")),
        (#"{"format": "ghr-audit-baseline", "version": 1}"#, .notABaseline("it has no `findings` list")),
        (#"{"format": "ghr-audit-baseline", "version": 1, "findings": {}}"#, .notABaseline("`findings` is an object, expected a list")),
        (#"{"format": "ghr-audit-baseline", "version": 1, "findings": [{"fingerprint": "1", "ruleId": "A-001", "path": "p", "message": "m"}, {"ruleId": "JIT-101"}]}"#,
         .invalidEntry(index: 2, problem: "has no `fingerprint`")),
        (#"{"format": "ghr-audit-baseline", "version": 1, "findings": [{"fingerprint": "1", "ruleId": 101, "path": "p", "message": "m"}]}"#,
         .invalidEntry(index: 1, problem: "has a `ruleId` that is a number, expected a string")),
        (#"{"format": "ghr-audit-baseline", "version": 1, "findings": [{"fingerprint": "", "ruleId": "A-001", "path": "p", "message": "m"}]}"#,
         .invalidEntry(index: 1, problem: "has an empty `fingerprint`")),
    ]

    @Test(arguments: broken)
    func badFilesGiveAClearError(_ c: (json: String, error: Baseline.LoadError)) {
        #expect(throws: c.error) { try Baseline.load(Data(c.json.utf8)) }
        #expect(!c.error.description.isEmpty)
    }

    @Test func invalidJSONSaysWhere() {
        do {
            _ = try Baseline.load(Data("{\"format\": \"ghr-audit-baseline\",\n  , }".utf8))
            Issue.record("expected an error")
        } catch {
            guard case .notJSON(let why) = error else {
                Issue.record("expected notJSON, got \(error)")
                return
            }
            #expect(why == "invalid JSON near line 2, column 3")
            #expect(error.description == "the baseline is not valid JSON (invalid JSON near line 2, column 3); regenerate it with ghr-audit")
        }
    }

    @Test func aByteOrderMarkIsTolerated() throws {
        let data = Data([0xEF, 0xBB, 0xBF]) + Baseline.make([])
        #expect(try Baseline.load(data).entries.isEmpty)
    }
}
