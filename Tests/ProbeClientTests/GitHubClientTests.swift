import Crypto
import Foundation
import Testing
import _CryptoExtras
@testable import ProbeClient

/// Answers each request from a list, in order, and keeps what was sent (the test's view of the
/// wire; no logic of ours behind it).
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var replies: [HTTPResponse]
    private(set) var sent: [HTTPRequest] = []
    init(_ replies: [HTTPResponse]) { self.replies = replies }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try lock.withLock {
            sent.append(request)
            guard !replies.isEmpty else { throw TransportError.unreachable(host: "scripted", reason: "no reply left") }
            return replies.removeFirst()
        }
    }
    var requests: [HTTPRequest] { lock.withLock { sent } }
}

func json(_ status: Int, _ body: String, _ headers: [(String, String)] = []) -> HTTPResponse {
    HTTPResponse(status: status, headers: HTTPHeaders(headers + [("Content-Type", "application/json")]), body: Data(body.utf8))
}

func base64URLDecode(_ s: Substring) -> Data? {
    var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while t.count % 4 != 0 { t += "=" }
    return Data(base64Encoded: t)
}

@Suite struct GitHubAppJWTTests {
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    @Test(arguments: [false, true])
    func claimsAndSignature(pkcs8: Bool) throws {
        let pem = pkcs8 ? Self.key.pkcs8PEMRepresentation : Self.key.pemRepresentation
        #expect(pem.contains(pkcs8 ? "BEGIN PRIVATE KEY" : "BEGIN RSA PRIVATE KEY"))
        let appKey = try GitHubAppKey(pemOrBase64: pem)
        let now = Date(timeIntervalSince1970: 1_800_000_000.7)
        let jwt = try GitHubAppJWT.make(issuer: "123456", key: appKey, now: now).revealed
        let parts = jwt.split(separator: ".")
        try #require(parts.count == 3)
        let headerData = try #require(base64URLDecode(parts[0]))
        let claimsData = try #require(base64URLDecode(parts[1]))
        let signatureData = try #require(base64URLDecode(parts[2]))
        let header = try JSONSerialization.jsonObject(with: headerData) as? [String: Any]
        #expect(header?["alg"] as? String == "RS256")
        #expect(header?["typ"] as? String == "JWT")
        let claims = try #require(try JSONSerialization.jsonObject(with: claimsData) as? [String: Any])
        let iat = try #require(claims["iat"] as? Int)
        let exp = try #require(claims["exp"] as? Int)
        #expect(iat == 1_800_000_000 - 60)
        #expect(exp > 1_800_000_000 && exp <= 1_800_000_000 + 600, "exp at most 10 minutes ahead")
        #expect(claims["iss"] as? Int == 123456)
        // The signature verifies with the public key, and not over other bytes.
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureData)
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        #expect(Self.key.publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
        #expect(!Self.key.publicKey.isValidSignature(signature, for: Data("\(parts[0]).e30".utf8), padding: .insecurePKCS1v1_5))
        #expect(!jwt.contains("="), "base64url without padding")
    }

    @Test func clientIDIssuerIsAString() throws {
        let appKey = try GitHubAppKey(pemOrBase64: Self.key.pemRepresentation)
        let jwt = try GitHubAppJWT.make(issuer: "Iv1.abc\"def", key: appKey, now: Date(timeIntervalSince1970: 1_000)).revealed
        let claimsData = try #require(base64URLDecode(jwt.split(separator: ".")[1]))
        let claims = try JSONSerialization.jsonObject(with: claimsData) as? [String: Any]
        #expect(claims?["iss"] as? String == "Iv1.abc\"def")
    }

    @Test func base64PEMAsTheModuleStoresIt() throws {
        let b64 = Data(Self.key.pemRepresentation.utf8).base64EncodedString()
        _ = try GitHubAppKey(pemOrBase64: b64)
    }

    @Test func badKeysAreNamedWithoutTheirContent() {
        let cases: [(String, GitHubAppKeyError)] = [
            ("not a key at all", .notPEM),
            ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", .notPrivateKey),
            ("-----BEGIN RSA PRIVATE KEY-----\nAAAAsecretish\n-----END RSA PRIVATE KEY-----", .unreadable),
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----", .encrypted),
        ]
        for (text, expected) in cases {
            #expect(throws: expected) { try GitHubAppKey(pemOrBase64: text) }
            #expect(!expected.description.contains("secretish"))
        }
        let key = try! GitHubAppKey(pemOrBase64: Self.key.pemRepresentation)
        for text in [String(describing: key), String(reflecting: key), "\(Mirror(reflecting: key).children.map { "\($0.value)" })"] {
            #expect(!text.contains("PRIVATE") && !text.contains("MII"), "leaked in \(text)")
        }
    }
}

