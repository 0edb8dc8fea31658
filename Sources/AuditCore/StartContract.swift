/// Which runner start contract of terraform-aws-github-runner a script implements: the one
/// vocabulary of the script readers, the fingerprint table and the rules.
public enum StartContract: String, Sendable, Hashable, Codable, CaseIterable {
    /// v3 contract: `config.sh`/`config.cmd` gets the per-instance SSM value and there is no `--jitconfig`
    /// anywhere. Breaks for ephemeral runners once the module stores JIT configurations (4.0.0+). Any
    /// `agent_mode` guard on the call is listed in the evidence.
    case tokenOnly
    /// 4.0.0 contract: ephemeral runners start with `run.sh --jitconfig` and `config.sh` with the SSM
    /// value never runs for them, but `enable_jit_config` is not read — or is read without switching
    /// both paths — so `enable_jit_config = false` breaks registration.
    case jitOnly
    /// 4.0.1+ contract: reads `enable_jit_config` and runs `config.sh` with the SSM value only when JIT is
    /// off or the runner is not ephemeral; `--jitconfig` otherwise.
    case jitAware
    /// Embeds the module's own start script through a `${start_runner}` template placeholder.
    case wrapper
    /// Does not use the per-instance SSM parameter at all (own token from the GitHub API, or not a
    /// runner start script).
    case unrelated
    /// Uses `--jitconfig` but can also run `config.sh` with the SSM value for ephemeral runners with JIT
    /// on: no module version matches; the JIT config would reach `config.sh`.
    case mixed
    /// Reads the per-instance SSM parameter, but no `config.sh`/`config.cmd` or `--jitconfig` consumes
    /// it in this file (another script may).
    case undetermined

    /// The contract in a few words, as the fleet map and the live comparison show it.
    public var phrase: String {
        switch self {
        case .tokenOnly: "token-only"
        case .jitOnly: "JIT only (4.0.0 contract)"
        case .jitAware: "reads enable_jit_config"
        case .wrapper: "embeds the module's script"
        case .unrelated: "not a runner start script"
        case .mixed: "token and JIT mixed"
        case .undetermined: "contract not determined"
        }
    }

    /// Whether runners that get JIT configurations fail with this script.
    public var failsWithJIT: Bool { self == .tokenOnly || self == .mixed }
}
