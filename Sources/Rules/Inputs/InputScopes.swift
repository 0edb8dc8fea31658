import AuditCore
import HCL
import Knowledge
import Terraform

/// Which knowledge scope the inputs of a module call belong to.
extension RunnerModuleKind {
    var inputScope: InputScope? {
        switch self {
        case .root: .root
        case .multiRunner: .multiRunner
        case .runners: .runners
        default: nil
        }
    }
}

/// One input as written, with where its name and value are.
///
/// A run holds one per input of every runner module call (tens of thousands on a large
/// monorepo) until every rule has run, so the fields are laid out without padding: 144 bytes
/// instead of 168.
struct WrittenInput {
    var value: Value
    var name: String
    /// The call this input belongs to (a reference: `RunnerModuleCall` is a shared box).
    let call: RunnerModuleCall
    var nameRange: SourceRange
    var valueRange: SourceRange
    /// Which of the model's calls `call` is.
    let callIndex: Int32
    /// Which of `call`'s fleets the input belongs to; -1 for none.
    private let fleetSlot: Int32
    var scope: InputScope
    /// Whether Terraform silently drops an unknown name here (object attributes) instead of
    /// rejecting it (module arguments).
    var silentlyDropped: Bool

    init(scope: InputScope, name: String, nameRange: SourceRange, value: Value, valueRange: SourceRange, silentlyDropped: Bool,
         calls: [RunnerModuleCall], callIndex: Int, fleetIndex: Int?) {
        self.value = value
        self.name = name
        self.call = calls[callIndex]
        self.nameRange = nameRange
        self.valueRange = valueRange
        self.callIndex = Int32(callIndex)
        self.fleetSlot = Int32(fleetIndex ?? -1)
        self.scope = scope
        self.silentlyDropped = silentlyDropped
    }

    var fleetIndex: Int? { fleetSlot < 0 ? nil : Int(fleetSlot) }
    var fleet: Fleet? { fleetIndex.map { call.fleets[$0] } }
}

extension RuleContext {
    /// Every input written for a runner module call: module arguments, and the fields of each
    /// `multi_runner_config` entry (`runner_config`, `matcherConfig`, the entry's own keys), call by
    /// call in the model's order. Computed once per run (`facts`).
    func writtenInputs() -> FlattenSequence<[[WrittenInput]]> { facts.writtenInputs.joined() }

    /// The inputs the call at `index` of the model writes, in the order the rules read them. The
    /// run keeps one such list per call until every rule has run, so none keeps spare capacity:
    /// the list is allocated at the size it will most likely have, and copied to its exact size
    /// only when `for_each`/`count` instances made it grow (one call's inputs, never the whole
    /// run's next to a grown original).
    func computeWrittenInputs(ofCall index: Int) -> [WrittenInput] {
        let inputs = writtenInputs(ofCall: index, calls: model.calls)
        return inputs.compacted(unusedAbove: 16)
    }

    private func writtenInputs(ofCall index: Int, calls: [RunnerModuleCall]) -> [WrittenInput] {
        var out: [WrittenInput] = []
        let call = calls[index]
        guard let scope = call.kind.inputScope else { return out }
        let config: [String: Value]?
        if call.kind == .multiRunner, let value = call.fleets.first?.moduleInputs["multi_runner_config"], case .object(let entries) = value.value.kind {
            config = entries
        } else {
            config = nil
        }
        // One per argument (more for an instance-dependent argument), one per located field of
        // the configuration's entries and of their `runner_config` and `matcherConfig`.
        out.reserveCapacity(call.call.inputs.count + (config.map(Self.locatedConfigFields) ?? 0))
        // A call with `for_each` or `count` has one value per instance where the argument
        // depends on `each`/`count`: each instance's value (its fleet's) is checked.
        let perInstance = call.kind != .multiRunner && (call.call.forEach != nil || call.call.count != nil)
        // A call of one instance (no `for_each`, no `count`): its fleets hold each argument as
        // the model evaluated it, the same expression in the same scope. That value is shared,
        // not evaluated and held a second time (a whole `multi_runner_config` per call).
        let modelled = call.call.forEach == nil && call.call.count == nil ? call.fleets.first?.moduleInputs : nil
        for a in call.call.inputs {
            let v: Value
            if let input = modelled?[a.name], input.range == a.expression.range {
                v = input.value
            } else {
                v = call.scope.evaluate(a.expression).0
            }
            let instances = perInstance && v.containsUnknown
                ? call.fleets.indices.compactMap { i in call.fleets[i].moduleInputs[a.name].map { (i, $0.value) } }.filter { !$0.1.containsUnknown }
                : []
            if instances.isEmpty {
                out.append(WrittenInput(scope: scope, name: a.name, nameRange: a.nameRange, value: v, valueRange: a.expression.range,
                                        silentlyDropped: false, calls: calls, callIndex: index, fleetIndex: nil))
            }
            for (fleet, value) in instances {
                out.append(WrittenInput(scope: scope, name: a.name, nameRange: a.nameRange, value: value, valueRange: a.expression.range,
                                        silentlyDropped: false, calls: calls, callIndex: index, fleetIndex: fleet))
            }
        }
        guard let entries = config else { return out }
        // Each entry's fleet by its key (a search per entry was quadratic in the fleets).
        var fleetByKey: [String: Int] = [:]
        for (i, f) in call.fleets.enumerated() { if let k = f.configKey, fleetByKey[k] == nil { fleetByKey[k] = i } }
        for key in entries.keys.sorted() {
            let entry = entries[key]!
            let fleet = fleetByKey[key]
            guard case .object(let fields) = entry.kind else { continue }
            for (name, v) in fields {
                if let range = v.origin {
                    out.append(WrittenInput(scope: .multiRunnerConfig, name: name, nameRange: workspace.keyRange(ofValueAt: range) ?? range,
                                            value: v, valueRange: range, silentlyDropped: true, calls: calls, callIndex: index, fleetIndex: fleet))
                }
                let nested: InputScope? = name == "runner_config" ? .runnerConfig : (name == "matcherConfig" ? .matcherConfig : nil)
                guard let nestedScope = nested, case .object(let inner) = v.kind else { continue }
                for (field, fv) in inner {
                    guard let range = fv.origin else { continue }
                    out.append(WrittenInput(scope: nestedScope, name: field, nameRange: workspace.keyRange(ofValueAt: range) ?? range,
                                            value: fv, valueRange: range, silentlyDropped: true, calls: calls, callIndex: index, fleetIndex: fleet))
                }
            }
        }
        return out
    }

    /// How many written inputs the entries of a `multi_runner_config` give (see `writtenInputs(ofCall:calls:)`).
    private static func locatedConfigFields(_ entries: [String: Value]) -> Int {
        var count = 0
        for entry in entries.values {
            guard case .object(let fields) = entry.kind else { continue }
            for (name, v) in fields {
                if v.origin != nil { count += 1 }
                guard name == "runner_config" || name == "matcherConfig", case .object(let inner) = v.kind else { continue }
                count += inner.values.reduce(0) { $0 + ($1.origin != nil ? 1 : 0) }
            }
        }
        return count
    }
}
