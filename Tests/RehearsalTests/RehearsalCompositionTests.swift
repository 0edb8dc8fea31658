import AuditCore
import Engine
import Foundation
import Knowledge
import Rehearsal
import Rules
import TestSupport
import XCTest

/// Templates around a start script (`${start_runner}`, with `${pre_install}`, `${install_runner}`,
/// `${post_install}`) are rendered as Terraform's `templatefile` would, with the start script
/// inlined, and the composed script is what runs.
final class RehearsalCompositionTests: XCTestCase {
    /// A Packer template renders our own wrapper with a start script as `start_runner`, as the
    /// module's images do; `start` is the fixture used as the start script.
    static func packerRepo(start: String, version: String, amiFilter: String = "al2023-runner-*") throws -> [String: String] {
        [
            "main.tf": """
            module "runners" {
              source                   = "github-aws-runners/github-runner/aws"
              version                  = "\(version)"
              enable_ephemeral_runners = true
              enable_userdata          = false
              ami_filter               = { name = ["\(amiFilter)"] }
            }
            """,
            "images/al2023/runner.pkr.hcl": bakingTemplate(amiFilter: amiFilter, startScript: "../../boot/start-runner.sh"),
            "images/start-runner.sh": try RehearsalEnvironment.fixture("composed/packer-wrapper.sh"),
            "boot/start-runner.sh": try RehearsalEnvironment.fixture(start),
        ]
    }

    /// A Packer template (in `images/al2023/`) that bakes `images/start-runner.sh` rendered with
    /// `startScript` (relative to the template) as `start_runner` into the boot folder.
    static func bakingTemplate(amiFilter: String, startScript: String) -> String {
        """
        source "amazon-ebs" "runner" {
          ami_name = "\(amiFilter.replacingOccurrences(of: "*", with: "{{timestamp}}"))"
        }
        build {
          sources = ["source.amazon-ebs.runner"]
          provisioner "file" {
            content = templatefile("../start-runner.sh", {
              start_runner = templatefile("\(startScript)", { metadata_tags = "enabled" })
            })
            destination = "/var/lib/cloud/scripts/per-boot/start-runner.sh"
          }
        }
        """
    }

    func testPackerWrapperRunsWithTheStartScriptInlined() throws {
        // A token-only start script baked into the AMI: at 4.1.0 the JIT config reaches config.sh.
        let files = try Self.packerRepo(start: "token-only.sh", version: "4.1.0")
        let (fleets, findings) = try FleetRehearsalTests.rehearse(files, target: "4.1.0")
        let runs = fleets.flatMap(\.runs)
        XCTAssertEqual(runs.map(\.verdict), [.jitToConfig], "\(fleets.map { "\($0.script ?? "-"): \($0.skipped ?? "")" })")
        // The wrapper ran: its `logger` call is in the trace, before the runner's.
        let run = try XCTUnwrap(runs.first)
        XCTAssertEqual(run.trace.first?.tool, "logger", "\(run.trace.map(\.tool))")
        let f = try XCTUnwrap(findings.first { $0.ruleId == "RHS-501" })
        let start = try RehearsalEnvironment.fixture("token-only.sh")
        let call = try RehearsalLocationTests.position(of: "./config.sh", in: start)
        XCTAssertEqual([f.location.path, "\(f.location.start.line)"], ["boot/start-runner.sh", "\(call.line)"])
        let inlined = try XCTUnwrap(f.related.first { $0.message.contains("is inlined here through `${start_runner}`") }, "\(f.related.map(\.message))")
        XCTAssertEqual(inlined.location.path, "images/start-runner.sh")
        XCTAssertEqual(inlined.location.start.line, try RehearsalLocationTests.position(of: "${start_runner}", in: try RehearsalEnvironment.fixture("composed/packer-wrapper.sh")).line)

        // The flag-aware start script in the same wrapper follows the JIT contract.
        let good = try Self.packerRepo(start: "flag-aware.sh", version: "4.1.0")
        let (goodFleets, goodFindings) = try FleetRehearsalTests.rehearse(good, target: "4.1.0")
        XCTAssertEqual(goodFleets.flatMap(\.runs).map(\.verdict), [.jitContract])
        XCTAssertTrue(goodFindings.isEmpty, "\(goodFindings.map(\.message))")
    }

