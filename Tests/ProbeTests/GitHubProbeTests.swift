import AuditCore
import Foundation
import ProbeClient
import Testing
import _CryptoExtras
@testable import Probe

func appKey() throws -> GitHubAppKey { try GitHubAppKey(pemOrBase64: testAppKey.pemRepresentation) }

func probe(_ server: FakeGitHub, owner: GitHubOwner = .organization("acme"), jit: Bool? = nil, fleet: GitHubChecks.FleetRunners = .init(),
           webhookURL: String? = nil, roundTrip: Bool = false, group: String? = nil, clock: InstantClock = InstantClock(),
           asked: [Finding] = []) async throws -> GitHubProbeResult {
    var inputs = GitHubProbeInputs(endpoint: server.endpoint, appID: testAppID, key: try appKey(), owner: owner, fleetJIT: jit, fleet: fleet,
                                   runnerGroup: group, webhookURL: webhookURL, jitRoundTrip: roundTrip)
    inputs.ghesQuestions = asked
    return try await GitHubProbe.run(inputs, transport: try CurlTransport(timeout: 10), clock: clock,
                                     retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxServerWait: 60))
}

extension Array where Element == Finding {
    func of(_ rule: String) -> [Finding] { filter { $0.ruleId == rule } }
    var ids: [String] { map(\.ruleId) }
}

/// Whether a request changes something on GitHub.
func isWrite(_ r: FakeGitHub.Request) -> Bool { !["GET", "HEAD"].contains(r.method) }

