import AuditCore
import DevTools
import Engine
import Foundation
import Gate
import Knowledge
import Reporters
import Rules
import Testing
import TestSupport

/// The README shows real output; these tests regenerate it from the built binary and fail when it
/// drifted, like actionlint's check-checks (issue 20 §6). When they fail, run
/// `swift build --product ghr-audit && swift run ghr-audit-dev readme-outputs` and read the diff.
@Suite("README examples are real output")
struct ReadmeTests {
    static let readme: String = (try? String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    static func binary() throws -> URL {
        try #require(TestPaths.builtProduct("ghr-audit"), "the built ghr-audit prints the README's examples")
    }

    /// Every output example the README shows for the bundled fixtures, and the rules list: each
    /// must be a marked block, so none of them escapes the comparison below.
    static let requiredExamples: [String] = [
        "check fixtures/jit-token-only-ami/repo --target 4.1.0 --no-color",
        "check fixtures/ghes-ephemeral/repo --target 4.7.0",
        "check fixtures/ghes-ephemeral/repo --target 4.7.0 --format json",
        "check fixtures/ghes-ephemeral/repo --target 4.7.0 --format sarif | sarif-excerpt",
        "check fixtures/ghes-ephemeral/repo --target 4.7.0 --format github",
        "check fixtures/ghes-ephemeral/repo --target 4.7.0 --format compact",
        "check fixtures/ghes-ephemeral/repo --target 4.7.0 --format junit",
        "check fixtures/ghes-ephemeral/repo --target 4.7.0 --format markdown",
        "fix fixtures/jit-token-only-ami/repo --target 4.1.0",
        "checklist fixtures/multi-runner-mixed/repo --target 4.1.0",
        "rules",
    ]

    @Test("the README marks every example output it shows")
    func everyExampleIsMarked() throws {
        let marked = try ReadmeOutputs.blocks(in: Self.readme).map { $0.command.dropFirst("ghr-audit ".count) }.map(String.init)
        for example in Self.requiredExamples {
            #expect(marked.contains(example), "README has no `<!-- README-OUTPUT: \(example) -->` block")
        }
    }

    @Test("every marked example is what the binary prints today")
    func markedExamplesAreCurrent() throws {
        let run = ReadmeOutputs.runBinary(try Self.binary(), root: packageRoot)
        let blocks = try ReadmeOutputs.blocks(in: Self.readme)
        #expect(blocks.count >= Self.requiredExamples.count)
        for block in blocks {
            let expected = try ReadmeOutputs.expected(block, run: run)
            #expect(expected == block.body, "README.md:\(block.line): `\(block.command)` is stale; run `swift run ghr-audit-dev readme-outputs`")
        }
    }

    @Test("the SARIF excerpt leaves out only the catalogue and the fixes")
    func sarifExcerpt() throws {
        let sarif = try ReadmeOutputs.runBinary(try Self.binary(), root: packageRoot)(["check", "fixtures/ghes-ephemeral/repo", "--target", "4.7.0", "--format", "sarif"])
        let transform = try #require(ReadmeOutputs.excerpts["sarif-excerpt"])
        let excerpt = transform(sarif)
        // Still JSON, with the results and everything else the log carries.
        let full = try #require(try JSONSerialization.jsonObject(with: Data(sarif.utf8)) as? [String: Any])
        let cut = try #require(try JSONSerialization.jsonObject(with: Data(excerpt.utf8)) as? [String: Any])
        let fullRun = try #require((full["runs"] as? [[String: Any]])?.first)
        let cutRun = try #require((cut["runs"] as? [[String: Any]])?.first)
        #expect(Set(fullRun.keys) == Set(cutRun.keys))
        let fullResults = try #require(fullRun["results"] as? [[String: Any]])
        let cutResults = try #require(cutRun["results"] as? [[String: Any]])
        #expect(fullResults.count == cutResults.count && !cutResults.isEmpty)
        let fullFixes = fullResults.filter { $0["fixes"] != nil }.count
        let cutFixes = cutResults.filter { $0["fixes"] != nil }.count
        #expect(fullFixes > 0 && cutFixes == 0)
        for (a, b) in zip(fullResults, cutResults) { #expect(Set(a.keys).subtracting(["fixes"]) == Set(b.keys)) }
        let rules = ((cutRun["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [String]
        #expect(rules == ["\u{2026} one entry per rule of the catalogue \u{2026}"])
    }

    @Test("a marker without a fenced block, or with an unknown excerpt, is an error, not a skipped example")
    func brokenMarkers() {
        #expect(throws: ReadmeOutputs.Problem.self) { try ReadmeOutputs.blocks(in: "<!-- README-OUTPUT: rules -->\ntext\n") }
        #expect(throws: ReadmeOutputs.Problem.self) { try ReadmeOutputs.blocks(in: "<!-- README-OUTPUT: rules | nope -->\n```text\nx\n```\n") }
        #expect(throws: ReadmeOutputs.Problem.self) { try ReadmeOutputs.blocks(in: "<!-- README-OUTPUT: rules -->\n```text\nx\n") }
        let two = "a\n<!-- README-OUTPUT: rules -->\n```text\nold\n```\nb\n<!-- README-OUTPUT: version -->\n```\n```\n"
        let regenerated = try? ReadmeOutputs.regenerate(two) { $0 == ["rules"] ? "R1\nR2\n" : "V\n" }
        #expect(regenerated == "a\n<!-- README-OUTPUT: rules -->\n```text\nR1\nR2\n```\nb\n<!-- README-OUTPUT: version -->\n```\nV\n```\n")
        #expect((try? ReadmeOutputs.blocks(in: two))?.map(\.line) == [2, 7])
    }

    /// The `.ghr-audit.yml` of "The CI gate", as the README shows it (indented in its list item).
    static func gateConfig() throws -> String {
        let intro = try #require(readme.range(of: "`.ghr-audit.yml` at the scan root"))
        let open = try #require(readme.range(of: "  ```yaml\n", range: intro.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n  ```\n", range: open.upperBound..<readme.endIndex))
        return readme[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("  ") ? String($0.dropFirst(2)) : String($0) }.joined(separator: "\n") + "\n"
    }

    @Test("the CI gate's configuration works pasted as is into the quick start's fixture: no config problem, and the quick start's error still appears")
    func gateConfigWorksAsIs() throws {
        let config = try Self.gateConfig()
        // Every key is one the config knows, and everything it names exists in the fixture.
        let (parsed, problems) = GateConfig.parse(try #require(SourceFile(path: GateConfig.fileName, data: Data(config.utf8))), knownRuleIds: KnownRuleIds(try KnowledgeBase.load().rules.map(\.id), aliases: [:]))
        #expect(problems.isEmpty, "\(problems)")
        #expect(!parsed.include.isEmpty, "the example shows `include`")

        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-readme-gate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("fixtures/jit-token-only-ami/repo"), to: copy)
        try Data(config.utf8).write(to: copy.appendingPathComponent(GateConfig.fileName))
        if let baseline = parsed.baseline?.value {
            #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent(baseline).path), "the config names baseline `\(baseline)`, which the fixture does not have")
        }

        let binary = try Self.binary()
        let gated = try MeasuredChild.run(binary, ["check", copy.path, "--format", "compact"])
        let plain = try MeasuredChild.run(binary, ["check", packageRoot.appendingPathComponent("fixtures/jit-token-only-ami/repo").path, "--target", "4.1.0", "--format", "compact"])
        let gatedText = String(decoding: gated.stdout, as: UTF8.self)
        #expect(gated.status == 1, "exit \(gated.status): \(gatedText)")
        #expect(!gatedText.contains("CORE-005"), "\(gatedText)")
        #expect(gatedText.contains("images/linux/boot-runner.sh:25:22: error[JIT-101]"), "the quick start's error is gone: \(gatedText)")
        #expect(gatedText == String(decoding: plain.stdout, as: UTF8.self), "the config changes the quick start's findings")
    }

    /// The Fuzzing section, `scripts/fuzz.sh` and `fuzz/Targets/` name the same libFuzzer targets:
    /// a target added without a row in the README's tables (what it drives, how long it ran) or
    /// without its place in the script fails here.
    @Test func fuzzTargetsAreListedEverywhere() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("fuzz/Targets").path)
        let targets = Set(files.filter { $0.hasSuffix(".swift") && $0 != "Support.swift" }.map { String($0.dropLast(6)) })
        #expect(targets.count >= 10, "\(targets.sorted())")
        let script = try String(contentsOf: packageRoot.appendingPathComponent("scripts/fuzz.sh"), encoding: .utf8)
        let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("targets=(") })
        let scripted = Set(line.dropFirst("targets=(".count).prefix { $0 != ")" }.split(separator: " ").map(String.init))
        #expect(scripted == targets, "scripts/fuzz.sh lists \(scripted.sorted()), fuzz/Targets holds \(targets.sorted())")
        let section = try #require(Self.readme.range(of: "## Fuzzing").map { Self.readme[$0.upperBound...] }?
            .components(separatedBy: "\n## ").first)
        // The first cell of each table row: `name` or `name`, `other`.
        var driven = Set<String>(), recorded = Set<String>()
        for row in section.split(separator: "\n") where row.hasPrefix("| `") {
            let cell = row.dropFirst(2).prefix { $0 != "|" }
            let names = cell.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
            // The table of runs has a duration column; the first table says what each target drives.
            if row.contains(" min |") { recorded.formUnion(names) } else { driven.formUnion(names) }
        }
        #expect(driven == targets, "the README describes \(driven.sorted())")
        #expect(recorded == targets, "the README records runs of \(recorded.sorted())")
    }

    /// The JSON section's list of tags names exactly the tags rules carry.
    @Test func tagsListNamesOnlyTagsRulesCarry() throws {
        let sentence = try #require(Self.readme.range(of: "Tags: ").map { Self.readme[$0.upperBound...] }?.prefix { $0 != "." })
        var listed = Set<String>()
        var rest = Substring(sentence)
        while let open = rest.firstIndex(of: "`") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "`") else { break }
            listed.insert(String(after[..<close]))
            rest = after[after.index(after: close)...]
        }
        let carried = Set(try KnowledgeBase.load().rules.flatMap { $0.tags.map(\.rawValue) })
        #expect(listed == carried, "README lists \(listed.sorted()), rules carry \(carried.sorted())")
    }
}
