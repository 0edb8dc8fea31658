import AuditCore

/// A YAML node with the exact source range it was read from.
///
/// Ranges: a scalar covers exactly its text (with the quotes of a quoted scalar, from the `|`/`>`
/// indicator to the end of the last content line of a block scalar; an empty range where an
/// implicit null such as `key:` stands). A collection runs from its first content byte (after any
/// `&anchor`/`!tag`) to its closing bracket (flow) or the end of its last entry (block). A node
/// written as an alias `*name` has the alias token as its range and carries a copy of the anchored
/// node's content, whose inner ranges point at the anchor's definition.
///
/// Every YAML file of a run stays parsed until the end, so a node is kept small: its kind is held
/// inline (a collection is one array reference, a scalar its string and style), and the rare
/// properties (tag, anchor, alias) share one optional reference. 64 bytes a node instead of 96
/// plus a boxed kind.
public struct YAMLNode: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Entries in source order, merge keys (`<<`) included as written; see `mergedPairs`.
        case mapping([YAMLPair])
        case sequence([YAMLNode])
        case scalar(YAMLScalar)
    }

    public var kind: Kind
    public var range: SourceRange
    /// Tag, anchor and alias; nil when the node has none of them (nearly every node).
    private var properties: Properties?
    /// True for `[...]` and `{...}` collections.
    public var isFlow: Bool

    /// The explicit tag, resolved to its full name (`tag:yaml.org,2002:int` for `!!int`, `!Ref` for a
    /// local tag); nil when the node has no tag in the source.
    public var tag: String? {
        get { properties?.tag }
        set { properties = Properties.make(tag: newValue, anchor: anchor, alias: alias) }
    }
    /// The anchor defined on this node (`&name`).
    public var anchor: String? {
        get { properties?.anchor }
        set { properties = Properties.make(tag: tag, anchor: newValue, alias: alias) }
    }
    /// Set when the node was written as `*name`.
    public var alias: String? {
        get { properties?.alias }
        set { properties = Properties.make(tag: tag, anchor: anchor, alias: newValue) }
    }

    public init(kind: Kind, range: SourceRange, tag: String? = nil, anchor: String? = nil, alias: String? = nil, isFlow: Bool = false) {
        self.kind = kind
        self.range = range
        self.properties = Properties.make(tag: tag, anchor: anchor, alias: alias)
        self.isFlow = isFlow
    }

    /// A node's tag, anchor and alias, shared by the copies of the node (immutable: setting one
    /// makes a new box). Compared and hashed by value.
    private final class Properties: Sendable, Hashable {
        let tag: String?
        let anchor: String?
        let alias: String?

        private init(tag: String?, anchor: String?, alias: String?) {
            self.tag = tag
            self.anchor = anchor
            self.alias = alias
        }

        /// Nil when all three are nil, so a node without properties compares equal however it was made.
        static func make(tag: String?, anchor: String?, alias: String?) -> Properties? {
            tag == nil && anchor == nil && alias == nil ? nil : Properties(tag: tag, anchor: anchor, alias: alias)
        }

        static func == (a: Properties, b: Properties) -> Bool { a.tag == b.tag && a.anchor == b.anchor && a.alias == b.alias }

        func hash(into hasher: inout Hasher) {
            hasher.combine(tag)
            hasher.combine(anchor)
            hasher.combine(alias)
        }
    }

    public var scalar: YAMLScalar? { if case .scalar(let s) = kind { s } else { nil } }
    public var pairs: [YAMLPair]? { if case .mapping(let p) = kind { p } else { nil } }
    public var elements: [YAMLNode]? { if case .sequence(let e) = kind { e } else { nil } }

    /// The scalar's text when this is a scalar.
    public var string: String? { scalar?.value }

    /// The value of the last entry whose key is the scalar `key` (merge keys applied).
    public subscript(key: String) -> YAMLNode? { pair(key)?.value }

    /// The last entry whose key is the scalar `key` (merge keys applied).
    public func pair(_ key: String) -> YAMLPair? { mergedPairs?.last { $0.key.scalar?.value == key } }

    /// "a mapping", "a sequence", "a string"...: for messages.
    public var kindDescription: String {
        switch kind {
        case .mapping: "a mapping"
        case .sequence: "a sequence"
        case .scalar:
            switch resolved() {
            case .success(.null): "null"
            case .success(.bool): "a boolean"
            case .success(.number): "a number"
            default: "a string"
            }
        }
    }

    /// The entries of a mapping the way Terraform's `yamldecode` reads them: a `<<` entry whose value
    /// is a mapping (or a sequence of mappings) contributes that mapping's entries in its place, and
    /// for a repeated key the entry read last wins. Nil when this is not a mapping.
    public var mergedPairs: [YAMLPair]? {
        guard case .mapping(let pairs) = kind else { return nil }
        var result: [YAMLPair] = []
        var indexByKey: [String: Int] = [:]
        func add(_ pair: YAMLPair) {
            let key = pair.key.scalar?.value
            if let key, let i = indexByKey[key] {
                result[i] = pair
            } else {
                if let key { indexByKey[key] = result.count }
                result.append(pair)
            }
        }
        for pair in pairs {
            guard pair.isMerge else { add(pair); continue }
            switch pair.value.kind {
            case .mapping: pair.value.mergedPairs?.forEach(add)
            case .sequence(let sources): for s in sources { s.mergedPairs?.forEach(add) }
            case .scalar: add(pair)
            }
        }
        return result
    }
}

public struct YAMLPair: Sendable, Hashable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }

    /// A merge entry: the plain key `<<` or a key tagged `!!merge`.
    public var isMerge: Bool {
        guard let scalar = key.scalar else { return false }
        if key.tag == YAMLTag.merge { return true }
        return key.tag == nil && scalar.style == .plain && scalar.value == "<<"
    }
}

public struct YAMLScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable { case plain, singleQuoted, doubleQuoted, literal, folded }

    /// The scalar's content after unquoting, unescaping and folding.
    public var value: String
    public var style: Style

    public init(value: String, style: Style) {
        self.value = value
        self.style = style
    }

    public var isQuoted: Bool { style == .singleQuoted || style == .doubleQuoted }
}

/// Full names of the standard tags.
public enum YAMLTag {
    public static let prefix = "tag:yaml.org,2002:"
    public static let str = prefix + "str", int = prefix + "int", float = prefix + "float", bool = prefix + "bool"
    public static let null = prefix + "null", timestamp = prefix + "timestamp", binary = prefix + "binary"
    public static let map = prefix + "map", seq = prefix + "seq", merge = prefix + "merge"

    /// `!!int` for a standard tag, the name itself otherwise.
    public static func shortName(_ tag: String) -> String {
        tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }
}

/// A stream of YAML documents and the problems found reading it.
public struct YAMLStream: Sendable {
    /// One root node per document, in order (documents after a syntax error are not read).
    public var documents: [YAMLNode]
    public var diagnostics: [Diagnostic]

    public init(documents: [YAMLNode], diagnostics: [Diagnostic]) {
        self.documents = documents
        self.diagnostics = diagnostics
    }
}

/// Positioned YAML on top of Yams (libyaml). Parsing never throws and never traps: syntax errors
/// become located diagnostics and the documents read before the error are returned.
public enum YAML {
    /// The nesting an input may reach (estimated before parsing, since the composer recurses).
    public static let maxNestingDepth = 256

    public static func parse(_ source: SourceFile) -> YAMLStream {
        var composer = YAMLComposer(source: source)
        return composer.compose()
    }
}