@Suite("GitHub probe against the fake GitHub", .serialized)
struct GitHubProbeTests {
    @Test func healthyOrganizationFleetOnGitHubCom() async throws {
        let server = try FakeGitHub(Scenario())
        defer { server.stop() }
        let result = try await probe(server, jit: true, fleet: .init(ephemeral: true, labels: ["self-hosted", "linux", "x64"]),
                                     webhookURL: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook")
        #expect(result.findings.isEmpty, "\(result.findings.map(\.message))")
        #expect(result.facts.server == "GitHub (no Enterprise Server version reported)")
        #expect(result.facts.installationID != nil)
        #expect(result.facts.runnerCount == 1)
        let log = server.requests
        // JWT on /app… and the installation lookup, the installation token on the runners.
        for r in log where r.path.hasPrefix("/app") || r.path.hasSuffix("/installation") { #expect(r.auth == "jwt", "\(r)") }
        for r in log where r.path.contains("/actions/") { #expect(r.auth == "token", "\(r)") }
        #expect(log.allSatisfy { $0.status < 400 }, "\(log)")
    }

    /// A clone without ../shared: the fake serves our own payloads of the same shape, and the
    /// probe (with the JIT round trip) sees the same healthy fleet as with GitHub's examples.
    @Test func ownPayloadsServeTheSameHealthyFleet() async throws {
        let server = try FakeGitHub(Scenario(), data: packageRoot.appendingPathComponent("Tests/ProbeTests/Fixtures/github-api"))
        defer { server.stop() }
        let result = try await probe(server, jit: true, fleet: .init(ephemeral: true, labels: ["self-hosted", "linux", "x64"]),
                                     webhookURL: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook", roundTrip: true)
        #expect(result.findings.isEmpty, "\(result.findings.map(\.message))")
        #expect(result.facts.installationID != nil && result.facts.runnerCount == 1)
        #expect(result.facts.jitRoundTripPassed == true, "\(result.facts.jitRoundTrip ?? "")")
        #expect(server.requests.filter(isWrite).map(\.method) == ["POST", "POST", "DELETE"])
    }

    @Test func withoutRoundTripTheOnlyWriteIsTheReadOnlyTokenRequest() async throws {
        var scenario = Scenario()
        scenario.runners = (1...3).map { runner($0, "i-0\($0)", status: "offline", ephemeral: true) }
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        _ = try await probe(server, jit: true)
        let writes = server.requests.filter(isWrite)
        #expect(writes.count == 1)
        #expect(writes.first?.method == "POST")
        #expect(writes.first.map { $0.path.hasPrefix("/app/installations/") && $0.path.hasSuffix("/access_tokens") } == true)
        #expect(writes.first?.permissions == ["organization_self_hosted_runners": "read"], "the token asks for read only")
    }

    @Test func officialExamplePayloadsAsServed() async throws {
        guard haveOfficialPayloads else {
            print("skipped: ../shared/testdata/github-api is absent")
            return
        }
        // The example App asks for metadata, contents, issues and single_file and subscribes to push
        // and pull_request: not what a runner fleet needs.
        var scenario = Scenario()
        scenario.appPermissions = nil
        scenario.appEvents = nil
        scenario.runners = nil
        scenario.webhook = [:]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server)
        let permissions = result.findings.of(GitHubProbeRule.permission).map(\.message)
        #expect(permissions.contains { $0.contains("organization_self_hosted_runners") && $0.contains("`octoapp`") })
        #expect(permissions.contains { $0.contains("`actions`") })
        #expect(permissions.contains { $0.contains("`checks`") })
        #expect(!permissions.contains { $0.contains("`metadata`") }, "the example grants metadata: read")
        #expect(result.findings.of(GitHubProbeRule.event).first?.message.contains("workflow_job") == true)
        // The example webhook config (url https://example.com/webhook, json, insecure_ssl 0) is fine.
        #expect(result.findings.of(GitHubProbeRule.webhook).isEmpty)
        // No token for runners without the permission.
        #expect(result.findings.of(GitHubProbeRule.incomplete).first?.message.contains("Runners not checked") == true)
        #expect(!server.requests.contains { $0.path.contains("access_tokens") })
    }

    @Test(arguments: [("3.9.4", true, Severity.error), ("3.9.4", nil, .warning), ("3.10.0", true, nil), ("3.14.2", nil, nil), ("3.9.0", false, nil)] as [(String, Bool?, Severity?)])
    func ghesVersionAgainstJIT(version: String, jit: Bool?, expected: Severity?) async throws {
        var scenario = Scenario()
        scenario.ghesVersion = version
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server, jit: jit)
        let ghes = result.findings.of(GitHubProbeRule.ghesJIT)
        #expect(ghes.first?.severity == expected, "\(ghes.map(\.message))")
        if expected != nil {
            #expect(ghes.first?.message.contains("GHES \(version)") == true)
            #expect(ghes.first?.tags.contains("ghes") == true)
        }
        #expect(result.facts.server == "GHES \(version)")
        #expect(result.findings.count == ghes.count, "\(result.findings.map(\.message))")
        // Every request went under /api/v3.
        #expect(server.requests.allSatisfy { $0.path.hasPrefix("/api/v3/") })
    }

    @Test func ghesVersionFromTheHeaderWhenMetaIsNotThere() async throws {
        var scenario = Scenario()
        scenario.ghesVersion = "3.8.7"
        scenario.faults = [["method": "GET", "path": "/meta", "status": 404, "message": "Not Found"]]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server, jit: true)
        #expect(result.findings.of(GitHubProbeRule.ghesJIT).first?.severity == .error)
        #expect(result.findings.of(GitHubProbeRule.ghesJIT).first?.location.path == "github:/app")
        #expect(result.facts.ghesVersion == "3.8.7")
    }

    /// `check`'s GHES question (JIT-106, which cannot see the version) is answered by the server's
    /// version on both sides of 3.10, from `/meta` or, when `/meta` is refused, from the
    /// `X-GitHub-Enterprise-Version` header alone: 3.10 or later a note, older an error, each
    /// relating to the static warning.
    @Test(arguments: [("3.10.0", false), ("3.12.1", true), ("3.9.4", false), ("3.9.4", true)])
    func ghesVersionAnswersTheStaticQuestion(version: String, headerOnly: Bool) async throws {
        var scenario = Scenario()
        scenario.ghesVersion = version
        if headerOnly { scenario.faults = [["method": "GET", "path": "/meta", "status": 404, "message": "Not Found"]] }
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let at = SourceRange(path: "main.tf", start: SourcePosition(line: 2, column: 14, offset: 20), end: SourcePosition(line: 2, column: 47, offset: 53))
        let asked = Finding(ruleId: "JIT-106", severity: .warning, tags: ["jit", "ghes"],
                            message: "fleet `module.runners` on GHES `https://ghes.example` registers with JIT configs at 7.11.0, which need GHES 3.10 or later", location: at)
        let result = try await probe(server, jit: true, asked: [asked])
        let ghes = result.findings.of(GitHubProbeRule.ghesJIT)
        #expect(ghes.count == 1, "\(result.findings.map(\.message))")
        let f = try #require(ghes.first)
        let satisfied = version != "3.9.4"
        #expect(f.severity == (satisfied ? .note : .error))
        #expect(f.message.hasPrefix(satisfied ? "GHES \(version) has the JIT configuration API (3.10 or later)" : "GHES \(version) has no JIT configuration API"), "\(f.message)")
        #expect(f.location.path == (headerOnly ? "github:/app" : "github:/meta"))
        #expect(f.related.map(\.message) == ["`check` asked about the GHES version here (JIT-106: \(asked.message))"])
        #expect(f.related.first?.location == at)
        #expect(result.facts.ghesVersion == version)
        // The version came from where the test says: /meta answered, or was refused and the header told.
        #expect(server.requests.contains { $0.path == "/api/v3/meta" && $0.status == (headerOnly ? 404 : 200) })

        // Without the question, a GHES with the API says nothing; an old one still fails.
        let alone = try await probe(server, jit: true).findings.of(GitHubProbeRule.ghesJIT)
        let severities: [Severity] = alone.map { $0.severity }
        let expected: [Severity] = satisfied ? [] : [.error]
        #expect(severities == expected)
        #expect(alone.allSatisfy { $0.related.isEmpty })
    }

    @Test func appNotInstalledOnTheOwner() async throws {
        let server = try FakeGitHub(Scenario())
        defer { server.stop() }
        let result = try await probe(server, owner: .organization("someone-else"))
        let f = try #require(result.findings.of(GitHubProbeRule.installation).first)
        #expect(f.message.contains("not installed on the organization someone-else"))
        #expect(f.location.path == "github:/orgs/someone-else/installation")
        // Installation discovery: where the App is installed instead.
        #expect(f.detail?.hasSuffix("The App is installed on `acme`.") == true, "\(f.detail ?? "")")
        #expect(server.requests.contains { $0.path == "/app/installations" && $0.auth == "jwt" && $0.status == 200 })
        #expect(!server.requests.contains(where: isWrite))
    }

    @Test func repositoryFleetNeedsAdministration() async throws {
        var scenario = Scenario()
        scenario.owner = "acme/app"
        scenario.appPermissions = ["administration": "read", "actions": "read", "checks": "read", "metadata": "read"]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server, owner: .repository(owner: "acme", name: "app"))
        let f = try #require(result.findings.of(GitHubProbeRule.permission).first)
        #expect(f.message.contains("\"Administration\" (`administration`); the fleet needs `write`"))
        #expect(f.fix?.description.contains("Repository permissions → Administration to \"Read and write\"") == true)
        // read is enough for the runner list, so the runners were still checked with a read token.
        #expect(server.requests.contains { $0.path == "/repos/acme/app/actions/runners" && $0.status == 200 })
    }

