import ArgumentParser
import Engine
import Probe

/// The GitHub half of `probe`: which App, which owner, which server, and what the fleet expects
/// when the repository (PATH) or the AWS half cannot tell. What they mean: `GitHubProbeArguments`.
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

    var arguments: GitHubProbeArguments {
        var a = GitHubProbeArguments()
        a.appID = appID
        a.keyFile = keyFile
        a.appFromFleet = appFromFleet
        a.org = org
        a.repo = repo
        a.githubURL = githubURL
        a.githubAPIURL = githubAPIURL
        a.caBundle = caBundle
        a.jitRoundTrip = jitRoundTrip
        a.fleetJIT = fleetJIT
        a.runnerLabels = runnerLabels
        a.runnerNamePrefix = runnerNamePrefix
        a.runnerGroup = runnerGroup
        a.webhookURL = webhookURL
        a.minRunnerVersion = minRunnerVersion
        a.timeout = timeout
        return a
    }

    func validate() throws {
        do { try arguments.validate() } catch { throw ValidationError(error.description) }
    }
}
