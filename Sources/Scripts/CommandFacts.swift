import AuditCore

/// What a value is known to hold, as far as intra-script data flow can tell.
public enum ValueFact: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// The per-instance SSM parameter `<token_path>/<instance id>` (token arguments or JIT config).
    case instanceParameter
    /// The SSM config parameter `<config>/enable_jit_config`.
    case jitFlag
    /// The SSM config parameter `<config>/agent_mode` (`ephemeral` / `persistent`).
    case agentMode
    /// The EC2 instance id.
    case instanceID
    /// The SSM config parameter `<config>/token_path`, or a hard-coded `…/tokens` path.
    case tokenPath
    /// The `ghr:ssm_config_path` tag.
    case configPath
    /// An `X-aws-ec2-metadata-token` header (PowerShell header tables, curl option arrays).
    case imdsTokenHeader

    public static func < (lhs: ValueFact, rhs: ValueFact) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Literal strings the analysis looks for in code (never in comments or in `echo`-like output).
enum Needle {
    static let enableJitConfig = "enable_jit_config"
    static let agentMode = "agent_mode"
    static let tokenPath = "token_path"
    static let configPathTag = "ghr:ssm_config_path"
    static let runnerTags = ["ghr:environment", "ghr:runner_name_prefix", "ghr:trace_id"]
    static let runnerIdTag = "ghr:github_runner_id"
    static let imdsHost = "169.254.169.254"
    static let imdsTokenHeader = "x-aws-ec2-metadata-token"
    static let instanceIdPath = "meta-data/instance-id"
    static let instanceTags = "meta-data/tags/instance"
    static let disableDefaultLabels = "disable_default_labels"
    static let noDefaultLabels = "--no-default-labels"
    static let runAsRoot = "RUNNER_ALLOW_RUNASROOT"
    static let perBoot = "/var/lib/cloud/scripts/per-boot/"
    static let windowsStartScript = "c:\\start-runner.ps1"
    static let windowsStartScriptSlash = "c:/start-runner.ps1"
    static let hardCodedRoot = "/github-action-runners/"
    static let jitConfig = "--jitconfig"
}

/// One `aws <service> <operation> …` invocation.
struct AWSCall {
    var service: String
    var operation: String
    var operationWord: ScriptWord
    var arguments: [ScriptWord]

    private static let valuedGlobalOptions: Set<String> = [
        "--region", "--profile", "--output", "--endpoint-url", "--query", "--color", "--ca-bundle", "--cli-read-timeout",
        "--cli-connect-timeout", "--cli-binary-format",
    ]

    init?(_ cmd: ScriptCommand) {
        guard let program = cmd.programKey, program == "aws" || program == "aws.exe" else { return nil }
        var positional: [(Int, ScriptWord)] = []
        var i = 0
        let args = cmd.effectiveArguments
        while i < args.count, positional.count < 2 {
            let v = args[i].value
            if v.hasPrefix("--") {
                i += Self.valuedGlobalOptions.contains(v) ? 2 : 1
                continue
            }
            positional.append((i, args[i]))
            i += 1
        }
        guard positional.count == 2 else { return nil }
        service = positional[0].1.value.lowercased()
        operation = positional[1].1.value.lowercased()
        operationWord = positional[1].1
        arguments = Array(args[(positional[1].0 + 1)...])
    }

    /// The words after `--name` (`--names` takes several), or `--name=value` words.
    func values(of option: String) -> [ScriptWord] {
        var out: [ScriptWord] = []
        var i = 0
        while i < arguments.count {
            let v = arguments[i].value
            if v == option {
                i += 1
                while i < arguments.count, !arguments[i].value.hasPrefix("--") {
                    out.append(arguments[i])
                    i += 1
                    if option != "--names" && option != "--instance-ids" && option != "--resources" { break }
                }
                continue
            }
            if v.hasPrefix(option + "=") { out.append(arguments[i]) }
            i += 1
        }
        return out
    }
}

