import Foundation
import Rehearsal
import TestSupport
import XCTest

/// The built `ghr-audit` binary (it plays the stubs), or a skip with the reason.
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

    static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/RehearsalTests/Fixtures")

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }
}

/// The situations a release creates, named after the release and fleet that produce them.
enum Situations {
    static let v3Persistent = Situation.at(ModuleVersion3.v361, ephemeral: false, jitSetting: nil)
    static let v3Ephemeral = Situation.at(ModuleVersion3.v361, ephemeral: true, jitSetting: nil)
    static let v400Ephemeral = Situation.at(ModuleVersion3.v400, ephemeral: true, jitSetting: nil)
    static let v401Ephemeral = Situation.at(ModuleVersion3.v401, ephemeral: true, jitSetting: nil)
    static let v401OptedOut = Situation.at(ModuleVersion3.v401, ephemeral: true, jitSetting: false)
    static let v401Persistent = Situation.at(ModuleVersion3.v401, ephemeral: false, jitSetting: nil)
    static let all: [(String, Situation)] = [
        ("3.6.1 persistent", v3Persistent), ("3.6.1 ephemeral", v3Ephemeral), ("4.0.0 ephemeral", v400Ephemeral),
        ("4.0.1 ephemeral", v401Ephemeral), ("4.0.1 ephemeral, enable_jit_config=false", v401OptedOut), ("4.0.1 persistent", v401Persistent),
    ]
}

import AuditCore
enum ModuleVersion3 {
    static let v361 = ModuleVersion(3, 6, 1)
    static let v400 = ModuleVersion(4, 0, 0)
    static let v401 = ModuleVersion(4, 0, 1)
}

final class SandboxTests: XCTestCase {
    func testSituationsFollowTheRelease() {
        XCTAssertEqual(Situations.v3Ephemeral.secret, .token)
        XCTAssertNil(Situations.v3Ephemeral.jitFlag)
        XCTAssertEqual(Situations.v400Ephemeral.secret, .jit)
        XCTAssertNil(Situations.v400Ephemeral.jitFlag)
        XCTAssertEqual(Situations.v401Ephemeral.secret, .jit)
        XCTAssertEqual(Situations.v401Ephemeral.jitFlag, "true")
        XCTAssertEqual(Situations.v401OptedOut.secret, .token)
        XCTAssertEqual(Situations.v401OptedOut.jitFlag, "false")
        XCTAssertEqual(Situations.v401Persistent.secret, .token)
        XCTAssertEqual(Situations.v401Persistent.jitFlag, "false")
        // enable_jit_config = true on a persistent fleet: the flag is on, the lambda still issues a token.
        let persistentOn = Situation.at(ModuleVersion3.v401, ephemeral: false, jitSetting: true)
        XCTAssertEqual(persistentOn.secret, .token)
        XCTAssertEqual(persistentOn.jitFlag, "true")
    }

    /// Each fixture, in each situation: the verdict key expected (bash as /bin/sh).
    static let expected: [(fixture: String, verdicts: [String])] = [
        ("token-only.sh", ["token-contract", "token-contract", "jit-to-config", "jit-to-config", "token-contract", "token-contract"]),
        ("jit-only.sh", ["token-contract", "token-to-jitconfig", "jit-contract", "jit-contract", "token-to-jitconfig", "token-contract"]),
        ("flag-aware.sh", ["token-contract", "run-without-registration", "run-without-registration", "jit-contract", "token-contract", "token-contract"]),
        ("dash-unsafe.sh", ["token-contract", "token-contract", "jit-to-config", "jit-contract", "token-contract", "token-contract"]),
        ("function-wrapper.sh", ["token-contract", "token-contract", "jit-to-config", "jit-to-config", "token-contract", "token-contract"]),
        ("sourced/start.sh", ["token-contract", "token-contract", "jit-to-config", "jit-contract", "token-contract", "token-contract"]),
    ]

    func testFixturesInEverySituation() throws {
        let r = try RehearsalEnvironment.rehearser()
        for (fixture, verdicts) in Self.expected {
            let script = try RehearsalEnvironment.fixture(fixture)
            let dir = RehearsalEnvironment.fixtures.appendingPathComponent(fixture).deletingLastPathComponent()
            var siblings: [String: Data] = [:]
            for n in try FileManager.default.contentsOfDirectory(atPath: dir.path) where n.hasSuffix(".sh") {
                siblings[n] = FileManager.default.contents(atPath: dir.appendingPathComponent(n).path)
            }
            for ((label, situation), want) in zip(Situations.all, verdicts) {
                let run = r.rehearse(script: script, name: (fixture as NSString).lastPathComponent, siblings: siblings, situation: situation, shell: .bash)
                XCTAssertEqual(run.verdict.key, want, "\(fixture), \(label): \(run.verdict.text)\n\(run.runnerTrace.joined(separator: "\n"))\n\(run.output)")
                XCTAssertLessThan(run.seconds, 10, "\(fixture), \(label)")
            }
        }
    }

    /// `/bin/sh` as dash: `==` inside `[` fails, so the JIT branch is never taken and the JIT
    /// config reaches `config.sh`; the same script under bash follows the JIT contract.
    func testDashBreaksWhatBashRuns() throws {
        let r = try RehearsalEnvironment.rehearser()
        let script = try RehearsalEnvironment.fixture("dash-unsafe.sh")
        let bash = r.rehearse(script: script, name: "start.sh", situation: Situations.v401Ephemeral, shell: .bash)
        let dash = r.rehearse(script: script, name: "start.sh", situation: Situations.v401Ephemeral, shell: .dash)
        XCTAssertEqual(bash.verdict, .jitContract, bash.runnerTrace.joined(separator: "\n"))
        XCTAssertEqual(dash.verdict, .jitToConfig, dash.runnerTrace.joined(separator: "\n") + dash.output)
        XCTAssertTrue(dash.output.contains("unexpected operator"), dash.output)
    }

