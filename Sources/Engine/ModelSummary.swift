import AuditCore
import Rules
import Terraform

/// The `modules` section of the report: every runner module call and its fleets as audited.
enum ModelSummary {
    static func summaries(_ model: DeploymentModel, context: RuleContext, workers: Int? = nil) -> [ModuleSummary] {
        // Each call's fleets on a core of their own (a boot path resolved for each of a thousand
        // fleets was a serial tenth of a monorepo's audit); the order is the paths'.
        Parallel.map(model.calls, workers: workers) { call in
            let target = context.targetVersion(for: call)
            let fleets = call.fleets.filter { !$0.isPlaceholder }.map { fleet -> FleetSummary in
                let facts = FleetFacts(call: call, fleet: fleet, target: target)
                let boot = BootScriptResolver(context: context).resolve(facts)
                return FleetSummary(name: fleet.name, os: facts.os, ephemeral: facts.ephemeral, jit: facts.jit, bootScript: boot.label,
                                    anchor: fleet.container.range, boot: parts(boot, target: target),
                                    roles: roles(fleet, context: context), namePrefix: namePrefix(fleet),
                                    amiNameFilter: BootScriptResolver.amiNameFilter(facts))
            }
            return ModuleSummary(
                path: "\(call.call.file):\(call.address)", source: call.source.text,
                version: context.currentVersion(for: call)?.description, kind: call.kind.rawValue, fleets: fleets,
                anchor: call.call.block.range, versionEvidence: call.vendoredRoot == nil ? nil : call.evidence.how)
        }.sorted { $0.path < $1.path }
    }

    /// The name prefix of the fleet's AWS resources, as the module derives it: `prefix` (default
    /// `github-actions`), plus `-<key>` for a `multi_runner_config` entry. nil when `prefix` is set
    /// to something the audit cannot evaluate.
    static func namePrefix(_ fleet: Fleet) -> String? {
        let prefix: String
        if let input = fleet.input("prefix") {
            guard let s = input.value.stringValue else { return nil }
            prefix = s
        } else {
            prefix = "github-actions"
        }
        return fleet.configKey.map { "\(prefix)-\($0)" } ?? prefix
    }

    /// The boot path as steps: Packer templates first, then the scripts (each under the template
    /// that bakes it), the module's own script, or what is missing.
    static func parts(_ boot: ResolvedBoot, target: ModuleVersion?) -> [FleetPart] {
        var out: [FleetPart] = []
        var templateIndex: [String: Int] = [:]
        for t in boot.packerTemplates {
            templateIndex[t] = out.count
            out.append(FleetPart(kind: .packerTemplate, label: t, detail: "bakes the AMI", location: .fileStart(t)))
        }
        if boot.label == "ami:unknown" {
            out.append(FleetPart(kind: .ami, label: "AMI built elsewhere", detail: "its start script is not in the repository",
                                 location: boot.missing?.at))
        }
        // A wrapper template comes before the module script it embeds.
        var wrapper: Int?
        for (i, script) in boot.scripts.enumerated() {
            let parent = boot.bakedBy[i].flatMap { templateIndex[$0] }
            switch script {
            case .module:
                out.append(FleetPart(kind: .moduleScript, label: "module start script", detail: target.map { "of v\($0)" }, parent: wrapper))
            case .file(let f):
                if f.contract == .wrapper { wrapper = out.count }
                out.append(FleetPart(kind: .script, label: f.path, detail: f.contract.phrase, location: .fileStart(f.path), parent: parent))
            case .missing(let reason, let at):
                guard boot.label != "ami:unknown" else { continue }
                out.append(FleetPart(kind: .missing, label: "start script not found", detail: reason, location: at, parent: parent))
            }
        }
        return out
    }

    /// The IAM the repository decides for a fleet: the boundary the module puts on its roles and
    /// a role of the repository's own (`iam_overrides`).
    static func roles(_ fleet: Fleet, context: RuleContext) -> [FleetPart] {
        var out: [FleetPart] = []
        func text(_ input: FleetInput) -> String {
            let raw = context.workspace.source(input.range.path)?.text(of: input.range) ?? input.name
            return raw.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        if let b = fleet.input("role_permissions_boundary"), !b.value.isNull {
            out.append(FleetPart(kind: .permissionBoundary, label: "permission boundary", detail: text(b), location: b.range))
        }
        if let o = fleet.input("iam_overrides"), !o.value.isNull {
            out.append(FleetPart(kind: .userRole, label: "own runner role (iam_overrides)", detail: text(o), location: o.range))
        }
        return out
    }

    /// What the model could not resolve, for the report's `unresolved`.
    static func unresolved(_ model: DeploymentModel, context: RuleContext, workers: Int? = nil) -> [String] {
        // Each call on a core of its own (each fleet's boot is resolved again), taken in order.
        let calls = model.calls.sorted(by: { ($0.call.file, $0.address) < ($1.call.file, $1.address) })
        return Parallel.map(calls, workers: workers) { call -> [String] in
            var out: [String] = []
            let path = "\(call.call.file):\(call.address)"
            if context.currentVersion(for: call) == nil { out.append("release of `\(path)`") }
            for fleet in call.fleets {
                if fleet.isPlaceholder {
                    out.append("fleets of `\(path)` (`multi_runner_config` cannot be read)")
                    continue
                }
                guard NoRunnerModuleRule.runnerKinds.contains(call.kind) else { continue }
                let facts = FleetFacts(call: call, fleet: fleet, target: context.targetVersion(for: call))
                if let missing = BootScriptResolver(context: context).resolve(facts).missing {
                    out.append("start script of `\(fleet.name)`: \(missing.reason)")
                }
            }
            return out
        }.flatMap { $0 }
    }
}
