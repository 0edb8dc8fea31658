import Foundation

/// What an audit has done so far, counted while it runs (issue 20 §1): roots, files parsed,
/// module calls, and the current step. Updated from the loader's worker threads, read by the
/// display's timer thread.
public final class AuditProgress: @unchecked Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var rootsTotal = 0
        /// The root being audited (1-based), 0 before the first.
        public var root = 0
        public var filesParsed = 0
        public var moduleCalls = 0
        /// What the run is doing: `reading`, `parsing`, `modelling`, `checking`, `rehearsing`.
        public var step = ""

        public init() {}
    }

    private let lock = NSLock()
    private var state = Snapshot()

    public init() {}

    public var snapshot: Snapshot { lock.lock(); defer { lock.unlock() }; return state }

    public func update(_ change: (inout Snapshot) -> Void) {
        lock.lock()
        change(&state)
        lock.unlock()
    }

    func fileParsed() { update { $0.filesParsed += 1 } }
    public func step(_ name: String) { update { $0.step = name } }
}

/// The progress line on stderr: drawn only while stderr is a terminal, after the run has taken
/// `delay` seconds, and never under `--quiet`; redrawn in place (`\r`, erase line) and erased
/// when the run ends, so nothing of it stays in the output. The clock and the terminal flag are
/// given (the command line passes the monotonic clock and `isatty(2)`), so the decision is tested
/// with a fake terminal and a slow clock.
public final class ProgressDisplay: @unchecked Sendable {
    public let progress: AuditProgress
    let isTerminal: Bool
    let quiet: Bool
    let delay: Double
    let now: @Sendable () -> Double
    let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private let start: Double
    private var drawn = false
    private var finished = false

    /// Erases the terminal line the cursor is on and returns to its start.
    static let eraseLine = "\r\u{1B}[K"

    public init(progress: AuditProgress = AuditProgress(), isTerminal: Bool, quiet: Bool, delay: Double = 1,
                now: @escaping @Sendable () -> Double, write: @escaping @Sendable (String) -> Void) {
        self.progress = progress
        self.isTerminal = isTerminal
        self.quiet = quiet
        self.delay = delay
        self.now = now
        self.write = write
        self.start = now()
    }

    /// Whether a progress line may be drawn: on a terminal, not quiet, after `delay` seconds.
    public static func shows(isTerminal: Bool, quiet: Bool, elapsed: Double, delay: Double = 1) -> Bool {
        isTerminal && !quiet && elapsed >= delay
    }

    /// `ghr-audit: root 2/3, 1204 files parsed, 7 module calls (checking)`.
    public static func line(_ s: AuditProgress.Snapshot) -> String {
        var parts: [String] = []
        if s.rootsTotal > 1 { parts.append("root \(max(s.root, 1))/\(s.rootsTotal)") }
        parts.append("\(s.filesParsed) file\(s.filesParsed == 1 ? "" : "s") parsed")
        parts.append("\(s.moduleCalls) module call\(s.moduleCalls == 1 ? "" : "s")")
        return "ghr-audit: " + parts.joined(separator: ", ") + (s.step.isEmpty ? "" : " (\(s.step))")
    }

    /// Draws the current line when `shows` allows it (the timer calls this a few times a second).
    public func tick() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished, Self.shows(isTerminal: isTerminal, quiet: quiet, elapsed: now() - start, delay: delay) else { return }
        write(Self.eraseLine + Self.line(progress.snapshot))
        drawn = true
    }

    /// Erases the line if one was drawn; later ticks draw nothing.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { write(Self.eraseLine) }
        drawn = false
        finished = true
    }

    /// Runs `body` with a timer thread ticking every `interval` seconds, then finishes (also
    /// when `body` throws). Nothing runs when the line can never be shown.
    public func around<T>(interval: Double = 0.2, _ body: () throws -> T) rethrows -> T {
        guard isTerminal && !quiet else { return try body() }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [self] in tick() }
        timer.resume()
        defer {
            timer.cancel()
            finish()
        }
        return try body()
    }

    /// The monotonic clock in seconds.
    public static let monotonic: @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
