import AuditCore
import Foundation

/// A string from a policy (an action, a resource ARN, a condition value) read into the parts that
/// matter for matching: literal text, the IAM wildcards `*` and `?`, and parts that cannot be known
/// statically.
///
/// Unknown parts are explicit, never guessed: a Terraform placeholder such as `${aws_partition}` or
/// an HCL value the evaluator could not compute becomes `.unknown`, a policy variable such as
/// `${aws:username}` (filled in by AWS for each request) becomes `.policyVariable`. Equality and
/// hashing look at the pieces only, not at the text as written or where it was written.
public struct PolicyPattern: Sendable, Hashable, CustomStringConvertible {
    public enum Piece: Sendable, Hashable {
        case literal(String)
        /// `*`: any sequence of characters, possibly empty.
        case anySequence
        /// `?`: exactly one character.
        case anyCharacter
        /// Fixed when Terraform renders the policy but unknown here; names what it depends on
        /// (`aws_partition`, `var.prefix`, `aws_iam_role.runner.arn`).
        case unknown(String)
        /// A policy variable such as `aws:username` or `ec2:SourceInstanceARN`, resolved by AWS per
        /// request (written `${aws:username}`).
        case policyVariable(String)
    }

    /// How `${…}` and `%{…}` inside the text are read.
    public enum Syntax: Sendable, Hashable {
        /// A policy as AWS receives it: `${service:key}` is a policy variable, and `${*}`, `${?}`,
        /// `${$}` are the escaped characters. `${name}` without a colon is not a policy variable AWS
        /// knows; it is almost certainly a Terraform placeholder left in a template file, so it is
        /// read as unknown.
        case policy
        /// The text of a Terraform template (`templatefile`, a heredoc with interpolations):
        /// `${expr}` is a placeholder (unknown), `$${x}` is the literal `${x}` (so a policy
        /// variable), `%{…}` directives are unknown and `%%{` is a literal `%{`.
        case terraformTemplate
    }

    public var pieces: [Piece]
    /// The text as written (after JSON or HCL string decoding).
    public var text: String
    /// Where the string token was written, when it came from a file.
    public var range: SourceRange?

    public init(pieces: [Piece], text: String, range: SourceRange? = nil) {
        self.pieces = PolicyPattern.normalise(pieces)
        self.text = text
        self.range = range
    }

    public init(_ text: String, syntax: Syntax = .policy, range: SourceRange? = nil) {
        self.init(pieces: PolicyPattern.read(text, syntax: syntax), text: text, range: range)
    }

    /// A value that cannot be known statically, as a whole.
    public static func unknown(_ reason: String, range: SourceRange? = nil) -> PolicyPattern {
        PolicyPattern(pieces: [.unknown(reason)], text: "${\(reason)}", range: range)
    }

    public static func == (a: PolicyPattern, b: PolicyPattern) -> Bool { a.pieces == b.pieces }
    public func hash(into hasher: inout Hasher) { hasher.combine(pieces) }

    /// Exactly `*`.
    public var isMatchAll: Bool { pieces == [.anySequence] }
    public var hasWildcard: Bool { pieces.contains { $0 == .anySequence || $0 == .anyCharacter } }
    /// True when some part is unknown here (placeholder, unresolved value or policy variable).
    public var hasUnknown: Bool { !dependencies.isEmpty }

    /// What the unknown parts depend on, in order of appearance and without repeats.
    public var dependencies: [String] {
        var seen = Set<String>(), out: [String] = []
        for p in pieces {
            switch p {
            case .unknown(let n), .policyVariable(let n):
                if seen.insert(n).inserted { out.append(n) }
            default: break
            }
        }
        return out
    }

    /// The literal text when the pattern has no wildcard and nothing unknown.
    public var literalValue: String? {
        var out = ""
        for p in pieces {
            guard case .literal(let s) = p else { return nil }
            out += s
        }
        return out
    }

    /// Replaces unknown parts whose name is a key of `values` by that text (read with IAM
    /// wildcards, so a bound `*` stays a wildcard), and policy variables found in `variables`.
    public func binding(_ values: [String: String], variables: [String: String] = [:]) -> PolicyPattern {
        guard hasUnknown else { return self }
        var out: [Piece] = []
        for p in pieces {
            switch p {
            case .unknown(let n):
                if let v = values[n] { out += PolicyPattern.read(v, syntax: .policy) } else { out.append(p) }
            case .policyVariable(let n):
                if let v = PolicyPattern.lookup(n, in: variables) { out.append(.literal(v)) } else { out.append(p) }
            default: out.append(p)
            }
        }
        return PolicyPattern(pieces: out, text: text, range: range)
    }