    @Test func installationHasNotAcceptedTheNewPermissions() async throws {
        var scenario = Scenario()
        scenario.installationPermissions = ["organization_self_hosted_runners": "read", "actions": "read", "checks": "read", "metadata": "read"]
        scenario.installationEvents = ["push"]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server)
        #expect(result.findings.of(GitHubProbeRule.permission).map(\.message) == [
            "The installation of `octoapp` on `acme` has `read` \"Self-hosted runners\" (`organization_self_hosted_runners`) although the App asks for `write`",
        ].map { haveOfficialPayloads ? $0 : $0.replacingOccurrences(of: "octoapp", with: "fleet-app") })
        #expect(result.findings.of(GitHubProbeRule.event).first?.message.contains("does not deliver") == true)
    }

    @Test func webhookConfig() async throws {
        var scenario = Scenario()
        scenario.webhook = ["url": "https://old.execute-api.eu-west-1.amazonaws.com/webhook", "content_type": "form", "insecure_ssl": "1"]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server, webhookURL: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook/")
        let messages = result.findings.of(GitHubProbeRule.webhook).map(\.message)
        #expect(messages.count == 3, "\(messages)")
        #expect(messages.contains { $0.contains("is not the fleet's webhook endpoint") })
        #expect(messages.contains { $0.contains("sends `form`") })
        #expect(messages.contains { $0.contains("does not verify TLS") })
        // insecure_ssl as a number, and no URL at all.
        var numeric = Scenario()
        numeric.webhook = ["url": "", "content_type": "json", "insecure_ssl": 1]
        let second = try FakeGitHub(numeric)
        defer { second.stop() }
        let r2 = try await probe(second)
        #expect(r2.findings.of(GitHubProbeRule.webhook).map(\.message).sorted() == [
            "The GitHub App has no webhook URL", "The GitHub App's webhook does not verify TLS certificates (`insecure_ssl` is `1`)",
        ])
    }

    @Test func runnersLeftoversLabelsVersionsAcrossPages() async throws {
        var scenario = Scenario()
        var runners = (1...140).map { runner($0, "fleet-i-\($0)", status: "online", ephemeral: true, labels: ["self-hosted", "linux", "x64", "gpu"]) }
        runners += [
            runner(201, "fleet-i-stale1", status: "offline", ephemeral: true, labels: ["self-hosted", "linux", "x64", "gpu"]),
            runner(202, "fleet-i-stale2", status: "offline", ephemeral: true, labels: ["self-hosted", "linux", "x64", "gpu"]),
            runner(203, "fleet-i-old", status: "online", ephemeral: true, labels: ["self-hosted", "gpu"], version: "2.300.2"),
            runner(204, "other-persistent", status: "offline", ephemeral: false, labels: ["self-hosted"]),
        ]
        scenario.runners = runners
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let fleet = GitHubChecks.FleetRunners(namePrefix: "fleet-", ephemeral: true, labels: ["self-hosted", "linux", "x64", "gpu"],
                                              minimumVersion: ModuleVersion(2, 311, 0))
        let result = try await probe(server, fleet: fleet)
        #expect(result.facts.runnerCount == 144, "every page read")
        #expect(server.requests.filter { $0.path == "/orgs/acme/actions/runners" }.count == 2)
        #expect(result.findings.of(GitHubProbeRule.offlineRunners).map(\.message) == ["2 offline ephemeral runners left registered: `fleet-i-stale1`, `fleet-i-stale2`"])
        #expect(result.findings.of(GitHubProbeRule.labels).map(\.message) == ["1 runner lack the fleet's labels `linux`, `x64`: `fleet-i-old`"])
        #expect(result.findings.of(GitHubProbeRule.runnerVersion).map(\.message) == ["1 runner runs a version older than 2.311.0 (2.300.2): `fleet-i-old`"])
    }

    @Test func secondaryRateLimitIsWaitedOut() async throws {
        var scenario = Scenario()
        scenario.faults = [["method": "GET", "path": "/app/hook/config", "status": 429, "headers": ["Retry-After": "3"], "message": "You have exceeded a secondary rate limit"]]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let clock = InstantClock()
        let result = try await probe(server, clock: clock)
        #expect(result.findings.isEmpty, "\(result.findings.map(\.message))")
        #expect(clock.sleeps.contains(3))
        #expect(server.requests.filter { $0.path == "/app/hook/config" }.map(\.status) == [429, 200])
    }

    @Test func primaryRateLimitFarAwayStopsWithAFinding() async throws {
        var scenario = Scenario()
        let reset = Int(Date().timeIntervalSince1970) + 3000
        scenario.faults = [["method": "GET", "path": "/orgs/acme/installation", "status": 403,
                            "headers": ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "\(reset)"], "message": "API rate limit exceeded"]]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server)
        let f = try #require(result.findings.of(GitHubProbeRule.incomplete).first)
        #expect(f.message.hasPrefix("The probe stopped early: GET /orgs/acme/installation: the rate limit is used up until"))
        #expect(server.requests.last?.path == "/orgs/acme/installation", "nothing sent after the stop")
    }

    @Test func forbiddenRunnerListIsReportedAndTheRestGoesOn() async throws {
        var scenario = Scenario()
        scenario.faults = [["method": "GET", "path": "/orgs/acme/actions/runners", "status": 403, "message": "Resource not accessible by integration"]]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server)
        #expect(result.findings.of(GitHubProbeRule.incomplete).map(\.message) == [
            "Could not read the runners: GET /orgs/acme/actions/runners: HTTP 403 (Resource not accessible by integration)",
        ])
    }

    @Test func wrongKeyIsAnEnvironmentFailure() async throws {
        var scenario = Scenario()
        scenario.publicKey = try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        await #expect {
            _ = try await probe(server)
        } throws: { error in
            (error as? GitHubProbeFailure)?.description.contains("GitHub refused the App's JWT") == true
        }
        #expect(server.requests.contains { $0.path == "/app" && $0.status == 401 && $0.auth == "bad-jwt" })
    }

    @Test func unreachableServerIsAnEnvironmentFailure() async throws {
        let inputs = GitHubProbeInputs(endpoint: try GitHubEndpoint.api("http://127.0.0.1:9"), appID: testAppID, key: try appKey(), owner: .organization("acme"))
        await #expect(throws: GitHubProbeFailure.self) {
            _ = try await GitHubProbe.run(inputs, transport: try CurlTransport(timeout: 5), clock: InstantClock(), retry: RetryPolicy(maxAttempts: 1))
        }
    }

    /// A server that accepts connections and never answers: each request gives up after the
    /// timeout, and the probe stops with an error that says so (not a hang).
    @Test(.timeLimit(.minutes(3)))
    func aSilentServerTimesOutIntoAnEnvironmentFailure() async throws {
        let (fd, port) = MotoServer.loopbackSocket(listening: true)
        defer { close(fd) }
        let inputs = GitHubProbeInputs(endpoint: try GitHubEndpoint.api("http://127.0.0.1:\(port)"), appID: testAppID, key: try appKey(), owner: .organization("acme"))
        let started = Date()
        do {
            _ = try await GitHubProbe.run(inputs, transport: try CurlTransport(timeout: 1), clock: InstantClock(), retry: RetryPolicy(maxAttempts: 2))
            Issue.record("a silent server was not a failure")
        } catch let e as GitHubProbeFailure {
            #expect(e.description.contains("did not answer within 1 s"), "\(e)")
        }
        #expect(Date().timeIntervalSince(started) < 60)
    }

    // MARK: JIT round trip

    @Test func jitRoundTripCreatesAndDeletes() async throws {
        var scenario = Scenario()
        scenario.ghesVersion = "3.12.1"
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server, jit: true, fleet: .init(labels: ["self-hosted", "linux", "x64"]), roundTrip: true)
        #expect(result.findings.isEmpty, "\(result.findings.map(\.message))")
        #expect(result.facts.jitRoundTripPassed == true)
        let log = server.requests
        let post = try #require(log.first { $0.path == "/api/v3/orgs/acme/actions/runners/generate-jitconfig" })
        #expect(post.status == 201)
        #expect(log.contains { $0.method == "DELETE" && $0.path.hasPrefix("/api/v3/orgs/acme/actions/runners/") && $0.status == 204 })
        #expect(log.first { $0.path.hasSuffix("/access_tokens") }?.permissions == ["organization_self_hosted_runners": "write"])
        #expect(server.secrets("jit_configs").count == 1)
        // The writes are exactly: the token, the JIT config, its deletion.
        #expect(log.filter(isWrite).map(\.method) == ["POST", "POST", "DELETE"])
    }

    @Test func jitRoundTripOnOldGHESExplainsThe404() async throws {
        var scenario = Scenario()
        scenario.ghesVersion = "3.9.2"
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server, jit: nil, roundTrip: true)
        let f = try #require(result.findings.of(GitHubProbeRule.jitRoundTrip).first)
        #expect(f.message.contains("GHES 3.9.2 has no generate-jitconfig API"))
        #expect(result.facts.jitRoundTripPassed == false)
        #expect(!server.requests.contains { $0.method == "DELETE" }, "nothing was created")
    }

    @Test func jitRoundTripInAMissingGroupCreatesNothing() async throws {
        let server = try FakeGitHub(Scenario())
        defer { server.stop() }
        let result = try await probe(server, roundTrip: true, group: "no-such-group")
        #expect(result.findings.of(GitHubProbeRule.jitRoundTrip).first?.message.contains("the runner group `no-such-group` does not exist") == true)
        #expect(!server.requests.contains { $0.path.hasSuffix("generate-jitconfig") })
    }

    @Test func jitRoundTripReportsARunnerItCouldNotDelete() async throws {
        var scenario = Scenario()
        scenario.faults = [["method": "DELETE", "path": "/orgs/acme/actions/runners/\\d+", "status": 500, "times": 5, "message": "boom"]]
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let result = try await probe(server, roundTrip: true)
        let f = try #require(result.findings.of(GitHubProbeRule.jitRoundTrip).first)
        #expect(f.message.hasPrefix("The JIT round trip's test runner `ghr-audit-probe-"))
        #expect(f.message.contains("could not be deleted"))
        #expect(server.requests.filter { $0.method == "DELETE" }.count == 3, "retried as an idempotent request")
    }

    @Test func jitRoundTripCleansUpWhenTheAnswerIsUnreadable() async throws {
        // The server creates the runner but the 201's body is not what the probe expects: the
        // probe finds the runner by name and deletes it.
        var scenario = Scenario()
        scenario.faults = []
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let client = GitHubClient(endpoint: server.endpoint, transport: try CurlTransport(timeout: 10), clock: InstantClock())
        let session = GitHubAppSession(client: client, appID: testAppID, key: try appKey())
        let installation = try await session.installation(for: .organization("acme"))
        let token = try await session.installationToken(installationID: installation.id, permissions: ["organization_self_hosted_runners": "write"])
        // A runner the previous, lost answer created.
        let body = try JSONSerialization.data(withJSONObject: ["name": "ghr-audit-probe-lost", "runner_group_id": 1, "labels": ["self-hosted"]])
        _ = try await client.send("POST", "/orgs/acme/actions/runners/generate-jitconfig", json: body, auth: .bearer(token.token))
        let problem = await JITRoundTrip.remove(client: client, auth: .bearer(token.token), owner: .organization("acme"), id: nil, name: "ghr-audit-probe-lost")
        #expect(problem == nil)
        let log = server.requests
        #expect(log.contains { $0.path == "/orgs/acme/actions/runners" && $0.query == "name=ghr-audit-probe-lost" })
        #expect(log.last?.method == "DELETE" && log.last?.status == 204)
    }
}

