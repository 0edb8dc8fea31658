import AuditCore
import Yams

/// Helpers to read a composed YAML document (`DataNode`) while collecting located problems
/// instead of throwing.
struct YAMLReading {
    /// Path relative to the package root, used in problems.
    let path: String
    var problems: [CatalogProblem] = []

    init(path: String) { self.path = path }

    mutating func report(_ node: DataNode?, _ message: String) {
        let placed = node.map { $0.line > 0 } ?? false
        problems.append(CatalogProblem(path: path, line: placed ? node?.line : nil, column: placed ? node?.column : nil, message))
    }

    mutating func reportFile(_ message: String) {
        problems.append(CatalogProblem(path: path, message))
    }

    /// Parses one YAML document, or reads its packed form when there is one (`DataNode.unpack`:
    /// the embedded rule files); a syntax error becomes a problem at its position.
    mutating func compose(_ text: String, packed: String? = nil) -> DataNode? {
        if text.utf8.contains(0x0D) {
            reportFile("carriage return in file; save it with LF line endings")
        }
        if let packed {
            do { return try DataNode.unpack(packed) } catch { reportFile("\(error)") }
            return nil
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                reportFile("file is empty; expected a YAML mapping")
                return nil
            }
            return DataNode(node)
        } catch let error as YamlError {
            switch error {
            case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
                problems.append(CatalogProblem(path: path, line: mark.line, column: mark.column, "YAML syntax error: \(problem)"))
            default:
                reportFile("YAML syntax error: \(error)")
            }
            return nil
        } catch {
            reportFile("YAML syntax error: \(error)")
            return nil
        }
    }

    /// Whether YAML reads Yams' node as null (`DataNode` keeps the answer).
    static func isNull(_ node: Node) -> Bool {
        guard case let .scalar(s) = node, s.style == .plain || s.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    /// The entries of a mapping keyed by their (string) keys, reporting duplicates and keys not
    /// in `allowed`. Returns nil (after reporting) when `node` is not a mapping.
    mutating func mapping(_ node: DataNode, what: String, allowed: [String]) -> [String: (key: DataNode, value: DataNode)]? {
        guard let m = node.pairs else {
            report(node, "\(what) must be a mapping")
            return nil
        }
        var result: [String: (key: DataNode, value: DataNode)] = [:]
        for (k, v) in m {
            guard let key = k.scalar else {
                report(k, "keys of \(what) must be plain strings")
                continue
            }
            if result[key] != nil {
                report(k, "duplicate key \(Wording.quoted(key)) in \(what)")
                continue
            }
            if !allowed.contains(key) {
                report(k, "unknown key \(Wording.quoted(key)) in \(what)\(Quote.didYouMean(key, among: allowed)); expected one of \(Wording.quotedList(allowed))")
                continue
            }
            result[key] = (k, v)
        }
        return result
    }

    /// A string scalar (any style). Reports and returns nil for other node kinds and nulls.
    mutating func string(_ node: DataNode, what: String) -> String? {
        guard let s = node.scalar, !node.isNull else {
            report(node, "\(what) must be a string")
            return nil
        }
        return s
    }

    /// A boolean written `true` or `false`.
    mutating func bool(_ node: DataNode, what: String) -> Bool? {
        guard let s = node.scalar else {
            report(node, "\(what) must be `true` or `false`")
            return nil
        }
        switch s {
        case "true": return true
        case "false": return false
        default:
            report(node, "\(what) must be `true` or `false`, not \(Wording.quoted(s))")
            return nil
        }
    }

    /// A sequence of strings (a single string is not accepted: the schema asks for lists).
    mutating func strings(_ node: DataNode, what: String) -> [(String, DataNode)]? {
        guard let seq = node.sequence else {
            if node.isNull { return [] }
            report(node, "\(what) must be a list, e.g. `[a, b]`")
            return nil
        }
        var out: [(String, DataNode)] = []
        for item in seq {
            if let s = string(item, what: "each entry of \(what)") { out.append((s, item)) }
        }
        return out
    }
}