    /// The pattern written back in IAM syntax, unknown parts as `${name}`.
    public var description: String {
        pieces.map { p -> String in
            switch p {
            case .literal(let s): s.replacingOccurrences(of: "$", with: "${$}")
                .replacingOccurrences(of: "*", with: "${*}").replacingOccurrences(of: "?", with: "${?}")
            case .anySequence: "*"
            case .anyCharacter: "?"
            case .unknown(let n), .policyVariable(let n): "${\(n)}"
            }
        }.joined()
    }

    // MARK: Reading

    static func read(_ text: String, syntax: Syntax) -> [Piece] {
        let s = Array(text.unicodeScalars)
        var pieces: [Piece] = []
        var literal = String.UnicodeScalarView()
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(String(literal))); literal = String.UnicodeScalarView() }
        }
        /// The index just past the `}` that closes a `{` at `open`, honouring nesting and quotes.
        func close(from open: Int) -> Int? {
            var depth = 0, i = open, quote: Unicode.Scalar?
            while i < s.count {
                let c = s[i]
                if let q = quote {
                    if c == "\\" { i += 2; continue }
                    if c == q { quote = nil }
                } else if c == "\"" {
                    quote = c
                } else if c == "{" {
                    depth += 1
                } else if c == "}" {
                    depth -= 1
                    if depth == 0 { return i + 1 }
                }
                i += 1
            }
            return nil
        }
        func inner(_ from: Int, _ to: Int) -> String {
            String(String.UnicodeScalarView(s[from..<to])).trimmingCharacters(in: .whitespaces)
        }
        var i = 0
        while i < s.count {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
            let third: Unicode.Scalar? = i + 2 < s.count ? s[i + 2] : nil
            switch syntax {
            case .policy:
                if c == "$", next == "{", let end = close(from: i + 1) {
                    flush()
                    pieces.append(policyReference(inner(i + 2, end - 1)))
                    i = end
                    continue
                }
            case .terraformTemplate:
                if c == "$", next == "$", third == "{", let end = close(from: i + 2) {
                    flush()
                    pieces.append(policyReference(inner(i + 3, end - 1)))
                    i = end
                    continue
                }
                if c == "%", next == "%", third == "{" {
                    literal.append("%"); literal.append("{")
                    i += 3
                    continue
                }
                if (c == "$" || c == "%"), next == "{", let end = close(from: i + 1) {
                    flush()
                    let body = inner(i + 2, end - 1).trimmingCharacters(in: CharacterSet(charactersIn: "~ "))
                    pieces.append(.unknown(c == "$" ? body : "%{\(body)}"))
                    i = end
                    continue
                }
            }
            switch c {
            case "*": flush(); pieces.append(.anySequence)
            case "?": flush(); pieces.append(.anyCharacter)
            default: literal.append(c)
            }
            i += 1
        }
        flush()
        return pieces
    }

    /// `${…}` in policy syntax: an escaped character, a policy variable, or (no colon) a leftover
    /// Terraform placeholder.
    private static func policyReference(_ name: String) -> Piece {
        switch name {
        case "*": return .literal("*")
        case "?": return .literal("?")
        case "$": return .literal("$")
        default:
            // `${aws:username, 'default'}`: the variable is the part before the comma.
            let variable = name.split(separator: ",", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces)
            } ?? name
            return variable.contains(":") ? .policyVariable(variable) : .unknown(variable)
        }
    }

    private static func lookup(_ key: String, in values: [String: String]) -> String? {
        if let v = values[key] { return v }
        let lower = key.lowercased()
        return values.first { $0.key.lowercased() == lower }?.value
    }

    /// Merges adjacent literals and collapses runs of `*`, so equal patterns compare equal.
    private static func normalise(_ pieces: [Piece]) -> [Piece] {
        var out: [Piece] = []
        for p in pieces {
            switch (out.last, p) {
            case (.literal(let a)?, .literal(let b)):
                out[out.count - 1] = .literal(a + b)
            case (.anySequence?, .anySequence):
                continue
            case (_, .literal(let s)) where s.isEmpty:
                continue
            default:
                out.append(p)
            }
        }
        return out
    }
}