/// PowerShell cmdlet parameters: `-Name value`, `-Name:value`, or the first positional argument.
func powerShellParameterValues(_ cmd: ScriptCommand, _ names: Set<String>, positional: Bool) -> [ScriptWord] {
    let args = cmd.effectiveArguments
    var out: [ScriptWord] = []
    var i = 0
    var firstPositional: ScriptWord?
    while i < args.count {
        let v = args[i].value.lowercased()
        if v.hasPrefix("-"), !args[i].isQuoted, v.count > 1 {
            if names.contains(v) {
                i += 1
                while i < args.count {
                    let w = args[i]
                    if w.value == "," { i += 1; continue }
                    if w.value.hasPrefix("-"), !w.isQuoted, w.value.count > 1 { break }
                    out.append(w)
                    i += 1
                    if i < args.count, args[i].value != "," { break }
                }
                continue
            }
            if let colon = v.firstIndex(of: ":"), names.contains(String(v[..<colon])) { out.append(args[i]) }
            i += 2
            continue
        }
        if firstPositional == nil { firstPositional = args[i] }
        i += 1
    }
    if out.isEmpty, positional, let p = firstPositional { out.append(p) }
    return out
}

extension ScannedScript {
    /// Byte offsets (rendered text) where `needle` occurs in the literal text of `word`, outside variable
    /// references and nested substitutions, and not as the name of a variable (`$needle`, `${needle}`).
    func literalOccurrences(of needle: String, in word: ScriptWord, caseInsensitive: Bool = false,
                            rejectFollowing: UInt8? = nil) -> [Range<Int>] {
        // A needle with no upper case (every needle of the scanners) is searched as it is, without
        // a lowered copy; the others as before.
        var needle = needle
        if caseInsensitive, needle.utf8.contains(where: { ($0 >= 0x41 && $0 <= 0x5A) || $0 >= 0x80 }) { needle = needle.lowercased() }
        if let found = needle.utf8.withContiguousStorageIfAvailable({ occurrences(of: $0, in: word, caseInsensitive: caseInsensitive, rejectFollowing: rejectFollowing) }) {
            return found
        }
        return occurrences(of: Array(needle.utf8), in: word, caseInsensitive: caseInsensitive, rejectFollowing: rejectFollowing)
    }

    private func occurrences<Needle: RandomAccessCollection>(of n: Needle, in word: ScriptWord, caseInsensitive: Bool,
                                                            rejectFollowing: UInt8?) -> [Range<Int>] where Needle.Element == UInt8, Needle.Index == Int {
        guard let first = n.first, word.scanEnd - word.scanStart >= n.count else { return [] }
        let bytes = renderedBytes
        let last = min(word.scanEnd, bytes.count) - n.count
        guard word.scanStart <= last else { return [] }
        // Most words hold no byte the needle starts with: said before anything is built.
        var mayHold = false
        for p in word.scanStart...last {
            var c = bytes[p]
            if caseInsensitive, c >= 0x41, c <= 0x5A { c += 32 }
            if c == first { mayHold = true; break }
        }
        guard mayHold else { return [] }
        var excluded: [Range<Int>] = []
        for part in word.parts {
            switch part {
            case .variable(let v): excluded.append(v.scanStart..<v.scanEnd)
            case .substitution(let s): excluded.append(s.scanStart..<s.scanEnd)
            default: continue
            }
        }
        var out: [Range<Int>] = []
        var p = word.scanStart
        excluded.sort { $0.lowerBound < $1.lowerBound }
        var next = 0
        let start = n.startIndex
        while p <= last {
            // Jump over variable references and nested substitutions (their own commands are searched).
            while next < excluded.count, excluded[next].upperBound <= p { next += 1 }
            if next < excluded.count, excluded[next].contains(p) {
                p = excluded[next].upperBound
                continue
            }
            var match = true
            for k in 0..<n.count {
                var c = bytes[p + k]
                if caseInsensitive, c >= 0x41, c <= 0x5A { c += 32 }
                if c != n[start + k] { match = false; break }
            }
            if match {
                let r = p..<(p + n.count)
                let inside = excluded[next...].contains { $0.overlaps(r) }
                let preceded = p > 0 && (bytes[p - 1] == Byte.dollar || (bytes[p - 1] == Byte.lbrace && p > 1 && bytes[p - 2] == Byte.dollar))
                let followed = rejectFollowing.map { r.upperBound < bytes.count && bytes[r.upperBound] == $0 } ?? false
                if !inside, !preceded, !followed { out.append(r) }
                p += n.count
            } else {
                p += 1
            }
        }
        return out
    }

    /// True when the command only prints (`echo`, `printf`, `Write-Host`, …): words in it are messages,
    /// not lookups.
    static let outputPrograms: Set<String> = [
        "echo", "printf", "logger", ":", "write-host", "write-output", "write-verbose", "write-information",
        "write-warning", "write-debug", "write-error", "write-progress", "out-host", "out-default", "echo.exe",
    ]
}
