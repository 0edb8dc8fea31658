import AuditCore
import Knowledge
import Rules
import Terraform

/// A Markdown upgrade plan tailored to the repository: for each major release crossed, in order,
/// the steps this repository needs (each pointing at the finding behind it), then the steps every
/// upgrade needs. A pure function of the audit result: deterministic output.
public enum Checklist {
    /// The checklist of `result` (its report's findings; `hidden`: findings a display filter
    /// took out, so that a major release is never said to have no finding when it has some).
    public static func render(_ result: AuditResult, knowledge: KnowledgeBase, target: ModuleVersion, hidden: [Finding] = []) -> String {
        markdown(plan(findings: result.report.findings, calls: result.model.calls, knowledge: knowledge, target: target,
                      hidden: hidden + result.report.dismissed.map(\.finding), pinned: result.report.target == TargetSelection.pinned.description),
                 toolVersion: result.report.toolVersion)
    }

    /// The major release a finding belongs under: that of the release where its change happens
    /// (`changedIn`), else the first release of the rule's `relies_on` the upgrade crosses, else
    /// its newest at or below the target; never before the calls' current major nor after the
    /// target's. Nil when neither says anything.
    static func major(of f: Finding, from: ModuleVersion?, target: ModuleVersion, knowledge: KnowledgeBase) -> Int? {
        place(of: f, from: from, target: target, knowledge: knowledge)?.major
    }

    /// The release a finding is filed under (see `major(of:)`), its major clamped to the upgrade.
    static func place(of f: Finding, from: ModuleVersion?, target: ModuleVersion, knowledge: KnowledgeBase) -> (major: Int, release: ModuleVersion)? {
        let placed: ModuleVersion?
        if let changed = f.changedIn, changed <= target {
            placed = changed
        } else {
            let relies = knowledge.rule(id: f.ruleId)?.reliesOn ?? []
            let crossed = relies.filter { v in (from.map { v > $0 } ?? true) && v <= target }
            placed = crossed.min() ?? relies.filter({ $0 <= target }).max()
        }
        guard let placed else { return nil }
        return (min(max(placed.major, from?.major ?? placed.major), target.major), placed)
    }

