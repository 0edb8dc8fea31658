import AuditCore
import HCL
import Knowledge
import Terraform

/// What a fleet is at a given module release: its OS, whether runners are ephemeral, whether they
/// register with a JIT config, and how they boot. Every answer may be unknown (nil); rules then stay
/// silent or say what they could not know, never guess.
public struct FleetFacts: Sendable {
    public var call: RunnerModuleCall
    public var fleet: Fleet
    public var target: ModuleVersion?

    public init(call: RunnerModuleCall, fleet: Fleet, target: ModuleVersion?) {
        self.call = call
        self.fleet = fleet
        self.target = target
    }

    public static let jitRelease = ModuleVersion(4, 0, 0)
    public static let jitSwitchRelease = ModuleVersion(4, 0, 1)
    public static let windowsJITRelease = ModuleVersion(5, 16, 3)
    public static let userdataContentRelease = ModuleVersion(5, 10, 0)

    /// A value is "set" when written and not null.
    func setInput(_ name: String) -> FleetInput? {
        guard let i = fleet.input(name), !i.value.isNull else { return nil }
        return i
    }

    /// `linux`, `windows`, `osx`; nil when unknown. Defaults to `linux` as the module does.
    public var os: String? {
        guard let i = setInput("runner_os") else { return "linux" }
        return i.value.stringValue?.lowercased()
    }

    /// nil when the value is not known statically.
    public var ephemeral: Bool? {
        guard let i = setInput("enable_ephemeral_runners") else { return false }
        return i.value.isUnknown ? nil : i.value.boolValue
    }

    public var ephemeralInput: FleetInput? { setInput("enable_ephemeral_runners") }
    public var jitInput: FleetInput? { setInput("enable_jit_config") }

    /// The `enable_jit_config` value as written: nil when unset (null), `.some(nil)` when unknown.
    public var jitSetting: Bool?? {
        guard let i = setInput("enable_jit_config") else { return nil }
        if i.value.isUnknown { return .some(nil) }
        return .some(i.value.boolValue)
    }

    /// Whether runners register with a JIT config at the target release (the scale-up lambda's
    /// decision: ephemeral and, from 4.0.1, `enable_jit_config` not false).
    public var jit: Bool? {
        guard let target else { return nil }
        if target < Self.jitRelease { return false }
        guard let eph = ephemeral else { return nil }
        if !eph { return false }
        if target < Self.jitSwitchRelease { return true }
        switch jitSetting {
        case nil: return true
        case .some(nil): return nil
        case .some(.some(let b)): return b
        }
    }

    /// How the runner's start script gets onto the instance.
    public enum BootPath: Sendable {
        /// The module's own user data and start script of the target release.
        case moduleDefault
        /// `userdata_template`: the path (nil when unknown) and the input.
        case userdataTemplate(path: String?, input: FleetInput)
        /// `userdata_content` (5.10+): the file it was read from when known.
        case userdataContent(file: String?, input: FleetInput)
        /// `enable_userdata = false`: the start script is baked into the AMI.
        case ami(input: FleetInput)
    }

    public var bootPath: BootPath {
        for name in ["enable_userdata", "enabled_userdata"] {
            if let i = setInput(name), i.value.boolValue == false { return .ami(input: i) }
        }
        if let i = setInput("userdata_content") {
            return .userdataContent(file: Self.fileBehind(i.value, inFileOf: i.range), input: i)
        }
        if let i = setInput("userdata_template") {
            // Terraform resolves a relative path against its working directory: the root module.
            return .userdataTemplate(path: i.value.stringValue.flatMap { Paths.join(call.scope.rootDirectory, $0) }, input: i)
        }
        return .moduleDefault
    }

    /// The file a value was read from (`file()`/`templatefile()` keep the file as origin).
    static func fileBehind(_ v: Value, inFileOf range: SourceRange) -> String? {
        guard let o = v.origin, o.path != range.path else { return nil }
        return o.path
    }

    /// A short label for reports.
    public var bootLabel: String {
        switch bootPath {
        case .moduleDefault: "module-default"
        case .userdataTemplate(let path, _): "userdata_template:" + (path ?? "unknown")
        case .userdataContent(let file, _): "userdata_content:" + (file ?? "inline")
        case .ami: "ami"
        }
    }

    /// Whether the fleet is Ubuntu, from its AMI filter, `runner_run_as`, or OS hints.
    public var ubuntuEvidence: FleetInput? {
        if let i = setInput("runner_run_as"), i.value.stringValue == "ubuntu" { return i }
        for name in ["ami_filter", "ami"] {
            guard let i = setInput(name) else { continue }
            if Self.mentionsUbuntu(i.value) { return i }
        }
        return nil
    }

    static func mentionsUbuntu(_ v: Value) -> Bool {
        switch v.kind {
        case .string(let s): s.lowercased().contains("ubuntu")
        case .list(let l): l.contains(where: mentionsUbuntu)
        case .object(let o): o.values.contains(where: mentionsUbuntu)
        default: false
        }
    }
}
