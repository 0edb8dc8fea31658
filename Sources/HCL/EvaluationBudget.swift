import AuditCore
import Foundation

/// The work evaluations may do, shared by every evaluation of one run (the deployment model and the
/// rules reading it), and the limits that were hit. A repository can hold expressions whose values
/// grow exponentially (a string doubled through thirty locals); once a limit is crossed the value is
/// unknown and a `CORE-007` diagnostic names the expression, so nothing grows without bound and
/// nothing is silently dropped.
public final class EvaluationBudget: @unchecked Sendable {
    public let maxSteps: Int
    private let lock = NSLock()
    private var used = 0
    private var events: [Diagnostic] = []
    private var seen = Set<SourceRange>()

    public init(maxSteps: Int = Limits.maxEvaluationSteps) {
        self.maxSteps = maxSteps
    }

    /// Adds `units` of work; false once the run's budget is spent.
    func charge(_ units: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        used += units
        return used <= maxSteps
    }

    /// Whether the work charged so far is over the budget (every evaluation from then on stops
    /// at its first step).
    public var isSpent: Bool {
        lock.lock()
        defer { lock.unlock() }
        return used > maxSteps
    }

    /// Keeps a limit diagnostic (once per location), whether or not the caller keeps its own.
    func record(_ diagnostic: Diagnostic) {
        lock.lock()
        defer { lock.unlock() }
        if seen.insert(diagnostic.range).inserted { events.append(diagnostic) }
    }

    /// Adds the work `other` did (another budget's, for work done apart and taken in order), if
    /// it fits in what is left; false, and nothing charged, when it does not.
    public func absorb(_ other: EvaluationBudget) -> Bool {
        let steps = other.stepsUsed
        lock.lock()
        defer { lock.unlock() }
        guard used + steps <= maxSteps else { return false }
        used += steps
        return true
    }

    /// The work done so far.
    public var stepsUsed: Int {
        lock.lock()
        defer { lock.unlock() }
        return used
    }

    /// Every limit hit so far, once per location, in the order they were hit.
    public var exceeded: [Diagnostic] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}

extension Value {
    /// Whether this value is larger than an expression may build: a string over
    /// `Limits.maxStringBytes` or a collection over `Limits.maxCollectionElements` (at the top level;
    /// the elements were checked when they were built). Returns what is too large, for messages.
    var exceededLimit: String? {
        switch kind {
        case .string(let s) where s.utf8.count > Limits.maxStringBytes:
            return "builds a string of \(s.utf8.count) bytes, more than the \(Limits.maxStringBytes >> 20) MiB an expression may build"
        case .list(let l) where l.count > Limits.maxCollectionElements:
            return "builds a list of \(l.count) elements, more than the \(Limits.maxCollectionElements) a collection may hold"
        case .object(let o) where o.count > Limits.maxCollectionElements:
            return "builds a map of \(o.count) elements, more than the \(Limits.maxCollectionElements) a collection may hold"
        default:
            return nil
        }
    }

    /// The work building this value took, in budget units: one per element, one per 64 bytes of string.
    var buildCost: Int {
        switch kind {
        case .string(let s): return s.utf8.count >> 6
        case .list(let l): return l.count
        case .object(let o): return o.count
        default: return 0
        }
    }
}

extension Value {
    /// Whether `jsonencode` of this value would be longer than `limit` bytes (a lower estimate,
    /// walked without recursion and given up as soon as it is over): a list holding the same large
    /// string many times is cheap to build and huge to encode.
    func encodedSizeExceeds(_ limit: Int) -> Bool {
        var total = 0
        var pending: [Value] = [self]
        while let v = pending.popLast() {
            switch v.kind {
            case .string(let s): total += s.utf8.count + 2
            case .list(let l):
                total += l.count + 1
                pending += l
            case .object(let o):
                total += o.count + 1
                for (k, e) in o {
                    total += k.utf8.count + 3
                    pending.append(e)
                }
            default: total += 4
            }
            if total > limit { return true }
        }
        return false
    }
}

extension Diagnostic {
    /// A `CORE-007` diagnostic: a limit of `Limits` was crossed evaluating the expression at `range`.
    static func limit(_ what: String, at range: SourceRange) -> Diagnostic {
        Diagnostic(.warning, "Evaluation limit exceeded",
                   detail: "This expression \(what). Its value is treated as unknown, so checks that need it are skipped.",
                   range: range, code: DiagnosticCode.limit)
    }
}
