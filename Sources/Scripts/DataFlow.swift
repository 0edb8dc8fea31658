import AuditCore

/// Flow-insensitive data flow over one scanned script: which variables hold the per-instance SSM value,
/// the JIT flag, the agent mode, the instance id, … — through command substitutions, pipelines
/// (`echo | jq`), re-assignment, function arguments and function output. Also the constant value of
/// variables assigned exactly once from literals.
final class FlowAnalysis {
    let script: ScannedScript
    let commands: [ScriptCommand]
    let powershell: Bool
    private(set) var variables: [String: Set<ValueFact>] = [:]
    private(set) var constants: [String: String] = [:]
    private(set) var functionOutputs: [String: Set<ValueFact>] = [:]
    private(set) var functions: [String: ScriptFunction] = [:]
    private(set) var callSites: [String: [Int]] = [:]
    private(set) var outputOnlyFunctions: Set<String> = []
    private var assignments: [String: [(command: Int, assignment: ScriptAssignment)]] = [:]
    private var memo: [Int: Set<ValueFact>] = [:]
    private var lookupMemo: [Int: Set<ValueFact>] = [:]
    /// The parameter names each command reads with `aws ssm get-parameter(s)` or a cmdlet.
    private var readNameMemo: [Int: [ScriptWord]] = [:]
    private var consumed: Set<Int> = []

    static let opaquePrograms: Set<String> = [
        "aws", "aws.exe", "curl", "curl.exe", "wget", "invoke-restmethod", "irm", "invoke-webrequest", "iwr",
        "get-ssmparameter", "get-ssmparametervalue", "get-ssmparametersbypath", "get-ec2tag", "get-ec2instancemetadata",
        "ec2-metadata", "ec2metadata", "date", "uname", "hostname", "nproc", "whoami", "id", "sleep", "start-sleep",
        "write-host", "mktemp", "test", "[", "true", "false", "mkdir", "chmod", "chown", "cd", "rm", "cp", "mv",
        "systemctl", "service", "get-date", "get-random",
    ]

    init(_ script: ScannedScript) {
        self.script = script
        self.commands = script.commands
        self.powershell = script.language == .powershell
        for f in script.functions where functions[key(f.name)] == nil { functions[key(f.name)] = f }
        for c in commands {
            for a in c.assignments { assignments[key(a.name), default: []].append((c.index, a)) }
            if let p = c.pipelinePredecessor { consumed.insert(p) }
            if let name = c.effectiveName, functions[key(name)] != nil, c.kind == .simple { callSites[key(name), default: []].append(c.index) }
        }
        computeConstants()
        computeOutputOnlyFunctions()
        solve()
    }

    func key(_ name: String) -> String { powershell ? name.lowercased() : name }

    // MARK: - Fixpoint

    private func solve() {
        for _ in 0..<32 {
            let before = (variables, functionOutputs)
            memo = [:]
            for (k, list) in assignments {
                for (ci, a) in list {
                    let f = assignmentFacts(a, in: commands[ci])
                    if !f.isEmpty { variables[k, default: []].formUnion(f) }
                }
            }
            bindParameters()
            bindReads()
            for (name, _) in functions {
                var out: Set<ValueFact> = []
                for c in commands where c.function.map(key) == name && producesFunctionOutput(c) {
                    out.formUnion(outputFacts(c.index))
                }
                functionOutputs[name] = out
            }
            if before.0 == variables, before.1 == functionOutputs { break }
        }
        memo = [:]
    }

    private func producesFunctionOutput(_ c: ScriptCommand) -> Bool {
        guard c.context == .statement || c.context == .embedded, !consumed.contains(c.index) else { return false }
        if c.kind == .assignment || c.kind == .test || c.kind == .arithmetic { return false }
        if let p = c.parent, p < commands.count, commands[p].kind == .assignment { return false }
        return true
    }

