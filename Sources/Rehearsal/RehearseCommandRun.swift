import AuditCore
import Engine
import Foundation
import Rules

/// `--timeout 20s` or `--timeout 20` of `rehearse`: seconds, more than 0 and at most 600.
public enum RehearsalTimeout {
    public static func seconds(_ text: String) -> Double? {
        let t = text.hasSuffix("s") ? String(text.dropLast()) : text
        guard let v = Double(t), v > 0, v <= 600 else { return nil }
        return v
    }
}

/// `rehearse --format`.
public enum RehearsalFormat: String, CaseIterable, Sendable {
    case text, json
}

extension RehearsalRule {
    /// The rehearsal as a rule of the audit, with this process's executable as the stubs; nil
    /// when the sandbox cannot run here, after `say` tells why (one line, without its newline).
    public static func onThisMachine(shell: ShellChoice, timeout: Double, say: (String) -> Void) -> RehearsalRule? {
        if let why = Sandbox.unavailableReason() {
            say("ghr-audit: rehearsal skipped: \(why)")
            return nil
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return RehearsalRule(FleetRehearsals(rehearser: Rehearser(sandbox: Sandbox(stubExecutable: exe, timeout: timeout)), shells: shell))
    }
}

/// What `rehearse` prints and how it ends: the fleets' runs, the rehearsal findings a suppression
/// or a baseline dismissed, and exit status 1 when a rehearsal error is left.
public struct RehearsalOutcome: Sendable {
    public var fleets: [FleetRehearsal]
    public var dismissed: [DismissedFinding]
    public var status: ExitStatus

    /// The outcome of `run`, an audit that ran `rule`, gated by `baseline` (`--baseline`, else
    /// the configuration's) as `check` gates.
    public init(_ run: AuditRun, rule: RehearsalRule, baseline: BaselineInUse?) {
        let report = run.gatedReport(commandLine: baseline)
        let ids = Set(RuleRegistry.rehearsalIds.map(\.rawValue))
        fleets = rule.recorder.fleets
        dismissed = report.dismissed.filter { ids.contains($0.finding.ruleId) }
        status = report.findings.contains { ids.contains($0.ruleId) && $0.severity == .error } ? .findings : .clean
    }

    public func rendered(_ format: RehearsalFormat) -> String {
        switch format {
        case .text: RehearsalText.render(fleets) + Self.dismissedText(dismissed)
        case .json: Self.json(fleets, dismissed: dismissed)
        }
    }

    /// One line per rehearsal finding a suppression or a baseline dismissed.
    public static func dismissedText(_ dismissed: [DismissedFinding]) -> String {
        dismissed.map { d in
            let f = d.finding
            return "dismissed: \(f.ruleId) at \(f.location.path):\(f.location.start.line):\(f.location.start.column) (\(d.kind == .inSource ? "suppressed" : "baseline"): \(d.justification))\n"
        }.joined()
    }

    public static func json(_ fleets: [FleetRehearsal], dismissed: [DismissedFinding] = []) -> String {
        let items: [[String: Any]] = fleets.map { f in
            var o: [String: Any] = ["fleet": f.fleet, "call": f.call]
            if let t = f.target { o["target"] = "\(t)" }
            if let s = f.script { o["script"] = s }
            if let c = f.staticContract { o["static_contract"] = c.rawValue }
            if let s = f.skipped { o["skipped"] = s }
            o["runs"] = f.runs.map { r -> [String: Any] in
                ["situation": ["secret": r.situation.secret.rawValue, "ephemeral": r.situation.ephemeral,
                               "enable_jit_config": r.situation.jitFlag as Any? ?? NSNull()],
                 "shell": r.shell.rawValue, "verdict": r.verdict.key, "text": r.verdict.text, "breaks": r.verdict.breaks,
                 "seconds": (r.seconds * 10).rounded() / 10, "trace": r.runnerTrace]
            }
            return o
        }
        let gone: [[String: Any]] = dismissed.map { d in
            ["rule": d.finding.ruleId, "path": d.finding.location.path, "line": d.finding.location.start.line,
             "kind": d.kind == .inSource ? "suppressed" : "baseline", "justification": d.justification]
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["fleets": items, "dismissed": gone], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
