/// A path pattern matched against `/`-separated relative paths: the one glob of the tool, for the
/// config file's `include`/`exclude` (`.gitignore` syntax, the default) and for Terraform's
/// `fileset` (`.fileset` syntax).
///
/// `.gitignore` syntax:
///
/// - `*` matches within one path segment, `?` one character, `[a-z]`/`[!.]` a character class,
///   `{tf,hcl}` one of the alternatives, and a `**` segment any number of segments.
/// - A pattern without a `/` (other than a trailing one) matches a name at any depth:
///   `*.bak` matches `a/b/c.bak`. A pattern with a `/` is anchored at the scan root; a leading
///   `/` or `./` only says so explicitly.
/// - A pattern matches a path when it matches the path itself or one of its directories:
///   `.terraform` and `examples/` exclude everything below them. A trailing `/` matches
///   directories only.
///
/// `.fileset` syntax (Terraform's `fileset`, Go's doublestar): the same wildcards, always anchored,
/// matching the whole path only; `\` escapes the next character, `..` is an ordinary name, and an
/// empty pattern matches nothing.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public enum Syntax: Sendable, Hashable {
        case gitignore
        case fileset
    }

    public enum PatternError: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case unclosedClass
        case unbalancedBraces
        case parentSegment
        case backslash
        case tooManyAlternatives

        public var description: String {
            switch self {
            case .empty: "the pattern is empty"
            case .unclosedClass: "a `[` has no closing `]`"
            case .unbalancedBraces: "the `{` and `}` do not pair up"
            case .parentSegment: "`..` cannot match: patterns are relative to the scan root"
            case .backslash: "use `/` to separate directories (a `\\` never matches)"
            case .tooManyAlternatives: "the `{…}` alternatives expand to too many patterns (at most 256, from 16 groups)"
            }
        }
    }

    public let pattern: String
    private let alternatives: [[Segment]]
    private let directoryOnly: Bool
    private let syntax: Syntax

    private enum Segment: Sendable, Hashable {
        case anyDepth                                   // **
        case name([Token])
    }

    private enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case one                                        // ?
        case star                                       // *
        case set(negated: Bool, items: [ClosedRange<UInt32>])
    }

    public init(_ pattern: String, syntax: Syntax = .gitignore) throws(PatternError) {
        self.pattern = pattern
        self.syntax = syntax
        var text = pattern
        if syntax == .fileset, text.isEmpty {
            alternatives = []
            directoryOnly = false
            return
        }
        guard !text.isEmpty else { throw .empty }
        guard syntax == .fileset || !text.utf8.contains(UInt8(ascii: "\\")) else { throw .backslash }
        var directoryOnly = false
        while text.hasSuffix("/") && text.count > 1 { text.removeLast(); directoryOnly = true }
        var anchored = false
        if text.hasPrefix("./") { text.removeFirst(2); anchored = true }
        while text.hasPrefix("/") { text.removeFirst(); anchored = true }
        guard !text.isEmpty else { throw .empty }
        if text.utf8.contains(UInt8(ascii: "/")) || syntax == .fileset { anchored = true }
        if text.unicodeScalars.filter({ $0 == "{" }).count > 16 { throw .tooManyAlternatives }
        var expanded: [[Segment]] = []
        for alternative in try Self.expandBraces(text) {
            var segments: [Segment] = anchored ? [] : [.anyDepth]
            for part in alternative.split(separator: "/", omittingEmptySubsequences: true) {
                if part == "..", syntax == .gitignore { throw .parentSegment }
                if part == ".", syntax == .gitignore { continue }
                if part == "**" {
                    if segments.last != .anyDepth { segments.append(.anyDepth) }
                    continue
                }
                segments.append(.name(try Self.tokens(Substring(part), escapes: syntax == .fileset)))
            }
            expanded.append(segments)
        }
        self.alternatives = expanded
        self.directoryOnly = directoryOnly
    }

    public var description: String { pattern }

    /// Whether `path` (relative, `/`-separated) matches; with `.gitignore` syntax also when one of
    /// its directories does.
    public func matches(_ path: String) -> Bool {
        let parts = path.splitBytes(UInt8(ascii: "/")).filter { syntax == .fileset || $0 != "." }
        guard !parts.isEmpty else { return false }
        let names = parts.map { Array($0.unicodeScalars) }
        return alternatives.contains { segments in
            let prefixes = Self.matchingPrefixes(segments, names)
            if syntax == .fileset { return prefixes[names.count] }
            return prefixes.indices.contains { k in
                k >= 1 && prefixes[k] && (!directoryOnly || k < names.count)
            }
        }
    }

    /// `result[k]`: whether the pattern matches the first `k` names exactly.
    private static func matchingPrefixes(_ segments: [Segment], _ names: [[Unicode.Scalar]]) -> [Bool] {
        // dp[j]: pattern[0..<i] matches names[0..<j]; rolled over i.
        var dp = [Bool](repeating: false, count: names.count + 1)
        dp[0] = true
        for segment in segments {
            var next = [Bool](repeating: false, count: names.count + 1)
            switch segment {
            case .anyDepth:
                var reachable = false
                for j in 0...names.count {
                    reachable = reachable || dp[j]
                    next[j] = reachable
                }
            case .name(let tokens):
                for j in 1...max(1, names.count) where j <= names.count && dp[j - 1] && matchName(tokens, names[j - 1]) {
                    next[j] = true
                }
            }
            dp = next
        }
        return dp
    }

    /// Wildcard match of one name (greedy with backtracking to the last `*`: linear in practice).
    private static func matchName(_ tokens: [Token], _ name: [Unicode.Scalar]) -> Bool {
        var t = 0, n = 0
        var starT = -1, starN = 0
        while n < name.count {
            if t < tokens.count {
                switch tokens[t] {
                case .star:
                    starT = t; starN = n; t += 1
                    continue
                case .one:
                    t += 1; n += 1
                    continue
                case .literal(let c) where c == name[n]:
                    t += 1; n += 1
                    continue
                case .set(let negated, let items) where items.contains { $0.contains(name[n].value) } != negated:
                    t += 1; n += 1
                    continue
                default:
                    break
                }
            }
            guard starT >= 0 else { return false }
            t = starT + 1
            starN += 1
            n = starN
        }
        while t < tokens.count, tokens[t] == .star { t += 1 }
        return t == tokens.count
    }

    private static func tokens(_ part: Substring, escapes: Bool) throws(PatternError) -> [Token] {
        var out: [Token] = []
        let scalars = Array(part.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "\\" where escapes && i + 1 < scalars.count:
                out.append(.literal(scalars[i + 1]))
                i += 2
            case "*":
                if out.last != .star { out.append(.star) }
                i += 1
            case "?":
                out.append(.one)
                i += 1
            case "[":
                var j = i + 1
                var negated = false
                if j < scalars.count, scalars[j] == "!" || scalars[j] == "^" { negated = true; j += 1 }
                var items: [ClosedRange<UInt32>] = []
                var first = true
                while j < scalars.count, scalars[j] != "]" || first {
                    first = false
                    let lo = scalars[j].value
                    if j + 2 < scalars.count, scalars[j + 1] == "-", scalars[j + 2] != "]" {
                        let hi = scalars[j + 2].value
                        items.append(min(lo, hi)...max(lo, hi))
                        j += 3
                    } else {
                        items.append(lo...lo)
                        j += 1
                    }
                }
                guard j < scalars.count else { throw .unclosedClass }
                out.append(.set(negated: negated, items: items))
                i = j + 1
            default:
                out.append(.literal(c))
                i += 1
            }
        }
        return out
    }

    /// `a{b,c{d,e}}` → `ab`, `acd`, `ace`.
    private static func expandBraces(_ text: String) throws(PatternError) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var depth = 0
        var open = -1
        var commas: [Int] = []
        for (i, c) in scalars.enumerated() {
            if c == "{" {
                if depth == 0 { open = i; commas = [] }
                depth += 1
            } else if c == "}" {
                depth -= 1
                if depth < 0 { throw .unbalancedBraces }
                if depth == 0 {
                    func string(_ r: Range<Int>) -> String {
                        var s = String.UnicodeScalarView()
                        s.append(contentsOf: scalars[r])
                        return String(s)
                    }
                    let prefix = string(0..<open), suffix = string((i + 1)..<scalars.count)
                    let bounds = [open] + commas + [i]
                    var results: [String] = []
                    for k in 0..<(bounds.count - 1) {
                        let choice = string((bounds[k] + 1)..<bounds[k + 1])
                        for expanded in try expandBraces(prefix + choice + suffix) {
                            results.append(expanded)
                            if results.count > 256 { throw .tooManyAlternatives }
                        }
                    }
                    return results
                }
            } else if c == ",", depth == 1 {
                commas.append(i)
            }
        }
        if depth != 0 { throw .unbalancedBraces }
        return [text]
    }
}