    /// `read [-r] A B <<< "$x"`, `read -r A < <(cmd)`, `cmd | read A`, `mapfile -t L < <(cmd)`.
    private func bindReads() {
        guard !powershell else { return }
        for c in commands where c.kind == .simple {
            guard let program = c.programName, ["read", "mapfile", "readarray"].contains(program) else { continue }
            var input = inputFacts(c)
            for r in c.redirections where r.op == "<" {
                if let t = r.target { input.formUnion(wordFacts(t, function: c.function)) }
            }
            guard !input.isEmpty else { continue }
            // Options taking a value (`-t` is a timeout for `read` but a flag for `mapfile`).
            let valued: Set<String> = program == "read" ? ["-p", "-d", "-t", "-n", "-N", "-u", "-i"] : ["-d", "-n", "-O", "-s", "-u", "-C", "-c"]
            var i = 0
            let args = c.effectiveArguments
            while i < args.count {
                let v = args[i].value
                if v == "-a", i + 1 < args.count {
                    variables[key(args[i + 1].value), default: []].formUnion(input)
                    i += 2
                    continue
                }
                if v.hasPrefix("-") {
                    i += valued.contains(v) ? 2 : 1
                    continue
                }
                if v.utf8.allSatisfy(\.isIdentifierByte) { variables[key(v), default: []].formUnion(input) }
                i += 1
            }
        }
    }

    private func bindParameters() {
        for (fname, sites) in callSites {
            guard let fn = functions[fname] else { continue }
            for site in sites {
                let call = commands[site]
                let args = call.effectiveArguments
                if powershell {
                    var positional = 0
                    var i = 0
                    while i < args.count {
                        let v = args[i].value
                        if v.hasPrefix("-"), !args[i].isQuoted, v.count > 1, i + 1 < args.count {
                            let name = key(String(v.dropFirst()))
                            variables[name, default: []].formUnion(wordFacts(args[i + 1], function: call.function))
                            i += 2
                            continue
                        }
                        if positional < fn.parameters.count {
                            variables[key(fn.parameters[positional]), default: []].formUnion(wordFacts(args[i], function: call.function))
                        }
                        positional += 1
                        i += 1
                    }
                } else {
                    var all: Set<ValueFact> = []
                    for (k, arg) in args.enumerated() {
                        let f = wordFacts(arg, function: call.function)
                        if !f.isEmpty { variables["\(fname)#\(k + 1)", default: []].formUnion(f) }
                        all.formUnion(f)
                    }
                    if !all.isEmpty {
                        variables["\(fname)#@", default: []].formUnion(all)
                        variables["\(fname)#*", default: []].formUnion(all)
                    }
                }
            }
        }
    }

    // MARK: - Facts of values

    /// Facts of a variable as seen from code in `function`. A variable named like an instance id or a
    /// token path (`instance_id`, `$InstanceId`, `TOKEN_PATH`) is taken to hold one even when the script
    /// does not show where it comes from (environment, sourced file).
    func facts(ofVariable name: String, function: String?) -> Set<ValueFact> {
        if !powershell, let f = function, name.utf8.allSatisfy({ $0.isASCIIDigit }) || name == "@" || name == "*" {
            return variables["\(key(f))#\(name)"] ?? []
        }
        var out = variables[key(name)] ?? []
        if !out.contains(.instanceParameter) {
            if Self.looksLikeInstanceIdName(name) { out.insert(.instanceID) }
            if Self.looksLikeTokenPathName(name) { out.insert(.tokenPath) }
        }
        return out
    }

    func wordFacts(_ w: ScriptWord, function: String?) -> Set<ValueFact> {
        var out: Set<ValueFact> = []
        for part in w.parts {
            switch part {
            case .variable(let v): out.formUnion(facts(ofVariable: v.name, function: function))
            case .substitution(let s): out.formUnion(substitutionFacts(s))
            default: continue
            }
        }
        return out
    }

    /// The output of the commands at the top of a substitution (those not piped into another).
    func substitutionFacts(_ s: CommandSubstitution) -> Set<ValueFact> {
        var out: Set<ValueFact> = []
        for i in s.commands where i < commands.count && !consumed.contains(i) { out.formUnion(outputFacts(i)) }
        return out
    }

