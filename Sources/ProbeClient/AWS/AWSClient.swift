import Foundation

/// How a service speaks on the wire (botocore's model names).
public enum AWSProtocol: Sendable, Hashable {
    /// `POST /` form `Action=…&Version=…`, XML answer; lists are `X.member.N`.
    case query(version: String)
    /// EC2's variant of query: lists are `X.N`.
    case ec2(version: String)
    /// `POST /` JSON with `X-Amz-Target: <prefix>.<Operation>`.
    case json(version: String, targetPrefix: String)
    /// REST with JSON bodies (Lambda).
    case restJSON
}

/// One AWS service as the probe calls it.
public struct AWSService: Sendable, Hashable {
    /// Signing name and default endpoint prefix (`ssm`, `ec2`, `iam`, …).
    public var name: String
    /// The `AWS_ENDPOINT_URL_<ID>` suffix (`SSM`, `CLOUDWATCH_LOGS`).
    public var endpointID: String
    public var wire: AWSProtocol
    /// Global services: the one endpoint and the region they sign for.
    public var globalEndpoint: String?
    public var globalSigningRegion: String?

    public init(name: String, endpointID: String, wire: AWSProtocol, globalEndpoint: String? = nil, globalSigningRegion: String? = nil) {
        self.name = name
        self.endpointID = endpointID
        self.wire = wire
        self.globalEndpoint = globalEndpoint
        self.globalSigningRegion = globalSigningRegion
    }

    public static let ssm = AWSService(name: "ssm", endpointID: "SSM", wire: .json(version: "1.1", targetPrefix: "AmazonSSM"))
    public static let ec2 = AWSService(name: "ec2", endpointID: "EC2", wire: .ec2(version: "2016-11-15"))
    public static let iam = AWSService(name: "iam", endpointID: "IAM", wire: .query(version: "2010-05-08"),
                                       globalEndpoint: "https://iam.amazonaws.com", globalSigningRegion: "us-east-1")
    public static let sts = AWSService(name: "sts", endpointID: "STS", wire: .query(version: "2011-06-15"))
    public static let lambda = AWSService(name: "lambda", endpointID: "LAMBDA", wire: .restJSON)
    public static let sqs = AWSService(name: "sqs", endpointID: "SQS", wire: .json(version: "1.0", targetPrefix: "AmazonSQS"))
    public static let cloudwatch = AWSService(name: "monitoring", endpointID: "CLOUDWATCH", wire: .query(version: "2010-08-01"))
    public static let logs = AWSService(name: "logs", endpointID: "CLOUDWATCH_LOGS", wire: .json(version: "1.1", targetPrefix: "Logs_20140328"))
    /// API Gateway v2 (the module's webhook is an HTTP API): REST JSON under `/v2`, signed as
    /// `apigateway`; its IAM actions are HTTP methods (`apigateway:GET`).
    public static let apigateway = AWSService(name: "apigateway", endpointID: "APIGATEWAYV2", wire: .restJSON)

    /// The signing name of CloudWatch is `monitoring`; IAM action prefixes differ from it.
    public var actionPrefix: String {
        switch name {
        case "monitoring": "cloudwatch"
        default: name
        }
    }
}

/// Where each service is reached: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then AWS's
/// public endpoint for the region.
public struct AWSEndpoints: Sendable, Hashable {
    public var region: String
    public var environment: [String: String]

    public init(region: String, environment: [String: String]) {
        self.region = region
        self.environment = environment
    }

    public func url(for service: AWSService) -> URL {
        if let s = environment["AWS_ENDPOINT_URL_\(service.endpointID)"], !s.isEmpty, let u = URL(string: s) { return u }
        if let s = environment["AWS_ENDPOINT_URL"], !s.isEmpty, let u = URL(string: s) { return u }
        if let g = service.globalEndpoint { return URL(string: g)! }
        return URL(string: "https://\(service.name).\(region).amazonaws.com")!
    }

    public func signingRegion(for service: AWSService) -> String { service.globalSigningRegion ?? region }
}

