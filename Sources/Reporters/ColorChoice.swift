/// `--color auto|always|never` and what the environment says (no-color.org, `TERM=dumb`).
public enum ColorChoice: String, CaseIterable, Sendable {
    case auto, always, never

    /// Whether to colour output going to a terminal (`isTerminal`) in `environment`: `never`
    /// never, `always` always; `auto` only on a terminal, when `NO_COLOR` is unset or empty and
    /// `TERM` is not `dumb`.
    public func enabled(isTerminal: Bool, environment: [String: String]) -> Bool {
        switch self {
        case .never: return false
        case .always: return true
        case .auto:
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return isTerminal
        }
    }
}
