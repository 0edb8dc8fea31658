import AuditCore
import Knowledge
import Terraform

/// JIT-111: the boot script of an ephemeral JIT fleet cannot be found in the repository.
public struct BootScriptNotFoundRule: Rule {
    public let id = RuleID.jit111
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for facts in context.fleetFacts where facts.jit == true {
            let boot = resolver.resolve(facts)
            guard let missing = boot.missing, let target = facts.target else { continue }
            let isAMI: Bool = { if case .ami = facts.bootPath { return true } else { return false } }()
            let edits = target >= FleetFacts.jitSwitchRelease
                ? Fixes.addInput("enable_jit_config", value: "false", to: facts.fleet, after: facts.ephemeralInput, workspace: context.workspace) : nil
            out.append(context.finding(
                id,
                isAMI
                    ? "fleet `\(facts.fleet.name)` gets JIT configs at \(target); check that the start script in its AMI handles them: \(missing.reason)"
                    : "fleet `\(facts.fleet.name)` gets JIT configs at \(target) but its boot script cannot be checked: \(missing.reason)",
                at: missing.at,
                detail: "An AMI or template built for 3.x passes the per-instance SSM value to `config.sh`, which fails with a JIT config. Look for `--jitconfig` and `enable_jit_config` in the script; rebuild the AMI from the target release's `images/` templates, or set `enable_jit_config = false`\(target >= FleetFacts.jitSwitchRelease ? "" : " (from 4.0.1)").",
                related: boot.chain + context.fleetNotes(facts),
                fix: Fix("Verify the AMI's start script, or set `enable_jit_config = false`", edits: edits ?? [])))
        }
        return out
    }
}
