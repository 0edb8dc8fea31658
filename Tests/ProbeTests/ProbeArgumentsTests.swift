import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import ProbeClient
import Testing
@testable import Probe

/// `probe` between its argument parser and its printing: the options checked, the GitHub half's
/// inputs resolved (key file, environment, server), the run's messages, report and exit status.
@Suite("probe: options, inputs, the run", .serialized)
struct ProbeArgumentsTests {
    static func usage(_ body: () throws -> Void) -> String? {
        do { try body() } catch let e as UsageError { return e.description } catch { return "not a usage error: \(error)" }
        return nil
    }

    static func github(_ edit: (inout GitHubProbeArguments) -> Void) -> GitHubProbeArguments {
        var a = GitHubProbeArguments()
        edit(&a)
        return a
    }

    @Test func eachHalfsOptionsAndTheirCombinations() {
        #expect(Self.usage { try AWSProbeArguments(awsTimeout: 0).validate() } == "`--aws-timeout` must be a positive number of seconds")
        #expect(Self.usage { try AWSProbeArguments(tokenAge: "soon").validate() } == "`--token-age soon` is not a duration such as 24h or 2d")
        #expect(Self.usage { try AWSProbeArguments(prefixes: ["a/b"]).validate() } == "`--prefix a/b` must be a module prefix such as `github-actions`")
        #expect(Self.usage { try AWSProbeArguments(prefixes: ["ci"]).validate() } == nil)
        #expect(Self.usage { try Self.github { $0.org = "a"; $0.repo = "a/b" }.validate() } == "give either `--org` or `--repo`, not both")
        #expect(Self.usage { try Self.github { $0.repo = "ab" }.validate() } == "`--repo ab` must have the form OWNER/REPO")
        #expect(Self.usage { try Self.github { $0.appID = "1 2" }.validate() } == "`--github-app-id` must be the App's id")
        #expect(Self.usage { try Self.github { $0.timeout = 0 }.validate() } == "`--github-timeout` must be between 0 and 600 seconds")
        #expect(Self.usage { try Self.github { $0.appFromFleet = true; $0.keyFile = "k" }.validate() }
            == "give either `--github-app-key-file` or `--github-app-from-fleet`, not both")

