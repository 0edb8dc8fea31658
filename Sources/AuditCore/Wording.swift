/// The message style's small helpers, one definition for every layer: identifiers quoted with
/// backticks, alternatives sorted and quoted, and "did you mean" for near misses.
public enum Wording {
    /// `` `name` ``.
    /// A name as a code span; one holding backticks gets a longer delimiter (and a space of
    /// padding when it starts or ends with one), so the span still ends where the name does.
    public static func quoted(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: "`")) else { return "`\(name)`" }
        let fence = String(repeating: "`", count: MarkdownText.longestBacktickRun(name) + 1)
        let pad = name.hasPrefix("`") || name.hasSuffix("`") ? " " : ""
        return fence + pad + name + pad + fence
    }

    /// "`a`", "`a` or `b`", "`a`, `b` or `c`". Sorted and each name once unless `sorted` is false
    /// (then in the given order). With a `limit` above 1, at most that many entries: the last
    /// says how many more there are ("`a`, `b` and 3 more").
    public static func quotedList(_ names: some Sequence<String>, sorted: Bool = true, limit: Int? = nil,
                                  conjunction: String = "or") -> String {
        var items = (sorted ? Array(Set(names)).sorted() : Array(names)).map(quoted)
        if let limit, limit > 1, items.count > limit {
            let rest = items.count - (limit - 1)
            items = Array(items.prefix(limit - 1)) + ["\(rest) more"]
        }
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items.last!
        }
    }

    /// The candidates to suggest for the unknown `name`, sorted: those that differ from it only in
    /// case when there are any; else those at the smallest edit distance, at most `maxDistance`
    /// (`distance`, case ignored). Empty when `name` is empty, is itself a candidate, or nothing
    /// is close.
    public static func suggestions(for name: String, among candidates: some Sequence<String>,
                                   maxDistance: Int = 2) -> [String] {
        let unique = Set(candidates)
        guard !name.isEmpty, !unique.contains(name) else { return [] }
        let lowered = name.lowercased()
        let caseOnly = unique.filter { $0.lowercased() == lowered }
        if !caseOnly.isEmpty { return caseOnly.sorted() }
        var best = maxDistance + 1
        var found: [String] = []
        for candidate in unique {
            let d = distance(lowered, candidate.lowercased(), limit: best)
            if d < best { best = d; found = [candidate] } else if d == best { found.append(candidate) }
        }
        return best <= maxDistance ? found.sorted() : []
    }

    /// The first of `suggestions`: the one answer where a message names a single candidate.
    public static func suggestion(for name: String, among candidates: some Sequence<String>,
                                  maxDistance: Int = 2) -> String? {
        suggestions(for: name, among: candidates, maxDistance: maxDistance).first
    }

    /// " Did you mean `x`?" (or "`x` or `y`", at most three) or "": ready to append to a sentence.
    public static func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String {
        didYouMean(suggestions(for: name, among: candidates))
    }

    /// " Did you mean `x`?" for suggestions already found, or "".
    public static func didYouMean(_ suggestions: [String]) -> String {
        guard !suggestions.isEmpty else { return "" }
        return " Did you mean \(suggestions.prefix(3).map(quoted).joined(separator: " or "))?"
    }

    /// The edit distance between `a` and `b` over Unicode scalars: insertions, deletions,
    /// substitutions and swaps of two adjacent scalars each count one (optimal string alignment).
    /// Stops early and returns `limit + 1` once the distance is known to exceed `limit`.
    public static func distance(_ a: String, _ b: String, limit: Int = .max) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        let over = limit == .max ? Int.max : limit + 1
        if abs(x.count - y.count) > limit { return over }
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev2 = [Int](repeating: 0, count: y.count + 1)
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            var rowMinimum = cur[0]
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    v = min(v, prev2[j - 2] + 1)
                }
                cur[j] = v
                rowMinimum = min(rowMinimum, v)
            }
            if rowMinimum > limit { return over }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[y.count] > limit ? over : prev[y.count]
    }

    /// A YAML double-quoted scalar whose value is exactly `s`: quotes, backslashes, control
    /// characters, C1 controls, the BOM and the Unicode line separators escaped.
    public static func yamlQuoted(_ s: String) -> String {
        doubleQuoted(s) { scalar in
            guard scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                || scalar.value == 0xFEFF || scalar.value == 0x2028 || scalar.value == 0x2029 else { return nil }
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }

    /// `s` between double quotes with the escapes YAML, JSON-like and Swift literals share
    /// (`\"`, `\\`, `\n`, `\t`, `\r`); any other scalar is written as `escape` returns it, or
    /// as itself when that is nil.
    public static func doubleQuoted(_ s: String, escape: (Unicode.Scalar) -> String?) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if let escaped = escape(scalar) { out += escaped } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
