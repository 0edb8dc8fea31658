import AuditCore
import Rules
import Terraform

/// The `modules` section of the report: every runner module call and its fleets as audited.
enum ModelSummary {
    static func summaries(_ model: DeploymentModel, context: RuleContext) -> [ModuleSummary] {
        model.calls.map { call in
            let target = context.targetVersion(for: call)
            let fleets = call.fleets.filter { !$0.isPlaceholder }.map { fleet -> FleetSummary in
                let facts = FleetFacts(call: call, fleet: fleet, target: target)
                let boot = BootScriptResolver(context: context).resolve(facts)
                return FleetSummary(name: fleet.name, os: facts.os, ephemeral: facts.ephemeral, jit: facts.jit, bootScript: boot.label)
            }
            return ModuleSummary(
                path: "\(call.call.file):\(call.address)", source: call.source.text,
                version: context.currentVersion(for: call)?.description, kind: call.kind.rawValue, fleets: fleets)
        }.sorted { $0.path < $1.path }
    }
}