    private func assignmentFacts(_ a: ScriptAssignment, in cmd: ScriptCommand) -> Set<ValueFact> {
        var out: Set<ValueFact> = []
        if let v = a.value {
            out.formUnion(wordFacts(v, function: cmd.function))
            if !script.literalOccurrences(of: Needle.imdsTokenHeader, in: v, caseInsensitive: true, rejectFollowing: Byte.minus).isEmpty {
                out.insert(.imdsTokenHeader)
            }
        }
        for i in a.valueCommands where i < commands.count && !consumed.contains(i) { out.formUnion(outputFacts(i)) }
        return out
    }

    /// What a command writes to its output.
    func outputFacts(_ i: Int) -> Set<ValueFact> {
        if let m = memo[i] { return m }
        memo[i] = []
        let c = commands[i]
        var out: Set<ValueFact> = []
        switch c.kind {
        case .assignment, .test, .arithmetic:
            break
        case .expression:
            out = sourceFacts(c)
            for w in c.words { out.formUnion(wordFacts(w, function: c.function)) }
            out.formUnion(inputFacts(c))
        case .simple:
            guard !c.words.isEmpty else { break }
            out = sourceFacts(c)
            let program = key(c.effectiveName ?? "")
            if functions[program] != nil {
                out.formUnion(functionOutputs[program] ?? [])
            } else if !Self.opaquePrograms.contains(c.programKey ?? "") {
                out.formUnion(inputFacts(c))
                for w in c.effectiveArguments { out.formUnion(wordFacts(w, function: c.function)) }
            }
        }
        memo[i] = out
        return out
    }

    private func inputFacts(_ c: ScriptCommand) -> Set<ValueFact> {
        var out: Set<ValueFact> = []
        if let p = c.pipelinePredecessor, p < commands.count { out.formUnion(outputFacts(p)) }
        for r in c.redirections where r.op == "<<<" {
            if let t = r.target { out.formUnion(wordFacts(t, function: c.function)) }
        }
        return out
    }

    /// Facts a command creates by itself (reads, lookups by name).
    private func sourceFacts(_ c: ScriptCommand) -> Set<ValueFact> {
        var out: Set<ValueFact>
        if let cached = lookupMemo[c.index] {
            out = cached
        } else {
            out = lookupFacts(c)
            lookupMemo[c.index] = out
        }
        if readsInstanceParameter(c) || readsTokensByPath(c) { out.insert(.instanceParameter) }
        return out
    }

    /// The part of `sourceFacts` that does not depend on variable facts.
    private func lookupFacts(_ c: ScriptCommand) -> Set<ValueFact> {
        var out: Set<ValueFact> = []
        if fetchesInstanceID(c) { out.insert(.instanceID) }
        guard !isOutputOnly(c) else { return out }
        for w in c.words {
            if hasNeedle(Needle.enableJitConfig, in: w, function: c.function) { out.insert(.jitFlag) }
            if hasNeedle(Needle.agentMode, in: w, function: c.function) { out.insert(.agentMode) }
            if hasNeedle(Needle.tokenPath, in: w, function: c.function) { out.insert(.tokenPath) }
            if hasNeedle(Needle.configPathTag, in: w, function: c.function) { out.insert(.configPath) }
            if !script.literalOccurrences(of: Needle.imdsTokenHeader, in: w, caseInsensitive: true, rejectFollowing: Byte.minus).isEmpty {
                out.insert(.imdsTokenHeader)
            }
        }
        return out
    }

    // MARK: - Recognisers

    func isOutputOnly(_ c: ScriptCommand) -> Bool {
        guard c.kind == .simple, let name = c.effectiveName, let lower = c.programKey else { return false }
        return ScannedScript.outputPrograms.contains(lower) || outputOnlyFunctions.contains(key(name))
    }

    /// `needle` written literally in the word, or held by a constant the word expands.
    func hasNeedle(_ needle: String, in w: ScriptWord, function: String?) -> Bool {
        if !script.literalOccurrences(of: needle, in: w).isEmpty { return true }
        for v in w.references {
            if let c = constants[key(v.name)], containsLiteral(needle, in: c) { return true }
        }
        return false
    }