@Suite struct GitHubEndpointTests {
    @Test func baseURLs() throws {
        #expect(try GitHubEndpoint.server("https://github.com") == .dotcom)
        let ghes = try GitHubEndpoint.server("https://ghes.example.com/")
        #expect(ghes.apiRoot.absoluteString == "https://ghes.example.com/api/v3")
        #expect(ghes.kind == .enterpriseServer)
        #expect(try GitHubEndpoint.server("https://ghes.example.com/api/v3/").apiRoot.absoluteString == "https://ghes.example.com/api/v3")
        let ghe = try GitHubEndpoint.server("https://acme.ghe.com")
        #expect(ghe.apiRoot.absoluteString == "https://api.acme.ghe.com")
        #expect(ghe.kind == .dataResidency)
        let custom = try GitHubEndpoint.api("http://127.0.0.1:8080/")
        #expect(custom.url("/app").absoluteString == "http://127.0.0.1:8080/app")
        #expect(ghes.url("/orgs/acme/actions/runners", query: [URLQueryItem(name: "per_page", value: "100")]).absoluteString
            == "https://ghes.example.com/api/v3/orgs/acme/actions/runners?per_page=100")
        #expect(throws: GitHubEndpointError.self) { try GitHubEndpoint.server("ftp://x") }
        #expect(throws: GitHubEndpointError.self) { try GitHubEndpoint.server("https://user:pw@ghes.example.com") }
        #expect(ghes.contains(URL(string: "https://ghes.example.com/api/v3/orgs/a?page=2")!))
        #expect(!ghes.contains(URL(string: "https://evil.example.com/api/v3/orgs/a?page=2")!))
    }
}

@Suite struct GitHubClientTests {
    static let root = URL(string: "http://127.0.0.1:1")!

