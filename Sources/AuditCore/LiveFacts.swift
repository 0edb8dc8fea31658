/// What `ghr-audit probe` read from the deployed fleet, as its JSON report carries it (member
/// `live`) and as `check --probe-results FILE` reads it back to show beside the repository. The
/// JSON member names are the property names below; optional values are written as `null`.
///
/// Holds no secret by construction: SSM values only of `String` configuration parameters, token
/// parameters only counted, lambda variables only from the probe's list of non-secret names,
/// the launch template's user data only as its start-script verdict. Every reporter still masks
/// what it shows, as for any other text.
public struct LiveFacts: Sendable, Hashable, Codable {
    public var aws: AWS?
    public var github: GitHub?
    /// The probe's findings, from the report's `findings` (not part of the `live` member).
    public var findings: [Finding] = []

    enum CodingKeys: String, CodingKey { case aws, github }

    public init(aws: AWS? = nil, github: GitHub? = nil, findings: [Finding] = []) {
        self.aws = aws
        self.github = github
        self.findings = findings
    }

    public struct AWS: Sendable, Hashable, Codable {
        public var account: String?
        public var callerArn: String?
        /// The link of the credential chain that answered (`environment`, `profile x`...).
        public var credentialSource: String?
        public var region: String
        /// The `--since` window (`24h`), nil when the after-upgrade checks did not run.
        public var window: String?
        public var fleets: [Fleet]

        public init(account: String?, callerArn: String?, credentialSource: String?, region: String, window: String?, fleets: [Fleet]) {
            self.account = account
            self.callerArn = callerArn
            self.credentialSource = credentialSource
            self.region = region
            self.window = window
            self.fleets = fleets
        }
    }

    /// What the fingerprints of a fleet say about the module release that deployed it.
    public struct Release: Sendable, Hashable, Codable {
        public var atLeast: String?
        public var below: String?
        /// `>= 4.0.1 and < 4.5.0`, `unknown`.
        public var summary: String
        public var evidence: [String]

        public init(atLeast: String?, below: String?, summary: String, evidence: [String]) {
            self.atLeast = atLeast
            self.below = below
            self.summary = summary
            self.evidence = evidence
        }

        /// Whether `version` agrees with the fingerprints; nil when there is no evidence or the
        /// version is not a release.
        public func admits(_ version: String?) -> Bool? {
            guard !evidence.isEmpty, let v = version.flatMap(ModuleVersion.init) else { return nil }
            if let a = atLeast.flatMap(ModuleVersion.init), v < a { return false }
            if let b = below.flatMap(ModuleVersion.init), v >= b { return false }
            return true
        }
    }

    public struct Lambda: Sendable, Hashable, Codable {
        public var name: String
        public var runtime: String?
        /// Only variables from the probe's non-secret list, with a value.
        public var environment: [String: String]

        public init(name: String, runtime: String?, environment: [String: String]) {
            self.name = name
            self.runtime = runtime
            self.environment = environment
        }
    }

    public struct LaunchTemplate: Sendable, Hashable, Codable {
        public var name: String
        public var version: Int
        public var imageId: String?
        /// The start-script contract of the decoded user data (`StartContract` raw value), nil
        /// when the template has no user data.
        public var startScript: String?

        public init(name: String, version: Int, imageId: String?, startScript: String?) {
            self.name = name
            self.version = version
            self.imageId = imageId
            self.startScript = startScript
        }
    }

    public struct Image: Sendable, Hashable, Codable {
        public var id: String
        public var name: String?
        /// The launch template names it but EC2 does not know it (any more).
        public var missing: Bool
        /// The account that owns the image.
        public var owner: String?
        /// The repository's Packer sources whose `ami_name` matches the image's name, as
        /// `file:line` of the `ami_name` (nil without a repository).
        public var builtBy: [String]?

        public init(id: String, name: String?, missing: Bool, owner: String? = nil, builtBy: [String]? = nil) {
            self.id = id
            self.name = name
            self.missing = missing
            self.owner = owner
            self.builtBy = builtBy
        }
    }

    public struct Instance: Sendable, Hashable, Codable {
        public var id: String
        public var state: String
        public var imageId: String?
        /// Carries the pre-4.5 `Type`/`Owner` tags without `ghr:`.
        public var legacyTags: Bool

        public init(id: String, state: String, imageId: String?, legacyTags: Bool) {
            self.id = id
            self.state = state
            self.imageId = imageId
            self.legacyTags = legacyTags
        }
    }

    public struct LogHit: Sendable, Hashable, Codable {
        public var signature: String
        public var group: String
        public var count: Int

        public init(signature: String, group: String, count: Int) {
            self.signature = signature
            self.group = group
            self.count = count
        }
    }

