import Dispatch
import Foundation

/// Work spread over the cores with results in input order, so what a run reports never depends on
/// how the work was scheduled. `workers` caps the threads (1: everything on the calling thread, in
/// order; nil: one per core).
public enum Parallel {
    /// The number of workers a run uses when none is given: the cores this process may use.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `body(i)` for every `i` in `0..<count`, results in index order. Workers take the next index
    /// from a shared counter, so a slow item does not hold up a fixed share of the others.
    public static func map<T: Sendable>(_ count: Int, workers: Int? = nil, _ body: @Sendable (Int) -> T) -> [T] {
        let threads = min(count, max(1, workers ?? defaultWorkers))
        if threads <= 1 { return (0..<count).map(body) }
        let results = Results<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let i = results.claim() { results.set(i, body(i)) }
        }
        return results.values
    }

    /// `map` over the elements of `items`.
    public static func map<S: Sendable, T: Sendable>(_ items: [S], workers: Int? = nil, _ body: @Sendable (S) -> T) -> [T] {
        map(items.count, workers: workers) { body(items[$0]) }
    }

    private final class Results<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private let count: Int
        private var items: [T?]

        init(count: Int) {
            self.count = count
            items = Array(repeating: nil, count: count)
        }

        func claim() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard next < count else { return nil }
            next += 1
            return next - 1
        }

        func set(_ i: Int, _ v: T) { lock.lock(); items[i] = v; lock.unlock() }

        var values: [T] { lock.lock(); defer { lock.unlock() }; return items.map { $0! } }
    }
}
