import Foundation

/// How far this machine's clock is from AWS's, learnt from the `Date` header of a skew error and
/// kept for the rest of the run. One for all endpoints: it is the local clock that is wrong. Said
/// once through `report` (the CLI sends it to stderr).
public final class ClockSkew: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double = 0
    private var said = false
    private let report: @Sendable (String) -> Void

    public init(report: @escaping @Sendable (String) -> Void = { _ in }) { self.report = report }

    /// Seconds to add to the local clock when signing (negative when the local clock is ahead).
    public var offset: Double { lock.withLock { seconds } }

    /// Takes the offset from a server's `Date` against the local `now`; says it the first time.
    func correct(serverDate: Date, localNow: Date, service: String) {
        let offset = serverDate.timeIntervalSince(localNow)
        let first = lock.withLock { () -> Bool in
            seconds = offset
            defer { said = true }
            return !said
        }
        guard first else { return }
        let whole = Int(offset.rounded())
        let side = whole < 0 ? "ahead of" : "behind"
        report("AWS: this machine's clock is \(abs(whole)) s \(side) AWS's (\(service) rejected a request as skewed); signing with an offset of \(whole > 0 ? "+" : "")\(whole) s for the rest of the run")
    }

    /// AWS's answers to a request signed too far from its own time (botocore's list, plus the
    /// message forms some services use under a general signature code).
    public static func isSkewError(_ e: AWSServiceError) -> Bool {
        if ["RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"].contains(e.code) { return true }
        guard ["InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure"].contains(e.code) else { return false }
        return e.message.contains("Signature expired") || e.message.contains("Signature not yet current")
    }
}

/// The retries one run may spend across all its requests. When none is left, a retriable
/// failure is returned at once (the probe turns a throttled read into a finding).
public final class RetryBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int
    public let limit: Int

    public init(limit: Int) {
        self.limit = max(0, limit)
        left = self.limit
    }

    public var remaining: Int { lock.withLock { left } }

    /// Spends one retry; false when none is left.
    public func take() -> Bool {
        lock.withLock {
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }
}
