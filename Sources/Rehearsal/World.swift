import Foundation

/// What the instance sees during a rehearsal: the fake metadata, tags and SSM parameters the stubs
/// answer with. Written as JSON into the sandbox; every value is made up.
public struct RehearsalWorld: Codable, Sendable, Hashable {
    public var instanceId = "i-0fa4e1c2b3d4e5f60"
    public var region = "eu-west-1"
    public var amiId = "ami-0123456789abcdef0"
    public var instanceType = "m5.large"
    public var availabilityZone = "eu-west-1a"
    /// Instance tags (`ghr:environment`, `ghr:ssm_config_path`, `ghr:runner_name_prefix`).
    public var tags: [String: String]
    /// SSM parameters by full name: the module's config parameters and the per-instance secret.
    public var parameters: [String: String]
    /// The per-instance parameter (`<token_path>/<instance id>`).
    public var secretName: String
    /// Whether IMDS needs a session token (IMDSv2, the module's default from 4.6.0).
    public var imdsTokenRequired = true

    public init(tags: [String: String], parameters: [String: String], secretName: String) {
        self.tags = tags
        self.parameters = parameters
        self.secretName = secretName
    }
}

/// The fake secrets of a rehearsal. Recognisable, never real, and never printed whole.
public enum FakeSecrets {
    /// A registration-token argument string as the scale-up lambda writes it (token flavour).
    public static func tokenArguments(ephemeral: Bool) -> String {
        "--url https://github.com/rehearsal-org --token AREHEARSALFAKETOKEN0000000000 --labels self-hosted,linux,x64"
            + (ephemeral ? " --ephemeral" : "")
    }

    public static let token = "AREHEARSALFAKETOKEN0000000000"

    /// A JIT configuration shaped like GitHub's `encoded_jit_config`: base64 of a JSON object of
    /// base64 files (`.runner`, `.credentials`, `.credentials_rsaparams`), with made-up contents.
    public static let jitConfig: String = {
        func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
        let files = [
            ".runner": b64(#"{"agentId":4711,"agentName":"rehearsal","poolId":1,"serverUrl":"https://pipelines.example.invalid/rehearsal","gitHubUrl":"https://github.com/rehearsal-org","workFolder":"_work","ephemeral":true}"#),
            ".credentials": b64(#"{"scheme":"OAuthAccessToken","data":{"clientId":"00000000-0000-0000-0000-000000000000","authorizationUrl":"https://example.invalid/token"}}"#),
            ".credentials_rsaparams": b64(#"{"d":"UkVIRUFSU0FM","exponent":"AQAB","modulus":"UkVIRUFSU0FM"}"#),
        ]
        let json = try! JSONSerialization.data(withJSONObject: files, options: [.sortedKeys])
        return json.base64EncodedString()
    }()

    /// `text` with the fake secrets replaced by a short description (a JIT blob is never shown whole).
    public static func redact(_ text: String) -> String {
        var t = text.replacingOccurrences(of: jitConfig, with: "<JIT config, \(jitConfig.utf8.count) bytes>")
        t = t.replacingOccurrences(of: token, with: "<registration token>")
        return t
    }
}
