import AuditCore
import Knowledge
import Terraform

/// JIT-101 and JIT-102: an ephemeral fleet that gets JIT configs boots a start script that only
/// knows registration tokens. At exactly 4.0.0 there is no opt-out (JIT-102).
public struct TokenOnlyScriptRule: Rule {
    public let id = RuleID.jit101
    public static let noOptOutId = RuleID.jit102
    public var emits: [RuleID] { [id, Self.noOptOutId] }

    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for facts in context.fleetFacts {
            guard facts.jit == true, let target = facts.target else { continue }
            let boot = resolver.resolve(facts)
            for script in boot.startScripts where script.contract.failsWithJIT {
                var related = boot.chain
                if let e = facts.ephemeralInput { related.append(RelatedNote("ephemeral runners are enabled here", at: e.valueRange)) }
                related += context.fleetNotes(facts)
                if let r = script.knownReleases.first {
                    related.append(RelatedNote("this is an unedited copy of the module's \(script.knownReleases.count > 1 ? "start script of \(r) (and later identical releases)" : "\(r) start script")", at: .fileStart(script.path)))
                }
                if target < FleetFacts.jitSwitchRelease {
                    out.append(context.finding(
                        Self.noOptOutId,
                        "fleet `\(facts.fleet.name)` gets JIT configs at 4.0.0, which has no opt-out, but its start script `\(script.path)` passes the SSM value to `config.sh`",
                        at: script.anchor,
                        detail: "At 4.0.0 the scale-up lambda stores a JIT config for every ephemeral runner; `config.sh` rejects it and the runner never registers. `enable_jit_config` only exists from 4.0.1. Target 4.0.1 or later and set `enable_jit_config = false`, or update the script to read `enable_jit_config` and run `run.sh --jitconfig` for ephemeral runners.",
                        related: related,
                        fix: Fix("Target 4.0.1 or later with `enable_jit_config = false`, or update the start script to the 4.0.1 contract")))
                } else {
                    let edits = Fixes.addInput("enable_jit_config", value: "false", to: facts.fleet, after: facts.ephemeralInput, workspace: context.workspace)
                    out.append(context.finding(
                        id,
                        script.contract == .mixed
                            ? "fleet `\(facts.fleet.name)` gets JIT configs at \(target) but its start script `\(script.path)` can still pass them to `config.sh`"
                            : "fleet `\(facts.fleet.name)` gets JIT configs at \(target) but its start script `\(script.path)` is token-only",
                        at: script.anchor,
                        detail: "From 4.0.0 the scale-up lambda stores a JIT config, not the `--url … --token …` argument string, for ephemeral runners. This script passes the SSM value to `config.sh` without checking `enable_jit_config`, so the runner never registers. Set `enable_jit_config = false` for the fleet, or update the script to run `run.sh --jitconfig <value>` when `enable_jit_config` is `true` (and rebuild the AMI if it is baked in).",
                        related: related,
                        fix: Fix("Set `enable_jit_config = false` for fleet `\(facts.fleet.name)` (or update the start script to the 4.0.1 contract)", edits: edits ?? [])))
                }
            }
        }
        return out
    }
}
