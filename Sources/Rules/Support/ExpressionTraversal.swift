import AuditCore
import HCL
import Knowledge
import Terraform

extension Body {
    /// Calls `visit` on every expression of the body, nested ones included.
    func forEachExpression(_ visit: (Expression) -> Void) {
        for item in items {
            switch item {
            case .attribute(let a): a.expression.forEach(visit)
            case .block(let b): b.body.forEachExpression(visit)
            }
        }
    }
}

extension Expression {
    func forEach(_ visit: (Expression) -> Void) {
        visit(self)
        switch kind {
        case .getAttribute(let e, _, _), .parenthesized(let e), .unary(_, let e):
            e.forEach(visit)
        case .index(let e, let k):
            e.forEach(visit); k.forEach(visit)
        case .splat(let s, let each):
            s.forEach(visit); each.forEach(visit)
        case .tuple(let items):
            items.forEach { $0.forEach(visit) }
        case .object(let items):
            for i in items { i.key.forEach(visit); i.value.forEach(visit) }
        case .functionCall(_, _, let args, _):
            args.forEach { $0.forEach(visit) }
        case .conditional(let c, let t, let f):
            c.forEach(visit); t.forEach(visit); f.forEach(visit)
        case .binary(_, let l, let r):
            l.forEach(visit); r.forEach(visit)
        case .forExpression(let f):
            f.collection.forEach(visit); f.keyResult?.forEach(visit); f.valueResult.forEach(visit); f.condition?.forEach(visit)
        case .template(let parts):
            for p in parts { p.forEach(visit) }
        default:
            break
        }
    }
}

extension TemplatePart {
    func forEach(_ visit: (Expression) -> Void) {
        switch self {
        case .literal: break
        case .interpolation(let e): e.forEach(visit)
        case .conditional(let c, let t, let e, _):
            c.forEach(visit); t.forEach { $0.forEach(visit) }; e.forEach { $0.forEach(visit) }
        case .loop(_, _, let coll, let body, _):
            coll.forEach(visit); body.forEach { $0.forEach(visit) }
        }
    }
}
