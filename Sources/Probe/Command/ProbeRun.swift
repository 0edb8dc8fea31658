import AuditCore
import Dispatch
import Engine
import Foundation
import Gate
import Knowledge
import ProbeClient

/// What `probe` says on standard error while it runs.
public struct ProbeMessages: Sendable {
    /// The probe's progress (what it asks AWS, what it found): for a terminal, unless `--quiet`.
    public var progress: @Sendable (String) -> Void
    /// Notes, unless `--quiet`.
    public var note: @Sendable (String) -> Void
    /// Lines said whatever the options.
    public var always: @Sendable (String) -> Void

    /// Each closure gets one line without its newline.
    public init(progress: @escaping @Sendable (String) -> Void, note: @escaping @Sendable (String) -> Void, always: @escaping @Sendable (String) -> Void) {
        self.progress = progress
        self.note = note
        self.always = always
    }
}

/// The report `probe` renders, how it ends, and what the GitHub half found (for the summary an
/// interrupted run still prints).
public struct ProbeOutcome: Sendable {
    public var gate: GateOutcome
    /// The files findings point into (the repository's and the fetched scripts').
    public var sources: [String: SourceFile]
    public var github: GitHubProbeFacts?
}

/// One `probe` run after the options were read: the AWS half, the GitHub half, the comparison of
/// launches and registrations (`--since`), the report gated like `check`'s.
public struct ProbeRun: Sendable {
    public var arguments: ProbeArguments
    public var knowledge: KnowledgeBase
    public var environment: [String: String]
    public var host: any HostFiles
    /// The audit of PATH (nil without one).
    public var audit: AuditResult?
    /// `--baseline FILE`, read.
    public var baseline: BaselineInUse?
    /// `--fail-on`.
    public var failOn: FailThreshold?
    public var messages: ProbeMessages

    public init(arguments: ProbeArguments, knowledge: KnowledgeBase, environment: [String: String], host: any HostFiles,
                audit: AuditResult?, baseline: BaselineInUse?, failOn: FailThreshold?, messages: ProbeMessages) {
        self.arguments = arguments
        self.knowledge = knowledge
        self.environment = environment
        self.host = host
        self.audit = audit
        self.baseline = baseline
        self.failOn = failOn
        self.messages = messages
    }

    /// The release the live fleet is judged against: the release `--target` names (`latest` and
    /// `pinned`: the newest known); without `--target`, the audit's, else the newest.
    public var target: ModuleVersion {
        arguments.audit.target == nil ? arguments.audit.release(of: audit?.report, knowledge: knowledge)
            : arguments.audit.targetRelease ?? knowledge.latest.version
    }

