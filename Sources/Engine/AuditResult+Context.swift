import AuditCore
import Knowledge
import Rules

extension AuditResult {
    /// The rules' view of this result (workspace, model, script analyses), for work that follows
    /// the fleets after the audit (the boot rehearsal, which reads the scripts' scans: they are kept).
    public func ruleContext(knowledge: KnowledgeBase, target: TargetSelection, fromOverride: ModuleVersion? = nil) -> RuleContext {
        RuleContext(workspace: workspace, model: model, knowledge: knowledge, target: target, fromOverride: fromOverride,
                    scripts: ParallelLoader.analyseScripts(workspace, keepingScans: true))
    }
}

extension AuditResult {
    /// This result with `extra` findings (from work after the audit) sorted in, fingerprinted and
    /// redacted like the audit's own, and their files among the sources.
    public func addingFindings(_ extra: [Finding]) -> AuditResult {
        guard !extra.isEmpty else { return self }
        var copy = self
        var legacy = legacyFingerprints
        copy.report.findings = Auditor.finalise(report.findings + extra.map(\.redacted), workspace: workspace, legacy: &legacy)
        copy.legacyFingerprints = legacy
        for f in extra {
            for path in [f.location.path] + f.related.map(\.location.path) where copy.sources[path] == nil {
                copy.sources[path] = workspace.source(path)?.redacted
            }
        }
        return copy
    }
}
