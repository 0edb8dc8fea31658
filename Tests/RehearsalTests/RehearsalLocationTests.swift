import AuditCore
import Engine
import Foundation
import Knowledge
import Rehearsal
import Rules
import TestSupport
import XCTest

/// Where a rehearsal finding points: at the runner call that received the wrong value, in the file
/// that holds it (a sourced helper, a function), with how the boot reaches it as related notes.
final class RehearsalLocationTests: XCTestCase {
    /// 1-based line and column of the first `needle` in `text` (after `after`, when given).
    static func position(of needle: String, in text: String, after: String? = nil) throws -> (line: Int, column: Int) {
        var searchStart = text.startIndex
        if let after { searchStart = try XCTUnwrap(text.range(of: after)).upperBound }
        let r = try XCTUnwrap(text.range(of: needle, range: searchStart..<text.endIndex), "`\(needle)` not in the fixture")
        let before = text[..<r.lowerBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let lineStart = before.lastIndex(of: "\n").map { before.index(after: $0) } ?? text.startIndex
        return (line, text.distance(from: lineStart, to: r.lowerBound) + 1)
    }

    static func packerRepo(version: String, files: [String: String], provisioned: [(source: String, destination: String)]) -> [String: String] {
        var out = files
        out["main.tf"] = """
        module "runners" {
          source                   = "github-aws-runners/github-runner/aws"
          version                  = "\(version)"
          enable_ephemeral_runners = true
          enable_userdata          = false
          ami_filter               = { name = ["al2023-runner-*"] }
        }
        """
        out["images/runner.pkr.hcl"] = """
        source "amazon-ebs" "runner" {
          ami_name = "al2023-runner-{{timestamp}}"
        }
        build {
          sources = ["source.amazon-ebs.runner"]
        \(provisioned.map { "  provisioner \"file\" {\n    source      = \"\($0.source)\"\n    destination = \"\($0.destination)\"\n  }" }.joined(separator: "\n"))
        }
        """
        return out
    }

    /// The helper file start.sh sources holds the `config.sh` call: the finding is there, and the
    /// `.` line of start.sh and the call of the function are related notes.
    func testSourcedHelperFile() throws {
        let start = try RehearsalEnvironment.fixture("sourced/start.sh")
        let lib = try RehearsalEnvironment.fixture("sourced/runner-lib.sh")
        let files = Self.packerRepo(version: "4.0.0", files: ["images/boot/start.sh": start, "images/boot/runner-lib.sh": lib],
                                    provisioned: [("boot/runner-lib.sh", "/opt/boot/runner-lib.sh"),
                                                  ("boot/start.sh", "/var/lib/cloud/scripts/per-boot/start.sh")])
        let (fleets, findings) = try FleetRehearsalTests.rehearse(files, target: "4.0.0")
        XCTAssertEqual(fleets.flatMap(\.runs).map(\.verdict), [.jitToConfig], "\(fleets.map { "\($0.script ?? "-"): \($0.skipped ?? "")" })")
        let f = try XCTUnwrap(findings.first { $0.ruleId == "RHS-501" }, "\(findings.map(\.message))")
        let call = try Self.position(of: "./config.sh", in: lib)
        XCTAssertEqual(f.location.path, "images/boot/runner-lib.sh")
        XCTAssertEqual(f.location.start.line, call.line)
        XCTAssertEqual(f.location.start.column, call.column)
        let source = try Self.position(of: ". \"$(dirname", in: start)
        let sourced = try XCTUnwrap(f.related.first { $0.message.contains("is sourced here") }, "\(f.related.map(\.message))")
        XCTAssertEqual(sourced.location.path, "images/boot/start.sh")
        XCTAssertEqual(sourced.location.start.line, source.line)
        let called = try XCTUnwrap(f.related.first { $0.message.contains("function `start_runner`") }, "\(f.related.map(\.message))")
        XCTAssertEqual(called.location.path, "images/boot/start.sh")
        XCTAssertEqual(called.location.start.line, try Self.position(of: "start_runner", in: start).line)
        // The runner trace sits at the call too.
        XCTAssertTrue(f.related.contains { $0.message.hasPrefix("rehearsal: `config.sh") && $0.location.path == "images/boot/runner-lib.sh" })
    }

    /// Every runner command goes through wrapper functions: the finding is at `./config.sh` inside
    /// `register`, and the line calling `register` is a note.
    func testFunctionWrapper() throws {
        let script = try RehearsalEnvironment.fixture("function-wrapper.sh")
        let files = Self.packerRepo(version: "4.1.0", files: ["images/start-runner.sh": script],
                                    provisioned: [("start-runner.sh", "/var/lib/cloud/scripts/per-boot/start-runner.sh")])
        let (fleets, findings) = try FleetRehearsalTests.rehearse(files, target: "4.1.0")
        XCTAssertEqual(fleets.flatMap(\.runs).map(\.verdict), [.jitToConfig])
        let f = try XCTUnwrap(findings.first { $0.ruleId == "RHS-501" })
        let call = try Self.position(of: "./config.sh", in: script)
        XCTAssertEqual([f.location.path, "\(f.location.start.line):\(f.location.start.column)"], ["images/start-runner.sh", "\(call.line):\(call.column)"])
        let note = try XCTUnwrap(f.related.first { $0.message.contains("function `register`") }, "\(f.related.map(\.message))")
        XCTAssertEqual(note.location.start.line, try Self.position(of: "register \"$value\"", in: script).line)
    }
}