    /// The wrong value is named at the runner call and no output shows the JIT config whole.
    func testNoFullJITConfigInTheTraceSummary() throws {
        let r = try RehearsalEnvironment.rehearser()
        let run = r.rehearse(script: try RehearsalEnvironment.fixture("token-only.sh"), name: "s.sh", situation: Situations.v401Ephemeral, shell: .bash)
        XCTAssertEqual(run.verdict, .jitToConfig)
        XCTAssertEqual(run.decisive?.tool, "config.sh")
        let shown = run.runnerTrace.joined(separator: "\n") + run.output + run.verdict.text
        XCTAssertFalse(shown.contains(FakeSecrets.jitConfig), shown)
        XCTAssertFalse(shown.contains(FakeSecrets.token), shown)
        XCTAssertTrue(shown.contains("<JIT config,"), shown)
    }

    /// A script that never gets its value loops until the timeout; one that downloads needs the
    /// network; one that calls what the stubs do not model says so.
    func testTimeoutNetworkAndUnmodelled() throws {
        let r = try RehearsalEnvironment.rehearser(timeout: 3)
        let loop = "#!/bin/bash\nwhile true; do v=$(aws ssm get-parameter --name /nowhere --query Parameter.Value --output text 2>/dev/null || true); [ -n \"$v\" ] && break; sleep 1; done\n"
        let timed = r.rehearse(script: loop, name: "loop.sh", situation: Situations.v401Ephemeral, shell: .bash)
        guard case .neverStarts(let why) = timed.verdict else { return XCTFail("\(timed.verdict)") }
        XCTAssertTrue(why.contains("after 3 s"), why)

        let download = "#!/bin/bash -e\ncurl -fsSL -o /tmp/r.tgz https://github.com/actions/runner/releases/download/v2.300.0/r.tgz\n/opt/actions-runner/run.sh\n"
        let d = r.rehearse(script: download, name: "dl.sh", situation: Situations.v401Ephemeral, shell: .bash)
        guard case .notRehearsable(let reason) = d.verdict else { return XCTFail("\(d.verdict)") }
        XCTAssertTrue(reason.contains("network"), reason)

        let odd = "#!/bin/bash -e\naws ec2 describe-instances --instance-ids i-1\n"
        let u = r.rehearse(script: odd, name: "odd.sh", situation: Situations.v401Ephemeral, shell: .bash)
        guard case .notRehearsable(let r2) = u.verdict else { return XCTFail("\(u.verdict)") }
        XCTAssertTrue(r2.contains("describe-instances"), r2)
    }

    /// `logger` without a message reads its standard input to the end: a script whose output goes
    /// through `exec > >(tee … | logger …)` (as boot scripts log) is not killed by SIGPIPE.
    func testLoggerReadsItsInput() throws {
        let r = try RehearsalEnvironment.rehearser(timeout: 10)
        let script = "#!/bin/bash -e\nexec > >(tee /var/log/boot.log | logger -t boot -s 2>/dev/null) 2>&1\nsleep 1\nfor i in $(seq 2000); do echo \"line $i\"; done\nlogger -t boot \"a message\"\n"
        let run = r.rehearse(script: script, name: "log.sh", situation: Situations.v401Ephemeral, shell: .bash)
        let exit = try XCTUnwrap(run.trace.last { $0.tool == "script" }, "\(run.trace.map(\.summary))")
        XCTAssertEqual(exit.status, 0, run.output)
        XCTAssertEqual(run.trace.filter { $0.tool == "logger" }.count, 2)
    }

    /// The sandbox has no network, a read-only host, and private writable folders.
    func testSandboxIsolation() throws {
        let r = try RehearsalEnvironment.rehearser(timeout: 10)
        let probe = """
        #!/bin/bash
        touch /etc/rehearsal-probe 2>/dev/null && echo "etc writable" || echo "etc read-only"
        touch /tmp/x && echo "tmp writable"
        touch /opt/actions-runner/x && echo "runner writable"
        (exec 3<>/dev/tcp/1.1.1.1/53) 2>/dev/null && echo "network open" || echo "network closed"
        echo "sh is $(readlink -f /bin/sh)"
        type curl
        """
        let run = r.rehearse(script: probe, name: "probe.sh", situation: Situations.v401Ephemeral, shell: .dash)
        XCTAssertTrue(run.output.contains("etc read-only"), run.output)
        XCTAssertTrue(run.output.contains("tmp writable"), run.output)
        XCTAssertTrue(run.output.contains("runner writable"), run.output)
        XCTAssertTrue(run.output.contains("network closed"), run.output)
        // /bin/sh resolves (through the sandbox's command folder) to the host's dash.
        let shLine = run.output.split(separator: "\n").first { $0.hasPrefix("sh is ") } ?? ""
        XCTAssertTrue(shLine.hasSuffix("/dash"), run.output)
        XCTAssertTrue(run.output.contains("/run/ghr-rehearsal/bin/curl"), run.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/rehearsal-probe"))
    }

    /// The process limit stops a fork bomb inside the sandbox.
    func testProcessLimit() throws {
        let r = try RehearsalEnvironment.rehearser(timeout: 4)
        let bomb = "#!/bin/bash\nfor i in $(seq 400); do tail -f /dev/null & [ $? -eq 0 ] || { echo \"stopped at $i\"; break; }; done\n"
        let run = r.rehearse(script: bomb, name: "bomb.sh", situation: Situations.v401Ephemeral, shell: .bash)
        XCTAssertTrue(run.output.contains("stopped at") || run.output.contains("fork"), run.output)
    }
}
