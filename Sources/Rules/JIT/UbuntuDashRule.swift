import AuditCore
import HCL
import Knowledge
import Terraform

/// JIT-108: ephemeral Ubuntu runners on the 4.0.1 start script.
public struct UbuntuDashRule: Rule {
    public let id = RuleID.jit108
    public static let affected = ModuleVersion(4, 0, 1)
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for facts in context.fleetFacts {
            guard facts.jit == true, facts.os == "linux", let target = facts.target else { continue }
            let boot = resolver.resolve(facts)
            // The module's own 4.0.1 script, or an unedited copy of it.
            let copies = boot.startScripts.filter { $0.knownReleases == [Self.affected] && $0.knownDefect != nil }
            let usesAffectedModuleScript = boot.usesModuleScript && target == Self.affected
            guard usesAffectedModuleScript || !copies.isEmpty else { continue }
            guard let ubuntu = facts.ubuntuEvidence else { continue }
            let edits = Fixes.addInput("enable_jit_config", value: "false", to: facts.fleet, after: facts.ephemeralInput, workspace: context.workspace)
            out.append(context.finding(
                id,
                "ephemeral Ubuntu fleet `\(facts.fleet.name)` runs the 4.0.1 start script, whose wrapper starts JIT runners without their config under dash; fixed in 4.0.2",
                at: copies.first?.anchor ?? ubuntu.valueRange,
                detail: "The 4.0.1 script writes `/opt/start-runner-service.sh` without a shebang; Ubuntu runs it with dash, which does not know `[[ ]]`, so `run.sh` starts without `--jitconfig`. Target 4.0.2 or later, or set `enable_jit_config = false`.",
                related: [RelatedNote("the fleet runs Ubuntu (from this setting)", at: ubuntu.valueRange)] + context.fleetNotes(facts),
                fix: Fix("Target 4.0.2 or later, or set `enable_jit_config = false`", edits: edits ?? [])))
        }
        return out
    }
}
