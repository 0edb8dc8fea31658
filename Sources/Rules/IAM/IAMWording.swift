/// Message helpers of the IAM rules.
enum IAMWording {
    /// "`a`, `b` and `c`": quoted, sorted unless `sorted` is false (then in the given order), and
    /// with at most `limit` entries ("`a`, `b` and 3 more").
    static func list(_ names: some Collection<String>, sorted: Bool = true, limit: Int? = nil, conjunction: String = "and") -> String {
        let ordered = sorted ? names.sorted() : Array(names)
        var quoted = ordered.map { "`\($0)`" }
        if let limit, quoted.count > limit, limit > 1 {
            let rest = quoted.count - (limit - 1)
            quoted = Array(quoted.prefix(limit - 1)) + ["\(rest) more"]
        }
        switch quoted.count {
        case 0: return ""
        case 1: return quoted[0]
        default: return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + quoted.last!
        }
    }

    /// "role `webhook`" or "roles `scale-down` and `scale-up`".
    static func roles(_ names: some Collection<String>) -> String {
        (names.count == 1 ? "role " : "roles ") + list(names)
    }

    /// A sentence with its first letter in upper case.
    static func sentence(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst()
    }
}
