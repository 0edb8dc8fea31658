/// A JSON document built in memory and written deterministically: object keys sorted by Unicode
/// scalar value, two-space indentation, `"key": value`, a trailing newline at the top level.
///
/// Foundation's `JSONSerialization` is not used on purpose: its pretty printer differs between
/// platforms (`"key" : value`, escaped `/`), and booleans and integers round-trip through
/// `NSNumber`. Output here is the same bytes on every platform.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The document followed by a newline.
    func serialized() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out.append("\n")
        return out
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let n): out.append(String(n))
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out.append("[]"); return }
            out.append("[\n")
            for (i, item) in items.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                item.write(into: &out, indent: indent + 2)
                out.append(i == items.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent))
            out.append("]")
        case .object(let members):
            guard !members.isEmpty else { out.append("{}"); return }
            out.append("{\n")
            let keys = members.keys.sorted(by: JSONValue.keyOrder)
            for (i, key) in keys.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                JSONValue.writeString(key, into: &out)
                out.append(": ")
                members[key]!.write(into: &out, indent: indent + 2)
                out.append(i == keys.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent))
            out.append("}")
        }
    }

    /// Keys compare by Unicode scalar values, which is also UTF-8 byte order: independent of
    /// locale and of Swift's canonical-equivalence string comparison.
    static func keyOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
    }

    /// RFC 8259 string escaping. Non-ASCII text is written as UTF-8; U+2028 and U+2029 are
    /// escaped too so the output can be embedded in JavaScript.
    static func writeString(_ s: String, into out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}

extension JSONValue {
    /// `.string` or `.null`.
    static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    static func optional(_ b: Bool?) -> JSONValue { b.map(JSONValue.bool) ?? .null }
    static func strings(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }
}
