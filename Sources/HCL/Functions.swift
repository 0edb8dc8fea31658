import AuditCore
import Documents
import Foundation

/// A Terraform function: pure, on `Value`s, with unknown propagation. Wrong arity or argument types
/// yield an unknown result plus a located diagnostic; functions never trap.
public typealias Function = @Sendable (_ args: [Value], _ callRange: SourceRange) -> (Value, [Diagnostic])

/// The Terraform functions ghr-audit evaluates statically. `try` and `can` need lazy evaluation and
/// live in the evaluator; functions that read files or the environment (`file`, `templatefile`,
/// `timestamp`...) are the evaluator's too.
///
/// Semantics follow Terraform (cty and Terraform's own `lang/funcs`): any unknown argument gives an
/// unknown result, except where Terraform can still answer (`length` of a known list holding
/// unknowns, `merge` of objects with unknown attribute values, `contains` when a known element
/// matches, `coalesce` when a known argument comes first). An unknown result carries the reason of
/// the unknown it came from. Results keep the origin of the value they were taken from (`lookup`,
/// `element`, `one`...); computed results have the call as their origin.
public enum Functions {
    public static let table: [String: Function] = {
        var table: [String: Function] = [:]
        for spec in specs { table[spec.name] = spec.function }
        return table
    }()

    /// Every function name, sorted.
    public static let names: [String] = table.keys.sorted()

    /// The signature for messages, such as `lookup(inputMap, key, default)`.
    public static func signature(of name: String) -> String? {
        specs.first { $0.name == name }?.signature
    }

    /// "Did you mean" for a call to an unknown function: a name within edit distance 2 (case
    /// ignored), or the Terraform name for a common function of other languages (`len` → `length`,
    /// `toLower` → `lower`). `extraNames` adds the evaluator's own functions (`try`, `file`...).
    public static func suggestion(for unknownName: String, extraNames: [String] = []) -> String? {
        let candidates = names + extraNames
        if let known = aliases[unknownName.lowercased()], candidates.contains(known) { return known }
        return Wording.suggestion(for: unknownName, among: candidates)
    }

    private static let aliases: [String: String] = [
        "len": "length", "size": "length", "count": "length", "strlen": "length",
        "tolower": "lower", "toupper": "upper", "downcase": "lower", "upcase": "upper",
        "strip": "trimspace", "trimwhitespace": "trimspace", "str": "tostring", "int": "tonumber", "bool": "tobool",
        "tojson": "jsonencode", "fromjson": "jsondecode", "json": "jsonencode", "fromyaml": "yamldecode", "parseyaml": "yamldecode",
        "includes": "contains", "has": "contains", "in": "contains", "sprintf": "format", "printf": "format",
        "unique": "distinct", "uniq": "distinct", "dict": "zipmap", "first": "element", "reversed": "reverse",
        "union": "setunion", "sorted": "sort", "substring": "substr", "replaceall": "replace",
        "hasprefix": "startswith", "hassuffix": "endswith",
    ]
}

// MARK: - Call machinery

extension Functions {
    /// What a parameter accepts; arguments are converted the way Terraform converts them (a number
    /// where a string is expected becomes its decimal text, `"5"` where a number is expected becomes 5).
    enum ParameterType: Sendable {
        case any, string, number, bool, list, object

        var noun: String {
            switch self {
            case .any: "a value"
            case .string: "a string"
            case .number: "a number"
            case .bool: "a bool"
            case .list: "a list, tuple or set"
            case .object: "a map or object"
            }
        }
    }

    struct Parameter: Sendable {
        var name: String
        var type: ParameterType
        var allowNull = false
        /// When false (the default), an unknown argument makes the result unknown before the
        /// implementation runs.
        var allowUnknown = false
    }

    struct Spec: Sendable {
        var name: String
        var parameters: [Parameter]
        var variadic: Parameter?
        /// The most arguments accepted (defaults: exactly the parameters, or unlimited when variadic).
        var maximumArguments: Int?
        var minimumArguments: Int?
        var implementation: @Sendable (inout Call) -> Value

        init(_ name: String, _ parameters: [Parameter], variadic: Parameter? = nil, minimum: Int? = nil, maximum: Int? = nil,
             _ implementation: @escaping @Sendable (inout Call) -> Value) {
            self.name = name
            self.parameters = parameters
            self.variadic = variadic
            self.minimumArguments = minimum
            self.maximumArguments = maximum
            self.implementation = implementation
        }

        var signature: String {
            var names = parameters.map(\.name)
            if let variadic { names.append(maximumArguments == parameters.count + 1 ? variadic.name : variadic.name + "...") }
            return "\(name)(\(names.joined(separator: ", ")))"
        }

        var function: Function {
            let spec = self
            return { args, callRange in
                var call = Call(spec: spec, args: args, callRange: callRange)
                var result = call.run()
                if result.origin == nil { result.origin = callRange }
                return (result, call.diagnostics)
            }
        }
    }

    struct Call {
        let spec: Spec
        /// The arguments, converted to their parameters' types once `run` has checked them.
        var args: [Value]
        let callRange: SourceRange
        var diagnostics: [Diagnostic] = []

        init(spec: Spec, args: [Value], callRange: SourceRange) {
            self.spec = spec
            self.args = args
            self.callRange = callRange
        }

        var name: String { spec.name }

        func parameter(_ i: Int) -> Parameter? {
            i < spec.parameters.count ? spec.parameters[i] : spec.variadic
        }

        mutating func run() -> Value {
            let minimum = spec.minimumArguments ?? spec.parameters.count
            let maximum = spec.maximumArguments ?? (spec.variadic == nil ? spec.parameters.count : Int.max)
            guard args.count >= minimum, args.count <= maximum else {
                let expected = minimum == maximum ? "\(minimum)" : maximum == Int.max ? "at least \(minimum)" : "\(minimum) to \(maximum)"
                diagnostics.append(Diagnostic(
                    .error, "Wrong number of arguments to `\(name)`",
                    detail: "`\(spec.signature)` takes \(expected) argument\(expected == "1" ? "" : "s"), found \(args.count).",
                    range: callRange))
                return .unknown("invalid call to \(name)")
            }
            for i in args.indices {
                guard let parameter = parameter(i) else { continue }
                let arg = args[i]
                if arg.isUnknown {
                    if parameter.allowUnknown { continue }
                    return unknown(propagating: arg)
                }
                if arg.isNull {
                    if parameter.allowNull { continue }
                    return fail(argument: i, "must not be null")
                }
                guard let converted = convert(arg, to: parameter.type) else {
                    return fail(argument: i, "must be \(parameter.type.noun), found \(describe(arg))")
                }
                args[i] = converted
            }
            return spec.implementation(&self)
        }

        /// `arg` converted to `type`, or nil when Terraform could not convert it.
        func convert(_ arg: Value, to type: ParameterType) -> Value? {
            switch (type, arg.kind) {
            case (.any, _): return arg
            case (.string, .string), (.number, .number), (.bool, .bool), (.list, .list), (.object, .object): return arg
            case (.string, .number), (.string, .bool): return Value(.string(Conversion.string(arg)!), origin: arg.origin)
            case (.number, .string(let s)): return Conversion.number(s).map { Value(.number($0), origin: arg.origin) }
            case (.bool, .string("true")): return Value(.bool(true), origin: arg.origin)
            case (.bool, .string("false")): return Value(.bool(false), origin: arg.origin)
            default: return nil
            }
        }

        /// The range of argument `i` when it was written inside the call, else the call.
        func range(ofArgument i: Int?) -> SourceRange {
            guard let i, i < args.count, let origin = args[i].origin, origin.path == callRange.path,
                  origin.start.offset >= callRange.start.offset, origin.end.offset <= callRange.end.offset else { return callRange }
            return origin
        }

        /// Records an invalid argument and returns an unknown result.
        mutating func fail(argument i: Int?, _ problem: String) -> Value {
            var detail: String
            if let i {
                let parameterName = parameter(i).map { " (`\($0.name)`)" } ?? ""
                detail = "Argument \(i + 1)\(parameterName) of `\(spec.signature)` \(problem)."
            } else {
                detail = "`\(spec.signature)`: \(problem)."
            }
            detail = detail.replacingOccurrences(of: "..", with: ".")
            diagnostics.append(Diagnostic(.error, "Invalid argument to `\(name)`", detail: detail, range: range(ofArgument: i)))
            return .unknown("invalid call to \(name)")
        }

        /// Records a failed call (valid arguments, impossible operation) and returns an unknown result.
        mutating func error(_ message: String, argument i: Int? = nil) -> Value {
            diagnostics.append(Diagnostic(.error, "Error in `\(name)` call", detail: message.hasSuffix(".") ? message : message + ".",
                                          range: range(ofArgument: i)))
            return .unknown("failed call to \(name)")
        }

