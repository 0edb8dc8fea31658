import Foundation

/// When and how long to wait before another attempt: exponential backoff with full jitter (a
/// random wait in `[0, min(cap, base·2ⁿ))`), a server's `Retry-After` honoured but capped. Pure:
/// the random source is a parameter. Shared by the AWS and GitHub clients.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// The longest wait a server may ask for (`Retry-After`, a rate-limit reset) before the
    /// client gives up instead of waiting.
    public var maxServerWait: Double
    /// A number in `[0, 1)`; injected so tests are deterministic.
    public var random: @Sendable () -> Double
    /// Retries shared by every request made with this policy (one run); nil: unbounded.
    public var budget: RetryBudget?

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.2, maxDelay: Double = 20, maxServerWait: Double = 60,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, retryQuota: Int? = nil) {
        self.maxAttempts = max(1, maxAttempts)
        self.budget = retryQuota.map(RetryBudget.init(limit:))
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxServerWait = maxServerWait
        self.random = random
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The backoff ceiling after failed attempt `attempt` (1-based).
    private func ceiling(afterAttempt attempt: Int) -> Double {
        min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
    }

    /// The wait after failed attempt `attempt` (1-based), or nil when no attempt is left.
    /// `random` is in `[0, 1)`.
    public func delay(afterAttempt attempt: Int, retryAfter: Double? = nil, random: Double) -> Double? {
        guard attempt < maxAttempts else { return nil }
        let backoff = ceiling(afterAttempt: attempt) * min(max(random, 0), 1)
        if let retryAfter, retryAfter > 0 { return min(max(retryAfter, backoff), maxDelay) }
        return backoff
    }

    /// The jittered wait before attempt `attempt + 1`, with the policy's own random source.
    public func backoff(afterAttempt attempt: Int) -> Double {
        ceiling(afterAttempt: attempt) * random()
    }

    /// `Retry-After` as seconds (the delta form; an HTTP date is read against `now`).
    public static func retryAfter(_ value: String?, now: Date) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let s = Double(value) { return max(0, s) }
        return httpDate(value).map { max(0, $0.timeIntervalSince(now)) }
    }

    /// An HTTP date (`Sun, 06 Dec 2026 17:40:00 GMT`), as in `Date` and `Retry-After`.
    public static func httpDate(_ value: String?) -> Date? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: value)
    }
}

/// What a client says about a failure: retry it (optionally after the server's wait), or not.
public enum RetryVerdict: Sendable, Hashable {
    case retry(after: Double?)
    case fail
}

/// Runs `operation` until it succeeds, `classify` says `.fail`, or the policy (or its run's retry
/// budget) runs out; waits on
/// `clock` between attempts. `operation` gets the 1-based attempt number (sign inside it, so each
/// attempt carries a fresh date).
public func withRetries<T: Sendable>(
    policy: RetryPolicy, clock: any WallClock, random: @Sendable () -> Double = { Double.random(in: 0..<1) },
    classify: (any Error) -> RetryVerdict, operation: (Int) async throws -> T
) async throws -> T {
    var attempt = 1
    while true {
        do {
            return try await operation(attempt)
        } catch {
            guard case .retry(let after) = classify(error),
                  let wait = policy.delay(afterAttempt: attempt, retryAfter: after, random: random()),
                  policy.budget?.take() ?? true else { throw error }
            try await clock.sleep(seconds: wait)
            attempt += 1
        }
    }
}

extension Sequence where Element: Sendable {
    /// `transform` over every element with at most `maxConcurrent` running at once; results in
    /// the sequence's order. The first error cancels the rest and is thrown.
    public func concurrentMap<T: Sendable>(maxConcurrent: Int, _ transform: @escaping @Sendable (Element) async throws -> T) async throws -> [T] {
        let items = Array(self)
        guard !items.isEmpty else { return [] }
        let limit = Swift.max(1, maxConcurrent)
        return try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: items.count)
            var next = 0
            while next < Swift.min(limit, items.count) {
                let i = next
                group.addTask { (i, try await transform(items[i])) }
                next += 1
            }
            while let (i, value) = try await group.next() {
                results[i] = value
                if next < items.count {
                    let j = next
                    group.addTask { (j, try await transform(items[j])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}
