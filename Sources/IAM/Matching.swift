import AuditCore
/// Matching of policy patterns against requested patterns, in three-valued logic.
///
/// A request is itself a pattern: the module asks for `kms:ReEncrypt*` or for
/// `arn:${partition}:ssm:${region}:${account}:parameter${ssm_config_path}/*`, so the questions are
/// "does the grant cover every string the request stands for" (`covers`, for Allow) and "does it
/// match at least one of them" (`overlaps`, for Deny). Both answer `maybe` when the outcome depends
/// on an unknown part.
///
/// `covers` works symbolically: a `*` in the request can only be covered by a `*` in the grant, and
/// a `?` by a `?` or `*`. This is sound (a `yes` is always right); for exotic pairs of wildcard
/// patterns it may answer `no` where the languages are in fact contained. `overlaps` is exact for
/// wildcards (a search of the product automaton).
public enum PatternMatch {
    public struct Result: Sendable, Hashable {
        public var truth: Truth
        /// When `truth` is `maybe`: what the answer depends on.
        public var dependencies: [String]

        public init(_ truth: Truth, dependencies: [String] = []) {
            self.truth = truth
            self.dependencies = truth == .maybe ? dependencies : []
        }

        static let yes = Result(.yes), no = Result(.no)
    }

    // MARK: Actions

    /// Whether the action pattern of a grant covers every action the request stands for. Service
    /// prefixes and action names are case-insensitive.
    public static func actionCovers(_ grant: PolicyPattern, _ request: PolicyPattern) -> Result {
        if let t = asciiActionMatch(grant, request) { return Result(t) }
        return result(covers(atoms(grant, folding: true), atoms(request, folding: true)), grant, request)
    }

    /// Whether the action pattern of a grant matches at least one action the request stands for.
    public static func actionOverlaps(_ grant: PolicyPattern, _ request: PolicyPattern) -> Result {
        if let t = asciiActionMatch(grant, request) { return Result(t) }
        return result(overlaps(atoms(grant, folding: true), atoms(request, folding: true)), grant, request)
    }

    /// An action written in ASCII without wildcards (every action the module asks for) against an
    /// ASCII grant of characters and wildcards: `plainMatch` on bytes, case folded, without
    /// building atoms. Nil otherwise.
    static func asciiActionMatch(_ grant: PolicyPattern, _ request: PolicyPattern) -> Truth? {
        var text: [UInt8] = []
        for piece in request.pieces {
            guard case .literal(let s) = piece else { return nil }
            for b in s.utf8 {
                guard b < 0x80 else { return nil }
                text.append(b >= 0x41 && b <= 0x5A ? b + 32 : b)
            }
        }
        // The grant as bytes: a star is 0xFF, a question mark 0xFE (neither is ASCII).
        var pattern: [UInt8] = []
        for piece in grant.pieces {
            switch piece {
            case .literal(let s):
                for b in s.utf8 {
                    guard b < 0x80 else { return nil }
                    pattern.append(b >= 0x41 && b <= 0x5A ? b + 32 : b)
                }
            case .anySequence: pattern.append(0xFF)
            case .anyCharacter: pattern.append(0xFE)
            case .unknown, .policyVariable: return nil
            }
        }
        return Wildcard.matches(pattern, text, star: 0xFF, one: 0xFE) ? .yes : .no
    }

    // MARK: Resources

    /// Whether a resource pattern covers every resource the request stands for. ARNs are compared
    /// segment by segment (`arn:partition:service:region:account:resource`); wildcards do not
    /// cross the colons between the first five segments, but may in the resource part. A lone `*`
    /// covers everything.
    public static func resourceCovers(_ grant: PolicyPattern, _ request: PolicyPattern) -> Result {
        resourceMatch(grant, request, covers)
    }

    /// Whether a resource pattern matches at least one resource the request stands for.
    public static func resourceOverlaps(_ grant: PolicyPattern, _ request: PolicyPattern) -> Result {
        resourceMatch(grant, request, overlaps)
    }

    // MARK: Plain strings