    /// Whether `needle` (ASCII) occurs in `text` other than right after a `$`.
    private func containsLiteral(_ needle: String, in text: String) -> Bool {
        var from = text.startIndex
        while let r = text.rangeOfBytes(needle, from: from) {
            if r.lowerBound == text.startIndex || text.utf8[text.utf8.index(before: r.lowerBound)] != UInt8(ascii: "$") { return true }
            from = r.upperBound
        }
        return false
    }

    /// The word with constant variables substituted (others stay `$name`).
    func expanded(_ w: ScriptWord) -> String {
        var out = ""
        for part in w.parts {
            switch part {
            case .literal(let s, _): out += s
            case .variable(let v): out += constants[key(v.name)] ?? "$\(v.name)"
            case .substitution(let s): out += script.source.text(of: s.range)
            case .opaque(let s): out += s
            }
        }
        return out
    }

    /// `aws ssm get-parameter(s)` / `Get-SSMParameter(Value)` on `…/<instance id>` or the tokens path.
    func readsInstanceParameter(_ c: ScriptCommand) -> Bool {
        // Most commands are no parameter read at all: that is known once per command (the
        // fixpoint asks in every pass); only the names' facts change between passes.
        let names: [ScriptWord]
        if let known = readNameMemo[c.index] {
            names = known
        } else {
            names = parameterNameWords(c, operations: Self.readOperations, cmdlets: Self.readCmdlets)
            readNameMemo[c.index] = names
        }
        return names.contains { isPerInstanceName($0, function: c.function) }
    }

    private static let readOperations: Set<String> = ["get-parameter", "get-parameters"]
    private static let readCmdlets: Set<String> = ["get-ssmparameter", "get-ssmparametervalue"]

    /// `aws ssm delete-parameter(s)` / `Remove-SSMParameter` on `…/<instance id>`.
    func deletesInstanceParameter(_ c: ScriptCommand) -> [ScriptWord] {
        instanceParameterNames(c, operations: ["delete-parameter", "delete-parameters"], cmdlets: ["remove-ssmparameter"])
    }

    func instanceParameterNames(_ c: ScriptCommand, operations: Set<String>, cmdlets: Set<String>) -> [ScriptWord] {
        parameterNameWords(c, operations: operations, cmdlets: cmdlets).filter { isPerInstanceName($0, function: c.function) }
    }

    /// The parameter names an `aws ssm` operation or SSM cmdlet among those given names.
    private func parameterNameWords(_ c: ScriptCommand, operations: Set<String>, cmdlets: Set<String>) -> [ScriptWord] {
        guard c.kind == .simple else { return [] }
        if let call = AWSCall(c), call.service == "ssm", operations.contains(call.operation) {
            return call.values(of: "--name") + call.values(of: "--names")
        } else if let p = c.programKey, cmdlets.contains(p) {
            return powerShellParameterValues(c, ["-name", "-names"], positional: true)
        }
        return []
    }

    /// `aws ssm get-parameters-by-path` / `Get-SSMParametersByPath` on the tokens path.
    func readsTokensByPath(_ c: ScriptCommand) -> Bool { tokensByPathWord(c) != nil }

    func tokensByPathWord(_ c: ScriptCommand) -> ScriptWord? {
        guard c.kind == .simple else { return nil }
        var paths: [ScriptWord] = []
        if let call = AWSCall(c), call.service == "ssm", call.operation == "get-parameters-by-path" {
            paths = call.values(of: "--path")
        } else if c.programKey == "get-ssmparametersbypath" {
            paths = powerShellParameterValues(c, ["-path"], positional: true)
        }
        return paths.first { isTokensPath($0, function: c.function) }
    }

    private func isTokensPath(_ w: ScriptWord, function: String?) -> Bool {
        if wordFacts(w, function: function).contains(.tokenPath) { return true }
        if w.references.contains(where: { Self.looksLikeTokenPathName($0.name) }) { return true }
        let x = expanded(w).lowercased()
        return x.hasSuffix("/tokens") || x.hasSuffix("/tokens/") || x.containsBytes("/tokens/")
    }

