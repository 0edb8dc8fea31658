/// Message helpers of the IAM rules.
enum IAMWording {
    /// "`a`, `b` and `c`", sorted.
    static func list(_ names: some Collection<String>, conjunction: String = "and") -> String {
        let quoted = names.sorted().map { "`\($0)`" }
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
