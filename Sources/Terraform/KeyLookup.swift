import AuditCore
import Documents
import HCL

extension Workspace {
    /// The key that names the value written at `valueRange`: a YAML mapping key, an HCL object key
    /// or an attribute name. Used to point at `enable_jit_config:` rather than at `false`.
    public func keyRange(ofValueAt valueRange: SourceRange) -> SourceRange? {
        guard let file = files[valueRange.path] else { return nil }
        switch file.content {
        case .yaml(let root?):
            return root.keyRange(ofValueAt: valueRange)
        case .hcl(let f):
            return f.body.keyRange(ofValueAt: valueRange)
        default:
            return nil
        }
    }
}

extension Body {
    func keyRange(ofValueAt r: SourceRange) -> SourceRange? {
        for item in items {
            switch item {
            case .attribute(let a):
                guard a.range.contains(r.start) || a.range.end == r.end else { continue }
                if a.expression.range == r { return a.nameRange }
                if let k = a.expression.keyRange(ofValueAt: r) { return k }
            case .block(let b):
                guard b.range.contains(r.start) else { continue }
                if let k = b.body.keyRange(ofValueAt: r) { return k }
            }
        }
        return nil
    }
}

extension Expression {
    func keyRange(ofValueAt r: SourceRange) -> SourceRange? {
        guard range.contains(r.start) || range == r else { return nil }
        switch kind {
        case .object(let items):
            for item in items {
                if item.value.range == r { return item.key.range }
                if let k = item.value.keyRange(ofValueAt: r) { return k }
            }
        case .tuple(let items):
            for item in items { if let k = item.keyRange(ofValueAt: r) { return k } }
        case .parenthesized(let e):
            return e.keyRange(ofValueAt: r)
        case .functionCall(_, _, let args, _):
            for a in args { if let k = a.keyRange(ofValueAt: r) { return k } }
        case .forExpression(let f):
            return f.valueResult.keyRange(ofValueAt: r)
        default:
            break
        }
        return nil
    }
}

extension YAMLNode {
    /// The key of the mapping entry whose value is exactly at `r`.
    func keyRange(ofValueAt r: SourceRange) -> SourceRange? {
        var stack: [YAMLNode] = [self]
        var steps = 0
        while let node = stack.popLast(), steps < 100_000 {
            steps += 1
            switch node.kind {
            case .mapping(let pairs):
                for pair in pairs {
                    if pair.value.range == r { return pair.key.range }
                    stack.append(pair.value)
                }
            case .sequence(let items):
                stack.append(contentsOf: items)
            default:
                break
            }
        }
        return nil
    }
}