    func isPerInstanceName(_ w: ScriptWord, function: String?) -> Bool {
        let f = wordFacts(w, function: function)
        if f.contains(.instanceID) || f.contains(.tokenPath) { return true }
        if w.references.contains(where: { Self.looksLikeInstanceIdName($0.name) || Self.looksLikeTokenPathName($0.name) }) { return true }
        let x = expanded(w).lowercased()
        return x.containsBytes("/tokens/") || x.containsBytes(Needle.instanceIdPath)
    }

    /// `name` lower-cased without `_`, `-` and `:` (`TOKEN_PATH`, `$env:RunnerToken`). The data
    /// flow asks for every variable it meets in every pass: ASCII names are done on their bytes.
    static func normalizedName(_ name: String) -> String {
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else {
            return String(name.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != ":" })
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count)
        for b in name.utf8 where b != UInt8(ascii: "_") && b != UInt8(ascii: "-") && b != UInt8(ascii: ":") {
            bytes.append(b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func looksLikeInstanceIdName(_ name: String) -> Bool { normalizedName(name).hasSuffix("instanceid") }

    static func looksLikeTokenPathName(_ name: String) -> Bool { normalizedName(name).containsBytes("tokenpath") }

    /// IMDS `meta-data/instance-id`, `ec2-metadata -i`, `Get-EC2InstanceMetadata -Category InstanceId`,
    /// or a lookup of the `instanceId` key of the identity document.
    func fetchesInstanceID(_ c: ScriptCommand) -> Bool {
        guard c.kind == .simple || c.kind == .expression else { return false }
        let program = c.programKey ?? ""
        let words = c.words.map { expanded($0) }
        if program == "ec2-metadata" { return words.contains { $0 == "-i" || $0 == "--instance-id" } }
        if program == "ec2metadata" { return words.contains("--instance-id") }
        if program == "get-ec2instancemetadata" { return words.contains { $0.lowercased() == "instanceid" } }
        if words.contains(where: { $0.containsBytes(Needle.instanceIdPath) }) { return true }
        guard !isOutputOnly(c) else { return false }
        return c.words.contains { !script.literalOccurrences(of: "instanceId", in: $0).isEmpty }
    }

    // MARK: - Constants and output-only functions

    private func computeConstants() {
        var raw: [String: ScriptWord] = [:]
        for (k, list) in assignments where list.count == 1 {
            let a = list[0].assignment
            if let v = a.value {
                raw[k] = v
            } else if a.valueCommands.count == 1, a.valueCommands[0] < commands.count {
                let rhs = commands[a.valueCommands[0]]
                if rhs.kind == .expression, rhs.words.count == 1 { raw[k] = rhs.words[0] }
            }
        }
        func resolve(_ k: String, depth: Int) -> String? {
            if let c = constants[k] { return c }
            guard depth < 8, let w = raw[k] else { return nil }
            var out = ""
            for part in w.parts {
                switch part {
                case .literal(let s, _): out += s
                case .variable(let v): out += resolve(key(v.name), depth: depth + 1) ?? "$\(v.name)"
                default: return nil
                }
            }
            constants[k] = out
            return out
        }
        for k in raw.keys.sorted() { _ = resolve(k, depth: 0) }
    }

    private func computeOutputOnlyFunctions() {
        var changed = true
        var rounds = 0
        while changed, rounds < 8 {
            changed = false
            rounds += 1
            for (name, _) in functions where !outputOnlyFunctions.contains(name) {
                let body = commands.filter { $0.function.map(key) == name && $0.kind != .test }
                guard !body.isEmpty else { continue }
                let allOutput = body.allSatisfy { c in
                    guard c.kind == .simple, let p = c.effectiveName, let lower = c.programKey else { return false }
                    return ScannedScript.outputPrograms.contains(lower) || outputOnlyFunctions.contains(key(p))
                }
                if allOutput {
                    outputOnlyFunctions.insert(name)
                    changed = true
                }
            }
        }
    }
}
