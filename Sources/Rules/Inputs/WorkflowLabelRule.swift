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
        guard let target = facts.target else { return nil }
        return labels(facts, at: target)
    }

    /// The labels a fleet's runners carry at `release`; nil when they cannot be known.
    static func labels(_ facts: FleetFacts, at target: ModuleVersion) -> Set<String>? {
        guard let os = facts.os else { return nil }
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
        for file in workspace.files(ofKind: .yaml) where file.path.hasPrefix(".github/workflows/") || file.path.containsBytes("/.github/workflows/") {
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
                guard labels.count == labelNodes.count, !labels.isEmpty, !labels.contains(where: { $0.containsBytes("${{") }),
                      labels.contains(where: { $0.lowercased() == "self-hosted" }) else { continue }
                jobs.append(Job(workflow: file.path, id: jobId, labels: labels, range: runsOn.range))
            }
        }
        return jobs
    }

    /// A runner the repository registers itself, outside the module: `config.sh`/`config.cmd`
    /// `--labels` in the user data of one of its own instances.
    struct OwnRunner {
        /// The labels it registers with (lower-cased); nil when a part is only known at boot.
        var labels: Set<String>?
        /// The resource whose user data registers it.
        var resource: String
        var range: SourceRange
    }

    /// Resource arguments that hold an instance's boot script.
    static let userDataArguments: Set<String> = ["user_data", "user_data_base64"]

    /// Runners registered by the user data of the repository's own instances (`aws_instance`,
    /// launch templates...): each `file`/`templatefile` such an argument reads, rendered with the
    /// scope's values (or read as written when they are unknown), searched for `--labels`.
    static func ownRunners(_ context: RuleContext) -> [OwnRunner] {
        var out: [OwnRunner] = []
        var seen = Set<String>()
        for scope in context.model.scopes {
            // The resources with user data, in key order (sorting every key of a generated
            // module of 25,000 resources, and copying each one's attributes, was most of the rule).
            let resources = scope.module.resources
            var keys: [String] = []
            for (key, block) in resources where !key.hasPrefix("data.") && userDataArguments.contains(where: { block.body.attribute($0) != nil }) {
                keys.append(key)
            }
            for key in keys.sorted() {
                let block = resources[key]!
                for a in block.body.attributes where userDataArguments.contains(a.name) {
                    var reads: [(call: Expression, function: String, arguments: [Expression])] = []
                    a.expression.forEachNode { e in
                        if case .functionCall(let name, _, let args, _) = e.kind, name == "file" || name == "templatefile", !args.isEmpty {
                            reads.append((e, name, args))
                        }
                    }
                    for (call, function, arguments) in reads {
                        let (rendered, _) = scope.evaluate(call)
                        var text = rendered.stringValue
                        if text == nil, let path = scope.evaluate(arguments[0]).0.stringValue,
                           let source = Paths.join(scope.rootDirectory, path).flatMap({ context.workspace.source($0) }) {
                            text = Self.partlyRendered(source, isTemplate: function == "templatefile",
                                                       variables: arguments.count > 1 ? scope.evaluate(arguments[1]).0 : nil)
                        }
                        guard let text, let found = registeredLabels(in: text) else { continue }
                        let id = "\(scope.module.directory)|\(key)|\(found.map { $0.sorted().joined(separator: ",") } ?? "?")"
                        guard seen.insert(id).inserted else { continue }
                        out.append(OwnRunner(labels: found, resource: key, range: a.expression.range))
                    }
                }
            }
        }
        return out
    }

    /// A user-data file whose `file`/`templatefile` value is unknown, read as far as it can be: a
    /// template rendered by the HCL evaluator with the variables that are known (escapes and
    /// directives applied; an unknown part written as its `${expression}`, which marks a label that
    /// holds it as known only at boot); a plain `file` as written.
    static func partlyRendered(_ source: SourceFile, isTemplate: Bool, variables: Value?) -> String? {
        guard isTemplate else { return source.text }
        let (parts, problems) = HCLParser.parseTemplate(source)
        // A template the parser cannot read (reported by the template checks) is read as written:
        // its `${` parts then mark the labels that hold them as unknown.
        guard problems.allSatisfy({ $0.severity != .error }) else { return source.text }
        // With no known variables (an unknown map), every interpolation stays as written.
        return Evaluator.renderKnownParts(parts, variables: variables?.objectValue ?? [:], in: EvalContext(), range: .fileStart(source.path)).text
    }

    /// The labels a script registers a runner with (`config.sh ... --labels a,b`), nil for a
    /// label only known at boot (a shell variable or an unrendered template part); no `--labels`
    /// after a `config.sh`/`config.cmd`: not a runner registration (an empty result is never returned).
    static func registeredLabels(in text: String) -> Set<String>?? {
        guard text.contains("config.sh") || text.contains("config.cmd") else { return .none }
        var labels: Set<String> = []
        var unknown = false
        var found = false
        var rest = Substring(text)
        while let r = rest.range(of: "--labels") {
            rest = rest[r.upperBound...]
            let afterFlag = rest.drop { $0 == " " || $0 == "=" || $0 == "\t" }
            guard let first = afterFlag.first, first != "\n", afterFlag.startIndex != rest.startIndex else { continue }
            var value: Substring
            if first == "\"" || first == "'" {
                let body = afterFlag.dropFirst()
                value = body.prefix { $0 != first && $0 != "\n" }
            } else {
                value = afterFlag.prefix { !$0.isWhitespace && $0 != "`" }
            }
            found = true
            for part in value.split(separator: ",") {
                let label = part.trimmingCharacters(in: .whitespaces)
                if label.contains("$") || label.contains("{") { unknown = true } else if !label.isEmpty { labels.insert(label.lowercased()) }
            }
        }
        guard found else { return .none }
        return .some(unknown ? nil : labels)
    }

    public func check(_ context: RuleContext) -> [Finding] {
        let facts = context.fleetFacts
        guard !facts.isEmpty else { return [] }
        // Jobs a runner of the repository's own serves are not the module's; one whose labels are
        // only known at boot could serve any job.
        let own = Self.ownRunners(context)
        guard !own.contains(where: { $0.labels == nil }) else { return [] }
        let ownLabels = own.compactMap(\.labels)
        var fleetLabels: [(FleetFacts, Set<String>)] = []
        for f in facts {
            // One fleet whose labels cannot be known could serve any job: stay silent.
            guard let l = Self.labels(f) else { return [] }
            fleetLabels.append((f, l))
        }
        // The fleets that have each label: a job's candidates are the fleets with its rarest
        // label, not every fleet (jobs times fleets was quadratic in a monorepo).
        var fleetsWith: [String: [Int]] = [:]
        for (i, (_, labels)) in fleetLabels.enumerated() {
            for label in labels { fleetsWith[label, default: []].append(i) }
        }
        func served(_ wanted: Set<String>) -> Bool {
            guard let rarest = wanted.min(by: { (fleetsWith[$0]?.count ?? 0) < (fleetsWith[$1]?.count ?? 0) }) else { return !fleetLabels.isEmpty }
            return (fleetsWith[rarest] ?? []).contains { wanted.isSubset(of: fleetLabels[$0].1) }
        }
        var out: [Finding] = []
        for job in Self.selfHostedJobs(context.workspace) {
            let wanted = Set(job.labels.map { $0.lowercased() })
            guard !served(wanted), !ownLabels.contains(where: { wanted.isSubset(of: $0) }) else { continue }
            let closest = fleetLabels.min { wanted.subtracting($0.1).count < wanted.subtracting($1.1).count }!
            let missing = wanted.subtracting(closest.1).sorted()
            let target = closest.0.target.map { " at \($0)" } ?? ""
            let changedIn = Self.release(whereUnserved: wanted, fleets: facts, context: context)
            out.append(context.finding(
                id,
                "job `\(job.id)` asks for labels no fleet serves\(target): closest is `\(closest.0.fleet.name)`, which lacks \(missing.map { "`\($0)`" }.joined(separator: ", "))",
                at: job.range,
                detail: "A job runs only on a runner that has every label it asks for. Fleet `\(closest.0.fleet.name)` has \(closest.1.sorted().map { "`\($0)`" }.joined(separator: ", ")). The label list changed in 4.0 (full list built by the module) and 5.0 (`runner_extra_labels` became a list); add the labels to a fleet's `runner_extra_labels` or change `runs-on`.",
                related: context.fleetNotes(closest.0),
                fix: Fix("Add \(missing.map { "`\($0)`" }.joined(separator: ", ")) to `runner_extra_labels` of a fleet, or change `runs-on`"),
                changedIn: changedIn))
        }
        return out
    }
}

