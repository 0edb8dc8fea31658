import Foundation

// The fields of GitHub's REST payloads the probe reads. Decoding is lenient: unknown fields are
// ignored, optional ones may be absent. Secrets decode into `Secret` and nothing else.

public struct GitHubAppInfo: Sendable, Decodable, Hashable {
    public var id: Int
    public var slug: String?
    public var name: String?
    /// Permission name → `read` | `write` | `admin`.
    public var permissions: [String: String]
    public var events: [String]

    enum CodingKeys: String, CodingKey { case id, slug, name, permissions, events }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        slug = try c.decodeIfPresent(String.self, forKey: .slug)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        permissions = try c.decodeIfPresent([String: String].self, forKey: .permissions) ?? [:]
        events = try c.decodeIfPresent([String].self, forKey: .events) ?? []
    }
}

public struct GitHubInstallation: Sendable, Decodable, Hashable {
    public struct Account: Sendable, Decodable, Hashable { public var login: String? }
    public var id: Int
    public var account: Account?
    public var appID: Int?
    public var targetType: String?
    public var permissions: [String: String]
    public var events: [String]
    public var repositorySelection: String?
    public var suspendedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, account, permissions, events
        case appID = "app_id", targetType = "target_type", repositorySelection = "repository_selection", suspendedAt = "suspended_at"
    }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        account = try c.decodeIfPresent(Account.self, forKey: .account)
        appID = try c.decodeIfPresent(Int.self, forKey: .appID)
        targetType = try c.decodeIfPresent(String.self, forKey: .targetType)
        permissions = try c.decodeIfPresent([String: String].self, forKey: .permissions) ?? [:]
        events = try c.decodeIfPresent([String].self, forKey: .events) ?? []
        repositorySelection = try c.decodeIfPresent(String.self, forKey: .repositorySelection)
        suspendedAt = try c.decodeIfPresent(String.self, forKey: .suspendedAt)
    }
}

public struct GitHubInstallationToken: Sendable, Decodable {
    public var token: Secret<String>
    public var expiresAt: String?
    public var permissions: [String: String]

    enum CodingKeys: String, CodingKey { case token, permissions, expiresAt = "expires_at" }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        token = Secret(try c.decode(String.self, forKey: .token))
        expiresAt = try c.decodeIfPresent(String.self, forKey: .expiresAt)
        permissions = try c.decodeIfPresent([String: String].self, forKey: .permissions) ?? [:]
    }
}

public struct GitHubRunner: Sendable, Decodable, Hashable {
    public struct Label: Sendable, Decodable, Hashable {
        public var name: String
        public var type: String?
    }
    public var id: Int
    public var name: String
    public var os: String?
    public var status: String
    public var busy: Bool
    public var ephemeral: Bool?
    public var labels: [Label]
    public var version: String?
    public var runnerGroupID: Int?

    enum CodingKeys: String, CodingKey { case id, name, os, status, busy, ephemeral, labels, version, runnerGroupID = "runner_group_id" }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        os = try c.decodeIfPresent(String.self, forKey: .os)
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? "unknown"
        busy = try c.decodeIfPresent(Bool.self, forKey: .busy) ?? false
        ephemeral = try c.decodeIfPresent(Bool.self, forKey: .ephemeral)
        labels = try c.decodeIfPresent([Label].self, forKey: .labels) ?? []
        version = try c.decodeIfPresent(String.self, forKey: .version)
        runnerGroupID = try c.decodeIfPresent(Int.self, forKey: .runnerGroupID)
    }
}

public struct GitHubRunnerPage: Sendable, Decodable {
    public var totalCount: Int?
    public var runners: [GitHubRunner]
    enum CodingKeys: String, CodingKey { case runners, totalCount = "total_count" }
}

public struct GitHubRunnerGroup: Sendable, Decodable, Hashable {
    public var id: Int
    public var name: String
    public var isDefault: Bool?
    enum CodingKeys: String, CodingKey { case id, name, isDefault = "default" }
}

public struct GitHubRunnerGroupPage: Sendable, Decodable {
    public var runnerGroups: [GitHubRunnerGroup]
    enum CodingKeys: String, CodingKey { case runnerGroups = "runner_groups" }
}

/// `GET /app/hook/config`. The webhook secret is deliberately not decoded.
public struct GitHubWebhookConfig: Sendable, Decodable, Hashable {
    public var url: String?
    public var contentType: String?
    /// `"0"` verifies TLS; the API may send a string or a number.
    public var insecureSSL: String?

    enum CodingKeys: String, CodingKey { case url, contentType = "content_type", insecureSSL = "insecure_ssl" }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        contentType = try c.decodeIfPresent(String.self, forKey: .contentType)
        if let s = try? c.decodeIfPresent(String.self, forKey: .insecureSSL) {
            insecureSSL = s
        } else if let n = try? c.decodeIfPresent(Double.self, forKey: .insecureSSL) {
            insecureSSL = Int(exactly: n).map(String.init) ?? String(n)
        } else {
            insecureSSL = nil
        }
    }
}

/// `GET /meta`: only GHES answers `installed_version`.
public struct GitHubMeta: Sendable, Decodable, Hashable {
    public var installedVersion: String?
    enum CodingKeys: String, CodingKey { case installedVersion = "installed_version" }
}

/// The 201 of `generate-jitconfig`. The encoded config is a credential for one runner.
public struct GitHubJITConfig: Sendable, Decodable {
    public var runner: GitHubRunner
    public var encodedJITConfig: Secret<String>

    enum CodingKeys: String, CodingKey { case runner, encodedJITConfig = "encoded_jit_config" }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        runner = try c.decode(GitHubRunner.self, forKey: .runner)
        encodedJITConfig = Secret(try c.decode(String.self, forKey: .encodedJITConfig))
    }
}
