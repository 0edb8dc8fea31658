import Foundation

/// The part of JMESPath (`aws --query`) start scripts use: fields, `[n]`, `[*]`, `[]`, `[?a=='b']`,
/// multiselect hashes `{A:B}` and lists `[A,B]`, and `|`. Anything else is unsupported (nil), and the
/// stub then records the call as unmodelled instead of guessing.
enum JMESPath {
    indirect enum Step {
        case field(String)
        case index(Int)
        case project
        case flatten
        case filter(path: [Step], equals: String)
        case hash([(String, [Step])])
        case list([[Step]])
    }

    /// The query's pipeline stages, or nil when it uses syntax outside the subset.
    static func parse(_ q: String) -> [[Step]]? {
        var stages: [[Step]] = []
        for part in splitTopLevel(q, on: "|") {
            guard let steps = parseSteps(Substring(part.trimmingCharacters(in: .whitespaces))) else { return nil }
            stages.append(steps)
        }
        return stages
    }

    static func splitTopLevel(_ s: String, on sep: Character) -> [String] {
        var parts: [String] = [], depth = 0, cur = "", quote: Character?
        for c in s {
            if let q = quote { cur.append(c); if c == q { quote = nil }; continue }
            if c == "'" || c == "`" || c == "\"" { quote = c; cur.append(c); continue }
            if c == "[" || c == "{" { depth += 1 }
            if c == "]" || c == "}" { depth -= 1 }
            if c == sep && depth == 0 { parts.append(cur); cur = ""; continue }
            cur.append(c)
        }
        parts.append(cur)
        return parts
    }

    static func parseSteps(_ s: Substring) -> [Step]? {
        var steps: [Step] = []
        var i = s.startIndex
        func isIdent(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        while i < s.endIndex {
            let c = s[i]
            if c == "." { i = s.index(after: i); continue }
            if c == "\"" {
                guard let end = s[s.index(after: i)...].firstIndex(of: "\"") else { return nil }
                steps.append(.field(String(s[s.index(after: i)..<end])))
                i = s.index(after: end)
            } else if isIdent(c) {
                var j = i
                while j < s.endIndex, isIdent(s[j]) { j = s.index(after: j) }
                steps.append(.field(String(s[i..<j])))
                i = j
            } else if c == "[" || c == "{" {
                // The matching bracket.
                var depth = 0, j = i, quote: Character?
                repeat {
                    let d = s[j]
                    if let q = quote { if d == q { quote = nil } } else if d == "'" || d == "`" { quote = d } else if d == "[" || d == "{" { depth += 1 } else if d == "]" || d == "}" { depth -= 1 }
                    j = s.index(after: j)
                } while depth > 0 && j < s.endIndex
                guard depth == 0 else { return nil }
                let inner = s[s.index(after: i)..<s.index(before: j)].trimmingCharacters(in: .whitespaces)
                if c == "{" {
                    var pairs: [(String, [Step])] = []
                    for p in splitTopLevel(inner, on: ",") {
                        guard let colon = p.firstIndex(of: ":") else { return nil }
                        let key = p[..<colon].trimmingCharacters(in: .whitespaces)
                        guard let sub = parseSteps(Substring(p[p.index(after: colon)...].trimmingCharacters(in: .whitespaces))) else { return nil }
                        pairs.append((key, sub))
                    }
                    steps.append(.hash(pairs))
                } else if inner == "*" {
                    steps.append(.project)
                } else if inner.isEmpty {
                    steps.append(.flatten)
                } else if let n = Int(inner) {
                    steps.append(.index(n))
                } else if inner.hasPrefix("?") {
                    let cond = inner.dropFirst()
                    guard let eq = cond.range(of: "==") else { return nil }
                    guard let path = parseSteps(Substring(cond[..<eq.lowerBound].trimmingCharacters(in: .whitespaces))) else { return nil }
                    var lit = cond[eq.upperBound...].trimmingCharacters(in: .whitespaces)
                    guard lit.count >= 2, let f = lit.first, f == lit.last, f == "'" || f == "`" else { return nil }
                    lit = String(lit.dropFirst().dropLast())
                    if f == "`" { lit = lit.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                    steps.append(.filter(path: path, equals: lit))
                } else {
                    var items: [[Step]] = []
                    for p in splitTopLevel(inner, on: ",") {
                        guard let sub = parseSteps(Substring(p.trimmingCharacters(in: .whitespaces))) else { return nil }
                        items.append(sub)
                    }
                    steps.append(.list(items))
                }
                i = j
            } else {
                return nil
            }
        }
        return steps
    }

    static func evaluate(_ stages: [[Step]], _ v: Any) -> Any {
        var cur: Any = v
        for s in stages { cur = eval(s[...], cur) ?? NSNull() }
        return cur
    }

    static func eval(_ steps: ArraySlice<Step>, _ v: Any) -> Any? {
        guard let step = steps.first else { return v }
        let rest = steps.dropFirst()
        switch step {
        case .field(let n):
            guard let o = v as? [String: Any], let x = o[n] else { return nil }
            return eval(rest, x)
        case .index(let n):
            guard let a = v as? [Any] else { return nil }
            let k = n < 0 ? a.count + n : n
            guard k >= 0, k < a.count else { return nil }
            return eval(rest, a[k])
        case .project:
            if let o = v as? [String: Any] { return o.keys.sorted().compactMap { eval(rest, o[$0]!) } }
            guard let a = v as? [Any] else { return nil }
            return a.compactMap { eval(rest, $0) }
        case .flatten:
            guard let a = v as? [Any] else { return nil }
            let flat = a.flatMap { ($0 as? [Any]) ?? [$0] }
            return flat.compactMap { eval(rest, $0) }
        case .filter(let path, let lit):
            guard let a = v as? [Any] else { return nil }
            return a.filter { (eval(path[...], $0) as? String) == lit }.compactMap { eval(rest, $0) }
        case .hash(let pairs):
            var o: [String: Any] = [:]
            for (k, sub) in pairs { o[k] = eval(sub[...], v) ?? NSNull() }
            return eval(rest, o)
        case .list(let items):
            return eval(rest, items.map { eval($0[...], v) ?? NSNull() })
        }
    }

    /// `aws --output text`: scalars as they are, lists tab-separated (lists of lists and of objects
    /// one row each), objects their values in key order.
    static func text(_ v: Any) -> String {
        func scalar(_ x: Any) -> String {
            switch x {
            case is NSNull: return "None"
            case let s as String: return s
            case let b as Bool: return b ? "True" : "False"
            case let n as Int: return String(n)
            case let n as NSNumber: return n.stringValue
            case let a as [Any]: return a.map(scalar).joined(separator: "\t")
            case let o as [String: Any]: return o.keys.sorted().map { scalar(o[$0]!) }.joined(separator: "\t")
            default: return "\(x)"
            }
        }
        if let a = v as? [Any], a.contains(where: { $0 is [Any] || $0 is [String: Any] }) {
            return a.map(scalar).joined(separator: "\n") + "\n"
        }
        return scalar(v) + "\n"
    }

    static func json(_ v: Any) -> String {
        if v is NSNull { return "null\n" }
        if let s = v as? String {
            let d = (try? JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])) ?? Data()
            return String(decoding: d, as: UTF8.self).dropFirst().dropLast() + "\n"
        }
        guard JSONSerialization.isValidJSONObject(v),
              let d = try? JSONSerialization.data(withJSONObject: v, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return "\(v)\n" }
        return String(decoding: d, as: UTF8.self) + "\n"
    }
}
