import AuditCore

// STOPGAP: a minimal positioned JSON reader private to the IAM target, used until the shared one
// (`Documents.JSONNode`, branch `documents`) lands. It has the same shape (ordered object members
// with key ranges, decoded strings, numbers with their text) so the policy front end can switch
// by replacing `PolicyJSONReader.read` and the node type it walks. It never throws, stops at the
// first syntax error with a diagnostic at the offending byte, and returns what it read up to there.

struct JSONNode: Sendable {
    struct Member: Sendable {
        var key: String
        var keyRange: SourceRange
        var value: JSONNode
    }

    indirect enum Kind: Sendable {
        case object([Member])
        case array([JSONNode])
        case string(String)
        case number(String)
        case bool(Bool)
        case null
        /// A value not known statically (built from HCL, never read from JSON text), named by
        /// what it depends on.
        case unknown(String)
    }

    var kind: Kind
    var range: SourceRange
    /// Byte offsets of the first byte and one past the last.
    var start: Int
    var end: Int

    var typeName: String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .unknown: "an unknown value"
        }
    }
}

struct JSONReader {
    static let maxDepth = 128

    let file: SourceFile
    /// The bytes read (the file's, or a masked copy with the same offsets).
    let bytes: [UInt8]
    let end: Int
    var i: Int
    var diagnostics: [Diagnostic] = []
    private(set) var failed = false

    /// Reads one JSON value from `bytes[start..<end]`; positions are those of `file`.
    /// `stopped` is true when reading ended at a syntax error, so the tree is partial.
    static func read(_ file: SourceFile, bytes: [UInt8]? = nil, start: Int = 0, end: Int? = nil) -> (node: JSONNode?, diagnostics: [Diagnostic], stopped: Bool) {
        let b = bytes ?? file.bytes
        var r = JSONReader(file: file, bytes: b, end: min(end ?? b.count, b.count), i: max(0, start))
        r.skipSpace()
        if r.i >= r.end {
            r.error("empty JSON document", at: r.i, r.i, detail: "Expected a JSON object such as `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`.")
            return (nil, r.diagnostics, true)
        }
        let value = r.value(depth: 0)
        if !r.failed {
            r.skipSpace()
            if r.i < r.end {
                r.error("unexpected text after the JSON value", at: r.i, r.i + 1,
                        detail: "A policy document is a single JSON object; remove what follows its closing brace.")
            }
        }
        return (value, r.diagnostics, r.failed)
    }

    private mutating func error(_ summary: String, at start: Int, _ stop: Int, detail: String? = nil) {
        guard !failed else { return }
        diagnostics.append(Diagnostic(.error, summary, detail: detail, range: file.range(from: start, to: max(start, stop))))
    }

    private mutating func fail(_ summary: String, at start: Int, _ stop: Int, detail: String? = nil) {
        error(summary, at: start, stop, detail: detail)
        failed = true
    }

    private mutating func skipSpace() {
        while i < end {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            case UInt8(ascii: "/") where i + 1 < end && (bytes[i + 1] == UInt8(ascii: "/") || bytes[i + 1] == UInt8(ascii: "*")):
                let start = i
                if bytes[i + 1] == UInt8(ascii: "/") {
                    while i < end && bytes[i] != 0x0A { i += 1 }
                } else {
                    i += 2
                    while i + 1 < end && !(bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/")) { i += 1 }
                    i = min(end, i + 2)
                }
                error("comments are not allowed in JSON", at: start, i, detail: "AWS rejects policy documents with comments; remove it.")
            default: return
            }
        }
    }

    private func character(at k: Int) -> String {
        guard k < end else { return "end of input" }
        let c = file.text(from: k, to: min(end, k + 4)).unicodeScalars.first.map { String($0) } ?? "?"
        return "`\(c)`"
    }

