import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Rehearsal
import Rules
import TestSupport
import XCTest

/// The rehearsal's findings go through the gate like any rule's: inline `ghr-audit:ignore`
/// directives (in the start script or in a helper file it sources) and baselines dismiss them.
final class RehearsalGateTests: XCTestCase {
    static let knowledge = FleetRehearsalTests.knowledge

    static func audit(_ files: [String: String], target: String, rehearse: Bool = true) throws -> AuditResult {
        let selection = try XCTUnwrap(TargetSelection(target))
        let rules: [any Rule] = rehearse ? RuleRegistry.all + [RehearsalRule(FleetRehearsals(rehearser: try RehearsalEnvironment.rehearser()))] : RuleRegistry.all
        return Auditor(knowledge: knowledge, rules: rules).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: selection))
    }

    /// The RHS-501 catalogue example (a token-only script on a JIT fleet at 4.1.0).
    static func example() throws -> [String: String] {
        let rule = try XCTUnwrap(knowledge.rule(id: "RHS-501"))
        return try XCTUnwrap(rule.examples.first { $0.kind == .triggering }).materialise().0
    }

    func testInlineSuppressionInTheStartScript() throws {
        var files = try Self.example()
        let script = try XCTUnwrap(files["user-data.sh"])
        files["user-data.sh"] = script.replacingOccurrences(
            of: "./config.sh --unattended", with: "# ghr-audit:ignore RHS-501 -- AMI replaced before the upgrade\n./config.sh --unattended")
        let result = try Self.audit(files, target: "4.1.0")
        XCTAssertFalse(result.report.findings.contains { $0.ruleId == "RHS-501" }, "\(result.report.findings.map(\.message))")
        let dismissed = try XCTUnwrap(result.report.dismissed.first { $0.finding.ruleId == "RHS-501" })
        XCTAssertEqual(dismissed.kind, .inSource)
        XCTAssertEqual(dismissed.justification, "AMI replaced before the upgrade")
        XCTAssertFalse(result.report.findings.contains { $0.ruleId == "CORE-013" }, "\(result.report.findings.map(\.message))")

        // Without the rehearsal the directive is not reported as unused (nothing could match it).
        let plain = try Self.audit(files, target: "4.1.0", rehearse: false)
        XCTAssertFalse(plain.report.findings.contains { $0.ruleId == "CORE-013" }, "\(plain.report.findings.map(\.message))")
        XCTAssertFalse(plain.report.findings.contains { $0.ruleId.hasPrefix("RHS-") })

        // With the rehearsal, a directive for a script that follows its contract is unused.
        var fine = files
        fine["main.tf"] = try XCTUnwrap(fine["main.tf"]).replacingOccurrences(of: "enable_ephemeral_runners = true", with: "enable_ephemeral_runners = true\n  enable_jit_config        = false")
        let unused = try Self.audit(fine, target: "4.1.0")
        XCTAssertTrue(unused.report.findings.contains { $0.ruleId == "CORE-013" && $0.message.contains("RHS-501") }, "\(unused.report.findings.map(\.message))")
    }

    /// A directive next to the runner call inside a sourced helper file covers the finding there.
    func testInlineSuppressionInASourcedHelper() throws {
        let start = try RehearsalEnvironment.fixture("sourced/start.sh")
        let lib = try RehearsalEnvironment.fixture("sourced/runner-lib.sh")
        let suppressed = lib.replacingOccurrences(of: "    ./config.sh --unattended", with: "    # ghr-audit:ignore RHS-501 -- fleet pinned to 3.x images\n    ./config.sh --unattended")
        XCTAssertNotEqual(suppressed, lib)
        let files = RehearsalLocationTests.packerRepo(version: "4.0.0", files: ["images/boot/start.sh": start, "images/boot/runner-lib.sh": suppressed],
                                                      provisioned: [("boot/runner-lib.sh", "/opt/boot/runner-lib.sh"),
                                                                    ("boot/start.sh", "/var/lib/cloud/scripts/per-boot/start.sh")])
        let result = try Self.audit(files, target: "4.0.0")
        XCTAssertFalse(result.report.findings.contains { $0.ruleId == "RHS-501" }, "\(result.report.findings.map { "\($0.ruleId) \($0.location.path):\($0.location.start.line) \($0.message)" })")
        let d = try XCTUnwrap(result.report.dismissed.first { $0.finding.ruleId == "RHS-501" })
        XCTAssertEqual(d.finding.location.path, "images/boot/runner-lib.sh")
    }

    /// A baseline written from one run accepts the rehearsal's findings of the next.
    func testBaseline() throws {
        let files = try Self.example()
        let first = try Self.audit(files, target: "4.1.0")
        let rhs = first.report.findings.filter { $0.ruleId == "RHS-501" }
        XCTAssertEqual(rhs.count, 1, "\(first.report.findings.map(\.message))")
        let baseline = try Baseline.load(Baseline.make(first.report.findings))
        let second = try Self.audit(files, target: "4.1.0")
        let gated = AuditRun.gated(second.report, by: [BaselineInUse(baseline, shown: "baseline.json", hostPath: "")],
                                   legacyFingerprints: second.legacyFingerprints)
        XCTAssertFalse(gated.findings.contains { $0.ruleId == "RHS-501" })
        let d = try XCTUnwrap(gated.dismissed.first { $0.finding.ruleId == "RHS-501" })
        XCTAssertEqual(d.kind, .external)
        XCTAssertTrue(d.justification.contains("baseline.json"), d.justification)
        // A baseline without the finding keeps it.
        let other = try Baseline.load(Baseline.make(first.report.findings.filter { $0.ruleId != "RHS-501" }))
        XCTAssertTrue(AuditRun.gated(second.report, by: [BaselineInUse(other, shown: "b", hostPath: "")]).findings.contains { $0.ruleId == "RHS-501" })
    }
}
