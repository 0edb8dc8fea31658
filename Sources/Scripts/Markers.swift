import AuditCore

/// Observable facts about a start script (module-facts §3.9), each found in code — never in comments
/// or in `echo`/`Write-Host` messages.
public enum MarkerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `aws ssm get-parameter(s)` / `Get-SSMParameter` on `<token_path>/<instance id>` (range: the operation).
    case readsInstanceParameter
    /// `aws ssm delete-parameter` / `Remove-SSMParameter` on `<token_path>/<instance id>`.
    case deletesInstanceParameter
    /// `get-parameters-by-path` on the tokens path (denied by the instance policy from v5.11.0).
    case readsTokensByPath
    /// A hard-coded `/github-action-runners/…` SSM path (detail: the path).
    case hardCodedParameterPath
    /// A lookup of the `token_path` config parameter.
    case readsTokenPath
    /// A lookup of the `ghr:ssm_config_path` tag.
    case readsConfigPathTag
    /// A lookup of another `ghr:` tag (detail: the tag).
    case readsRunnerTag
    /// A lookup of the `enable_jit_config` config parameter (the 4.0.1 escape hatch).
    case readsEnableJitConfig
    /// A lookup of the `agent_mode` config parameter.
    case readsAgentMode
    /// A condition that compares the agent mode / an `ephemeral` flag (range: the condition).
    case ephemeralCheck
    /// `config.sh` / `config.cmd` run (range: the program word; detail says whether it gets the SSM value).
    case configCommand
    /// `config.sh` / `config.cmd` with a literal `--token` argument (self-fetched token).
    case configWithLiteralToken
    /// `--jitconfig` passed to `run.sh` / `run.cmd`.
    case jitConfigFlag
    /// IMDSv2: an `X-aws-ec2-metadata-token` header or a `PUT …/latest/api/token`.
    case imdsV2Token
    /// IMDSv1: an instance-metadata request without a token header (range: the URL word).
    case imdsV1Access
    /// `…/meta-data/tags/instance/…` (needs `instance_metadata_tags = "enabled"`).
    case instanceMetadataTags
    /// `aws ec2 describe-tags` / `Get-EC2Tag`.
    case describeTags
    /// `aws ec2 terminate-instances` / `Remove-EC2Instance`.
    case selfTermination
    /// `aws ec2 create-tags … ghr:github_runner_id` / `New-EC2Tag` with that key.
    case tagsRunnerId
    /// `--no-default-labels` or a lookup of `disable_default_labels`.
    case defaultLabelsOptOut
    /// `svc.sh install` / `Register-ScheduledTask` (persistent runner service).
    case serviceInstall
    /// `RUNNER_ALLOW_RUNASROOT`.
    case runAsRoot
    /// `yum` / `amazon-linux-extras` (Amazon Linux 2 tooling).
    case amazonLinux2Tooling
    /// `/var/lib/cloud/scripts/per-boot/` (module-style prebuilt AMI).
    case perBootPath
    /// `C:\start-runner.ps1` (module-style Windows AMI).
    case windowsStartScriptPath
    /// A Terraform template placeholder `${…}` (detail: the expression).
    case templatePlaceholder
}

public struct ScriptMarker: Sendable, Hashable {
    public var kind: MarkerKind
    /// The exact token (word, substring, condition or placeholder).
    public var range: SourceRange
    /// The command the marker belongs to (index into `ScannedScript.commands`).
    public var command: Int?
    public var detail: String?
}

/// Finds the markers of one script.
struct MarkerScanner {
    let flow: FlowAnalysis
    private var script: ScannedScript { flow.script }

    /// The needles searched for case-sensitively in every word of code, with the marker each
    /// gives and the bytes each is made of.
    private static let lookups: [(needle: String, kind: MarkerKind, bytes: ByteSet)] = (
        [(Needle.enableJitConfig, MarkerKind.readsEnableJitConfig), (Needle.agentMode, .readsAgentMode),
         (Needle.tokenPath, .readsTokenPath), (Needle.configPathTag, .readsConfigPathTag),
         (Needle.disableDefaultLabels, .defaultLabelsOptOut), (Needle.instanceTags, .instanceMetadataTags),
         (Needle.perBoot, .perBootPath)]
        + Needle.runnerTags.map { ($0, MarkerKind.readsRunnerTag) }
    ).map { ($0.0, $0.1, ByteSet(needle: $0.0)) }
    private static let runAsRootBytes = ByteSet(needle: Needle.runAsRoot)
    private static let hardCodedRootBytes = ByteSet(needle: Needle.hardCodedRoot)
    private static let windowsStartScriptBytes = ByteSet(needle: Needle.windowsStartScript, caseInsensitive: true)
    private static let windowsStartScriptSlashBytes = ByteSet(needle: Needle.windowsStartScriptSlash, caseInsensitive: true)
    private static let imdsTokenHeaderBytes = ByteSet(needle: Needle.imdsTokenHeader, caseInsensitive: true)