/// An error AWS answered with. `code` has any `…#` prefix removed.
public struct AWSServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var service: String
    public var operation: String
    public var status: Int
    public var code: String
    public var message: String
    public var requestID: String?

    public init(service: String, operation: String, status: Int, code: String, message: String, requestID: String? = nil) {
        self.service = service
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "EC2ThrottledException",
    ]
    public static let accessDeniedCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedAccess",
    ]
    public static let credentialCodes: Set<String> = [
        "InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure", "ExpiredToken", "ExpiredTokenException",
        "UnrecognizedClientException", "InvalidAccessKeyId", "IncompleteSignature", "MissingAuthenticationToken",
    ]

    public var isThrottling: Bool { Self.throttlingCodes.contains(code) || status == 429 }
    public var isAccessDenied: Bool { Self.accessDeniedCodes.contains(code) }
    public var isCredentialProblem: Bool { Self.credentialCodes.contains(code) }
    public var isServerError: Bool { status >= 500 }

    /// `ssm:GetParametersByPath`.
    public var action: String { "\(service):\(operation)" }

    public var description: String {
        "\(action) failed: \(code) (HTTP \(status))" + (message.isEmpty ? "" : ": \(message)")
    }

    /// Decodes an error body of any protocol.
    public static func decode(service: AWSService, operation: String, response: HTTPResponse) -> AWSServiceError {
        var code = response.headers["x-amzn-ErrorType"] ?? ""
        var message = ""
        var requestID = response.headers["x-amzn-RequestId"] ?? response.headers["x-amz-request-id"]
        if let obj = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] {
            if code.isEmpty { code = (obj["__type"] as? String) ?? (obj["code"] as? String) ?? (obj["Code"] as? String) ?? "" }
            message = (obj["message"] as? String) ?? (obj["Message"] as? String) ?? ""
        } else if let xml = XMLNode.parse(response.body) {
            let err = xml.descendants("Error").first
            if code.isEmpty { code = err?.string("Code") ?? "" }
            message = err?.string("Message") ?? ""
            requestID = requestID ?? xml.descendants("RequestId").first?.text ?? xml.descendants("RequestID").first?.text
        }
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        if let colon = code.firstIndex(of: ":") { code = String(code[..<colon]) }
        if code.isEmpty { code = response.status >= 500 ? "InternalError" : "HTTP\(response.status)" }
        // The prefix of the IAM action the probe needed, for findings naming the permission.
        return AWSServiceError(service: service.actionPrefix, operation: operation, status: response.status, code: code,
                               message: String(message.prefix(500)), requestID: requestID)
    }
}

/// A failure before any answer from the service: no credentials, no region, endpoint unreachable.
public struct AWSClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The probe's AWS client: signs every attempt, retries throttling, 5xx and timeouts with backoff,
/// decodes errors per protocol. Read-only by construction: the services' wrappers only ever
/// send Describe, Get and List operations (and STS credential calls).
public struct AWSClient: Sendable {
    public var transport: any HTTPTransport
    public var credentials: any AWSCredentialProvider
    public var endpoints: AWSEndpoints
    public var clock: any WallClock
    public var retry: RetryPolicy
    public var random: @Sendable () -> Double
    /// The signing clock's correction, learnt from the first skew error and kept for the run.
    public var skew: ClockSkew

    /// Retries across all of one client's requests when the policy sets no quota of its own.
    public static let defaultRetryQuota = 50

    public init(transport: any HTTPTransport, credentials: any AWSCredentialProvider, endpoints: AWSEndpoints,
                clock: any WallClock = SystemClock(), retry: RetryPolicy = RetryPolicy(),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, skew: ClockSkew = ClockSkew()) {
        self.transport = transport
        self.credentials = credentials
        self.endpoints = endpoints
        self.clock = clock
        self.retry = retry
        if self.retry.budget == nil { self.retry.budget = RetryBudget(limit: Self.defaultRetryQuota) }
        self.random = random
        self.skew = skew
    }

    public var region: String { endpoints.region }

    // MARK: protocols

    /// A query or EC2 call; `parameters` already flattened (`Filter.1.Name=…`). Returns the XML root.
    public func query(_ service: AWSService, _ action: String, _ parameters: [(String, String)] = []) async throws -> XMLNode {
        let version: String
        switch service.wire {
        case .query(let v), .ec2(let v): version = v
        default: throw AWSClientError("\(service.name) does not speak the query protocol")
        }
        let form = ([("Action", action), ("Version", version)] + parameters)
            .map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&")
        var request = HTTPRequest(method: "POST", url: baseURL(service), body: Data(form.utf8))
        request.headers.set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        let response = try await send(service, action, request)
        guard let xml = XMLNode.parse(response.body) else {
            throw AWSClientError("\(service.actionPrefix):\(action): the answer is not XML")
        }
        return xml
    }

