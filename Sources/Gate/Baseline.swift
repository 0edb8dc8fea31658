import AuditCore
import Foundation

/// The findings a team has accepted for now: a CI gate fails only on findings that are not in
/// the baseline. Findings are matched by fingerprint (see `Fingerprint.stable`), which ignores
/// line numbers and the message's prose, so unrelated edits above a finding and a change of
/// `--target` do not make it "new".
///
/// Format version 1 recorded `Fingerprint.compute` (which hashed the message, so it changed
/// with the target). Such files are still read and matched through each finding's format-1
/// fingerprint; `migrated(to:legacyFingerprint:)` rewrites them.
///
/// The file is JSON, pretty-printed with sorted keys and sorted entries, so regenerating an
/// unchanged baseline gives identical bytes and reviews show real changes only:
///
///     {
///       "findings" : [
///         { "fingerprint" : "…", "message" : "…", "path" : "main.tf", "ruleId" : "JIT-101" }
///       ],
///       "format" : "ghr-audit-baseline",
///       "tool" : "ghr-audit",
///       "version" : 2
///     }
public struct Baseline: Sendable, Hashable {
    public static let format = "ghr-audit-baseline"
    public static let version = 2
    /// The oldest format version still read.
    public static let oldestVersion = 1

    public struct Entry: Sendable, Hashable, Codable, Comparable {
        public var fingerprint: String
        public var ruleId: String
        public var path: String
        public var message: String
        /// Whether `fingerprint` is a format-1 fingerprint (the entry was read from a version 1
        /// file); never written.
        public var isLegacy: Bool

        public init(fingerprint: String, ruleId: String, path: String, message: String, isLegacy: Bool = false) {
            self.fingerprint = fingerprint
            self.ruleId = ruleId
            self.path = path
            self.message = message
            self.isLegacy = isLegacy
        }

        enum CodingKeys: String, CodingKey { case fingerprint, ruleId, path, message }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(fingerprint: try c.decode(String.self, forKey: .fingerprint), ruleId: try c.decode(String.self, forKey: .ruleId),
                      path: try c.decode(String.self, forKey: .path), message: try c.decode(String.self, forKey: .message))
        }

        /// The key `filter` matches on: format-1 fingerprints apart from current ones.
        var key: String { (isLegacy ? "1:" : "2:") + fingerprint }

        public static func < (a: Entry, b: Entry) -> Bool {
            (a.path, a.ruleId, a.message, a.fingerprint) < (b.path, b.ruleId, b.message, b.fingerprint)
        }
    }

    /// The tool that wrote the file.
    public var tool: String
    /// Sorted.
    public var entries: [Entry]

    public init(tool: String = "ghr-audit", entries: [Entry]) {
        self.tool = tool
        self.entries = entries.sorted()
    }

    /// The baseline accepting `findings`. Findings without a fingerprint cannot be recognised
    /// later and are left out; the engine fills fingerprints in before calling this.
    public init(findings: [Finding], tool: String = "ghr-audit") {
        self.init(tool: tool, entries: findings.filter { !$0.fingerprint.isEmpty }.map {
            Entry(fingerprint: $0.fingerprint, ruleId: $0.ruleId, path: $0.location.path, message: $0.message)
        })
    }

    /// The file contents for a baseline accepting `findings` (UTF-8 JSON, ending with a newline).
    public static func make(_ findings: [Finding], tool: String = "ghr-audit") -> Data {
        Baseline(findings: findings, tool: tool).data()
    }

    public func data() -> Data {
        struct File: Encodable {
            var findings: [Entry]
            var format: String
            var tool: String
            var version: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        var data = (try? encoder.encode(File(findings: entries, format: Self.format, tool: tool, version: Self.version))) ?? Data()
        data.append(0x0A)
        return data
    }

    /// Whether some entry was read from a format-1 file (its fingerprints change with the target).
    public var needsMigration: Bool { entries.contains { $0.isLegacy } }

    /// Splits `findings` into those the baseline does not know (they fail the gate) and those it
    /// does. Each entry accepts one finding, so a problem that now occurs twice as often shows up
    /// as new. Format-1 entries match a finding through `legacyFingerprint` (its format-1
    /// fingerprint, when known). Order within each list follows `findings`.
    public func filter(_ findings: [Finding], legacyFingerprint: (Finding) -> String? = { _ in nil }) -> (new: [Finding], known: [Finding]) {
        var remaining = counts()
        var new: [Finding] = [], known: [Finding] = []
        for f in findings {
            if let key = Self.keys(f, legacyFingerprint).first(where: { (remaining[$0] ?? 0) > 0 }) {
                remaining[key]! -= 1
                known.append(f)
            } else {
                new.append(f)
            }
        }
        return (new, known)
    }

    /// The entries no finding matched: fixed since the baseline was written (worth pruning).
    public func resolved(by findings: [Finding], legacyFingerprint: (Finding) -> String? = { _ in nil }) -> [Entry] {
        var remaining = counts()
        for f in findings {
            if let key = Self.keys(f, legacyFingerprint).first(where: { (remaining[$0] ?? 0) > 0 }) { remaining[key]! -= 1 }
        }
        var out: [Entry] = []
        for e in entries where (remaining[e.key] ?? 0) > 0 {
            remaining[e.key]! -= 1
            out.append(e)
        }
        return out
    }

    /// The baseline rewritten in the current format: one entry (with the current fingerprint)
    /// for each of `findings` it accepts. Entries no finding matches are dropped (see
    /// `resolved(by:legacyFingerprint:)`); findings it does not accept are not added.
    public func migrated(to findings: [Finding], legacyFingerprint: (Finding) -> String? = { _ in nil }) -> Baseline {
        Baseline(findings: filter(findings, legacyFingerprint: legacyFingerprint).known, tool: tool)
    }

    private static func keys(_ f: Finding, _ legacyFingerprint: (Finding) -> String?) -> [String] {
        guard !f.fingerprint.isEmpty else { return [] }
        return ["2:" + f.fingerprint] + (legacyFingerprint(f).map { ["1:" + $0] } ?? [])
    }

    private func counts() -> [String: Int] {
        entries.reduce(into: [:]) { $0[$1.key, default: 0] += 1 }
    }
}

