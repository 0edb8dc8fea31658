import AuditCore
import Knowledge
import Terraform

/// What the rules read about the fleets of one run, computed once when the `RuleContext` is built
/// (and again only when the model, target or scripts it depends on change): every fleet's facts at
/// its target, each fleet's boot path resolved to scripts, every input written for a runner module
/// call, and the IAM roles (`RoleFacts`). Rules read these instead of recomputing them per rule and
/// per call site.
public struct RunFacts: Sendable {
    /// Every fleet with its facts at the target, placeholders of unreadable maps left out.
    public private(set) var fleets: [FleetFacts] = []
    /// The boot of each fleet of `fleets`, at the same index.
    public private(set) var boots: [ResolvedBoot] = []
    /// Every input written for a runner module call (module arguments and `multi_runner_config`
    /// fields), one list per call of the model.
    private(set) var writtenInputs: [[WrittenInput]] = []
    /// The requirements table, every fleet's runner role and the role subjects of the IAM rules.
    private(set) var roles = RoleFacts()
    /// Where a fleet's boot is in `boots`; a key two fleets share is left out (they are resolved again).
    private var bootIndex: [FleetKey: Int] = [:]

    struct FleetKey: Hashable, Sendable {
        var call: String
        var fleet: String
        var anchor: SourceRange
        var target: ModuleVersion?

        init(_ facts: FleetFacts) {
            call = facts.call.address
            fleet = facts.fleet.name
            anchor = facts.fleet.anchor
            target = facts.target
        }
    }

    init() {}

    /// The facts of `context`'s model, resolving boots through `context`'s scripts and templates.
    /// The facts are independent of each other: each fleet's boot, each call's written inputs and
    /// the roles are worked out on `workers` threads (nil: one per core), then taken in order.
    init(_ context: RuleContext, workers: Int? = nil) {
        let resolver = BootScriptResolver(context: context)
        fleets = context.model.calls.flatMap { call in
            call.fleets.filter { !$0.isPlaceholder }.map { FleetFacts(call: call, fleet: $0, target: context.targetVersion(for: call)) }
        }
        // One job per call for its written inputs, one per fleet for its boot. The roles are
        // worked out on the calling thread (what they read is task-local there: RunFactsTests
        // counts their builds through `RoleFacts.onBuild`).
        enum Part: Sendable { case inputs([WrittenInput]), boot(ResolvedBoot) }
        let calls = context.model.calls.count
        let fleets = fleets
        let parts = Parallel.map(calls + fleets.count, workers: workers) { i -> Part in
            if i < calls { return .inputs(context.computeWrittenInputs(ofCall: i)) }
            return .boot(resolver.resolveAgain(fleets[i - calls]))
        }
        roles = RoleFacts(context)
        // Each call's list is kept as it was made (without spare capacity): joining them into one
        // list would hold the whole run's inputs twice while copying.
        writtenInputs.reserveCapacity(calls)
        boots.reserveCapacity(fleets.count)
        for part in parts {
            switch part {
            case .inputs(let w): writtenInputs.append(w)
            case .boot(let b): boots.append(b)
            }
        }
        var shared: Set<FleetKey> = []
        for (i, facts) in fleets.enumerated() {
            let key = FleetKey(facts)
            if bootIndex.updateValue(i, forKey: key) != nil { shared.insert(key) }
        }
        for key in shared { bootIndex[key] = nil }
    }

    /// The boot computed for a fleet of this run, nil for facts not among `fleets` (another target).
    public func boot(of facts: FleetFacts) -> ResolvedBoot? {
        bootIndex[FleetKey(facts)].map { boots[$0] }
    }

    /// Each fleet with its boot.
    public var fleetsWithBoots: Zip2Sequence<[FleetFacts], [ResolvedBoot]> { zip(fleets, boots) }
}
