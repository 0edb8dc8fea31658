import AuditCore
import Knowledge
import Rules
import Terraform

/// A Markdown upgrade plan tailored to the repository: for each major release crossed, in order,
/// the steps this repository needs (each pointing at the finding behind it), then the steps every
/// upgrade needs. A pure function of the audit result: deterministic output.
public enum Checklist {
    public static func render(_ result: AuditResult, knowledge: KnowledgeBase, target: ModuleVersion) -> String {
        markdown(plan(findings: result.report.findings, calls: result.model.calls, knowledge: knowledge, target: target),
                 toolVersion: result.report.toolVersion)
    }

    /// The plan: findings placed under the major release that introduced what they are about.
    public static func plan(findings all: [Finding], calls: [RunnerModuleCall], knowledge: KnowledgeBase, target: ModuleVersion) -> UpgradeChecklist {
        let currents = calls.compactMap(\.version)
        let from = currents.min()
        let newest = currents.count > 1 && currents.max() != from ? currents.max() : nil

        // Findings by the major release that introduced what they are about.
        // Lambda pins in lockstep with the module are one step of every upgrade, not a finding of a major.
        let coupled = all.filter { $0.ruleId == RuleID.jit109.rawValue && $0.message.hasPrefix(LambdaVersionRule.lockstepMessagePrefix) }
        let findings = all.filter { !$0.tags.contains("parse") && !coupled.contains($0) }
        var byMajor: [Int: [Finding]] = [:]
        var unplaced: [Finding] = []
        for f in findings {
            let relies = knowledge.rule(id: f.ruleId)?.reliesOn ?? []
            let crossed = relies.filter { v in (from.map { v > $0 } ?? true) && v <= target }
            if let first = crossed.min() ?? relies.filter({ $0 <= target }).max() {
                byMajor[first.major, default: []].append(f)
            } else {
                unplaced.append(f)
            }
        }
        func item(_ f: Finding) -> UpgradeChecklist.Item {
            UpgradeChecklist.Item(ruleId: f.ruleId, title: knowledge.rule(id: f.ruleId)?.title ?? f.ruleId, message: f.message, location: f.location,
                                  fix: f.fix?.description, fixApplies: f.fix?.isMachineApplicable ?? false, fingerprint: f.fingerprint)
        }
        var sections: [UpgradeChecklist.Section] = []
        let parse = all.filter { $0.tags.contains("parse") }
        if !parse.isEmpty { sections.append(.init(title: "Before you start", items: parse.map(item))) }
        let firstMajor = from.map { $0.major } ?? 3
        for major in firstMajor...max(firstMajor, target.major) {
            let items = byMajor[major] ?? []
            let crossesBoundary = from.map { $0.major < major } ?? true
            guard !items.isEmpty || (crossesBoundary && major <= target.major) else { continue }
            sections.append(.init(title: "v\(major)\(crossesBoundary ? " (major upgrade)" : "")", items: items.map(item),
                                  emptyNote: items.isEmpty ? "No finding in this repository for v\(major)." : nil))
        }
        if !unplaced.isEmpty { sections.append(.init(title: "Other findings", items: unplaced.map(item))) }
        var every = coupled.isEmpty ? [
            "Download the lambda artefacts of v\(target) (the `download-lambda` module's `tag`, or the zips you build) in the same change as the module version.",
        ] : []
        every += [
            "Rebuild every AMI whose start script changed (Packer templates, `images/`), and roll them out with the module.",
            "Review IAM: permission boundaries and policies of the roles the module creates must allow what v\(target) needs.",
            "Apply in a non-production environment first; read the plan for replaced resources (IAM roles, queues, lambdas).",
            "After the upgrade, watch runners being created, registering and terminating (scale-up and scale-down logs, the GitHub runner list).",
        ]
        return UpgradeChecklist(target: target.description, from: from?.description, newest: newest?.description,
                                calls: calls.map { .init(address: $0.address, file: $0.call.file) }, sections: sections, coupledPins: coupled.map(item), everyUpgrade: every)
    }

    /// The plan as the Markdown the `checklist` command writes.
    public static func markdown(_ plan: UpgradeChecklist, toolVersion: String) -> String {
        var out = "# Upgrade checklist: terraform-aws-github-runner to v\(plan.target)\n\n"
        if let from = plan.from {
            out += "Audited from v\(from)\(plan.newest.map { " (newest call: v\($0))" } ?? "") to v\(plan.target) with ghr-audit \(toolVersion).\n"
        } else {
            out += "No module call with a known release was found; the steps below assume the whole path to v\(plan.target).\n"
        }
        let calls = plan.calls.map { "\(MarkdownText.code($0.address)) in \(MarkdownText.code($0.file))" }
        if !calls.isEmpty { out += "Module calls: " + calls.joined(separator: ", ") + ".\n" }
        out += "\n"
        for section in plan.sections {
            out += "## \(section.title)\n\n"
            if section.items.isEmpty, let note = section.emptyNote { out += note + "\n\n"; continue }
            for item in section.items { out += self.item(item) }
            out += "\n"
        }
        out += "## Every upgrade\n\n"
        for item in plan.coupledPins { out += self.item(item) }
        for step in plan.everyUpgrade { out += "- [ ] \(step)\n" }
        return out
    }

    /// One step. Titles, messages and fixes quote names in code spans: those are kept as they
    /// are (an entity inside one would show literally), the prose around them is escaped.
    static func item(_ i: UpgradeChecklist.Item) -> String {
        let place = MarkdownText.code("\(i.location.path):\(i.location.start.line)")
        var s = "- [ ] **\(MarkdownText.inline(i.ruleId))** \(escape(i.title)): \(escape(i.message)) (\(place))\n"
        if let fix = i.fix { s += "  - Fix: \(escape(fix))\(i.fixApplies ? " (`ghr-audit fix` applies it)" : "")\n" }
        return s
    }

    static func escape(_ s: String) -> String { MarkdownText.inline(MarkdownText.oneLine(s)) }
}