    func markers() -> [ScriptMarker] {
        var out: [ScriptMarker] = []
        func add(_ kind: MarkerKind, _ s: Int, _ e: Int, _ command: Int?, _ detail: String? = nil) {
            out.append(ScriptMarker(kind: kind, range: script.range(s, e), command: command, detail: detail))
        }
        func add(_ kind: MarkerKind, _ w: ScriptWord, _ command: Int?, _ detail: String? = nil) {
            out.append(ScriptMarker(kind: kind, range: w.range, command: command, detail: detail))
        }
        var seenConditions: Set<SourceRange> = []

        for c in script.commands {
            let i = c.index
            let output = flow.isOutputOnly(c)
            let program = c.programKey ?? ""
            var codeWords = output ? [] : c.words
            for a in c.assignments {
                if let v = a.value { codeWords.append(v) }
                if a.name.hasSuffix(Needle.runAsRoot) { out.append(ScriptMarker(kind: .runAsRoot, range: a.nameRange, command: i)) }
            }

            // Literal lookups: a needle is searched for only in a word holding every byte it is
            // made of (one pass over the word says which bytes it holds).
            for w in codeWords {
                let held = ByteSet(script.renderedBytes, w.scanStart, w.scanEnd)
                let folded = held.caseFolded
                for (needle, kind, bytes) in Self.lookups where held.mayHold(bytes) {
                    for r in script.literalOccurrences(of: needle, in: w) {
                        add(kind, r.lowerBound, r.upperBound, i, kind == .readsRunnerTag ? needle : nil)
                    }
                }
                if held.mayHold(Self.runAsRootBytes) {
                    for r in script.literalOccurrences(of: Needle.runAsRoot, in: w) { add(.runAsRoot, r.lowerBound, r.upperBound, i) }
                }
                if held.mayHold(Self.hardCodedRootBytes) {
                    for r in script.literalOccurrences(of: Needle.hardCodedRoot, in: w) {
                        add(.hardCodedParameterPath, r.lowerBound, r.upperBound, i, pathText(from: r.lowerBound, in: w))
                    }
                }
                if folded.mayHold(Self.windowsStartScriptBytes) || folded.mayHold(Self.windowsStartScriptSlashBytes) {
                    for needle in [Needle.windowsStartScript, Needle.windowsStartScriptSlash] {
                        for r in script.literalOccurrences(of: needle, in: w, caseInsensitive: true) { add(.windowsStartScriptPath, r.lowerBound, r.upperBound, i) }
                    }
                }
                if w.value == Needle.noDefaultLabels { add(.defaultLabelsOptOut, w, i) }
                if folded.mayHold(Self.imdsTokenHeaderBytes) {
                    for r in script.literalOccurrences(of: Needle.imdsTokenHeader, in: w, caseInsensitive: true) {
                        add(.imdsV2Token, r.lowerBound, r.upperBound, i)
                    }
                }
            }
            guard !output else { continue }

            // SSM.
            if let call = AWSCall(c) {
                switch (call.service, call.operation) {
                case ("ssm", "get-parameter"), ("ssm", "get-parameters"):
                    if flow.readsInstanceParameter(c) { add(.readsInstanceParameter, call.operationWord, i) }
                case ("ssm", "delete-parameter"), ("ssm", "delete-parameters"):
                    if !flow.deletesInstanceParameter(c).isEmpty { add(.deletesInstanceParameter, call.operationWord, i) }
                case ("ssm", "get-parameters-by-path"):
                    if flow.readsTokensByPath(c) { add(.readsTokensByPath, call.operationWord, i) }
                case ("ec2", "describe-tags"):
                    add(.describeTags, call.operationWord, i)
                case ("ec2", "terminate-instances"):
                    add(.selfTermination, call.operationWord, i)
                case ("ec2", "create-tags"):
                    for w in call.arguments {
                        for r in script.literalOccurrences(of: Needle.runnerIdTag, in: w) { add(.tagsRunnerId, r.lowerBound, r.upperBound, i) }
                    }
                default:
                    break
                }
            }
            if let n = c.nameIndex, n < c.words.count {
                let nameWord = c.words[n]
                switch program {
                case "get-ssmparameter", "get-ssmparametervalue":
                    if flow.readsInstanceParameter(c) { add(.readsInstanceParameter, nameWord, i) }
                case "remove-ssmparameter":
                    if !flow.deletesInstanceParameter(c).isEmpty { add(.deletesInstanceParameter, nameWord, i) }
                case "get-ssmparametersbypath":
                    if flow.readsTokensByPath(c) { add(.readsTokensByPath, nameWord, i) }
                case "get-ec2tag":
                    add(.describeTags, nameWord, i)
                case "remove-ec2instance":
                    add(.selfTermination, nameWord, i)
                case "new-ec2tag":
                    for w in c.effectiveArguments where flow.hasNeedle(Needle.runnerIdTag, in: w, function: c.function)
                        || nestedText(w).containsBytes(Needle.runnerIdTag) {
                        add(.tagsRunnerId, w, i)
                    }
                case "register-scheduledtask":
                    add(.serviceInstall, nameWord, i)
                case "yum", "amazon-linux-extras":
                    add(.amazonLinux2Tooling, nameWord, i)
                default:
                    break
                }
                if program == "svc.sh", c.effectiveArguments.first?.value == "install" {
                    add(.serviceInstall, nameWord, i)
                }
                if ["config.sh", "config.cmd"].contains(program) {
                    let fed = c.effectiveArguments.contains { flow.wordFacts($0, function: c.function).contains(.instanceParameter) }
                    add(.configCommand, nameWord, i, fed ? "gets the per-instance SSM value" : "does not get the per-instance SSM value")
                    for w in c.effectiveArguments where w.value == "--token" || w.value.hasPrefix("--token=") {
                        add(.configWithLiteralToken, w, i)
                    }
                }
            }
            for r in jitConfigRanges(in: c) { out.append(ScriptMarker(kind: .jitConfigFlag, range: r, command: i)) }

            // IMDS.
            if ["curl", "curl.exe", "wget", "invoke-restmethod", "irm", "invoke-webrequest", "iwr"].contains(program) {
                let expandedWords = c.words.map { flow.expanded($0) }
                let isPut = zip(c.words, expandedWords).contains { _, x in x.uppercased() == "PUT" || x == "--method=PUT" }
                for (w, x) in zip(c.words, expandedWords) where x.containsBytes(Needle.imdsHost + "/latest/api/token") && isPut {
                    add(.imdsV2Token, w, i)
                }
                let hasHeader = expandedWords.contains { $0.lowercased().containsBytes(Needle.imdsTokenHeader) }
                    || c.words.contains { flow.wordFacts($0, function: c.function).contains(.imdsTokenHeader) }
                    || c.words.contains { nestedText($0).lowercased().containsBytes(Needle.imdsTokenHeader) }
                if !hasHeader, !isPut {
                    for (w, x) in zip(c.words, expandedWords)
                    where ["/latest/meta-data", "/latest/dynamic", "/latest/user-data"].contains(where: { x.containsBytes(Needle.imdsHost + $0) }) {
                        add(.imdsV1Access, w, i)
                    }
                }
            }

            // Conditions comparing the agent mode.
            for g in c.conditions where !seenConditions.contains(g.range) {
                guard g.kind != .templateIf, g.kind != .templateFor else { continue }
                if mentionsMode(g.expression, function: c.function) {
                    seenConditions.insert(g.range)
                    out.append(ScriptMarker(kind: .ephemeralCheck, range: g.range, command: nil, detail: g.text))
                }
            }
        }
        for p in script.placeholders {
            out.append(ScriptMarker(kind: .templatePlaceholder, range: p.range, command: nil, detail: p.expression))
        }
        var seen: Set<ScriptMarker> = []
        return out.filter { seen.insert($0).inserted }.sorted {
            ($0.range.start.offset, $0.range.end.offset, $0.kind.rawValue) < ($1.range.start.offset, $1.range.end.offset, $1.kind.rawValue)
        }
    }

