/// A module release `MAJOR.MINOR.PATCH` (a leading `v` is accepted and dropped).
public struct ModuleVersion: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// Pre-release text after `-`, if any (sorts before the release).
    public var prerelease: String?

    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    public init?(_ text: String) {
        switch Self.parseASCII(text) {
        case let .parsed(v): self = v
        case .invalid: return nil
        case .notASCII:
            guard let v = Self.parseScalars(text) else { return nil }
            self = v
        }
    }

    /// The general reading, on scalars: white space (Unicode's) trimmed, a leading `v` dropped,
    /// pre-release text after the first `-`, build metadata after `+` ignored, one to three
    /// numeric parts. `init?(_:)` takes it for what the byte reading leaves (text with non-ASCII
    /// scalars, or white space at its ends); `VersionTests` compares the two on every text.
    package static func parseScalars(_ text: String) -> ModuleVersion? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s.first == "v" || s.first == "V" { s = s.dropFirst() }
        var pre: String?
        if let dash = s.firstIndex(of: "-") {
            pre = String(s[s.index(after: dash)...])
            s = s[..<dash]
        }
        if let plus = s.firstIndex(of: "+") { s = s[..<plus] }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var nums: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.allSatisfy(\.isASCII), let n = Int(p), n >= 0 else { return nil }
            nums.append(n)
        }
        while nums.count < 3 { nums.append(0) }
        return ModuleVersion(nums[0], nums[1], nums[2], prerelease: pre)
    }

    private enum ASCIIReading { case parsed(ModuleVersion), invalid, notASCII }

    /// `parseScalars`' reading on the bytes of ASCII text that does not start or end with white
    /// space (every version the knowledge base and nearly every one a repository writes): the
    /// knowledge base parses a few thousand versions at each start, and trimming through
    /// Foundation was most of that.
    private static func parseASCII(_ text: String) -> ASCIIReading {
        var text = text
        return text.withUTF8 { b -> ASCIIReading in
            guard let first = b.first, let last = b.last, first != 0x20, first != 0x09, last != 0x20, last != 0x09,
                  b.allSatisfy({ $0 < 0x80 }) else { return .notASCII }
            var i = first == UInt8(ascii: "v") || first == UInt8(ascii: "V") ? 1 : 0
            var end = b.count
            var prerelease: String?
            if let dash = b[i...].firstIndex(of: UInt8(ascii: "-")) {
                prerelease = String(decoding: UnsafeBufferPointer(rebasing: b[(dash + 1)...]), as: UTF8.self)
                end = dash
            }
            if let plus = b[i..<end].firstIndex(of: UInt8(ascii: "+")) { end = plus }
            var numbers = [0, 0, 0], count = 0
            while true {
                guard count < 3 else { return .invalid }
                var n = 0, digits = 0
                while i < end, b[i] != UInt8(ascii: ".") {
                    guard b[i] >= 0x30, b[i] <= 0x39 else { return .invalid }
                    let (times, o1) = n.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times.addingReportingOverflow(Int(b[i] - 0x30))
                    guard !o1, !o2 else { return .invalid }
                    n = sum
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return .invalid }
                numbers[count] = n
                count += 1
                if i == end { break }
                i += 1  // the dot; a dot at the end leaves an empty part, refused above
            }
            return .parsed(ModuleVersion(numbers[0], numbers[1], numbers[2], prerelease: prerelease))
        }
    }

    /// How far apart two releases are, for "the nearest release" answers: a major outweighs any
    /// minor difference and a minor any patch difference.
    public func distance(to other: ModuleVersion) -> Int {
        abs((major - other.major) * 1_000_000 + (minor - other.minor) * 1000 + (patch - other.patch))
    }

    public static func < (a: ModuleVersion, b: ModuleVersion) -> Bool {
        if a.major != b.major { return a.major < b.major }
        if a.minor != b.minor { return a.minor < b.minor }
        if a.patch != b.patch { return a.patch < b.patch }
        switch (a.prerelease, b.prerelease) {
        case (nil, nil), (nil, _?): return false
        case (_?, nil): return true
        case let (x?, y?): return x < y
        }
    }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.map { "-\($0)" } ?? "")
    }
}

