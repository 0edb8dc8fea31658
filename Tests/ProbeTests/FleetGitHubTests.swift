import AuditCore
import Foundation
@testable import ProbeClient
import Testing
import _CryptoExtras
@testable import Probe

/// The GitHub half taking its App, owner, labels and JIT setting from the deployed fleet (the AWS
/// half against moto) when the command line and the repository do not give them.
@Suite("GitHub probe settings from the fleet", .serialized)
struct FleetGitHubTests {
    static func keyFile(_ pem: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-app-\(UUID().uuidString).pem")
        try pem.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The seeded 4.x fleet's App (SecureString id and base64 key), owner tags `ghr:Owner=my-org`.
    @Test func appOwnerAndLabelsFromTheFleetAndOnlyTheAppParametersAreDecrypted() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        let pem = testAppKey.pemRepresentation
        let key = try Self.keyFile(pem)
        defer { try? FileManager.default.removeItem(at: key) }
        try server.seed(["--app", testAppID, key.path])

        let log = BodyLog(try CurlTransport(timeout: 10))
        let client = ProbeFixture.client(server, transport: log, clock: ProbeFixture.clock())
        let result = try await AWSProbe.run(client: client, settings: AWSProbeSettings(prefixes: ["modern"], target: ModuleVersion(7, 11, 0)), knowledge: nil)
        let settings = FleetGitHubSettings(result, ssmRoot: "/github-action-runners")
        #expect(settings.owner == .organization("my-org"))
        #expect(settings.labels == ["linux", "self-hosted", "x64"])
        #expect(settings.jit == true)
        #expect(settings.ephemeral == true, "agent_mode ephemeral")
        let webhook = try #require(settings.webhookURL)
        #expect(webhook == result.fleets.first?.webhookEndpoint && webhook.hasSuffix(".execute-api.eu-west-1.amazonaws.com/webhook"), "\(webhook)")
        #expect(settings.appParameters?.id == "/github-action-runners/modern/app/github_app_id")
        #expect(settings.appParameters?.key == "/github-action-runners/modern/app/github_app_key_base64")
        // The probe itself decrypts nothing.
        #expect(!log.entries.contains { $0.body.contains(#""WithDecryption":true"#) })

        let app = try await FleetAppCredentials.read(client: client, settings: settings)
        #expect(app.appID.revealed == testAppID)
        #expect(String(decoding: Data(base64Encoded: app.keyBase64.revealed) ?? Data(), as: UTF8.self) == pem)
        #expect(!String(reflecting: app).contains(app.keyBase64.revealed.prefix(40)))
        // Exactly two decrypted reads, each of one of the App's parameters by name.
        let decrypted = log.entries.filter { $0.body.contains(#""WithDecryption":true"#) }
        #expect(decrypted.count == 2 && decrypted.allSatisfy { $0.operation == "AmazonSSM.GetParameter" }, "\(decrypted)")
        #expect(Set(decrypted.map(\.body)) == [#"{"Name":"/github-action-runners/modern/app/github_app_id","WithDecryption":true}"#,
                                               #"{"Name":"/github-action-runners/modern/app/github_app_key_base64","WithDecryption":true}"#])

        // A fleet without the App's parameters: an error naming the parameter, never a value.
        var missing = settings
        missing.appParameters = ("/github-action-runners/modern/app/nope", "/github-action-runners/modern/app/github_app_key_base64")
        await #expect(throws: AWSProbeError.self) { _ = try await FleetAppCredentials.read(client: client, settings: missing) }
        do { _ = try await FleetAppCredentials.read(client: client, settings: missing) } catch let e as AWSProbeError {
            #expect(e.description.contains("`/github-action-runners/modern/app/nope` does not exist"), "\(e)")
        }
    }

    /// The command: `--github-app-from-fleet` with `--prefix` and nothing else about GitHub but the
    /// server. Key, JWT, installation token and the SSM values never reach any output.
    @Test func theCommandTakesTheAppFromTheFleetAndPrintsNoSecret() throws {
        guard let moto = try MotoServer.start() else { return }
        defer { moto.stop() }
        let pem = testAppKey.pemRepresentation
        let key = try Self.keyFile(pem)
        defer { try? FileManager.default.removeItem(at: key) }
        try moto.seed(["--app", testAppID, key.path])
        var scenario = Scenario()
        scenario.owner = "my-org"
        scenario.runners = [runner(1, "i-0aaa", status: "online", ephemeral: true, labels: ["self-hosted", "linux", "x64"])]
        let github = try FakeGitHub(scenario)
        defer { github.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("probe.json")
        let env = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": moto.endpoint.absoluteString,
                   "HOME": dir.path, "AWS_REGION": "eu-west-1"]
        let run = try runCLI(["probe", "--prefix", "modern", "--github-api-url", github.apiURL, "--github-app-from-fleet",
                              "--format", "text", "--format", "json", "--output", json.path], environment: env)
        #expect(run.status != 2, "\(run.stderr)")
        #expect(run.stderr.contains("github: from the fleet: App id and key from /github-action-runners/modern/app/github_app_id and /github-action-runners/modern/app/github_app_key_base64; organization my-org; labels linux,self-hosted,x64; JIT on; ephemeral; webhook https://"), "\(run.stderr)")
        // The App's webhook (the scenario's `abc123` gateway) is checked against the fleet's own API gateway.
        let fleetLine = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("github: from the fleet:") }.map(String.init))
        let fleetWebhook = try #require(fleetLine.components(separatedBy: "; webhook ").last?.components(separatedBy: " (options override)").first)
        #expect(fleetWebhook.hasSuffix(".execute-api.eu-west-1.amazonaws.com/webhook") && !fleetWebhook.contains("abc123"), "\(fleetWebhook)")
        let report = try String(contentsOf: json, encoding: .utf8)
        let messages = ((try? JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? [])
            .compactMap { $0["message"] as? String }
        #expect(messages.contains("The GitHub App's webhook URL `https://abc123.execute-api.eu-west-1.amazonaws.com/webhook` is not the fleet's webhook endpoint `\(fleetWebhook)`"),
                "\(messages)")
        // The JWT's `iss` was the fleet's App id (the server checks it) and the owner the tags' org.
        #expect(github.requests.contains { $0.path == "/app" && $0.status == 200 && $0.auth == "jwt" }, "\(github.requests)")
        #expect(github.requests.contains { $0.path == "/orgs/my-org/installation" && $0.status == 200 })
        #expect(github.requests.contains { $0.path == "/orgs/my-org/actions/runners" && $0.status == 200 })
        let fragments = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }.map(String.init)
            + [String(Data(pem.utf8).base64EncodedString().prefix(60))]
        for (name, text) in [("stdout", run.stdout), ("stderr", run.stderr), ("json", report)] {
            for secret in github.secrets + fragments + ["SECRET-"] {
                #expect(!text.contains(secret), "a secret reached \(name)")
            }
            #expect(!text.contains("PRIVATE KEY"), "key material in \(name)")
        }

