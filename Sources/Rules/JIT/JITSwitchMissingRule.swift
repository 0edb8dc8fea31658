import AuditCore
import HCL
import Knowledge
import Terraform

/// JIT-103: `enable_jit_config` where the target release has no such input.
public struct JITSwitchMissingRule: Rule {
    public let id = RuleID.jit103
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        for facts in context.fleetFacts {
            guard let target = facts.target, target < FleetFacts.jitSwitchRelease, let input = facts.jitInput else { continue }
            let where_ = input.nameRange ?? input.range
            if facts.call.kind == .multiRunner {
                out.append(context.finding(
                    id,
                    "`enable_jit_config` is silently dropped from runner configuration `\(facts.fleet.configKey ?? facts.fleet.name)`: multi-runner only knows it from 4.0.1 (audited at \(target))",
                    at: where_,
                    detail: "The `runner_config` object type of \(target) has no `enable_jit_config`, so Terraform drops the attribute without an error and the fleet runs with JIT \(target >= FleetFacts.jitRelease ? "on" : "settings of \(target)"). Target 4.0.1 or later, or remove the setting.",
                    related: context.fleetNotes(facts),
                    fix: Fix("Target 4.0.1 or later, or remove `enable_jit_config`")))
            } else {
                out.append(context.finding(
                    id,
                    "`enable_jit_config` does not exist before 4.0.1: Terraform rejects it at \(target)",
                    at: where_,
                    detail: "Terraform stops with \"Unsupported argument\" for module `\(facts.call.address)`. The opt-out from JIT configs was added in 4.0.1; at 4.0.0 every ephemeral runner gets a JIT config. Target 4.0.1 or later, or remove the argument.",
                    related: context.fleetNotes(facts),
                    fix: Fix("Target 4.0.1 or later, or remove `enable_jit_config`")))
            }
        }
        return out
    }
}