import Foundation

/// A Terraform version constraint such as `>= 4.0, < 5.0.0`, `~> 5.2` or `4.0.1`.
public struct VersionConstraint: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Op: String, Sendable, Hashable, Codable { case eq = "=", ne = "!=", gt = ">", ge = ">=", lt = "<", le = "<=", pessimistic = "~>" }

    public struct Clause: Sendable, Hashable, Codable {
        public var op: Op
        public var version: ModuleVersion
        /// How many numeric parts were written (`~> 5.2` has 2): the pessimistic operator needs it.
        public var precision: Int
    }

    public var clauses: [Clause]
    public var text: String

    public init?(_ text: String) {
        var clauses: [Clause] = []
        for raw in text.split(separator: ",") {
            var s = raw.trimmingCharacters(in: .whitespaces)
            guard !s.isEmpty else { return nil }
            var op = Op.eq
            for candidate in [Op.pessimistic, .ge, .le, .ne, .gt, .lt, .eq] where s.hasPrefix(candidate.rawValue) {
                op = candidate
                s = String(s.dropFirst(candidate.rawValue.count)).trimmingCharacters(in: .whitespaces)
                break
            }
            var core = s
            if core.hasPrefix("v") { core.removeFirst() }
            let numeric = core.split(separator: "-").first.map(String.init) ?? core
            let precision = numeric.split(separator: ".").count
            guard let v = ModuleVersion(s) else { return nil }
            clauses.append(Clause(op: op, version: v, precision: precision))
        }
        guard !clauses.isEmpty else { return nil }
        self.clauses = clauses
        self.text = text
    }

    public func isSatisfied(by v: ModuleVersion) -> Bool {
        clauses.allSatisfy { c in
            switch c.op {
            case .eq: return v == c.version
            case .ne: return v != c.version
            case .gt: return v > c.version
            case .ge: return v >= c.version
            case .lt: return v < c.version
            case .le: return v <= c.version
            case .pessimistic:
                guard v >= c.version else { return false }
                // ~> 5.2 allows 5.x (x >= 2); ~> 5.2.1 allows 5.2.x; ~> 5 allows 5.x.x.
                switch c.precision {
                case ...1: return v.major == c.version.major
                case 2: return v.major == c.version.major
                default: return v.major == c.version.major && v.minor == c.version.minor
                }
            }
        }
    }

    /// Whether some version satisfies both this constraint and `other` (`~> 5.0` and `>= 6.21`
    /// do not). Each constraint is an interval with holes (`!=`), so when the two meet, they meet
    /// at a bound of one of them or just above it: those are the versions tried.
    public func overlaps(_ other: VersionConstraint) -> Bool {
        var candidates: Set<ModuleVersion> = [ModuleVersion(0, 0, 0)]
        for c in clauses + other.clauses {
            let v = c.version
            candidates.formUnion([ModuleVersion(v.major, v.minor, v.patch), ModuleVersion(v.major, v.minor, v.patch + 1),
                                  ModuleVersion(v.major, v.minor + 1, 0), ModuleVersion(v.major + 1, 0, 0)])
        }
        return candidates.contains { isSatisfied(by: $0) && other.isSatisfied(by: $0) }
    }

    /// The newest of `candidates` that satisfies the constraint.
    public func newest(in candidates: [ModuleVersion]) -> ModuleVersion? {
        candidates.filter(isSatisfied).max()
    }

    /// An exact pin (`4.0.1` or `= 4.0.1`) yields that version.
    public var exactVersion: ModuleVersion? {
        if clauses.count == 1, clauses[0].op == .eq { return clauses[0].version }
        return nil
    }

    public var description: String { text }
}
