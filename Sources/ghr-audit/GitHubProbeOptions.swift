import ArgumentParser
import AuditCore
import Engine
import Foundation
import Knowledge
import Probe
import ProbeClient
import Rules
import Terraform

/// The GitHub half of `probe`: which App, which owner, which server, and what the fleet expects
/// when the repository (PATH) or the AWS half cannot tell.
struct GitHubProbeOptions: ParsableArguments {
    @Option(name: .customLong("github-app-id"), help: "The GitHub App's id (the module's `github_app.id`).")
    var appID: String?

    @Option(name: .customLong("github-app-key-file"), help: "The App's private key (PEM, PKCS#1 or PKCS#8, or base64 of it). Default: the environment variable GHR_AUDIT_GITHUB_APP_KEY.")
    var keyFile: String?

    @Flag(name: .customLong("github-app-from-fleet"), help: "Take the App id and private key from the fleet's own SSM parameters (`<ssm root>/<prefix>/app/github_app_id` and `github_app_key_base64`, or the names the scale-up lambda is given): the only two parameters the probe asks SSM to decrypt. Needs the AWS half.")
    var appFromFleet = false

    @Option(help: "The organization whose runners the fleet registers (org runners). Default: from the repository (`pool_runner_owner`) or the fleet's instance tags (`ghr:Owner`).")
    var org: String?

    @Option(help: "OWNER/REPO whose runners the fleet registers (repository runners).")
    var repo: String?

    @Option(name: .customLong("github-url"), help: "The GitHub server, as the module's `ghes_url`: https://HOST for GHES (API at /api/v3), https://NAME.ghe.com (API at api.NAME.ghe.com). Default: github.com.")
    var githubURL: String?

    @Option(name: .customLong("github-api-url"), help: "The REST API root itself, used verbatim (instead of --github-url).")
    var githubAPIURL: String?

    @Option(name: .customLong("ca-bundle"), help: "PEM file of the CA certificates to trust (a GHES behind a private CA). Default: SSL_CERT_FILE when set, else the system's.")
    var caBundle: String?

    @Flag(name: .customLong("jit-roundtrip"), help: "Also register a uniquely named JIT runner and delete it at once (the probe's only write beyond the token request).")
    var jitRoundTrip = false

    @Option(name: .customLong("fleet-jit"), help: "Whether the fleet registers with JIT configs (true or false), when no PATH tells.")
    var fleetJIT: Bool?

    @Option(name: .customLong("runner-labels"), help: "The fleet's full label list, comma-separated (e.g. self-hosted,linux,x64,gpu).")
    var runnerLabels: String?

    @Option(name: .customLong("runner-name-prefix"), help: "Only runners whose names start with this prefix belong to the fleet (the module's `runner_name_prefix`).")
    var runnerNamePrefix: String?

    @Option(name: .customLong("runner-group"), help: "The runner group of org runners, for --jit-roundtrip (default: Default).")
    var runnerGroup: String?

    @Option(name: .customLong("webhook-url"), help: "The fleet's webhook endpoint (the module's `webhook_endpoint` output); the App's webhook must point there.")
    var webhookURL: String?

    @Option(name: .customLong("min-runner-version"), help: "Report runners older than this actions/runner version. Default for a fleet that registers with JIT configs: 2.294.0, the first release that accepts `--jitconfig` (rules/knowledge/runner-versions.yaml).")
    var minRunnerVersion: String?

    @Option(name: .customLong("github-timeout"), help: "Seconds to wait for each GitHub request (default 30).")
    var timeout: Double = 30

    static let keyEnvironment = "GHR_AUDIT_GITHUB_APP_KEY"

    /// URLSession with the system's CA certificates, or libcurl with `--ca-bundle` / `SSL_CERT_FILE`.
    func transport(environment: [String: String]) throws -> any HTTPTransport {
        guard let bundle = caBundle ?? environment["SSL_CERT_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return URLSessionTransport(timeout: timeout)
        }
        do { return try CurlTransport(caBundle: bundle, timeout: timeout) } catch { throw EnvironmentError("\(error)") }
    }

