import Foundation

/// Every AWS action the probe can send, `service:Operation`. The client refuses anything else, so
/// this set is the probe's whole reach: Describe, Get and List calls (and the Logs search
/// `FilterLogEvents`), plus the STS calls that yield credentials. The README's IAM policy is generated from it.
public enum AWSActions {
    /// Reads of the fleet.
    public static let reads: [String] = [
        "sts:GetCallerIdentity",
        "ssm:DescribeParameters", "ssm:GetParametersByPath",
        "ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeImages",
        "lambda:ListFunctions",
        "apigateway:GET",
        "iam:ListRoles", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion",
        "sqs:GetQueueUrl", "sqs:GetQueueAttributes",
        "cloudwatch:GetMetricStatistics",
        "logs:FilterLogEvents",
    ]
    /// Calls that only obtain credentials (a profile's role, web identity).
    public static let credentialCalls: [String] = ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]
    /// Only with `--github-app-from-fleet`: the GitHub App's id and private key, two parameters
    /// read by name with decryption (never a path, never another parameter).
    public static let githubAppReads: [String] = ["ssm:GetParameter"]

    public static var all: Set<String> { Set(reads + credentialCalls + githubAppReads) }

    /// The IAM policy to grant the auditor: exactly the reads, nothing else (the STS credential
    /// calls are granted by the trust policy of the role being assumed, not here).
    public static func leastPrivilegePolicy() -> String {
        let actions = reads.filter { $0 != "sts:GetCallerIdentity" }.sorted()
        let lines = actions.map { "        \"\($0)\"" }.joined(separator: ",\n")
        return """
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "GhrAuditProbeReadOnly",
              "Effect": "Allow",
              "Action": [
        \(lines)
              ],
              "Resource": "*"
            }
          ]
        }
        """
    }

    /// `ssm:GetParametersByPath` reads values: it is only ever sent for a fleet's `…/runners/config`
    /// path, with `WithDecryption` false.
    public static func isReadOnly(_ action: String) -> Bool {
        guard let op = action.split(separator: ":").last else { return false }
        // `logs:FilterLogEvents` is the Logs API's search: a read like the others.
        // `apigateway:GET`: API Gateway names its actions after HTTP methods; GET only reads.
        return ["Describe", "Get", "List"].contains { op.hasPrefix($0) } || action == "logs:FilterLogEvents" || action == "apigateway:GET"
            || credentialCalls.contains(action)
    }
}

// MARK: - Typed reads

public struct SSMParameter: Sendable, Hashable {
    public var name: String
    public var type: String
    /// Only for `String` parameters read by `GetParametersByPath` (never a SecureString: the probe
    /// does not ask for decryption and drops what comes back).
    public var value: String?
    public var lastModified: Date?
}

public struct EC2Instance: Sendable, Hashable {
    public var id: String
    public var state: String
    public var imageId: String?
    public var launchTime: Date?
    public var tags: [String: String]
}

public struct LaunchTemplate: Sendable, Hashable {
    public var id: String
    public var name: String
    public var defaultVersion: Int
    public var latestVersion: Int
}

public struct LaunchTemplateVersion: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var imageId: String?
    /// Decoded user data; a Secret-free text (user data is not a secret store).
    public var userData: String?
    public var httpTokens: String?
}

public struct AMIImage: Sendable, Hashable {
    public var id: String
    public var name: String?
    public var ownerId: String?
    public var creationDate: String?
}

public struct LambdaFunction: Sendable, Hashable {
    public var name: String
    public var runtime: String?
    public var lastModified: String?
    /// Environment variables by name. Values are kept only for the names in `visibleEnvironment`;
    /// others are present with an empty value (the probe never needs them, and they may be secret).
    public var environment: [String: String]

    public init(name: String, runtime: String? = nil, lastModified: String? = nil, environment: [String: String] = [:]) {
        self.name = name
        self.runtime = runtime
        self.lastModified = lastModified
        self.environment = environment
    }

