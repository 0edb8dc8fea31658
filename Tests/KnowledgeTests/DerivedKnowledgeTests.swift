import Foundation
import Testing
@testable import Knowledge

@Suite("Derived knowledge")
struct DerivedKnowledgeTests {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }

    @Test func eachValueIsMadeOnceAndAnOptionalOneIsMadeAtAll() {
        let derived = DerivedKnowledge()
        let made = Counter()
        // An optional value: an absent key must not read as a stored nil.
        let first: Int? = derived.value("table") { made.add(); return 42 }
        let second: Int? = derived.value("table") { made.add(); return 0 }
        #expect(first == 42 && second == 42 && made.value == 1)
        let none: String? = derived.value("missing") { made.add(); return nil }
        let again: String? = derived.value("missing") { made.add(); return "late" }
        #expect(none == nil && again == nil && made.value == 2, "a made nil is kept as made")
    }

    @Test func threadsAskingTogetherGetOneValue() {
        let derived = DerivedKnowledge()
        let made = Counter()
        let values = (0..<8).map { _ in Counter() }
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let v: [Int] = derived.value("shared") { made.add(); return Array(0..<1000) }
            if v.count == 1000 { values[i].add() }
        }
        #expect(made.value == 1)
        #expect(values.allSatisfy { $0.value == 1 })
    }
}
