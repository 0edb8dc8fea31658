import Foundation

/// Values worked out from a loaded knowledge base by the modules that read it (the IAM
/// requirements table, decoded from its YAML): once per loaded base, shared by every copy of it
/// and every thread, so a run (or a test suite auditing many fixtures) decodes each once.
public final class DerivedKnowledge: @unchecked Sendable {
    // Recursive: working out one value may ask for another.
    private let lock = NSRecursiveLock()
    private var values: [String: any Sendable] = [:]

    init() {}

    /// The value stored under `key`, made by `make` the first time it is asked for (a caller
    /// asking while another thread makes it waits for that value).
    public func value<T: Sendable>(_ key: String, _ make: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        // Unwrapped before the cast: an absent key cast to an optional `T` would be a stored nil.
        if let stored = values[key], let known = stored as? T { return known }
        let made = make()
        values[key] = made
        return made
    }
}
