import AuditCore
import Knowledge
import Terraform

/// JIT-105: a 4.0.1-style script reads `enable_jit_config` on a release that does not create it.
public struct JITAwareScriptTooEarlyRule: Rule {
    public let id = RuleID.jit105
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for facts in context.fleetFacts {
            guard let target = facts.target, target < FleetFacts.jitSwitchRelease, facts.ephemeral == true else { continue }
            let boot = resolver.resolve(facts)
            for script in boot.startScripts where script.contract == .jitAware {
                let baked: Bool = { if case .ami = facts.bootPath { return true } else { return false } }()
                out.append(context.finding(
                    id,
                    "start script `\(script.path)` of fleet `\(facts.fleet.name)` reads `enable_jit_config`, which the module only creates from 4.0.1 (audited at \(target))",
                    at: script.jitFlagRead ?? script.anchor,
                    detail: "Without the parameter an ephemeral runner takes neither the `config.sh` branch nor the `--jitconfig` branch and starts unconfigured.\(baked ? " The script is baked into the AMI, which was built from a newer module release than the one deployed." : "") Upgrade the module to 4.0.1 or later together with the script.",
                    related: boot.chain + context.fleetNotes(facts),
                    fix: Fix("Upgrade the module to 4.0.1 or later together with this script")))
            }
        }
        return out
    }
}
