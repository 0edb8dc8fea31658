import AuditCore
import Engine
import Foundation
import Knowledge
import Rehearsal
import Rules
import TestSupport
import XCTest

/// Whole repositories: the catalogue examples of the RHS rules, run through the audit and the
/// rehearsal (they are `runnable: false` for the static example runner).
final class FleetRehearsalTests: XCTestCase {
    static let knowledge = try! KnowledgeBase.load()

    static func rehearse(_ files: [String: String], target: String, shells: ShellChoice = .auto) throws -> (fleets: [FleetRehearsal], findings: [Finding]) {
        let r = try RehearsalEnvironment.rehearser()
        let selection = try XCTUnwrap(TargetSelection(target))
        let result = Auditor(knowledge: Self.knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: selection))
        return FleetRehearsals(rehearser: r, shells: shells).rehearse(result.ruleContext(knowledge: Self.knowledge, target: selection))
    }

    func testCatalogueExamples() throws {
        _ = try RehearsalEnvironment.rehearser()
        let rules = Self.knowledge.rules.filter { $0.id.hasPrefix("RHS-") }
        XCTAssertEqual(Set(rules.map(\.id)), ["RHS-501", "RHS-502"])
        for rule in rules {
            XCTAssertTrue(rule.tags.contains(.rehearsal), rule.id)
            for example in rule.examples {
                let (files, markers) = example.materialise()
                let (_, findings) = try Self.rehearse(files, target: example.target.map { "\($0)" } ?? "latest")
                let mine = findings.filter { $0.ruleId == rule.id }
                switch example.kind {
                case .triggering:
                    for e in example.expect {
                        let m = try XCTUnwrap(markers[e.marker])
                        XCTAssertTrue(mine.contains { $0.message.contains(e.message) && $0.location.path == m.path && $0.location.start.line == m.line && $0.location.start.column == m.column },
                                      "\(rule.id)/\(example.name): want “\(e.message)” at \(m.path):\(m.line):\(m.column), got \(mine.map { "\($0.location.start.line):\($0.location.start.column) \($0.message)" })")
                    }
                case .nonTriggering:
                    XCTAssertTrue(mine.isEmpty, "\(rule.id)/\(example.name): \(mine.map(\.message))")
                }
            }
        }
    }

    /// A fleet with an Ubuntu AMI filter is rehearsed with dash as /bin/sh; the dash-only failure
    /// is an error the static reading does not report, and the finding says so.
    func testUbuntuFleetRunsUnderDashAndDisagreesWithStaticReading() throws {
        let script = try RehearsalEnvironment.fixture("dash-unsafe.sh")
        let files = [
            "main.tf": """
            module "runners" {
              source                   = "github-aws-runners/github-runner/aws"
              version                  = "4.1.0"
              enable_ephemeral_runners = true
              enable_userdata          = false
              ami_filter               = { name = ["ubuntu-jammy-runner-*"] }
            }
            """,
            "packer/ubuntu.pkr.hcl": """
            source "amazon-ebs" "runner" {
              ami_name = "ubuntu-jammy-runner-{{timestamp}}"
            }
            build {
              sources = ["source.amazon-ebs.runner"]
              provisioner "file" {
                source      = "start-runner.sh"
                destination = "/var/lib/cloud/scripts/per-boot/start-runner.sh"
              }
            }
            """,
            "packer/start-runner.sh": script,
        ]
        let (fleets, findings) = try Self.rehearse(files, target: "4.1.0")
        let runs = fleets.flatMap(\.runs)
        XCTAssertEqual(runs.map(\.shell), [.dash], "\(fleets.map { $0.skipped ?? "" })")
        XCTAssertEqual(runs.first?.verdict, .jitToConfig)
        let f = try XCTUnwrap(findings.first { $0.ruleId == "RHS-501" })
        XCTAssertTrue(f.message.contains("/bin/sh is dash"), f.message)
        XCTAssertTrue(f.detail?.contains("the rehearsal shows otherwise") == true, f.detail ?? "")
        XCTAssertTrue(f.tags.contains("rehearsal") && f.tags.contains("jit"), "\(f.tags)")
        XCTAssertTrue(f.related.contains { $0.message.hasPrefix("rehearsal: `config.sh") }, "\(f.related.map(\.message))")
        // The same repository with bash forced follows the JIT contract.
        let (bashFleets, bashFindings) = try Self.rehearse(files, target: "4.1.0", shells: .bash)
        XCTAssertEqual(bashFleets.flatMap(\.runs).map(\.verdict), [.jitContract])
        XCTAssertTrue(bashFindings.isEmpty, "\(bashFindings.map(\.message))")
    }

    /// Fleets rehearsal cannot run say why: the module's own script, Windows.
    func testSkippedFleetsSayWhy() throws {
        let files = [
            "main.tf": """
            module "linux" {
              source  = "github-aws-runners/github-runner/aws"
              version = "4.1.0"
            }
            module "windows" {
              source    = "github-aws-runners/github-runner/aws"
              version   = "4.1.0"
              runner_os = "windows"
            }
            """,
        ]
        let (fleets, findings) = try Self.rehearse(files, target: "4.1.0")
        XCTAssertEqual(fleets.count, 2)
        XCTAssertTrue(fleets.allSatisfy { $0.runs.isEmpty })
        XCTAssertTrue(fleets.contains { $0.skipped?.contains("module's own start script") == true }, "\(fleets.map(\.skipped))")
        XCTAssertTrue(fleets.contains { $0.skipped?.contains("PowerShell is not rehearsed") == true }, "\(fleets.map(\.skipped))")
        XCTAssertTrue(findings.isEmpty)
    }

    /// No report shows the JIT config or the token whole.
    func testFindingsCarryNoSecret() throws {
        let rule = try XCTUnwrap(Self.knowledge.rule(id: "RHS-501"))
        let (files, _) = try XCTUnwrap(rule.examples.first { $0.kind == .triggering }).materialise()
        let (_, findings) = try Self.rehearse(files, target: "4.1.0")
        XCTAssertFalse(findings.isEmpty)
        let text = findings.map { [$0.message, $0.detail ?? ""] + $0.related.map(\.message) }.joined().joined(separator: "\n")
        XCTAssertFalse(text.contains(FakeSecrets.jitConfig))
        XCTAssertFalse(text.contains(FakeSecrets.token))
        XCTAssertFalse(text.contains(String(FakeSecrets.jitConfig.prefix(40))))
    }
}

/// The README's rehearsal example is the real output for `Tests/RehearsalTests/Fixtures/readme-repo`.
final class RehearsalReadmeTests: XCTestCase {
    func testReadmeExample() throws {
        let r = try RehearsalEnvironment.rehearser()
        let knowledge = FleetRehearsalTests.knowledge
        let repo = LocalFileSystem(root: RehearsalEnvironment.fixtures.appendingPathComponent("readme-repo"))
        let target = try XCTUnwrap(TargetSelection("4.1.0"))
        let result = Auditor(knowledge: knowledge).audit(fileSystem: repo, options: AuditOptions(target: target))
        let (fleets, _) = FleetRehearsals(rehearser: r).rehearse(result.ruleContext(knowledge: knowledge, target: target))
        let text = RehearsalText.render(fleets)
        let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("```\n$ ghr-audit rehearse Tests/RehearsalTests/Fixtures/readme-repo --target 4.1.0\n" + text + "```"),
                      "README rehearsal example is stale; the output is now:\n\(text)")
    }
}
