import AuditCore
import Foundation
import ProbeClient

/// What the GitHub half needs: the App, the owner, the server, and what is known about the fleet
/// (from the command line, the repository model or the AWS half; nil or empty when unknown).
public struct GitHubProbeInputs: Sendable {
    public var endpoint: GitHubEndpoint
    public var appID: String
    public var key: GitHubAppKey
    public var owner: GitHubOwner
    /// Whether the fleet registers with JIT configs at the target (nil: unknown).
    public var fleetJIT: Bool?
    public var fleet: GitHubChecks.FleetRunners
    /// The runner group of org runners (the module's `runner_group_name`, default `Default`).
    public var runnerGroup: String?
    /// The fleet's webhook endpoint (API gateway), when known.
    public var webhookURL: String?
    /// Opt-in: create a JIT runner and delete it at once.
    public var jitRoundTrip: Bool
    /// The static audit's GHES findings (`GitHubChecks.ghesQuestions(in:)`, with a PATH) that the
    /// server's version answers: the GHES finding relates to them, on either side of 3.10.
    public var ghesQuestions: [Finding] = []

    public init(endpoint: GitHubEndpoint, appID: String, key: GitHubAppKey, owner: GitHubOwner, fleetJIT: Bool? = nil,
                fleet: GitHubChecks.FleetRunners = .init(), runnerGroup: String? = nil, webhookURL: String? = nil, jitRoundTrip: Bool = false) {
        self.endpoint = endpoint
        self.appID = appID
        self.key = key
        self.owner = owner
        self.fleetJIT = fleetJIT
        self.fleet = fleet
        self.runnerGroup = runnerGroup
        self.webhookURL = webhookURL
        self.jitRoundTrip = jitRoundTrip
    }
}

/// What the probe learnt, for the summary and for the AWS half (never a secret).
public struct GitHubProbeFacts: Sendable, Hashable, Codable {
    public var apiRoot: String
    /// `github.com`, `GHES 3.12.1`, `GitHub Enterprise Cloud (ghe.com)`, or for an API root given
    /// verbatim that reports no GHES version, `GitHub (no Enterprise Server version reported)`.
    public var server: String = "unknown"
    public var ghesVersion: String?
    public var appSlug: String?
    public var installationID: Int?
    public var runnerCount: Int?
    public var offlineRunnerCount: Int?
    /// The JIT round trip's outcome in words, when it ran.
    public var jitRoundTrip: String?
    /// Whether the round trip's test runner was created and is gone again.
    public var jitRoundTripPassed: Bool?

    public init(apiRoot: String) { self.apiRoot = apiRoot }
}

public struct GitHubProbeResult: Sendable {
    public var findings: [Finding]
    public var facts: GitHubProbeFacts
    /// The owner's registered runners (every page); nil when they could not be read.
    public var runners: [GitHubRunner]? = nil
}

/// A problem with the probe's environment, not with the fleet: the API is unreachable, or GitHub
/// refuses the App's credentials. The command prints it and exits 2.
public struct GitHubProbeFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

public enum GitHubProbe {
    /// Runs every GitHub check for one owner. Reads only, apart from the installation-token POST
    /// (and, with `jitRoundTrip`, one generate-jitconfig and its DELETE).
    public static func run(_ inputs: GitHubProbeInputs, transport: any HTTPTransport, clock: any WallClock = SystemClock(),
                           retry: RetryPolicy = RetryPolicy()) async throws -> GitHubProbeResult {
        let client = GitHubClient(endpoint: inputs.endpoint, transport: transport, clock: clock, retry: retry)
        let session = GitHubAppSession(client: client, appID: inputs.appID, key: inputs.key)
        var run = Run(inputs: inputs, client: client, session: session)
        try await run.all()
        return GitHubProbeResult(findings: run.findings.sorted(by: Finding.ordered), facts: run.facts, runners: run.runners)
    }

    struct Stop: Error {}

    struct Run {
        let inputs: GitHubProbeInputs
        let client: GitHubClient
        let session: GitHubAppSession
        var findings: [Finding] = []
        var facts: GitHubProbeFacts
        var runners: [GitHubRunner]?

