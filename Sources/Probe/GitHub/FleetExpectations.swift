import AuditCore
import Knowledge
import ProbeClient
import Rules
import Terraform

/// What the repository's module calls say about the GitHub side: the App id (`github_app.id`),
/// the server (`ghes_url`), the runners' labels, group (`runner_group_name`), name prefix
/// (`runner_name_prefix`), owner (`pool_runner_owner`), and whether the fleets register with JIT
/// configs and run ephemeral runners. A value is taken only when every fleet that writes it writes
/// the same literal; labels only from a repository with one fleet (the probe checks one label set).
public struct RepositoryGitHubSettings: Sendable {
    public var appID: String?
    public var githubURL: String?
    public var labels: [String]?
    public var runnerGroup: String?
    public var namePrefix: String?
    /// The organization of the pool (`pool_runner_owner`): the owner the fleet's runners register with.
    public var owner: GitHubOwner?
    public var ownerProblem: String?
    /// Why no App id was taken (several ids, or one ghr-audit cannot know), for the error message.
    public var appIDProblem: String?
    /// true when any fleet registers with JIT configs, false when all do not, else unknown.
    public var jit: Bool?
    /// true when any fleet is ephemeral, false when none is, else unknown.
    public var ephemeral: Bool?

    public init() {}

    public init(model: DeploymentModel, target: ModuleVersion, summaries: [FleetSummary] = []) {
        let fleets = model.calls.flatMap { call in call.fleets.filter { !$0.isPlaceholder }.map { (call, $0) } }
        func agreed(_ name: String, _ read: (Fleet) -> FleetInput?) -> (value: String?, problem: String?) {
            var values = Set<String>()
            for (_, fleet) in fleets {
                guard let input = read(fleet), !input.value.isNull else { continue }
                guard let v = input.value.asString, !v.isEmpty else { return (nil, "`\(name)` of fleet `\(fleet.name)` is not known statically") }
                values.insert(v)
            }
            if values.count > 1 { return (nil, "the fleets set different `\(name)` values") }
            return (values.first, nil)
        }
        let app = agreed("github_app.id") { fleet in
            (fleet.moduleInputs["github_app"] ?? fleet.inputs["github_app"]).flatMap { i in i.value["id"].map { FleetInput(name: "id", value: $0, range: i.range) } }
        }
        appID = app.value
        appIDProblem = app.problem ?? (app.value == nil ? "the repository does not set `github_app.id` to a literal" : nil)
        githubURL = agreed("ghes_url") { $0.input("ghes_url") }.value
        runnerGroup = agreed("runner_group_name") { $0.input("runner_group_name") }.value
        namePrefix = agreed("runner_name_prefix") { $0.input("runner_name_prefix") }.value
        let pool = agreed("pool_runner_owner") { $0.input("pool_runner_owner") }
        if let name = pool.value {
            if GitHubOwner.isName(name) { owner = .organization(name) } else { ownerProblem = "`pool_runner_owner` `\(name)` is not an organization name" }
        } else {
            ownerProblem = pool.problem
        }
        if fleets.count == 1, let (call, fleet) = fleets.first,
           let set = FleetFacts(call: call, fleet: fleet, target: target).runnerLabels {
            labels = set.sorted()
        }
        jit = Self.combine(summaries.map(\.jit))
        ephemeral = Self.combine(summaries.map(\.ephemeral))
    }

    /// true when any fleet says true, false when all say false, else unknown.
    public static func combine(_ values: [Bool?]) -> Bool? {
        if values.contains(true) { return true }
        return !values.isEmpty && values.allSatisfy { $0 == false } ? false : nil
    }

    /// What was taken, for the probe's progress line.
    public var summary: [String] {
        var out: [String] = []
        if let appID { out.append("App id \(appID)") }
        if let owner { out.append(owner.description) }
        if let githubURL { out.append("server \(githubURL)") }
        if let labels { out.append("labels \(labels.joined(separator: ","))") }
        if let runnerGroup { out.append("runner group \(runnerGroup)") }
        if let namePrefix { out.append("runner name prefix \(namePrefix)") }
        return out
    }
}

/// What the command line says about the fleet (each nil when its option is not given).
public struct GitHubFleetOptions: Sendable {
    public var jit: Bool?
    public var labels: [String]?
    public var runnerGroup: String?
    public var namePrefix: String?
    public var webhookURL: String?
    public var minimumVersion: ModuleVersion?

    public init(jit: Bool? = nil, labels: [String]? = nil, runnerGroup: String? = nil, namePrefix: String? = nil,
                webhookURL: String? = nil, minimumVersion: ModuleVersion? = nil) {
        self.jit = jit
        self.labels = labels
        self.runnerGroup = runnerGroup
        self.namePrefix = namePrefix
        self.webhookURL = webhookURL
        self.minimumVersion = minimumVersion
    }
}

/// The fleet the GitHub half checks against: each fact from the command's options, else the
/// repository (PATH), else the deployed fleet (the AWS half), else unknown.
public struct GitHubFleetExpectations: Sendable {
    /// Whether the fleet registers with JIT configs (GHES version check, minimum runner version).
    public var jit: Bool?
    /// The runners the fleet owns and what they must be (ephemeral, labels, name prefix, version).
    public var runners: GitHubChecks.FleetRunners
    public var runnerGroup: String?
    /// Where the App's webhook must point.
    public var webhookURL: String?

    public init(options: GitHubFleetOptions, repository: RepositoryGitHubSettings, live: FleetGitHubSettings?, knowledge: KnowledgeBase) {
        jit = options.jit ?? repository.jit ?? live?.jit
        let (minimum, requirement) = GitHubChecks.FleetRunners.minimum(given: options.minimumVersion, jit: jit, knowledge: knowledge)
        runners = GitHubChecks.FleetRunners(namePrefix: options.namePrefix ?? repository.namePrefix ?? live?.namePrefix,
                                            ephemeral: repository.ephemeral ?? live?.ephemeral,
                                            labels: options.labels ?? repository.labels ?? live?.labels ?? [],
                                            minimumVersion: minimum, minimumRequirement: requirement)
        runnerGroup = options.runnerGroup ?? repository.runnerGroup ?? live?.runnerGroup
        webhookURL = options.webhookURL ?? live?.webhookURL
    }
}