        /// Checked before building a result: nil when a string of `bytes` bytes and a collection of
        /// `elements` elements are within `Limits`; else an unknown result and a `CORE-007`
        /// diagnostic, so nothing larger is ever allocated.
        mutating func exceedsLimits(bytes: Int = 0, elements: Int = 0) -> Value? {
            let what: String
            if bytes > Limits.maxStringBytes {
                what = "would build a string of more than \(Limits.maxStringBytes >> 20) MiB with `\(name)`"
            } else if elements > Limits.maxCollectionElements {
                what = "would build a collection of more than \(Limits.maxCollectionElements) elements with `\(name)`"
            } else {
                return nil
            }
            diagnostics.append(Diagnostic(
                .warning, "Evaluation limit exceeded",
                detail: "This expression \(what). Its value is treated as unknown, so checks that need it are skipped.",
                range: callRange, code: DiagnosticCode.limit))
            return .unknown("evaluation limit exceeded: the expression \(what)")
        }

        /// An unknown result that keeps the reason of the unknown `value` holds.
        func unknown(propagating value: Value) -> Value {
            .unknown(Conversion.unknownReason(in: value) ?? "result of \(name)")
        }

        /// The first argument that is or contains an unknown, as an unknown result.
        func firstUnknown(in values: [Value]) -> Value? {
            values.first(where: \.containsUnknown).map(unknown(propagating:))
        }

        /// A whole number from a number argument, or a recorded error.
        mutating func integer(_ i: Int) -> Int? {
            guard case .number(let n) = args[i].kind else { _ = fail(argument: i, "must be a number, found \(describe(args[i]))"); return nil }
            guard n.rounded() == n, abs(n) < 9e15 else {
                _ = fail(argument: i, "must be a whole number, found \(Conversion.string(args[i]) ?? "?")")
                return nil
            }
            return Int(n)
        }

        func describe(_ v: Value) -> String { Conversion.describe(v) }
    }

    /// Terraform's conversions between primitive types and value descriptions for messages.
    enum Conversion {
        /// The string form of a primitive (numbers in cty's decimal form), nil for collections.
        static func string(_ v: Value) -> String? {
            switch v.kind {
            case .string(let s): s
            case .number(let n): JSONEncoding.number(n)
            case .bool(let b): b ? "true" : "false"
            default: nil
            }
        }

        /// A decimal number from a string, as Terraform converts strings to numbers (no hex, no
        /// `Infinity`, surrounding spaces rejected).
        static func number(_ s: String) -> Double? {
            guard let first = s.unicodeScalars.first, !first.properties.isWhitespace,
                  let last = s.unicodeScalars.last, !last.properties.isWhitespace else { return nil }
            guard s.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
            return Double(s)
        }

        static func describe(_ v: Value) -> String {
            switch v.kind {
            case .null: "null"
            case .bool: "a bool"
            case .number: "a number"
            case .string: "a string"
            case .list: "a list"
            case .object: "an object"
            case .unknown: "an unknown value"
            }
        }

        static func unknownReason(in v: Value) -> String? {
            switch v.kind {
            case .unknown(let reason): reason
            case .list(let l): l.lazy.compactMap(unknownReason).first
            case .object(let o): JSONEncoding.sortedKeys(o).lazy.compactMap { unknownReason(in: o[$0]!) }.first
            default: nil
            }
        }

        /// Go's string order (UTF-8 bytes), which cty uses for sets and sorting.
        static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

        /// Elements converted to one type as Terraform unifies a tuple into a list or set: mixed
        /// primitives become strings when any is a string; nil when the types cannot be unified.
        static func unified(_ elements: [Value]) -> [Value]? {
            let known = elements.filter { !$0.isUnknown && !$0.isNull }
            guard let first = known.first else { return elements }
            func sameKind(_ a: Value, _ b: Value) -> Bool {
                switch (a.kind, b.kind) {
                case (.string, .string), (.number, .number), (.bool, .bool), (.list, .list), (.object, .object): true
                default: false
                }
            }
            if known.allSatisfy({ sameKind($0, first) }) { return elements }
            let primitives = known.allSatisfy { string($0) != nil }
            guard primitives, known.contains(where: { $0.stringValue != nil }) else { return nil }
            return elements.map { v in string(v).map { Value(.string($0), origin: v.origin) } ?? v }
        }

        /// Elements deduplicated and ordered the way cty orders a set.
        static func setOrdered(_ elements: [Value]) -> [Value] {
            var unique: [Value] = []
            var seen = Set<Value>()
            for e in elements where seen.insert(e).inserted { unique.append(e) }
            return unique.sorted { a, b in
                switch (a.kind, b.kind) {
                case (.string(let x), .string(let y)): precedes(x, y)
                case (.number(let x), .number(let y)): x < y
                case (.bool(let x), .bool(let y)): !x && y
                default: false
                }
            }
        }
    }
}

extension Value {
    /// A copy with every origin in the tree rewritten by `transform`.
    func mappingOrigins(_ transform: (SourceRange) -> SourceRange) -> Value {
        var copy = self
        copy.origin = origin.map(transform)
        switch kind {
        case .list(let l): copy.kind = .list(l.map { $0.mappingOrigins(transform) })
        case .object(let o): copy.kind = .object(o.mapValues { $0.mappingOrigins(transform) })
        default: break
        }
        return copy
    }
}

// MARK: - The functions

extension Functions {
    static let specs: [Spec] = encoding + collections + conversions + strings + numbers + patterns + sets + sensitivity

    /// Terraform functions ghr-audit does not compute (hashes, CIDR arithmetic, time, file digests):
    /// a call is valid and yields an unknown value, never a "no such function" error.
    public static let notEvaluated: Set<String> = Set([
        "md5", "sha1", "sha256", "sha512", "base64sha256", "base64sha512", "bcrypt", "uuidv5",
        "filemd5", "filesha1", "filesha256", "filesha512", "filebase64", "filebase64sha256", "filebase64sha512",
        "cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "formatdate", "timeadd", "timecmp", "plantimestamp",
        "textencodebase64", "textdecodebase64", "base64gzip", "urlencode", "templatestring", "ephemeralasnull",
        "issensitive",
    ]).subtracting(specs.map(\.name))

    // MARK: Encoding

    static let encoding: [Spec] = [
        Spec("jsonencode", [Parameter(name: "val", type: .any, allowNull: true, allowUnknown: true)]) { call in
            let v = call.args[0]
            if v.encodedSizeExceeds(Limits.maxStringBytes), let tooLarge = call.exceedsLimits(bytes: Limits.maxStringBytes + 1) { return tooLarge }
            guard let text = v.jsonEncoded else { return call.unknown(propagating: v) }
            return .string(text)
        },
        Spec("jsondecode", [Parameter(name: "str", type: .string)]) { call in
            Decoding.decode(call.args[0], as: .json, call: &call)
        },
        Spec("yamldecode", [Parameter(name: "src", type: .string)]) { call in
            Decoding.decode(call.args[0], as: .yaml, call: &call)
        },
        Spec("base64encode", [Parameter(name: "str", type: .string)]) { call in
            .string(Data(call.args[0].stringValue!.utf8).base64EncodedString())
        },
        Spec("base64decode", [Parameter(name: "str", type: .string)]) { call in
            let s = call.args[0].stringValue!
            guard let data = Data(base64Encoded: s) else {
                return call.error("failed to decode base64 data \"\(s)\"", argument: 0)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                return call.error("the result of decoding the provided string is not valid UTF-8", argument: 0)
            }
            return .string(text)
        },
    ]

    // MARK: Collections