/// Passes requests to the network; once the generate-jitconfig POST has been answered it signals
/// `parked` and sleeps until its task is cancelled: an interrupt that arrives between GitHub's 201
/// and the probe reading it. (Sleeping suspends the task; nothing polls.)
final class ParkAfterJITTransport: HTTPTransport, @unchecked Sendable {
    let next: CurlTransport
    let parked = DispatchSemaphore(value: 0)
    init() throws { next = try CurlTransport(timeout: 30) }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await next.send(request)
        if request.method == "POST" && request.url.path.hasSuffix("/generate-jitconfig") {
            parked.signal()
            try await Task.sleep(nanoseconds: 3_600_000_000_000)
            throw CancellationError()
        }
        return response
    }
}

/// The probe is cancelled (what SIGINT does to `ghr-audit probe`) once GitHub has created the test
/// runner. The tests wait for that moment on a signal (the server's stdout, or the transport's
/// semaphore) read by a thread of their own, so a starved concurrency pool delays them at worst.
@Suite("JIT round trip interrupted", .serialized)
struct JITInterruptTests {
    func inputs(_ server: FakeGitHub) throws -> GitHubProbeInputs {
        GitHubProbeInputs(endpoint: server.endpoint, appID: testAppID, key: try appKey(), owner: .organization("acme"), jitRoundTrip: true)
    }