        init(inputs: GitHubProbeInputs, client: GitHubClient, session: GitHubAppSession) {
            self.inputs = inputs
            self.client = client
            self.session = session
            facts = GitHubProbeFacts(apiRoot: inputs.endpoint.apiRoot.absoluteString)
        }

        var owner: GitHubOwner { inputs.owner }

        mutating func all() async throws {
            do {
                try await steps()
            } catch is Stop {
                // A rate limit or a refused step ended the run; its finding says so.
            }
        }

        mutating func steps() async throws {
            // 1. Which server: /meta needs no credentials and tells a GHES's version.
            var metaVersion: String?
            do {
                metaVersion = try await client.get(GitHubMeta.self, "/meta", auth: .none).installedVersion
            } catch let e as TransportError {
                throw GitHubProbeFailure("the GitHub API at \(inputs.endpoint) cannot be reached: \(e)")
            } catch let e as GitHubAPIError {
                try stopOnRateLimit(e)
            }

            // 2. The App itself, with its JWT.
            let app: GitHubAppInfo
            do {
                app = try await session.app()
            } catch let e as GitHubAPIError where e.kind == .unauthorized {
                throw GitHubProbeFailure("GitHub refused the App's JWT (\(e)): check the App id and the private key, and that this machine's clock is right")
            } catch let e as GitHubAPIError where e.kind == .notFound {
                throw GitHubProbeFailure("\(e): is \(inputs.endpoint) the API of the server the App lives on?")
            } catch let e as TransportError {
                throw GitHubProbeFailure("the GitHub API at \(inputs.endpoint) cannot be reached: \(e)")
            }
            facts.appSlug = app.slug

            let ghes = metaVersion ?? client.enterpriseVersion
            facts.ghesVersion = ghes
            switch (ghes, inputs.endpoint.kind) {
            case let (v?, _): facts.server = "GHES \(v)"
            case (nil, .dotcom): facts.server = "github.com"
            case (nil, .dataResidency): facts.server = "GitHub Enterprise Cloud (ghe.com)"
            default: facts.server = "GitHub (no Enterprise Server version reported)"
            }
            findings += GitHubChecks.ghesVersion(ghes, jit: inputs.fleetJIT, source: metaVersion != nil ? "/meta" : "/app", asked: inputs.ghesQuestions)

            // 3. The installation on the owner.
            let installation: GitHubInstallation
            do {
                installation = try await session.installation(for: owner)
            } catch let e as GitHubAPIError where e.kind == .notFound {
                findings += GitHubChecks.permissions(app: app, installation: nil, owner: owner)
                findings += GitHubChecks.events(app: app, installation: nil)
                // Where the App is installed instead (`GET /app/installations`, JWT): a wrong owner shows at once.
                let elsewhere = ((try? await session.installations()) ?? []).compactMap { $0.account?.login }
                let installedOn = elsewhere.isEmpty ? "" : " The App is installed on \(GitHubChecks.list(elsewhere))."
                findings.append(finding(GitHubProbeRule.installation, .error, tags: ["config"], at: owner.apiPrefix + "/installation",
                                        "GitHub App `\(app.slug ?? inputs.appID)` is not installed on the \(owner)",
                                        detail: "Without an installation the fleet's lambdas get no token for \(owner.apiPrefix.dropFirst()); no runner can register." + installedOn,
                                        fix: "Install the App on the \(owner) (the App's page → Install App), or point the probe at the right owner"))
                try await webhook()
                return
            } catch let e as GitHubAPIError {
                try skipped("the App's installation on the \(owner)", e, at: owner.apiPrefix + "/installation")
                return
            }
            facts.installationID = installation.id
            findings += GitHubChecks.permissions(app: app, installation: installation, owner: owner)
            findings += GitHubChecks.events(app: app, installation: installation)
            if installation.suspendedAt != nil {
                findings.append(finding(GitHubProbeRule.installation, .error, tags: ["config"], at: owner.apiPrefix + "/installation",
                                        "The installation of `\(app.slug ?? inputs.appID)` on the \(owner) is suspended",
                                        detail: "A suspended installation gets no tokens and no events; the fleet is idle.",
                                        fix: "Unsuspend the installation (the owner's Settings → GitHub Apps → Configure)"))
                try await webhook()
                return
            }

            // 4. The webhook.
            try await webhook()

            // 5. An installation token with only what the next checks need.
            let need = GitHubChecks.needs(for: owner)[0]
            let level = inputs.jitRoundTrip ? "write" : "read"
            guard GitHubChecks.rank(installation.permissions[need.permission]) >= GitHubChecks.rank(level) else {
                findings.append(finding(GitHubProbeRule.incomplete, .warning, tags: [], at: owner.apiPrefix + "/actions/runners",
                                        "Runners not checked\(inputs.jitRoundTrip ? " and no JIT round trip" : ""): the installation has no `\(need.permission): \(level)`",
                                        fix: "Grant the permission (see GHP-602) and probe again"))
                return
            }
            let token: GitHubInstallationToken
            do {
                token = try await session.installationToken(installationID: installation.id, permissions: [need.permission: level])
            } catch let e as GitHubAPIError {
                try skipped("an installation token", e, at: "/app/installations/\(installation.id)/access_tokens")
                return
            }
            let auth = GitHubAuth.bearer(token.token)

            // 6. The runners.
            do {
                let runners = try await client.getAll(owner.apiPrefix + "/actions/runners", auth: auth, page: GitHubRunnerPage.self) { $0.runners }
                self.runners = runners
                facts.runnerCount = runners.count
                facts.offlineRunnerCount = runners.filter { $0.status == "offline" }.count
                findings += GitHubChecks.runners(runners, fleet: inputs.fleet, owner: owner)
            } catch let e as GitHubAPIError {
                try skipped("the runners", e, at: owner.apiPrefix + "/actions/runners")
            }

            // 7. Opt-in: the JIT round trip.
            if inputs.jitRoundTrip {
                let trip = await JITRoundTrip.run(client: client, auth: auth, owner: owner, group: inputs.runnerGroup,
                                                  labels: inputs.fleet.labels, ghesVersion: ghes)
                facts.jitRoundTrip = trip.summary
                facts.jitRoundTripPassed = trip.passed
                findings += trip.findings
            }
        }

