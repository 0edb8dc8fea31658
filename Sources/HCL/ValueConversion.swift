import AuditCore
import Documents

// Documents → Values (keeping every node's range as the value's origin, so a fleet input read
// through `yamldecode(file("runners/linux.yaml"))` points at its YAML line), and Values → JSON text
// the way Terraform's `jsonencode` writes it.

extension Value {
    /// The value of a JSON document: objects (the last of duplicate keys wins), arrays as lists,
    /// numbers, strings, booleans and null. A `.template` node (from `JSON.parseTemplated`) is unknown.
    public init(json node: JSONNode) {
        switch node.kind {
        case .object(let members):
            var object: [String: Value] = [:]
            for member in members { object[member.key] = Value(json: member.value) }
            self.init(.object(object), origin: node.range)
        case .array(let elements):
            self.init(.list(elements.map(Value.init(json:))), origin: node.range)
        case .string(let s): self.init(.string(s), origin: node.range)
        case .number(let n, _): self.init(.number(n), origin: node.range)
        case .bool(let b): self.init(.bool(b), origin: node.range)
        case .null: self.init(.null, origin: node.range)
        case .template(let text): self.init(.unknown(reason: "template expression `\(text)`"), origin: node.range)
        }
    }

    /// The value of a YAML node as Terraform's `yamldecode` reads it (see `YAMLSchema.terraform`):
    /// merge keys applied, aliases expanded, mapping keys converted to strings. What `yamldecode`
    /// would reject (an unsupported tag, `.nan`, a null or collection key) becomes unknown; use
    /// `Value.decoding(yaml:schema:)` to get the diagnostics too.
    public init(yaml node: YAMLNode, schema: YAMLSchema = .terraform) {
        self = Value.decoding(yaml: node, schema: schema).value
    }

    /// The value of a YAML node plus a located diagnostic for everything `yamldecode` rejects.
    public static func decoding(yaml node: YAMLNode, schema: YAMLSchema = .terraform) -> (value: Value, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let value = YAMLValueDecoder(schema: schema).decode(node, into: &diagnostics)
        return (value, diagnostics)
    }

    /// This value as JSON text with Terraform's `jsonencode` conventions: object keys sorted, no
    /// insignificant whitespace, `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c`..., numbers
    /// without exponent. Nil when the value contains an unknown.
    public var jsonEncoded: String? {
        var out = ""
        return JSONEncoding.append(self, to: &out) ? out : nil
    }
}

private struct YAMLValueDecoder {
    let schema: YAMLSchema

    func decode(_ node: YAMLNode, into diagnostics: inout [Diagnostic]) -> Value {
        func reject(_ summary: String, _ detail: String) -> Value {
            diagnostics.append(Diagnostic(.error, summary, detail: detail, range: node.range))
            return Value(.unknown(reason: "yamldecode rejects \(node.range)"), origin: node.range)
        }
        switch node.kind {
        case .scalar:
            switch node.resolved(schema: schema) {
            case .success(.null)?: return Value(.null, origin: node.range)
            case .success(.bool(let b))?: return Value(.bool(b), origin: node.range)
            case .success(.number(let n))?: return Value(.number(n), origin: node.range)
            case .success(.string(let s))?: return Value(.string(s), origin: node.range)
            case .failure(let error)?:
                return reject("YAML value not supported by `yamldecode`",
                              "Terraform cannot read this value: \(error.message)."
                                  + (node.tag.map { $0.hasPrefix(YAMLTag.prefix) ? "" : " Local tags such as `\($0)` (CloudFormation style) are not understood; remove the tag." } ?? ""))
            case nil: return Value(.null, origin: node.range)
            }
        case .sequence(let elements):
            if let tag = node.tag, tag != YAMLTag.seq {
                return reject("YAML tag not supported by `yamldecode`", "A sequence cannot be read as `\(YAMLTag.shortName(tag))`; remove the tag.")
            }
            return Value(.list(elements.map { decode($0, into: &diagnostics) }), origin: node.range)
        case .mapping(let pairs):
            if let tag = node.tag, tag != YAMLTag.map {
                return reject("YAML tag not supported by `yamldecode`", "A mapping cannot be read as `\(YAMLTag.shortName(tag))`; remove the tag.")
            }
            var object: [String: Value] = [:]
            for pair in pairs {
                if pair.isMerge {
                    merge(pair.value, into: &object, diagnostics: &diagnostics)
                    continue
                }
                guard let key = keyString(pair.key, diagnostics: &diagnostics) else { continue }
                object[key] = decode(pair.value, into: &diagnostics)
            }
            return Value(.object(object), origin: node.range)
        }
    }

