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
    /// The module release in which the change the finding is about happens (an input removed in
    /// 7.0.0, a default that changes in 7.0.0), or the release the call runs today when the finding
    /// holds already (a typo, drifted lambda pins). The checklist files the finding under its
    /// major; nil leaves that to the rule's `relies_on`. Not part of the fingerprint or the reports.
    public var changedIn: ModuleVersion?

    public init(
        ruleId: String, severity: Severity, tags: [String] = [], message: String, detail: String? = nil,
        location: SourceRange, related: [RelatedNote] = [], fix: Fix? = nil, fingerprint: String = "",
        changedIn: ModuleVersion? = nil
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
        self.changedIn = changedIn
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
    /// The fingerprint baselines record: it hashes the rule, the file, the construct (the
    /// whitespace-normalised text of the flagged lines, not their numbers) and the subject (the
    /// names the message quotes, see `subject(of:)`), plus `occurrence` (how many equal keys
    /// precede it in the file) to keep repeated constructs apart. The message's prose is left
    /// out, so a finding keeps its fingerprint when only the target (which messages name) changes.
    public static func stable(ruleId: String, path: String, construct: String, message: String, occurrence: Int) -> String {
        stable(Prefix.stable(ruleId: ruleId, path: path, normalisedConstruct: normalised(construct)), message: message, occurrence: occurrence)
    }

    /// `stable` finished from the hashed parts findings share (rule, file, construct).
    public static func stable(_ prefix: Prefix, message: String, occurrence: Int) -> String {
        prefix.digest([subject(of: message).joined(separator: "\u{1E}"), String(occurrence)])
    }

    /// The SHA-256 state after the leading parts of a fingerprint's key (each followed by the
    /// separator): findings on the same lines hash those lines once, not once each. (6,000
    /// findings on the one 400 KB line of a minified `.tf.json` hashed 2.4 GB.) Finishing it
    /// gives exactly the digest of the whole key.
    public struct Prefix: Sendable {
        private var state = SHA256()

        init(_ parts: [String]) {
            var bytes: [UInt8] = []
            for part in parts {
                bytes += part.utf8
                bytes.append(0x1F)
            }
            state.update(data: bytes)
        }

        /// The prefix of `stable`'s key.
        public static func stable(ruleId: String, path: String, normalisedConstruct: String) -> Prefix {
            Prefix(["v2", ruleId, path, normalisedConstruct])
        }

        /// The prefix of `compute`'s key.
        public static func legacy(ruleId: String, path: String, normalisedLineText: String) -> Prefix {
            Prefix([ruleId, path, normalisedLineText])
        }

        /// The digest of the prefix followed by `rest`, joined as the whole key is.
        func digest(_ rest: [String]) -> String {
            var finishing = state
            finishing.update(data: Array(rest.joined(separator: "\u{1F}").utf8))
            return hex(finishing.finalize().prefix(16))
        }
    }

    /// The names a message quotes in backticks (inputs, module calls, fleets, files), in order,
    /// without those holding a version number: a release or a constraint the rule computed from
    /// the target (`>= 6.33`) is not what the finding is about.
    public static func subject(of message: String) -> [String] {
        // Read on the bytes unless a backtick is joined to a neighbour in one Character (then
        // it quotes nothing for the Character reading, which baselines were made with): the
        // Character reading appended a Character at a time (400 instructions a byte).
        guard !message.joinsNeighbour("`") else { return characterSubject(of: message) }
        let bytes = Array(message.utf8)
        var out: [String] = []
        var start: Int?
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "`") {
            if let s = start {
                let span = String(decoding: bytes[s..<i], as: UTF8.self)
                if !containsVersion(span) { out.append(span) }
                start = nil
            } else {
                start = i + 1
            }
        }
        return out
    }

    /// `subject(of:)` read Character by Character.
    static func characterSubject(of message: String) -> [String] {
        var out: [String] = []
        var current: String?
        for c in message {
            if c == "`" {
                if let span = current {
                    if !containsVersion(span) { out.append(span) }
                    current = nil
                } else {
                    current = ""
                }
            } else if current != nil {
                current!.append(c)
            }
        }
        return out
    }

    /// `5.0`, `6.33`, `7.11.0`: digits, a dot, digits (each its own Character).
    static func containsVersion(_ s: String) -> Bool {
        let utf8 = s.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII: a byte is a Character ("\r\n" aside, which is neither a digit nor a dot).
            let b = Array(utf8)
            guard b.count >= 3 else { return false }
            func digit(_ x: UInt8) -> Bool { x >= UInt8(ascii: "0") && x <= UInt8(ascii: "9") }
            for i in 1..<(b.count - 1) where b[i] == UInt8(ascii: ".") && digit(b[i - 1]) && digit(b[i + 1]) { return true }
            return false
        }
        let chars = Array(s)
        guard chars.count >= 3 else { return false }
        for i in 1..<(chars.count - 1) where chars[i] == "." && chars[i - 1].isASCII && chars[i - 1].isNumber && chars[i + 1].isASCII && chars[i + 1].isNumber {
            return true
        }
        return false
    }

    /// The fingerprint of baseline format 1 (kept to read old baselines): rule, file, flagged
    /// lines, the whole message and `occurrence`. It changes with the target whenever the
    /// message names it.
    public static func compute(ruleId: String, path: String, lineText: String, message: String, occurrence: Int) -> String {
        compute(Prefix.legacy(ruleId: ruleId, path: path, normalisedLineText: normalised(lineText)), message: message, occurrence: occurrence)
    }

    /// `compute` finished from the hashed parts findings share (rule, file, lines).
    public static func compute(_ prefix: Prefix, message: String, occurrence: Int) -> String {
        prefix.digest([message, String(occurrence)])
    }

    /// The text's runs of spaces, tabs and lone carriage returns made one space, ends trimmed,
    /// as a split on `Character`s gives it (fingerprints in baselines depend on it byte for byte).
    /// ASCII text is done on its bytes: its only `Character` of two scalars is "\r\n", which is
    /// not a separator, so a "\r" separates only when no "\n" follows.
    public static func normalised(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return characterNormalised(text) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pendingSpace = false
        for (i, b) in bytes.enumerated() {
            let separates = b == UInt8(ascii: " ") || b == UInt8(ascii: "\t")
                || (b == UInt8(ascii: "\r") && (i + 1 == bytes.count || bytes[i + 1] != UInt8(ascii: "\n")))
            if separates {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")); pendingSpace = false }
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func characterNormalised(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
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
