import Foundation

/// How plain scalars turn into typed values.
public enum YAMLSchema: Sendable, Hashable {
    /// What Terraform's `yamldecode` does (zclconf/go-cty-yaml, every release to date): despite the
    /// documentation's "YAML 1.2", the YAML 1.1 booleans `y`, `yes`, `on`, `n`, `no`, `off` (in
    /// lower, Title and UPPER case) are booleans; numbers follow the YAML 1.2 patterns (`0o17`,
    /// `0x1F`, no `_`); plain timestamps become RFC 3339 strings; `.nan` is an error. Quoted scalars
    /// are always strings.
    case terraform
    /// The YAML 1.2 core schema: only `true`/`false` (three casings) are booleans.
    case core
}

/// A scalar after tag resolution.
public enum YAMLScalarValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
}

/// Why a scalar cannot be resolved (an unsupported tag, `.nan`, `!!int abc`).
public struct YAMLResolutionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension YAMLNode {
    /// The typed value of a scalar node; nil for collections.
    public func resolved(schema: YAMLSchema = .terraform) -> Result<YAMLScalarValue, YAMLResolutionError>? {
        guard case .scalar(let scalar) = kind else { return nil }
        return YAMLResolver.resolve(scalar, tag: tag, schema: schema)
    }
}

