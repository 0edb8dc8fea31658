import AuditCore
import Foundation

extension AuditResult {
    /// The same result with every path made relative to the directory above the scan root, so the
    /// results of several roots can be shown together (`infra/main.tf` instead of `main.tf`).
    public func prefixingPaths(with root: String) -> AuditResult {
        var prefix = root
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if prefix == "." || prefix.isEmpty { return self }
        if prefix.hasPrefix("./") { prefix.removeFirst(2) }
        func p(_ r: SourceRange) -> SourceRange {
            var r = r
            r.path = prefix + "/" + r.path
            return r
        }
        func prefixed(_ f: Finding) -> Finding {
            var f = f
            f.location = p(f.location)
            f.related = f.related.map { RelatedNote($0.message, at: p($0.location)) }
            if var fix = f.fix {
                fix.edits = fix.edits.map { TextEdit(range: p($0.range), newText: $0.newText) }
                f.fix = fix
            }
            return f
        }
        var copy = self
        copy.report.findings = report.findings.map(prefixed)
        copy.report.dismissed = report.dismissed.map { DismissedFinding(prefixed($0.finding), kind: $0.kind, justification: $0.justification) }
        copy.unmaskedFixes = unmaskedFixes.mapValues { fix in
            var fix = fix
            fix.edits = fix.edits.map { TextEdit(range: p($0.range), newText: $0.newText) }
            return fix
        }
        copy.report.modules = report.modules.map { m in
            var m = m
            m.path = prefix + "/" + m.path
            m.anchor = m.anchor.map(p)
            m.fleets = m.fleets.map { fleet in
                var fleet = fleet
                fleet.anchor = fleet.anchor.map(p)
                func prefixed(_ part: FleetPart) -> FleetPart {
                    var part = part
                    part.location = part.location.map(p)
                    if part.isFile { part.label = prefix + "/" + part.label }
                    return part
                }
                fleet.boot = fleet.boot.map(prefixed)
                fleet.roles = fleet.roles.map(prefixed)
                return fleet
            }
            return m
        }
        if var plan = report.checklist {
            plan.sections = plan.sections.map { section in
                var section = section
                section.items = section.items.map { var i = $0; i.location = p(i.location); return i }
                return section
            }
            plan.calls = plan.calls.map { .init(address: $0.address, file: prefix + "/" + $0.file) }
            copy.report.checklist = plan
        }
        copy.sources = Dictionary(uniqueKeysWithValues: sources.map { (prefix + "/" + $0.key, SourceFile(path: prefix + "/" + $0.key, text: $0.value.text)) })
        return copy
    }

    /// Both results in one report (findings re-sorted).
    public func merging(_ other: AuditResult) -> AuditResult {
        var copy = self
        copy.report.findings = (report.findings + other.report.findings).sorted(by: Finding.ordered)
        copy.report.dismissed = (report.dismissed + other.report.dismissed).sorted { Finding.ordered($0.finding, $1.finding) }
        copy.legacyFingerprints.merge(other.legacyFingerprints) { a, _ in a }
        copy.report.modules += other.report.modules
        copy.report.filesScanned += other.report.filesScanned
        // One commit and one plan only when both roots agree on them.
        if copy.report.commit != other.report.commit { copy.report.commit = nil }
        if var plan = copy.report.checklist, let more = other.report.checklist, plan.target == more.target {
            plan.calls += more.calls
            for section in more.sections {
                if let i = plan.sections.firstIndex(where: { $0.title == section.title }) {
                    plan.sections[i].items += section.items
                    if !plan.sections[i].items.isEmpty { plan.sections[i].emptyNote = nil }
                } else {
                    plan.sections.append(section)
                }
            }
            copy.report.checklist = plan
        } else {
            copy.report.checklist = nil
        }
        for (k, v) in other.report.filesByKind { copy.report.filesByKind[k, default: 0] += v }
        for (k, v) in other.report.filesNotReached { copy.report.filesNotReached[k, default: 0] += v }
        copy.report.unresolved += other.report.unresolved
        copy.sources.merge(other.sources) { a, _ in a }
        copy.unmaskedFixes.merge(other.unmaskedFixes) { a, _ in a }
        return copy
    }
}