    public static let visibleEnvironment: Set<String> = [
        "ENABLE_JIT_CONFIG", "ENABLE_EPHEMERAL_RUNNERS", "RUNNER_LABELS", "RUNNER_EXTRA_LABELS", "GHES_URL", "SSM_CONFIG_PATH",
        "SSM_TOKEN_PATH", "ENVIRONMENT", "ENABLE_ORGANIZATION_RUNNERS", "RUNNER_GROUP_NAME", "LAUNCH_TEMPLATE_NAME",
        "ENABLE_ON_DEMAND_FAILOVER_FOR_ERRORS", "POWERTOOLS_SERVICE_NAME", "AMI_ID_SSM_PARAMETER_NAME", "RUNNER_NAME_PREFIX",
        "DISABLE_RUNNER_AUTOUPDATE", "ENABLE_JOB_QUEUED_CHECK", "INSTANCE_TYPES", "RUNNER_OWNER",
        // Names of the App's parameters (never their values).
        "PARAMETER_GITHUB_APP_ID_NAME", "PARAMETER_GITHUB_APP_KEY_BASE64_NAME",
    ]
}

public struct IAMRole: Sendable, Hashable {
    public var name: String
    public var arn: String
    public var path: String
    public var boundaryArn: String?
}

public struct IAMPolicyDocument: Sendable, Hashable {
    /// `inline:<name>`, or the policy ARN.
    public var source: String
    /// URL-decoded JSON text.
    public var document: String
}

extension AWSClient {
    public func callerIdentity() async throws -> (account: String, arn: String) {
        let x = try await query(.sts, "GetCallerIdentity")
        let r = x.descendants("GetCallerIdentityResult").first
        return (r?.string("Account") ?? "", r?.string("Arn") ?? "")
    }

    /// Names, types and dates under a path (no values at all).
    public func ssmDescribeParameters(under path: String) async throws -> [SSMParameter] {
        let pages = try await Self.paginate { token -> ([SSMParameter], String?) in
            var body: [String: Any] = [
                "ParameterFilters": [["Key": "Path", "Option": "Recursive", "Values": [path]]], "MaxResults": 50,
            ]
            if let token { body["NextToken"] = token }
            let r = try await json(.ssm, "DescribeParameters", body)
            let items = (r["Parameters"] as? [[String: Any]] ?? []).map {
                SSMParameter(name: $0["Name"] as? String ?? "", type: $0["Type"] as? String ?? "", value: nil,
                             lastModified: ($0["LastModifiedDate"] as? Double).map(Date.init(timeIntervalSince1970:)))
            }
            return (items, r["NextToken"] as? String)
        }
        return pages.flatMap { $0 }
    }

    /// One parameter by name, decrypted: only the GitHub App's id and key parameters of a fleet
    /// are read this way (`--github-app-from-fleet`). nil when the parameter does not exist. The
    /// value stays wrapped: it is revealed only where it is used (the App id as the JWT's issuer,
    /// the key to sign it).
    public func ssmDecryptedParameter(_ name: String) async throws -> Secret<String>? {
        do {
            let r = try await json(.ssm, "GetParameter", ["Name": name, "WithDecryption": true])
            return ((r["Parameter"] as? [String: Any])?["Value"] as? String).map(Secret.init)
        } catch let e as AWSServiceError where e.code == "ParameterNotFound" {
            return nil
        }
    }

