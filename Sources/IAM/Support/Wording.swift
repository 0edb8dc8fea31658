/// Helpers for the message style: sorted quoted alternatives and "did you mean".
enum Wording {
    /// "`a`, `b` or `c`", sorted.
    static func alternatives(_ names: [String], conjunction: String = "or") -> String {
        let quoted = names.sorted().map { "`\($0)`" }
        switch quoted.count {
        case 0: return ""
        case 1: return quoted[0]
        default: return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + quoted.last!
        }
    }

    /// The candidate that differs only in case, else the nearest within edit distance 2.
    static func suggestion(for name: String, in candidates: [String]) -> String? {
        if let same = candidates.first(where: { $0.lowercased() == name.lowercased() && $0 != name }) { return same }
        var best: (String, Int)?
        for c in candidates.sorted() {
            let d = distance(name.lowercased(), c.lowercased())
            if d <= 2, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    /// " Did you mean `x`?" or "".
    static func didYouMean(_ name: String, in candidates: [String]) -> String {
        suggestion(for: name, in: candidates).map { " Did you mean `\($0)`?" } ?? ""
    }

    /// Levenshtein distance over Unicode scalars.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}