    static let collections: [Spec] = [
        Spec("merge", [], variadic: Parameter(name: "maps", type: .object, allowNull: true), minimum: 0) { call in
            var merged: [String: Value] = [:]
            for arg in call.args where !arg.isNull {
                for (k, v) in arg.objectValue! { merged[k] = v }
            }
            return .object(merged)
        },
        Spec("lookup", [Parameter(name: "inputMap", type: .object), Parameter(name: "key", type: .string)],
                     variadic: Parameter(name: "default", type: .any, allowNull: true, allowUnknown: true), maximum: 3) { call in
            let map = call.args[0].objectValue!, key = call.args[1].stringValue!
            if let v = map[key] { return v }
            if call.args.count == 3 { return call.args[2] }
            let keys = map.keys.sorted()
            let hint = Wording.suggestion(for: key, among: keys).map { " Did you mean `\($0)`?" } ?? ""
            return call.error("the map has no key `\(key)` and no default was given;\(hint) Its keys are: "
                + (keys.isEmpty ? "none" : Wording.quotedList(keys, conjunction: "and")), argument: 1)
        },
        Spec("concat", [], variadic: Parameter(name: "seqs", type: .list), minimum: 1) { call in
            if let tooLarge = call.exceedsLimits(elements: call.args.reduce(0) { $0 + $1.listValue!.count }) { return tooLarge }
            return .list(call.args.flatMap { $0.listValue! })
        },
        Spec("coalesce", [], variadic: Parameter(name: "vals", type: .any, allowNull: true, allowUnknown: true), minimum: 1) { call in
            let known = call.args.filter { !$0.isUnknown && !$0.isNull }
            for arg in call.args {
                if arg.isUnknown { return call.unknown(propagating: arg) }
                if arg.isNull || arg.stringValue == "" { continue }
                // Terraform unifies the arguments' types: with any string among them, the result is a string.
                if arg.stringValue == nil, known.contains(where: { $0.stringValue != nil }), let s = Conversion.string(arg) {
                    return Value(.string(s), origin: arg.origin)
                }
                return arg
            }
            return call.error("no non-null, non-empty-string arguments")
        },
        Spec("coalescelist", [], variadic: Parameter(name: "vals", type: .list, allowNull: true, allowUnknown: true), minimum: 1) { call in
            for arg in call.args {
                if arg.isUnknown { return call.unknown(propagating: arg) }
                if let l = arg.listValue, !l.isEmpty { return arg }
            }
            return call.error("no non-null arguments")
        },
        Spec("keys", [Parameter(name: "inputMap", type: .object)]) { call in
            .list(JSONEncoding.sortedKeys(call.args[0].objectValue!).map { .string($0) })
        },
        Spec("values", [Parameter(name: "mapping", type: .object)]) { call in
            let map = call.args[0].objectValue!
            return .list(JSONEncoding.sortedKeys(map).map { map[$0]! })
        },
        Spec("length", [Parameter(name: "value", type: .any, allowUnknown: true)]) { call in
            let v = call.args[0]
            switch v.kind {
            case .unknown: return call.unknown(propagating: v)
            case .string(let s): return .number(Double(s.count))
            case .list(let l): return .number(Double(l.count))
            case .object(let o): return .number(Double(o.count))
            default: return call.fail(argument: 0, "must be a string, list, map or object, found \(call.describe(v))")
            }
        },
        Spec("contains", [Parameter(name: "list", type: .list), Parameter(name: "value", type: .any, allowNull: true)]) { call in
            let needle = call.args[1]
            var sawUnknown = false
            for element in call.args[0].listValue! {
                if element.containsUnknown { sawUnknown = true; continue }
                if Collections.equal(element, needle) { return .bool(true) }
            }
            return sawUnknown ? call.unknown(propagating: call.args[0]) : .bool(false)
        },
        Spec("flatten", [Parameter(name: "list", type: .list)]) { call in
            var out: [Value] = []
            var unknown: Value?
            func walk(_ l: [Value], depth: Int) {
                for e in l {
                    if e.isUnknown { unknown = unknown ?? e; continue }
                    if out.count > Limits.maxCollectionElements { return }
                    if let inner = e.listValue, depth < 256 { walk(inner, depth: depth + 1) } else { out.append(e) }
                }
            }
            walk(call.args[0].listValue!, depth: 0)
            if let tooLarge = call.exceedsLimits(elements: out.count) { return tooLarge }
            if let unknown { return call.unknown(propagating: unknown) }
            return .list(out)
        },
        Spec("distinct", [Parameter(name: "list", type: .list)]) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            var seen = Set<Value>()
            return .list(call.args[0].listValue!.filter { seen.insert($0).inserted })
        },
        Spec("element", [Parameter(name: "list", type: .list), Parameter(name: "index", type: .number)]) { call in
            let list = call.args[0].listValue!
            guard let index = call.integer(1) else { return .unknown("invalid call to element") }
            guard !list.isEmpty else { return call.error("cannot use element function with an empty list", argument: 0) }
            guard index >= 0 else { return call.error("cannot use element function with a negative index", argument: 1) }
            return list[index % list.count]
        },
        Spec("zipmap", [Parameter(name: "keys", type: .list), Parameter(name: "values", type: .list)]) { call in
            let keys = call.args[0].listValue!, values = call.args[1].listValue!
            guard keys.count == values.count else {
                return call.error("number of keys (\(keys.count)) does not match number of values (\(values.count))")
            }
            var object: [String: Value] = [:]
            for (i, key) in keys.enumerated() {
                if key.isUnknown { return call.unknown(propagating: key) }
                guard let name = Conversion.string(key) else {
                    return key.isNull ? call.error("keys list has null value at index \(i)", argument: 0)
                        : call.fail(argument: 0, "must hold strings, found \(call.describe(key)) at index \(i)")
                }
                object[name] = values[i]
            }
            return .object(object)
        },
        Spec("range", [], variadic: Parameter(name: "params", type: .number), minimum: 1, maximum: 3) { call in
            Collections.range(&call)
        },
        Spec("compact", [Parameter(name: "list", type: .list)]) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            var out: [Value] = []
            for (i, e) in call.args[0].listValue!.enumerated() where !e.isNull {
                guard let s = Conversion.string(e) else { return call.fail(argument: 0, "must hold strings, found \(call.describe(e)) at index \(i)") }
                if !s.isEmpty { out.append(Value(.string(s), origin: e.origin)) }
            }
            return .list(out)
        },
        Spec("slice", [Parameter(name: "list", type: .list), Parameter(name: "start_index", type: .number),
                               Parameter(name: "end_index", type: .number)]) { call in
            let list = call.args[0].listValue!
            guard let start = call.integer(1), let end = call.integer(2) else { return .unknown("invalid call to slice") }
            if start < 0 { return call.error("start index must not be less than zero", argument: 1) }
            if start > list.count { return call.error("start index must not be greater than the length of the list", argument: 1) }
            if end < 0 { return call.error("end index must not be less than zero", argument: 2) }
            if end > list.count { return call.error("end index must not be greater than the length of the list", argument: 2) }
            if start > end { return call.error("start index must not be greater than end index", argument: 1) }
            return .list(Array(list[start..<end]))
        },
        Spec("one", [Parameter(name: "list", type: .list, allowNull: true)]) { call in
            guard let list = call.args[0].listValue else {
                return call.error("argument must not be null", argument: 0)
            }
            switch list.count {
            case 0: return .null
            case 1: return list[0]
            default: return call.error("must be a list, set, or tuple value with either zero or one elements; found \(list.count) elements", argument: 0)
            }
        },
        Spec("sort", [Parameter(name: "list", type: .list)]) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            var strings: [Value] = []
            for (i, e) in call.args[0].listValue!.enumerated() {
                if e.isNull { return call.error("given list element \(i) is null; a null string cannot be sorted", argument: 0) }
                guard let s = Conversion.string(e) else { return call.fail(argument: 0, "must hold strings, found \(call.describe(e)) at index \(i)") }
                strings.append(Value(.string(s), origin: e.origin))
            }
            return .list(strings.sorted { Conversion.precedes($0.stringValue!, $1.stringValue!) })
        },
        Spec("reverse", [Parameter(name: "list", type: .list)]) { call in
            .list(call.args[0].listValue!.reversed())
        },
        Spec("setunion", [], variadic: Parameter(name: "sets", type: .list), minimum: 1) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            guard let elements = Conversion.unified(call.args.flatMap { $0.listValue! }) else {
                return call.error("given sets must all have compatible element types")
            }
            return .list(Conversion.setOrdered(elements))
        },
    ]

    // MARK: Type conversions

    static let conversions: [Spec] = [
        Spec("tostring", [Parameter(name: "v", type: .any, allowNull: true)]) { call in
            let v = call.args[0]
            if v.isNull { return v }
            guard let s = Conversion.string(v) else { return call.fail(argument: 0, "cannot be converted to a string: found \(call.describe(v))") }
            return Value(.string(s), origin: v.origin)
        },
        Spec("tonumber", [Parameter(name: "v", type: .any, allowNull: true)]) { call in
            let v = call.args[0]
            switch v.kind {
            case .null, .number: return v
            case .string(let s):
                guard let n = Conversion.number(s) else {
                    return call.fail(argument: 0, "cannot be converted to a number: \"\(s)\" is not a decimal representation of a number")
                }
                return Value(.number(n), origin: v.origin)
            default: return call.fail(argument: 0, "cannot be converted to a number: found \(call.describe(v))")
            }
        },
        Spec("tobool", [Parameter(name: "v", type: .any, allowNull: true)]) { call in
            let v = call.args[0]
            switch v.kind {
            case .null, .bool: return v
            case .string("true"): return Value(.bool(true), origin: v.origin)
            case .string("false"): return Value(.bool(false), origin: v.origin)
            case .string(let s): return call.fail(argument: 0, "cannot be converted to a bool: only the strings \"true\" and \"false\" are allowed, found \"\(s)\"")
            default: return call.fail(argument: 0, "cannot be converted to a bool: found \(call.describe(v))")
            }
        },
        Spec("tolist", [Parameter(name: "v", type: .any, allowNull: true)]) { call in
            let v = call.args[0]
            guard !v.isNull else { return v }
            guard let l = v.listValue else { return call.fail(argument: 0, "cannot be converted to a list: found \(call.describe(v))") }
            guard let unified = Conversion.unified(l) else { return call.fail(argument: 0, "cannot be converted to a list: its elements have different types") }
            return Value(.list(unified), origin: v.origin)
        },
        Spec("toset", [Parameter(name: "v", type: .any, allowNull: true)]) { call in
            let v = call.args[0]
            guard !v.isNull else { return v }
            guard let l = v.listValue else { return call.fail(argument: 0, "cannot be converted to a set: found \(call.describe(v))") }
            if let u = call.firstUnknown(in: l) { return u }
            guard let unified = Conversion.unified(l) else { return call.fail(argument: 0, "cannot be converted to a set: its elements have different types") }
            return Value(.list(Conversion.setOrdered(unified)), origin: v.origin)
        },
        Spec("tomap", [Parameter(name: "v", type: .any, allowNull: true)]) { call in
            let v = call.args[0]
            guard !v.isNull else { return v }
            guard let o = v.objectValue else { return call.fail(argument: 0, "cannot be converted to a map: found \(call.describe(v))") }
            let keys = JSONEncoding.sortedKeys(o)
            guard let unified = Conversion.unified(keys.map { o[$0]! }) else {
                return call.fail(argument: 0, "cannot be converted to a map: its attributes have different types")
            }
            return Value(.object(Dictionary(uniqueKeysWithValues: zip(keys, unified))), origin: v.origin)
        },
    ]

    // MARK: Strings

    static let strings: [Spec] = [
        Spec("format", [Parameter(name: "format", type: .string)],
                     variadic: Parameter(name: "args", type: .any, allowNull: true, allowUnknown: true)) { call in
            if let u = call.firstUnknown(in: Array(call.args.dropFirst())) { return u }
            switch FormatVerbs.format(call.args[0].stringValue!, Array(call.args.dropFirst())) {
            case .success(let s): return .string(s)
            case .failure(let e): return call.error(e.message, argument: e.argument.map { $0 + 1 } ?? 0)
            }
        },
        Spec("formatlist", [Parameter(name: "format", type: .string)],
                     variadic: Parameter(name: "args", type: .any, allowNull: true, allowUnknown: true)) { call in
            FormatVerbs.formatList(&call)
        },
        Spec("join", [Parameter(name: "separator", type: .string)], variadic: Parameter(name: "lists", type: .list), minimum: 2) { call in
            if let u = call.firstUnknown(in: Array(call.args.dropFirst())) { return u }
            var pieces: [String] = []
            var bytes = 0
            let separatorBytes = call.args[0].stringValue!.utf8.count
            for (listIndex, list) in call.args.dropFirst().enumerated() {
                for (i, e) in list.listValue!.enumerated() {
                    if e.isNull { return call.error("element \(i) of list \(listIndex + 1) is null; cannot concatenate null values", argument: listIndex + 1) }
                    guard let s = Conversion.string(e) else {
                        return call.fail(argument: listIndex + 1, "must hold strings, found \(call.describe(e)) at index \(i)")
                    }
                    pieces.append(s)
                    bytes += s.utf8.count + separatorBytes
                    if let tooLarge = call.exceedsLimits(bytes: bytes) { return tooLarge }
                }
            }
            return .string(pieces.joined(separator: call.args[0].stringValue!))
        },
        Spec("split", [Parameter(name: "separator", type: .string), Parameter(name: "str", type: .string)]) { call in
            let separator = call.args[0].stringValue!, s = call.args[1].stringValue!
            if let tooLarge = call.exceedsLimits(elements: Strings.pieceCount(s, separatedBy: separator, atMost: Limits.maxCollectionElements + 1)) {
                return tooLarge
            }
            if separator.isEmpty { return .list(s.unicodeScalars.map { .string(String($0)) }) }
            return .list(s.components(separatedBy: separator).map { .string($0) })
        },
        Spec("replace", [Parameter(name: "str", type: .string), Parameter(name: "substr", type: .string),
                                 Parameter(name: "replace", type: .string)]) { call in
            let s = call.args[0].stringValue!, pattern = call.args[1].stringValue!, replacement = call.args[2].stringValue!
            // The most the result can grow: every match (at most one per byte, and one more) replaced
            // by the replacement, which may repeat the matched text through `$n` references.
            let growth = replacement.utf8.count > pattern.utf8.count || pattern.hasPrefix("/")
                ? Strings.pieceCount(s, separatedBy: pattern.hasPrefix("/") ? "" : pattern, atMost: Limits.maxStringBytes) * replacement.utf8.count : 0
            if let tooLarge = call.exceedsLimits(bytes: s.utf8.count + growth) { return tooLarge }
            if pattern.count > 1, pattern.hasPrefix("/"), pattern.hasSuffix("/") {
                switch GoRegex.replaceAll(in: s, pattern: String(pattern.dropFirst().dropLast()), with: replacement) {
                case .success(let result): return .string(result)
                case .failure(let e): return call.error("invalid regular expression \(pattern): \(e.message)", argument: 1)
                }
            }
            return .string(pattern.isEmpty ? Strings.insertEverywhere(s, replacement) : s.replacingOccurrences(of: pattern, with: replacement))
        },
        Spec("trimprefix", [Parameter(name: "str", type: .string), Parameter(name: "prefix", type: .string)]) { call in
            let s = call.args[0].stringValue!, prefix = call.args[1].stringValue!
            return .string(s.utf8.starts(with: prefix.utf8) ? String(decoding: s.utf8.dropFirst(prefix.utf8.count), as: UTF8.self) : s)
        },
        Spec("trimsuffix", [Parameter(name: "str", type: .string), Parameter(name: "suffix", type: .string)]) { call in
            let s = call.args[0].stringValue!, suffix = call.args[1].stringValue!
            return .string(s.utf8.reversed().starts(with: suffix.utf8.reversed())
                ? String(decoding: s.utf8.dropLast(suffix.utf8.count), as: UTF8.self) : s)
        },
        Spec("trimspace", [Parameter(name: "str", type: .string)]) { call in
            .string(Strings.trim(call.args[0].stringValue!) { $0.properties.isWhitespace })
        },
        Spec("trim", [Parameter(name: "str", type: .string), Parameter(name: "cutset", type: .string)]) { call in
            let cutset = Set(call.args[1].stringValue!.unicodeScalars)
            return .string(Strings.trim(call.args[0].stringValue!) { cutset.contains($0) })
        },
        Spec("lower", [Parameter(name: "str", type: .string)]) { call in
            .string(Strings.mapScalars(call.args[0].stringValue!, \.lowercaseMapping))
        },
        Spec("upper", [Parameter(name: "str", type: .string)]) { call in
            .string(Strings.mapScalars(call.args[0].stringValue!, \.uppercaseMapping))
        },
        Spec("title", [Parameter(name: "str", type: .string)]) { call in
            .string(Strings.title(call.args[0].stringValue!))
        },
        Spec("startswith", [Parameter(name: "str", type: .string), Parameter(name: "prefix", type: .string)]) { call in
            .bool(call.args[0].stringValue!.utf8.starts(with: call.args[1].stringValue!.utf8))
        },
        Spec("endswith", [Parameter(name: "str", type: .string), Parameter(name: "suffix", type: .string)]) { call in
            .bool(call.args[0].stringValue!.utf8.reversed().starts(with: call.args[1].stringValue!.utf8.reversed()))
        },
        Spec("substr", [Parameter(name: "str", type: .string), Parameter(name: "offset", type: .number),
                                Parameter(name: "length", type: .number)]) { call in
            guard let offset = call.integer(1), let length = call.integer(2) else { return .unknown("invalid call to substr") }
            let characters = Array(call.args[0].stringValue!)
            var start = offset
            if start < 0 { start = max(0, start + characters.count) }
            guard start < characters.count else { return .string("") }
            let end = length < 0 ? characters.count : min(characters.count, start + length)
            return .string(String(characters[start..<end]))
        },
    ]

    // MARK: Numbers

    static let numbers: [Spec] = [
        Spec("min", [], variadic: Parameter(name: "numbers", type: .number), minimum: 1) { call in
            call.args.min { $0.numberValue! < $1.numberValue! }!
        },
        Spec("max", [], variadic: Parameter(name: "numbers", type: .number), minimum: 1) { call in
            call.args.max { $0.numberValue! < $1.numberValue! }!
        },
        Spec("abs", [Parameter(name: "num", type: .number)]) { call in .number(abs(call.args[0].numberValue!)) },
        Spec("ceil", [Parameter(name: "num", type: .number)]) { call in .number(call.args[0].numberValue!.rounded(.up)) },
        Spec("floor", [Parameter(name: "num", type: .number)]) { call in .number(call.args[0].numberValue!.rounded(.down)) },
    ]
}

