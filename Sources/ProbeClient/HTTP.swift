import Foundation

/// Header fields in the order they were set; names compare case-insensitively, as HTTP says.
public struct HTTPHeaders: Sendable, Hashable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(_ fields: [(String, String)]) {
        for (n, v) in fields { add(n, v) }
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Replaces every field called `name` with one holding `value`.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into h: inout Hasher) {
        for f in fields {
            h.combine(f.name)
            h.combine(f.value)
        }
    }
}

/// One request as the probe's clients build it: no I/O, so a signer or an authenticator can
/// transform it and a test can inspect it.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    public var url: URL
    public var headers: HTTPHeaders
    public var body: Data

    public init(method: String, url: URL, headers: HTTPHeaders = HTTPHeaders(), body: Data = Data()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A failure to exchange a request at all (no HTTP status): the environment's problem, never a
/// finding about the fleet. Messages name the host, never a header or a body.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreachable(host: String, reason: String)
    case timedOut(host: String, seconds: Double)
    case invalidResponse(host: String)

    public var description: String {
        switch self {
        case let .unreachable(host, reason): "\(host) could not be reached: \(reason)"
        case let .timedOut(host, seconds): "\(host) did not answer within \(Self.format(seconds)) s"
        case let .invalidResponse(host): "\(host) sent a response that is not HTTP"
        }
    }

    private static func format(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }
}

/// The one seam between the probe's clients and the network. The CLI uses `CurlTransport`;
/// tests wrap it in `RecordingTransport` to assert what was sent.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