    func validate() throws {
        if org != nil && repo != nil { throw ValidationError("give either `--org` or `--repo`, not both") }
        if let org, !GitHubOwner.isName(org) { throw ValidationError("`--org \(org)` is not an organization name") }
        if let repo, GitHubOwner.repository(repo) == nil { throw ValidationError("`--repo \(repo)` must have the form OWNER/REPO") }
        if githubURL != nil && githubAPIURL != nil { throw ValidationError("give either `--github-url` or `--github-api-url`, not both") }
        if let v = minRunnerVersion, ModuleVersion(v) == nil { throw ValidationError("`--min-runner-version \(v)` is not a version such as 2.311.0") }
        if let appID, appID.isEmpty || appID.contains(where: \.isWhitespace) { throw ValidationError("`--github-app-id` must be the App's id") }
        if appFromFleet && keyFile != nil { throw ValidationError("give either `--github-app-key-file` or `--github-app-from-fleet`, not both") }
        if !(timeout > 0 && timeout <= 600) { throw ValidationError("`--github-timeout` must be between 0 and 600 seconds") }
    }

    /// Whether an App, its key or an owner was named (the rest may come from the repository or the fleet).
    var named: Bool { appID != nil || org != nil || repo != nil || keyFile != nil || appFromFleet }

    /// The probe's inputs; `fleetJIT`, the App id, the server, the labels, the runner group and
    /// the name prefix from the repository when their options are not given (options override).
    /// Problems are environment errors (exit 2) that never quote the key.
    /// The fleet (`live`, from the AWS half) fills in after the repository; with
    /// `--github-app-from-fleet`, `fleetApp` holds the App id and key read from its SSM parameters.
    func inputs(repositoryJIT: Bool?, repository: RepositoryGitHubSettings = .init(), live: FleetGitHubSettings? = nil,
                fleetApp: FleetAppCredentials? = nil, knowledge: KnowledgeBase, environment: [String: String]) throws -> GitHubProbeInputs {
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
            guard let data = FileManager.default.contents(atPath: keyFile), let text = String(data: data, encoding: .utf8) else {
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
        let labels = runnerLabels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            ?? repository.labels ?? live?.labels ?? []
        let jit = fleetJIT ?? repositoryJIT ?? live?.jit
        let (minimum, requirement) = GitHubChecks.FleetRunners.minimum(given: minRunnerVersion.flatMap(ModuleVersion.init), jit: jit, knowledge: knowledge)
        let fleet = GitHubChecks.FleetRunners(namePrefix: runnerNamePrefix ?? repository.namePrefix ?? live?.namePrefix, ephemeral: nil, labels: labels,
                                              minimumVersion: minimum, minimumRequirement: requirement)
        return GitHubProbeInputs(endpoint: endpoint, appID: appID, key: key, owner: owner, fleetJIT: jit, fleet: fleet,
                                 runnerGroup: runnerGroup ?? repository.runnerGroup ?? live?.runnerGroup, webhookURL: webhookURL, jitRoundTrip: jitRoundTrip)
    }
}

/// What the repository's module calls say about the GitHub side: the App id (`github_app.id`),
/// the server (`ghes_url`), the runners' labels, group (`runner_group_name`) and name prefix
/// (`runner_name_prefix`). A value is taken only when every fleet that writes it writes the same
/// literal; labels only from a repository with one fleet (the probe checks one label set).
struct RepositoryGitHubSettings {
    var appID: String?
    var githubURL: String?
    var labels: [String]?
    var runnerGroup: String?
    var namePrefix: String?
    /// The organization of the pool (`pool_runner_owner`): the owner the fleet's runners register with.
    var owner: GitHubOwner?
    var ownerProblem: String?
    /// Why no App id was taken (several ids, or one ghr-audit cannot know), for the error message.
    var appIDProblem: String?

    init() {}

    init(model: DeploymentModel, target: ModuleVersion) {
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
    }

    /// What was taken, for the probe's progress line.
    var summary: [String] {
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