        // Usage: the fleet's App needs the AWS half, and excludes a key file.
        let noAWS = try runCLI(["probe", "--github-app-from-fleet", "--org", "my-org"], environment: env)
        #expect(noAWS.status == 2 && noAWS.stderr.contains("`--github-app-from-fleet` reads the App from the fleet's SSM parameters"), "\(noAWS.stderr)")
        let both = try runCLI(["probe", "--prefix", "modern", "--github-app-from-fleet", "--github-app-key-file", key.path], environment: env)
        #expect(both.status == 2 && both.stderr.contains("either `--github-app-key-file` or `--github-app-from-fleet`"), "\(both.stderr)")
        // Two prefixes with different Apps: a clear error, no decryption guessed.
        let two = try runCLI(["probe", "--prefix", "modern", "--prefix", "legacy", "--github-api-url", github.apiURL, "--github-app-from-fleet",
                              "--format", "json"], environment: env)
        #expect(two.status == 2 && two.stderr.contains("the fleets use different App parameters"), "\(two.stderr)")
    }

    /// AWS denies `ssm:GetParameter` (moto with IAM enforcement): a PRB-408 finding names the
    /// permission and the parameter, the AWS half's findings are still reported, GitHub is not asked.
    /// The hang bound of the probe's tests that once hung: 3 minutes (runCLI kills its child at 150 s).
    @Test(.timeLimit(.minutes(3)))
    func aDeniedAppParameterIsAFindingAndTheRestGoesOn() throws {
        guard let moto = try MotoServer.start() else { return }
        defer { moto.stop() }
        guard let lambdaServer = try MotoServer.start() else { return }  // Lambda's signed GETs: see AWSAuthTests
        defer { lambdaServer.stop() }
        let pem = testAppKey.pemRepresentation
        let key = try Self.keyFile(pem)
        defer { try? FileManager.default.removeItem(at: key) }
        try moto.seed(["--app", testAppID, key.path])
        try lambdaServer.seed()
        let auditor = try moto.createUser("auditor", allowed: AWSActions.reads)  // no ssm:GetParameter
        #expect(!AWSActions.reads.contains("ssm:GetParameter"))
        #expect(try moto.post("/moto-api/reset-auth", body: "0").status == 200)
        defer { _ = try? moto.post("/moto-api/reset-auth", body: "inf") }
        let github = try FakeGitHub(Scenario())
        defer { github.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-app-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["AWS_ACCESS_KEY_ID": auditor.accessKeyId, "AWS_SECRET_ACCESS_KEY": auditor.secretAccessKey.revealed,
                   "AWS_ENDPOINT_URL": moto.endpoint.absoluteString, "AWS_ENDPOINT_URL_LAMBDA": lambdaServer.endpoint.absoluteString,
                   "AWS_ENDPOINT_URL_APIGATEWAYV2": lambdaServer.endpoint.absoluteString,
                   "HOME": dir.path, "AWS_REGION": "eu-west-1"]
        let run = try runCLI(["probe", "--prefix", "modern", "--github-api-url", github.apiURL, "--github-app-from-fleet", "--format", "json"], environment: env)
        #expect(run.status != 2, "\(run.stderr)")
        let report = try #require(try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
        let findings = report["findings"] as? [[String: Any]] ?? []
        let denied = findings.filter { $0["ruleId"] as? String == "PRB-408" }.compactMap { $0["message"] as? String }
        #expect(denied == ["the auditor may not call `ssm:GetParameter` on `/github-action-runners/modern/app/github_app_id`"], "\(findings)")
        #expect(findings.contains { ($0["ruleId"] as? String ?? "").hasPrefix("PRB-") && $0["ruleId"] as? String != "PRB-408" }, "the AWS half went on: \(findings)")
        #expect(run.stderr.contains("github: skipped: the auditor may not call `ssm:GetParameter`"), "\(run.stderr)")
        #expect(github.requests.isEmpty, "no App, no GitHub request")
        let fragments = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }.map(String.init)
            + [String(Data(pem.utf8).base64EncodedString().prefix(60)), auditor.secretAccessKey.revealed]
        for (name, text) in [("stdout", run.stdout), ("stderr", run.stderr)] {
            #expect(!fragments.contains { text.contains($0) } && !text.contains("SECRET-"), "a secret reached \(name)")
        }
    }

    /// What the module gives the scale-up lambda about the GitHub side (GHES_URL, RUNNER_GROUP_NAME,
    /// RUNNER_NAME_PREFIX, RUNNER_LABELS, the App's parameter names), read through the AWS half with
    /// moto checking signatures (Lambda's GETs on a second server, see AWSAuthTests), is what the
    /// GitHub half uses when no option says otherwise: the GHES it talks to, the group of its JIT
    /// round trip, the runners it counts as the fleet's, the labels it expects, the App it signs as.
    @Test(.timeLimit(.minutes(3)))
    func theGitHubSideComesFromTheScaleUpLambdasEnvironment() throws {
        guard let moto = try MotoServer.start() else { return }
        defer { moto.stop() }
        guard let lambdaServer = try MotoServer.start() else { return }
        defer { lambdaServer.stop() }
        var scenario = Scenario()
        scenario.owner = "my-org"
        scenario.ghesVersion = "3.12.1"
        scenario.runners = [runner(1, "fleet-i-0aaa", status: "offline", ephemeral: true, labels: ["self-hosted", "linux", "x64", "gpu"]),
                            runner(2, "fleet-i-0bbb", status: "online", ephemeral: true, labels: ["self-hosted", "linux", "x64"]),
                            runner(3, "other-i-0ccc", status: "offline", ephemeral: true, labels: ["self-hosted"])]
        let github = try FakeGitHub(scenario)
        defer { github.stop() }
        let pem = testAppKey.pemRepresentation
        let key = try Self.keyFile(pem)
        defer { try? FileManager.default.removeItem(at: key) }
        let (idName, keyName) = ("/ci/github/app-id", "/ci/github/app-key")
        let lambdaEnvironment = ["GHES_URL": github.serverURL, "RUNNER_GROUP_NAME": "fleet-group", "RUNNER_NAME_PREFIX": "fleet-",
                                 "RUNNER_LABELS": "self-hosted,linux,x64,gpu",
                                 "PARAMETER_GITHUB_APP_ID_NAME": idName, "PARAMETER_GITHUB_APP_KEY_BASE64_NAME": keyName]
        let lambdaJSON = String(decoding: try JSONSerialization.data(withJSONObject: lambdaEnvironment, options: [.sortedKeys]), as: UTF8.self)
        try moto.seed(["--app", testAppID, key.path, "--app-names", idName, keyName])
        try lambdaServer.seed(["--github-env", lambdaJSON])
        let auditor = try moto.createUser("auditor", allowed: AWSActions.reads + ["ssm:GetParameter", "kms:Decrypt"])
        #expect(try moto.post("/moto-api/reset-auth", body: "0").status == 200)
        defer { _ = try? moto.post("/moto-api/reset-auth", body: "inf") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("probe.json")
        let env = ["AWS_ACCESS_KEY_ID": auditor.accessKeyId, "AWS_SECRET_ACCESS_KEY": auditor.secretAccessKey.revealed,
                   "AWS_ENDPOINT_URL": moto.endpoint.absoluteString, "AWS_ENDPOINT_URL_LAMBDA": lambdaServer.endpoint.absoluteString,
                   "AWS_ENDPOINT_URL_APIGATEWAYV2": lambdaServer.endpoint.absoluteString,
                   "HOME": dir.path, "AWS_REGION": "eu-west-1"]
        // No --github-url, --org, --runner-group, --runner-name-prefix, --runner-labels or App id.
        let run = try runCLI(["probe", "--prefix", "modern", "--github-app-from-fleet", "--jit-roundtrip",
                              "--format", "text", "--format", "json", "--output", json.path], environment: env)
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("github: from the fleet: App id and key from \(idName) and \(keyName); organization my-org; server \(github.serverURL); labels gpu,linux,self-hosted,x64; runner group fleet-group; runner name prefix fleet-; JIT on; ephemeral; webhook https://"), "\(run.stderr)")
        // The GHES: every request went to GHES_URL's API (`/api/v3`), signed as the App the lambda names.
        #expect(run.stderr.contains("github: GHES 3.12.1 at \(github.serverURL)/api/v3"), "\(run.stderr)")
        #expect(!github.requests.isEmpty && github.requests.allSatisfy { $0.path.hasPrefix("/api/v3/") }, "\(github.requests)")
        #expect(github.requests.contains { $0.path == "/api/v3/app" && $0.status == 200 && $0.auth == "jwt" })
        #expect(github.requests.contains { $0.path == "/api/v3/orgs/my-org/actions/runners" && $0.status == 200 })
        let report = try String(contentsOf: json, encoding: .utf8)
        let messages = ((try? JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? [])
            .compactMap { f in (f["ruleId"] as? String).map { ($0, f["message"] as? String ?? "") } }
        // The runner group: the JIT round trip looked for RUNNER_GROUP_NAME.
        #expect(messages.contains { $0.0 == "GHP-609" && $0.1.hasPrefix("JIT round trip failed: the runner group `fleet-group` does not exist") }, "\(messages)")
        // The name prefix: `other-…` is not the fleet's, offline or short of labels as it is.
        #expect(messages.filter { $0.0 == "GHP-606" }.map(\.1) == ["1 offline ephemeral runner left registered: `fleet-i-0aaa`"], "\(messages)")
        // The labels: RUNNER_LABELS, `gpu` included.
        #expect(messages.filter { $0.0 == "GHP-607" }.map(\.1) == ["1 runner lack the fleet's label `gpu`: `fleet-i-0bbb`"], "\(messages)")

        // No secret: the App's key (from SSM), the JWTs and token, the seeded secrets, the auditor's key.
        let fragments = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }.map(String.init)
            + [String(Data(pem.utf8).base64EncodedString().prefix(60)), auditor.secretAccessKey.revealed]
        for (name, text) in [("stdout", run.stdout), ("stderr", run.stderr), ("json", report)] {
            for secret in github.secrets + fragments + ["SECRET-"] { #expect(!text.contains(secret), "a secret reached \(name)") }
            #expect(!text.contains("PRIVATE KEY"), "key material in \(name)")
        }
    }

    /// Owners the fleets disagree on are not guessed.
    @Test func severalOwnersAreAProblemNotAGuess() {
        func fleet(_ prefix: String, owner: String, type: String) -> AWSFleetFacts {
            var f = AWSFleetFacts(fleet: AWSFleetTarget(namePrefix: prefix, ssmBase: "/github-action-runners/\(prefix)"))
            f.instances = [EC2Instance(id: "i-\(prefix)", state: "running", imageId: nil, launchTime: nil, tags: ["ghr:Owner": owner, "ghr:Type": type])]
            return f
        }
        let one = AWSProbeResult(findings: [], fleets: [fleet("a", owner: "acme/app", type: "Repo")], account: nil, callerArn: nil, credentialSource: nil, region: "eu-west-1", sources: [:])
        #expect(FleetGitHubSettings(one, ssmRoot: "/github-action-runners").owner == .repository(owner: "acme", name: "app"))
        let two = AWSProbeResult(findings: [], fleets: [fleet("a", owner: "acme", type: "Org"), fleet("b", owner: "other", type: "Org")],
                                 account: nil, callerArn: nil, credentialSource: nil, region: "eu-west-1", sources: [:])
        let s = FleetGitHubSettings(two, ssmRoot: "/github-action-runners")
        #expect(s.owner == nil)
        #expect(s.ownerProblem == "the fleets' runners belong to several owners: organization acme, organization other")
        #expect(s.appParameters == nil && s.appParametersProblem?.contains("different App parameters") == true)
    }
}