    /// Whether a pattern covers a requested pattern as whole strings (condition values, principals).
    public static func stringCovers(_ grant: PolicyPattern, _ request: PolicyPattern, ignoringCase: Bool = false) -> Result {
        result(covers(atoms(grant, folding: ignoringCase), atoms(request, folding: ignoringCase)), grant, request)
    }

    // MARK: Implementation

    enum Atom: Hashable {
        case char(Unicode.Scalar)
        case star
        case one
        /// Named: the same placeholder stands for the same text on both sides.
        case unknown(String)

        var isUnknown: Bool { if case .unknown = self { true } else { false } }
    }

    static func atoms(_ p: PolicyPattern, folding: Bool) -> [Atom] {
        atoms(p.pieces, folding: folding)
    }

    static func atoms(_ pieces: [PolicyPattern.Piece], folding: Bool) -> [Atom] {
        var out: [Atom] = []
        for piece in pieces {
            switch piece {
            case .literal(let s):
                for c in (folding ? s.lowercased() : s).unicodeScalars { out.append(.char(c)) }
            case .anySequence: out.append(.star)
            case .anyCharacter: out.append(.one)
            case .unknown(let n): out.append(.unknown(n))
            case .policyVariable(let n): out.append(.unknown("${" + n + "}"))
            }
        }
        return out
    }

    private static func result(_ t: Truth, _ a: PolicyPattern, _ b: PolicyPattern) -> Result {
        Result(t, dependencies: dependencies(a, b))
    }

    private static func dependencies(_ a: PolicyPattern, _ b: PolicyPattern) -> [String] {
        var seen = Set<String>()
        return (a.dependencies + b.dependencies).filter { seen.insert($0).inserted }
    }

    /// Symbolic containment: does every string of `r` match `p`?
    /// `f[i][j]`: does `p[i...]` cover `r[j...]`. Every step advances `i` or `j`, so the table is
    /// filled from the end.
    static func covers(_ p: [Atom], _ r: [Atom]) -> Truth {
        plainMatch(p, r) ?? coversTable(p, r)
    }

    /// A request of plain characters against a grant of characters and wildcards: whether the
    /// request's one string matches, which is both `covers` and `overlaps` for it, found without a
    /// table or a search (the IAM gap analysis asks this for every pattern of every statement for
    /// every requirement). Nil when either side has an unknown or the request a wildcard.
    static func plainMatch(_ p: [Atom], _ r: [Atom]) -> Truth? {
        for a in r { guard case .char = a else { return nil } }
        for a in p where a.isUnknown { return nil }
        return Wildcard.matches(p, r, isStar: { $0 == .star }, isOne: { $0 == .one }, equal: ==) ? .yes : .no
    }