    /// One deployed fleet: `<prefix>` or `<prefix>-<multi-runner key>`.
    public struct Fleet: Sendable, Hashable, Codable {
        public var namePrefix: String
        public var ssmBase: String
        /// The release the repository pins for it (when the probe was given the repository).
        public var pinned: String?
        public var deployed: Release
        public var ssmConfigRead: Bool
        /// `String` parameters directly under `<ssmBase>/runners/config`, by name.
        public var ssmConfig: [String: String]
        /// Every parameter name under it, whatever its type.
        public var ssmConfigNames: [String]
        /// Per-instance token (or JIT config) parameters waiting under `<ssmBase>/runners/tokens`.
        public var tokenParameters: Int
        public var lambdasRead: Bool
        public var lambdas: [Lambda]
        public var launchTemplate: LaunchTemplate?
        public var image: Image?
        public var instances: [Instance]
        /// Queue name → approximate number of messages.
        public var queues: [String: Int]
        /// `<function> <metric>` → sum over the window (with `--since`).
        public var metrics: [String: Int]
        public var logSignatures: [LogHit]
        /// Fingerprints of the probe findings about this fleet.
        public var findings: [String]

        public init(namePrefix: String, ssmBase: String, pinned: String? = nil, deployed: Release, ssmConfigRead: Bool = false,
                    ssmConfig: [String: String] = [:], ssmConfigNames: [String] = [], tokenParameters: Int = 0, lambdasRead: Bool = false,
                    lambdas: [Lambda] = [], launchTemplate: LaunchTemplate? = nil, image: Image? = nil, instances: [Instance] = [],
                    queues: [String: Int] = [:], metrics: [String: Int] = [:], logSignatures: [LogHit] = [], findings: [String] = []) {
            self.namePrefix = namePrefix
            self.ssmBase = ssmBase
            self.pinned = pinned
            self.deployed = deployed
            self.ssmConfigRead = ssmConfigRead
            self.ssmConfig = ssmConfig
            self.ssmConfigNames = ssmConfigNames
            self.tokenParameters = tokenParameters
            self.lambdasRead = lambdasRead
            self.lambdas = lambdas
            self.launchTemplate = launchTemplate
            self.image = image
            self.instances = instances
            self.queues = queues
            self.metrics = metrics
            self.logSignatures = logSignatures
            self.findings = findings
        }

        /// Whether the probe found anything of the fleet: a fleet the repository names is probed
        /// even when nothing of it is deployed.
        public var found: Bool { !ssmConfigNames.isEmpty || !lambdas.isEmpty || launchTemplate != nil || !instances.isEmpty || !queues.isEmpty }

        public func lambda(_ suffix: String) -> Lambda? { lambdas.first { $0.name == "\(namePrefix)-\(suffix)" } }

        /// Whether runners are ephemeral, as SSM `agent_mode` (else the scale-up lambda) says.
        public var ephemeral: Bool? {
            if let mode = ssmConfig["agent_mode"] { return mode == "ephemeral" }
            return lambda("scale-up")?.environment["ENABLE_EPHEMERAL_RUNNERS"].map { $0.lowercased() == "true" }
        }

        /// Whether runners get JIT configs, as SSM `enable_jit_config` (else the scale-up lambda) says.
        public var jit: Bool? {
            let value = ssmConfig["enable_jit_config"] ?? lambda("scale-up")?.environment["ENABLE_JIT_CONFIG"]
            return value.map { $0.lowercased() == "true" }
        }
    }

    public struct GitHub: Sendable, Hashable, Codable {
        public var apiRoot: String
        public var server: String
        public var ghesVersion: String?
        public var appSlug: String?
        public var installationID: Int?
        public var runnerCount: Int?
        public var offlineRunnerCount: Int?
        public var jitRoundTrip: String?
        public var jitRoundTripPassed: Bool?

        public init(apiRoot: String, server: String, ghesVersion: String?, appSlug: String?, installationID: Int?, runnerCount: Int?,
                    offlineRunnerCount: Int?, jitRoundTrip: String?, jitRoundTripPassed: Bool?) {
            self.apiRoot = apiRoot
            self.server = server
            self.ghesVersion = ghesVersion
            self.appSlug = appSlug
            self.installationID = installationID
            self.runnerCount = runnerCount
            self.offlineRunnerCount = offlineRunnerCount
            self.jitRoundTrip = jitRoundTrip
            self.jitRoundTripPassed = jitRoundTripPassed
        }
    }

    /// Whether an AMI name matches a filter pattern with `*` and `?` (as EC2's name filter does).
    public static func wildcardMatches(_ pattern: String, _ name: String) -> Bool {
        Wildcard.matches(Array(pattern), Array(name), star: "*", one: "?")
    }
}
