import AuditCore
import Yams

/// Yams nodes located in their source: Yams marks only where a node starts (line and column in
/// Unicode scalars), so ends are found by reading the source from there.
struct PositionedYAML {
    /// A byte order mark, when the text holds one, counts as the first column of line 1 for
    /// libyaml as it does for `SourceFile`, so marks need no adjustment for it.
    let source: SourceFile

    /// Parses a single document; nil when the file holds none (empty or only comments).
    func compose() -> (root: Node?, problem: Diagnostic?) {
        if let tooDeep = nestingProblem() { return (nil, tooDeep) }
        do {
            let parser = try Parser(yaml: source.text, resolver: .basic)
            return (try parser.singleRoot(), nil)
        } catch let error as YamlError {
            return (nil, diagnostic(for: error))
        } catch {
            return (nil, Diagnostic(.error, "Unreadable YAML", detail: "\(error)", range: source.range(from: 0, to: 0)))
        }
    }

    private func diagnostic(for error: YamlError) -> Diagnostic {
        var problem = "\(error)", mark: Mark?, context: YamlError.Context?
        switch error {
        case .scanner(let c, let p, let m, _), .parser(let c, let p, let m, _), .composer(let c, let p, let m, _):
            problem = p
            mark = m
            context = c
        case .reader(let p, _, _, _):
            problem = p
        default:
            break
        }
        let at = mark.map { offset(of: $0) } ?? 0
        var end = at
        if end < source.bytes.count, source.bytes[end] != 0x0A {
            end += 1
            while end < source.bytes.count, source.bytes[end] & 0xC0 == 0x80 { end += 1 }
        }
        var detail = "The YAML parser stopped here: \(problem)"
        if let context { detail += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
        detail += ". Indent with spaces, not tabs, quote values that contain `: ` or start with `*`, `&`, `!`, `%` or `@`, and keep one document per file."
        return Diagnostic(.error, "Invalid YAML: \(problem)", detail: detail, range: source.range(from: at, to: end))
    }

    /// Yams builds nodes recursively; refuse input nested deeper than any configuration needs
    /// (flow brackets more than 128 deep, or block indentation beyond 256 columns).
    private func nestingProblem() -> Diagnostic? {
        let bytes = source.bytes
        var depth = 0, lineStart = true, indent = 0, quote: UInt8 = 0
        for (i, b) in bytes.enumerated() {
            if b == 0x0A { lineStart = true; indent = 0; continue }
            if lineStart {
                if b == 0x20 { indent += 1 } else { lineStart = false }
                if indent > 256 {
                    return Diagnostic(.error, "YAML nested too deeply", detail: "This line is indented more than 256 columns; a configuration file never needs that much nesting.", range: source.range(from: i, to: i + 1))
                }
                if lineStart { continue }
            }
            if quote != 0 { if b == quote { quote = 0 }; continue }
            if b == 0x22 || b == 0x27 { quote = b; continue }
            if b == 0x23 { continue }
            if b == 0x5B || b == 0x7B {
                depth += 1
                if depth > 128 {
                    return Diagnostic(.error, "YAML nested too deeply", detail: "Flow collections (`[` and `{`) are nested more than 128 deep here; a configuration file never needs that much nesting.", range: source.range(from: i, to: i + 1))
                }
            }
            if b == 0x5D || b == 0x7D { depth = max(0, depth - 1) }
        }
        return nil
    }

    /// The byte offset of a Yams mark.
    func offset(of mark: Mark) -> Int {
        let starts = source.lineStarts
        guard mark.line >= 1, mark.line <= starts.count else { return source.bytes.count }
        var i = starts[mark.line - 1]
        var scalars = 1
        let bytes = source.bytes
        while scalars < mark.column, i < bytes.count, bytes[i] != 0x0A {
            i += 1
            while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }
            scalars += 1
        }
        return i
    }