extension WorkflowLabelRule {
    /// The release from which no fleet serves `wanted`: the current release of the calls when no
    /// fleet serves the job today either, else the first release the upgrade crosses where the
    /// label computation changes (`relies_on`: 4.0.1, 5.0.0, 5.20.0) and no fleet serves it any more;
    /// nil when the current releases are not known.
    static func release(whereUnserved wanted: Set<String>, fleets: [FleetFacts], context: RuleContext) -> ModuleVersion? {
        let currents = fleets.compactMap { context.currentVersion(for: $0.call) }
        guard currents.count == fleets.count, let current = currents.max() else { return nil }
        func served(at release: (FleetFacts) -> ModuleVersion) -> Bool {
            fleets.contains { f in labels(f, at: release(f)).map { wanted.isSubset(of: $0) } ?? true }
        }
        if !served(at: { context.currentVersion(for: $0.call)! }) { return currents.min() }
        guard let target = fleets.compactMap(\.target).max() else { return nil }
        let steps = (context.knowledge.rule(id: RuleID.gha208.rawValue)?.reliesOn ?? []).filter { $0 > current && $0 <= target }.sorted()
        for step in steps where !served(at: { f in max(context.currentVersion(for: f.call)!, min(step, f.target ?? step)) }) {
            return step
        }
        return target
    }
}

extension FleetFacts {
    /// The labels the fleet's runners carry at `target` (lower-cased), as GHA-208 computes them;
    /// nil when they cannot be known. The probe compares live runners with them.
    public var runnerLabels: Set<String>? { WorkflowLabelRule.labels(self) }
}
