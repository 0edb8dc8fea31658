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

    @Option(name: .customLong("webhook-url"), help: "The fleet's webhook endpoint (the module's `webhook_endpoint` output); the App's webhook must point there. Default: the deployed fleet's API gateway, when the AWS half runs.")
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

    /// The probe's inputs: the App, the owner and the server from the options, else the repository
    /// (PATH), else the fleet (`live`, from the AWS half); the fleet's facts resolved by
    /// `GitHubFleetExpectations` in the same order. Problems are environment errors (exit 2) that
    /// never quote the key. With `--github-app-from-fleet`, `fleetApp` holds the App id and key
    /// read from the fleet's SSM parameters.
    func inputs(repository: RepositoryGitHubSettings = .init(), live: FleetGitHubSettings? = nil,
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
        let given = GitHubFleetOptions(
            jit: fleetJIT, labels: runnerLabels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } },
            runnerGroup: runnerGroup, namePrefix: runnerNamePrefix, webhookURL: webhookURL, minimumVersion: minRunnerVersion.flatMap(ModuleVersion.init))
        let fleet = GitHubFleetExpectations(options: given, repository: repository, live: live, knowledge: knowledge)
        return GitHubProbeInputs(endpoint: endpoint, appID: appID, key: key, owner: owner, fleetJIT: fleet.jit, fleet: fleet.runners,
                                 runnerGroup: fleet.runnerGroup, webhookURL: fleet.webhookURL, jitRoundTrip: jitRoundTrip)
    }
}
