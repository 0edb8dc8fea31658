import Crypto
import Foundation

public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case note, warning, error

    private var rank: Int {
        switch self {
        case .note: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A replacement of the bytes `[range.start.offset, range.end.offset)` of one file with `newText`.
/// An empty range inserts.
public struct TextEdit: Sendable, Hashable, Codable {
    public var range: SourceRange
    public var newText: String

    public init(range: SourceRange, newText: String) {
        self.range = range
        self.newText = newText
    }
}

/// What to change: always a sentence; machine-applicable when it carries edits.
public struct Fix: Sendable, Hashable, Codable {
    public var description: String
    public var edits: [TextEdit]

    public init(_ description: String, edits: [TextEdit] = []) {
        self.description = description
        self.edits = edits
    }

    public var isMachineApplicable: Bool { !edits.isEmpty }
}

/// A secondary location that explains a finding: "module call here", "variable set here".
public struct RelatedNote: Sendable, Hashable, Codable {
    public var message: String
    public var location: SourceRange

    public init(_ message: String, at location: SourceRange) {
        self.message = message
        self.location = location
    }
}

/// One verdict of one rule at one place.
public struct Finding: Sendable, Hashable, Codable {
    public var ruleId: String
    public var severity: Severity
    public var tags: [String]
    /// Short sentence fragment, no trailing period.
    public var message: String
    /// What was found, what is expected, how to fix it.
    public var detail: String?
    public var location: SourceRange
    public var related: [RelatedNote]
    public var fix: Fix?
    /// Stable identity across unrelated edits; filled in by the engine.
    public var fingerprint: String

    public init(
        ruleId: String, severity: Severity, tags: [String] = [], message: String, detail: String? = nil,
        location: SourceRange, related: [RelatedNote] = [], fix: Fix? = nil, fingerprint: String = ""
    ) {
        self.ruleId = ruleId
        self.severity = severity
        self.tags = tags
        self.message = message
        self.detail = detail
        self.location = location
        self.related = related
        self.fix = fix
        self.fingerprint = fingerprint
    }

    /// The total order of findings: path, start, wider ranges first, rule id, message.
    public static func ordered(_ a: Finding, _ b: Finding) -> Bool {
        if a.location.path != b.location.path { return a.location.path < b.location.path }
        if a.location.start != b.location.start { return a.location.start < b.location.start }
        if a.location.end != b.location.end { return a.location.end > b.location.end }
        if a.ruleId != b.ruleId { return a.ruleId < b.ruleId }
        return a.message < b.message
    }
}

public enum Fingerprint {
    /// A fingerprint that survives edits which only move the finding: it hashes the rule, the file,
    /// the whitespace-normalised text of the flagged lines and the message, plus `occurrence`
    /// (how many equal keys precede it in the file) to keep repeated lines apart.
    public static func compute(ruleId: String, path: String, lineText: String, message: String, occurrence: Int) -> String {
        let normalised = lineText.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
        let key = [ruleId, path, normalised, message, String(occurrence)].joined(separator: "\u{1F}")
        let digest = SHA256.hash(data: Data(key.utf8))
        return hex(digest.prefix(16))
    }

    public static func sha256Hex(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Lower-case hexadecimal, two digits a byte (`String(format:)` per byte costs microseconds).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The SHA-256 digest in base64, as Content-Security-Policy hash sources write it.
    public static func sha256Base64(_ data: Data) -> String {
        Data(SHA256.hash(data: data)).base64EncodedString()
    }
}
