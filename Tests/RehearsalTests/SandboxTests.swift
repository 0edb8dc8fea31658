import Foundation
import Rehearsal
import TestSupport
import XCTest

/// The built `ghr-audit` binary (it plays the stubs), or nil with the reason to skip.
enum RehearsalEnvironment {
    static var stub: String? {
        let path = TestPaths.packageRoot.appendingPathComponent(".build/debug/ghr-audit").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static func rehearser(timeout: Double = 20) throws -> Rehearser {
        if let why = Sandbox.unavailableReason() { throw XCTSkip("rehearsal is not available here: \(why)") }
        guard let stub else { throw XCTSkip("the ghr-audit binary is not built (.build/debug/ghr-audit)") }
        return Rehearser(sandbox: Sandbox(stubExecutable: stub, timeout: timeout))
    }

    static func fixture(_ name: String) throws -> String {
        let url = TestPaths.packageRoot.appendingPathComponent("Tests/RehearsalTests/Fixtures/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }
}

final class SandboxTests: XCTestCase {
    func testTokenOnlyScript() throws {
        let r = try RehearsalEnvironment.rehearser()
        let script = try RehearsalEnvironment.fixture("token-only.sh")
        let run = r.rehearse(script: script, name: "token-only.sh", situation: Situation(secret: .jit, ephemeral: true, jitFlag: "true"), shell: .bash)
        print(run.verdict.text, run.seconds)
        for l in run.runnerTrace { print("  ", l) }
        print(run.output)
    }
}
