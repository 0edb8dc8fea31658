import AuditCore
import Documents
import Foundation

/// What an expression may refer to, and where relative file paths start.
public struct EvalContext: Sendable {
    /// Root names: `var`, `local`, `path`, `each`, `count`, `terraform`... A root that is absent
    /// (`module`, `data`, a resource type) evaluates to unknown: it depends on state.
    public var variables: [String: Value]
    public var fileSystem: any FileSystem
    /// The directory (relative to the scan root) that relative paths in `file()`, `templatefile()`
    /// and `fileset()` start from: Terraform's working directory, the root module.
    public var moduleDirectory: String
    /// Extra functions (besides `Functions.table` and the evaluator's own).
    public var functions: [String: Function]

    public init(variables: [String: Value], fileSystem: any FileSystem, moduleDirectory: String, functions: [String: Function] = [:]) {
        self.variables = variables
        self.fileSystem = fileSystem
        self.moduleDirectory = moduleDirectory
        self.functions = functions
    }
}

/// Evaluates expressions with Terraform's semantics and an explicit unknown: anything that depends
/// on state stays unknown (with the reason), operations on unknowns stay unknown, and errors yield
/// unknown plus a located diagnostic. Never throws, never traps, bounded depth.
public enum Evaluator {
    public static let maxDepth = 200
    /// Functions implemented here because they need the context or lazy arguments.
    public static let ownFunctions = ["file", "templatefile", "fileset", "fileexists", "try", "can", "abspath", "dirname", "basename", "pathexpand", "timestamp", "uuid"]

    public static func evaluate(_ e: Expression, in ctx: EvalContext) -> (Value, [Diagnostic]) {
        var state = State(ctx: ctx)
        let v = state.eval(e)
        return (v, state.diagnostics)
    }

    /// Renders a template (the parts of `HCLParser.parseTemplate`) with `variables` as its only
    /// scope, as `templatefile` does.
    public static func render(_ parts: [TemplatePart], variables: [String: Value], in ctx: EvalContext, range: SourceRange) -> (Value, [Diagnostic]) {
        var inner = ctx
        inner.variables = variables
        var state = State(ctx: inner)
        let v = state.template(parts, range: range, allowPassThrough: false)
        return (v, state.diagnostics)
    }

    struct State {
        var ctx: EvalContext
        var diagnostics: [Diagnostic] = []
        var depth = 0
        var splatItem: [Value] = []
        /// `try`/`can` evaluate their arguments while suppressing diagnostics; this counts errors.
        var errorCount = 0

        init(ctx: EvalContext) { self.ctx = ctx }

        mutating func error(_ summary: String, _ detail: String? = nil, at range: SourceRange) -> Value {
            diagnostics.append(Diagnostic(.error, summary, detail: detail, range: range))
            errorCount += 1
            return .unknown(summary, origin: range)
        }

