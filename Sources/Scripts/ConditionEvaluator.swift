import AuditCore

/// How the module configures a runner, as the start script sees it through SSM.
public struct RunnerScenario: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `agent_mode` is `ephemeral`.
    public var ephemeral: Bool
    /// `enable_jit_config` is `true` (the lambda stored a JIT config, not a token).
    public var jitEnabled: Bool

    public init(ephemeral: Bool, jitEnabled: Bool) {
        self.ephemeral = ephemeral
        self.jitEnabled = jitEnabled
    }

    /// Ephemeral runners with the 4.x default: the SSM value is a JIT config.
    public static let ephemeralWithJIT = RunnerScenario(ephemeral: true, jitEnabled: true)
    /// Ephemeral runners with `enable_jit_config = false`: the SSM value holds token arguments.
    public static let ephemeralWithToken = RunnerScenario(ephemeral: true, jitEnabled: false)
    /// Persistent runners: the SSM value holds token arguments.
    public static let persistent = RunnerScenario(ephemeral: false, jitEnabled: false)
    public static let all: [RunnerScenario] = [.ephemeralWithJIT, .ephemeralWithToken, .persistent]

    public var description: String {
        ephemeral ? (jitEnabled ? "ephemeral runners with JIT config" : "ephemeral runners with enable_jit_config = false")
            : "persistent runners"
    }
}

/// Whether a command runs in a scenario, and whether a JIT/agent-mode condition decides it.
struct Reach {
    var truth: Truth
    /// Some guard on the way involves `enable_jit_config` or `agent_mode`.
    var flagGuarded: Bool
    /// The guards that involve those flags (for evidence).
    var flagGuards: [ScriptCondition]

    /// The command does not run in the scenario (or a flag condition the reader cannot decide guards it).
    var excluded: Bool { truth == .no || (truth == .maybe && flagGuarded) }
}

/// Evaluates the conditions guarding commands under a `RunnerScenario`, using the data flow to know
/// which variables hold `enable_jit_config` and `agent_mode`.
struct ConditionEvaluator {
    let flow: FlowAnalysis

    private enum Flag { case jit, mode, ephemeralBool }