    public func run() async throws -> ProbeOutcome {
        let aws = arguments.aws
        let window = arguments.window
        let target = self.target
        var fleets: [AWSFleetTarget] = []
        var sources: [String: SourceFile] = [:]
        var config = GateConfig()
        var repositoryGitHub = RepositoryGitHubSettings()
        var repositoryFindings: [Finding] = []
        if let result = audit {
            config = result.config
            fleets = aws.fleets(from: result, target: target)
            sources = result.sources
            repositoryGitHub = RepositoryGitHubSettings(model: result.model, target: target, summaries: result.report.modules.flatMap(\.fleets))
            repositoryFindings = result.report.findings
            if fleets.isEmpty && aws.prefixes.isEmpty && arguments.awsWanted && !arguments.githubWanted {
                throw EnvironmentError("`\(arguments.path ?? ".")` has no terraform-aws-github-runner fleet; give `--prefix`")
            }
        }
        var findings: [Finding] = []
        var live = LiveFacts()
        var fleetGitHub: FleetGitHubSettings?
        var fleetApp: FleetAppCredentials?
        var awsResult: AWSProbeResult?
        var githubSkipped = false
        var githubFacts: GitHubProbeFacts?
        if arguments.awsWanted {
            let client = try aws.client(environment: environment, skew: messages.always)
            let settings = AWSProbeSettings(prefixes: aws.prefixes, fleets: fleets, ssmRoot: aws.ssmRoot, since: window,
                                            target: target, tokenAge: LiveResource.parseDuration(aws.tokenAge)!, registrationsFromGitHub: arguments.githubWanted)
            let result: AWSProbeResult
            do {
                result = try await AWSProbe.run(client: client, settings: settings, knowledge: knowledge, progress: messages.progress)
            } catch let e as AWSProbeError {
                throw EnvironmentError(e.description)
            }
            try Task.checkCancellation()
            messages.progress("AWS: account \(result.account ?? "?") as \(result.callerArn ?? "?") (credentials: \(result.credentialSource ?? "given")), region \(result.region)")
            for f in result.fleets {
                let image = f.image.map { i in ", AMI \(i.id)\(i.name.map { " `\($0)`" } ?? "")\(i.ownerId.map { " of \($0)" } ?? "")" } ?? ""
                messages.progress("  fleet \(f.fleet.namePrefix): deployed release \(f.deployed.summary), \(f.instances.count) instance(s), \(f.tokens.count) token parameter(s)\(image)")
            }
            findings += result.findings
            awsResult = result
            live.aws = LiveFacts(aws: result, github: nil, window: window).aws
            if arguments.githubWanted {
                let settings = FleetGitHubSettings(result, ssmRoot: aws.ssmRoot)
                fleetGitHub = settings
                if arguments.github.appFromFleet {
                    do {
                        fleetApp = try await FleetAppCredentials.read(client: client, settings: settings)
                    } catch let e as AWSProbeError {
                        throw EnvironmentError(e.description)
                    } catch let denied as FleetAppDenied {
                        // Reported (PRB-408, naming the permission); the AWS half's report goes on without GitHub.
                        findings.append(denied.finding)
                        githubSkipped = true
                        messages.always("github: skipped: \(denied.finding.message)")
                    }
                    try Task.checkCancellation()
                }
            }
            sources.merge(result.sources) { a, _ in a }
        }
        var catalogued = Set(findings.map(\.ruleId))
        if arguments.githubWanted && !githubSkipped {
            var inputs = try arguments.github.inputs(repository: repositoryGitHub, live: fleetGitHub, fleetApp: fleetApp,
                                                     knowledge: knowledge, environment: environment, host: host)
            inputs.ghesQuestions = GitHubChecks.ghesQuestions(in: repositoryFindings)
            if !repositoryGitHub.summary.isEmpty {
                messages.note("github: from the repository: \(repositoryGitHub.summary.joined(separator: "; ")) (options override)")
            }
            let fromFleet = (fleetApp.map { ["App id and key from \($0.idParameter) and \($0.keyParameter)"] } ?? []) + (fleetGitHub?.summary ?? [])
            if !fromFleet.isEmpty {
                messages.always("github: from the fleet: \(fromFleet.joined(separator: "; ")) (options override)")
            }
            let transport = try arguments.github.transport(environment: environment)
            let result: GitHubProbeResult
            do {
                result = try await GitHubProbe.run(inputs, transport: transport)
            } catch let error as GitHubProbeFailure {
                throw EnvironmentError("GitHub probe: \(error.description)")
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw EnvironmentError("GitHub probe: \(error)")
            }
            githubFacts = result.facts
            findings += result.findings
            // With `--since` and both halves: launches against registrations.
            if let window, let awsResult, let runners = result.runners {
                let compared = Registrations.findings(fleets: awsResult.fleets, runners: runners, owner: inputs.owner, region: awsResult.region,
                                                      since: window, now: Date())
                findings += compared
                live.attach(compared)
            }
            live.github = LiveFacts(aws: nil, github: result.facts, window: nil).github
            messages.note(Self.summary(result.facts))
            catalogued.formUnion(Set(findings.map(\.ruleId)).union(GitHubProbeRule.all))
        }
        var report = Report(toolVersion: ToolInfo.version, target: target.description, filesScanned: 0, filesByKind: [:], modules: [],
                            findings: findings.sorted(by: Finding.ordered),
                            rules: knowledge.descriptors.filter { catalogued.contains($0.id) })
        report.auditsRepository = false   // live resources only: the repository's own audit is `check`
        report.live = live
        report = AuditRun.gated(report, by: baseline.map { [$0] } ?? [])
        return ProbeOutcome(gate: ExitStatus.outcome(report, failOn: failOn, config: config), sources: sources, github: githubFacts)
    }

    /// The GitHub half's one-line summary.
    public static func summary(_ f: GitHubProbeFacts) -> String {
        var parts = ["github: \(f.server) at \(f.apiRoot)"]
        if let app = f.appSlug { parts.append("App `\(app)`") }
        if let id = f.installationID { parts.append("installation \(id)") }
        if let n = f.runnerCount { parts.append("\(n) runner\(n == 1 ? "" : "s") (\(f.offlineRunnerCount ?? 0) offline)") }
        if let trip = f.jitRoundTrip { parts.append("JIT round trip \(trip)") }
        return parts.joined(separator: ", ")
    }

    /// Runs the probe on the concurrency pool and waits for it. SIGINT or SIGTERM cancels it, so
    /// the JIT round trip still deletes its runner; `interrupted` says whether that happened.
    public static func runInterruptibly(_ probe: ProbeRun) -> (result: Result<ProbeOutcome, any Error>, interrupted: Bool) {
        let box = ProbeRunBox()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do { box.result = .success(try await probe.run()) } catch { box.result = .failure(error) }
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
        return (box.result!, box.interrupted)
    }

    /// What an interrupted run still says on standard error (the GitHub half's summary when it
    /// finished), and the exit status it ends with (130, as a shell reports SIGINT).
    public static func interruption(_ result: Result<ProbeOutcome, any Error>) -> (lines: [String], status: Int32) {
        var lines: [String] = []
        if case .success(let outcome) = result, let facts = outcome.github { lines.append(summary(facts)) }
        return (lines + ["ghr-audit: interrupted"], 130)
    }
}

extension LiveFacts {
    /// Files each finding of the launches-against-registrations comparison under the fleet it
    /// names (`ghr:environment=PREFIX`), for the html page.
    mutating func attach(_ compared: [Finding]) {
        for f in compared {
            if let i = aws?.fleets.firstIndex(where: { f.location.path.hasSuffix("ghr:environment=\($0.namePrefix)") }) {
                aws?.fleets[i].findings.append(f.fingerprint)
            }
        }
    }
}

/// The result of a probe run handed from its task to the waiting command (written before the
/// semaphore is signalled, read after).
private final class ProbeRunBox: @unchecked Sendable {
    var result: Result<ProbeOutcome, any Error>?
    var interrupted = false
}
