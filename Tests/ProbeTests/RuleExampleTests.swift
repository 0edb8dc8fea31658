import AuditCore
import Foundation
import Knowledge
import ProbeClient
import Testing
@testable import Probe

/// The GHP rules' catalogue examples are scenarios of the fake GitHub (`github.json`: keys of the
/// server's scenario, plus `probe` for the probe's options). Each runs here: a triggering example
/// must produce its rule's finding with the expected text, a non-triggering one none of that rule.
@Suite("GitHub probe rule examples", .serialized)
struct GitHubRuleExampleTests {
    static let knowledge = try! KnowledgeBase.load()

    @Test func catalogueAndProbeAgree() {
        let catalogue = Set(Self.knowledge.rules.filter { $0.id.hasPrefix("GHP-") }.map(\.id))
        #expect(catalogue == Set(GitHubProbeRule.all))
        for id in GitHubProbeRule.all {
            #expect(Self.knowledge.rule(id: id)?.tags.contains(.probe) == true, "\(id) is tagged probe")
        }
    }

    static var cases: [String] {
        Self.knowledge.rules.filter { $0.id.hasPrefix("GHP-") }.flatMap { r in r.examples.map { "\(r.id)/\($0.name)" } }
    }

    @Test(arguments: cases)
    func example(_ name: String) async throws {
        let parts = name.split(separator: "/")
        let rule = try #require(Self.knowledge.rule(id: String(parts[0])))
        let example = try #require(rule.examples.first { $0.name == parts[1] })
        let files = example.materialise().files
        let text = try #require(files["github.json"])
        var overlay = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let options = overlay.removeValue(forKey: "probe") as? [String: Any] ?? [:]
        var scenario = Scenario()
        scenario.overlay = overlay
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let labels = (options["runner_labels"] as? String)?.split(separator: ",").map(String.init) ?? []
        let (minimum, requirement) = GitHubChecks.FleetRunners.minimum(given: (options["min_runner_version"] as? String).flatMap(ModuleVersion.init),
                                                                       jit: options["fleet_jit"] as? Bool, knowledge: Self.knowledge)
        let fleet = GitHubChecks.FleetRunners(namePrefix: nil, ephemeral: nil, labels: labels, minimumVersion: minimum, minimumRequirement: requirement)
        let result = try await probe(server, jit: options["fleet_jit"] as? Bool, fleet: fleet, webhookURL: options["webhook_url"] as? String,
                                     roundTrip: options["jit_roundtrip"] as? Bool ?? false)
        let mine = result.findings.filter { $0.ruleId == rule.id }
        switch example.kind {
        case .triggering:
            for e in example.expect {
                #expect(mine.contains { $0.message.contains(e.message) }, "\(name): no \(rule.id) finding with “\(e.message)” in \(result.findings.map(\.message))")
            }
        case .nonTriggering:
            #expect(mine.isEmpty, "\(name): \(mine.map(\.message))")
        }
    }
}