// MARK: - Patterns, sets, sensitivity

extension Functions {
    static let patterns: [Spec] = [
        Spec("regex", [Parameter(name: "pattern", type: .string), Parameter(name: "string", type: .string)]) { call in
            switch GoRegex.matches(in: call.args[1].stringValue!, pattern: call.args[0].stringValue!, all: false) {
            case .success(let results):
                guard let first = results.first else { return call.error("pattern did not match any part of the given string", argument: 0) }
                return first
            case .failure(let e):
                return call.error("invalid regular expression: \(e.message)", argument: 0)
            }
        },
        Spec("regexall", [Parameter(name: "pattern", type: .string), Parameter(name: "string", type: .string)]) { call in
            switch GoRegex.matches(in: call.args[1].stringValue!, pattern: call.args[0].stringValue!, all: true) {
            case .success(let results): return .list(results)
            case .failure(let e): return call.error("invalid regular expression: \(e.message)", argument: 0)
            }
        },
        Spec("strcontains", [Parameter(name: "str", type: .string), Parameter(name: "substr", type: .string)]) { call in
            let s = call.args[0].stringValue!, sub = call.args[1].stringValue!
            return .bool(sub.isEmpty || s.contains(sub))
        },
        Spec("chomp", [Parameter(name: "str", type: .string)]) { call in
            var scalars = Substring(call.args[0].stringValue!).unicodeScalars
            while let last = scalars.last, last == "\n" || last == "\r" { scalars.removeLast() }
            return .string(String(scalars))
        },
        Spec("indent", [Parameter(name: "spaces", type: .number), Parameter(name: "str", type: .string)]) { call in
            guard let n = call.integer(0) else { return .unknown("invalid call to indent") }
            let text = call.args[1].stringValue!
            if let tooLarge = call.exceedsLimits(bytes: text.utf8.count + max(0, n) * Strings.pieceCount(text, separatedBy: "\n", atMost: Limits.maxStringBytes)) {
                return tooLarge
            }
            let pad = String(repeating: " ", count: max(0, n))
            return .string(call.args[1].stringValue!.components(separatedBy: "\n").enumerated()
                .map { $0.offset == 0 ? $0.element : pad + $0.element }.joined(separator: "\n"))
        },
        Spec("strrev", [Parameter(name: "str", type: .string)]) { call in .string(String(call.args[0].stringValue!.reversed())) },
    ]

