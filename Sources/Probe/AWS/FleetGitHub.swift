import AuditCore
import Foundation
import ProbeClient

/// What the deployed fleets say about their GitHub side, for the GitHub half when neither its
/// options nor the repository tell: the owner the runners register with (instance tags
/// `ghr:Type`/`ghr:Owner`, before 4.5 `Type`/`Owner`; the pool lambda's `RUNNER_OWNER`), the
/// server (`GHES_URL`), labels (`RUNNER_LABELS`, 4.x+), group, name prefix and JIT setting of the
/// scale-up lambda, and where the App's id and key parameters are. A value is taken only when
/// every fleet that shows it agrees.
public struct FleetGitHubSettings: Sendable {
    public var owner: GitHubOwner?
    /// Why no owner was taken when the fleets show several.
    public var ownerProblem: String?
    public var githubURL: String?
    public var labels: [String]?
    public var runnerGroup: String?
    public var namePrefix: String?
    public var jit: Bool?
    /// Whether the runners are ephemeral (`agent_mode` in SSM, 4.x; the scale-up lambda's
    /// `ENABLE_EPHEMERAL_RUNNERS`).
    public var ephemeral: Bool?
    /// The fleet's webhook endpoint (the module's API gateway), for the App's webhook check.
    public var webhookURL: String?
    /// The App's parameters (`<root>/<prefix>/app/github_app_id`, `…/github_app_key_base64`, or
    /// the names the scale-up lambda is given); nil when the fleets use different Apps.
    public var appParameters: (id: String, key: String)?
    public var appParametersProblem: String?

    public init() {}

