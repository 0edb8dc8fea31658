import Foundation
import ProbeClient
@testable import Probe

/// Passes requests on to the real transport and keeps their bodies (the recording transport keeps
/// only method, URL and operation), so tests can check what the probe asked SSM for.
final class BodyLog: HTTPTransport, @unchecked Sendable {
    let next: any HTTPTransport
    private let lock = NSLock()
    private var log: [(operation: String?, body: String)] = []
    init(_ next: any HTTPTransport) { self.next = next }
    var entries: [(operation: String?, body: String)] { lock.withLock { log } }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { log.append((request.headers["X-Amz-Target"], String(decoding: request.body, as: UTF8.self))) }
        return try await next.send(request)
    }
}

/// Answers the first `count` requests whose target or action matches with a throttling error
/// (what AWS sends under load), then passes requests on.
final class Throttle: HTTPTransport, @unchecked Sendable {
    let next: any HTTPTransport
    let matching: String
    private let lock = NSLock()
    private var remaining: Int
    init(_ next: any HTTPTransport, matching: String, count: Int) {
        self.next = next
        self.matching = matching
        self.remaining = count
    }
    var left: Int { lock.withLock { remaining } }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let target = request.headers["X-Amz-Target"] ?? String(decoding: request.body, as: UTF8.self)
        let throttle = target.contains(matching) && lock.withLock { () -> Bool in
            guard remaining > 0 else { return false }
            remaining -= 1
            return true
        }
        if throttle {
            return HTTPResponse(status: 400, headers: HTTPHeaders([("Content-Type", "application/x-amz-json-1.1")]),
                                body: Data(#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.utf8))
        }
        return try await next.send(request)
    }
}

enum ProbeFixture {
    static let region = "eu-west-1"

    static func client(_ server: MotoServer, transport: any HTTPTransport, clock: any WallClock, extraEnvironment: [String: String] = [:],
                       credentials: AWSCredentials = AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing"),
                       retry: RetryPolicy = RetryPolicy()) -> AWSClient {
        var env = ["AWS_ENDPOINT_URL": server.endpoint.absoluteString]
        env.merge(extraEnvironment) { _, new in new }
        return AWSClient(transport: transport, credentials: StaticCredentialProvider(credentials),
                         endpoints: AWSEndpoints(region: region, environment: env), clock: clock, retry: retry, random: { 0.5 })
    }

    /// Two days after the seed: the leftover token parameters are older than a day; the window of
    /// three days covers the seeded metrics and log lines.
    static func clock() -> FixedClock { FixedClock(Date().addingTimeInterval(2 * 86_400)) }
}

/// What AWS does and moto does not (probe-apis.md §3): refuses a request whose `X-Amz-Date` is
/// more than 5 minutes from its own clock, with the time in its `Date` header; passes the others on
/// (to moto, which then checks the signature).
final class SkewGate: HTTPTransport, @unchecked Sendable {
    let next: any HTTPTransport
    private let lock = NSLock()
    private var refused = 0
    init(_ next: any HTTPTransport) { self.next = next }
    var rejected: Int { lock.withLock { refused } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let now = Date()
        guard let signed = request.headers["X-Amz-Date"].flatMap(f.date(from:)), abs(signed.timeIntervalSince(now)) > 300 else {
            return try await next.send(request)
        }
        lock.withLock { refused += 1 }
        let http = DateFormatter()
        http.locale = Locale(identifier: "en_US_POSIX")
        http.timeZone = TimeZone(identifier: "GMT")
        http.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let message = "Signature expired: \(f.string(from: signed)) is now earlier than \(f.string(from: now.addingTimeInterval(-300))) (\(f.string(from: now)) - 5 min.)"
        if let target = request.headers["X-Amz-Target"], !target.isEmpty {
            return HTTPResponse(status: 400, headers: HTTPHeaders([("Content-Type", "application/x-amz-json-1.1"), ("Date", http.string(from: now))]),
                                body: Data(#"{"__type":"InvalidSignatureException","message":"\#(message)"}"#.utf8))
        }
        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>\(message)</Message></Error><RequestId>skew</RequestId></ErrorResponse>"
        return HTTPResponse(status: 403, headers: HTTPHeaders([("Content-Type", "text/xml"), ("Date", http.string(from: now))]), body: Data(xml.utf8))
    }
}

/// The machine's clock off by `offset` seconds; waits return at once.
struct SkewedClock: WallClock {
    let offset: Double
    var now: Date { Date().addingTimeInterval(offset) }
    func sleep(seconds: Double) async throws {}
}
