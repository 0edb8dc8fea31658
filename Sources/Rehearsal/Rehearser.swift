import Foundation

/// One run of one script in one situation with one `/bin/sh`.
public struct ScriptRehearsal: Sendable {
    public var situation: Situation
    public var shell: RehearsalShell
    public var verdict: RehearsalVerdict
    /// The call the verdict rests on (the runner command that got the wrong value, or started).
    public var decisive: TraceEvent?
    public var trace: [TraceEvent]
    /// The script's last output lines (redacted).
    public var output: String
    public var seconds: Double

    /// The runner commands and anything unmodelled, as short lines (fake secrets redacted).
    public var runnerTrace: [String] {
        trace.filter { RehearsalStub.runnerNames.contains($0.tool) || $0.tool == "script" || [.unmodelled, .network, .terminated].contains($0.outcome) }
            .map(\.summary)
    }
}

/// Runs scripts in the sandbox, once per situation and shell, and judges each run.
public struct Rehearser: Sendable {
    public var sandbox: Sandbox

    public init(sandbox: Sandbox) { self.sandbox = sandbox }

    public func rehearse(script: String, name: String, siblings: [String: Data] = [:], situation: Situation, shell: RehearsalShell) -> ScriptRehearsal {
        do {
            let r = try sandbox.run(script: script, name: name, siblings: siblings, world: situation.world, shell: shell)
            let (verdict, event) = RehearsalVerdict.judge(r.events, situation: situation, timedOut: r.timedOut, timeout: sandbox.timeout)
            return ScriptRehearsal(situation: situation, shell: shell, verdict: verdict, decisive: event, trace: r.events, output: r.output, seconds: r.seconds)
        } catch {
            return ScriptRehearsal(situation: situation, shell: shell, verdict: .notRehearsable("\(error)"), decisive: nil, trace: [], output: "", seconds: 0)
        }
    }
}