    static let sets: [Spec] = [
        Spec("alltrue", [Parameter(name: "list", type: .list)]) { call in
            let l = call.args[0].listValue!
            if let u = call.firstUnknown(in: l) { return u }
            return .bool(l.allSatisfy { $0.boolValue == true })
        },
        Spec("anytrue", [Parameter(name: "list", type: .list)]) { call in
            let l = call.args[0].listValue!
            if l.contains(where: { $0.boolValue == true }) { return .bool(true) }
            if let u = call.firstUnknown(in: l) { return u }
            return .bool(false)
        },
        Spec("sum", [Parameter(name: "list", type: .list)]) { call in
            let l = call.args[0].listValue!
            if let u = call.firstUnknown(in: l) { return u }
            guard !l.isEmpty else { return call.error("cannot sum an empty list", argument: 0) }
            var total = 0.0
            for (i, e) in l.enumerated() {
                guard let n = e.numberValue else { return call.fail(argument: 0, "must hold numbers, found \(call.describe(e)) at index \(i)") }
                total += n
            }
            return .number(total)
        },
        Spec("index", [Parameter(name: "list", type: .list), Parameter(name: "value", type: .any)]) { call in
            let l = call.args[0].listValue!
            if let u = call.firstUnknown(in: l) { return u }
            guard let i = l.firstIndex(where: { Collections.equal($0, call.args[1]) }) else {
                return call.error("item not found", argument: 1)
            }
            return .number(Double(i))
        },
        Spec("chunklist", [Parameter(name: "list", type: .list), Parameter(name: "size", type: .number)]) { call in
            guard let size = call.integer(1) else { return .unknown("invalid call to chunklist") }
            guard size >= 0 else { return call.error("the size argument must be positive", argument: 1) }
            let l = call.args[0].listValue!
            if size == 0 { return .list([.list(l)]) }
            return .list(stride(from: 0, to: l.count, by: size).map { .list(Array(l[$0..<min(l.count, $0 + size)])) })
        },
        Spec("setproduct", [], variadic: Parameter(name: "sets", type: .list), minimum: 1) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            var product: [[Value]] = [[]]
            for set in call.args {
                product = product.flatMap { prefix in set.listValue!.map { prefix + [$0] } }
                if product.count > 10_000 { return call.error("the product has more than 10000 elements") }
            }
            return .list(product.map { .list($0) })
        },
        Spec("setintersection", [], variadic: Parameter(name: "sets", type: .list), minimum: 1) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            var result = Conversion.setOrdered(call.args[0].listValue!)
            for set in call.args.dropFirst() {
                let other = set.listValue!
                result = result.filter { e in other.contains { Collections.equal($0, e) } }
            }
            return .list(result)
        },
        Spec("setsubtract", [Parameter(name: "a", type: .list), Parameter(name: "b", type: .list)]) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            let b = call.args[1].listValue!
            return .list(Conversion.setOrdered(call.args[0].listValue!).filter { e in !b.contains { Collections.equal($0, e) } })
        },
        Spec("transpose", [Parameter(name: "values", type: .object)]) { call in
            let map = call.args[0].objectValue!
            if let u = call.firstUnknown(in: Array(map.values)) { return u }
            var out: [String: [String]] = [:]
            for key in JSONEncoding.sortedKeys(map) {
                guard let l = map[key]!.listValue else { return call.fail(argument: 0, "must be a map of lists of strings") }
                for e in l {
                    guard let s = Conversion.string(e) else { return call.fail(argument: 0, "must be a map of lists of strings") }
                    out[s, default: []].append(key)
                }
            }
            return .object(out.mapValues { .list($0.map { .string($0) }) })
        },
        Spec("matchkeys", [Parameter(name: "values", type: .list), Parameter(name: "keys", type: .list),
                                   Parameter(name: "searchset", type: .list)]) { call in
            if let u = call.firstUnknown(in: call.args) { return u }
            let values = call.args[0].listValue!, keys = call.args[1].listValue!, search = call.args[2].listValue!
            guard values.count == keys.count else { return call.error("length of keys and values should be equal", argument: 1) }
            return .list(zip(values, keys).filter { _, k in search.contains { Collections.equal($0, k) } }.map(\.0))
        },
        Spec("pow", [Parameter(name: "num1", type: .number), Parameter(name: "num2", type: .number)]) { call in
            .number(Foundation.pow(call.args[0].numberValue!, call.args[1].numberValue!))
        },
        Spec("signum", [Parameter(name: "num", type: .number)]) { call in
            // Terraform's signum takes a whole number.
            guard let n = call.integer(0) else { return .unknown("invalid call to signum") }
            return .number(n > 0 ? 1 : (n < 0 ? -1 : 0))
        },
        Spec("parseint", [Parameter(name: "number", type: .string), Parameter(name: "base", type: .number)]) { call in
            guard let base = call.integer(1) else { return .unknown("invalid call to parseint") }
            guard (2...62).contains(base) else { return call.error("base must be a whole number between 2 and 62 inclusive", argument: 1) }
            let text = call.args[0].stringValue!
            guard base <= 36, let n = Int(text, radix: base) else {
                return call.error("cannot parse \"\(text)\" as a base \(base) integer", argument: 0)
            }
            return .number(Double(n))
        },
    ]

    /// ghr-audit does not track sensitivity: these pass their value through.
    static let sensitivity: [Spec] = [
        Spec("sensitive", [Parameter(name: "value", type: .any, allowNull: true, allowUnknown: true)]) { call in call.args[0] },
        Spec("nonsensitive", [Parameter(name: "value", type: .any, allowNull: true, allowUnknown: true)]) { call in call.args[0] },
    ]
}

// MARK: - Helpers of individual functions

extension Functions {
    enum Collections {
        /// Equality as `contains` compares: a string element matches a number or bool written the same.
        static func equal(_ a: Value, _ b: Value) -> Bool {
            if a == b { return true }
            switch (a.kind, b.kind) {
            case (.string, .number), (.string, .bool), (.number, .string), (.bool, .string):
                return Conversion.string(a) == Conversion.string(b)
            default: return false
            }
        }

