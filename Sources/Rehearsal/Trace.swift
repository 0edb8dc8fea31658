import Foundation

/// One call a stub recorded: which command, with which arguments, as which user, and what the
/// stub made of it. Written as one JSON line per call.
public struct TraceEvent: Codable, Sendable, Hashable {
    /// The command as called (`config.sh`, `aws`, `curl`, `script` for the script's own exit).
    public var tool: String
    public var args: [String]
    /// The user the command runs as (`root` unless `sudo -u`/`su` changed it).
    public var user: String
    public var outcome: Outcome
    /// A short explanation (the runner's error message, the URL, why it is unmodelled).
    public var detail: String?
    /// The script's exit status (tool `script`).
    public var status: Int32?

    public enum Outcome: String, Codable, Sendable, Hashable {
        /// Answered as the real command would (metadata, SSM, tags, a package manager).
        case ok
        /// A runner stub accepted the call: `config.sh` registered, `run.sh` started, `svc.sh` ran.
        case configured, started, serviceInstalled, serviceStarted
        /// A runner stub rejected the call as actions/runner does (the detail has its message).
        case rejected
        /// A network call other than the instance metadata service: refused (no network).
        case network
        /// The instance terminated itself or shut down.
        case terminated
        /// The call is outside what the stubs model: the run cannot tell what would happen.
        case unmodelled
        /// The end of the script (tool `script`).
        case exited
    }

    public init(tool: String, args: [String], user: String, outcome: Outcome, detail: String? = nil, status: Int32? = nil) {
        self.tool = tool
        self.args = args
        self.user = user
        self.outcome = outcome
        self.detail = detail
        self.status = status
    }

    /// The call as a short line, fake secrets redacted: `config.sh --unattended … (rejected: …)`.
    public var summary: String {
        let call = ([tool] + args.map { $0.contains(" ") || $0.isEmpty ? "\"\($0)\"" : $0 }).joined(separator: " ")
        var s = FakeSecrets.redact(call)
        if s.count > 240 { s = String(s.prefix(237)) + "…" }
        let user = self.user == "root" ? "" : " as \(self.user)"
        switch outcome {
        case .exited: return "the script exited with status \(status ?? -1)"
        default:
            let d = detail.map { ": " + FakeSecrets.redact($0) } ?? ""
            return "`\(s)`\(user) (\(outcome.rawValue)\(d))"
        }
    }
}

/// Reads a trace file (one JSON event per line; unreadable lines are reported as unmodelled).
public enum TraceFile {
    public static func read(_ data: Data) -> [TraceEvent] {
        let decoder = JSONDecoder()
        return data.split(separator: UInt8(ascii: "\n")).map { line in
            (try? decoder.decode(TraceEvent.self, from: Data(line)))
                ?? TraceEvent(tool: "trace", args: [], user: "root", outcome: .unmodelled, detail: "an unreadable trace line")
        }
    }
}