    private enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case null
    }

    private struct Operand {
        var value: Value?
        var flag: Flag?
    }

    private var powershell: Bool { flow.powershell }
    private var commands: [ScriptCommand] { flow.commands }

    // MARK: - Reachability

    func reach(_ index: Int, in s: RunnerScenario) -> Reach {
        var visiting: Set<String> = []
        return reach(index, s, depth: 0, visiting: &visiting)
    }

    private func reach(_ index: Int, _ s: RunnerScenario, depth: Int, visiting: inout Set<String>) -> Reach {
        let c = commands[index]
        var guards = c.conditions
        var site: Reach?
        if let f = c.function, let fn = flow.functions[flow.key(f)] {
            let body = fn.bodyRange
            guards = c.conditions.filter { $0.range.start.offset >= body.start.offset && $0.range.start.offset < body.end.offset }
            let k = flow.key(f)
            let sites = (flow.callSites[k] ?? []).filter { commands[$0].function.map(flow.key) != k }
            if depth < 8, !visiting.contains(k), !sites.isEmpty {
                visiting.insert(k)
                var combined: Reach?
                for siteIndex in sites {
                    let r = reach(siteIndex, s, depth: depth + 1, visiting: &visiting)
                    guard var acc = combined else { combined = r; continue }
                    acc.truth = acc.truth || r.truth
                    acc.flagGuarded = acc.flagGuarded && r.flagGuarded
                    acc.flagGuards += r.flagGuards.filter { !acc.flagGuards.contains($0) }
                    combined = acc
                }
                visiting.remove(k)
                site = combined
            } else {
                site = Reach(truth: .maybe, flagGuarded: false, flagGuards: [])
            }
        }
        var own = Reach(truth: .yes, flagGuarded: false, flagGuards: [])
        for g in guards {
            let (t, flagged) = evaluate(g, in: s, function: c.function)
            own.truth = own.truth && t
            if flagged {
                own.flagGuarded = true
                own.flagGuards.append(g)
            }
        }
        guard let site else { return own }
        return Reach(truth: own.truth && site.truth, flagGuarded: own.flagGuarded || site.flagGuarded,
                     flagGuards: own.flagGuards + site.flagGuards.filter { !own.flagGuards.contains($0) })
    }

    /// The truth of "the guarded code runs" for one condition, and whether it involves the flags.
    func evaluate(_ g: ScriptCondition, in s: RunnerScenario, function: String?) -> (Truth, Bool) {
        if g.kind == .templateIf {
            let (t, flagged) = TemplateExpression.evaluate(g.text, in: s)
            return (g.holds ? t : !t, flagged)
        }
        var flagged = false
        let t = evaluate(g.expression, s, function, &flagged, depth: 0)
        return (g.holds ? t : !t, flagged)
    }

    private func evaluate(_ e: ConditionExpression, _ s: RunnerScenario, _ fn: String?, _ flagged: inout Bool, depth: Int) -> Truth {
        guard depth < 64 else { return .maybe }
        switch e {
        case .and(let a, let b):
            let l = evaluate(a, s, fn, &flagged, depth: depth + 1), r = evaluate(b, s, fn, &flagged, depth: depth + 1)
            return l && r
        case .or(let a, let b):
            let l = evaluate(a, s, fn, &flagged, depth: depth + 1), r = evaluate(b, s, fn, &flagged, depth: depth + 1)
            return l || r
        case .not(let a):
            return !evaluate(a, s, fn, &flagged, depth: depth + 1)
        case .compare(let l, let op, let r):
            var lo = operand(l, s, fn, depth: depth), ro = operand(r, s, fn, depth: depth)
            inferModeComparison(&lo, &ro, s)
            if lo.flag != nil || ro.flag != nil { flagged = true }
            return compare(lo, op, ro, rightWord: r)
        case .unary(let op, let w):
            let o = operand(w, s, fn, depth: depth)
            if o.flag != nil { flagged = true }
            guard let v = o.value else { return .maybe }
            switch op {
            case "-z": return isEmpty(v) ? .yes : .no
            case "-n": return isEmpty(v) ? .no : .yes
            default: return .maybe
            }
        case .truthy(let w):
            let o = operand(w, s, fn, depth: depth)
            if o.flag != nil { flagged = true }
            guard let v = o.value else { return .maybe }
            switch v {
            case .string(let x): return x.isEmpty ? .no : .yes
            case .bool(let b): return b ? .yes : .no
            case .null: return .no
            }
        case .matches(let subject, let patterns):
            var o = operand(subject, s, fn, depth: depth)
            if o.flag == nil, o.value == nil, patterns.contains(where: { ["ephemeral", "persistent"].contains($0.literalValue?.lowercased() ?? "") }) {
                o = Operand(value: .string(s.ephemeral ? "ephemeral" : "persistent"), flag: .mode)
            }
            if o.flag != nil { flagged = true }
            guard case .string(let v)? = o.value else { return .maybe }
            var result = Truth.no
            for p in patterns {
                guard let pattern = p.literalValue else { result = result || .maybe; continue }
                let match = powershell ? v.lowercased() == pattern.lowercased() || pattern.lowercased() == "default"
                    : Self.glob(pattern, matches: v)
                if match { return .yes }
            }
            return result
        case .command(let i):
            guard i < commands.count else { return .maybe }
            let c = commands[i]
            // bash `if $enable_jit; then`: runs the `true`/`false` builtin.
            if !powershell, let n = c.nameIndex, n < c.words.count, c.words.count == n + 1 {
                let o = operand(c.words[n], s, fn, depth: depth)
                if o.flag != nil { flagged = true }
                if case .string(let v)? = o.value {
                    if v == "true" { return .yes }
                    if v == "false" { return .no }
                }
            }
            return .maybe
        case .unknown:
            return .maybe
        }
    }

    private func isEmpty(_ v: Value) -> Bool {
        switch v {
        case .string(let s): s.isEmpty
        case .bool: false
        case .null: true
        }
    }

    /// `x == "ephemeral"` with `x` of unknown origin: `x` is read as the agent mode.
    private func inferModeComparison(_ l: inout Operand, _ r: inout Operand, _ s: RunnerScenario) {
        func isModeLiteral(_ o: Operand) -> Bool {
            if case .string(let v)? = o.value, o.flag == nil { return ["ephemeral", "persistent"].contains(v.lowercased()) }
            return false
        }
        let mode = Operand(value: .string(s.ephemeral ? "ephemeral" : "persistent"), flag: .mode)
        if l.value == nil, l.flag == nil, isModeLiteral(r) { l = mode }
        if r.value == nil, r.flag == nil, isModeLiteral(l) { r = mode }
    }

    private func compare(_ l: Operand, _ op: String, _ r: Operand, rightWord: ScriptWord) -> Truth {
        guard let lv = l.value, let rv = r.value else { return .maybe }
        let negate = ["!=", "-ne", "-notlike", "-notmatch"].contains(op)
        let base: Truth
        switch op {
        case "=", "==", "!=":
            guard case .string(let a) = lv, case .string(let b) = rv else { return .maybe }
            // In `[[ ]]` an unquoted right-hand side is a glob pattern.
            let isPattern = !rightWord.isQuoted && (b.containsBytes("*") || b.containsBytes("?"))
            base = (isPattern ? Self.glob(b, matches: a) : a == b) ? .yes : .no
        case "-eq", "-ne":
            if powershell {
                base = Self.powerShellEqual(lv, rv) ? .yes : .no
            } else {
                guard case .string(let a) = lv, case .string(let b) = rv, let x = Int(a), let y = Int(b) else { return .maybe }
                base = x == y ? .yes : .no
            }
        case "-like", "-notlike":
            guard case .string(let a) = lv, case .string(let b) = rv else { return .maybe }
            base = Self.glob(b.lowercased(), matches: a.lowercased()) ? .yes : .no
        case "=~", "-match", "-notmatch":
            guard case .string(let a) = lv, case .string(let b) = rv,
                  b.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" || $0 == "-" })
            else { return .maybe }
            base = (powershell ? a.lowercased().contains(b.lowercased()) : a.contains(b)) ? .yes : .no
        default:
            return .maybe
        }
        return negate ? !base : base
    }

    /// PowerShell converts the right operand to the type of the left one.
    private static func powerShellEqual(_ l: Value, _ r: Value) -> Bool {
        switch (l, r) {
        case (.string(let a), .string(let b)): return a.lowercased() == b.lowercased()
        case (.string(let a), .bool(let b)): return a.lowercased() == (b ? "true" : "false")
        case (.bool(let a), .string(let b)): return a == !b.isEmpty
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        }
    }

    static func glob(_ pattern: String, matches text: String) -> Bool {
        Wildcard.matches(Array(pattern.unicodeScalars), Array(text.unicodeScalars), star: "*", one: "?")
    }

    // MARK: - Operands

    private func operand(_ w: ScriptWord, _ s: RunnerScenario, _ fn: String?, depth: Int) -> Operand {
        guard depth < 32 else { return Operand() }
        if powershell, let group = PowerShellConditionParser.pureGroup(w), group.commands.count == 1, group.commands[0] < commands.count {
            let inner = commands[group.commands[0]]
            if inner.kind == .expression, inner.words.count == 1 { return operand(inner.words[0], s, fn, depth: depth + 1) }
        }
        if let literal = w.literalValue { return Operand(value: .string(literal), flag: nil) }
        if let v = w.singleVariable {
            if powershell {
                switch v.name.lowercased() {
                case "true": return Operand(value: .bool(true), flag: nil)
                case "false": return Operand(value: .bool(false), flag: nil)
                case "null": return Operand(value: .null, flag: nil)
                default: break
                }
            }
            let facts = flow.facts(ofVariable: v.name, function: fn)
            if let flag = flag(facts: facts, name: v.name) { return Operand(value: value(of: flag, s), flag: flag) }
            return Operand()
        }
        if w.parts.count == 1, case .substitution(let sub) = w.parts[0] {
            if let flag = flag(facts: flow.substitutionFacts(sub), name: nil) { return Operand(value: value(of: flag, s), flag: flag) }
        }
        return Operand()
    }

    private func flag(facts: Set<ValueFact>, name: String?) -> Flag? {
        let jit = facts.contains(.jitFlag), mode = facts.contains(.agentMode)
        if jit && !mode { return .jit }
        if mode && !jit { return .mode }
        if jit && mode { return nil }
        guard let name, !facts.contains(.instanceParameter) else { return nil }
        let n = FlowAnalysis.normalizedName(name)
        if n.containsBytes("enablejit") || n.containsBytes("jitenabled") || n.containsBytes("usejit") || n == "jit" { return .jit }
        if n.containsBytes("agentmode") || n.containsBytes("runnermode") { return .mode }
        if n.containsBytes("ephemeral") { return .ephemeralBool }
        return nil
    }

    private func value(of flag: Flag, _ s: RunnerScenario) -> Value {
        switch flag {
        case .jit: .string(s.jitEnabled ? "true" : "false")
        case .mode: .string(s.ephemeral ? "ephemeral" : "persistent")
        case .ephemeralBool: .string(s.ephemeral ? "true" : "false")
        }
    }
}
