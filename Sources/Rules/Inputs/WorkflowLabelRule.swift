import AuditCore
import Documents
import HCL
import Knowledge
import Terraform

/// GHA-208: a workflow job asks for self-hosted labels that no fleet of the repository serves at
/// the target release.
public struct WorkflowLabelRule: Rule {
    public let id = RuleID.gha208
    public static let fullLabelsSince = ModuleVersion(4, 0, 0)
    public static let disableDefaultsSince = ModuleVersion(5, 20, 0)
    public init() {}

    /// The labels a fleet's runners carry at `target`; nil when they cannot be known.
    static func labels(_ facts: FleetFacts) -> Set<String>? {
        guard let target = facts.target, let os = facts.os else { return nil }
        var arch = "x64"
        if let a = facts.setInput("runner_architecture") {
            guard let s = a.value.stringValue else { return nil }
            arch = s
        }
        var labels: Set<String> = []
        var defaults = true
        if target >= disableDefaultsSince, let d = facts.setInput("runner_disable_default_labels") {
            guard let b = d.value.boolValue else { return nil }
            defaults = !b
        }
        if defaults { labels.formUnion(["self-hosted", os, arch]) }
        if let extra = facts.setInput("runner_extra_labels") {
            switch extra.value.kind {
            case .string(let s): labels.formUnion(s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            case .list(let l):
                for item in l {
                    guard let s = item.stringValue else { return nil }
                    labels.insert(s)
                }
            default: return nil
            }
        }
        return Set(labels.map { $0.lowercased() })
    }

    struct Job {
        var workflow: String
        var id: String
        var labels: [String]
        var range: SourceRange
    }

    /// Jobs of `.github/workflows/*.yml` that run on self-hosted runners, with literal labels.
    static func selfHostedJobs(_ workspace: Workspace) -> [Job] {
        var jobs: [Job] = []
        for file in workspace.files(ofKind: .yaml) where file.path.hasPrefix(".github/workflows/") || file.path.contains("/.github/workflows/") {
            guard let root = file.yaml, let pairs = root["jobs"]?.pairs else { continue }
            for pair in pairs {
                guard let jobId = pair.key.string, let runsOn = pair.value["runs-on"] else { continue }
                var labelNodes: [YAMLNode] = []
                switch runsOn.kind {
                case .scalar: labelNodes = [runsOn]
                case .sequence(let items): labelNodes = items
                case .mapping:
                    if let l = runsOn["labels"] { labelNodes = l.elements ?? [l] }
                }
                let labels = labelNodes.compactMap(\.string)
                // Expressions are decided at run time: never guess.
                guard labels.count == labelNodes.count, !labels.isEmpty, !labels.contains(where: { $0.contains("${{") }),
                      labels.contains(where: { $0.lowercased() == "self-hosted" }) else { continue }
                jobs.append(Job(workflow: file.path, id: jobId, labels: labels, range: runsOn.range))
            }
        }
        return jobs
    }

    public func check(_ context: RuleContext) -> [Finding] {
        let facts = context.fleetFacts
        guard !facts.isEmpty else { return [] }
        var fleetLabels: [(FleetFacts, Set<String>)] = []
        for f in facts {
            // One fleet whose labels cannot be known could serve any job: stay silent.
            guard let l = Self.labels(f) else { return [] }
            fleetLabels.append((f, l))
        }
        var out: [Finding] = []
        for job in Self.selfHostedJobs(context.workspace) {
            let wanted = Set(job.labels.map { $0.lowercased() })
            guard !fleetLabels.contains(where: { wanted.isSubset(of: $0.1) }) else { continue }
            let closest = fleetLabels.min { wanted.subtracting($0.1).count < wanted.subtracting($1.1).count }!
            let missing = wanted.subtracting(closest.1).sorted()
            let target = closest.0.target.map { " at \($0)" } ?? ""
            out.append(context.finding(
                id,
                "job `\(job.id)` asks for labels no fleet serves\(target): closest is `\(closest.0.fleet.name)`, which lacks \(missing.map { "`\($0)`" }.joined(separator: ", "))",
                at: job.range,
                detail: "A job runs only on a runner that has every label it asks for. Fleet `\(closest.0.fleet.name)` has \(closest.1.sorted().map { "`\($0)`" }.joined(separator: ", ")). The label list changed in 4.0 (full list built by the module) and 5.0 (`runner_extra_labels` became a list); add the labels to a fleet's `runner_extra_labels` or change `runs-on`.",
                related: context.fleetNotes(closest.0),
                fix: Fix("Add \(missing.map { "`\($0)`" }.joined(separator: ", ")) to `runner_extra_labels` of a fleet, or change `runs-on`")))
        }
        return out
    }
}

extension FleetFacts {
    /// The labels the fleet's runners carry at `target` (lower-cased), as GHA-208 computes them;
    /// nil when they cannot be known. The probe compares live runners with them.
    public var runnerLabels: Set<String>? { WorkflowLabelRule.labels(self) }
}