enum YAMLResolver {
    static let terraformBooleans: [String: Bool] = {
        var table: [String: Bool] = [:]
        for word in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] { table[word] = true }
        for word in ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"] { table[word] = false }
        return table
    }()
    static let coreBooleans: [String: Bool] = ["true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false]
    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
    static let infinities: [String: Double] = [
        ".inf": .infinity, ".Inf": .infinity, ".INF": .infinity, "+.inf": .infinity, "+.Inf": .infinity, "+.INF": .infinity,
        "-.inf": -.infinity, "-.Inf": -.infinity, "-.INF": -.infinity,
    ]
    static let nans: Set<String> = [".nan", ".NaN", ".NAN"]
    /// The longest word of the tables above (in bytes): a longer plain scalar is none of them,
    /// and is not hashed four times to learn it (most scalars are names and paths).
    static let longestSpecialWord: Int = {
        let words = Array(terraformBooleans.keys) + Array(coreBooleans.keys) + Array(nulls) + Array(infinities.keys) + Array(nans)
        return words.map(\.utf8.count).max() ?? 0
    }()

    static func resolve(_ scalar: YAMLScalar, tag: String?, schema: YAMLSchema) -> Result<YAMLScalarValue, YAMLResolutionError> {
        let text = scalar.value
        let booleans = schema == .terraform ? terraformBooleans : coreBooleans
        switch tag {
        case nil, "!":
            // A non-specific `!` tag forces a string, like quoting.
            if tag == "!" || scalar.isQuoted { return .success(.string(text)) }
            if text.utf8.count <= longestSpecialWord {
                if nulls.contains(text) { return .success(.null) }
                if let b = booleans[text] { return .success(.bool(b)) }
                if let inf = infinities[text] { return .success(.number(inf)) }
                if nans.contains(text) {
                    return schema == .terraform
                        ? .failure(YAMLResolutionError("floating point NaN is not supported"))
                        : .success(.number(.nan))
                }
            }
            guard let first = text.utf8.first else { return .success(.string(text)) }
            let isDigitOrSign = (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
            if schema == .terraform, isDigitOrSign, let timestamp = rfc3339(fromTimestamp: text) { return .success(.string(timestamp)) }
            if isDigitOrSign || first == UInt8(ascii: ".") {
                if let n = integer(text) ?? float(text) { return .success(.number(n)) }
            }
            return .success(.string(text))
        case YAMLTag.str?:
            return .success(.string(text))
        case YAMLTag.binary?:
            let compact = text.filter { !$0.isWhitespace }
            guard Data(base64Encoded: compact) != nil else {
                return .failure(YAMLResolutionError("cannot parse \"\(text)\" as !!binary: not valid base64"))
            }
            return .success(.string(text))
        default:
            break
        }
        // Explicit tags. As in go-cty-yaml, a quoted scalar stays a string whatever its tag.
        if schema == .terraform, scalar.isQuoted, !text.isEmpty { return .success(.string(text)) }
        switch tag {
        case YAMLTag.bool?:
            guard let b = booleans[text] else { return .failure(YAMLResolutionError("cannot parse \"\(text)\" as !!bool")) }
            return .success(.bool(b))
        case YAMLTag.int?, YAMLTag.float?:
            let plain = text.replacingOccurrences(of: "_", with: "")
            if let n = float(plain) ?? goInteger(plain) { return .success(.number(n)) }
            return .failure(YAMLResolutionError("cannot parse \"\(text)\" as \(YAMLTag.shortName(tag!))"))
        case YAMLTag.null?:
            return .success(.null)
        case YAMLTag.timestamp?:
            guard let timestamp = rfc3339(fromTimestamp: text) else {
                return .failure(YAMLResolutionError("cannot parse \"\(text)\" as !!timestamp"))
            }
            return .success(.string(timestamp))
        default:
            return .failure(YAMLResolutionError("unsupported tag \"\(YAMLTag.shortName(tag ?? ""))\""))
        }
    }

    // MARK: Numbers (YAML 1.2 patterns)

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
    static func integer(_ text: String) -> Double? {
        var s = Substring(text)
        if s.hasPrefix("0o") {
            s = s.dropFirst(2)
            guard !s.isEmpty, s.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
            return parseDigits(s, radix: 8)
        }
        if s.hasPrefix("0x") {
            s = s.dropFirst(2)
            guard !s.isEmpty, s.allSatisfy(\.isHexDigit) else { return nil }
            return parseDigits(s, radix: 16)
        }
        var negative = false
        if let sign = s.first, sign == "-" || sign == "+" { negative = sign == "-"; s = s.dropFirst() }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard let n = Double(s) else { return nil }
        return negative ? -n : n
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
    static func float(_ text: String) -> Double? {
        let b = Array(text.utf8)
        var i = 0
        func digits() -> Int { let s = i; while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }; return i - s }
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return nil }
        } else {
            guard digits() > 0 else { return nil }
            if i < b.count, b[i] == UInt8(ascii: ".") { i += 1; _ = digits() }
        }
        if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == b.count else { return nil }
        var normalized = text
        if normalized.hasPrefix("+") { normalized.removeFirst() }
        if normalized.hasPrefix(".") { normalized = "0" + normalized }
        if normalized.hasPrefix("-.") { normalized = "-0" + normalized.dropFirst() }
        return Double(normalized)
    }

    /// Go's `strconv.ParseInt(s, 0, 64)` prefixes (`0x`, `0o`, `0b`, a leading `0` for octal, `_`
    /// between digits), used for explicitly tagged `!!int` values.
    static func goInteger(_ text: String) -> Double? {
        var s = Substring(text)
        var negative = false
        if let sign = s.first, sign == "-" || sign == "+" { negative = sign == "-"; s = s.dropFirst() }
        var radix = 10
        let lower = s.lowercased()
        if lower.hasPrefix("0x") { radix = 16; s = s.dropFirst(2) } else if lower.hasPrefix("0o") { radix = 8; s = s.dropFirst(2) } else if lower.hasPrefix("0b") { radix = 2; s = s.dropFirst(2) } else if s.count > 1, s.hasPrefix("0") { radix = 8; s = s.dropFirst() }
        let digits = s.replacingOccurrences(of: "_", with: "")
        guard !digits.isEmpty, let n = parseDigits(Substring(digits), radix: radix) else { return nil }
        return negative ? -n : n
    }

    private static func parseDigits(_ s: Substring, radix: Int) -> Double? {
        var n = 0.0
        for c in s {
            guard let d = c.hexDigitValue, d < radix else { return nil }
            n = n * Double(radix) + Double(d)
        }
        return n
    }

    // MARK: Timestamps

    /// The RFC 3339 rendering (`2006-01-02T15:04:05Z07:00`, fraction dropped) of the timestamp forms
    /// go-cty-yaml accepts: `2001-12-14`, `2001-12-14 21:59:43.10` (UTC) and
    /// `2001-12-14T21:59:43.10-05:00` (`t` or `T`, `Z` or an offset); nil for anything else.
    static func rfc3339(fromTimestamp text: String) -> String? {
        let b = Array(text.utf8)
        var i = 0
        func number(min: Int, max: Int) -> Int? {
            let start = i
            while i < b.count, i - start < max, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i - start >= min else { return nil }
            return Int(String(decoding: b[start..<i], as: UTF8.self))
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(min: 4, max: 4), expect("-"), let month = number(min: 1, max: 2), expect("-"),
              let day = number(min: 1, max: 2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        let date = String(format: "%04d-%02d-%02d", year, month, day)
        if i == b.count { return date + "T00:00:00Z" }
        let separator = b[i]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let hour = number(min: 1, max: 2), expect(":"), let minute = number(min: 1, max: 2), expect(":"),
              let second = number(min: 1, max: 2), hour < 24, minute < 60, second < 60 else { return nil }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard number(min: 1, max: 9) != nil else { return nil }
        }
        let time = String(format: "%02d:%02d:%02d", hour, minute, second)
        if separator == UInt8(ascii: " ") {
            return i == b.count ? "\(date)T\(time)Z" : nil
        }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") {
            i += 1
            return i == b.count ? "\(date)T\(time)Z" : nil
        }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
        let sign = b[i] == UInt8(ascii: "+") ? "+" : "-"
        i += 1
        guard let offsetHours = number(min: 2, max: 2), expect(":"), let offsetMinutes = number(min: 2, max: 2), i == b.count,
              offsetHours < 24, offsetMinutes < 60 else { return nil }
        if offsetHours == 0 && offsetMinutes == 0 { return "\(date)T\(time)Z" }
        return "\(date)T\(time)\(sign)" + String(format: "%02d:%02d", offsetHours, offsetMinutes)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