    /// A JSON 1.0/1.1 call. `body` is a JSON object; the answer's object is returned.
    public func json(_ service: AWSService, _ operation: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        guard case .json(let version, let prefix) = service.wire else { throw AWSClientError("\(service.name) does not speak JSON") }
        var request = HTTPRequest(method: "POST", url: baseURL(service), body: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
        request.headers.set("Content-Type", "application/x-amz-json-\(version)")
        request.headers.set("X-Amz-Target", "\(prefix).\(operation)")
        let response = try await send(service, operation, request)
        if response.body.isEmpty { return [:] }
        guard let obj = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
            throw AWSClientError("\(service.actionPrefix):\(operation): the answer is not a JSON object")
        }
        return obj
    }

    /// A REST JSON GET. `path` segments are URI-encoded here (so the signed path is the sent path).
    public func restGET(_ service: AWSService, _ operation: String, segments: [String], query: [(String, String)] = []) async throws -> [String: Any] {
        var url = baseURL(service)
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        let base = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = base + "/" + segments.map(SigV4Signer.uriEncode).joined(separator: "/")
        if !query.isEmpty {
            components.percentEncodedQuery = query.map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&")
        }
        url = components.url!
        let response = try await send(service, operation, HTTPRequest(method: "GET", url: url))
        if response.body.isEmpty { return [:] }
        guard let obj = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
            throw AWSClientError("\(service.actionPrefix):\(operation): the answer is not a JSON object")
        }
        return obj
    }

    func baseURL(_ service: AWSService) -> URL {
        let u = endpoints.url(for: service)
        return u.path.isEmpty ? u.appendingPathComponent("") : u
    }

    /// Signs (per attempt, with the run's clock correction), sends, retries; a 2xx response or a
    /// thrown error. A skew error re-signs once with the offset from the answer's `Date`.
    func send(_ service: AWSService, _ operation: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        guard AWSActions.all.contains("\(service.actionPrefix):\(operation)") else {
            throw AWSClientError("\(service.actionPrefix):\(operation) is not an action the probe may call")
        }
        let signer = SigV4Signer(service: service.name, region: endpoints.signingRegion(for: service))
        let creds = try await credentials.credentials()
        return try await withRetries(policy: retry, clock: clock, random: random, classify: Self.classify) { _ in
            var response = try await transport.send(signer.sign(request, credentials: creds, date: clock.now.addingTimeInterval(skew.offset)))
            if !(200..<300).contains(response.status),
               ClockSkew.isSkewError(AWSServiceError.decode(service: service, operation: operation, response: response)),
               let serverDate = RetryPolicy.httpDate(response.headers["Date"]) {
                skew.correct(serverDate: serverDate, localNow: clock.now, service: service.actionPrefix)
                response = try await transport.send(signer.sign(request, credentials: creds, date: clock.now.addingTimeInterval(skew.offset)))
            }
            guard (200..<300).contains(response.status) else {
                throw AWSServiceError.decode(service: service, operation: operation, response: response)
            }
            return response
        }
    }

    static func classify(_ error: any Error) -> RetryVerdict {
        switch error {
        case let e as AWSServiceError: e.isThrottling || e.isServerError ? .retry(after: nil) : .fail
        case let e as TransportError:
            if case .timedOut = e { .retry(after: nil) } else if case .unreachable = e { .retry(after: nil) } else { .fail }
        default: .fail
        }
    }
}

extension AWSClient {
    /// Follows a token through pages until it is missing, empty or repeats.
    public static func paginate<Page: Sendable>(
        maxPages: Int = 1000, _ fetch: (String?) async throws -> (Page, String?)
    ) async throws -> [Page] {
        var pages: [Page] = []
        var token: String?
        var seen: Set<String> = []
        repeat {
            let (page, next) = try await fetch(token)
            pages.append(page)
            guard let next, !next.isEmpty, seen.insert(next).inserted else { break }
            token = next
        } while pages.count < maxPages
        return pages
    }
}