        static func range(_ call: inout Call) -> Value {
            let n = call.args.map { $0.numberValue! }
            var start = 0.0, end: Double, step: Double
            switch n.count {
            case 1: end = n[0]; step = 1
            case 2: start = n[0]; end = n[1]; step = end < start ? -1 : 1
            default: start = n[0]; end = n[1]; step = n[2]
            }
            if step == 0 { return call.error("step must not be zero", argument: 2) }
            if step < 0, start < end { return call.error("end must be less than start when step is negative", argument: 1) }
            if step > 0, start > end { return call.error("end must be greater than start when step is positive", argument: 1) }
            var out: [Value] = []
            var v = start
            while step > 0 ? v < end : v > end {
                if out.count == 1024 {
                    return call.error("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step")
                }
                out.append(.number(v))
                v += step
            }
            return .list(out)
        }
    }

    enum Strings {
        /// How many pieces `split(separator, s)` gives (one per scalar for an empty separator),
        /// counted up to `limit` only.
        static func pieceCount(_ s: String, separatedBy separator: String, atMost limit: Int) -> Int {
            if separator.isEmpty { return min(s.unicodeScalars.count + 1, limit) }
            // Non-overlapping occurrences, by bytes (valid UTF-8 matches only at scalar boundaries).
            var count = 1
            var s = s, separator = separator
            s.withUTF8 { hay in
                separator.withUTF8 { needle in
                    var i = 0
                    while count < limit, i + needle.count <= hay.count {
                        if hay[i] == needle[0], memcmp(hay.baseAddress! + i, needle.baseAddress!, needle.count) == 0 {
                            count += 1
                            i += needle.count
                        } else {
                            i += 1
                        }
                    }
                }
            }
            return count
        }

        static func trim(_ s: String, where shouldTrim: (Unicode.Scalar) -> Bool) -> String {
            var scalars = Substring(s).unicodeScalars
            while let first = scalars.first, shouldTrim(first) { scalars.removeFirst() }
            while let last = scalars.last, shouldTrim(last) { scalars.removeLast() }
            return String(scalars)
        }

        /// Go's rune-by-rune case mapping: a scalar whose full mapping is several scalars (`ß` → `SS`)
        /// keeps its simple mapping, which for these is the scalar itself (except `İ` → `i`).
        static func mapScalars(_ s: String, _ mapping: KeyPath<Unicode.Scalar.Properties, String>) -> String {
            var out = String.UnicodeScalarView()
            for scalar in s.unicodeScalars {
                let mapped = scalar.properties[keyPath: mapping].unicodeScalars
                if mapped.count == 1 {
                    out.append(mapped.first!)
                } else if scalar == "\u{130}", mapping == \.lowercaseMapping {
                    out.append("i")
                } else {
                    out.append(scalar)
                }
            }
            return String(out)
        }

        /// Go's `strings.Title`: the first letter of each word in title case, words separated by
        /// anything but letters, digits, `_` and non-ASCII non-space characters.
        static func title(_ s: String) -> String {
            var out = String.UnicodeScalarView()
            var previousIsSeparator = true
            for scalar in s.unicodeScalars {
                if previousIsSeparator, scalar.properties.isAlphabetic || scalar.properties.generalCategory == .decimalNumber {
                    let mapped = scalar.properties.titlecaseMapping.unicodeScalars
                    if mapped.count == 1 { out.append(mapped.first!) } else { out.append(scalar) }
                } else {
                    out.append(scalar)
                }
                previousIsSeparator = isSeparator(scalar)
            }
            return String(out)
        }

        private static func isSeparator(_ s: Unicode.Scalar) -> Bool {
            if s.isASCII {
                let c = Character(s)
                return !(c.isLetter || c.isNumber || c == "_")
            }
            if s.properties.isAlphabetic || s.properties.numericType != nil { return false }
            return s.properties.isWhitespace
        }

        /// Go's `strings.Replace` with an empty search string: the replacement before every scalar
        /// and at the end.
        static func insertEverywhere(_ s: String, _ replacement: String) -> String {
            var out = replacement
            for scalar in s.unicodeScalars {
                out.unicodeScalars.append(scalar)
                out += replacement
            }
            return out
        }
    }

    /// Regular expressions for `replace` (Go RE2 syntax, run with Foundation's engine).
    enum GoRegex {
        struct Failure: Error { var message: String }

        static func replaceAll(in s: String, pattern: String, with template: String) -> Result<String, Failure> {
            // RE2's named groups `(?P<name>...)` are `(?<name>...)` for ICU.
            let icuPattern = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
            let expression: NSRegularExpression
            do {
                expression = try NSRegularExpression(pattern: icuPattern)
            } catch {
                return .failure(Failure(message: "the pattern does not compile"))
            }
            let names = groupNames(in: icuPattern)
            let ns = s as NSString
            var out = ""
            var last = 0
            for match in expression.matches(in: s, range: NSRange(location: 0, length: ns.length)) {
                out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
                out += expand(template, match: match, in: ns, names: names)
                last = match.range.location + match.range.length
            }
            out += ns.substring(from: last)
            return .success(out)
        }

        /// Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to "".
        private static func expand(_ template: String, match: NSTextCheckingResult, in s: NSString, names: [String]) -> String {
            var out = ""
            var scalars = Substring(template).unicodeScalars[...]
            func group(_ name: String) -> String {
                var range = NSRange(location: NSNotFound, length: 0)
                if let n = Int(name) {
                    if n < match.numberOfRanges { range = match.range(at: n) }
                } else if names.contains(name) {
                    range = match.range(withName: name)
                }
                return range.location == NSNotFound ? "" : s.substring(with: range)
            }
            while let c = scalars.first {
                scalars.removeFirst()
                guard c == "$", let next = scalars.first else { out.unicodeScalars.append(c); continue }
                if next == "$" { out += "$"; scalars.removeFirst(); continue }
                if next == "{" {
                    if let close = scalars.firstIndex(of: "}") {
                        let name = String(scalars[scalars.index(after: scalars.startIndex)..<close])
                        if !name.isEmpty, name.unicodeScalars.allSatisfy(isNameScalar) {
                            out += group(name)
                            scalars = scalars[scalars.index(after: close)...]
                            continue
                        }
                    }
                    out += "$"
                    continue
                }
                var name = ""
                while let n = scalars.first, isNameScalar(n) { name.unicodeScalars.append(n); scalars.removeFirst() }
                if name.isEmpty { out += "$" } else { out += group(name) }
            }
            return out
        }