    func client(_ t: ScriptedTransport, clock: FixedClock = FixedClock(Date(timeIntervalSince1970: 1_000_000))) throws -> GitHubClient {
        GitHubClient(endpoint: try GitHubEndpoint.api(Self.root.absoluteString), transport: t, clock: clock,
                     retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.5, maxServerWait: 120, random: { 0.5 }))
    }

    @Test func defaultHeadersAndBearer() async throws {
        let t = ScriptedTransport([json(200, #"{"installed_version":"3.9.1"}"#, [("X-GitHub-Enterprise-Version", "3.9.1")])])
        let c = try client(t)
        let meta = try await c.get(GitHubMeta.self, "/meta", auth: .bearer(Secret("tok")))
        #expect(meta.installedVersion == "3.9.1")
        #expect(c.enterpriseVersion == "3.9.1")
        let r = try #require(t.requests.first)
        #expect(r.headers["Accept"] == "application/vnd.github+json")
        #expect(r.headers["X-GitHub-Api-Version"] == "2022-11-28")
        #expect(r.headers["Authorization"] == "Bearer tok")
        #expect(r.headers["User-Agent"] == "ghr-audit")
    }

    @Test func linkPaginationFollowsNextAndStaysOnTheHost() async throws {
        let page = #"{"total_count":3,"runners":[{"id":%d,"name":"r%d","os":"linux","status":"online","busy":false,"labels":[]}]}"#
        let t = ScriptedTransport([
            json(200, String(format: page, 1, 1), [("Link", #"<http://127.0.0.1:1/orgs/a/actions/runners?per_page=100&page=2>; rel="next", <http://127.0.0.1:1/orgs/a/actions/runners?per_page=100&page=3>; rel="last""#)]),
            json(200, String(format: page, 2, 2), [("Link", #"<http://evil.example.com/orgs/a/actions/runners?page=3>; rel="next""#)]),
        ])
        let runners = try await client(t).getAll("/orgs/a/actions/runners", auth: .none, page: GitHubRunnerPage.self) { $0.runners }
        #expect(runners.map(\.id) == [1, 2])
        #expect(t.requests.map(\.url.absoluteString) == [
            "http://127.0.0.1:1/orgs/a/actions/runners?per_page=100",
            "http://127.0.0.1:1/orgs/a/actions/runners?per_page=100&page=2",
        ])
    }

    @Test func secondaryLimitWaitsRetryAfterThenRetries() async throws {
        let t = ScriptedTransport([
            json(403, #"{"message":"You have exceeded a secondary rate limit"}"#, [("Retry-After", "7")]),
            json(200, #"{}"#),
        ])
        let clock = FixedClock(Date(timeIntervalSince1970: 1_000_000))
        _ = try await client(t, clock: clock).get(GitHubMeta.self, "/meta", auth: .none)
        #expect(clock.sleeps == [7])
        #expect(t.requests.count == 2)
    }

    @Test func primaryLimitWaitsForANearResetAndStopsOnAFarOne() async throws {
        let near = ScriptedTransport([
            json(403, #"{"message":"API rate limit exceeded"}"#, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1000030")]),
            json(200, #"{}"#, [("X-RateLimit-Remaining", "4999")]),
        ])
        let clock = FixedClock(Date(timeIntervalSince1970: 1_000_000))
        _ = try await client(near, clock: clock).get(GitHubMeta.self, "/meta", auth: .none)
        #expect(clock.sleeps == [31])

        let far = ScriptedTransport([json(429, #"{"message":"API rate limit exceeded"}"#, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1003600")])])
        let c = try client(far)
        await #expect {
            _ = try await c.get(GitHubMeta.self, "/meta", auth: .none)
        } throws: { error in
            guard let e = error as? GitHubAPIError, case .primaryRateLimit = e.kind else { return false }
            return true
        }
        // The next call fails without touching the network while the limit is used up.
        await #expect(throws: GitHubAPIError.self) { _ = try await c.get(GitHubMeta.self, "/meta", auth: .none) }
        #expect(far.requests.count == 1)
    }

    @Test func serverErrorsRetryOnlyIdempotentRequests() async throws {
        let get = ScriptedTransport([json(502, "{}"), json(200, "{}")])
        let clock = FixedClock(Date(timeIntervalSince1970: 1_000_000))
        _ = try await client(get, clock: clock).send("GET", "/meta", auth: .none)
        #expect(get.requests.count == 2)
        #expect(clock.sleeps == [0.25])
        let post = ScriptedTransport([json(502, "{}"), json(201, "{}")])
        await #expect(throws: GitHubAPIError.self) { _ = try await client(post).send("POST", "/x", json: Data("{}".utf8), auth: .none) }
        #expect(post.requests.count == 1)
    }

    @Test func errorsAreClassifiedAndNameNoHeader() async throws {
        for (status, kind) in [(401, GitHubAPIError.Kind.unauthorized), (403, .forbidden), (404, .notFound), (409, .conflict), (422, .validation)] {
            let t = ScriptedTransport([json(status, #"{"message":"m","documentation_url":"https://docs.github.com/rest"}"#)])
            do {
                _ = try await client(t).send("GET", "/app", auth: .bearer(Secret("sekrit-token")))
                Issue.record("no error for \(status)")
            } catch let e as GitHubAPIError {
                #expect(e.kind == kind)
                #expect(e.description == "GET /app: HTTP \(status) (m)")
            }
        }
    }

    @Test func retryAfterForms() {
        let now = Date(timeIntervalSince1970: 784_111_777)
        #expect(RetryPolicy.retryAfter("120", now: now) == 120)
        #expect(RetryPolicy.retryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now: now) == 10)
        #expect(RetryPolicy.retryAfter(nil, now: now) == nil)
        #expect(RetryPolicy.retryAfter("soon", now: now) == nil)
        let p = RetryPolicy(baseDelay: 1, maxDelay: 5, random: { 0.999 })
        #expect(p.backoff(afterAttempt: 1) < 1 && p.backoff(afterAttempt: 4) < 5 && p.backoff(afterAttempt: 4) > 4.9)
    }
}

@Suite struct GitHubWebhookConfigTests {
    func insecureSSL(_ value: String) throws -> String? {
        try JSONDecoder().decode(GitHubWebhookConfig.self, from: Data(#"{"url": "https://x.example/webhook", "insecure_ssl": \#(value)}"#.utf8)).insecureSSL
    }

    /// `insecure_ssl` as a number: whole numbers as integers, and one too large for an integer
    /// (that trapped in the conversion) as it was sent.
    @Test func numericInsecureSSL() throws {
        #expect(try insecureSSL("0") == "0")
        #expect(try insecureSSL("1") == "1")
        #expect(try insecureSSL(#""0""#) == "0")
        #expect(try insecureSSL("0.5") == "0.5")
        #expect(try insecureSSL("1e300") == "1e+300")
    }
}