    /// The plan: findings placed under the major release in which what they are about changes.
    /// `hidden`: findings not shown (a display filter, suppressions, baselines), counted where a
    /// major would otherwise read "no finding". `pinned`: each call was audited at the release it
    /// pins (`--target pinned`): the plan lists what is wrong at those releases, by their majors,
    /// and is no upgrade (`target` is then ignored).
    public static func plan(findings all: [Finding], calls allCalls: [RunnerModuleCall], knowledge: KnowledgeBase, target requested: ModuleVersion,
                            hidden: [Finding] = [], pinned: Bool = false) -> UpgradeChecklist {
        // The release the upgrade starts from is that of the runner module calls: a
        // `download-lambda` call or another submodule pins lambdas, not the fleets.
        let calls = allCalls.filter { NoRunnerModuleRule.runnerKinds.contains($0.kind) }
        let currents = calls.compactMap(\.version)
        let from = currents.min()
        let newest = currents.count > 1 && currents.max() != from ? currents.max() : nil
        // At the pinned releases the findings sit between the oldest and the newest pin.
        let target = pinned ? (currents.max() ?? requested) : requested

        // Lambda pins in lockstep with the module are one step of every upgrade, not a finding of a major.
        let isCoupled = { (f: Finding) in f.ruleId == RuleID.jit109.rawValue && f.message.hasPrefix(LambdaVersionRule.lockstepMessagePrefix) }
        let coupled = all.filter(isCoupled)
        let findings = all.filter { !$0.tags.contains("parse") && !isCoupled($0) }
        var byMajor: [Int: [(release: ModuleVersion, finding: Finding)]] = [:]
        var unplaced: [Finding] = []
        for f in findings {
            if let p = place(of: f, from: from, target: target, knowledge: knowledge) { byMajor[p.major, default: []].append((p.release, f)) } else { unplaced.append(f) }
        }
        var hiddenByMajor: [Int: Int] = [:]
        for f in hidden where !f.tags.contains("parse") && !isCoupled(f) {
            if let m = major(of: f, from: from, target: target, knowledge: knowledge) { hiddenByMajor[m, default: 0] += 1 }
        }
        func item(_ f: Finding) -> UpgradeChecklist.Item {
            UpgradeChecklist.Item(ruleId: f.ruleId, title: knowledge.rule(id: f.ruleId)?.title ?? f.ruleId, message: f.message, location: f.location,
                                  fix: f.fix?.description, fixApplies: f.fix?.isMachineApplicable ?? false, fingerprint: f.fingerprint)
        }
        var sections: [UpgradeChecklist.Section] = []
        let parse = all.filter { $0.tags.contains("parse") }
        if !parse.isEmpty { sections.append(.init(title: "Before you start", items: parse.map(item))) }
        let firstMajor = min(from.map { $0.major } ?? 3, target.major)
        for major in firstMajor...target.major {
            // In the order of the releases where the changes happen, then of the findings.
            let items = (byMajor[major] ?? []).enumerated().sorted { ($0.element.release, $0.offset) < ($1.element.release, $1.offset) }.map(\.element.finding)
            let crossesBoundary = !pinned && (from.map { $0.major < major } ?? true)
            guard !items.isEmpty || crossesBoundary else { continue }
            if pinned {
                sections.append(.init(title: "v\(major) (pinned)", items: items.map(item)))
                continue
            }
            var emptyNote: String?
            if items.isEmpty {
                if let n = hiddenByMajor[major], n > 0 {
                    emptyNote = "No finding shown for v\(major): \(n) \(n == 1 ? "finding is" : "findings are") hidden (display filter, suppression or baseline)."
                } else if from == nil {
                    emptyNote = "No finding in this repository for v\(major); the current release is not known, so changes that depend on it (defaults, removed inputs) could not all be checked."
                } else {
                    emptyNote = "No finding in this repository for v\(major)."
                }
            }
            sections.append(.init(title: "v\(major)\(crossesBoundary ? " (major upgrade)" : " (current major)")", items: items.map(item), emptyNote: emptyNote))
        }
        if !unplaced.isEmpty { sections.append(.init(title: "Other findings", items: unplaced.map(item))) }
        if pinned {
            // No upgrade: no step of every upgrade.
            return UpgradeChecklist(target: TargetSelection.pinned.description, pinned: true, from: from?.description, newest: newest?.description,
                                    calls: calls.map { .init(address: $0.address, file: $0.call.file) }, sections: sections, coupledPins: coupled.map(item), everyUpgrade: [])
        }
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
        if plan.pinned == true { return pinnedMarkdown(plan, toolVersion: toolVersion) }
        var out = "# Upgrade checklist: terraform-aws-github-runner \(plan.heading)\n\n"
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

    /// The checklist of a `--target pinned` run: each call against the release it pins.
    static func pinnedMarkdown(_ plan: UpgradeChecklist, toolVersion: String) -> String {
        var out = "# Checklist: terraform-aws-github-runner \(plan.heading)\n\n"
        if let from = plan.from {
            let releases = plan.newest.map { "v\(from) to v\($0)" } ?? "v\(from)"
            out += "Each module call audited at the release it pins (\(releases)) with ghr-audit \(toolVersion): what is wrong today, before any upgrade. "
                + "For an upgrade plan, give `--target` a release.\n"
        } else {
            out += "No module call with a known release was found: nothing could be compared with a pinned release.\n"
        }
        let calls = plan.calls.map { "\(MarkdownText.code($0.address)) in \(MarkdownText.code($0.file))" }
        if !calls.isEmpty { out += "Module calls: " + calls.joined(separator: ", ") + ".\n" }
        out += "\n"
        if plan.sections.allSatisfy(\.items.isEmpty) && plan.coupledPins.isEmpty {
            out += "No finding at the pinned releases.\n"
        }
        for section in plan.sections where !section.items.isEmpty {
            out += "## \(section.title)\n\n"
            for item in section.items { out += self.item(item) }
            out += "\n"
        }
        if !plan.coupledPins.isEmpty {
            out += "## Coupled pins\n\n"
            for item in plan.coupledPins { out += self.item(item) }
        }
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