    /// Values of the `String` parameters directly under a config path; SecureString values dropped.
    public func ssmConfigParameters(_ path: String) async throws -> [SSMParameter] {
        let pages = try await Self.paginate { token -> ([SSMParameter], String?) in
            var body: [String: Any] = ["Path": path, "Recursive": false, "WithDecryption": false, "MaxResults": 10]
            if let token { body["NextToken"] = token }
            let r = try await json(.ssm, "GetParametersByPath", body)
            let items = (r["Parameters"] as? [[String: Any]] ?? []).map { p -> SSMParameter in
                let type = p["Type"] as? String ?? ""
                return SSMParameter(name: p["Name"] as? String ?? "", type: type, value: type == "String" ? p["Value"] as? String : nil,
                                    lastModified: (p["LastModifiedDate"] as? Double).map(Date.init(timeIntervalSince1970:)))
            }
            return (items, r["NextToken"] as? String)
        }
        return pages.flatMap { $0 }
    }

    /// Instances with a tag filter (`tag:ghr:environment` = values), not terminated.
    public func ec2Instances(tag: String, values: [String]) async throws -> [EC2Instance] {
        var params = [("Filter.1.Name", "tag:\(tag)")]
        for (i, v) in values.enumerated() { params.append(("Filter.1.Value.\(i + 1)", v)) }
        params += [("Filter.2.Name", "instance-state-name"), ("Filter.2.Value.1", "pending"), ("Filter.2.Value.2", "running"),
                   ("Filter.2.Value.3", "stopping"), ("Filter.2.Value.4", "stopped")]
        let pages = try await Self.paginate { token -> ([EC2Instance], String?) in
            var p = params + [("MaxResults", "200")]
            if let token { p.append(("NextToken", token)) }
            let x = try await query(.ec2, "DescribeInstances", p)
            var out: [EC2Instance] = []
            for reservation in x.child("reservationSet")?.children("item") ?? [] {
                for i in reservation.child("instancesSet")?.children("item") ?? [] {
                    var tags: [String: String] = [:]
                    for t in i.child("tagSet")?.children("item") ?? [] { tags[t.string("key") ?? ""] = t.string("value") ?? "" }
                    out.append(EC2Instance(id: i.string("instanceId") ?? "", state: i.string("instanceState", "name") ?? "",
                                           imageId: i.string("imageId"), launchTime: i.string("launchTime").flatMap(parseISODate), tags: tags))
                }
            }
            return (out, x.string("nextToken"))
        }
        return pages.flatMap { $0 }
    }

    /// Launch templates whose names match the patterns (`*` wildcards allowed).
    public func ec2LaunchTemplates(names: [String]) async throws -> [LaunchTemplate] {
        var params = [("Filter.1.Name", "launch-template-name")]
        for (i, v) in names.enumerated() { params.append(("Filter.1.Value.\(i + 1)", v)) }
        let pages = try await Self.paginate { token -> ([LaunchTemplate], String?) in
            var p = params
            if let token { p.append(("NextToken", token)) }
            let x = try await query(.ec2, "DescribeLaunchTemplates", p)
            let items = (x.child("launchTemplates")?.children("item") ?? []).map {
                LaunchTemplate(id: $0.string("launchTemplateId") ?? "", name: $0.string("launchTemplateName") ?? "",
                               defaultVersion: Int($0.string("defaultVersionNumber") ?? "") ?? 1,
                               latestVersion: Int($0.string("latestVersionNumber") ?? "") ?? 1)
            }
            return (items, x.string("nextToken"))
        }
        return pages.flatMap { $0 }
    }

