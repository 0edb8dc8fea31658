import AuditCore
import Foundation
import ProbeClient

public struct TokenParameter: Sendable, Hashable {
    public var instanceId: String
    public var lastModified: Date?
}

/// A role of the fleet with its policies (documents URL-decoded).
public struct LiveRole: Sendable, Hashable {
    public var role: IAMRole
    public var policies: [IAMPolicyDocument]
    public var boundary: IAMPolicyDocument?
}

/// Log lines matching one known failure signature in the window.
public struct LogSignatureHit: Sendable, Hashable {
    public var signature: String
    public var group: String
    public var count: Int
    public var first: Date
    public var last: Date
}

/// Everything the probe read about one fleet. Holds no secret: SSM values only of `String`
/// config parameters, token parameters by name and date, lambda variables outside a known
/// non-secret list blanked.
public struct AWSFleetFacts: Sendable {
    public var fleet: AWSFleetTarget
    /// `agent_mode` → `ephemeral`, … (String parameters directly under the config path).
    public var config: [String: String] = [:]
    /// Every parameter name under the config path, whatever its type.
    public var configNames: Set<String> = []
    public var configRead = false
    public var tokens: [TokenParameter] = []
    public var lambdas: [LambdaFunction] = []
    public var lambdasRead = false
    public var launchTemplate: LaunchTemplateVersion?
    public var image: AMIImage?
    public var imageMissing = false
    public var instances: [EC2Instance] = []
    public var roles: [LiveRole] = []
    /// Queue name → attributes.
    public var queues: [String: [String: String]] = [:]
    /// `<function> <metric>` → sum over the window.
    public var metrics: [String: Double] = [:]
    public var logHits: [LogSignatureHit] = []
    /// The module's webhook endpoint, `<api endpoint>/webhook` of the HTTP API
    /// `<prefix>-github-action-webhook` (modules/webhook: `local.webhook_endpoint = "webhook"`, the
    /// root output `webhook_endpoint`); nil when the API was not found or not readable.
    public var webhookEndpoint: String?
    /// The release the fingerprints point at (filled in by the checks).
    public var deployed = DeployedRelease()
    /// Fingerprints of the findings about this fleet (filled in by `AWSProbe.run`).
    public var findingFingerprints: [String] = []

    public func lambda(_ suffix: String) -> LambdaFunction? { lambdas.first { $0.name == "\(fleet.namePrefix)-\(suffix)" } }
}

/// Reads one fleet. Each read that fails leaves its part empty and a finding in the reader.
struct FleetReader {
    let reader: Reader
    let fleet: AWSFleetTarget
    let options: AWSProbeSettings
    let now: Date

    var client: AWSClient { reader.client }
    var region: String { client.region }

    /// The module call's `prefix`: the first path element under the SSM root (the name prefix of a
    /// root-module fleet, the part before `-<key>` of a multi-runner one).
    var modulePrefix: String {
        let root = options.ssmRoot + "/"
        guard fleet.ssmBase.hasPrefix(root), let first = fleet.ssmBase.dropFirst(root.count).split(separator: "/").first else { return fleet.namePrefix }
        return String(first)
    }