        mutating func eval(_ e: Expression) -> Value {
            depth += 1
            defer { depth -= 1 }
            guard depth < Evaluator.maxDepth else { return error("Expression nested too deeply", at: e.range) }
            switch e.kind {
            case .literal(let lit):
                switch lit {
                case .null: return Value(.null, origin: e.range)
                case .bool(let b): return .bool(b, origin: e.range)
                case .number(let n): return .number(n, origin: e.range)
                case .string(let s): return .string(s, origin: e.range)
                }
            case .template(let parts):
                return template(parts, range: e.range, allowPassThrough: true)
            case .variable(let name):
                if let v = ctx.variables[name] { return v }
                return .unknown(name, origin: e.range)
            case .getAttribute(let base, let name, let nameRange):
                let b = eval(base)
                return attribute(b, name, at: nameRange, whole: e)
            case .index(let base, let key):
                let b = eval(base)
                let k = eval(key)
                return index(b, k, whole: e, keyRange: key.range)
            case .splat(let source, let each):
                let s = eval(source)
                if case .unknown = s.kind { return s }
                let items: [Value]
                switch s.kind {
                case .null: return .list([], origin: e.range)
                case .list(let l): items = l
                default: items = [s]
                }
                var out: [Value] = []
                for item in items {
                    splatItem.append(item)
                    out.append(eval(each))
                    splatItem.removeLast()
                }
                return .list(out, origin: e.range)
            case .splatItem:
                return splatItem.last ?? .unknown("splat element", origin: e.range)
            case .tuple(let items):
                return .list(items.map { eval($0) }, origin: e.range)
            case .object(let items):
                var out: [String: Value] = [:]
                var unknownKey: Value?
                for item in items {
                    let key: String
                    if item.bareKey, let s = item.key.staticString ?? item.key.traversalPath?.joined(separator: ".") {
                        key = s
                    } else {
                        let k = eval(item.key)
                        if k.isUnknown { unknownKey = k; continue }
                        guard let s = k.asString else {
                            _ = error("Invalid object key", "An object key must be a string; this one is \(typeName(k)).", at: item.key.range)
                            continue
                        }
                        key = s
                    }
                    out[key] = eval(item.value)
                }
                if let u = unknownKey { return .unknown(reason(u), origin: e.range) }
                return .object(out, origin: e.range)
            case .functionCall(let name, let nameRange, let args, let expand):
                return call(name, nameRange: nameRange, args: args, expand: expand, range: e.range)
            case .conditional(let c, let t, let f):
                let cv = eval(c)
                if cv.isUnknown {
                    let a = eval(t), b = eval(f)
                    return a == b && !a.containsUnknown ? a : .unknown(reason(cv), origin: e.range)
                }
                guard let b = cv.boolValue else {
                    return error("Invalid condition", "The condition must be a bool; it is \(typeName(cv)).", at: c.range)
                }
                return b ? eval(t) : eval(f)
            case .unary(let op, let operand):
                let v = eval(operand)
                if v.isUnknown { return .unknown(reason(v), origin: e.range) }
                switch op {
                case .not:
                    guard let b = v.boolValue else { return error("Invalid operand", "`!` needs a bool; this is \(typeName(v)).", at: operand.range) }
                    return .bool(!b, origin: e.range)
                case .negate:
                    guard let n = v.numberValue else { return error("Invalid operand", "`-` needs a number; this is \(typeName(v)).", at: operand.range) }
                    return .number(-n, origin: e.range)
                }
            case .binary(let op, let l, let r):
                return binary(op, eval(l), eval(r), e, l.range, r.range)
            case .forExpression(let f):
                return forExpression(f, range: e.range)
            case .parenthesized(let inner):
                return eval(inner)
            case .invalid:
                return .unknown("invalid expression", origin: e.range)
            }
        }

        func reason(_ v: Value) -> String {
            if case .unknown(let r) = v.kind { return r }
            return "unknown"
        }

        func typeName(_ v: Value) -> String {
            switch v.kind {
            case .null: "null"
            case .bool: "a bool"
            case .number: "a number"
            case .string: "a string"
            case .list: "a list"
            case .object: "an object"
            case .unknown: "unknown"
            }
        }

        mutating func attribute(_ b: Value, _ name: String, at nameRange: SourceRange, whole: Expression) -> Value {
            switch b.kind {
            case .unknown(let r):
                // Keep the traversal in the reason: `aws_iam_policy.boundary.arn`.
                let path = whole.traversalPath?.joined(separator: ".") ?? "\(r).\(name)"
                return .unknown(path, origin: whole.range)
            case .object(let o):
                if let v = o[name] { return v }
                let hint = Spelling.suggestion(for: name, among: o.keys.sorted()).map { " Did you mean `\($0)`?" } ?? ""
                if case .getAttribute(let base, _, _) = whole.kind, case .variable(let root) = base.kind, root == "var" || root == "local" {
                    let what = root == "var" ? "input variable" : "local value"
                    return error("Reference to undeclared \(what)", "No \(what) `\(name)` is declared in this module.\(hint)", at: whole.range)
                }
                return error("Unsupported attribute", "This object has no attribute `\(name)`.\(hint)", at: nameRange)
            case .list(let l):
                // Legacy `.0` index.
                if let i = Int(name), i >= 0, i < l.count { return l[i] }
                return error("Unsupported attribute", "A list has no attribute `\(name)`; use an index.", at: nameRange)
            case .null:
                return error("Attempt to get attribute from null value", "`\(name)` cannot be read from null.", at: nameRange)
            default:
                return error("Unsupported attribute", "\(typeName(b).capitalized) has no attributes.", at: nameRange)
            }
        }

