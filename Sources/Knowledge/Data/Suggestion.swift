/// "Did you mean" support: the nearest name within a small edit distance.
public enum Suggestion {
    /// The candidate nearest to `name` by Levenshtein distance (Unicode scalars, case-sensitive),
    /// if that distance is at most `maxDistance` and `name` itself is not a candidate.
    /// Ties go to the candidate that differs only in case, then the lexicographically smallest,
    /// so the answer never depends on the order of `candidates`.
    public static func nearest<C: Collection>(to name: String, among candidates: C, maxDistance: Int = 2) -> String?
    where C.Element == String {
        guard !name.isEmpty else { return nil }
        var best: (distance: Int, caseOnly: Bool, name: String)?
        let lowered = name.lowercased()
        for candidate in candidates {
            if candidate == name { return nil }
            // Cheap bound: lengths that differ by more than the limit cannot be within it.
            if abs(candidate.unicodeScalars.count - name.unicodeScalars.count) > maxDistance { continue }
            let d = levenshtein(name, candidate, limit: maxDistance)
            guard d <= maxDistance else { continue }
            let caseOnly = candidate.lowercased() == lowered
            if let b = best {
                let better = d < b.distance
                    || (d == b.distance && caseOnly && !b.caseOnly)
                    || (d == b.distance && caseOnly == b.caseOnly && candidate < b.name)
                if !better { continue }
            }
            best = (d, caseOnly, candidate)
        }
        return best?.name
    }

    /// Levenshtein distance over Unicode scalars; stops early and returns `limit + 1` once the
    /// distance is known to exceed `limit`.
    public static func levenshtein(_ a: String, _ b: String, limit: Int = .max) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMin = min(rowMin, current[j])
            }
            if limit != .max, rowMin > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
