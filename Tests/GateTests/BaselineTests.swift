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
          "version" : 2
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
        (#"{"format": "ghr-audit-baseline", "version": 3, "findings": []}"#, .unsupportedVersion(3)),
        (#"{"format": "ghr-audit-baseline", "version": 0, "findings": []}"#, .notABaseline("`version` 0 is not a baseline format version")),
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

/// Fingerprints that survive a change of `--target`, and baselines of format 1 still read.
@Suite("Baselines across targets")
struct BaselineTargetTests {
    @Test func theStableFingerprintIgnoresTheProseAndTheVersionsItQuotes() {
        func fp(_ message: String, construct: String = "  runner_os = \"windows\"") -> String {
            Fingerprint.stable(ruleId: "JIT-101", path: "main.tf", construct: construct, message: message, occurrence: 0)
        }
        let at5 = fp("fleet `module.github_runner` gets JIT configs at 5.0.0 but its start script `runner.sh` is token-only")
        let at7 = fp("fleet `module.github_runner` gets JIT configs at 7.11.0 but its start script `runner.sh` is token-only")
        #expect(at5 == at7)
        // A constraint computed from the target is not the subject either.
        #expect(fp("aws provider constraint `~> 5.80` excludes the `>= 6.33` that module 7.11.0 requires")
                == fp("aws provider constraint `~> 5.80` excludes the `>= 5.2` that module 5.0.0 requires"))
        // Another subject, another construct, or reindented text.
        #expect(at5 != fp("fleet `module.other` gets JIT configs at 5.0.0 but its start script `runner.sh` is token-only"))
        #expect(at5 != fp("fleet `module.github_runner` gets JIT configs at 5.0.0 but its start script `runner.sh` is token-only", construct: "x = 1"))
        #expect(at5 == fp("fleet `module.github_runner` gets JIT configs at 5.0.0 but its start script `runner.sh` is token-only", construct: "runner_os   =   \"windows\""))
        #expect(Fingerprint.subject(of: "`a` was removed in `6.0.0`; use `b.c`") == ["a", "b.c"])
    }

    @Test func aFormatOneBaselineIsReadMatchedThroughLegacyFingerprintsAndMigrated() throws {
        let found = [
            Finding(ruleId: "JIT-101", severity: .error, message: "m at 7.11.0", location: .fileStart("main.tf"), fingerprint: "new-1"),
            Finding(ruleId: "INP-201", severity: .error, message: "n", location: .fileStart("main.tf"), fingerprint: "new-2"),
        ]
        let legacy = ["new-1": "old-1", "new-2": "old-2"]
        let v1 = #"{"format": "ghr-audit-baseline", "version": 1, "findings": [{"fingerprint": "old-1", "ruleId": "JIT-101", "path": "main.tf", "message": "m at 5.0.0"}, {"fingerprint": "gone", "ruleId": "JIT-102", "path": "main.tf", "message": "x"}]}"#
        let baseline = try Baseline.load(Data(v1.utf8))
        #expect(baseline.needsMigration)
        // Without the findings' format-1 fingerprints nothing matches (a format-1 entry never
        // matches a current fingerprint by accident).
        #expect(baseline.filter(found).known.isEmpty)
        let split = baseline.filter(found, legacyFingerprint: { legacy[$0.fingerprint] })
        #expect(split.known.map(\.ruleId) == ["JIT-101"] && split.new.map(\.ruleId) == ["INP-201"])
        #expect(baseline.resolved(by: found, legacyFingerprint: { legacy[$0.fingerprint] }).map(\.ruleId) == ["JIT-102"])
        let migrated = baseline.migrated(to: found, legacyFingerprint: { legacy[$0.fingerprint] })
        #expect(!migrated.needsMigration)
        #expect(migrated.entries.map(\.fingerprint) == ["new-1"])
        let reread = try Baseline.load(migrated.data())
        #expect(!reread.needsMigration && reread.filter(found).known.map(\.ruleId) == ["JIT-101"])
        #expect(String(decoding: migrated.data(), as: UTF8.self).contains("\"version\" : 2"))
    }
}
