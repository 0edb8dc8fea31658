import ArgumentParser
import AuditCore
import Engine
import Foundation
import Knowledge
import Rules
import Rehearsal

extension ShellChoice: ExpressibleByArgument {}

/// `--timeout 20s` or `--timeout 20`.
struct Seconds: ExpressibleByArgument {
    var value: Double
    init?(argument: String) {
        let t = argument.hasSuffix("s") ? String(argument.dropLast()) : argument
        guard let v = Double(t), v > 0, v <= 600 else { return nil }
        value = v
    }
}

enum RehearsalFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// What `rehearse` and `check --rehearse` share: running the fleets' start scripts.
enum RehearsalRun {
    /// The sandbox, or nil after saying once why rehearsal cannot run here (unless `quiet`).
    static func rehearser(timeout: Double, quiet: Bool = false) -> Rehearser? {
        if let why = Sandbox.unavailableReason() {
            if !quiet { writeStderr("ghr-audit: rehearsal skipped: \(why)\n") }
            return nil
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return Rehearser(sandbox: Sandbox(stubExecutable: exe, timeout: timeout))
    }

    /// The rehearsal as a rule of the audit, or nil after saying once why it cannot run here (unless `quiet`).
    static func rule(shell: ShellChoice, timeout: Double, quiet: Bool = false) -> RehearsalRule? {
        rehearser(timeout: timeout, quiet: quiet).map { RehearsalRule(FleetRehearsals(rehearser: $0, shells: shell)) }
    }
}

struct RehearseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Run each Linux fleet's start script in a bubblewrap sandbox and show which registration contract it follows.")

    @Argument(help: "The repository to rehearse (default: the current directory).")
    var path: String = "."

    @OptionGroup var flags: AuditFlags

    @Option(help: "`/bin/sh` in the sandbox: auto (dash for Ubuntu fleets, else bash), bash, dash or both.")
    var shell: ShellChoice = .auto

    @Option(help: "Seconds a run may take before it counts as never starting (`20s` or `20`, at most 600).")
    var timeout: Seconds = Seconds(argument: "20")!

    @Option(help: "Output format: text or json.")
    var format: RehearsalFormat = .text

    @Option(help: "Findings recorded in this baseline file (`check --write-baseline`) do not fail the run; default: the configuration's `baseline`.")
    var baseline: String?

    func run() throws {
        let knowledge = try loadKnowledge()
        // The progress line covers the audit and the sandbox runs (the rehearsal is one of its rules);
        // `--quiet` keeps the verdicts and says nothing else (not even why the sandbox cannot run).
        guard let rule = RehearsalRun.rule(shell: shell, timeout: timeout.value, quiet: flags.quiet) else { return }
        let audit = try flags.withProgress { progress in
            try flags.audit(paths: [path], knowledge: knowledge, extraRules: [rule], progress: progress)
        }
        let fleets = rule.recorder.fleets
        // Inline suppressions and baselines apply to the rehearsal's findings as to any other.
        let commandLine = try baseline.map { path throws in try Invocation.baselineInUse(path, host: LocalHostFiles()) }
        let report = audit.gatedReport(commandLine: commandLine)
        let ids = Set(RuleRegistry.rehearsalIds.map(\.rawValue))
        let dismissed = report.dismissed.filter { ids.contains($0.finding.ruleId) }
        switch format {
        case .text: writeStdout(RehearsalText.render(fleets) + Self.dismissedText(dismissed))
        case .json: writeStdout(Self.json(fleets, dismissed: dismissed))
        }
        if report.findings.contains(where: { ids.contains($0.ruleId) && $0.severity == .error }) { throw ExitCode(ExitStatus.findings.rawValue) }
    }

    /// One line per rehearsal finding a suppression or a baseline dismissed.
    static func dismissedText(_ dismissed: [DismissedFinding]) -> String {
        dismissed.map { d in
            let f = d.finding
            return "dismissed: \(f.ruleId) at \(f.location.path):\(f.location.start.line):\(f.location.start.column) (\(d.kind == .inSource ? "suppressed" : "baseline"): \(d.justification))\n"
        }.joined()
    }

    static func json(_ fleets: [FleetRehearsal], dismissed: [DismissedFinding] = []) -> String {
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