    public init(_ result: AWSProbeResult, ssmRoot: String) {
        let fleets = result.fleets
        func agreed(_ values: [String?]) -> (value: String?, several: [String]) {
            let set = Set(values.compactMap { $0 }.filter { !$0.isEmpty })
            return set.count == 1 ? (set.first, []) : (nil, set.sorted())
        }
        // The owner: from the instances' tags, then the pool lambda.
        var owners: [String] = []
        for f in fleets {
            for i in f.instances {
                guard let name = i.tags["ghr:Owner"] ?? i.tags["Owner"], let type = i.tags["ghr:Type"] ?? i.tags["Type"] else { continue }
                owners.append(type == "Repo" ? name : "org:\(name)")
            }
            if let pool = f.lambda("pool")?.environment["RUNNER_OWNER"], !pool.isEmpty { owners.append("org:\(pool)") }
        }
        let owner = agreed(owners)
        if let o = owner.value {
            self.owner = o.hasPrefix("org:") ? (GitHubOwner.isName(o.dropFirst(4)) ? .organization(String(o.dropFirst(4))) : nil) : GitHubOwner.repository(o)
        } else if !owner.several.isEmpty {
            ownerProblem = "the fleets' runners belong to several owners: " + owner.several.map { $0.hasPrefix("org:") ? "organization \($0.dropFirst(4))" : "repository \($0)" }.joined(separator: ", ")
        }
        let scaleUps = fleets.compactMap { $0.lambda("scale-up")?.environment }
        githubURL = agreed(scaleUps.map { $0["GHES_URL"] }).value
        // As sets (order, case and spaces do not make fleets disagree): what GitHub compares.
        labels = agreed(scaleUps.map { $0["RUNNER_LABELS"].map { FleetChecks.labelSet($0).sorted().joined(separator: ",") } }).value
            .map { $0.split(separator: ",").map(String.init) }
        runnerGroup = agreed(scaleUps.map { $0["RUNNER_GROUP_NAME"] }).value
        namePrefix = agreed(scaleUps.map { $0["RUNNER_NAME_PREFIX"] }).value
        jit = agreed(fleets.map { f in f.config["enable_jit_config"] ?? f.lambda("scale-up")?.environment["ENABLE_JIT_CONFIG"] }).value.map { $0.lowercased() == "true" }
        ephemeral = agreed(fleets.map { f -> String? in
            if let mode = f.config["agent_mode"], !mode.isEmpty { return mode == "ephemeral" ? "true" : "false" }
            return f.lambda("scale-up")?.environment["ENABLE_EPHEMERAL_RUNNERS"]?.lowercased()
        }).value.map { $0 == "true" }
        webhookURL = agreed(fleets.map(\.webhookEndpoint)).value
        // The App: the names the scale-up lambda is given, else the module's layout.
        let root = ssmRoot.hasSuffix("/") ? String(ssmRoot.dropLast()) : ssmRoot
        let pairs = fleets.map { f -> String in
            let top = f.fleet.ssmBase.hasPrefix(root + "/") ? f.fleet.ssmBase.dropFirst(root.count + 1).split(separator: "/").first.map(String.init) : nil
            let app = "\(root)/\(top ?? f.fleet.namePrefix)/app"
            let env = f.lambda("scale-up")?.environment
            let id = env?["PARAMETER_GITHUB_APP_ID_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(app)/github_app_id"
            let key = env?["PARAMETER_GITHUB_APP_KEY_BASE64_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(app)/github_app_key_base64"
            return id + "\n" + key
        }
        let app = agreed(pairs)
        if let v = app.value {
            let parts = v.split(separator: "\n").map(String.init)
            appParameters = (parts[0], parts[1])
        } else if !app.several.isEmpty {
            appParametersProblem = "the fleets use different App parameters (" + app.several.map { $0.split(separator: "\n").first.map(String.init) ?? "" }.joined(separator: ", ") + ")"
        } else {
            appParametersProblem = "no fleet was found"
        }
    }

    /// What was taken, for the probe's progress line.
    public var summary: [String] {
        var out: [String] = []
        if let owner { out.append(owner.description) }
        if let githubURL { out.append("server \(githubURL)") }
        if let labels { out.append("labels \(labels.joined(separator: ","))") }
        if let runnerGroup { out.append("runner group \(runnerGroup)") }
        if let namePrefix { out.append("runner name prefix \(namePrefix)") }
        if let jit { out.append("JIT \(jit ? "on" : "off")") }
        if let ephemeral { out.append(ephemeral ? "ephemeral" : "not ephemeral") }
        if let webhookURL { out.append("webhook \(webhookURL)") }
        return out
    }
}

/// The GitHub App's id and private key read from the fleet's own SSM parameters: the only two
/// parameters the probe asks SSM to decrypt, each by name. The values stay wrapped.
public struct FleetAppCredentials: Sendable {
    public var appID: Secret<String>
    public var keyBase64: Secret<String>
    public var idParameter: String
    public var keyParameter: String

    /// Reads both parameters; a missing parameter or an unreadable answer is an error that names
    /// the parameter (never its value); a denial is `FleetAppDenied`, whose finding names the
    /// permission, so the caller can go on without the GitHub half.
    public static func read(client: AWSClient, settings: FleetGitHubSettings) async throws -> FleetAppCredentials {
        guard let names = settings.appParameters else {
            throw AWSProbeError("cannot take the GitHub App from the fleet: \(settings.appParametersProblem ?? "no fleet was found")")
        }
        func one(_ name: String) async throws -> Secret<String> {
            do {
                guard let value = try await client.ssmDecryptedParameter(name) else {
                    throw AWSProbeError("the fleet's SSM parameter `\(name)` does not exist; pass the App with `--github-app-id` and `--github-app-key-file`")
                }
                return value
            } catch let e as AWSServiceError where e.isAccessDenied {
                throw FleetAppDenied(finding: LiveResource.finding(
                    FleetChecks.unreadableId, .warning, domain: AWSProbe.domain,
                    message: "the auditor may not call `ssm:GetParameter` on `\(name)`",
                    detail: "AWS denied `ssm:GetParameter` with decryption (\(e.code)), so `--github-app-from-fleet` has no App and the GitHub half of the probe did not run. Grant the auditor `ssm:GetParameter` on the fleet's two App parameters and `kms:Decrypt` on their key, or pass the App with `--github-app-id` and `--github-app-key-file`.",
                    at: LiveResource.location("aws/\(client.region)/ssm\(name)")))
            } catch let e as AWSProbeError {
                throw e
            } catch let e as FleetAppDenied {
                throw e
            } catch {
                throw AWSProbe.fatal(error, doing: "ssm:GetParameter")
            }
        }
        let id = try await one(names.id)
        let key = try await one(names.key)
        return FleetAppCredentials(appID: id, keyBase64: key, idParameter: names.id, keyParameter: names.key)
    }
}

/// AWS denied reading one of the fleet's App parameters: a PRB-408 finding naming the permission.
public struct FleetAppDenied: Error, Sendable {
    public var finding: Finding
}
