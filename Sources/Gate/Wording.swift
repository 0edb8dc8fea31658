/// Small helpers that keep the wording of every Gate message in the project style: identifiers in
/// backticks, alternatives sorted and quoted, "did you mean" for near misses.
enum Wording {
    /// `` `name` ``.
    static func quote(_ name: String) -> String { "`\(name)`" }

    /// `` `a`, `b` or `c` `` — sorted, each quoted.
    static func quotedList(_ names: some Sequence<String>, conjunction: String = "or") -> String {
        let sorted = Array(Set(names)).sorted().map(quote)
        switch sorted.count {
        case 0: return ""
        case 1: return sorted[0]
        default: return sorted.dropLast().joined(separator: ", ") + " \(conjunction) " + sorted.last!
        }
    }

    /// The candidates closest to `name` (all those at the smallest distance found, at most
    /// `maxDistance` edits away), sorted.
    static func nearest(to name: String, in candidates: some Sequence<String>, maxDistance: Int = 2) -> [String] {
        var best = maxDistance + 1
        var found: [String] = []
        for candidate in Set(candidates) where candidate != name {
            let d = editDistance(name, candidate, limit: maxDistance)
            if d < best { best = d; found = [candidate] } else if d == best { found.append(candidate) }
        }
        return best <= maxDistance ? found.sorted() : []
    }

    /// " Did you mean `x`?" or "" — ready to append to a sentence.
    static func didYouMean(_ suggestions: [String]) -> String {
        guard !suggestions.isEmpty else { return "" }
        return " Did you mean \(suggestions.prefix(3).map(quote).joined(separator: " or "))?"
    }

    /// Levenshtein distance over Unicode scalars with adjacent transpositions counted as one edit
    /// (optimal string alignment). Stops early once every entry of a row exceeds `limit`.
    static func editDistance(_ a: String, _ b: String, limit: Int = .max) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        if abs(x.count - y.count) > limit { return limit == .max ? abs(x.count - y.count) : limit + 1 }
        var prev2 = [Int](repeating: 0, count: y.count + 1)
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            var rowMin = cur[0]
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    v = min(v, prev2[j - 2] + 1)
                }
                cur[j] = v
                rowMin = min(rowMin, v)
            }
            if rowMin > limit { return limit + 1 }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[y.count]
    }
}