        func probe(path: String? = nil, prefixes: [String] = [], github: GitHubProbeArguments = .init(), target: String? = nil,
                   since: String? = nil, skipAWS: Bool = false, skipGitHub: Bool = false) -> ProbeArguments {
            ProbeArguments(path: path, aws: AWSProbeArguments(prefixes: prefixes), github: github, audit: AuditArguments(target: target),
                           since: since, skipAWS: skipAWS, skipGitHub: skipGitHub)
        }
        #expect(Self.usage { try probe().validate() }?.hasPrefix("nothing to probe") == true)
        #expect(Self.usage { try probe(path: ".", skipAWS: true).validate() }?.hasPrefix("nothing to probe") == true)
        #expect(Self.usage { try probe(github: Self.github { $0.org = "a" }, skipGitHub: true).validate() }?.hasPrefix("nothing to probe") == true)
        #expect(Self.usage { try probe(github: Self.github { $0.appFromFleet = true }).validate() }?.hasPrefix("`--github-app-from-fleet` reads the App") == true)
        #expect(Self.usage { try probe(prefixes: ["ci"], since: "later").validate() } == "`--since later` is not a duration such as 24h or 3d")
        #expect(Self.usage { try probe(prefixes: ["ci"], target: "pinned").validate() }?.hasPrefix("`--target pinned` needs PATH") == true)
        #expect(Self.usage { try probe(path: ".", target: "pinned").validate() } == nil)
        let both = probe(path: ".", github: Self.github { $0.org = "a" }, since: "24h")
        #expect(both.awsWanted && both.githubWanted && both.window == 86_400)
        #expect(!probe(prefixes: ["ci"]).githubWanted && probe(prefixes: ["ci"]).awsWanted)
    }

    @Test func githubInputsFromTheOptionsTheKeyFileAndTheEnvironment() throws {
        let knowledge = try KnowledgeBase.load()
        let pem = testAppKey.pemRepresentation
        let host = MemoryHostFiles(["keys/app.pem": pem, "keys/bad.pem": "not a key"])
        func error(_ a: GitHubProbeArguments, environment: [String: String] = [:]) -> String? {
            do { _ = try a.inputs(knowledge: knowledge, environment: environment, host: host) } catch { return error.description }
            return nil
        }
        #expect(error(Self.github { $0.org = "acme" })?.hasPrefix("the GitHub probe needs `--github-app-id`") == true)
        #expect(error(Self.github { $0.appID = "1" })?.hasPrefix("the GitHub probe needs `--org ORG` or `--repo OWNER/REPO`") == true)
        #expect(error(Self.github { $0.appID = "1"; $0.org = "acme" })
            == "the GitHub probe needs the App's private key: `--github-app-key-file KEY.pem` or GHR_AUDIT_GITHUB_APP_KEY")
        #expect(error(Self.github { $0.appID = "1"; $0.org = "acme"; $0.keyFile = "keys/none.pem" }) == "cannot read `--github-app-key-file keys/none.pem`")
        let bad = error(Self.github { $0.appID = "1"; $0.org = "acme"; $0.keyFile = "keys/bad.pem" })
        #expect(bad?.hasPrefix("`keys/bad.pem`: ") == true && bad?.contains("not a key") == false, "\(bad ?? "")")

        let fromFile = try Self.github { $0.appID = "1"; $0.repo = "acme/infra"; $0.keyFile = "keys/app.pem"; $0.githubURL = "https://ghe.example.com"
            $0.runnerLabels = " self-hosted, gpu ,," ; $0.fleetJIT = true }.inputs(knowledge: knowledge, environment: [:], host: host)
        #expect(fromFile.appID == "1" && fromFile.owner == GitHubOwner.repository("acme/infra"))
        #expect(fromFile.endpoint == (try GitHubEndpoint.server("https://ghe.example.com")) && fromFile.fleetJIT == true)
        #expect(fromFile.fleet.labels == ["self-hosted", "gpu"])
        let fromEnvironment = try Self.github { $0.appID = "1"; $0.org = "acme" }
            .inputs(knowledge: knowledge, environment: [GitHubProbeArguments.keyEnvironment: pem], host: host)
        #expect(fromEnvironment.endpoint == .dotcom && fromEnvironment.owner == .organization("acme"))
        #expect(Self.github { _ in }.caBundle(environment: ["SSL_CERT_FILE": ""]) == nil)
        #expect(Self.github { _ in }.caBundle(environment: ["SSL_CERT_FILE": "/etc/ca.pem"]) == "/etc/ca.pem")
        #expect(Self.github { $0.caBundle = "mine.pem" }.caBundle(environment: ["SSL_CERT_FILE": "/etc/ca.pem"]) == "mine.pem")
    }

    final class Said: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.withLock { lines.append(s) } }
        var all: [String] { lock.withLock { lines } }
    }

    @Test func aGitHubOnlyRunReportsGatesAndSummarises() async throws {
        var scenario = Scenario()
        scenario.runners = (1...2).map { runner($0, "i-0\($0)", status: "offline", ephemeral: true) }
        let server = try FakeGitHub(scenario)
        defer { server.stop() }
        let knowledge = try KnowledgeBase.load()
        let pem = testAppKey.pemRepresentation
        let said = Said()
        let messages = ProbeMessages(progress: { said.add("progress: " + $0) }, note: { said.add("note: " + $0) }, always: { said.add($0) })
        let arguments = ProbeArguments(path: nil, aws: AWSProbeArguments(), github: Self.github { $0.appID = testAppID; $0.org = "acme"; $0.githubAPIURL = server.apiURL },
                                       audit: AuditArguments(target: "6.0.0"))
        func run(baseline: BaselineInUse? = nil, failOn: FailThreshold? = nil) async throws -> ProbeOutcome {
            try await ProbeRun(arguments: arguments, knowledge: knowledge, environment: [GitHubProbeArguments.keyEnvironment: pem],
                               host: MemoryHostFiles([:]), audit: nil, baseline: baseline, failOn: failOn, messages: messages).run()
        }
        let outcome = try await run()
        #expect(outcome.gate.report.target == "6.0.0" && outcome.gate.report.auditsRepository == false)
        #expect(!outcome.gate.report.findings.isEmpty, "two offline runners")
        #expect(outcome.gate.status == (outcome.gate.report.findings.contains { $0.severity == .error } ? .findings : .clean))
        #expect(outcome.github?.runnerCount == 2)
        #expect(said.all.contains { $0.hasPrefix("note: github: ") && $0.contains("2 runners (2 offline)") }, "\(said.all)")
        // The key is never said.
        let keyLines = pem.split(separator: "\n").filter { $0.count > 20 }
        #expect(!said.all.contains { line in keyLines.contains { line.contains($0) } })
        // A baseline of every finding leaves nothing to fail; `--fail-on none` never fails.
        let all = BaselineInUse(try Baseline.load(Baseline.make(outcome.gate.report.findings)), shown: "b.json", hostPath: "b.json")
        let gated = try await run(baseline: all)
        #expect(gated.gate.report.findings.isEmpty && gated.gate.status == .clean && !gated.gate.report.dismissed.isEmpty)
        #expect(try await run(failOn: FailThreshold.none).gate.status == .clean)
        // An interrupted run says the GitHub summary it has and ends with 130.
        let stopped = ProbeRun.interruption(.success(outcome))
        #expect(stopped.status == 130 && stopped.lines.last == "ghr-audit: interrupted" && stopped.lines.first?.hasPrefix("github: ") == true)
        #expect(ProbeRun.interruption(.failure(CancellationError())).lines == ["ghr-audit: interrupted"])
    }
}
