/// The command line of the actions/runner listener as its parser reads it (module-facts 9.3,
/// actions/runner `CommandLineParser.cs` and `CommandSettings.cs`): `--name value` pairs, a `--name`
/// followed by another `--name` (or by nothing) is a flag, and a bare value with no open `--name`
/// is silently dropped. Names are case-insensitive.
public struct RunnerCommandLine: Sendable, Hashable {
    public var flags: [String] = []
    public var args: [(name: String, value: String)] = []
    /// Bare values the parser ignores.
    public var dropped: [String] = []

    public static func == (a: Self, b: Self) -> Bool {
        a.flags == b.flags && a.dropped == b.dropped && a.args.map(\.name) == b.args.map(\.name) && a.args.map(\.value) == b.args.map(\.value)
    }
    public func hash(into h: inout Hasher) { h.combine(flags); h.combine(dropped); h.combine(args.map(\.name)); h.combine(args.map(\.value)) }

    public init(_ argv: [String]) {
        var open: String?
        for a in argv {
            if a.hasPrefix("--") {
                if let o = open { flags.append(o) }
                open = String(a.dropFirst(2)).lowercased()
            } else if let o = open {
                args.append((o, a))
                open = nil
            } else {
                dropped.append(a)
            }
        }
        if let o = open { flags.append(o) }
    }

    public func value(_ name: String) -> String? { args.first { $0.name == name }?.value }
    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// Names the command does not accept, flags first, as the runner lists them.
    public func unrecognized(validFlags: Set<String>, validArgs: Set<String>) -> [String] {
        var out: [String] = []
        for f in flags where !validFlags.contains(f) && !validArgs.contains(f) && !out.contains(f) { out.append(f) }
        for a in args where !validArgs.contains(a.name) && !validFlags.contains(a.name) && !out.contains(a.name) { out.append(a.name) }
        return out
    }

    /// Flags every command takes.
    public static let commonFlags: Set<String> = ["help", "version", "commit", "check"]
    /// `run` accepts only `once`, `jitconfig` and `startuptype` (CommandSettings.cs:64-70).
    public static let runFlags: Set<String> = commonFlags.union(["once"])
    public static let runArgs: Set<String> = ["jitconfig", "startuptype"]
    public static let configureFlags: Set<String> = commonFlags.union([
        "unattended", "replace", "disableupdate", "ephemeral", "runasservice", "generateserviceconfig", "no-default-labels"])
    public static let configureArgs: Set<String> = [
        "url", "token", "pat", "auth", "name", "runnergroup", "labels", "work", "monitorsocketaddress",
        "windowslogonaccount", "windowslogonpassword", "username", "password"]

    /// The runner's message for names a command does not accept.
    public static func unrecognizedMessage(_ names: [String], command: String) -> String {
        "Unrecognized command-line input arguments for command \(command): '\(names.joined(separator: ", "))'. For usage refer to: .\\config.cmd --help or ./config.sh --help"
    }
}