/// `--since` with both halves: instances launched in the window against runners registered on GitHub.
@Suite("Launches against registrations", .serialized)
struct RegistrationTests {
    /// Two days after the seed, with a three-day window: the 4.x fleet's two instances are launched
    /// in the window and past their start-up.
    func run(_ server: MotoServer, registeredNames: (String, String) -> [String]) async throws -> (AWSProbeResult, [Finding]) {
        let clock = ProbeFixture.clock()
        let aws = try await AWSProbe.run(client: ProbeFixture.client(server, transport: try CurlTransport(timeout: 10), clock: clock),
                                         settings: AWSProbeSettings(prefixes: ["modern"], since: 3 * 86_400, target: ModuleVersion(7, 11, 0),
                                                                    registrationsFromGitHub: true),
                                         knowledge: nil)
        let ids = try #require(aws.fleets.first?.instances.map(\.id).sorted())
        try #require(ids.count == 2)
        var scenario = Scenario()
        scenario.runners = registeredNames(ids[0], ids[1]).enumerated().map { runner($0.offset + 1, $0.element, status: "online", ephemeral: true) }
        let github = try FakeGitHub(scenario)
        defer { github.stop() }
        let result = try await probe(github)
        let runners = try #require(result.runners)
        return (aws, Registrations.findings(fleets: aws.fleets, runners: runners, owner: .organization("acme"), region: aws.region,
                                           since: 3 * 86_400, now: clock.now))
    }

