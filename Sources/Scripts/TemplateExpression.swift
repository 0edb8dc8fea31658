import AuditCore

/// Evaluates the condition of a Terraform template `%{ if … }` as far as the runner scenario decides
/// it: a template variable named like the JIT switch (`enable_jit_config`, `var.use_jit`), the agent
/// mode (`agent_mode`) or ephemerality (`enable_ephemeral_runners`) takes the scenario's value;
/// anything else is unknown. Handles literals, `!`, `==`, `!=`, `&&`, `||` and parentheses.
struct TemplateExpression {
    private enum Token: Equatable {
        case identifier(String), string(String), op(String)
    }

    private enum Value: Equatable {
        case bool(Bool), string(String), unknown
    }

    private let tokens: [Token]
    private let scenario: RunnerScenario
    private var i = 0
    private(set) var flagged = false

    private init(_ text: String, _ scenario: RunnerScenario) {
        self.tokens = Self.tokenize(text)
        self.scenario = scenario
    }

    /// The truth of `text` in `scenario`, and whether a flag-named variable took part.
    static func evaluate(_ text: String, in scenario: RunnerScenario) -> (Truth, Bool) {
        var e = TemplateExpression(text, scenario)
        let v = e.parseOr(0)
        guard e.i == e.tokens.count else { return (.maybe, e.flagged) }
        return (truth(v), e.flagged)
    }

    /// True when the expression names the JIT switch.
    static func mentionsJIT(_ text: String) -> Bool {
        tokenize(text).contains { if case .identifier(let n) = $0 { return kind(of: n) == .jit } else { return false } }
    }

    private enum Flag { case jit, mode, ephemeral }

    private static func kind(of identifier: String) -> Flag? {
        let last = identifier.split(separator: ".").last.map(String.init) ?? identifier
        let n = FlowAnalysis.normalizedName(last)
        if n.containsBytes("enablejit") || n.containsBytes("jitenabled") || n.containsBytes("usejit") || n.containsBytes("jitconfig") || n == "jit" { return .jit }
        if n.containsBytes("agentmode") || n.containsBytes("runnermode") { return .mode }
        if n.containsBytes("ephemeral") { return .ephemeral }
        return nil
    }

    private static func truth(_ v: Value) -> Truth {
        switch v {
        case .bool(let b): b ? .yes : .no
        case .string("true"): .yes
        case .string("false"): .no
        default: .maybe
        }
    }

    private static func tokenize(_ text: String) -> [Token] {
        var out: [Token] = []
        let chars = Array(text.unicodeScalars)
        var p = 0
        while p < chars.count {
            let c = chars[p]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { p += 1; continue }
            if c == "\"" {
                var s = ""
                p += 1
                while p < chars.count, chars[p] != "\"" {
                    if chars[p] == "\\", p + 1 < chars.count { p += 1 }
                    s.unicodeScalars.append(chars[p])
                    p += 1
                }
                p += 1
                out.append(.string(s))
                continue
            }
            if c.properties.isAlphabetic || c == "_" {
                var s = ""
                while p < chars.count, chars[p].properties.isAlphabetic || chars[p].properties.numericType != nil
                    || chars[p] == "_" || chars[p] == "." || chars[p] == "-" {
                    s.unicodeScalars.append(chars[p])
                    p += 1
                }
                out.append(.identifier(s))
                continue
            }
            let two = p + 1 < chars.count ? String(String.UnicodeScalarView([c, chars[p + 1]])) : ""
            if ["==", "!=", "&&", "||"].contains(two) {
                out.append(.op(two))
                p += 2
                continue
            }
            out.append(.op(String(c)))
            p += 1
        }
        return out
    }

    private mutating func parseOr(_ depth: Int) -> Value {
        var l = parseAnd(depth)
        while i < tokens.count, tokens[i] == .op("||") {
            i += 1
            let r = parseAnd(depth)
            l = Self.combine(l, r, and: false)
        }
        return l
    }

    private mutating func parseAnd(_ depth: Int) -> Value {
        var l = parseNot(depth)
        while i < tokens.count, tokens[i] == .op("&&") {
            i += 1
            let r = parseNot(depth)
            l = Self.combine(l, r, and: true)
        }
        return l
    }

    private static func combine(_ l: Value, _ r: Value, and: Bool) -> Value {
        let t = and ? truth(l) && truth(r) : truth(l) || truth(r)
        switch t {
        case .yes: return .bool(true)
        case .no: return .bool(false)
        case .maybe: return .unknown
        }
    }

    private mutating func parseNot(_ depth: Int) -> Value {
        guard depth < 32, i < tokens.count else { return .unknown }
        if tokens[i] == .op("!") {
            i += 1
            switch Self.truth(parseNot(depth + 1)) {
            case .yes: return .bool(false)
            case .no: return .bool(true)
            case .maybe: return .unknown
            }
        }
        let l = parsePrimary(depth)
        if i < tokens.count, tokens[i] == .op("==") || tokens[i] == .op("!=") {
            let negate = tokens[i] == .op("!=")
            i += 1
            let r = parsePrimary(depth)
            guard l != .unknown, r != .unknown else { return .unknown }
            return .bool((l == r) != negate)
        }
        return l
    }

    private mutating func parsePrimary(_ depth: Int) -> Value {
        guard i < tokens.count else { return .unknown }
        let t = tokens[i]
        i += 1
        switch t {
        case .string(let s): return .string(s)
        case .identifier("true"): return .bool(true)
        case .identifier("false"): return .bool(false)
        case .identifier(let name):
            guard let flag = Self.kind(of: name) else { return .unknown }
            flagged = true
            switch flag {
            case .jit: return .bool(scenario.jitEnabled)
            case .ephemeral: return .bool(scenario.ephemeral)
            case .mode: return .string(scenario.ephemeral ? "ephemeral" : "persistent")
            }
        case .op("("):
            let v = parseOr(depth + 1)
            if i < tokens.count, tokens[i] == .op(")") { i += 1 } else { return .unknown }
            return v
        default:
            return .unknown
        }
    }
}
