import AuditCore
import Foundation
import Knowledge
import ProbeClient
import Reporters
import Testing
@testable import Probe

/// The AWS half against moto's server, seeded through the real API with a fleet deployed by 3.6.1
/// (`legacy`) and one by 4.x (`modern`).
@Suite(.serialized) struct AWSProbeIntegrationTests {
    static let knowledge = try! KnowledgeBase.load()
    static let secretMarker = "SECRET-"

    static func settings(since: Double? = 3 * 86_400) -> AWSProbeSettings {
        AWSProbeSettings(prefixes: ["legacy", "modern"], since: since, target: ModuleVersion(7, 11, 0))
    }

    @Test func findsWhatTheSeededFleetsShowAndChangesNothing() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        let before = try server.snapshot()

        let recorder = RecordingTransport(try CurlTransport(timeout: 10))
        let bodies = BodyLog(recorder)
        let result = try await AWSProbe.run(client: ProbeFixture.client(server, transport: bodies, clock: ProbeFixture.clock()),
                                            settings: Self.settings(), knowledge: Self.knowledge, progress: { FileHandle.standardError.write(Data("\($0)\n".utf8)) })

        // Fleet state unchanged (every seeded resource, values included).
        #expect(try server.snapshot() == before)

        // What the fleets show.
        let legacy = try #require(result.fleets.first { $0.fleet.namePrefix == "legacy" })
        let modern = try #require(result.fleets.first { $0.fleet.namePrefix == "modern" })
        #expect(legacy.deployed.below == ModuleVersion(4, 0, 0))
        #expect(modern.deployed.atLeast == ModuleVersion(4, 0, 1))
        #expect(legacy.config["agent_mode"] == "ephemeral" && legacy.config["enable_jit_config"] == nil)
        #expect(modern.config["enable_jit_config"] == "true")
        #expect(legacy.instances.count == 2 && modern.instances.count == 2)
        #expect(result.account == "123456789012")
        // Each fleet's webhook endpoint: its own HTTP API's invoke URL and the module's `/webhook` route.
        for f in [legacy, modern] {
            let url = try #require(f.webhookEndpoint, "\(f.fleet.namePrefix)")
            #expect(url.hasPrefix("https://") && url.hasSuffix(".execute-api.eu-west-1.amazonaws.com/webhook"), "\(url)")
        }
        #expect(legacy.webhookEndpoint != modern.webhookEndpoint)

        func ids(_ f: [Finding]) -> [String] { f.map(\.ruleId) }
        let legacyFindings = result.findings.filter { $0.location.path.contains("legacy") }
        let modernFindings = result.findings.filter { $0.location.path.contains("modern") }
        // The 3.6.1 fleet: token-only user data (through the start-script analysis), legacy tags,
        // dead letters, a runner that never started, IAM below the target.
        let userData = try #require(legacyFindings.first { $0.ruleId == "PRB-404" })
        #expect(userData.location.path == "aws/eu-west-1/ec2/launch-template/legacy-action-runner/v1/user-data")
        #expect(userData.location.start.line == 8 && userData.severity == .warning)
        #expect(ids(legacyFindings).contains("PRB-405"))
        #expect(legacyFindings.contains { $0.ruleId == "PRB-407" && $0.message.contains("`legacy-queued-builds_dead_letter` holds 2") })
        #expect(legacyFindings.contains { $0.ruleId == "PRB-402" && $0.message.hasPrefix("1 token parameter") })
        #expect(legacyFindings.contains { $0.ruleId == "PRB-402" && $0.message.hasPrefix("1 of 2 instance(s) of fleet `legacy` launched in the last 3d never fetched") })
        #expect(legacyFindings.contains { $0.ruleId == "PRB-406" && $0.location.path.hasSuffix("legacy-action-scale-up-lambda-role") })
        // The 4.x fleet: consistent JIT setting, a jit-aware script; after the upgrade the window
        // holds lambda errors and the token-to-jitconfig failure signature.
        #expect(!ids(modernFindings).contains("PRB-401") && !ids(modernFindings).contains("PRB-404") && !ids(modernFindings).contains("PRB-405"))
        #expect(modernFindings.contains { $0.ruleId == "PRB-409" && $0.message.contains("`modern-scale-up` reported 3 errors") })
        #expect(modernFindings.contains { $0.ruleId == "PRB-410" && $0.message.contains("Unrecognized command-line input arguments") })
        #expect(modernFindings.contains { $0.ruleId == "PRB-410" && $0.message.hasPrefix("2 log line(s)") && $0.message.contains("Ignoring error") })
        #expect(!ids(result.findings).contains("PRB-408"), "nothing was denied: \(result.findings.filter { $0.ruleId == "PRB-408" }.map(\.message))")
        for f in result.findings {
            #expect(f.tags == ["probe", "aws"])
            #expect(!f.fingerprint.isEmpty)
        }

