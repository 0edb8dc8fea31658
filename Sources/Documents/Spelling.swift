/// "Did you mean" support shared by every layer that rejects a name: function names, block types,
/// YAML keys, IAM actions.
public enum Spelling {
    /// The Levenshtein distance between `a` and `b` counted in Unicode scalars, or nil as soon as it
    /// is known to exceed `limit` (so comparing against long catalogues stays cheap).
    public static func distance(_ a: String, _ b: String, limit: Int = .max) -> Int? {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if abs(s.count - t.count) > limit { return nil }
        if s.isEmpty { return t.count <= limit ? t.count : nil }
        if t.isEmpty { return s.count <= limit ? s.count : nil }
        var previous = Array(0...t.count)
        var current = [Int](repeating: 0, count: t.count + 1)
        for i in 1...s.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...t.count {
                let substitution = previous[j - 1] + (s[i - 1] == t[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[t.count] <= limit ? previous[t.count] : nil
    }

    /// The candidate closest to `name`: an exact case-insensitive match first, then the nearest by
    /// edit distance within `maxDistance` (ties broken alphabetically, so the answer is stable).
    /// Nil when nothing is close, or when `name` itself is a candidate.
    public static func suggestion<Candidates: Sequence>(
        for name: String, among candidates: Candidates, maxDistance: Int = 2
    ) -> String? where Candidates.Element == String {
        let sorted = Array(Set(candidates)).sorted()
        if sorted.contains(name) { return nil }
        let lowered = name.lowercased()
        if let caseOnly = sorted.first(where: { $0.lowercased() == lowered }) { return caseOnly }
        var best: (name: String, distance: Int)?
        for candidate in sorted {
            let limit = best.map { $0.distance - 1 } ?? maxDistance
            guard limit >= 0, let d = distance(name, candidate, limit: limit) else { continue }
            best = (candidate, d)
        }
        return best?.name
    }

    /// "`a`", "`a` or `b`", "`a`, `b` or `c`": names quoted with backticks and sorted, for the
    /// "expected ..." part of a detail.
    public static func quotedList<Names: Sequence>(_ names: Names, conjunction: String = "or") -> String
    where Names.Element == String {
        let quoted = Array(Set(names)).sorted().map { "`\($0)`" }
        switch quoted.count {
        case 0: return ""
        case 1: return quoted[0]
        default: return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + quoted.last!
        }
    }
}