    /// `--jitconfig` as an argument of any program, or inside the arguments of `run.sh`/`run.cmd`
    /// (`Start-Process … -ArgumentList "--jitconfig $c"`, `@("--jitconfig", $c)`).
    func jitConfigRanges(in c: ScriptCommand) -> [SourceRange] {
        guard c.kind == .simple, !flow.isOutputOnly(c), let program = c.programKey else { return [] }
        let isRun = ["run.sh", "run.cmd"].contains(program)
        var out: [SourceRange] = []
        func occurrence(_ w: ScriptWord) -> SourceRange {
            script.literalOccurrences(of: Needle.jitConfig, in: w).first.map { script.range($0.lowerBound, $0.upperBound) } ?? w.range
        }
        for w in c.words {
            if w.value == Needle.jitConfig || w.value.hasPrefix(Needle.jitConfig + "=") {
                out.append(occurrence(w))
                continue
            }
            guard isRun, c.effectiveArguments.contains(w) else { continue }
            for r in script.literalOccurrences(of: Needle.jitConfig, in: w) { out.append(script.range(r.lowerBound, r.upperBound)) }
            for sub in w.substitutions where sub.kind == .array || sub.kind == .group {
                for i in sub.commands where i < script.commands.count && script.commands[i].kind == .expression {
                    for inner in script.commands[i].words where inner.value == Needle.jitConfig { out.append(occurrence(inner)) }
                }
            }
        }
        return out
    }

