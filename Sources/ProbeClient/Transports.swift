import Foundation

/// Waits for work started by `start` (which gets the one-shot completion and returns how to cancel
/// the work), resuming exactly once: with the work's result, or at once with `CancellationError`
/// when the calling task is cancelled, also before the work starts. The work is then cancelled
/// and its late completion ignored, so an interrupt never waits on the network.
func withInterruptibleWait<T: Sendable>(
    _ start: (@escaping @Sendable (Result<T, any Error>) -> Void) -> @Sendable () -> Void
) async throws -> T {
    let once = OnceResume<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            guard once.arm(continuation) else { return }
            once.setCancel(start { once.resume($0) })
        }
    } onCancel: {
        once.cancel()
    }
}

/// The hand-over between some work's completion, the caller's cancellation and the waiting
/// continuation: whichever comes first resumes it; the others find it gone.
private final class OnceResume<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var cancelWork: (@Sendable () -> Void)?
    private var cancelled = false

    /// Keeps the continuation; false (and resumed with `CancellationError`) when the caller was
    /// cancelled already.
    func arm(_ c: CheckedContinuation<T, any Error>) -> Bool {
        let already = lock.withLock { () -> Bool in
            if !cancelled { continuation = c }
            return cancelled
        }
        if already { c.resume(throwing: CancellationError()) }
        return !already
    }

    /// The work's cancel action; run at once when the cancellation came while it was starting.
    func setCancel(_ action: @escaping @Sendable () -> Void) {
        let now = lock.withLock { () -> Bool in
            if !cancelled { cancelWork = action }
            return cancelled
        }
        if now { action() }
    }

    func resume(_ result: Result<T, any Error>) {
        let c = lock.withLock { () -> CheckedContinuation<T, any Error>? in
            defer { continuation = nil; cancelWork = nil }
            return continuation
        }
        c?.resume(with: result)
    }

    func cancel() {
        let (c, action) = lock.withLock { () -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            cancelled = true
            defer { continuation = nil; cancelWork = nil }
            return (continuation, cancelWork)
        }
        action?()
        c?.resume(throwing: CancellationError())
    }
}

/// Passes every request on and keeps a log of what was sent (method and URL only: headers and
/// bodies can hold credentials). Tests assert the probe's complete action set through it.
public final class RecordingTransport: HTTPTransport, @unchecked Sendable {
    public struct Entry: Sendable, Hashable {
        public var method: String
        public var url: URL
        /// `X-Amz-Target` (JSON protocols) or the query `Action`, when the request has one.
        public var operation: String?
        public var status: Int?
    }

    private let next: any HTTPTransport
    private let lock = NSLock()
    private var log: [Entry] = []

    public init(_ next: any HTTPTransport) { self.next = next }

    public var entries: [Entry] { lock.withLock { log } }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var entry = Entry(method: request.method, url: request.url, operation: Self.operation(of: request), status: nil)
        do {
            let response = try await next.send(request)
            entry.status = response.status
            lock.withLock { log.append(entry) }
            return response
        } catch {
            lock.withLock { log.append(entry) }
            throw error
        }
    }

    static func operation(of request: HTTPRequest) -> String? {
        if let target = request.headers["X-Amz-Target"] { return target }
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        if let action = query.first(where: { $0.name == "Action" })?.value { return action }
        if request.headers["Content-Type"]?.hasPrefix("application/x-www-form-urlencoded") == true,
           let body = String(data: request.body, encoding: .utf8) {
            for pair in body.split(separator: "&") where pair.hasPrefix("Action=") {
                return String(pair.dropFirst("Action=".count))
            }
        }
        return nil
    }
}
