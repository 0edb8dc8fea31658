import AuditCore
import Knowledge
import Terraform

/// JIT-104: the fleet opts out of JIT, but its 4.0.0-style script always uses `--jitconfig`.
public struct JITOnlyScriptOptedOutRule: Rule {
    public let id = RuleID.jit104
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for facts in context.fleetFacts {
            guard let target = facts.target, target >= FleetFacts.jitSwitchRelease, facts.ephemeral == true,
                  case .some(.some(false)) = facts.jitSetting, let jitInput = facts.jitInput else { continue }
            for script in resolver.resolve(facts).startScripts where script.contract == .jitOnly {
                out.append(context.finding(
                    id,
                    "fleet `\(facts.fleet.name)` sets `enable_jit_config = false` but its start script `\(script.path)` always starts ephemeral runners with `--jitconfig`",
                    at: script.jitConfigWord ?? script.anchor,
                    detail: "With `enable_jit_config = false` the scale-up lambda stores the registration-token argument string, which `run.sh --jitconfig` cannot use. The script never reads `enable_jit_config` (4.0.0 contract). Update it to the 4.0.1 contract (run `config.sh` with the value when `enable_jit_config` is `false`), or remove `enable_jit_config = false`.",
                    related: [RelatedNote("JIT is switched off here", at: jitInput.valueRange)] + context.fleetNotes(facts),
                    fix: Fix("Update the start script to branch on `enable_jit_config`, or remove `enable_jit_config = false`")))
            }
        }
        return out
    }
}
