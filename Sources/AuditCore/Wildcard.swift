/// Matching of a text against a pattern with `*` (any run, possibly empty) and `?` (any one
/// element): what EC2's name filter, the shell's `[[ x == pattern ]]` and IAM's plain requests
/// need. One implementation for every kind of element (characters, scalars, bytes, atoms).
public enum Wildcard {
    /// Whether `text` matches `pattern`. Greedy, going back to the last star on a mismatch.
    @inlinable
    public static func matches<P: RandomAccessCollection, T: RandomAccessCollection>(
        _ pattern: P, _ text: T, isStar: (P.Element) -> Bool, isOne: (P.Element) -> Bool,
        equal: (P.Element, T.Element) -> Bool
    ) -> Bool where P.Index == Int, T.Index == Int {
        let (p0, t0) = (pattern.startIndex, text.startIndex)
        var i = 0, j = 0, star = -1, resume = 0
        while j < text.count {
            if i < pattern.count, isOne(pattern[p0 + i]) || (!isStar(pattern[p0 + i]) && equal(pattern[p0 + i], text[t0 + j])) {
                i += 1
                j += 1
            } else if i < pattern.count, isStar(pattern[p0 + i]) {
                star = i
                resume = j
                i += 1
            } else if star >= 0 {
                i = star + 1
                resume += 1
                j = resume
            } else {
                return false
            }
        }
        while i < pattern.count, isStar(pattern[p0 + i]) { i += 1 }
        return i == pattern.count
    }

    /// `matches` for elements compared by `==`, with `star` and `one` as the wildcards.
    @inlinable
    public static func matches<E: Equatable>(_ pattern: [E], _ text: [E], star: E, one: E) -> Bool {
        matches(pattern, text, isStar: { $0 == star }, isOne: { $0 == one }, equal: ==)
    }
}
