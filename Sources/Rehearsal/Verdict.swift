import AuditCore
import Foundation

/// What the module gives one instance at boot: the per-instance secret (a JIT config or the
/// registration-token argument string) and the config parameters, as a release creates them for
/// an ephemeral or a persistent fleet.
public struct Situation: Sendable, Hashable, Codable {
    public enum Secret: String, Sendable, Hashable, Codable { case jit, token }
    public var secret: Secret
    public var ephemeral: Bool
    /// The `<config>/enable_jit_config` parameter ("true"/"false"), nil when the release does not create it.
    public var jitFlag: String?
    /// Whether the release writes `<config>/disable_default_labels` (5.20.0+).
    public var defaultLabelsParameter: Bool

    public init(secret: Secret, ephemeral: Bool, jitFlag: String?, defaultLabelsParameter: Bool = false) {
        self.secret = secret
        self.ephemeral = ephemeral
        self.jitFlag = jitFlag
        self.defaultLabelsParameter = defaultLabelsParameter
    }

    public static let jitRelease = ModuleVersion(4, 0, 0)
    public static let jitSwitchRelease = ModuleVersion(4, 0, 1)
    public static let defaultLabelsRelease = ModuleVersion(5, 20, 0)

    /// What `target` creates for a fleet: `jitSetting` is `enable_jit_config` as written (nil: unset).
    public static func at(_ target: ModuleVersion, ephemeral: Bool, jitSetting: Bool?) -> Situation {
        let labels = target >= defaultLabelsRelease
        guard target >= jitRelease else { return Situation(secret: .token, ephemeral: ephemeral, jitFlag: nil, defaultLabelsParameter: labels) }
        guard target >= jitSwitchRelease else {
            return Situation(secret: ephemeral ? .jit : .token, ephemeral: ephemeral, jitFlag: nil, defaultLabelsParameter: labels)
        }
        // The parameter is `enable_jit_config ?? enable_ephemeral_runners`; the lambda uses JIT only
        // for ephemeral runners with it on.
        let flag = jitSetting ?? ephemeral
        return Situation(secret: ephemeral && flag ? .jit : .token, ephemeral: ephemeral, jitFlag: flag ? "true" : "false", defaultLabelsParameter: labels)
    }

    /// "ephemeral, JIT config, enable_jit_config=true".
    public var label: String {
        var parts = [ephemeral ? "ephemeral" : "persistent", secret == .jit ? "JIT config" : "registration token"]
        parts.append(jitFlag.map { "enable_jit_config=\($0)" } ?? "no enable_jit_config parameter")
        return parts.joined(separator: ", ")
    }

    public static let configPath = "/github-action-runners/rehearsal/runners/config"
    public static let tokenPath = "/github-action-runners/rehearsal/runners/tokens"

    /// The fake instance for this situation.
    public var world: RehearsalWorld {
        var w = RehearsalWorld(tags: [:], parameters: [:], secretName: "")
        w.tags = ["ghr:environment": "rehearsal", "ghr:ssm_config_path": Self.configPath, "ghr:runner_name_prefix": "rehearsal-",
                  "Name": "rehearsal-action-runner"]
        var p = [
            "run_as": "ec2-user", "enable_cloudwatch": "false", "agent_mode": ephemeral ? "ephemeral" : "persistent",
            "token_path": Self.tokenPath,
        ]
        if let jitFlag { p["enable_jit_config"] = jitFlag }
        if defaultLabelsParameter { p["disable_default_labels"] = "false" }
        w.parameters = Dictionary(uniqueKeysWithValues: p.map { ("\(Self.configPath)/\($0.key)", $0.value) })
        w.secretName = "\(Self.tokenPath)/\(w.instanceId)"
        w.parameters[w.secretName] = secret == .jit ? FakeSecrets.jitConfig : FakeSecrets.tokenArguments(ephemeral: ephemeral)
        return w
    }
}