    private func merge(_ source: YAMLNode, into object: inout [String: Value], diagnostics: inout [Diagnostic]) {
        let sources: [YAMLNode]
        switch source.kind {
        case .mapping: sources = [source]
        case .sequence(let elements): sources = elements
        case .scalar:
            diagnostics.append(Diagnostic(.error, "Cannot merge a scalar into a mapping",
                                          detail: "The value of a `<<` merge key must be a mapping (usually an alias such as `*defaults`) or a sequence of mappings.",
                                          range: source.range))
            return
        }
        for s in sources {
            guard case .mapping = s.kind else {
                diagnostics.append(Diagnostic(.error, "Cannot merge \(s.kindDescription) into a mapping",
                                              detail: "Every element of a `<<` merge sequence must be a mapping.", range: s.range))
                continue
            }
            if case .object(let entries) = decode(s, into: &diagnostics).kind {
                for (k, v) in entries { object[k] = v }
            }
        }
    }

    private func keyString(_ key: YAMLNode, diagnostics: inout [Diagnostic]) -> String? {
        guard case .scalar = key.kind else {
            diagnostics.append(Diagnostic(.error, "Mapping key is not a string",
                                          detail: "`yamldecode` allows only strings as mapping keys, found \(key.kindDescription).", range: key.range))
            return nil
        }
        switch key.resolved(schema: schema) {
        case .success(.null)?:
            diagnostics.append(Diagnostic(.error, "Mapping key cannot be null",
                                          detail: "An empty key or `~` is null, which `yamldecode` rejects; quote it (`\"~\"`) if the text is meant.",
                                          range: key.range))
            return nil
        case .success(.bool(let b))?: return b ? "true" : "false"
        case .success(.number(let n))?: return JSONEncoding.number(n)
        case .success(.string(let s))?: return s
        case .failure(let error)?:
            diagnostics.append(Diagnostic(.error, "YAML key not supported by `yamldecode`", detail: "\(error.message).", range: key.range))
            return nil
        case nil: return nil
        }
    }
}

/// Terraform's JSON text conventions (Go's `encoding/json` as used by cty).
enum JSONEncoding {
    /// Appends the encoding of `value`; false when it contains an unknown.
    static func append(_ value: Value, to out: inout String) -> Bool {
        switch value.kind {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += number(n)
        case .string(let s): appendString(s, to: &out)
        case .list(let elements):
            out += "["
            for (i, e) in elements.enumerated() {
                if i > 0 { out += "," }
                guard append(e, to: &out) else { return false }
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, key) in sortedKeys(object).enumerated() {
                if i > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                guard append(object[key]!, to: &out) else { return false }
            }
            out += "}"
        case .unknown: return false
        }
        return true
    }

    /// Keys in byte order of their UTF-8 encoding, as Go sorts strings.
    static func sortedKeys(_ object: [String: Value]) -> [String] {
        object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += unicodeEscape(scalar)
            default:
                if scalar.value < 0x20 {
                    out += unicodeEscape(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `\u003c`: lowercase hexadecimal, four digits, as Go writes it.
    static func unicodeEscape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// A number the way cty renders it as text: the shortest decimal that reads back as the same
    /// value, never in exponent form (`1e+21` is written `1000000000000000000000`).
    static func number(_ n: Double) -> String {
        guard n.isFinite else { return n.isNaN ? "NaN" : (n < 0 ? "-Inf" : "+Inf") }
        if n == 0 { return "0" }
        if n.rounded() == n, abs(n) < 1e15 { return String(Int64(n)) }
        // Swift's description is the shortest round-tripping form; expand its exponent.
        let text = "\(abs(n))"
        var mantissa = text, exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits = mantissa.replacingOccurrences(of: ".", with: "")
        var pointPosition = (mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count) + exponent
        // Strip leading zeros (keeping the point position consistent).
        while digits.count > 1, digits.first == "0" { digits.removeFirst(); pointPosition -= 1 }
        var result: String
        if pointPosition <= 0 {
            result = "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            result = digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            result = digits[..<split] + "." + digits[split...]
        }
        if result.contains(".") {
            while result.hasSuffix("0") { result.removeLast() }
            if result.hasSuffix(".") { result.removeLast() }
        }
        return (n < 0 ? "-" : "") + result
    }
}