        mutating func index(_ b: Value, _ k: Value, whole: Expression, keyRange: SourceRange) -> Value {
            if b.isUnknown || k.isUnknown {
                let path = whole.traversalPath?.joined(separator: ".") ?? reason(b.isUnknown ? b : k)
                return .unknown(path, origin: whole.range)
            }
            switch b.kind {
            case .list(let l):
                guard let n = k.numberValue, n.rounded() == n else { return error("Invalid index", "A list index must be a whole number.", at: keyRange) }
                let i = Int(n)
                guard i >= 0, i < l.count else { return error("Invalid index", "Index \(i) is out of range for a list of \(l.count) elements.", at: keyRange) }
                return l[i]
            case .object(let o):
                guard let key = k.asString else { return error("Invalid index", "An object key must be a string.", at: keyRange) }
                if let v = o[key] { return v }
                return error("Invalid index", "The object has no element `\(key)`.", at: keyRange)
            case .null:
                return error("Invalid index", "Cannot index a null value.", at: keyRange)
            default:
                return error("Invalid index", "\(typeName(b).capitalized) cannot be indexed.", at: keyRange)
            }
        }

        mutating func template(_ parts: [TemplatePart], range: SourceRange, allowPassThrough: Bool) -> Value {
            // `"${x}"` yields x unchanged.
            if allowPassThrough, parts.count == 1, case .interpolation(let inner) = parts[0] {
                return eval(inner)
            }
            var out = ""
            var unknown: Value?
            render(parts, into: &out, unknown: &unknown)
            if let u = unknown { return .unknown(reason(u), origin: range) }
            return .string(out, origin: range)
        }

        mutating func render(_ parts: [TemplatePart], into out: inout String, unknown: inout Value?) {
            for part in parts {
                switch part {
                case .literal(let s, _):
                    out += s
                case .interpolation(let e):
                    let v = eval(e)
                    if v.isUnknown { unknown = unknown ?? v; continue }
                    if let s = v.asString { out += s } else if v.isNull {
                        _ = error("Invalid template interpolation value", "The value is null.", at: e.range)
                    } else {
                        _ = error("Invalid template interpolation value", "Cannot include \(typeName(v)) in a string template.", at: e.range)
                    }
                case .conditional(let c, let t, let f, _):
                    let cv = eval(c)
                    if cv.isUnknown { unknown = unknown ?? cv; continue }
                    guard let b = cv.boolValue else {
                        _ = error("Invalid template condition", "The condition must be a bool.", at: c.range)
                        continue
                    }
                    render(b ? t : f, into: &out, unknown: &unknown)
                case .loop(let k, let v, let coll, let body, _):
                    let cv = eval(coll)
                    if cv.isUnknown { unknown = unknown ?? cv; continue }
                    for (key, value) in iterate(cv, at: coll.range) {
                        let saved = ctx.variables
                        if let k { ctx.variables[k] = key }
                        ctx.variables[v] = value
                        render(body, into: &out, unknown: &unknown)
                        ctx.variables = saved
                    }
                }
            }
        }

        mutating func iterate(_ v: Value, at range: SourceRange) -> [(Value, Value)] {
            switch v.kind {
            case .list(let l): return l.enumerated().map { (.number(Double($0.offset)), $0.element) }
            case .object(let o): return o.keys.sorted().map { (.string($0), o[$0]!) }
            default:
                _ = error("Iteration over non-iterable value", "A `for` needs a list, set, map or object; this is \(typeName(v)).", at: range)
                return []
            }
        }