    /// A `userdata_template` with `${start_runner}` around the start script of the repository's
    /// copy of the module: rendered with the fleet's pre- and post-install commands.
    func testUserdataTemplateWithTheVendoredModulesStartScript() throws {
        var files: [String: String] = [
            "main.tf": """
            module "runners" {
              source                   = "./vendor/github-runner"
              enable_ephemeral_runners = true
              userdata_template        = "./user-data.sh"
              userdata_pre_install     = "logger -t pre-install before"
              userdata_post_install    = "logger -t post-install after"
            }
            """,
            "user-data.sh": try RehearsalEnvironment.fixture("composed/user-data.sh"),
            "vendor/github-runner/CHANGELOG.md": "# Changelog\n\n## [4.1.0](https://example.invalid/compare/v4.0.1...v4.1.0) (2024-01-01)\n",
            "vendor/github-runner/main.tf": "variable \"prefix\" {\n  type = string\n}\n",
            "vendor/github-runner/modules/runners/variables.tf": "variable \"sqs_build_queue\" {\n  type = any\n}\n",
            "vendor/github-runner/modules/runners/templates/start-runner.sh": try RehearsalEnvironment.fixture("flag-aware.sh"),
        ]
        let (fleets, findings) = try FleetRehearsalTests.rehearse(files, target: "4.1.0")
        let runs = fleets.flatMap(\.runs)
        XCTAssertEqual(runs.map(\.verdict), [.jitContract], "\(fleets.map { "\($0.script ?? "-"): \($0.skipped ?? "")" })")
        let run = try XCTUnwrap(runs.first)
        // pre_install, the wrapper's own command, post_install, then the start script, in order.
        let loggers = run.trace.filter { $0.tool == "logger" }.map { $0.args.joined(separator: " ") }
        XCTAssertEqual(loggers, ["-t pre-install before", "-t post-install after"], "\(run.trace.map(\.summary))")
        XCTAssertTrue(run.trace.contains { $0.tool == "yum" })
        XCTAssertFalse(findings.contains { $0.ruleId.hasPrefix("RHS-") }, "\(findings.map(\.message))")

        // The copy's start script replaced by a token-only one: the finding is in the copy.
        files["vendor/github-runner/modules/runners/templates/start-runner.sh"] = try RehearsalEnvironment.fixture("token-only.sh")
        let (_, bad) = try FleetRehearsalTests.rehearse(files, target: "4.1.0")
        let f = try XCTUnwrap(bad.first { $0.ruleId == "RHS-501" }, "\(bad.map(\.message))")
        XCTAssertEqual(f.location.path, "vendor/github-runner/modules/runners/templates/start-runner.sh")
        XCTAssertTrue(f.related.contains { $0.location.path == "user-data.sh" && $0.message.contains("${start_runner}") })

        // Without a copy of the module, the module's own start script is not in the repository.
        files = files.filter { !$0.key.hasPrefix("vendor/") }
        files["main.tf"] = try XCTUnwrap(files["main.tf"]).replacingOccurrences(of: "\"./vendor/github-runner\"", with: "\"github-aws-runners/github-runner/aws\"\n  version                  = \"4.1.0\"")
        let (skipped, notes) = try FleetRehearsalTests.rehearse(files, target: "4.1.0")
        XCTAssertTrue(skipped.allSatisfy { $0.runs.isEmpty })
        XCTAssertTrue(notes.contains { $0.ruleId == "RHS-502" && $0.message.contains("no copy of the module in the repository") }, "\(notes.map(\.message))")
    }
}