    /// After the deletion: the lost answer made the probe look the runner up by name, then delete it.
    func expectRunnerFoundAndDeleted(_ result: GitHubProbeResult, _ server: FakeGitHub) {
        #expect(result.facts.jitRoundTripPassed == false)
        #expect(result.facts.jitRoundTrip?.contains("interrupted") == true, "\(result.facts.jitRoundTrip ?? "")")
        let log = server.requests
        let post = log.firstIndex { $0.path.hasSuffix("/generate-jitconfig") && $0.status == 201 }
        let lookup = log.firstIndex { $0.method == "GET" && $0.query.hasPrefix("name=ghr-audit-probe-") }
        #expect(post != nil && lookup != nil && post! < lookup!, "\(log)")
        #expect(log.last?.method == "DELETE" && log.last?.status == 204, "\(log)")
        #expect(log.filter(isWrite).map(\.method) == ["POST", "POST", "DELETE"], "nothing else written")
    }

    /// The interrupt comes while GitHub holds the 201 (the runner exists): the request in flight
    /// is abandoned at once, not after the transport's timeout.
    @Test(.timeLimit(.minutes(3)))
    func interruptAfterCreationStillDeletesTheRunner() async throws {
        var scenario = Scenario()
        scenario.overlay["hold_jit_answer"] = true
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let inputs = try inputs(server)
        let task = Task { try await GitHubProbe.run(inputs, transport: try CurlTransport(timeout: 30), clock: InstantClock()) }
        let held = await server.waitFor(event: "held", timeout: 120)
        let cancelled = Date()
        task.cancel()
        try #require(held, "the runner was never created")
        let result = try await task.value
        #expect(Date().timeIntervalSince(cancelled) < 20, "the held request was abandoned, not timed out")
        #expect(await server.waitFor(event: "released", timeout: 30), "the probe closed the held connection")
        expectRunnerFoundAndDeleted(result, server)
    }

    /// The interrupt comes after the 201 reached the transport, before the probe read it.
    @Test(.timeLimit(.minutes(3)))
    func interruptAfterTheAnswerArrivedStillDeletesTheRunner() async throws {
        let server = try FakeGitHub(Scenario())
        defer { server.stop() }
        let inputs = try inputs(server)
        let transport = try ParkAfterJITTransport()
        let task = Task { try await GitHubProbe.run(inputs, transport: transport, clock: InstantClock()) }
        let parked = await onDedicatedThread { transport.parked.wait(timeout: .now() + 120) == .success }
        task.cancel()
        try #require(parked, "the runner was never created")
        expectRunnerFoundAndDeleted(try await task.value, server)
    }
}