        mutating func forExpression(_ f: ForExpression, range: SourceRange) -> Value {
            let coll = eval(f.collection)
            if coll.isUnknown { return .unknown(reason(coll), origin: range) }
            let saved = ctx.variables
            defer { ctx.variables = saved }
            var list: [Value] = []
            var object: [String: Value] = [:]
            var groups: [String: [Value]] = [:]
            for (k, v) in iterate(coll, at: f.collection.range) {
                if let kv = f.keyVariable { ctx.variables[kv] = k }
                ctx.variables[f.valueVariable] = v
                if let c = f.condition {
                    let cv = eval(c)
                    if cv.isUnknown { return .unknown(reason(cv), origin: range) }
                    guard let b = cv.boolValue else { return error("Invalid for condition", "The `if` clause must be a bool.", at: c.range) }
                    if !b { continue }
                }
                if let keyExpr = f.keyResult {
                    let kv = eval(keyExpr)
                    if kv.isUnknown { return .unknown(reason(kv), origin: range) }
                    guard let key = kv.asString else { return error("Invalid object key", "A `for` key must be a string.", at: keyExpr.range) }
                    let value = eval(f.valueResult)
                    if f.grouping {
                        groups[key, default: []].append(value)
                    } else {
                        if object[key] != nil {
                            return error("Duplicate object key", "Two elements produce the key `\(key)`; add `...` after the value to group them.", at: keyExpr.range)
                        }
                        object[key] = value
                    }
                } else {
                    list.append(eval(f.valueResult))
                }
            }
            if f.keyResult != nil {
                if f.grouping { return .object(groups.mapValues { .list($0) }, origin: range) }
                return .object(object, origin: range)
            }
            return .list(list, origin: range)
        }

        mutating func binary(_ op: BinaryOperator, _ a: Value, _ b: Value, _ e: Expression, _ lr: SourceRange, _ rr: SourceRange) -> Value {
            switch op {
            case .equal, .notEqual:
                if a.containsUnknown || b.containsUnknown { return .unknown(reason(a.isUnknown ? a : b), origin: e.range) }
                let eq = Self.strictEqual(a, b)
                return .bool(op == .equal ? eq : !eq, origin: e.range)
            case .and, .or:
                // A known deciding side answers even when the other is unknown.
                if op == .and, a.boolValue == false || b.boolValue == false { return .bool(false, origin: e.range) }
                if op == .or, a.boolValue == true || b.boolValue == true { return .bool(true, origin: e.range) }
                if a.isUnknown || b.isUnknown { return .unknown(reason(a.isUnknown ? a : b), origin: e.range) }
                guard let x = a.boolValue else { return error("Invalid operand", "`\(op.rawValue)` needs bools; the left side is \(typeName(a)).", at: lr) }
                guard let y = b.boolValue else { return error("Invalid operand", "`\(op.rawValue)` needs bools; the right side is \(typeName(b)).", at: rr) }
                return .bool(op == .and ? (x && y) : (x || y), origin: e.range)
            default:
                if a.isUnknown || b.isUnknown { return .unknown(reason(a.isUnknown ? a : b), origin: e.range) }
                guard let x = a.numberValue else { return error("Invalid operand", "`\(op.rawValue)` needs numbers; the left side is \(typeName(a)).", at: lr) }
                guard let y = b.numberValue else { return error("Invalid operand", "`\(op.rawValue)` needs numbers; the right side is \(typeName(b)).", at: rr) }
                switch op {
                case .add: return .number(x + y, origin: e.range)
                case .subtract: return .number(x - y, origin: e.range)
                case .multiply: return .number(x * y, origin: e.range)
                case .divide:
                    guard y != 0 else { return error("Division by zero", at: rr) }
                    return .number(x / y, origin: e.range)
                case .modulo:
                    guard y != 0 else { return error("Division by zero", at: rr) }
                    return .number(x.truncatingRemainder(dividingBy: y), origin: e.range)
                case .greater: return .bool(x > y, origin: e.range)
                case .greaterOrEqual: return .bool(x >= y, origin: e.range)
                case .less: return .bool(x < y, origin: e.range)
                case .lessOrEqual: return .bool(x <= y, origin: e.range)
                default: return .unknown("operator", origin: e.range)
                }
            }
        }

        /// Equality by type and value: `"1" == 1` is false.
        static func strictEqual(_ a: Value, _ b: Value) -> Bool {
            switch (a.kind, b.kind) {
            case (.null, .null): return true
            case let (.bool(x), .bool(y)): return x == y
            case let (.number(x), .number(y)): return x == y
            case let (.string(x), .string(y)): return x == y
            case let (.list(x), .list(y)): return x.count == y.count && zip(x, y).allSatisfy { strictEqual($0, $1) }
            case let (.object(x), .object(y)): return x.keys.sorted() == y.keys.sorted() && x.keys.allSatisfy { strictEqual(x[$0]!, y[$0]!) }
            default: return false
            }
        }

