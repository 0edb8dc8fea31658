import Foundation

/// A parsed XML element (namespaces dropped): what the query and EC2 protocols answer with.
public struct XMLNode: Sendable, Hashable {
    public var name: String
    public var text: String
    public var children: [XMLNode]

    public init(name: String, text: String = "", children: [XMLNode] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }
    public func children(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }
    /// The element at a path of child names.
    public func at(_ path: String...) -> XMLNode? {
        var node: XMLNode? = self
        for p in path { node = node?.child(p) }
        return node
    }
    /// The text of the element at a path of child names, nil when absent.
    public func string(_ path: String...) -> String? {
        var node: XMLNode? = self
        for p in path { node = node?.child(p) }
        return node?.text
    }
    /// Every element below this one with the name, depth first.
    public func descendants(_ name: String) -> [XMLNode] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.descendants(name) }
    }

    /// Parses a document; nil when it is not well-formed. See `XMLReader`.
    public static func parse(_ data: Data) -> XMLNode? {
        var reader = XMLReader(data)
        return reader.document()
    }
}

/// The XML the AWS query and EC2 protocols answer with, read on its bytes: elements (their
/// namespace prefix dropped, attributes skipped), character data, CDATA sections, the five named
/// entities and character references; comments, processing instructions and the XML
/// declaration are passed over. A document type declaration is refused (AWS never sends one, and
/// it is where entity expansion attacks live), as is nesting deeper than `maxDepth`, a tag that
/// does not close the element it should, text outside the root, a second root and bytes that are
/// not UTF-8. An element's text is its character data in order; it is trimmed when the element
/// has children. One pass over the bytes, no recursion: time and memory linear in the input.
struct XMLReader {
    static let maxDepth = 256

    private let bytes: [UInt8]
    private var i = 0

    /// The document's bytes with its line ends normalised, as XML prescribes (CR LF and a lone CR
    /// read as LF).
    init(_ data: Data) {
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var previous: UInt8 = 0
        for b in data {
            if b == 0x0D {
                out.append(0x0A)
            } else if !(b == 0x0A && previous == 0x0D) {
                out.append(b)
            }
            previous = b
        }
        bytes = out
    }

    mutating func document() -> XMLNode? {
        guard String(bytes: bytes, encoding: .utf8) != nil else { return nil }
        var stack: [XMLNode] = []
        var root: XMLNode?
        while i < bytes.count {
            if bytes[i] != UInt8(ascii: "<") {
                guard let text = characterData() else { return nil }
                if stack.isEmpty {
                    guard text.allSatisfy(\.isWhitespace) else { return nil }
                } else {
                    stack[stack.count - 1].text += text
                }
                continue
            }
            if skip("<?") {
                guard pass(over: "?>") else { return nil }
            } else if skip("<!--") {
                guard pass(over: "-->") else { return nil }
            } else if skip("<![CDATA[") {
                let start = i
                guard pass(over: "]]>"), !stack.isEmpty else { return nil }
                stack[stack.count - 1].text += String(decoding: bytes[start..<(i - 3)], as: UTF8.self)
            } else if bytes.count > i + 1, bytes[i + 1] == UInt8(ascii: "!") {
                return nil  // <!DOCTYPE …> or another declaration
            } else if skip("</") {
                guard let name = name(), var node = stack.popLast(), node.name == localName(name) else { return nil }
                skipSpace()
                guard skip(">") else { return nil }
                if !node.children.isEmpty { node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines) }
                if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
            } else {
                i += 1
                guard root == nil, stack.count < Self.maxDepth, let name = name(), let selfClosing = attributes() else { return nil }
                let node = XMLNode(name: localName(name))
                if !selfClosing {
                    stack.append(node)
                } else if stack.isEmpty {
                    root = node
                } else {
                    stack[stack.count - 1].children.append(node)
                }
            }
        }
        return stack.isEmpty ? root : nil
    }

    /// Text up to the next `<`, with its references replaced; nil for a malformed reference.
    private mutating func characterData() -> String? {
        var out: [UInt8] = []
        while i < bytes.count, bytes[i] != UInt8(ascii: "<") {
            if bytes[i] == UInt8(ascii: "&") {
                guard let end = bytes[i...].firstIndex(of: UInt8(ascii: ";")), end - i <= 12,
                      let scalar = Self.reference(bytes[(i + 1)..<end]) else { return nil }
                out.append(contentsOf: Array(String(scalar).utf8))
                i = end + 1
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func reference(_ r: ArraySlice<UInt8>) -> Unicode.Scalar? {
        switch String(decoding: r, as: UTF8.self) {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        case let s where s.hasPrefix("#x"): return UInt32(s.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
        case let s where s.hasPrefix("#"): return UInt32(s.dropFirst(1), radix: 10).flatMap(Unicode.Scalar.init)
        default: return nil
        }
    }

    /// A tag's name: anything up to white space, `/` or `>`.
    private mutating func name() -> String? {
        let start = i
        while i < bytes.count, !Self.isSpace(bytes[i]), bytes[i] != UInt8(ascii: "/"), bytes[i] != UInt8(ascii: ">") { i += 1 }
        return i > start ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
    }

    /// Skips a start tag's attributes (quoted values may hold `>`); whether it closed with `/>`,
    /// nil when it did not close.
    private mutating func attributes() -> Bool? {
        var quote: UInt8?
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            if let q = quote {
                if b == q { quote = nil }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: ">") {
                return i >= 2 && bytes[i - 2] == UInt8(ascii: "/")
            }
        }
        return nil
    }

    private func localName(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    private mutating func skip(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard bytes.count - i >= n else { return false }
        let matches = literal.withUTF8Buffer { lit in (0..<n).allSatisfy { bytes[i + $0] == lit[$0] } }
        if matches { i += n }
        return matches
    }

    /// Moves past the next occurrence of `literal`; false when there is none.
    private mutating func pass(over literal: StaticString) -> Bool {
        while i < bytes.count {
            if skip(literal) { return true }
            i += 1
        }
        return false
    }

    private mutating func skipSpace() {
        while i < bytes.count, Self.isSpace(bytes[i]) { i += 1 }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}