    func read() async throws -> AWSFleetFacts {
        var facts = AWSFleetFacts(fleet: fleet)
        let r = "aws/\(region)"

        // SSM: config values (no decryption), token parameters by name and date only.
        if let config = try await reader.read("ssm:GetParametersByPath", on: "\(r)/ssm\(fleet.configPath)", {
            try await client.ssmConfigParameters(fleet.configPath)
        }) {
            facts.configRead = true
            for p in config {
                let key = String(p.name.dropFirst(fleet.configPath.count + 1))
                facts.configNames.insert(key)
                if let v = p.value { facts.config[key] = v }
            }
        }
        if let tokens = try await reader.read("ssm:DescribeParameters", on: "\(r)/ssm\(fleet.tokensPath)", {
            try await client.ssmDescribeParameters(under: fleet.tokensPath)
        }) {
            facts.tokens = tokens.map { TokenParameter(instanceId: String($0.name.split(separator: "/").last ?? ""), lastModified: $0.lastModified) }
                .sorted { $0.instanceId < $1.instanceId }
        }

        // Lambdas of the fleet (environment values outside the known list are blanked by the client).
        if let fns = try await reader.read("lambda:ListFunctions", on: "\(r)/lambda/\(fleet.namePrefix)-*", {
            try await client.lambdaFunctions(prefix: "\(fleet.namePrefix)-")
        }) {
            facts.lambdas = fns.sorted { $0.name < $1.name }
            facts.lambdasRead = true
        }

        // The webhook's API gateway: one per module call, named after the module's prefix (a
        // multi-runner fleet `<prefix>-<key>` shares its call's `<prefix>-github-action-webhook`).
        let api = "\(modulePrefix)-github-action-webhook"
        if let apis = try await reader.read("apigateway:GET", on: "\(r)/apigateway/apis/\(api)", { try await client.apiGatewayAPIs() }),
           let endpoint = apis.first(where: { $0.name == api })?.endpoint {
            facts.webhookEndpoint = (endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) + "/webhook"
        }

        // Launch template, its default version's user data, and its AMI.
        let ltName = "\(fleet.namePrefix)-action-runner"
        if let lts = try await reader.read("ec2:DescribeLaunchTemplates", on: "\(r)/ec2/launch-template/\(ltName)", {
            try await client.ec2LaunchTemplates(names: [ltName])
        }), let lt = lts.first(where: { $0.name == ltName }) {
            facts.launchTemplate = try await reader.read("ec2:DescribeLaunchTemplateVersions", on: "\(r)/ec2/launch-template/\(ltName)", {
                try await client.ec2LaunchTemplateVersion(lt, version: lt.defaultVersion)
            }) ?? nil
            // 6.5.0+: `resolve:ssm:<config>/ami_id`, a `String` parameter of the config path read above.
            var imageId = facts.launchTemplate?.imageId
            if let id = imageId, id.hasPrefix("resolve:ssm:") {
                imageId = id.dropFirst("resolve:ssm:".count) == "\(fleet.configPath)/ami_id" ? facts.config["ami_id"] : nil
            }
            if let image = imageId, !image.hasPrefix("resolve:ssm:") {
                if let images = try await reader.read("ec2:DescribeImages", on: "\(r)/ec2/image/\(image)", { try await client.ec2Images(ids: [image]) }) {
                    facts.image = images.first
                    facts.imageMissing = images.isEmpty
                }
            }
        }

        // Instances of the fleet.
        if let instances = try await reader.read("ec2:DescribeInstances", on: "\(r)/ec2/instances/ghr:environment=\(fleet.namePrefix)", {
            try await client.ec2Instances(tag: "ghr:environment", values: [fleet.namePrefix])
        }) {
            facts.instances = instances.sorted { $0.id < $1.id }
        }

        // IAM roles named after the fleet, with their policies and boundaries.
        if let roles = try await reader.read("iam:ListRoles", on: "aws/global/iam/role/\(fleet.namePrefix)-*", { try await client.iamRoles() }) {
            for role in roles where FleetChecks.moduleRole(of: role.name, prefix: fleet.namePrefix) != nil {
                let policies = try await reader.read("iam:GetRolePolicy", on: "aws/global/iam/role/\(role.name)", {
                    try await client.iamRolePolicies(role)
                }) ?? []
                var boundary: IAMPolicyDocument?
                if let arn = role.boundaryArn {
                    boundary = try await reader.read("iam:GetPolicyVersion", on: "aws/global/iam/policy/\(arn)", { try await client.iamManagedPolicy(arn) }) ?? nil
                }
                facts.roles.append(LiveRole(role: role, policies: policies, boundary: boundary))
            }
        }

        // Queues: build queue (FIFO up to 5.x) and dead-letter queue.
        for name in ["\(fleet.namePrefix)-queued-builds", "\(fleet.namePrefix)-queued-builds.fifo", "\(fleet.namePrefix)-queued-builds_dead_letter",
                     "\(fleet.namePrefix)-queued-builds_dead_letter.fifo"] {
            if let attrs = try await reader.read("sqs:GetQueueAttributes", on: "\(r)/sqs/\(name)", { try await client.sqsQueueAttributes(name: name) }),
               let attrs {
                facts.queues[name] = attrs
            }
        }

        // After the upgrade: lambda metrics and failure signatures in the logs.
        if let since = options.since {
            let from = now.addingTimeInterval(-since)
            for fn in ["scale-up", "scale-down"] where facts.lambda(fn) != nil || !facts.lambdasRead {
                let name = "\(fleet.namePrefix)-\(fn)"
                for metric in ["Errors", "Throttles"] {
                    if let sum = try await reader.read("cloudwatch:GetMetricStatistics", on: "\(r)/cloudwatch/AWS/Lambda/\(name)", {
                        try await client.lambdaMetricSum(function: name, metric: metric, from: from, to: now)
                    }) {
                        facts.metrics["\(name) \(metric)"] = sum
                    }
                }
            }
            for (group, signatures) in LogSignatures.groups(prefix: fleet.namePrefix) {
                let pattern = signatures.map { "?\"\($0.phrase)\"" }.joined(separator: " ")
                guard let events = try await reader.read("logs:FilterLogEvents", on: "\(r)/logs\(group)", {
                    try await client.logEvents(group: group, pattern: pattern, from: from, to: now)
                }), let events else { continue }
                for s in signatures {
                    let hits = events.filter { $0.1.contains(s.phrase) }.map(\.0)
                    guard let first = hits.min(), let last = hits.max() else { continue }
                    facts.logHits.append(LogSignatureHit(signature: s.id, group: group, count: hits.count, first: first, last: last))
                }
            }
        }
        return facts
    }
}

