import ArgumentParser
import AuditCore
import Dispatch
import Engine
import Foundation
import Gate
import Knowledge
import Probe
import ProbeClient
import Reporters
import Rules
import Terraform

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The AWS half's options of `ghr-audit probe`.
struct AWSProbeOptions: ParsableArguments {
    @Option(name: .customLong("prefix"), help: "The module's `prefix` of a fleet to probe (repeatable). Required without PATH; with PATH, added to the prefixes of the deployment model.")
    var prefixes: [String] = []

    @Option(help: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`).")
    var region: String?

    @Option(help: "AWS profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, else the standard credential chain).")
    var profile: String?

    @Option(name: .customLong("ssm-root"), help: "The module's SSM root path (`ssm_paths.root`).")
    var ssmRoot: String = "/github-action-runners"

    @Option(name: .customLong("aws-timeout"), help: "Seconds before an AWS call times out (each call is retried on throttling, 5xx and timeouts).")
    var awsTimeout: Double = 20

    @Option(name: .customLong("token-age"), help: "Token parameters older than this are runners that never started (for example 24h, 2d).")
    var tokenAge: String = "24h"

    func validate() throws {
        if awsTimeout <= 0 { throw ValidationError("`--aws-timeout` must be a positive number of seconds") }
        if LiveResource.parseDuration(tokenAge) == nil { throw ValidationError("`--token-age \(tokenAge)` is not a duration such as 24h or 2d") }
        for p in prefixes where p.isEmpty || p.contains("/") { throw ValidationError("`--prefix \(p)` must be a module prefix such as `github-actions`") }
    }

    /// The client the probe runs with: credential chain, region, endpoints from the environment.
    func client(environment: [String: String]) throws -> AWSClient {
        let files = AWSConfigFiles.load(environment: environment)
        guard let region = resolveAWSRegion(explicit: region, profile: profile, environment: environment, files: files) else {
            throw EnvironmentError("no AWS region: pass `--region`, or set AWS_REGION or a `region` in the profile")
        }
        if let profile, files.profiles[profile] == nil {
            throw EnvironmentError("the AWS config files have no profile `\(profile)`")
        }
        let transport = URLSessionTransport(timeout: awsTimeout)
        let chain = CredentialChain.standard(profile: profile, environment: environment, files: files, region: region,
                                             transport: transport, metadataTransport: URLSessionTransport(timeout: 1))
        return AWSClient(transport: transport, credentials: chain, endpoints: AWSEndpoints(region: region, environment: environment),
                         skew: ClockSkew(report: { writeStderr("\($0)\n") }))
    }

    /// Fleets the deployment model knows: name prefix, SSM base, pinned release, the module call,
    /// the AMI filter it writes and the repository's Packer sources (those the static audit found
    /// on the fleet's boot path marked).
    func fleets(from result: AuditResult, target: ModuleVersion) -> [AWSFleetTarget] {
        let root = ssmRoot.hasSuffix("/") ? String(ssmRoot.dropLast()) : ssmRoot
        let workspace = result.workspace
        let packer = PackerTemplate.templates(from: workspace.files(ofKind: .packer).compactMap(\.hcl), fileSystem: workspace.fileSystem)
        var summaries: [String: FleetSummary] = [:]
        for s in result.report.modules.flatMap(\.fleets) { if let p = s.namePrefix { summaries[p] = s } }
        var out: [AWSFleetTarget] = []
        for (call, fleet) in result.model.fleets where !fleet.isPlaceholder {
            let prefix = fleet.input("prefix")?.value.stringValue ?? "github-actions"
            let note = RelatedNote("fleet `\(fleet.name)` of module call `\(call.address)`\(call.version.map { " (pins \($0))" } ?? "")", at: fleet.anchor)
            let namePrefix = fleet.configKey.map { "\(prefix)-\($0)" } ?? prefix
            let summary = summaries[namePrefix]
            let baked = Set(summary?.boot.filter { $0.kind == .packerTemplate }.map(\.label) ?? [])
            let builders = packer.flatMap { t in
                t.sources.compactMap { s -> AMIBuilder? in
                    guard let pattern = s.amiNamePattern, pattern != "*", let at = s.amiNameRange else { return nil }
                    return AMIBuilder(template: t.file, source: "\(s.type).\(s.name)", namePattern: pattern, at: at, bakesFleet: baked.contains(t.file))
                }
            }
            let filter = summary?.amiNameFilter.map { AMISelection(pattern: $0, at: (fleet.input("ami_filter") ?? fleet.input("ami"))?.range) }
            let ssmBase = fleet.configKey.map { "\(root)/\(prefix)/\($0)" } ?? "\(root)/\(prefix)"
            // The labels applying the repository would deploy: at the pinned release, else the target.
            let labels = FleetFacts(call: call, fleet: fleet, target: call.version ?? target).runnerLabels?.sorted()
            out.append(AWSFleetTarget(namePrefix: namePrefix, ssmBase: ssmBase, pinned: call.version, related: [note],
                                      amiBuilders: builders, amiFilter: filter, labels: labels, labelsAt: fleet.input("runner_extra_labels")?.range))
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.ssmBase).inserted }
    }
}

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Verify the deployed fleet read-only: the AWS account (Describe/Get/List calls) and GitHub or GHES (the App, the server version, the runners).",
        discussion: """
        Without PATH, `--prefix` names the fleets; with PATH, the prefixes, multi-runner keys and pinned \
        releases come from the repository and live resources are related to the module call that created them. \
        AWS credentials are found as the AWS CLI finds them (environment, web identity, profiles with \
        role_arn/source_profile or credential_process, container, instance metadata); AWS_ENDPOINT_URL and \
        AWS_ENDPOINT_URL_<SERVICE> point the probe at another endpoint. Findings use the same formats, \
        baseline and exit codes as `check`. The GitHub half authenticates as the GitHub App (`--github-app-id`, \
        `--github-app-key-file`): it reads only, apart from one installation-token request (read-only \
        permissions) and, with --jit-roundtrip, one JIT runner that is deleted at once. Keys, JWTs, tokens \
        and JIT configs are never printed.

        EXIT STATUS:
          0  nothing at or above the threshold
          1  findings at or above `--fail-on` (default: error)
          2  the probe could not run (unreachable API, refused credentials, bad options)

        EXAMPLES:
          ghr-audit probe infra/ --region eu-west-1
          ghr-audit probe --prefix my-runners --since 24h --format sarif -o probe.sarif
        """)

    @Argument(help: "The infrastructure repository (optional).")
    var path: String?

    @OptionGroup(title: "AWS") var aws: AWSProbeOptions

    @OptionGroup(title: "GitHub") var github: GitHubProbeOptions

    @OptionGroup var flags: AuditFlags

    @Option(help: "Also check what to watch after an upgrade over this window: lambda errors and throttles, failure signatures in the logs (for example 24h, 3d).")
    var since: String?

    @Flag(name: .customLong("skip-aws"), help: "Do not probe AWS.")
    var skipAWS = false

    @Flag(name: .customLong("skip-github"), help: "Do not probe GitHub.")
    var skipGitHub = false

    @OptionGroup var reporting: ReportFlags

    /// The AWS half runs when it has fleets to look for: a PATH or a `--prefix`.
    var awsWanted: Bool { !skipAWS && (path != nil || !aws.prefixes.isEmpty) }
    /// The GitHub half runs when an App is named.
    /// The GitHub half runs when an App or an owner is named (the App id may come from PATH).
    var githubWanted: Bool { !skipGitHub && github.named }

    func validate() throws {
        if !awsWanted && !githubWanted {
            throw ValidationError("nothing to probe: give PATH or `--prefix` for AWS, or `--github-app-id` (with `--github-app-key-file`) or `--org`/`--repo` for GitHub")
        }
        if github.appFromFleet && !awsWanted {
            throw ValidationError("`--github-app-from-fleet` reads the App from the fleet's SSM parameters: give PATH or `--prefix` (and not `--skip-aws`)")
        }
        if let since, LiveResource.parseDuration(since) == nil { throw ValidationError("`--since \(since)` is not a duration such as 24h or 3d") }
        // The pins are read from the repository: without one, `pinned` would silently mean `latest`.
        if path == nil, flags.target.flatMap(TargetSelection.init) == .pinned {
            throw ValidationError("`--target pinned` needs PATH (the repository whose module calls pin the releases); give PATH or a release such as 4.0.1")
        }
    }

    func run() throws {
        let plan = try reporting.outputPlan()
        let knowledge = try loadKnowledge()
        let filter = try reporting.filter(knowledge)
        let environment = ProcessInfo.processInfo.environment
        // The probe's own progress (what it asks AWS, what it found) on a terminal, unless `--quiet`.
        let interactive = isatty(STDERR_FILENO) == 1 && !flags.quiet
        var fleets: [AWSFleetTarget] = []
        var sources: [String: SourceFile] = [:]
        var target = flags.target.flatMap(ModuleVersion.init) ?? knowledge.latest.version
        var config = GateConfig()
        var repositoryGitHub = RepositoryGitHubSettings()
        var repositoryFindings: [Finding] = []
        if let path {
            let result = try flags.auditShowingProgress(paths: [path], knowledge: knowledge).result
            config = result.config
            if flags.target == nil, let t = ModuleVersion(result.report.target) { target = t }
            fleets = aws.fleets(from: result, target: target)
            sources = result.sources
            repositoryGitHub = RepositoryGitHubSettings(model: result.model, target: target, summaries: result.report.modules.flatMap(\.fleets))
            repositoryFindings = result.report.findings
            if fleets.isEmpty && aws.prefixes.isEmpty && awsWanted && !githubWanted {
                throw EnvironmentError("`\(path)` has no terraform-aws-github-runner fleet; give `--prefix`")
            }
        }
        var findings: [Finding] = []
        var live = LiveFacts()
        var fleetGitHub: FleetGitHubSettings?
        var fleetApp: FleetAppCredentials?
        var awsResult: AWSProbeResult?
        var githubSkipped = false
        if awsWanted {
            let client = try aws.client(environment: environment)
            let settings = AWSProbeSettings(prefixes: aws.prefixes, fleets: fleets, ssmRoot: aws.ssmRoot, since: since.flatMap(LiveResource.parseDuration),
                                            target: target, tokenAge: LiveResource.parseDuration(aws.tokenAge)!, registrationsFromGitHub: githubWanted)
            let result: AWSProbeResult
            do {
                result = try Self.runInterruptibly {
                    try await AWSProbe.run(client: client, settings: settings, knowledge: knowledge) { line in
                        if interactive { writeStderr("\(line)\n") }
                    }
                }.get()
            } catch let e as AWSProbeError {
                throw EnvironmentError(e.description)
            }
            if interactive {
                writeStderr("AWS: account \(result.account ?? "?") as \(result.callerArn ?? "?") (credentials: \(result.credentialSource ?? "given")), region \(result.region)\n")
                for f in result.fleets {
                    let image = f.image.map { i in ", AMI \(i.id)\(i.name.map { " `\($0)`" } ?? "")\(i.ownerId.map { " of \($0)" } ?? "")" } ?? ""
                    writeStderr("  fleet \(f.fleet.namePrefix): deployed release \(f.deployed.summary), \(f.instances.count) instance(s), \(f.tokens.count) token parameter(s)\(image)\n")
                }
            }
            findings += result.findings
            awsResult = result
            live.aws = LiveFacts(aws: result, github: nil, window: since.flatMap(LiveResource.parseDuration)).aws
            if githubWanted {
                let settings = FleetGitHubSettings(result, ssmRoot: aws.ssmRoot)
                fleetGitHub = settings
                if github.appFromFleet {
                    do {
                        fleetApp = try Self.runInterruptibly { try await FleetAppCredentials.read(client: client, settings: settings) }.get()
                    } catch let e as AWSProbeError {
                        throw EnvironmentError(e.description)
                    } catch let denied as FleetAppDenied {
                        // Reported (PRB-408, naming the permission); the AWS half's report goes on without GitHub.
                        findings.append(denied.finding)
                        githubSkipped = true
                        writeStderr("github: skipped: \(denied.finding.message)\n")
                    }
                }
            }
            sources.merge(result.sources) { a, _ in a }
        }
        var catalogued = Set(findings.map(\.ruleId))
        if githubWanted && !githubSkipped {
            var inputs = try github.inputs(repository: repositoryGitHub, live: fleetGitHub, fleetApp: fleetApp,
                                           knowledge: knowledge, environment: environment)
            inputs.ghesQuestions = GitHubChecks.ghesQuestions(in: repositoryFindings)
            if !repositoryGitHub.summary.isEmpty {
                flags.note("github: from the repository: \(repositoryGitHub.summary.joined(separator: "; ")) (options override)\n")
            }
            let fromFleet = (fleetApp.map { ["App id and key from \($0.idParameter) and \($0.keyParameter)"] } ?? []) + (fleetGitHub?.summary ?? [])
            if !fromFleet.isEmpty {
                writeStderr("github: from the fleet: \(fromFleet.joined(separator: "; ")) (options override)\n")
            }
            let transport = try github.transport(environment: environment)
            let probeInputs = inputs
            let outcome = try Self.runInterruptibly { try await GitHubProbe.run(probeInputs, transport: transport) }
            switch outcome {
            case let .success(result):
                findings += result.findings
                // With `--since` and both halves: launches against registrations.
                if let window = since.flatMap(LiveResource.parseDuration), let awsResult, let runners = result.runners {
                    let compared = Registrations.findings(fleets: awsResult.fleets, runners: runners, owner: inputs.owner, region: awsResult.region,
                                                          since: window, now: Date())
                    findings += compared
                    // Each belongs to its fleet on the html page.
                    for f in compared {
                        if let i = live.aws?.fleets.firstIndex(where: { f.location.path.hasSuffix("ghr:environment=\($0.namePrefix)") }) {
                            live.aws?.fleets[i].findings.append(f.fingerprint)
                        }
                    }
                }
                live.github = LiveFacts(aws: nil, github: result.facts, window: nil).github
                flags.note(Self.summary(result.facts))
            case let .failure(error as GitHubProbeFailure):
                throw EnvironmentError("GitHub probe: \(error.description)")
            case let .failure(error):
                throw EnvironmentError("GitHub probe: \(error)")
            }
            catalogued.formUnion(Set(findings.map(\.ruleId)).union(GitHubProbeRule.all))
        }
        var report = Report(toolVersion: ToolInfo.version, target: target.description, filesScanned: 0, filesByKind: [:], modules: [],
                            findings: findings.sorted(by: Finding.ordered),
                            rules: knowledge.descriptors.filter { catalogued.contains($0.id) })
        report.auditsRepository = false   // live resources only: the repository's own audit is `check`
        report.live = live
        report = AuditRun.gated(report, by: try reporting.commandLineBaseline().map { [$0] } ?? [])
        let threshold = ExitStatus.threshold(failOn: reporting.failOn, config: config)
        try reporting.write(report, plan: plan, filter: filter, sources: sources, threshold: threshold, quiet: flags.quiet)
        if threshold.fails(report.findings) { throw ExitCode(ExitStatus.findings.rawValue) }
    }

    static func summary(_ f: GitHubProbeFacts) -> String {
        var parts = ["github: \(f.server) at \(f.apiRoot)"]
        if let app = f.appSlug { parts.append("App `\(app)`") }
        if let id = f.installationID { parts.append("installation \(id)") }
        if let n = f.runnerCount { parts.append("\(n) runner\(n == 1 ? "" : "s") (\(f.offlineRunnerCount ?? 0) offline)") }
        if let trip = f.jitRoundTrip { parts.append("JIT round trip \(trip)") }
        return parts.joined(separator: ", ") + "\n"
    }

    /// Runs `body` on the concurrency pool and waits for it. SIGINT or SIGTERM cancels it, so the
    /// JIT round trip still deletes its runner; the command then exits 130.
    static func runInterruptibly<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> Result<T, any Error> {
        let box = ProbeRunBox<T>()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                box.interrupted = true
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        done.wait()
        for s in sources { s.cancel() }
        if box.interrupted {
            if case let .success(value)? = box.result, let result = value as? GitHubProbeResult {
                writeStderr(summary(result.facts))
            }
            writeStderr("ghr-audit: interrupted\n")
            throw ExitCode(130)
        }
        return box.result!
    }
}

/// The result of a probe run handed from its task to the waiting command (written before the
/// semaphore is signalled, read after).
private final class ProbeRunBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
    var interrupted = false
}