        // MARK: Functions

        mutating func call(_ name: String, nameRange: SourceRange, args: [Expression], expand: Bool, range: SourceRange) -> Value {
            switch name {
            case "try":
                for arg in args {
                    let savedDiags = diagnostics, savedErrors = errorCount
                    let v = eval(arg)
                    let failed = errorCount > savedErrors
                    diagnostics = savedDiags
                    errorCount = savedErrors
                    if !failed { return v }
                }
                return error("No expression succeeded", "Every argument of `try` failed.", at: range)
            case "can":
                guard args.count == 1 else { return error("Wrong number of arguments", "`can` takes exactly one argument.", at: range) }
                let savedDiags = diagnostics, savedErrors = errorCount
                let v = eval(args[0])
                let failed = errorCount > savedErrors
                diagnostics = savedDiags
                errorCount = savedErrors
                if !failed && v.containsUnknown { return .unknown(reason(v), origin: range) }
                return .bool(!failed, origin: range)
            default:
                break
            }
            var values = args.map { eval($0) }
            if expand, let last = values.last {
                if last.isUnknown { return .unknown(reason(last), origin: range) }
                guard let l = last.listValue else { return error("Invalid expanding argument", "The argument before `...` must be a list.", at: args.last!.range) }
                values = values.dropLast() + l
            }
            switch name {
            case "file", "templatefile", "fileexists", "fileset", "abspath", "dirname", "basename", "pathexpand":
                return fileFunction(name, values, args: args, range: range)
            case "timestamp", "uuid":
                return .unknown("\(name)() is known only at apply time", origin: range)
            default:
                break
            }
            let fn = ctx.functions[name] ?? Functions.table[name]
                ?? name.split(separator: ":").last.flatMap { Functions.table[String($0)] }
            if fn == nil, Functions.notEvaluated.contains(name) || name.hasPrefix("provider::") {
                // A valid Terraform (or provider-defined) function ghr-audit does not compute.
                return .unknown("\(name)() is not evaluated by ghr-audit", origin: range)
            }
            guard let fn else {
                let hint = Functions.suggestion(for: name, extraNames: Evaluator.ownFunctions).map { " Did you mean `\($0)`?" } ?? ""
                return error("Call to unknown function", "There is no function named `\(name)`.\(hint)", at: nameRange)
            }
            let (v, diags) = fn(values, range)
            diagnostics += diags
            errorCount += diags.filter { $0.severity == .error }.count
            return v
        }