    public func ec2LaunchTemplateVersion(_ template: LaunchTemplate, version: Int) async throws -> LaunchTemplateVersion? {
        let x = try await query(.ec2, "DescribeLaunchTemplateVersions",
                                [("LaunchTemplateId", template.id), ("LaunchTemplateVersion.1", String(version))])
        guard let item = x.child("launchTemplateVersionSet")?.children("item").first else { return nil }
        let data = item.child("launchTemplateData")
        let userData = data?.string("userData").flatMap { Data(base64Encoded: $0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .map { String(decoding: $0, as: UTF8.self) }
        return LaunchTemplateVersion(name: template.name, version: Int(item.string("versionNumber") ?? "") ?? version,
                                     imageId: data?.string("imageId"), userData: userData,
                                     httpTokens: data?.string("metadataOptions", "httpTokens"))
    }

    public func ec2Images(ids: [String]) async throws -> [AMIImage] {
        guard !ids.isEmpty else { return [] }
        let params = ids.enumerated().map { ("ImageId.\($0.offset + 1)", $0.element) }
        let x = try await query(.ec2, "DescribeImages", params)
        return (x.child("imagesSet")?.children("item") ?? []).map {
            AMIImage(id: $0.string("imageId") ?? "", name: $0.string("name"), ownerId: $0.string("imageOwnerId"), creationDate: $0.string("creationDate"))
        }
    }

    /// Every function whose name starts with `prefix`.
    public func lambdaFunctions(prefix: String) async throws -> [LambdaFunction] {
        let pages = try await Self.paginate { token -> ([LambdaFunction], String?) in
            var q = [("MaxItems", "50")]
            if let token { q.append(("Marker", token)) }
            let r = try await restGET(.lambda, "ListFunctions", segments: ["2015-03-31", "functions", ""], query: q)
            let items = (r["Functions"] as? [[String: Any]] ?? []).compactMap { f -> LambdaFunction? in
                guard let name = f["FunctionName"] as? String, name.hasPrefix(prefix) else { return nil }
                let vars = ((f["Environment"] as? [String: Any])?["Variables"] as? [String: String]) ?? [:]
                var env: [String: String] = [:]
                for (k, v) in vars { env[k] = LambdaFunction.visibleEnvironment.contains(k) ? v : "" }
                return LambdaFunction(name: name, runtime: f["Runtime"] as? String, lastModified: f["LastModified"] as? String, environment: env)
            }
            return (items, r["NextMarker"] as? String)
        }
        return pages.flatMap { $0 }
    }

    /// Every HTTP/WebSocket API of the region (API Gateway v2 `GetApis`): name and invoke URL.
    public func apiGatewayAPIs() async throws -> [(name: String, endpoint: String)] {
        let pages = try await Self.paginate { token -> ([(name: String, endpoint: String)], String?) in
            var q = [("maxResults", "100")]
            if let token { q.append(("nextToken", token)) }
            let r = try await restGET(.apigateway, "GET", segments: ["v2", "apis"], query: q)
            let items = (r["items"] as? [[String: Any]] ?? []).compactMap { a -> (name: String, endpoint: String)? in
                guard let name = a["name"] as? String, let endpoint = a["apiEndpoint"] as? String else { return nil }
                return (name, endpoint)
            }
            return (items, r["nextToken"] as? String)
        }
        return pages.flatMap { $0 }
    }

    public func iamRoles() async throws -> [IAMRole] {
        let pages = try await Self.paginate { token -> ([IAMRole], String?) in
            var p = [("MaxItems", "1000")]
            if let token { p.append(("Marker", token)) }
            let x = try await query(.iam, "ListRoles", p)
            let result = x.descendants("ListRolesResult").first
            let items = (result?.at("Roles")?.children("member") ?? []).map {
                IAMRole(name: $0.string("RoleName") ?? "", arn: $0.string("Arn") ?? "", path: $0.string("Path") ?? "/",
                        boundaryArn: $0.string("PermissionsBoundary", "PermissionsBoundaryArn"))
            }
            return (items, result?.string("IsTruncated") == "true" ? result?.string("Marker") : nil)
        }
        return pages.flatMap { $0 }
    }

    /// The role's inline and attached policies, documents URL-decoded.
    public func iamRolePolicies(_ role: IAMRole) async throws -> [IAMPolicyDocument] {
        var out: [IAMPolicyDocument] = []
        let names = try await query(.iam, "ListRolePolicies", [("RoleName", role.name)])
        for n in names.descendants("PolicyNames").first?.children("member") ?? [] {
            let x = try await query(.iam, "GetRolePolicy", [("RoleName", role.name), ("PolicyName", n.text)])
            if let doc = x.descendants("PolicyDocument").first?.text {
                out.append(IAMPolicyDocument(source: "inline:\(n.text)", document: doc.removingPercentEncoding ?? doc))
            }
        }
        let attached = try await query(.iam, "ListAttachedRolePolicies", [("RoleName", role.name)])
        for a in attached.descendants("AttachedPolicies").first?.children("member") ?? [] {
            guard let arn = a.string("PolicyArn"), let doc = try await iamManagedPolicy(arn) else { continue }
            out.append(doc)
        }
        return out
    }

    public func iamManagedPolicy(_ arn: String) async throws -> IAMPolicyDocument? {
        let p = try await query(.iam, "GetPolicy", [("PolicyArn", arn)])
        guard let version = p.descendants("DefaultVersionId").first?.text else { return nil }
        let v = try await query(.iam, "GetPolicyVersion", [("PolicyArn", arn), ("VersionId", version)])
        guard let doc = v.descendants("Document").first?.text else { return nil }
        return IAMPolicyDocument(source: arn, document: doc.removingPercentEncoding ?? doc)
    }

    /// The queue's attributes, or nil when there is no such queue.
    public func sqsQueueAttributes(name: String) async throws -> [String: String]? {
        let url: String
        do {
            let r = try await json(.sqs, "GetQueueUrl", ["QueueName": name])
            guard let u = r["QueueUrl"] as? String else { return nil }
            url = u
        } catch let e as AWSServiceError where e.code.contains("NonExistentQueue") || e.code == "QueueDoesNotExist" {
            return nil
        }
        let r = try await json(.sqs, "GetQueueAttributes", ["QueueUrl": url, "AttributeNames": ["All"]])
        return r["Attributes"] as? [String: String] ?? [:]
    }

    /// The sum of a Lambda metric over a window.
    public func lambdaMetricSum(function: String, metric: String, from: Date, to: Date) async throws -> Double {
        let f = ISO8601DateFormatter()
        let period = max(60, Int(to.timeIntervalSince(from) / 60 / 60) * 60)
        let x = try await query(.cloudwatch, "GetMetricStatistics", [
            ("Namespace", "AWS/Lambda"), ("MetricName", metric), ("Dimensions.member.1.Name", "FunctionName"),
            ("Dimensions.member.1.Value", function), ("StartTime", f.string(from: from)), ("EndTime", f.string(from: to)),
            ("Period", String(period)), ("Statistics.member.1", "Sum"),
        ])
        return x.descendants("member").compactMap { $0.string("Sum").flatMap(Double.init) }.reduce(0, +)
    }

    /// Log events of a group matching a filter pattern in a window (at most `limit`). Nil when the
    /// group does not exist.
    public func logEvents(group: String, pattern: String, from: Date, to: Date, limit: Int = 1000) async throws -> [(Date, String)]? {
        var out: [(Date, String)] = []
        var token: String?
        var seen: Set<String> = []
        repeat {
            var body: [String: Any] = [
                "logGroupName": group, "filterPattern": pattern, "startTime": Int(from.timeIntervalSince1970 * 1000),
                "endTime": Int(to.timeIntervalSince1970 * 1000), "limit": min(limit, 10_000),
            ]
            if let token { body["nextToken"] = token }
            let r: [String: Any]
            do { r = try await json(.logs, "FilterLogEvents", body) } catch let e as AWSServiceError where e.code == "ResourceNotFoundException" {
                return nil
            }
            for ev in r["events"] as? [[String: Any]] ?? [] {
                let ms = (ev["timestamp"] as? Double) ?? Double(ev["timestamp"] as? Int ?? 0)
                out.append((Date(timeIntervalSince1970: ms / 1000), ev["message"] as? String ?? ""))
            }
            token = r["nextToken"] as? String
            if let t = token, !seen.insert(t).inserted { break }
        } while token != nil && out.count < limit
        return out
    }
}
