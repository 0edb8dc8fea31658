import AuditCore
import HCL
import Knowledge
import Terraform

/// JIT-106: an ephemeral GHES fleet relies on the generate-jitconfig API.
public struct GHESJITRule: Rule {
    public let id = RuleID.jit106
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        for facts in context.fleetFacts {
            guard facts.jit == true, let target = facts.target, let ghes = facts.setInput("ghes_url") else { continue }
            if let s = ghes.value.stringValue, s.isEmpty { continue }
            let known = ghes.value.stringValue
            let edits = target >= FleetFacts.jitSwitchRelease
                ? Fixes.addInput("enable_jit_config", value: "false", to: facts.fleet, after: facts.ephemeralInput, workspace: context.workspace) : nil
            var related = context.fleetNotes(facts)
            if let e = facts.ephemeralInput { related.insert(RelatedNote("ephemeral runners are enabled here", at: e.valueRange), at: 0) }
            if known != nil, ghes.valueRange != ghes.range {
                related.insert(RelatedNote("`ghes_url` is passed to the module here", at: ghes.range), at: 0)
            }
            let message = known.map { "fleet `\(facts.fleet.name)` on GHES `\($0)` registers with JIT configs at \(target), which need GHES 3.10 or later" }
                ?? "fleet `\(facts.fleet.name)` sets `ghes_url` from \(Self.expressionText(ghes, context)), a value ghr-audit cannot know\(Self.reason(ghes.value)); if it is a GHES address, its runners register with JIT configs at \(target), which need GHES 3.10 or later"
            out.append(context.finding(
                id, message,
                at: known != nil ? ghes.valueRange : ghes.range,
                detail: "From 4.0.0 the scale-up lambda calls the generate-jitconfig API for ephemeral runners. GHES releases before 3.10 do not have it, and the module's documentation still recommends `enable_jit_config = false` on GHES. Confirm the GHES version, or set `enable_jit_config = false`\(target >= FleetFacts.jitSwitchRelease ? "" : " (from 4.0.1)") to keep registration tokens.",
                related: related,
                fix: Fix("Confirm GHES is 3.10 or later, or set `enable_jit_config = false`", edits: edits ?? [])))
        }
        return out
    }
}

extension GHESJITRule {
    /// The expression as written (first line, at most 60 characters), in backticks.
    static func expressionText(_ input: FleetInput, _ context: RuleContext) -> String {
        let r = input.range
        guard let text = context.workspace.source(r.path)?.text(from: r.start.offset, to: r.end.offset) else { return "an expression" }
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? text
        return "`" + (line.count > 60 || line.count < text.count ? String(line.prefix(60)) + "…" : line) + "`"
    }

    /// ` (var.x has no value in this repository)` for an unknown value.
    static func reason(_ v: Value) -> String {
        if case .unknown(let why) = v.kind, !why.isEmpty { return " (\(why))" }
        return ""
    }
}
