import Yams

/// A composed YAML document as the knowledge files are read: scalars (with whether they are YAML's
/// null), sequences and mappings, each with the line and column where it starts (1-based, as
/// libyaml counts them). `NodeReader` reads it.
///
/// Two ways in: `init(_:)` from Yams' tree, for a text (the files under `rules/` as the tests and
/// `ghr-audit-dev` load them, a table passed to `RequiredPermissions(yaml:)`), and `unpack(_:)`
/// from the packed form that `ghr-audit-dev generate` embeds next to each data file (see
/// `EmbeddedData.packed`). Composing the embedded YAML with libyaml and Yams was most of the
/// knowledge base's loading, which every run pays before it reads the repository; the packed form
/// is read in one pass over its bytes.
package struct DataNode: Sendable, Equatable {
    package enum Value: Sendable, Equatable {
        case scalar(String, null: Bool)
        case sequence([DataNode])
        /// Keys and values alternating.
        case mapping([DataNode])
    }

    package var value: Value
    package var line: Int
    package var column: Int

    package init(_ value: Value, line: Int, column: Int) {
        self.value = value
        self.line = line
        self.column = column
    }

    /// Yams' tree (it has resolved aliases into the nodes they name).
    package init(_ node: Node) {
        let mark = node.mark
        let value: Value
        switch node {
        case let .scalar(s): value = .scalar(s.string, null: YAMLReading.isNull(node))
        case let .sequence(s): value = .sequence(s.map(DataNode.init))
        case let .mapping(m):
            var items: [DataNode] = []
            items.reserveCapacity(m.count * 2)
            for (k, v) in m {
                items.append(DataNode(k))
                items.append(DataNode(v))
            }
            value = .mapping(items)
        }
        self.init(value, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    /// The text of a scalar (null or not), nil for a collection.
    package var scalar: String? {
        if case let .scalar(s, _) = value { return s }
        return nil
    }

    /// Whether this is a scalar YAML reads as null (plain `null`, `~` or nothing).
    package var isNull: Bool {
        if case .scalar(_, true) = value { return true }
        return false
    }

    /// The items of a sequence, nil for anything else.
    package var sequence: [DataNode]? {
        if case let .sequence(items) = value { return items }
        return nil
    }

    /// The key-value pairs of a mapping in document order, nil for anything else.
    package var pairs: [(key: DataNode, value: DataNode)]? {
        guard case let .mapping(items) = value else { return nil }
        return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    /// The YAML text composed with Yams; nil for an empty document.
    package static func compose(yaml: String) throws -> DataNode? {
        try Yams.compose(yaml: yaml).map(DataNode.init)
    }

    // MARK: The packed form

    /// The packed form: every node as a letter, its line and column and a count, in document
    /// order: `S<line>,<column>,<bytes>:<UTF-8 text>` for a scalar (`N` when it is null),
    /// `L<line>,<column>,<items>;` followed by the items, `M<line>,<column>,<entries>;` followed
    /// by keys and values alternating. It is text, so it embeds in a string literal.
    package func packed() -> String {
        var out = ""
        pack(into: &out)
        return out
    }

    private func pack(into out: inout String) {
        switch value {
        case let .scalar(s, null):
            out += "\(null ? "N" : "S")\(line),\(column),\(s.utf8.count):"
            out += s
        case let .sequence(items):
            out += "L\(line),\(column),\(items.count);"
            for item in items { item.pack(into: &out) }
        case let .mapping(items):
            out += "M\(line),\(column),\(items.count / 2);"
            for item in items { item.pack(into: &out) }
        }
    }

    /// Reads a packed form back; throws when it is damaged (it never is when `ghr-audit-dev
    /// generate` wrote it: a test unpacks every embedded file and compares it with Yams' tree).
    package static func unpack(_ text: String) throws(NodeReader.Failure) -> DataNode {
        var text = text
        return try text.withUTF8 { bytes -> Result<DataNode, NodeReader.Failure> in
            var reader = Unpacker(bytes: bytes)
            return Result { () throws(NodeReader.Failure) -> DataNode in
                let node = try reader.node(depth: 0)
                guard reader.i == bytes.count else { throw reader.damaged() }
                return node
            }
        }.get()
    }

    private struct Unpacker {
        static let maxDepth = 200
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        func damaged() -> NodeReader.Failure {
            NodeReader.Failure(message: "the packed knowledge is damaged at byte \(i)")
        }

        mutating func number(ending end: UInt8) throws(NodeReader.Failure) -> Int {
            var n = 0, digits = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39, digits < 10 {
                n = n * 10 + Int(bytes[i] - 0x30)
                i += 1
                digits += 1
            }
            guard digits > 0, i < bytes.count, bytes[i] == end else { throw damaged() }
            i += 1
            return n
        }

        mutating func node(depth: Int) throws(NodeReader.Failure) -> DataNode {
            guard depth < Self.maxDepth, i < bytes.count else { throw damaged() }
            let kind = bytes[i]
            i += 1
            let line = try number(ending: UInt8(ascii: ",")), column = try number(ending: UInt8(ascii: ","))
            switch kind {
            case UInt8(ascii: "S"), UInt8(ascii: "N"):
                let count = try number(ending: UInt8(ascii: ":"))
                guard count <= bytes.count - i else { throw damaged() }
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<(i + count)]), as: UTF8.self)
                i += count
                return DataNode(.scalar(s, null: kind == UInt8(ascii: "N")), line: line, column: column)
            case UInt8(ascii: "L"), UInt8(ascii: "M"):
                let count = try number(ending: UInt8(ascii: ";")) * (kind == UInt8(ascii: "M") ? 2 : 1)
                // Every node takes at least seven bytes: a count beyond what is left is damage.
                guard count <= (bytes.count - i) / 7 else { throw damaged() }
                var items: [DataNode] = []
                items.reserveCapacity(count)
                for _ in 0..<count { items.append(try node(depth: depth + 1)) }
                return DataNode(kind == UInt8(ascii: "M") ? .mapping(items) : .sequence(items), line: line, column: column)
            default:
                i -= 1
                throw damaged()
            }
        }
    }
}
