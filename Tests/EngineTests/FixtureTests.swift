import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Testing
import Yams

/// One bundled sample repository: `fixtures/<name>/repo` with `fixture.yaml` (what it shows, the
/// target) and `expected.json` (the whole JSON report, the golden file).
struct Fixture: CustomTestStringConvertible, Sendable {
    var name: String
    var target: String
    var testDescription: String { name }

    var directory: URL { packageRoot.appendingPathComponent("fixtures").appendingPathComponent(name) }
    var repo: URL { directory.appendingPathComponent("repo") }
    var expected: URL { directory.appendingPathComponent("expected.json") }

    static let all: [Fixture] = {
        let dir = packageRoot.appendingPathComponent("fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().compactMap { name in
            let meta = dir.appendingPathComponent(name).appendingPathComponent("fixture.yaml")
            guard let text = try? String(contentsOf: meta, encoding: .utf8),
                  let yaml = try? Yams.load(yaml: text) as? [String: Any] else { return nil }
            return Fixture(name: name, target: (yaml["target"] as? String) ?? "latest")
        }
    }()

    func run() throws -> AuditResult {
        let knowledge = try KnowledgeBase.load()
        let target = try #require(TargetSelection(target), "fixture \(name): bad target \(target)")
        return Auditor(knowledge: knowledge).audit(fileSystem: LocalFileSystem(root: repo), options: AuditOptions(target: target))
    }
}

@Suite("Fixtures")
struct FixtureTests {
    @Test("every fixture has metadata and a golden report")
    func fixturesAreComplete() throws {
        #expect(Fixture.all.count >= 12, "the JIT rule set promises at least 12 fixture repositories")
        for f in Fixture.all {
            #expect(FileManager.default.fileExists(atPath: f.repo.path), "\(f.name): no repo/ folder")
        }
    }

    @Test("fixture report matches expected.json", arguments: Fixture.all)
    func fixtureMatchesGolden(_ fixture: Fixture) throws {
        let result = try fixture.run()
        let json = render(result.report, as: .json, options: RenderOptions(color: false, sources: result.sources))
        if recordGoldens || !FileManager.default.fileExists(atPath: fixture.expected.path) {
            try Data(json.utf8).write(to: fixture.expected)
            Issue.record("recorded \(fixture.expected.path); re-run without RECORD_SNAPSHOTS")
            return
        }
        let expected = try String(contentsOf: fixture.expected, encoding: .utf8)
        #expect(json == expected, "\(fixture.name): the report differs from expected.json (RECORD_SNAPSHOTS=1 rewrites it)")
    }

    @Test("every rule fires in at least one fixture")
    func everyRuleHasAFixture() throws {
        var fired = Set<String>()
        for f in Fixture.all {
            guard let data = FileManager.default.contents(atPath: f.expected.path),
                  let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let findings = obj["findings"] as? [[String: Any]] else { continue }
            for finding in findings { if let id = finding["ruleId"] as? String { fired.insert(id) } }
        }
        let knowledge = try KnowledgeBase.load()
        let expected = knowledge.rules.map(\.id).filter { id in
            // Rules whose every example is documentation only are exercised by unit tests.
            knowledge.rule(id: id)!.examples.contains { $0.runnable }
        }
        for id in expected {
            #expect(fired.contains(id), "no fixture triggers \(id)")
        }
    }
}
