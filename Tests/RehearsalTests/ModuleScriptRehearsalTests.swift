import AuditCore
import Foundation
import Rehearsal
import TestSupport
import XCTest

/// The module's own start scripts, read from a local git mirror of terraform-aws-github-runner
/// (`GHR_AUDIT_MIRROR`, else the development machine's conventional path), baked as the module's
/// images bake them (its `images/start-runner.sh` wrapper rendered with the release's
/// `modules/runners/templates/start-runner.sh` as `start_runner`) and rehearsed as a fleet of the
/// repository would be. Skipped when no mirror is configured. Nothing from the mirror is stored in
/// this project.
final class ModuleScriptRehearsalTests: XCTestCase {
    static func mirror() throws -> String {
        guard let path = TestPaths.mirrorPath else {
            throw XCTSkip("no mirror of the module: set \(TestPaths.mirrorVariable) to a git mirror of github-aws-runners/terraform-aws-github-runner")
        }
        return path
    }

    /// `git show TAG:PATH` from the mirror.
    static func show(_ tag: String, _ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "--git-dir", try mirror(), "show", "\(tag):\(path)"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("the mirror has no \(tag):\(path)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A repository whose AMI is baked from the module's scripts at `scriptTag`, with fleets of
    /// the module at `version` (`name = settings`).
    static func repo(scriptTag: String, version: String, amiFilter: String = "al2023-runner-*", fleets: [(String, String)]) throws -> [String: String] {
        let calls = fleets.map { name, settings in
            """
            module "\(name)" {
              source          = "github-aws-runners/github-runner/aws"
              version         = "\(version)"
              enable_userdata = false
              ami_filter      = { name = ["\(amiFilter)"] }
              \(settings)
            }
            """
        }
        return [
            "main.tf": calls.joined(separator: "\n"),
            "images/al2023/runner.pkr.hcl": RehearsalCompositionTests.bakingTemplate(amiFilter: amiFilter, startScript: "../../modules/runners/templates/start-runner.sh"),
            "images/start-runner.sh": try show(scriptTag, "images/start-runner.sh"),
            "modules/runners/templates/start-runner.sh": try show(scriptTag, "modules/runners/templates/start-runner.sh"),
        ]
    }

    /// Verdict keys by fleet name.
    static func verdicts(_ files: [String: String], target: String) throws -> [String: [String]] {
        let (fleets, _) = try FleetRehearsalTests.rehearse(files, target: target)
        var out: [String: [String]] = [:]
        for f in fleets {
            XCTAssertNil(f.skipped, "\(f.fleet): \(f.skipped ?? "")")
            out[f.fleet, default: []] += f.runs.map { "\($0.verdict.key) (\($0.shell.rawValue))" }
        }
        return out
    }

    static let ephemeral = ("ephemeral", "enable_ephemeral_runners = true")
    static let persistent = ("persistent", "")
    static let optedOut = ("opted_out", "enable_ephemeral_runners = true\n  enable_jit_config = false")

    /// 3.6.1: the token contract for every fleet.
    func testV361FollowsTheTokenContract() throws {
        _ = try Self.mirror()
        let v = try Self.verdicts(try Self.repo(scriptTag: "v3.6.1", version: "3.6.1", fleets: [Self.ephemeral, Self.persistent]), target: "3.6.1")
        XCTAssertEqual(v, ["module.ephemeral": ["token-contract (bash)"], "module.persistent": ["token-contract (bash)"]])
        // The same AMI under 4.0.0: the JIT config reaches config.sh.
        let up = try Self.verdicts(try Self.repo(scriptTag: "v3.6.1", version: "4.0.0", fleets: [Self.ephemeral]), target: "4.0.0")
        XCTAssertEqual(up, ["module.ephemeral": ["jit-to-config (bash)"]])
    }

    /// 4.0.0: JIT for ephemeral runners, the token contract for persistent ones.
    func testV400FollowsTheJITContract() throws {
        _ = try Self.mirror()
        let v = try Self.verdicts(try Self.repo(scriptTag: "v4.0.0", version: "4.0.0", fleets: [Self.ephemeral, Self.persistent]), target: "4.0.0")
        XCTAssertEqual(v, ["module.ephemeral": ["jit-contract (bash)"], "module.persistent": ["token-contract (bash)"]])
    }

    /// 4.0.1: honours enable_jit_config; without the parameter (a 4.0.1 image on a 4.0.0 fleet)
    /// it never registers; under dash (Ubuntu) its service script takes the non-JIT branch.
    func testV401MissingFlagAndDash() throws {
        _ = try Self.mirror()
        let v = try Self.verdicts(try Self.repo(scriptTag: "v4.0.1", version: "4.0.1", fleets: [Self.ephemeral, Self.persistent, Self.optedOut]), target: "4.0.1")
        XCTAssertEqual(v, ["module.ephemeral": ["jit-contract (bash)"], "module.persistent": ["token-contract (bash)"],
                           "module.opted_out": ["token-contract (bash)"]])
        let missing = try Self.verdicts(try Self.repo(scriptTag: "v4.0.1", version: "4.0.0", fleets: [Self.ephemeral]), target: "4.0.0")
        XCTAssertEqual(missing, ["module.ephemeral": ["run-without-registration (bash)"]])
        let ubuntu = try Self.verdicts(try Self.repo(scriptTag: "v4.0.1", version: "4.0.1", amiFilter: "ubuntu-jammy-runner-*", fleets: [Self.ephemeral]), target: "4.0.1")
        XCTAssertEqual(ubuntu, ["module.ephemeral": ["run-without-registration (dash)"]])
    }
}
