import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import _CryptoExtras

/// The built `ghr-audit` beside the test bundle (SwiftPM builds every product before testing).
let ghrAuditBinary: URL = {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ghr-audit"),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ghr-audit"),
        packageRoot.appendingPathComponent(".build/debug/ghr-audit"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
}()

struct CLIRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

func runCLI(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 150,
            sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRun {
    let p = Process()
    p.executableURL = ghrAuditBinary
    p.arguments = arguments
    // Hermetic: nothing AWS from the developer's or CI's environment (a stray AWS_ENDPOINT_URL_<SVC>,
    // AWS_PROFILE or role would send the probe elsewhere, beyond loopback), no instance metadata.
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.removeValue(forKey: "GHR_AUDIT_GITHUB_APP_KEY")
    env["NO_COLOR"] = "1"
    env.merge(environment) { $1 }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // The hang bound: a run that outlives `timeout` is killed (its pipes then close) and is a
    // failure that shows what it printed, so a hang costs minutes, never the whole suite.
    let killed = KillSwitch()
    let pid = p.processIdentifier
    let deadline = DispatchWorkItem { if p.isRunning { killed.fire(); kill(pid, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
    // Read both pipes to the end before waiting, so a large report cannot block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    // Polling, not waitUntilExit (which spins on swift-corelibs-foundation off the main thread).
    while p.isRunning { usleep(5_000) }
    deadline.cancel()
    let run = CLIRun(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    if killed.fired {
        Issue.record("`ghr-audit \(arguments.joined(separator: " "))` did not finish within \(Int(timeout)) s and was killed; stderr:\n\(run.stderr)",
                     sourceLocation: sourceLocation)
    }
    return run
}

/// Set once from the timer's thread, read after the child ended.
final class KillSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func fire() { lock.withLock { value = true } }
    var fired: Bool { lock.withLock { value } }
}

@Suite("ghr-audit probe (the command)", .serialized)
struct ProbeCommandTests {
    static let readme = (try? String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    func keyFile(_ pem: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString).pem")
        try pem.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Pieces of the private key that would show a leak: every line of its PEM body, and the
    /// base64 of the whole PEM (how the module stores it).
    func keyFragments(_ pem: String) -> [String] {
        pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }.map(String.init)
            + [Data(pem.utf8).base64EncodedString().prefix(60)].map(String.init)
    }

    @Test func secretsNeverReachOutputOrReports() throws {
        var scenario = Scenario()
        scenario.ghesVersion = "3.12.1"
        scenario.webhook["insecure_ssl"] = "1"
        scenario.runners = [runner(7, "i-07", status: "offline", ephemeral: true)]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let pem = testAppKey.pemRepresentation
        let key = try keyFile(pem)
        defer { try? FileManager.default.removeItem(at: key) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probe-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let formats = ["json", "sarif", "junit", "github", "markdown"]
        var args = ["probe", "--github-url", server.serverURL, "--github-app-id", testAppID, "--github-app-key-file", key.path,
                    "--org", "acme", "--jit-roundtrip", "--fleet-jit", "true", "--runner-labels", "self-hosted,linux,x64", "--fail-on", "warning"]
        for f in formats { args += ["--format", f, "--output", dir.appendingPathComponent("report.\(f)").path] }
        args += ["--format", "text"]
        let run = try runCLI(args)
        #expect(run.status == 1, "findings: \(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("GHP-605"), "\(run.stdout)")
        #expect(run.stderr.contains("JIT round trip passed"), "\(run.stderr)")

        // What the server saw and minted: the App's JWTs, the installation token, the JIT config.
        let secrets = server.secrets
        #expect(server.secrets("jwts").count >= 1)
        #expect(server.secrets("tokens").count == 1)
        #expect(server.secrets("jit_configs").count == 1)
        var outputs = [("stdout", "\(run.stdout)"), ("stderr", "\(run.stderr)")]
        for f in formats { outputs.append((f, try String(contentsOf: dir.appendingPathComponent("report.\(f)"), encoding: .utf8))) }
        for (name, text) in outputs {
            for secret in secrets + keyFragments(pem) {
                #expect(!text.contains(secret), "a secret reached \(name)")
            }
            #expect(!text.contains("PRIVATE KEY"), "key material in \(name)")
        }
    }

    @Test func keyFromTheEnvironmentAndFailuresNameNoSecret() throws {
        var scenario = Scenario()
        scenario.publicKey = try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey  // the server expects another key
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let pem = testAppKey.pkcs8PEMRepresentation
        let base64 = Data(pem.utf8).base64EncodedString()
        let run = try runCLI(["probe", "--github-api-url", server.apiURL, "--github-app-id", testAppID, "--org", "acme"],
                             environment: ["GHR_AUDIT_GITHUB_APP_KEY": base64])
        #expect(run.status == 2)
        #expect(run.stderr.contains("GitHub refused the App's JWT"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        for secret in server.secrets("jwts") + keyFragments(pem) + [String(base64.prefix(60))] {
            #expect(!run.stderr.contains(secret))
        }
        // A key that is not one: the message says so without echoing it.
        let bad = try keyFile("-----BEGIN RSA PRIVATE KEY-----\nTm90QUtleUJ1dFNlY3JldEJ5dGVz\n-----END RSA PRIVATE KEY-----\n")
        defer { try? FileManager.default.removeItem(at: bad) }
        let badRun = try runCLI(["probe", "--github-api-url", server.apiURL, "--github-app-id", testAppID, "--github-app-key-file", bad.path, "--org", "acme"])
        #expect(badRun.status == 2)
        #expect(badRun.stderr.contains("is not an RSA private key"), "\(badRun.stderr)")
        #expect(!badRun.stderr.contains("Tm90QUtleUJ1dFNlY3JldEJ5dGVz"))
        #expect(server.requests.filter { $0.path.hasSuffix("/app") }.count == 1, "no request with a key that does not parse")
    }

    /// With a PATH and no `--github-app-id`/`--org`/`--github-url`/`--runner-labels`, the App id, the
    /// owner, the GHES, the labels and the runner group come from the module call; options override them.
    @Test func appServerLabelsAndGroupFromTheRepository() throws {
        var scenario = Scenario()
        scenario.ghesVersion = "3.12.1"
        scenario.runners = [runner(7, "ci-i-07", status: "online", ephemeral: true, labels: ["self-hosted", "linux", "x64"])]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let key = try keyFile(testAppKey.pemRepresentation)
        defer { try? FileManager.default.removeItem(at: key) }
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("probe-repo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: repo) }
        try """
        variable "app_id" {
          default = "\(testAppID)"
        }
        module "runners" {
          source  = "github-aws-runners/github-runner/aws"
          version = "6.5.0"
          prefix  = "ci"
          github_app = {
            id             = var.app_id
            key_base64     = "c2VjcmV0"
            webhook_secret = "hush"
          }
          ghes_url                 = "\(server.serverURL)"
          enable_ephemeral_runners = true
          runner_extra_labels      = ["gpu"]
          runner_group_name        = "ci-group"
          runner_name_prefix       = "ci-"
          pool_runner_owner        = "acme"
        }
        """.write(to: repo.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        // The owner too: the pool's organization (`pool_runner_owner`), without `--org`.
        let run = try runCLI(["probe", repo.path, "--skip-aws", "--github-app-key-file", key.path, "--jit-roundtrip", "--format", "json"])
        #expect(server.requests.contains { $0.path == "/api/v3/orgs/acme/installation" && $0.status == 200 }, "\(server.requests)")
        #expect(run.stderr.contains("from the repository: App id \(testAppID); organization acme; server \(server.serverURL); labels gpu,linux,self-hosted,x64; runner group ci-group; runner name prefix ci-"), "\(run.stderr)")
        // The JWT's `iss` was the repository's App id and every request went to the GHES API.
        #expect(server.requests.contains { $0.path == "/api/v3/app" && $0.status == 200 && $0.auth == "jwt" }, "\(server.requests)")
        #expect(server.requests.allSatisfy { $0.path.hasPrefix("/api/v3/") })
        // The fleet's labels (gpu) and group (ci-group) were used.
        #expect(run.stdout.contains("lack the fleet's label `gpu`"), "\(run.stdout)")
        #expect(run.stdout.contains("the runner group `ci-group` does not exist"), "\(run.stdout)")
        for secret in ["c2VjcmV0", "hush"] { #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret), "a repository secret was printed") }

        // Options override the repository.
        let overridden = try runCLI(["probe", repo.path, "--skip-aws", "--github-app-key-file", key.path, "--org", "acme", "--github-app-id", "999",
                                     "--runner-labels", "self-hosted,linux,x64", "--format", "json"])
        #expect(overridden.status == 2, "the server checks iss: \(overridden.stderr)")
        #expect(overridden.stderr.contains("GitHub refused the App's JWT"), "\(overridden.stderr)")
    }

    @Test func usageErrors() throws {
        let both = try runCLI(["probe", "--org", "a", "--repo", "a/b", "--github-app-id", "1"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("either `--org` or `--repo`"), "\(both.stderr)")
        let none = try runCLI(["probe", "--github-app-id", "1", "--github-app-key-file", "/nonexistent.pem"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("`--org ORG` or `--repo OWNER/REPO`"), "\(none.stderr)")
        // Nothing left to probe is a usage error, never an empty (green) report.
        let skipped = try runCLI(["probe", "--skip-github", "--format", "json"])
        #expect(skipped.status == 2, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("nothing to probe"), "\(skipped.stderr)")
        #expect(skipped.stdout.isEmpty)
        // `pinned` reads the pins from PATH: without one it is refused, never taken as `latest`.
        let pinned = try runCLI(["probe", "--prefix", "legacy", "--region", "eu-west-1", "--target", "pinned", "--format", "json"],
                                environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        #expect(pinned.status == 2, "\(pinned.stderr)")
        #expect(pinned.stderr.contains("`--target pinned` needs PATH"), "\(pinned.stderr)")
        #expect(pinned.stdout.isEmpty)
    }

    /// With a repository PATH, whether the fleet uses JIT comes from the static audit: the same
    /// GHES 3.9 is an error for an ephemeral fleet and nothing for one that opted out.
    @Test(arguments: [("fixtures/ghes-ephemeral/repo", true), ("fixtures/ghes-opted-out/repo", false)])
    func fleetJITFromTheRepository(path: String, flagged: Bool) throws {
        var scenario = Scenario()
        scenario.ghesVersion = "3.9.4"
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let key = try keyFile(testAppKey.pemRepresentation)
        defer { try? FileManager.default.removeItem(at: key) }
        let run = try runCLI(["probe", packageRoot.appendingPathComponent(path).path, "--skip-aws", "--github-url", server.serverURL,
                              "--github-app-id", testAppID, "--github-app-key-file", key.path, "--org", "acme", "--format", "json"])
        #expect(run.status == (flagged ? 1 : 0), "\(run.stderr)")
        #expect(run.stdout.contains("\"ruleId\": \"GHP-601\"") == flagged, "\(run.stdout)")
    }

    /// `check` warns that an ephemeral GHES fleet needs GHES 3.10 (JIT-106); the probe with the
    /// repository answers it with the server's version, on both sides of 3.10, and the relation is
    /// in every format that shows related notes, and on `check`'s html page with the probe results
    /// (the static warning and the probe's finding link to each other). No secret on the way.
    @Test(arguments: ["3.12.1", "3.9.4"])
    func theGHESVersionAnswersCheckInEveryFormat(version: String) throws {
        var scenario = Scenario()
        scenario.ghesVersion = version
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let pem = testAppKey.pemRepresentation
        let key = try keyFile(pem)
        defer { try? FileManager.default.removeItem(at: key) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghes-answer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let repo = packageRoot.appendingPathComponent("fixtures/ghes-ephemeral/repo").path
        let formats = ["json", "sarif", "junit", "github", "markdown", "html"]
        var args = ["probe", repo, "--skip-aws", "--github-url", server.serverURL, "--github-app-id", testAppID, "--github-app-key-file", key.path,
                    "--org", "acme", "--jit-roundtrip", "--format", "text"]
        for f in formats { args += ["--format", f, "--output", dir.appendingPathComponent("probe.\(f)").path] }
        let run = try runCLI(args)
        let satisfied = version == "3.12.1"
        #expect(run.status == (satisfied ? 0 : 1), "\(run.stdout)\n\(run.stderr)")

        // The finding, its severity and its note at the static warning (main.tf:2:14, JIT-106).
        let json = try String(contentsOf: dir.appendingPathComponent("probe.json"), encoding: .utf8)
        let findings = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? []
        let ghes = findings.filter { $0["ruleId"] as? String == "GHP-601" }
        #expect(ghes.count == 1, "\(json)")
        let finding = try #require(ghes.first)
        #expect(finding["severity"] as? String == (satisfied ? "note" : "error"))
        let message = finding["message"] as? String ?? ""
        #expect(message.hasPrefix(satisfied ? "GHES 3.12.1 has the JIT configuration API (3.10 or later)" : "GHES 3.9.4 has no JIT configuration API"), "\(message)")
        let related = try #require((finding["related"] as? [[String: Any]])?.first)
        let note = related["message"] as? String ?? ""
        #expect(note.hasPrefix("`check` asked about the GHES version here (JIT-106: fleet `module.runners` on GHES `https://github.example.internal` registers with JIT configs"), "\(note)")
        let location = related["location"] as? [String: Any] ?? [:]
        #expect(location["path"] as? String == "main.tf" && location["startLine"] as? Int == 2 && location["startColumn"] as? Int == 14, "\(location)")
        // Every other format that shows related notes shows this one.
        let shown: [(String, String)] = [("text", run.stdout)] + (try formats.map { ($0, try String(contentsOf: dir.appendingPathComponent("probe.\($0)"), encoding: .utf8)) })
        for (format, text) in shown {
            #expect(text.contains("GHP-601") && text.contains("asked about the GHES version here (JIT-106"), "\(format) does not show the relation:\n\(text)")
            // (json and sarif place it in fields, checked below)
            #expect(["json", "sarif"].contains(format) || text.contains("main.tf:2"), "\(format) does not place the relation at JIT-106")
        }
        #expect(run.stdout.contains("note: main.tf:2:14: `check` asked about the GHES version here (JIT-106:"), "\(run.stdout)")
        let sarif = try JSONSerialization.jsonObject(with: Data((shown.first { $0.0 == "sarif" }?.1 ?? "").utf8)) as? [String: Any]
        let results = ((sarif?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]] ?? []).filter { $0["ruleId"] as? String == "GHP-601" }
        #expect(results.first?["level"] as? String == (satisfied ? "note" : "error"), "\(results)")
        let sarifNote = (results.first?["relatedLocations"] as? [[String: Any]])?.first
        #expect(((sarifNote?["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any])?["uri"] as? String == "main.tf", "\(results)")

        // check's page with the probe results: JIT-106 links to the probe's answer and back.
        let page = dir.appendingPathComponent("page.html")
        let check = try runCLI(["check", repo, "--format", "html", "--output", page.path, "--probe-results", dir.appendingPathComponent("probe.json").path])
        #expect(check.status == 0 || check.status == 1, "\(check.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        let staticArticle = try #require(html.components(separatedBy: "<article class=\"finding ").first { $0.contains("<span class=\"rule\">JIT-106</span>") && $0.contains("id=\"f") })
        let staticID = try #require(staticArticle.components(separatedBy: "id=\"").dropFirst().first?.components(separatedBy: "\"").first)
        let probeArticle = try #require(html.components(separatedBy: "<article class=\"finding ").first { $0.contains("<span class=\"rule\">GHP-601</span>") })
        let probeID = try #require(probeArticle.components(separatedBy: "id=\"").dropFirst().first?.components(separatedBy: "\"").first)
        #expect(probeID.hasPrefix("p") && staticID.hasPrefix("f"))
        #expect(staticArticle.contains("The probe on the live fleet: <a href=\"#\(probeID)\">\(satisfied ? "note" : "error") <span class=\"rule\">GHP-601</span></a>"), "\(staticArticle)")
        #expect(probeArticle.contains("<a class=\"loc\" href=\"#\(staticID)\">main.tf:2:14</a>"), "\(probeArticle)")

        // No secret in any of it.
        let outputs = shown + [("stderr", run.stderr), ("page", html), ("check stderr", check.stderr)]
        #expect(server.secrets("tokens").count == 1 && server.secrets("jit_configs").count == (satisfied ? 1 : 0))
        for (name, text) in outputs {
            for secret in server.secrets + keyFragments(pem) { #expect(!text.contains(secret), "a secret reached \(name)") }
            #expect(!text.contains("PRIVATE KEY"), "key material in \(name)")
        }
    }

    /// A JIT fleet's runners older than 2.294.0 (the first actions/runner release that accepts
    /// `--jitconfig`, from rules/knowledge/runner-versions.yaml) are GHP-608 without
    /// `--min-runner-version`; a token fleet has no default minimum; the option overrides the table.
    @Test func jitFleetDefaultsTheMinimumRunnerVersion() throws {
        var scenario = Scenario()
        scenario.runners = [runner(1, "i-old", ephemeral: true, version: "2.293.0"), runner(2, "i-new", ephemeral: true, version: "2.294.0")]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let key = try keyFile(testAppKey.pemRepresentation)
        defer { try? FileManager.default.removeItem(at: key) }
        func run(_ extra: [String]) throws -> (CLIRun, [[String: Any]]) {
            let r = try runCLI(["probe", "--github-api-url", server.apiURL, "--github-app-id", testAppID, "--github-app-key-file", key.path,
                                "--org", "acme", "--format", "json"] + extra)
            let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            #expect(json != nil, "\(r.stderr)")
            let findings = (json?["findings"] as? [[String: Any]] ?? []).filter { $0["ruleId"] as? String == "GHP-608" }
            return (r, findings)
        }
        let (jit, jitFindings) = try run(["--fleet-jit", "true"])
        #expect(jit.status == 0, "warnings only: \(jit.stderr)")
        #expect(jitFindings.map { $0["message"] as? String } == ["1 runner runs a version older than 2.294.0 (2.293.0): `i-old`"], "\(jit.stdout)")
        let detail = jitFindings.first?["detail"] as? String ?? ""
        #expect(detail.contains("rules/knowledge/runner-versions.yaml") && detail.contains("AR v2.294.0:src/Runner.Listener/CommandSettings.cs:42"), "\(detail)")
        let (token, tokenFindings) = try run(["--fleet-jit", "false"])
        #expect(tokenFindings.isEmpty, "\(token.stdout)")
        let (lower, lowerFindings) = try run(["--fleet-jit", "true", "--min-runner-version", "2.290.0"])
        #expect(lowerFindings.isEmpty, "the option overrides the table: \(lower.stdout)")
        let (higher, higherFindings) = try run(["--fleet-jit", "false", "--min-runner-version", "2.300.0"])
        #expect(higherFindings.map { $0["message"] as? String } == ["2 runners run a version older than 2.300.0 (2.293.0, 2.294.0): `i-old`, `i-new`"], "\(higher.stdout)")
        let givenDetail = higherFindings.first?["detail"] as? String ?? ""
        #expect(givenDetail.contains("may not understand") && !givenDetail.contains("runner-versions.yaml"), "\(givenDetail)")
    }

    /// The README's probe example is the real output against the fake server with the README's
    /// scenario.
    @Test func readmeExample() throws {
        let server = try FakeGitHub(scenarioFile: packageRoot.appendingPathComponent("Tests/ProbeTests/Fixtures/readme-scenario.json"),
                                    data: packageRoot.appendingPathComponent("Tests/ProbeTests/Fixtures/github-api"),
                                    publicKeyPEM: testAppKey.publicKey.pemRepresentation)
        defer { server.stop() }
        let key = try keyFile(testAppKey.pemRepresentation)
        defer { try? FileManager.default.removeItem(at: key) }
        let run = try runCLI(["probe", "--github-url", server.serverURL, "--github-app-id", "4242", "--github-app-key-file", key.path,
                              "--org", "acme", "--fleet-jit", "true", "--runner-labels", "self-hosted,linux,x64,gpu"])
        #expect(run.status == 1, "\(run.stderr)")
        let block = run.stdout.trimmingCharacters(in: .newlines) + "\n```"
        #expect(Self.readme.contains(block), "README probe example is stale; the output now is:\n\(run.stdout)")
        // Read-only: the token request is the only write.
        #expect(server.requests.filter { $0.method != "GET" }.map(\.path) == ["/api/v3/app/installations/1/access_tokens"])
    }
}

/// A GHES behind a private CA: the probe trusts it only with `--ca-bundle` (or SSL_CERT_FILE).
@Suite("CA bundle", .serialized)
struct CABundleTests {
    /// A self-signed certificate for 127.0.0.1 (it is its own CA), made with the openssl tool.
    static func certificate() throws -> (cert: String, key: String, dir: URL)? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                       "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir.appendingPathComponent("key.pem").path,
                       "-out", dir.appendingPathComponent("cert.pem").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return (dir.appendingPathComponent("cert.pem").path, dir.appendingPathComponent("key.pem").path, dir)
    }

    @Test func privateCAIsTrustedOnlyWithTheBundle() throws {
        guard let tls = try Self.certificate() else {
            print("skipped: the openssl tool is not available to make a test certificate")
            return
        }
        defer { try? FileManager.default.removeItem(at: tls.dir) }
        var scenario = Scenario()
        scenario.ghesVersion = "3.14.0"
        scenario.tls = (tls.cert, tls.key)
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        #expect(server.serverURL.hasPrefix("https://"))
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString).pem")
        try testAppKey.pemRepresentation.write(to: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: key) }
        let base = ["probe", "--github-url", server.serverURL, "--github-app-id", testAppID, "--github-app-key-file", key.path, "--org", "acme", "--format", "json"]

        let untrusted = try runCLI(base)
        #expect(untrusted.status == 2)
        #expect(untrusted.stderr.contains("cannot be reached"), "\(untrusted.stderr)")

        let trusted = try runCLI(base + ["--ca-bundle", tls.cert])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(trusted.stderr.contains("GHES 3.14.0"), "\(trusted.stderr)")

        let fromEnvironment = try runCLI(base, environment: ["SSL_CERT_FILE": tls.cert])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")

        let missing = try runCLI(base + ["--ca-bundle", "/nonexistent/ca.pem"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot be read"), "\(missing.stderr)")
        // Every request that reached the server came through the trusted runs.
        #expect(server.requests.filter { $0.path == "/api/v3/meta" }.count == 2)
    }
}