    private func nestedText(_ w: ScriptWord) -> String {
        w.substitutions.map { script.source.text(of: $0.range) }.joined(separator: " ")
    }

    private func pathText(from start: Int, in w: ScriptWord) -> String {
        var e = start
        let bytes = script.renderedBytes
        while e < w.scanEnd, ![Byte.dquote, Byte.squote, Byte.space, Byte.dollar, Byte.rparen, Byte.backtick].contains(bytes[e]) { e += 1 }
        return String(decoding: bytes[start..<e], as: UTF8.self)
    }

    private func mentionsMode(_ e: ConditionExpression, function: String?) -> Bool {
        switch e {
        case .and(let a, let b), .or(let a, let b): return mentionsMode(a, function: function) || mentionsMode(b, function: function)
        case .not(let a): return mentionsMode(a, function: function)
        case .compare(let l, _, let r):
            return [l, r].contains { w in
                if let lit = w.literalValue?.lowercased(), lit == "ephemeral" || lit == "persistent" { return true }
                if let v = w.singleVariable {
                    let n = FlowAnalysis.normalizedName(v.name)
                    return flow.facts(ofVariable: v.name, function: function).contains(.agentMode) || n.containsBytes("agentmode") || n.containsBytes("ephemeral")
                }
                return false
            }
        case .matches(let s, let patterns):
            if let v = s.singleVariable, flow.facts(ofVariable: v.name, function: function).contains(.agentMode) { return true }
            return patterns.contains { ["ephemeral", "persistent"].contains($0.literalValue?.lowercased() ?? "") }
        default: return false
        }
    }
}

/// Which byte values occur in a range of bytes (a 256-bit set).
struct ByteSet {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init(_ bytes: [UInt8], _ start: Int, _ end: Int) {
        var w = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var p = max(0, start)
        let e = min(end, bytes.count)
        while p < e {
            let b = bytes[p]
            let bit = UInt64(1) << UInt64(b & 63)
            switch b >> 6 {
            case 0: w.0 |= bit
            case 1: w.1 |= bit
            case 2: w.2 |= bit
            default: w.3 |= bit
            }
            p += 1
        }
        words = w
    }

    /// The bytes `needle` is made of; with `caseInsensitive` its ASCII letters lower-cased (to
    /// be asked of a `caseFolded` set).
    init(needle: String, caseInsensitive: Bool = false) {
        var bytes = Array(needle.utf8)
        if caseInsensitive { bytes = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 } }
        self.init(bytes, 0, bytes.count)
    }

    /// The set with every ASCII upper-case letter also counted as its lower case: what a
    /// case-insensitive search for a lower-cased needle may find.
    var caseFolded: ByteSet {
        var folded = self
        // A-Z are bits 1...26 of the second word; a-z are bits 33...58.
        folded.words.1 |= (words.1 & 0x7FF_FFFE) << 32
        return folded
    }

    /// Whether a needle made of `needle`'s bytes may occur here: every one of them is here
    /// (a word missing any byte of a needle cannot hold it).
    func mayHold(_ needle: ByteSet) -> Bool {
        needle.words.0 & ~words.0 == 0 && needle.words.1 & ~words.1 == 0
            && needle.words.2 & ~words.2 == 0 && needle.words.3 & ~words.3 == 0
    }

    func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }
}
