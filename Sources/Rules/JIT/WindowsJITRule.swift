import AuditCore
import HCL
import Knowledge
import Terraform

/// JIT-107: ephemeral Windows runners on the module's scripts before 5.16.3.
public struct WindowsJITRule: Rule {
    public let id = RuleID.jit107
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for facts in context.fleetFacts {
            guard facts.os == "windows", facts.jit == true, let target = facts.target,
                  target >= FleetFacts.jitRelease, target < FleetFacts.windowsJITRelease,
                  resolver.resolve(facts).usesModuleScript, let os = facts.setInput("runner_os") else { continue }
            let edits = target >= FleetFacts.jitSwitchRelease
                ? Fixes.addInput("enable_jit_config", value: "false", to: facts.fleet, after: facts.ephemeralInput, workspace: context.workspace) : nil
            out.append(context.finding(
                id,
                "ephemeral Windows fleet `\(facts.fleet.name)` gets JIT configs at \(target), but the module's Windows start script only handles them from 5.16.3",
                at: os.valueRange,
                detail: "Until 5.16.3 `start-runner.ps1` always runs `config.cmd` with the per-instance SSM value, which is a JIT config for ephemeral runners from 4.0.0: the runners never register. Target 5.16.3 or later, or set `enable_jit_config = false`\(target >= FleetFacts.jitSwitchRelease ? "" : " (from 4.0.1)").",
                related: (facts.ephemeralInput.map { [RelatedNote("ephemeral runners are enabled here", at: $0.valueRange)] } ?? []) + context.fleetNotes(facts),
                fix: Fix("Target 5.16.3 or later, or set `enable_jit_config = false`", edits: edits ?? [])))
        }
        return out
    }
}