    private mutating func value(depth: Int) -> JSONNode? {
        guard !failed else { return nil }
        guard depth < JSONReader.maxDepth else {
            fail("JSON nested too deeply", at: i, i + 1, detail: "More than \(JSONReader.maxDepth) nested arrays or objects; no policy needs this.")
            return nil
        }
        skipSpace()
        guard i < end else {
            fail("unexpected end of JSON", at: i, i, detail: "Expected a value.")
            return nil
        }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""):
            guard let s = string() else { return nil }
            return node(.string(s), start)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for (word, kind) in [("true", JSONNode.Kind.bool(true)), ("false", .bool(false)), ("null", .null)] where matches(word) {
                i += word.utf8.count
                return node(kind, start)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return number()
        default: break
        }
        fail("unexpected \(character(at: i))", at: i, i + 1, detail: "Expected a JSON value: an object, array, string, number, `true`, `false` or `null`.")
        return nil
    }

    private func matches(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= end, Array(bytes[i..<i + w.count]) == w else { return false }
        let after = i + w.count
        return after >= end || !(bytes[after].isASCIILetter || bytes[after].isASCIIDigit)
    }

    private func node(_ kind: JSONNode.Kind, _ start: Int) -> JSONNode {
        JSONNode(kind: kind, range: file.range(from: start, to: i), start: start, end: i)
    }

    private mutating func object(depth: Int) -> JSONNode? {
        let start = i
        i += 1
        var members: [JSONNode.Member] = []
        var seen: Set<String> = []
        skipSpace()
        if i < end && bytes[i] == UInt8(ascii: "}") {
            i += 1
            return node(.object(members), start)
        }
        while !failed {
            skipSpace()
            guard i < end else {
                fail("unclosed object", at: start, start + 1, detail: "This `{` has no matching `}`.")
                break
            }
            guard bytes[i] == UInt8(ascii: "\"") else {
                fail("expected a quoted key, found \(character(at: i))", at: i, i + 1,
                     detail: "Object keys in JSON are strings in double quotes.")
                break
            }
            let keyStart = i
            guard let key = string() else { break }
            let keyRange = file.range(from: keyStart, to: i)
            if !seen.insert(key).inserted {
                diagnostics.append(Diagnostic(.warning, "duplicate key `\(key)`", detail: "The key appears earlier in this object; JSON readers keep only one of the two values. Merge them into one.", range: keyRange))
            }
            skipSpace()
            guard i < end, bytes[i] == UInt8(ascii: ":") else {
                fail("expected `:` after key `\(key)`", at: i, i + (i < end ? 1 : 0))
                break
            }
            i += 1
            guard let v = value(depth: depth + 1) else { break }
            members.append(.init(key: key, keyRange: keyRange, value: v))
            skipSpace()
            guard i < end else {
                fail("unclosed object", at: start, start + 1, detail: "This `{` has no matching `}`.")
                break
            }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return node(.object(members), start) }
            guard bytes[i] == UInt8(ascii: ",") else {
                fail("expected `,` or `}` after the value of `\(key)`, found \(character(at: i))", at: i, i + 1,
                     detail: "Members of an object are separated by commas.")
                break
            }
            let comma = i
            i += 1
            skipSpace()
            if i < end && bytes[i] == UInt8(ascii: "}") {
                error("trailing comma", at: comma, comma + 1, detail: "AWS rejects a comma before `}`; remove it.")
                i += 1
                return node(.object(members), start)
            }
        }
        return node(.object(members), start)
    }

    private mutating func array(depth: Int) -> JSONNode? {
        let start = i
        i += 1
        var items: [JSONNode] = []
        skipSpace()
        if i < end && bytes[i] == UInt8(ascii: "]") {
            i += 1
            return node(.array(items), start)
        }
        while !failed {
            guard let v = value(depth: depth + 1) else { break }
            items.append(v)
            skipSpace()
            guard i < end else {
                fail("unclosed array", at: start, start + 1, detail: "This `[` has no matching `]`.")
                break
            }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return node(.array(items), start) }
            guard bytes[i] == UInt8(ascii: ",") else {
                fail("expected `,` or `]` in array, found \(character(at: i))", at: i, i + 1,
                     detail: "Array elements are separated by commas.")
                break
            }
            let comma = i
            i += 1
            skipSpace()
            if i < end && bytes[i] == UInt8(ascii: "]") {
                error("trailing comma", at: comma, comma + 1, detail: "AWS rejects a comma before `]`; remove it.")
                i += 1
                return node(.array(items), start)
            }
        }
        return node(.array(items), start)
    }

    private mutating func number() -> JSONNode? {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let s = i
            while i < end && bytes[i].isASCIIDigit { i += 1 }
            return i - s
        }
        guard digits() > 0 else {
            fail("invalid number", at: start, i + 1, detail: "A minus sign must be followed by digits.")
            return nil
        }
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { fail("invalid number", at: start, i, detail: "Digits must follow the decimal point."); return nil }
        }
        if i < end && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < end && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard digits() > 0 else { fail("invalid number", at: start, i, detail: "Digits must follow the exponent."); return nil }
        }
        return node(.number(file.text(from: start, to: i)), start)
    }

    /// Reads a string starting at the opening quote; leaves `i` after the closing quote.
    private mutating func string() -> String? {
        let open = i
        i += 1
        var out = String.UnicodeScalarView()
        var runStart = i
        func flushRun(_ upTo: Int) {
            if upTo > runStart {
                out.append(contentsOf: String(decoding: bytes[runStart..<upTo], as: UTF8.self).unicodeScalars)
            }
        }
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                flushRun(i)
                i += 1
                return String(out)
            }
            if b < 0x20 {
                fail(b == 0x0A ? "unterminated string" : "control character in string", at: b == 0x0A ? open : i, b == 0x0A ? open + 1 : i + 1,
                     detail: b == 0x0A ? "This string has no closing quote on its line." : "Write control characters as escapes such as `\\n` or `\\t`.")
                return nil
            }
            if b == UInt8(ascii: "\\") {
                flushRun(i)
                let esc = i
                guard i + 1 < end else { break }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""): out.append("\"")
                case UInt8(ascii: "\\"): out.append("\\")
                case UInt8(ascii: "/"): out.append("/")
                case UInt8(ascii: "b"): out.append("\u{08}")
                case UInt8(ascii: "f"): out.append("\u{0C}")
                case UInt8(ascii: "n"): out.append("\n")
                case UInt8(ascii: "r"): out.append("\r")
                case UInt8(ascii: "t"): out.append("\t")
                case UInt8(ascii: "u"):
                    guard var code = hex4() else {
                        fail("invalid `\\u` escape", at: esc, min(end, esc + 6), detail: "`\\u` must be followed by four hexadecimal digits.")
                        return nil
                    }
                    if (0xD800..<0xDC00).contains(code), i + 1 < end, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    fail("invalid escape `\\\(Unicode.Scalar(e))`", at: esc, esc + 2,
                         detail: "JSON allows `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`.")
                    return nil
                }
                runStart = i
                continue
            }
            i += 1
        }
        fail("unterminated string", at: open, open + 1, detail: "This string has no closing quote.")
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard i + 4 <= end else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = bytes[i + k]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v * 16 + UInt32(d)
        }
        i += 4
        return v
    }
}

extension UInt8 {
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isASCIILetter: Bool { (self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "z") }
}