        mutating func webhook() async throws {
            do {
                let config = try await session.webhookConfig()
                findings += GitHubChecks.webhook(config, expectedURL: inputs.webhookURL)
            } catch let e as GitHubAPIError {
                try skipped("the webhook configuration", e, at: "/app/hook/config")
            }
        }

        /// A step GitHub refused: a finding that says what was not checked and why; a used-up rate
        /// limit ends the run.
        mutating func skipped(_ what: String, _ e: GitHubAPIError, at path: String) throws {
            try stopOnRateLimit(e)
            findings.append(finding(GitHubProbeRule.incomplete, .warning, tags: [], at: path, "Could not read \(what): \(e)",
                                    fix: e.kind == .forbidden || e.kind == .notFound ? "Grant the App the permission this endpoint needs (see GHP-602) and probe again" : "Probe again later"))
        }

        mutating func stopOnRateLimit(_ e: GitHubAPIError) throws {
            switch e.kind {
            case .primaryRateLimit, .secondaryRateLimit:
                findings.append(finding(GitHubProbeRule.incomplete, .warning, tags: [], at: e.path.isEmpty ? "/" : relative(e.path),
                                        "The probe stopped early: \(e)",
                                        detail: "The remaining GitHub checks did not run. Waiting longer than a minute is left to you.",
                                        fix: "Probe again after the reset"))
                throw Stop()
            default: return
            }
        }

        /// An URL path relative to the API root (`/api/v3/app` → `/app`).
        func relative(_ path: String) -> String {
            let root = inputs.endpoint.apiRoot.path
            return !root.isEmpty && root != "/" && path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
        }
    }
}
