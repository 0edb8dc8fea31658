import AuditCore
import Engine
import Foundation
import Knowledge
import ProbeClient
import Rules
import Terraform

/// The AWS half's options of `ghr-audit probe`, as written on the command line.
public struct AWSProbeArguments: Sendable, Hashable {
    public var prefixes: [String]
    public var region: String?
    public var profile: String?
    public var ssmRoot: String
    public var awsTimeout: Double
    public var tokenAge: String

    public init(prefixes: [String] = [], region: String? = nil, profile: String? = nil, ssmRoot: String = "/github-action-runners",
                awsTimeout: Double = 20, tokenAge: String = "24h") {
        self.prefixes = prefixes
        self.region = region
        self.profile = profile
        self.ssmRoot = ssmRoot
        self.awsTimeout = awsTimeout
        self.tokenAge = tokenAge
    }

    public func validate() throws(UsageError) {
        if awsTimeout <= 0 { throw UsageError("`--aws-timeout` must be a positive number of seconds") }
        if LiveResource.parseDuration(tokenAge) == nil { throw UsageError("`--token-age \(tokenAge)` is not a duration such as 24h or 2d") }
        for p in prefixes where p.isEmpty || p.contains("/") { throw UsageError("`--prefix \(p)` must be a module prefix such as `github-actions`") }
    }

    /// The client the probe runs with: credential chain, region, endpoints from `environment`
    /// (`skew` hears about a clock that differs from AWS's).
    public func client(environment: [String: String], skew: @escaping @Sendable (String) -> Void) throws(EnvironmentError) -> AWSClient {
        let files = AWSConfigFiles.load(environment: environment)
        guard let region = resolveAWSRegion(explicit: region, profile: profile, environment: environment, files: files) else {
            throw EnvironmentError("no AWS region: pass `--region`, or set AWS_REGION or a `region` in the profile")
        }
        if let profile, files.profiles[profile] == nil {
            throw EnvironmentError("the AWS config files have no profile `\(profile)`")
        }
        let transport: CurlTransport, metadata: CurlTransport
        do {
            transport = try CurlTransport(timeout: awsTimeout)
            metadata = try CurlTransport(timeout: 1)
        } catch {
            throw EnvironmentError("\(error)")
        }
        let chain = CredentialChain.standard(profile: profile, environment: environment, files: files, region: region,
                                             transport: transport, metadataTransport: metadata)
        return AWSClient(transport: transport, credentials: chain, endpoints: AWSEndpoints(region: region, environment: environment),
                         skew: ClockSkew(report: skew))
    }

    /// `--ssm-root` without a trailing slash.
    var root: String { ssmRoot.hasSuffix("/") ? String(ssmRoot.dropLast()) : ssmRoot }