    func range(of node: Node) -> SourceRange {
        let (s, e) = span(of: node, depth: 0)
        return source.range(from: s, to: e)
    }

    /// Start and end offsets of a node. Collections end where their last child ends (flow ones
    /// at their closing bracket). Recursion stops at a fixed depth.
    private func span(of node: Node, depth: Int) -> (Int, Int) {
        let bytes = source.bytes
        let start = node.mark.map(offset(of:)) ?? 0
        switch node {
        case .scalar(let scalar):
            return (start, scalarEnd(scalar, at: start))
        case .mapping, .sequence:
            let children: [Node]
            if case .mapping(let m) = node { children = m.flatMap { [$0.key, $0.value] } } else { children = node.sequence.map { Array($0) } ?? [] }
            var end = start
            if depth < 64 {
                for child in children { end = max(end, span(of: child, depth: depth + 1).1) }
            }
            if start < bytes.count, bytes[start] == 0x7B || bytes[start] == 0x5B {      // flow: find the closer
                let closer: UInt8 = bytes[start] == 0x7B ? 0x7D : 0x5D
                var j = max(end, start + 1)
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x2C || bytes[j] == 0x0A || bytes[j] == 0x0D || bytes[j] == 0x09 { j += 1 }
                if j < bytes.count, bytes[j] == closer { end = j + 1 }
            }
            return (start, max(start, end))
        }
    }

    private func scalarEnd(_ scalar: Node.Scalar, at start: Int) -> Int {
        let bytes = source.bytes
        guard start < bytes.count else { return start }
        switch scalar.style {
        case .doubleQuoted, .singleQuoted:
            let quote = bytes[start]
            var j = start + 1
            while j < bytes.count {
                if quote == 0x22, bytes[j] == 0x5C { j += 2; continue }
                if bytes[j] == quote {
                    if quote == 0x27, j + 1 < bytes.count, bytes[j + 1] == 0x27 { j += 2; continue }
                    return j + 1
                }
                j += 1
            }
            return bytes.count
        case .plain, .any:
            let value = Array(scalar.string.utf8)
            if value.isEmpty { return start }
            if start + value.count <= bytes.count, bytes[start..<(start + value.count)].elementsEqual(value) { return start + value.count }
            return lineContentEnd(from: start)
        case .literal, .folded:
            return lineContentEnd(from: start)
        }
    }

    /// The end of the text on this line, before a ` #` comment and trailing blanks.
    private func lineContentEnd(from start: Int) -> Int {
        let bytes = source.bytes
        var j = start
        while j < bytes.count, bytes[j] != 0x0A, bytes[j] != 0x0D {
            if bytes[j] == 0x23, j > start, bytes[j - 1] == 0x20 || bytes[j - 1] == 0x09 { break }
            j += 1
        }
        while j > start, bytes[j - 1] == 0x20 || bytes[j - 1] == 0x09 { j -= 1 }
        return j
    }
}

/// What a YAML value is, by the YAML 1.2 core schema (so `yes`, `no`, `on` and `off` are strings).
enum YAMLKind: Equatable {
    case null, bool(Bool), integer, float, string, sequence, mapping

    init(_ node: Node) {
        switch node {
        case .mapping: self = .mapping
        case .sequence: self = .sequence
        case .scalar(let s):
            guard s.style == .plain || s.style == .any else { self = .string; return }
            let t = s.string
            switch t {
            case "", "~", "null", "Null", "NULL": self = .null
            case "true", "True", "TRUE": self = .bool(true)
            case "false", "False", "FALSE": self = .bool(false)
            default:
                if t.wholeMatch(of: /[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+/) != nil { self = .integer }
                else if t.wholeMatch(of: /[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)/) != nil { self = .float }
                else { self = .string }
            }
        }
    }

    /// "a string", "a list"…, for messages.
    var noun: String {
        switch self {
        case .null: "nothing (null)"
        case .bool: "a boolean"
        case .integer, .float: "a number"
        case .string: "a string"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