    /// `covers` by its table, whatever the patterns hold.
    static func coversTable(_ p: [Atom], _ r: [Atom]) -> Truth {
        let n = p.count, m = r.count
        var f = [[Truth]](repeating: [Truth](repeating: .no, count: m + 1), count: n + 1)
        f[n][m] = .yes
        if m > 0 {
            for j in stride(from: m - 1, through: 0, by: -1) {
                // Only an unknown in the request can turn out empty once the grant is used up.
                f[n][j] = r[j].isUnknown ? min(.maybe, f[n][j + 1]) : .no
            }
        }
        if n > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m, through: 0, by: -1) {
                    let more = j < m
                    switch p[i] {
                    case .star:
                        f[i][j] = f[i + 1][j] || (more ? f[i][j + 1] : .no)
                    case .unknown:
                        f[i][j] = min(.maybe, f[i + 1][j] || (more ? f[i][j + 1] : .no))
                        // The same placeholder on both sides is the same text.
                        if more && r[j] == p[i] { f[i][j] = f[i][j] || f[i + 1][j + 1] }
                    case .char, .one:
                        guard more else { f[i][j] = .no; continue }
                        switch r[j] {
                        case .unknown:
                            // The unknown ends here, or it absorbs the grant's next character.
                            f[i][j] = min(.maybe, f[i][j + 1] || f[i + 1][j])
                        case .star:
                            f[i][j] = .no
                        case .one:
                            f[i][j] = p[i] == .one ? f[i + 1][j + 1] : .no
                        case .char(let c):
                            f[i][j] = (p[i] == .one || p[i] == .char(c)) ? f[i + 1][j + 1] : .no
                        }
                    }
                }
            }
        }
        return f[0][0]
    }

    /// Intersection: is there a string both patterns match? A search over pairs of positions;
    /// `yes` when the end is reachable without relying on an unknown, `maybe` when only with one.
    static func overlaps(_ p: [Atom], _ r: [Atom]) -> Truth {
        plainMatch(p, r) ?? overlapsSearch(p, r)
    }

    /// `overlaps` by its search, whatever the patterns hold.
    static func overlapsSearch(_ p: [Atom], _ r: [Atom]) -> Truth {
        let n = p.count, m = r.count
        struct State: Hashable { var i: Int, j: Int }
        func reachable(allowUnknown: Bool) -> Bool {
            var seen: Set<State> = [State(i: 0, j: 0)]
            var stack = [State(i: 0, j: 0)]
            func push(_ s: State) { if seen.insert(s).inserted { stack.append(s) } }
            while let s = stack.popLast() {
                if s.i == n && s.j == m { return true }
                let a: Atom? = s.i < n ? p[s.i] : nil
                let b: Atom? = s.j < m ? r[s.j] : nil
                // Empty moves: a star (or an unknown, if allowed) matching nothing.
                if let a, a == .star || (allowUnknown && a.isUnknown) { push(State(i: s.i + 1, j: s.j)) }
                if let b, b == .star || (allowUnknown && b.isUnknown) { push(State(i: s.i, j: s.j + 1)) }
                guard let a, let b else { continue }
                // The same placeholder on both sides is the same text.
                if a.isUnknown && a == b { push(State(i: s.i + 1, j: s.j + 1)) }
                // Consume one character on both sides.
                if !allowUnknown && (a.isUnknown || b.isUnknown) { continue }
                if case .char(let x) = a, case .char(let y) = b, x != y { continue }
                let ni = (a == .star || a.isUnknown) ? s.i : s.i + 1
                let nj = (b == .star || b.isUnknown) ? s.j : s.j + 1
                if ni != s.i || nj != s.j { push(State(i: ni, j: nj)) }
            }
            return false
        }
        if reachable(allowUnknown: false) { return .yes }
        return reachable(allowUnknown: true) ? .maybe : .no
    }

    private static func resourceMatch(_ grant: PolicyPattern, _ request: PolicyPattern,
                                      _ match: ([Atom], [Atom]) -> Truth) -> Result {
        if grant.isMatchAll { return .yes }
        let g = arnSegments(grant.pieces), r = arnSegments(request.pieces)
        guard g.count == 6, r.count == 6 else {
            // Not both six-part ARNs: compare as whole strings. A grant that is not a well-formed
            // ARN (and not `*`) is not something AWS matches reliably, so it never answers `yes`.
            var t = match(atoms(grant, folding: false), atoms(request, folding: false))
            if g.count != 6 && t == .yes { t = .maybe }
            return result(t, grant, request)
        }
        var truth = Truth.yes
        for k in 0..<6 {
            truth = truth && match(atoms(g[k], folding: false), atoms(r[k], folding: false))
            if truth == .no { break }
        }
        return result(truth, grant, request)
    }

    /// Splits at the first five literal colons. Unknown parts never contain a segment boundary:
    /// a placeholder standing for a whole ARN leaves the pattern with fewer than six segments.
    static func arnSegments(_ pieces: [PolicyPattern.Piece]) -> [[PolicyPattern.Piece]] {
        var segments: [[PolicyPattern.Piece]] = [[]]
        for piece in pieces {
            guard case .literal(let s) = piece, segments.count < 6, s.contains(":") else {
                segments[segments.count - 1].append(piece)
                continue
            }
            var current = ""
            for ch in s {
                if ch == ":" && segments.count < 6 {
                    if !current.isEmpty { segments[segments.count - 1].append(.literal(current)) }
                    current = ""
                    segments.append([])
                } else {
                    current.append(ch)
                }
            }
            if !current.isEmpty { segments[segments.count - 1].append(.literal(current)) }
        }
        return segments
    }
}
