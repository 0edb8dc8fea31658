import AuditCore
import Foundation
import Rules

/// The boot rehearsal as a rule of the audit (`check --rehearse`, `rehearse`): its findings go
/// through everything other rules' findings do (disabled rules, inline `ghr-audit:ignore`
/// suppressions, severity overrides, fingerprints, baselines). The fleets it rehearsed are kept
/// in `recorder` for the `rehearse` command's own output.
public struct RehearsalRule: Rule {
    public var id: RuleID { .rhs501 }
    public var emits: [RuleID] { [.rhs501, .rhs502] }
    public var rehearsals: FleetRehearsals
    public var recorder: RehearsalRecorder

    public init(_ rehearsals: FleetRehearsals, recorder: RehearsalRecorder = RehearsalRecorder()) {
        self.rehearsals = rehearsals
        self.recorder = recorder
    }

    public func check(_ context: RuleContext) -> [Finding] {
        let (fleets, findings) = rehearsals.rehearse(context)
        recorder.add(fleets)
        return findings
    }
}

/// The fleets a `RehearsalRule` rehearsed, in the order of its runs.
public final class RehearsalRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [FleetRehearsal] = []

    public init() {}

    public var fleets: [FleetRehearsal] { lock.withLock { stored } }

    func add(_ fleets: [FleetRehearsal]) { lock.withLock { stored += fleets } }
}