        /// Terraform's `regex`/`regexall` results for each match (only the first unless `all`): the
        /// matched text when the pattern has no groups, a list of captures (null for a group that did
        /// not take part), or an object of named captures.
        static func matches(in s: String, pattern: String, all: Bool) -> Result<[Value], Failure> {
            let icuPattern = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
            let expression: NSRegularExpression
            do {
                expression = try NSRegularExpression(pattern: icuPattern)
            } catch {
                return .failure(Failure(message: "the pattern does not compile"))
            }
            let names = groupNames(in: icuPattern)
            let groups = expression.numberOfCaptureGroups
            if !names.isEmpty, names.count != groups {
                return .failure(Failure(message: "cannot mix both named and unnamed capture groups"))
            }
            let ns = s as NSString
            let found = all ? expression.matches(in: s, range: NSRange(location: 0, length: ns.length))
                : expression.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)).map { [$0] } ?? []
            return .success(found.map { match in
                func text(_ range: NSRange) -> Value { range.location == NSNotFound ? .null : .string(ns.substring(with: range)) }
                if groups == 0 { return text(match.range) }
                if !names.isEmpty {
                    return .object(Dictionary(uniqueKeysWithValues: names.map { ($0, text(match.range(withName: $0))) }))
                }
                return .list((1...groups).map { text(match.range(at: $0)) })
            })
        }

        private static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
            s.isASCII && (Character(s).isLetter || Character(s).isNumber || s == "_")
        }

        private static func groupNames(in pattern: String) -> [String] {
            var names: [String] = []
            var rest = Substring(pattern)
            while let r = rest.range(of: "(?<") {
                rest = rest[r.upperBound...]
                let name = rest.prefix { $0 != ">" }
                if !name.isEmpty, name.first != "=", name.first != "!" { names.append(String(name)) }
            }
            return names
        }
    }

    /// `jsondecode` and `yamldecode`: parse with positions and map the decoded values' origins into
    /// the file the string came from, when that can be done exactly.
    /// `yamldecode` that takes a text's parse from `parsed` (given the path of the text's origin and
    /// the text) when it has one: a workspace file read by `yamldecode(file(...))` was parsed when
    /// it was loaded, and parsing it again was most of evaluating a multi-runner configuration.
    public static func yamldecode(reusing parsed: @escaping @Sendable (_ path: String, _ text: String) -> ParsedYAML?) -> Function {
        Spec("yamldecode", [Parameter(name: "src", type: .string)]) { call in
            Decoding.decode(call.args[0], as: .yaml, call: &call, parsed: parsed)
        }.function
    }

    enum Decoding {
        enum Format { case json, yaml }

        static func decode(_ text: Value, as format: Format, call: inout Call,
                           parsed: (@Sendable (String, String) -> ParsedYAML?)? = nil) -> Value {
            let s = text.stringValue!
            let location = EmbeddedLocation(origin: text.origin, text: s)
            let path = text.origin?.path ?? call.callRange.path
            let source = SourceFile(path: path, text: s)
            var value: Value
            var diagnostics: [Diagnostic]
            switch format {
            case .json:
                let (root, found) = JSON.parse(source)
                // Terraform's decoder rejects duplicate keys, which the JSON reader only warns about.
                diagnostics = found.map { d in
                    var d = d
                    if d.summary.hasPrefix("Duplicate key") { d.severity = .error }
                    return d
                }
                value = root.map(Value.init(json:)) ?? .null
            case .yaml:
                // The parse of the same text at the same path is the same: taken when known.
                let stream = text.origin.flatMap { parsed?($0.path, s) } ?? ParsedYAML(YAML.parse(source))
                diagnostics = stream.diagnostics
                if stream.documentCount > 1, let second = stream.secondDocument {
                    diagnostics.append(Diagnostic(.error, "Only a single YAML document is allowed",
                                                  detail: "`yamldecode` reads exactly one document; this text holds \(stream.documentCount) (separated by `---`). "
                                                      + "Split it into several files or calls.",
                                                  range: second))
                }
                if let document = stream.first {
                    let decoded = Value.decoding(yaml: document)
                    value = decoded.value
                    diagnostics += decoded.diagnostics
                } else if !diagnostics.contains(where: { $0.severity == .error }) {
                    // Terraform's decoder finds no document in an empty (or comment-only) text
                    // (a text that does not parse has its own error, and no document either).
                    diagnostics.append(Diagnostic(.error, "Empty YAML document", detail: "`yamldecode` needs one YAML document; this text holds none.",
                                                  range: source.range(from: 0, to: 0)))
                    value = .null
                } else {
                    value = .null
                }
            }
            let failed = diagnostics.contains { $0.severity == .error }
            for d in diagnostics {
                var relocated = d
                if let range = location?.map(d.range) {
                    relocated.range = range
                } else {
                    relocated.range = call.range(ofArgument: 0)
                    relocated.detail = "At line \(d.range.start.line), column \(d.range.start.column) of the decoded text: " + (d.detail ?? "")
                }
                if d.severity == .error, d.code == nil {
                    relocated.summary = (format == .json ? "Invalid JSON in `jsondecode` argument: " : "Invalid YAML in `yamldecode` argument: ")
                        + lowercasedFirst(d.summary.replacingOccurrences(of: "Invalid YAML: ", with: ""))
                }
                call.diagnostics.append(relocated)
            }
            if failed { return .unknown("\(call.name) of invalid \(format == .json ? "JSON" : "YAML")") }
            return value.mappingOrigins { location?.map($0) ?? text.origin ?? call.callRange }
        }

        private static func lowercasedFirst(_ s: String) -> String {
            guard let first = s.first, first.isUppercase, !(s.dropFirst().first?.isUppercase ?? false) else { return s }
            return first.lowercased() + s.dropFirst()
        }
    }

    /// What `yamldecode` needs of a parsed YAML text: its first document, how many there are and
    /// where the second starts, and the parser's diagnostics.
    public struct ParsedYAML: Sendable {
        public var first: YAMLNode?
        public var documentCount: Int
        public var secondDocument: SourceRange?
        public var diagnostics: [Diagnostic]

        public init(first: YAMLNode?, documentCount: Int, secondDocument: SourceRange?, diagnostics: [Diagnostic]) {
            self.first = first
            self.documentCount = documentCount
            self.secondDocument = secondDocument
            self.diagnostics = diagnostics
        }

        public init(_ stream: YAMLStream) {
            self.init(first: stream.documents.first, documentCount: stream.documents.count,
                      secondDocument: stream.documents.count > 1 ? stream.documents[1].range : nil, diagnostics: stream.diagnostics)
        }
    }

    /// Where the text of a string value sits in its file, when the mapping is exact: the value read
    /// from a file (`file(...)`: origin length equals the text) or a quoted literal without escapes
    /// (origin is the text plus two quotes).
    struct EmbeddedLocation {
        let base: SourcePosition
        let pathID: SourcePathID

        init?(origin: SourceRange?, text: String) {
            guard let origin else { return nil }
            let length = origin.end.offset - origin.start.offset
            let count = text.utf8.count
            if length == count {
                base = origin.start
            } else if length == count + 2, origin.start.line == origin.end.line {
                base = SourcePosition(line: origin.start.line, column: origin.start.column + 1, offset: origin.start.offset + 1)
            } else {
                return nil
            }
            pathID = origin.pathID
        }

        func map(_ range: SourceRange) -> SourceRange {
            SourceRange(pathID: pathID, start: map(range.start), end: map(range.end))
        }

        private func map(_ p: SourcePosition) -> SourcePosition {
            SourcePosition(line: p.line + base.line - 1, column: p.line == 1 ? p.column + base.column - 1 : p.column, offset: p.offset + base.offset)
        }
    }

    /// `format` and `formatlist`: cty's printf dialect. Verbs `%v %#v %t %b %d %o %x %X %e %E %f
    /// %g %G %s %q %%`, flags `0 # - + space`, width, precision and explicit `[n]` argument indexes;
    /// widths and string precisions count grapheme clusters.
    enum FormatVerbs {
        struct Failure: Error {
            var message: String
            /// The 0-based index of the offending value argument (after the format string).
            var argument: Int?
        }

        struct Verb {
            var raw = "", offset = 0, argument = 1
            var mode: Character = "v"
            var zero = false, sharp = false, plus = false, minus = false, space = false
            var width: Int?, precision: Int?
        }

        /// Widths and precisions beyond this are refused rather than allocated.
        static let maximumWidth = 10_000

        static func format(_ format: String, _ args: [Value]) -> Result<String, Failure> {
            let b = Array(format.utf8)
            var out: [UInt8] = []
            var i = 0, nextArgument = 1, highest = 0
            func digits() -> Int? {
                let start = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                return i > start ? Int(String(decoding: b[start..<i], as: UTF8.self)) : nil
            }
            while i < b.count {
                guard b[i] == UInt8(ascii: "%") else { out.append(b[i]); i += 1; continue }
                if i + 1 < b.count, b[i + 1] == UInt8(ascii: "%") { out.append(b[i]); i += 2; continue }
                var verb = Verb(offset: i, argument: nextArgument)
                let start = i
                i += 1
                flags: while i < b.count {
                    switch b[i] {
                    case UInt8(ascii: "0"): verb.zero = true
                    case UInt8(ascii: "#"): verb.sharp = true
                    case UInt8(ascii: "-"): verb.minus = true
                    case UInt8(ascii: "+"): verb.plus = true
                    case UInt8(ascii: " "): verb.space = true
                    default: break flags
                    }
                    i += 1
                }
                if i < b.count, b[i] == UInt8(ascii: "[") {
                    i += 1
                    guard i < b.count, b[i] != UInt8(ascii: "0"), let n = digits(), i < b.count, b[i] == UInt8(ascii: "]") else {
                        return .failure(Failure(message: "invalid format string starting at offset \(i)"))
                    }
                    i += 1
                    verb.argument = n
                }
                if i < b.count, b[i] != UInt8(ascii: "0") { verb.width = digits() }
                if i < b.count, b[i] == UInt8(ascii: ".") {
                    i += 1
                    verb.precision = digits() ?? 0
                }
                guard i < b.count else { return .failure(Failure(message: "invalid format string starting at offset \(i)")) }
                if (verb.width ?? 0) > maximumWidth || (verb.precision ?? 0) > maximumWidth {
                    return .failure(Failure(message: "width or precision in \"\(String(decoding: b[start..<i], as: UTF8.self))\" at offset \(start) is larger than \(maximumWidth)"))
                }
                let letter = b[i]
                guard (letter | 0x20) >= 0x61, (letter | 0x20) <= 0x7A else {
                    let scalarEnd = min(b.count, i + max(1, Int(letter >= 0xF0 ? 4 : letter >= 0xE0 ? 3 : letter >= 0xC0 ? 2 : 1)))
                    return .failure(Failure(message: "unrecognized format character \"\(String(decoding: b[i..<scalarEnd], as: UTF8.self))\" at offset \(i)"))
                }
                i += 1
                verb.mode = Character(Unicode.Scalar(letter))
                verb.raw = String(decoding: b[start..<i], as: UTF8.self)
                highest = max(highest, verb.argument)
                switch append(verb, args) {
                case .success(let text): out += Array(text.utf8)
                case .failure(let failure): return .failure(failure)
                }
                nextArgument = verb.argument + 1
            }
            if highest < args.count {
                let message = highest == 0 ? "too many arguments; no verbs in format string"
                    : "too many arguments; only \(highest) used by format string"
                return .failure(Failure(message: message, argument: highest))
            }
            return .success(String(decoding: out, as: UTF8.self))
        }

        private static func append(_ verb: Verb, _ args: [Value]) -> Result<String, Failure> {
            let index = verb.argument - 1
            guard index < args.count else {
                return .failure(Failure(message: "not enough arguments for \"\(verb.raw)\" at \(verb.offset): need index \(verb.argument) but have \(args.count) total"))
            }
            let arg = args[index]
            func unsupported(_ why: String) -> Result<String, Failure> {
                .failure(Failure(message: "unsupported value for \"\(verb.raw)\" at \(verb.offset): \(why)", argument: index))
            }
            if verb.mode != "v", arg.isNull { return unsupported("null value cannot be formatted") }
            switch verb.mode {
            case "v":
                if !verb.sharp {
                    if case .string(let s) = arg.kind { return .success(pad(s, verb)) }
                    if case .number(let n) = arg.kind { return .success(pad(shortestG(n, upper: false), verb)) }
                }
                guard let json = arg.jsonEncoded else { return unsupported("value is not known") }
                return .success(pad(json, verb))
            case "t":
                switch arg.kind {
                case .bool(let v): return .success(v ? "true" : "false")
                case .string("true"): return .success("true")
                case .string("false"): return .success("false")
                default: return unsupported("bool required")
                }
            case "b", "d", "o", "x", "X", "e", "E", "f", "g", "G":
                let number: Double
                switch arg.kind {
                case .number(let n): number = n
                case .string(let s):
                    guard let n = Conversion.number(s) else { return unsupported("a number is required") }
                    number = n
                default: return unsupported("number required")
                }
                if "bdoxX".contains(verb.mode) {
                    guard number.rounded() == number, abs(number) < 9.2e18 else { return unsupported("an integer is required") }
                    return .success(integer(number, verb))
                }
                return .success(float(number, verb))
            case "s", "q":
                guard var s = Conversion.string(arg) else { return unsupported("string required") }
                if let precision = verb.precision, precision > 0 { s = String(s.prefix(precision)) }
                if verb.mode == "q" {
                    var quoted = ""
                    JSONEncoding.appendString(s, to: &quoted)
                    s = quoted
                }
                return .success(pad(s, verb))
            default:
                return .failure(Failure(message: "unsupported format verb \"\(verb.mode)\" in \"\(verb.raw)\" at offset \(verb.offset)", argument: index))
            }
        }

        /// Pads to the verb's width in grapheme clusters.
        private static func pad(_ s: String, _ verb: Verb) -> String {
            guard let width = verb.width, s.count < width else { return s }
            let padding = String(repeating: verb.zero ? "0" : " ", count: width - s.count)
            return verb.minus ? s + padding : padding + s
        }

        /// Go's integer formatting (`fmt` with a big.Int) for `%b %d %o %x %X`.
        private static func integer(_ n: Double, _ verb: Verb) -> String {
            let radix = verb.mode == "b" ? 2 : verb.mode == "o" ? 8 : "xX".contains(verb.mode) ? 16 : 10
            var digits = String(UInt64(abs(n)), radix: radix, uppercase: verb.mode == "X")
            if let precision = verb.precision {
                if precision == 0, n == 0 { digits = "" }
                if digits.count < precision { digits = String(repeating: "0", count: precision - digits.count) + digits }
            }
            var prefix = n < 0 ? "-" : verb.plus ? "+" : verb.space ? " " : ""
            if verb.sharp {
                switch verb.mode {
                case "x": prefix += "0x"
                case "X": prefix += "0X"
                case "b": prefix += "0b"
                case "o": if !digits.hasPrefix("0") { prefix += "0" }
                default: break
                }
            }
            return padNumber(prefix: prefix, digits: digits, verb, zeroAllowed: verb.precision == nil)
        }

        /// Go's float formatting for `%e %E %f %g %G` (`%g` without precision is the shortest form).
        private static func float(_ n: Double, _ verb: Verb) -> String {
            let sign = n < 0 || (n == 0 && n.sign == .minus) ? "-" : verb.plus ? "+" : verb.space ? " " : ""
            guard n.isFinite else {
                return padNumber(prefix: n.isNaN ? (verb.plus ? "+" : verb.space ? " " : "") : (n < 0 ? "-" : "+"),
                                 digits: n.isNaN ? "NaN" : "Inf", verb, zeroAllowed: false)
            }
            let magnitude = abs(n)
            var body: String
            if "gG".contains(verb.mode), verb.precision == nil {
                body = shortestG(magnitude, upper: verb.mode == "G")
            } else {
                let precision = verb.precision ?? 6
                body = String(format: "%\(verb.sharp ? "#" : "").\(precision)\(verb.mode)", magnitude)
            }
            return padNumber(prefix: sign, digits: body, verb, zeroAllowed: true)
        }

        private static func padNumber(prefix: String, digits: String, _ verb: Verb, zeroAllowed: Bool) -> String {
            let length = prefix.count + digits.count
            guard let width = verb.width, length < width else { return prefix + digits }
            if verb.minus { return prefix + digits + String(repeating: " ", count: width - length) }
            if verb.zero, zeroAllowed { return prefix + String(repeating: "0", count: width - length) + digits }
            return String(repeating: " ", count: width - length) + prefix + digits
        }

        /// Go's `%g` with the shortest precision: `%e` form when the decimal exponent is below -4 or
        /// at least 6 (`1e+06`, `1.5e-05`), plain decimals otherwise.
        static func shortestG(_ n: Double, upper: Bool) -> String {
            guard n.isFinite else { return n.isNaN ? "NaN" : (n < 0 ? "-Inf" : "+Inf") }
            if n == 0 { return n.sign == .minus ? "-0" : "0" }
            let (digits, point) = shortestDigits(abs(n))
            let exponent = point - 1
            var body: String
            if exponent < -4 || exponent >= 6 {
                body = String(digits.first!)
                if digits.count > 1 { body += "." + digits.dropFirst() }
                let e = abs(exponent)
                body += (upper ? "E" : "e") + (exponent < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
            } else if point <= 0 {
                body = "0." + String(repeating: "0", count: -point) + digits
            } else if point >= digits.count {
                body = digits + String(repeating: "0", count: point - digits.count)
            } else {
                body = String(digits.prefix(point)) + "." + digits.dropFirst(point)
            }
            return (n < 0 ? "-" : "") + body
        }

        /// The shortest decimal digits of a positive finite number and the position of the decimal
        /// point (value = 0.DIGITS × 10^point).
        static func shortestDigits(_ n: Double) -> (String, Int) {
            let text = "\(n)"
            var mantissa = Substring(text), exponent = 0
            if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                mantissa = text[..<e]
                exponent = Int(text[text.index(after: e)...]) ?? 0
            }
            let pointIndex = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count
            var digits = mantissa.replacingOccurrences(of: ".", with: "")
            var point = pointIndex + exponent
            while digits.count > 1, digits.hasPrefix("0") { digits.removeFirst(); point -= 1 }
            while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
            return (digits, point)
        }

        static func formatList(_ call: inout Call) -> Value {
            let format = call.args[0].stringValue!
            let args = Array(call.args.dropFirst())
            if args.isEmpty {
                switch self.format(format, []) {
                case .success(let s): return .list([.string(s)])
                case .failure(let e): return call.error(e.message, argument: 0)
                }
            }
            var length: Int?, lengthFrom = 0
            for (i, arg) in args.enumerated() {
                if arg.isUnknown { return call.unknown(propagating: arg) }
                guard let list = arg.listValue else { continue }
                if let length, list.count != length {
                    return call.error("argument \(i + 2) has length \(list.count), which is inconsistent with argument \(lengthFrom + 2) of length \(length)",
                                      argument: i + 1)
                }
                length = list.count
                lengthFrom = i
            }
            var results: [Value] = []
            for iteration in 0..<(length ?? 1) {
                let values = args.map { $0.listValue?[iteration] ?? $0 }
                if let unknown = values.first(where: \.containsUnknown) {
                    results.append(call.unknown(propagating: unknown))
                    continue
                }
                switch self.format(format, values) {
                case .success(let s): results.append(.string(s))
                case .failure(let e): return call.error("error on format iteration \(iteration): \(e.message)")
                }
            }
            return .list(results)
        }
    }
}