// MARK: - Loading

extension Baseline {
    public enum LoadError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The bytes are not JSON (or not UTF-8).
        case notJSON(String)
        /// JSON, but not a ghr-audit baseline (for example a SARIF report).
        case notABaseline(String)
        /// Written by a newer ghr-audit.
        case unsupportedVersion(Int)
        /// Entry `index` (1-based) is incomplete.
        case invalidEntry(index: Int, problem: String)

        public var description: String {
            switch self {
            case .notJSON(let why):
                return "the baseline is not valid JSON (\(why)); regenerate it with ghr-audit"
            case .notABaseline(let why):
                return "the file is not a ghr-audit baseline: \(why)"
            case .unsupportedVersion(let v):
                return "the baseline has format version \(v), but this ghr-audit reads versions \(Baseline.oldestVersion) to \(Baseline.version); update ghr-audit or regenerate the baseline"
            case .invalidEntry(let i, let problem):
                return "finding #\(i) in the baseline \(problem); regenerate the baseline"
            }
        }
    }

    /// Reads a baseline file. Throws a `LoadError` that says what is wrong and what to do.
    public static func load(_ data: Data) throws(LoadError) -> Baseline {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw .notJSON("the file is empty")
        }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch DecodingError.dataCorrupted {
            throw .notJSON(syntaxErrorLocation(Data(bytes)))
        } catch {
            throw .notJSON("\(error)")
        }
        guard case .object(let root) = json else {
            throw .notABaseline("expected a JSON object with `format`, `version` and `findings`, found \(json.kind)")
        }
        guard case .string(Self.format)? = root["format"] else {
            if root["runs"] != nil || root["$schema"] != nil {
                throw .notABaseline("it looks like a SARIF report; write a baseline with ghr-audit instead")
            }
            if root["failed_checks"] != nil || root["check_type"] != nil {
                throw .notABaseline("it looks like a checkov baseline; ghr-audit baselines are written by ghr-audit")
            }
            if let format = root["format"] { throw .notABaseline("`format` is \(format.kind), expected \"\(Self.format)\"") }
            throw .notABaseline("it has no `format` field (expected \"\(Self.format)\")")
        }
        guard case .number(let number)? = root["version"], let version = Int(exactly: number) else {
            throw .notABaseline("`version` is missing or not an integer")
        }
        guard (Self.oldestVersion...Self.version).contains(version) else {
            if version > Self.version { throw .unsupportedVersion(version) }
            throw .notABaseline("`version` \(version) is not a baseline format version")
        }
        guard case .array(let list)? = root["findings"] else {
            throw .notABaseline(root["findings"].map { "`findings` is \($0.kind), expected a list" } ?? "it has no `findings` list")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            guard case .object(let object) = item else {
                throw .invalidEntry(index: i + 1, problem: "is \(item.kind), expected an object")
            }
            func field(_ name: String) throws(LoadError) -> String {
                guard let value = object[name] else { throw .invalidEntry(index: i + 1, problem: "has no `\(name)`") }
                guard case .string(let s) = value else {
                    throw .invalidEntry(index: i + 1, problem: "has a `\(name)` that is \(value.kind), expected a string")
                }
                return s
            }
            let fingerprint = try field("fingerprint")
            guard !fingerprint.isEmpty else { throw .invalidEntry(index: i + 1, problem: "has an empty `fingerprint`") }
            entries.append(Entry(fingerprint: fingerprint, ruleId: try field("ruleId"), path: try field("path"), message: try field("message"),
                                 isLegacy: version < 2))
        }
        var tool = "ghr-audit"
        if case .string(let t)? = root["tool"] { tool = t }
        return Baseline(tool: tool, entries: entries)
    }
}

/// "invalid JSON near line 3, column 7", from the character offset Foundation's parser reports.
private func syntaxErrorLocation(_ data: Data) -> String {
    var description = ""
    do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
        description = ((error as NSError).userInfo["NSDebugDescription"] as? String) ?? ""
    }
    let digits = description.range(of: "character ").map { description[$0.upperBound...].prefix { $0.isNumber } } ?? ""
    guard let offset = Int(digits) else { return "invalid JSON" }
    let bytes = Array(data.prefix(offset))
    let line = bytes.filter { $0 == 0x0A }.count + 1
    let lineStart = bytes.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
    let column = bytes[lineStart...].filter { $0 & 0xC0 != 0x80 }.count + 1
    return "invalid JSON near line \(line), column \(column)"
}

/// Any JSON value, decoded strictly (a boolean is never a number).
enum JSONValue: Decodable, Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}