/// Known failure signatures of a token/JIT mismatch and of scale-up failures (module-facts §9).
public struct LogSignature: Sendable, Hashable {
    public var id: String
    public var phrase: String
    /// What it means, for the finding.
    public var meaning: String
}

public enum LogSignatures {
    public static let runner: [LogSignature] = [
        LogSignature(id: "token-passed-to-jitconfig", phrase: "Unrecognized command-line input arguments for command run",
                     meaning: "`run.sh --jitconfig` received registration-token arguments: the start script expects JIT configs but the scale-up lambda still writes tokens (stale 3.x lambdas, or `enable_jit_config` disagreeing with the lambda)"),
        LogSignature(id: "jitconfig-passed-to-config", phrase: "Invalid configuration provided for url",
                     meaning: "`config.sh` received a JIT config instead of token arguments: a token-only start script (custom AMI or user data) on a fleet with JIT on"),
        LogSignature(id: "not-configured", phrase: "Not configured. Run config",
                     meaning: "the runner started without being configured (no `config.sh` run and no JIT config): often a missing `enable_jit_config` parameter"),
        LogSignature(id: "no-token-parameter", phrase: "Waiting for GH Runner config to become available",
                     meaning: "the instance waits for its token or JIT config parameter, which scale-up never wrote"),
        LogSignature(id: "registration-deleted", phrase: "The runner registration has been deleted from the server",
                     meaning: "the runner's registration was removed before it connected (for example by scale-down)"),
        LogSignature(id: "runner-start-failed", phrase: "runner-start-failed",
                     meaning: "the start script's error trap fired and the instance terminates itself"),
    ]
    public static let scaleUp: [LogSignature] = [
        LogSignature(id: "github-error-ignored", phrase: "Ignoring error",
                     meaning: "scale-up hit a GitHub API error (for example generate-jitconfig 404/422) and dropped the job's message"),
        LogSignature(id: "jit-config-failed", phrase: "Failed to create JIT config",
                     meaning: "scale-up could not create JIT configs for launched instances"),
        LogSignature(id: "create-fleet-failed", phrase: "Create fleet failed",
                     meaning: "EC2 CreateFleet failed; no runner was launched for the job"),
    ]

    /// Log group → signatures to look for there.
    public static func groups(prefix: String) -> [(String, [LogSignature])] {
        let runnerGroups = ["runner", "runner-startup", "user_data", "messages"].map { "/github-self-hosted-runners/\(prefix)/\($0)" }
        return [("/aws/lambda/\(prefix)-scale-up", scaleUp)] + runnerGroups.map { ($0, runner) }
    }

    public static func signature(_ id: String) -> LogSignature? { (runner + scaleUp).first { $0.id == id } }
}