    @Test func launchesClearlyExceedingRegistrationsAreOneFindingWithCounts() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        // No runner on GitHub for either instance (another fleet's runner does not count).
        let (aws, none) = try await run(server) { _, _ in ["other-i-0123456789abcdef0"] }
        #expect(none.count == 1, "\(none.map(\.message))")
        let f = try #require(none.first)
        #expect(f.ruleId == "PRB-402" && f.severity == .error)
        #expect(f.message == "fleet `modern` launched 2 instance(s) in the last 3d but only 0 registered a runner with organization acme")
        #expect(f.location.path == "aws/eu-west-1/ec2/instances/ghr:environment=modern")
        let ids = aws.fleets[0].instances.map(\.id)
        #expect(ids.allSatisfy { f.detail?.contains($0) == true })
        #expect(f.detail?.contains("against the 1 runner(s) GitHub lists") == true)
        // With the GitHub half, the token-parameter variant of the comparison is not made.
        #expect(!aws.findings.contains { $0.message.contains("never fetched their token") })

        // One of two registered: not clearly more launches than registrations.
        let (_, one) = try await run(server) { a, _ in ["modern-\(a)"] }
        #expect(one.isEmpty, "\(one.map(\.message))")
        // Both registered: nothing.
        let (_, both) = try await run(server) { a, b in [a, "modern-\(b)"] }
        #expect(both.isEmpty)
    }
}