        // Safety: only the declared read-only actions, and every one of them was exercised.
        let called = Set(recorder.entries.map { e -> String in Self.action(e) })
        #expect(called.isSubset(of: AWSActions.all), "undeclared: \(called.subtracting(AWSActions.all))")
        #expect(called == Set(AWSActions.reads), "declared but not exercised: \(Set(AWSActions.reads).subtracting(called))")
        // SSM values are read only from config paths, never decrypted.
        for e in bodies.entries where e.operation == "AmazonSSM.GetParametersByPath" {
            #expect(e.body.contains(#""WithDecryption":false"#) && e.body.contains("/runners/config"), "\(e.body)")
        }
        #expect(!bodies.entries.contains { $0.operation == "AmazonSSM.GetParameter" || $0.operation == "AmazonSSM.GetParameters" })

        // No secret in any report format, nor in the facts.
        let report = Report(toolVersion: "test", target: "7.11.0", filesScanned: 0, filesByKind: [:], modules: [], findings: result.findings,
                            rules: Self.knowledge.descriptors)
        for format in OutputFormat.allCases {
            let text = render(report, as: format, options: RenderOptions(sources: result.sources))
            #expect(!text.contains(Self.secretMarker), "a secret reached the \(format) report")
        }
        #expect(!String(reflecting: result.fleets).contains(Self.secretMarker))
    }

    static func action(_ e: RecordingTransport.Entry) -> String {
        let host = e.url.path
        if let op = e.operation {
            if op.hasPrefix("AmazonSSM.") { return "ssm:" + op.dropFirst("AmazonSSM.".count) }
            if op.hasPrefix("AmazonSQS.") { return "sqs:" + op.dropFirst("AmazonSQS.".count) }
            if op.hasPrefix("Logs_20140328.") { return "logs:" + op.dropFirst("Logs_20140328.".count) }
            switch op {
            case "GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity": return "sts:\(op)"
            case "GetMetricStatistics": return "cloudwatch:\(op)"
            case _ where op.hasPrefix("Describe"): return "ec2:\(op)"
            default: return "iam:\(op)"
            }
        }
        if host.hasPrefix("/2015-03-31/functions") { return "lambda:ListFunctions" }
        if e.method == "GET" && host.hasPrefix("/v2/apis") { return "apigateway:GET" }
        return "unknown:\(e.method) \(host)"
    }

    @Test func theCommandLinePrintsNoSecret() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let (status, stdout, stderr) = try Self.cli(
            ["probe", "--prefix", "legacy", "--prefix", "modern", "--region", "eu-west-1", "--since", "1d",
             "--format", "text", "--format", "json", "--output", dir.appendingPathComponent("r.json").path,
             "--format", "sarif", "--output", dir.appendingPathComponent("r.sarif").path],
            environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-SECRET-KEY", "AWS_SESSION_TOKEN": "SECRET-SESSION",
                          "AWS_ENDPOINT_URL": server.endpoint.absoluteString, "HOME": dir.path, "PATH": "/usr/bin:/bin"]) else { return }
        #expect(status == 1, "stderr: \(stderr)")
        #expect(stdout.contains("PRB-404") && stdout.contains("PRB-410"))
        for (name, text) in [("stdout", stdout), ("stderr", stderr),
                             ("json", try String(contentsOf: dir.appendingPathComponent("r.json"), encoding: .utf8)),
                             ("sarif", try String(contentsOf: dir.appendingPathComponent("r.sarif"), encoding: .utf8))] {
            #expect(!text.contains(Self.secretMarker), "a secret reached \(name)")
        }
    }

    /// Runs the built `ghr-audit`; nil (skip) when it is not built.
    static func cli(_ arguments: [String], environment: [String: String]) throws -> (Int32, String, String)? {
        let binary = MotoServer.packageRoot.appendingPathComponent(".build/debug/ghr-audit")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            print("skipped: \(binary.path) is not built")
            return nil
        }
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        while p.isRunning { usleep(5_000) }
        return (p.terminationStatus, stdout, stderr)
    }

    @Test func withARepositoryFleetsComeFromTheModelAndDriftIsReported() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("probe-repo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: repo) }
        // The repository pins 4.1.0; the account still runs the 3.6.1 deployment.
        try """
        module "runners" {
          source                   = "philips-labs/github-runner/aws"
          version                  = "4.1.0"
          prefix                   = "legacy"
          enable_ephemeral_runners = true
        }

        """.write(to: repo.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        guard let (status, stdout, stderr) = try Self.cli(
            ["probe", repo.path, "--region", "eu-west-1", "--target", "4.1.0", "--format", "json"],
            environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": server.endpoint.absoluteString,
                          "HOME": repo.path, "PATH": "/usr/bin:/bin"]) else { return }
        #expect(status == 1, "stderr: \(stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let findings = try #require(obj["findings"] as? [[String: Any]])
        let drift = try #require(findings.first { $0["ruleId"] as? String == "PRB-403" }, "\(stdout)")
        #expect((drift["message"] as? String)?.contains("the repository pins 4.1.0") == true)
        #expect("\(drift)".contains("main.tf"), "the module call is related: \(drift)")
        #expect(findings.contains { $0["ruleId"] as? String == "PRB-404" })
    }

    /// The repository gives the 4.x fleet `gpu` on top of the default labels; the deployed lambda's
    /// RUNNER_LABELS (`self-hosted,linux,x64`) has not got it: one PRB-413 names the difference, at
    /// the lambda and related to the labels line. Labels equal as sets ignoring case are no drift.
    /// With the GitHub half, both label lists are said on stderr, and runners are checked against the
    /// repository's (the one fleet), ignoring case (`Linux`, `X64` as GitHub shows its defaults).
    @Test func deployedLabelsOtherThanTheRepositorysAreDrift() throws {
        guard let moto = try MotoServer.start() else { return }
        defer { moto.stop() }
        try moto.seed()
        var scenario = Scenario()
        scenario.owner = "my-org"
        scenario.runners = [runner(1, "modern-i-0aaa", status: "online", ephemeral: true, labels: ["self-hosted", "Linux", "X64"])]
        let github = try FakeGitHub(scenario)
        defer { github.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("label-drift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pem = testAppKey.pemRepresentation
        let key = dir.appendingPathComponent("app.pem")
        try pem.write(to: key, atomically: true, encoding: .utf8)
        let env = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": moto.endpoint.absoluteString,
                   "HOME": dir.path, "AWS_REGION": "eu-west-1"]
        func probe(extraLabels: String) throws -> (CLIRun, [[String: Any]]) {
            let repo = dir.appendingPathComponent("repo-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
            try """
            module "runners" {
              source                   = "github-aws-runners/github-runner/aws"
              version                  = "6.5.0"
              prefix                   = "modern"
              enable_ephemeral_runners = true
              runner_extra_labels      = \(extraLabels)
            }

            """.write(to: repo.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
            let run = try runCLI(["probe", repo.path, "--target", "6.5.0", "--github-api-url", github.apiURL, "--github-app-id", testAppID,
                                  "--github-app-key-file", key.path, "--format", "json"], environment: env)
            let findings = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["findings"] as? [[String: Any]]
            #expect(findings != nil, "\(run.stderr)")
            return (run, findings ?? [])
        }

        let (drifted, findings) = try probe(extraLabels: #"["gpu"]"#)
        let drift = findings.filter { $0["ruleId"] as? String == "PRB-413" }
        #expect(drift.count == 1, "\(findings.map { $0["message"] ?? "" })")
        let f = try #require(drift.first)
        #expect(f["message"] as? String == "fleet `modern` is deployed with runner labels `linux`, `self-hosted`, `x64` (RUNNER_LABELS), but the repository gives `gpu`, `linux`, `self-hosted`, `x64`")
        #expect((f["detail"] as? String)?.contains("only in the repository: `gpu`") == true, "\(f)")
        #expect(((f["location"] as? [String: Any])?["path"] as? String) == "aws/eu-west-1/lambda/modern-scale-up")
        let related = f["related"] as? [[String: Any]] ?? []
        let labelsLine = try #require(related.first)
        #expect(labelsLine["message"] as? String == "the repository's labels come from here (at 6.5.0)")
        #expect((labelsLine["location"] as? [String: Any])?["path"] as? String == "main.tf" && (labelsLine["location"] as? [String: Any])?["startLine"] as? Int == 6, "\(related)")
        #expect(related.contains { ($0["message"] as? String ?? "").contains("module call `module.runners`") }, "\(related)")
        // Neither side silently preferred: stderr says both, the runner check says which.
        #expect(drifted.stderr.contains("github: from the repository:") && drifted.stderr.contains("labels gpu,linux,self-hosted,x64"), "\(drifted.stderr)")
        #expect(drifted.stderr.contains("github: from the fleet:") && drifted.stderr.contains("labels linux,self-hosted,x64"), "\(drifted.stderr)")
        #expect(findings.filter { $0["ruleId"] as? String == "GHP-607" }.compactMap { $0["message"] as? String }
                == ["1 runner lack the fleet's label `gpu`: `modern-i-0aaa`"], "\(findings)")

        // The same labels in another case and order: no drift, and the runner carries them all.
        let (same, none) = try probe(extraLabels: #"["X64"]"#)
        #expect(!none.contains { $0["ruleId"] as? String == "PRB-413" }, "\(none.map { $0["message"] ?? "" })")
        #expect(!none.contains { $0["ruleId"] as? String == "GHP-607" }, "\(none.map { $0["message"] ?? "" })")
        #expect(same.status != 2, "\(same.stderr)")
        for text in [drifted.stdout, drifted.stderr, same.stdout, same.stderr] {
            for secret in github.secrets { #expect(!text.contains(secret), "a secret reached the output") }
            #expect(!text.contains("PRIVATE KEY") && !text.contains("SECRET-"))
        }
    }

    /// A repository whose runners boot an AMI baked by its own Packer template (`ami_name` from
    /// `name_stem`), selected by the module call's `ami_filter` name `filter`.
    static func packerRepository(name_stem: String, filter: String) throws -> URL {
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("probe-ami-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("images"), withIntermediateDirectories: true)
        try """
        module "runners" {
          source                   = "github-aws-runners/github-runner/aws"
          version                  = "6.5.0"
          prefix                   = "modern"
          enable_ephemeral_runners = true
          enable_userdata          = false
          ami_filter = {
            name  = ["\(filter)"]
            state = ["available"]
          }
        }

        """.write(to: repo.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        try """
        variable "build_id" {
          type = string
        }

        source "amazon-ebs" "runner" {
          ami_name      = "\(name_stem)${var.build_id}"
          instance_type = "m5.large"
          region        = "eu-west-1"
          ssh_username  = "ec2-user"
          source_ami_filter {
            filters = { name = "al2023-ami-2023.*-x86_64" }
            owners  = ["amazon"]
          }
        }

        build {
          sources = ["source.amazon-ebs.runner"]
          provisioner "file" {
            source      = "start-runner.sh"
            destination = "/var/lib/cloud/scripts/per-boot/start-runner.sh"
          }
        }

        """.write(to: repo.appendingPathComponent("images/runner.pkr.hcl"), atomically: true, encoding: .utf8)
        return repo
    }

    static func probeJSON(_ repo: URL, _ server: MotoServer) throws -> (Int32, [[String: Any]], [String: Any], String)? {
        guard let (status, stdout, stderr) = try Self.cli(
            ["probe", repo.path, "--region", "eu-west-1", "--target", "6.5.0", "--format", "json"],
            environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": server.endpoint.absoluteString,
                          "HOME": repo.path, "PATH": "/usr/bin:/bin"]) else { return nil }
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "stdout: \(stdout) stderr: \(stderr)")
        return (status, obj["findings"] as? [[String: Any]] ?? [], obj["live"] as? [String: Any] ?? [:], stderr)
    }

    @Test func theLaunchTemplatesAMIIsRelatedToThePackerTemplateThatBuildsIt() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        // The seeded 4.x fleet boots `ghr-runner-al2023-x86_64-20261201` (owner 123456789012).
        let repo = try Self.packerRepository(name_stem: "ghr-runner-al2023-x86_64-", filter: "ghr-runner-al2023-x86_64-*")
        defer { try? FileManager.default.removeItem(at: repo) }
        guard let (_, findings, live, stderr) = try Self.probeJSON(repo, server) else { return }
        let ami = findings.filter { $0["ruleId"] as? String == "PRB-412" }
        #expect(ami.count == 1, "\(ami) \(stderr)")
        let note = try #require(ami.first)
        #expect(note["severity"] as? String == "note")
        let message = note["message"] as? String ?? ""
        #expect(message.contains("launch template `modern-action-runner` v1 boots AMI `ami-"), "\(message)")
        #expect(message.contains("(`ghr-runner-al2023-x86_64-20261201`, owner `123456789012`), built by Packer template `images/runner.pkr.hcl`"), "\(message)")
        // The related note points at the `ami_name` line of the template, then at the module call.
        let related = try #require(note["related"] as? [[String: Any]])
        let first = try #require(related.first)
        let location = try #require(first["location"] as? [String: Any])
        #expect(location["path"] as? String == "images/runner.pkr.hcl" && location["startLine"] as? Int == 6, "\(first)")
        #expect((first["message"] as? String)?.contains("names its AMIs `ghr-runner-al2023-x86_64-*`") == true)
        #expect(related.contains { ($0["location"] as? [String: Any])?["path"] as? String == "main.tf" })
        // The live facts carry the owner and the template.
        let fleets = (live["aws"] as? [String: Any])?["fleets"] as? [[String: Any]] ?? []
        let image = try #require(fleets.first { $0["namePrefix"] as? String == "modern" }?["image"] as? [String: Any])
        #expect(image["owner"] as? String == "123456789012")
        #expect(image["builtBy"] as? [String] == ["images/runner.pkr.hcl:6"])
    }

    @Test func anAMIThePackerTemplateDoesNotBuildOrTheFilterDoesNotSelectIsAWarning() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        // The repository's template bakes `ghr-runner-ubuntu-*`, and the fleet selects that name.
        let repo = try Self.packerRepository(name_stem: "ghr-runner-ubuntu-", filter: "ghr-runner-ubuntu-*")
        defer { try? FileManager.default.removeItem(at: repo) }
        guard let (_, findings, live, stderr) = try Self.probeJSON(repo, server) else { return }
        let ami = findings.filter { $0["ruleId"] as? String == "PRB-412" }
        let messages = ami.compactMap { $0["message"] as? String }
        #expect(ami.count == 2 && ami.allSatisfy { $0["severity"] as? String == "warning" }, "\(messages) \(stderr)")
        #expect(messages.contains { $0.hasSuffix("which the repository's Packer template for this fleet does not build") }, "\(messages)")
        #expect(messages.contains { $0.hasSuffix("which the fleet's AMI filter `ghr-runner-ubuntu-*` does not select") }, "\(messages)")
        let filter = try #require(ami.first { ($0["message"] as? String)?.contains("AMI filter") == true })
        let notes = filter["related"] as? [[String: Any]] ?? []
        #expect(notes.contains { ($0["location"] as? [String: Any])?["path"] as? String == "main.tf" && ($0["location"] as? [String: Any])?["startLine"] as? Int == 7 }, "\(notes)")
        let fleets = (live["aws"] as? [String: Any])?["fleets"] as? [[String: Any]] ?? []
        let image = try #require(fleets.first { $0["namePrefix"] as? String == "modern" }?["image"] as? [String: Any])
        #expect(image["builtBy"] as? [String] == [])
    }

    @Test func missingEnableJITConfigParameterIsAnError() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed(["--drop-jit-parameter"])
        let result = try await AWSProbe.run(client: ProbeFixture.client(server, transport: try CurlTransport(), clock: ProbeFixture.clock()),
                                            settings: AWSProbeSettings(prefixes: ["modern"], target: ModuleVersion(7, 11, 0)), knowledge: Self.knowledge)
        let f = try #require(result.findings.first { $0.ruleId == "PRB-401" })
        #expect(f.severity == .error && f.message.contains("`enable_jit_config` is missing"))
        #expect(f.location.path == "aws/eu-west-1/ssm/github-action-runners/modern/runners/config")
    }

    @Test func throttlingIsRetriedWithBackoffThenReportedWhenItPersists() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        // Two throttled answers: the retries absorb them.
        let clock = ProbeFixture.clock()
        let brief = Throttle(try CurlTransport(), matching: "AmazonSSM.GetParametersByPath", count: 2)
        let ok = try await AWSProbe.run(client: ProbeFixture.client(server, transport: brief, clock: clock),
                                        settings: AWSProbeSettings(prefixes: ["modern"], target: ModuleVersion(7, 11, 0)), knowledge: Self.knowledge)
        #expect(brief.left == 0)
        #expect(!ok.findings.contains { $0.ruleId == "PRB-408" })
        #expect(ok.fleets.first?.config["agent_mode"] == "ephemeral")
        // Backoff with full jitter (random 0.5): half of 0.2 s, then half of 0.4 s.
        #expect(clock.sleeps == [0.1, 0.2])

        // Throttled past the retries: a finding names the action; the rest of the probe goes on.
        let long = Throttle(try CurlTransport(), matching: "AmazonSSM.GetParametersByPath", count: 100)
        let partial = try await AWSProbe.run(client: ProbeFixture.client(server, transport: long, clock: ProbeFixture.clock()),
                                             settings: AWSProbeSettings(prefixes: ["modern"], target: ModuleVersion(7, 11, 0)), knowledge: Self.knowledge)
        let f = try #require(partial.findings.first { $0.ruleId == "PRB-408" })
        #expect(f.message == "could not read with `ssm:GetParametersByPath`: ThrottlingException (HTTP 400)")
        #expect(partial.fleets.first?.instances.count == 2)
    }

    @Test func theRunsRetryQuotaBoundsRetriesAcrossRequests() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        // A quota of one retry for the whole run: the first throttle is retried, the second
        // becomes a finding at once, though the policy would allow three retries per request.
        let clock = ProbeFixture.clock()
        let throttle = Throttle(try CurlTransport(), matching: "AmazonSSM.GetParametersByPath", count: 2)
        let client = ProbeFixture.client(server, transport: throttle, clock: clock, retry: RetryPolicy(retryQuota: 1))
        let result = try await AWSProbe.run(client: client, settings: AWSProbeSettings(prefixes: ["modern"], target: ModuleVersion(7, 11, 0)),
                                            knowledge: Self.knowledge)
        #expect(throttle.left == 0)
        #expect(clock.sleeps == [0.1])
        #expect(client.retry.budget?.remaining == 0)
        let f = try #require(result.findings.first { $0.ruleId == "PRB-408" })
        #expect(f.message == "could not read with `ssm:GetParametersByPath`: ThrottlingException (HTTP 400)")
        #expect(result.fleets.first?.instances.count == 2)
        // A client given no quota gets the default one.
        #expect(ProbeFixture.client(server, transport: throttle, clock: clock).retry.budget?.limit == AWSClient.defaultRetryQuota)
    }

    @Test func aHangingEndpointTimesOutIntoAFindingAndAnUnreachableOneStopsTheProbe() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        // A socket that accepts connections and never answers, for SQS only.
        let (fd, port) = try Self.silentListener()
        defer { close(fd) }
        let client = ProbeFixture.client(server, transport: try CurlTransport(timeout: 1), clock: ProbeFixture.clock(),
                                         extraEnvironment: ["AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:\(port)"], retry: RetryPolicy(maxAttempts: 2))
        let result = try await AWSProbe.run(client: client, settings: AWSProbeSettings(prefixes: ["legacy"], target: ModuleVersion(7, 11, 0)),
                                            knowledge: Self.knowledge)
        let timeouts = result.findings.filter { $0.ruleId == "PRB-408" }
        #expect(!timeouts.isEmpty && timeouts.allSatisfy { $0.message.contains("did not answer within 1 s") && $0.location.path.contains("/sqs/") })
        #expect(result.findings.contains { $0.ruleId == "PRB-404" }, "the rest of the probe went on")

        // Nothing listens: a clear error, no findings.
        let closed = MotoServer.freePort()
        let dead = AWSClient(transport: try CurlTransport(timeout: 2), credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "a", secretAccessKey: "b")),
                             endpoints: AWSEndpoints(region: "eu-west-1", environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(closed)"]),
                             clock: FixedClock(Date()), retry: RetryPolicy(maxAttempts: 2))
        await #expect(throws: AWSProbeError.self) {
            _ = try await AWSProbe.run(client: dead, settings: AWSProbeSettings(prefixes: ["legacy"], target: ModuleVersion(7, 11, 0)), knowledge: nil)
        }
        do {
            _ = try await AWSProbe.run(client: dead, settings: AWSProbeSettings(prefixes: ["legacy"], target: ModuleVersion(7, 11, 0)), knowledge: nil)
        } catch let e as AWSProbeError {
            #expect(e.description.hasPrefix("the AWS endpoint is unreachable: 127.0.0.1 could not be reached"))
        }
    }

    /// A listening socket nobody accepts from: connections queue, requests get no answer.
    static func silentListener() throws -> (Int32, Int) { MotoServer.loopbackSocket(listening: true) }
}