        mutating func fileFunction(_ name: String, _ values: [Value], args: [Expression], range: SourceRange) -> Value {
            guard let first = values.first else { return error("Wrong number of arguments", "`\(name)` needs a path.", at: range) }
            if first.isUnknown { return .unknown(reason(first), origin: range) }
            guard let raw = first.stringValue else { return error("Invalid path", "The path must be a string.", at: args.first?.range ?? range) }
            switch name {
            case "dirname":
                let d = Paths.directory(of: raw)
                return .string(d.isEmpty ? "." : d, origin: range)
            case "basename":
                return .string(Paths.fileName(of: raw), origin: range)
            case "abspath", "pathexpand":
                return .string(raw, origin: range)
            default:
                break
            }
            guard let path = Paths.join(ctx.moduleDirectory, raw) else {
                return error("Path outside the repository", "`\(raw)` leaves the scanned folder; ghr-audit reads nothing outside it.", at: args[0].range)
            }
            switch name {
            case "fileexists":
                return .bool(ctx.fileSystem.read(path) != nil, origin: range)
            case "fileset":
                guard values.count == 2, let pattern = values[1].stringValue else {
                    if values.count == 2, values[1].isUnknown { return .unknown(reason(values[1]), origin: range) }
                    return error("Invalid arguments", "`fileset(path, pattern)` needs two strings.", at: range)
                }
                return .list(fileset(base: path, pattern: pattern).map { .string($0, origin: range) }, origin: range)
            default:
                break
            }
            guard let data = ctx.fileSystem.read(path) else {
                return error("Invalid function argument", "There is no file at `\(raw)` (read as `\(path)` from the scan root).", at: args[0].range)
            }
            guard let source = SourceFile(path: path, data: data) else {
                return error("Invalid function argument", "`\(raw)` is not valid UTF-8.", at: args[0].range)
            }
            if name == "file" { return .string(source.text, origin: source.fullRange) }
            // templatefile
            guard values.count == 2 else { return error("Wrong number of arguments", "`templatefile(path, vars)` takes two arguments.", at: range) }
            let vars = values[1]
            let (parts, parseDiags) = HCLParser.parseTemplate(source)
            diagnostics += parseDiags
            if vars.isUnknown { return .unknown("templatefile(\(raw)) with unknown variables", origin: source.fullRange) }
            guard let object = vars.objectValue else { return error("Invalid template variables", "The second argument must be an object.", at: args[1].range) }
            var inner = ctx
            inner.variables = object
            var state = State(ctx: inner)
            let v = state.template(parts, range: source.fullRange, allowPassThrough: false)
            diagnostics += state.diagnostics
            errorCount += state.errorCount
            if v.isUnknown { return .unknown("templatefile(\(raw)) renders values that are not known statically", origin: source.fullRange) }
            var out = v
            out.origin = source.fullRange
            return out
        }

        /// Paths below `base` matching `pattern` (`*`, `**`, `?`, `{a,b}`), relative to `base`, sorted.
        func fileset(base: String, pattern: String) -> [String] {
            var results: [String] = []
            var stack: [(String, String)] = [(base, "")]
            var visited = 0
            while let (dir, rel) = stack.popLast(), visited < 10_000 {
                visited += 1
                guard let entries = ctx.fileSystem.list(dir) else { continue }
                for entry in entries {
                    let child = dir.isEmpty ? entry.name : dir + "/" + entry.name
                    let childRel = rel.isEmpty ? entry.name : rel + "/" + entry.name
                    switch entry.kind {
                    case .directory:
                        if pattern.contains("**") || pattern.split(separator: "/").count > childRel.split(separator: "/").count {
                            stack.append((child, childRel))
                        }
                    case .file:
                        if FileGlob.matches(pattern, childRel) { results.append(childRel) }
                    default:
                        break
                    }
                }
            }
            return results.sorted()
        }
    }
}

/// Terraform's `fileset` globbing: `*` within a segment, `**` across segments, `?`, `{a,b}`.
public enum FileGlob {
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        for alternative in expandBraces(pattern) {
            if match(Array(alternative.unicodeScalars), 0, Array(path.unicodeScalars), 0, budget: 10_000) { return true }
        }
        return false
    }

    static func expandBraces(_ p: String) -> [String] {
        guard let open = p.firstIndex(of: "{"), let close = p[open...].firstIndex(of: "}") else { return [p] }
        let head = p[..<open], tail = String(p[p.index(after: close)...])
        return p[p.index(after: open)..<close].split(separator: ",", omittingEmptySubsequences: false)
            .flatMap { expandBraces(head + $0 + tail) }
    }

    static func match(_ p: [Unicode.Scalar], _ pi: Int, _ s: [Unicode.Scalar], _ si: Int, budget: Int) -> Bool {
        guard budget > 0 else { return false }
        if pi == p.count { return si == s.count }
        if p[pi] == "*" {
            let double = pi + 1 < p.count && p[pi + 1] == "*"
            var next = pi + (double ? 2 : 1)
            if double, next < p.count, p[next] == "/" { next += 1 }
            var k = si
            while k <= s.count {
                if match(p, next, s, k, budget: budget - 1) { return true }
                if k == s.count || (!double && s[k] == "/") { break }
                k += 1
            }
            return false
        }
        guard si < s.count else { return false }
        if p[pi] == "?" { return s[si] != "/" && match(p, pi + 1, s, si + 1, budget: budget - 1) }
        return p[pi] == s[si] && match(p, pi + 1, s, si + 1, budget: budget - 1)
    }
}