/// How one rehearsal run ended.
public enum RehearsalVerdict: Sendable, Hashable {
    /// `run.sh --jitconfig` started the runner with the JIT config.
    case jitContract
    /// `config.sh` registered with the token string, then `run.sh` or the service started the runner.
    case tokenContract
    /// The registration-token argument string reached `run.sh --jitconfig`.
    case tokenToJitconfig
    /// The JIT config reached `config.sh`.
    case jitToConfig
    /// `run.sh` ran without any registration.
    case runWithoutRegistration
    /// The script never started a runner: timed out, or ended first (why).
    case neverStarts(String)
    /// The run cannot tell (an unmodelled call, a download, a Windows command).
    case notRehearsable(String)

    /// A stable key for machine output.
    public var key: String {
        switch self {
        case .jitContract: "jit-contract"
        case .tokenContract: "token-contract"
        case .tokenToJitconfig: "token-to-jitconfig"
        case .jitToConfig: "jit-to-config"
        case .runWithoutRegistration: "run-without-registration"
        case .neverStarts: "never-starts"
        case .notRehearsable: "not-rehearsable"
        }
    }

    public var text: String {
        switch self {
        case .jitContract: "JIT contract: `run.sh --jitconfig` started the runner"
        case .tokenContract: "token contract: `config.sh` registered, then the runner started"
        case .tokenToJitconfig: "the registration-token string was passed to `run.sh --jitconfig`"
        case .jitToConfig: "the JIT config was passed to `config.sh`"
        case .runWithoutRegistration: "`run.sh` ran without registration"
        case .neverStarts(let why): "never starts: \(why)"
        case .notRehearsable(let why): "not rehearsable: \(why)"
        }
    }

    /// Whether the fleet's runners fail to register with this outcome.
    public var breaks: Bool {
        switch self {
        case .jitContract, .tokenContract, .notRehearsable: false
        default: true
        }
    }

    /// Judges a run's trace.
    public static func judge(_ events: [TraceEvent], situation: Situation, timedOut: Bool, timeout: Double) -> (RehearsalVerdict, TraceEvent?) {
        let jit = FakeSecrets.jitConfig
        let runner = events.filter { RehearsalStub.runnerNames.contains($0.tool) }
        if situation.secret == .jit, let e = runner.first(where: { $0.tool == "config.sh" && $0.args.contains { $0.contains(jit) } }) {
            return (.jitToConfig, e)
        }
        if situation.secret == .token,
           let e = runner.first(where: { $0.tool == "run.sh" && $0.args.contains { $0.lowercased() == "--jitconfig" } && $0.outcome == .rejected }) {
            return (.tokenToJitconfig, e)
        }
        if let e = runner.first(where: { $0.tool == "run.sh" && $0.outcome == .started && $0.args.contains { $0.lowercased() == "--jitconfig" } }) {
            return (.jitContract, e)
        }
        let configured = runner.contains { $0.tool == "config.sh" && $0.outcome == .configured }
        if configured, let e = runner.first(where: { ($0.tool == "run.sh" && $0.outcome == .started) || ($0.tool == "svc.sh" && $0.outcome == .serviceStarted) }) {
            return (.tokenContract, e)
        }
        if let e = runner.first(where: { $0.tool == "run.sh" && $0.outcome == .rejected && !$0.args.contains { $0.lowercased() == "--jitconfig" } }) {
            return (.runWithoutRegistration, e)
        }
        if let e = events.first(where: { $0.outcome == .unmodelled }) {
            return (.notRehearsable("\(e.summary) is outside what the stubs model"), e)
        }
        if let e = runner.first(where: { $0.tool == "config.sh" && $0.outcome == .rejected }) {
            return (.neverStarts("`config.sh` refused to register: \(FakeSecrets.redact(e.detail ?? ""))"), e)
        }
        if let e = events.first(where: { $0.outcome == .network }) {
            return (.notRehearsable("the script needs the network (\(FakeSecrets.redact(e.detail ?? e.tool))), which the sandbox does not have"), e)
        }
        if timedOut { return (.neverStarts("still running after \(Int(timeout)) s without starting the runner"), nil) }
        if let exit = events.last(where: { $0.tool == "script" }) {
            return (.neverStarts(exit.status == 0 ? "the script ended without starting a runner" : "the script exited with status \(exit.status ?? -1) before starting the runner"), exit)
        }
        return (.neverStarts("the script ended without starting a runner"), nil)
    }
}