    /// Fleets the deployment model knows: name prefix, SSM base, pinned release, the module call,
    /// the AMI filter it writes and the repository's Packer sources (those the static audit found
    /// on the fleet's boot path marked). One per SSM base.
    public func fleets(from result: AuditResult, target: ModuleVersion) -> [AWSFleetTarget] {
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

/// The GitHub half's options of `probe`: which App, which owner, which server, and what the fleet
/// expects when the repository (PATH) or the AWS half cannot tell.
public struct GitHubProbeArguments: Sendable, Hashable {
    public var appID: String?
    public var keyFile: String?
    public var appFromFleet = false
    public var org: String?
    public var repo: String?
    public var githubURL: String?
    public var githubAPIURL: String?
    public var caBundle: String?
    public var jitRoundTrip = false
    public var fleetJIT: Bool?
    /// `--runner-labels`, comma-separated.
    public var runnerLabels: String?
    public var runnerNamePrefix: String?
    public var runnerGroup: String?
    public var webhookURL: String?
    public var minRunnerVersion: String?
    public var timeout: Double = 30

    public init() {}

    /// Where the App's private key is read when no key file is named.
    public static let keyEnvironment = "GHR_AUDIT_GITHUB_APP_KEY"

    public func validate() throws(UsageError) {
        if org != nil && repo != nil { throw UsageError("give either `--org` or `--repo`, not both") }
        if let org, !GitHubOwner.isName(org) { throw UsageError("`--org \(org)` is not an organization name") }
        if let repo, GitHubOwner.repository(repo) == nil { throw UsageError("`--repo \(repo)` must have the form OWNER/REPO") }
        if githubURL != nil && githubAPIURL != nil { throw UsageError("give either `--github-url` or `--github-api-url`, not both") }
        if let v = minRunnerVersion, ModuleVersion(v) == nil { throw UsageError("`--min-runner-version \(v)` is not a version such as 2.311.0") }
        if let appID, appID.isEmpty || appID.contains(where: \.isWhitespace) { throw UsageError("`--github-app-id` must be the App's id") }
        if appFromFleet && keyFile != nil { throw UsageError("give either `--github-app-key-file` or `--github-app-from-fleet`, not both") }
        if !(timeout > 0 && timeout <= 600) { throw UsageError("`--github-timeout` must be between 0 and 600 seconds") }
    }

    /// Whether an App, its key or an owner was named (the rest may come from the repository or the fleet).
    public var named: Bool { appID != nil || org != nil || repo != nil || keyFile != nil || appFromFleet }

    /// The CA bundle to trust: `--ca-bundle`, else a non-empty SSL_CERT_FILE; nil: the system's.
    public func caBundle(environment: [String: String]) -> String? {
        caBundle ?? environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// libcurl trusting `--ca-bundle` / `SSL_CERT_FILE`, else the system's CA certificates.
    public func transport(environment: [String: String]) throws(EnvironmentError) -> any HTTPTransport {
        do { return try CurlTransport(caBundle: caBundle(environment: environment), timeout: timeout) } catch { throw EnvironmentError("\(error)") }
    }

    /// The probe's inputs: the App, the owner and the server from the options, else the repository
    /// (PATH), else the fleet (`live`, from the AWS half); the fleet's facts resolved by
    /// `GitHubFleetExpectations` in the same order. The key comes from `--github-app-key-file`
    /// (read through `host`), else `keyEnvironment`; with `--github-app-from-fleet`, `fleetApp`
    /// holds the App id and key read from the fleet's SSM parameters. Problems are environment
    /// errors (exit 2) that never quote the key.
    public func inputs(repository: RepositoryGitHubSettings = .init(), live: FleetGitHubSettings? = nil, fleetApp: FleetAppCredentials? = nil,
                       knowledge: KnowledgeBase, environment: [String: String], host: any HostFiles) throws(EnvironmentError) -> GitHubProbeInputs {
        let fleetAppID = fleetApp.map { $0.appID.revealed.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let fleetApp, let id = fleetAppID, id.isEmpty || !id.allSatisfy(\.isNumber) {
            throw EnvironmentError("the fleet's SSM parameter `\(fleetApp.idParameter)` does not hold a GitHub App id")
        }
        guard let appID = appID ?? fleetAppID ?? repository.appID else {
            throw EnvironmentError("the GitHub probe needs `--github-app-id`\(repository.appIDProblem.map { " (\($0))" } ?? "") or `--github-app-from-fleet` (or `--skip-github`)")
        }
        guard let owner = org.map(GitHubOwner.organization) ?? repo.flatMap(GitHubOwner.repository) ?? repository.owner ?? live?.owner else {
            let why = [repository.ownerProblem, live?.ownerProblem].compactMap { $0 }
            throw EnvironmentError("the GitHub probe needs `--org ORG` or `--repo OWNER/REPO`\(why.isEmpty ? "" : " (\(why.joined(separator: "; ")))") (or `--skip-github`)")
        }
        let keyText: String
        if let fleetApp {
            keyText = fleetApp.keyBase64.revealed
        } else if let keyFile {
            guard let data = host.read(keyFile), let text = String(data: data, encoding: .utf8) else {
                throw EnvironmentError("cannot read `--github-app-key-file \(keyFile)`")
            }
            keyText = text
        } else if let text = environment[Self.keyEnvironment], !text.isEmpty {
            keyText = text
        } else {
            throw EnvironmentError("the GitHub probe needs the App's private key: `--github-app-key-file KEY.pem` or \(Self.keyEnvironment)")
        }
        let key: GitHubAppKey
        do { key = try GitHubAppKey(pemOrBase64: keyText) } catch {
            let source = fleetApp.map { "the fleet's SSM parameter `\($0.keyParameter)`" } ?? keyFile.map { "`\($0)`" } ?? Self.keyEnvironment
            throw EnvironmentError("\(source): \(error)")
        }
        let endpoint: GitHubEndpoint
        do {
            endpoint = try githubAPIURL.map(GitHubEndpoint.api) ?? (githubURL ?? repository.githubURL ?? live?.githubURL).map(GitHubEndpoint.server) ?? .dotcom
        } catch {
            throw EnvironmentError("\(error)")
        }
        let given = GitHubFleetOptions(
            jit: fleetJIT, labels: runnerLabels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } },
            runnerGroup: runnerGroup, namePrefix: runnerNamePrefix, webhookURL: webhookURL, minimumVersion: minRunnerVersion.flatMap(ModuleVersion.init))
        let fleet = GitHubFleetExpectations(options: given, repository: repository, live: live, knowledge: knowledge)
        return GitHubProbeInputs(endpoint: endpoint, appID: appID, key: key, owner: owner, fleetJIT: fleet.jit, fleet: fleet.runners,
                                 runnerGroup: fleet.runnerGroup, webhookURL: fleet.webhookURL, jitRoundTrip: jitRoundTrip)
    }
}

/// Every option of `probe` and which halves they ask for.
public struct ProbeArguments: Sendable {
    /// The infrastructure repository.
    public var path: String?
    public var aws: AWSProbeArguments
    public var github: GitHubProbeArguments
    public var audit: AuditArguments
    /// `--since`.
    public var since: String?
    public var skipAWS: Bool
    public var skipGitHub: Bool

    public init(path: String?, aws: AWSProbeArguments, github: GitHubProbeArguments, audit: AuditArguments,
                since: String? = nil, skipAWS: Bool = false, skipGitHub: Bool = false) {
        self.path = path
        self.aws = aws
        self.github = github
        self.audit = audit
        self.since = since
        self.skipAWS = skipAWS
        self.skipGitHub = skipGitHub
    }

    /// The AWS half runs when it has fleets to look for: a PATH or a `--prefix`.
    public var awsWanted: Bool { !skipAWS && (path != nil || !aws.prefixes.isEmpty) }
    /// The GitHub half runs when an App or an owner is named (the App id may come from PATH).
    public var githubWanted: Bool { !skipGitHub && github.named }
    /// `--since` in seconds.
    public var window: Double? { since.flatMap(LiveResource.parseDuration) }

    /// The combinations `probe` refuses (each half's own options are checked by its `validate`).
    public func validate() throws(UsageError) {
        if !awsWanted && !githubWanted {
            throw UsageError("nothing to probe: give PATH or `--prefix` for AWS, or `--github-app-id` (with `--github-app-key-file`) or `--org`/`--repo` for GitHub")
        }
        if github.appFromFleet && !awsWanted {
            throw UsageError("`--github-app-from-fleet` reads the App from the fleet's SSM parameters: give PATH or `--prefix` (and not `--skip-aws`)")
        }
        if let since, LiveResource.parseDuration(since) == nil { throw UsageError("`--since \(since)` is not a duration such as 24h or 3d") }
        // The pins are read from the repository: without one, `pinned` would silently mean `latest`.
        if path == nil, audit.targetSelection == .pinned {
            throw UsageError("`--target pinned` needs PATH (the repository whose module calls pin the releases); give PATH or a release such as 4.0.1")
        }
    }
}
