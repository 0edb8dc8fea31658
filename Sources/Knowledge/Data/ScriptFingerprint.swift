import AuditCore
import Foundation

/// What part of the boot path a module file is.
public enum ScriptRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// `start-runner.*`: reads the SSM config, registers and starts the runner.
    case startScript = "start-script"
    /// `user-data.*`: the EC2 user data template that embeds the start script.
    case userData = "user-data"
    /// `install-runner.*`: downloads and unpacks the runner.
    case installScript = "install-script"
    /// `images/start-runner.*`: the wrapper Packer renders into an AMI around the start script.
    case packerWrapper = "packer-wrapper"
}

/// In which shape a fingerprinted text exists in the wild.
public enum ScriptForm: String, Sendable, Hashable, Codable, CaseIterable {
    /// The file exactly as it is in the module repository (Terraform template syntax intact);
    /// what a user vendors into their repository.
    case template
    /// The file after Terraform's `templatefile` with the variables in `ScriptFingerprintEntry.render`;
    /// what runs on an instance booted with user data.
    case rendered
    /// `images/start-runner.*` with the rendered start script inlined, as the module's Packer
    /// templates write it into an AMI.
    case packer
}

/// One known text of one module boot-path file.
public struct ScriptFingerprintEntry: Sendable, Hashable, Codable {
    /// SHA-256 (lower-case hex) of `ScriptFingerprint.normalise(text)`.
    public var sha256: String
    /// Path of the file in the module repository, e.g. `modules/runners/templates/start-runner.sh`.
    public var file: String
    public var form: ScriptForm
    /// How a `rendered`/`packer` form was produced, e.g. `metadata_tags=enabled`; nil for templates
    /// and for renderings without variables (only the `$${` escapes resolved).
    public var render: String?
    /// `linux`, `windows` or `osx`.
    public var os: String
    public var role: ScriptRole
    /// The contract read from the text's markers; nil (`none` in the file) when the text does not
    /// register a runner itself or its markers do not decide.
    public var contract: StartContract?
    /// Every release that shipped exactly this text (in `file` or one of `alsoIn`), ascending.
    public var releases: [ModuleVersion]
    /// Known defects of this exact text, one line each.
    public var defects: [String]
    /// Other module files with exactly the same text (e.g. two examples' identical user data).
    public var alsoIn: [String]

    public init(sha256: String, file: String, form: ScriptForm, render: String?, os: String, role: ScriptRole,
                contract: StartContract?, releases: [ModuleVersion], defects: [String], alsoIn: [String] = []) {
        self.sha256 = sha256
        self.file = file
        self.form = form
        self.render = render
        self.os = os
        self.role = role
        self.contract = contract
        self.releases = releases
        self.defects = defects
        self.alsoIn = alsoIn
    }

    /// The oldest release that shipped this text.
    public var firstRelease: ModuleVersion? { releases.first }
    /// The newest release that shipped this text.
    public var lastRelease: ModuleVersion? { releases.last }
}

public enum ScriptFingerprint {
    /// The text a fingerprint is computed from, insensitive to the edits that do not change what
    /// a script does when copied between machines and editors:
    /// 1. a leading UTF-8 byte-order mark is removed;
    /// 2. line endings are unified: CRLF and lone CR become LF;
    /// 3. trailing spaces and tabs are stripped from every line;
    /// 4. lines that are then empty are dropped;
    /// 5. the remaining lines are joined with LF, with no final LF.
    public static func normalise(_ text: String) -> String {
        // On the bytes: LF, CR, space, tab and the BOM's scalar are found exactly where the
        // scalars are (a multi-byte scalar holds no ASCII byte); walking the scalars cost 170
        // instructions a byte (1.5% of a monorepo's audit).
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func flush(_ end: Int) {
            var stop = end
            while stop > start, bytes[stop - 1] == UInt8(ascii: " ") || bytes[stop - 1] == UInt8(ascii: "\t") { stop -= 1 }
            guard stop > start else { return }
            if !out.isEmpty { out.append(UInt8(ascii: "\n")) }
            out.append(contentsOf: bytes[start..<stop])
        }
        var i = start
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                flush(i)
                i += c == UInt8(ascii: "\r") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") ? 2 : 1
                start = i
            } else {
                i += 1
            }
        }
        flush(bytes.count)
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 (lower-case hex) of the normalised text.
    public static func sha256(of text: String) -> String {
        Fingerprint.sha256Hex(Data(normalise(text).utf8))
    }

    /// The start contract a script text implements, read from its markers:
    /// `--jitconfig` and a lookup of `enable_jit_config` → `jitAware`; `--jitconfig` alone →
    /// `jitOnly`; `config.sh`/`config.cmd` without `--jitconfig` → `tokenOnly`; otherwise nil.
    public static func contract(of text: String) -> StartContract? {
        let jit = text.containsBytes("--jitconfig")
        if jit { return text.containsBytes("enable_jit_config") ? .jitAware : .jitOnly }
        if text.containsBytes("config.sh") || text.containsBytes("config.cmd") { return .tokenOnly }
        return nil
    }
}
