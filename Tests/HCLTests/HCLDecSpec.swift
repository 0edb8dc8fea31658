import AuditCore
import Foundation
@testable import HCL

// The small subset of hcldec specification files (`.hcldec`) the HCL spec suite uses, read with our
// own parser: `literal`, `object`, `attr`, `block`, `block_list`, `block_map`, plus `variables`.

indirect enum DecSpec {
    case literal(HCL.Expression)
    case object([(name: String, spec: DecSpec)])
    case attr(name: String, required: Bool, type: DecType)
    case block(type: String, nested: DecSpec, required: Bool)
    case blockList(type: String, nested: DecSpec)
    case blockMap(type: String, labels: [String], nested: DecSpec)

    /// The body schema this spec implies (what hcldec checks the body against).
    var schema: BodySchema {
        switch self {
        case .literal: return BodySchema()
        case .object(let children):
            var schema = BodySchema()
            for (_, child) in children {
                let s = child.schema
                schema.attributes += s.attributes
                schema.blocks += s.blocks
            }
            return schema
        case .attr(let name, let required, _): return BodySchema(attributes: [.init(name, required: required)])
        case .block(let type, _, _), .blockList(let type, _): return BodySchema(blocks: [.init(type)])
        case .blockMap(let type, let labels, _): return BodySchema(blocks: [.init(type, labelNames: labels)])
        }
    }
}

struct DecFile {
    var spec: DecSpec
    var variables: [String: HCL.Expression]
}

enum DecSpecError: Error, CustomStringConvertible {
    case invalid(String)
    var description: String { if case .invalid(let s) = self { s } else { "" } }
}

enum DecSpecReader {
    static func read(_ text: String, path: String) throws -> DecFile {
        let file = HCLParser.parse(SourceFile(path: path, text: text))
        guard file.diagnostics.isEmpty else { throw DecSpecError.invalid("\(path): \(file.diagnostics.map(\.summary))") }
        var variables: [String: HCL.Expression] = [:]
        var spec: DecSpec?
        for block in file.body.blocks {
            if block.type == "variables" {
                for a in block.body.attributes { variables[a.name] = a.expression }
            } else {
                spec = try readSpec(block)
            }
        }
        guard let spec else { throw DecSpecError.invalid("\(path): no spec block") }
        return DecFile(spec: spec, variables: variables)
    }

    static func string(_ body: Body, _ name: String) -> String? { body.attribute(name)?.expression.staticString }

    static func readSpec(_ block: Block) throws -> DecSpec {
        let label = block.labels.first?.value
        switch block.type {
        case "literal":
            guard let value = block.body.attribute("value")?.expression else { throw DecSpecError.invalid("literal without value") }
            return .literal(value)
        case "object":
            var children: [(String, DecSpec)] = []
            for child in block.body.blocks {
                guard let name = child.labels.first?.value ?? string(child.body, "name") ?? string(child.body, "block_type") else {
                    throw DecSpecError.invalid("object member `\(child.type)` without a name")
                }
                children.append((name, try readSpec(child)))
            }
            return .object(children)
        case "attr":
            guard let name = string(block.body, "name") ?? label else { throw DecSpecError.invalid("attr without name") }
            let required: Bool
            if case .literal(.bool(let b))? = block.body.attribute("required")?.expression.kind { required = b } else { required = false }
            return .attr(name: name, required: required, type: DecType(block.body.attribute("type")?.expression))
        case "block", "block_list", "block_map":
            guard let type = string(block.body, "block_type") ?? label else { throw DecSpecError.invalid("\(block.type) without block_type") }
            guard let nestedBlock = block.body.blocks.first else { throw DecSpecError.invalid("\(block.type) without nested spec") }
            let nested = try readSpec(nestedBlock)
            if block.type == "block" {
                let required: Bool
                if case .literal(.bool(let b))? = block.body.attribute("required")?.expression.kind { required = b } else { required = false }
                return .block(type: type, nested: nested, required: required)
            }
            if block.type == "block_list" { return .blockList(type: type, nested: nested) }
            guard case .tuple(let items)? = block.body.attribute("labels")?.expression.kind else {
                throw DecSpecError.invalid("block_map without labels")
            }
            return .blockMap(type: type, labels: items.compactMap(\.staticString), nested: nested)
        default:
            throw DecSpecError.invalid("unsupported spec `\(block.type)`")
        }
    }
}

/// One expected diagnostic range from a `.t` file.
struct ExpectedRange: Hashable, CustomStringConvertible {
    var from: (line: Int, column: Int, byte: Int)
    var to: (line: Int, column: Int, byte: Int)
    static func == (a: ExpectedRange, b: ExpectedRange) -> Bool { a.description == b.description }
    func hash(into h: inout Hasher) { h.combine(description) }
    var description: String { "\(from.line):\(from.column)-\(to.line):\(to.column)@\(from.byte)-\(to.byte)" }
}

enum TestFileReader {
    /// The `diagnostics { error { from {...} to {...} } }` ranges of a `.t` file.
    static func expectedErrors(_ file: HCLFile) -> [ExpectedRange] {
        var out: [ExpectedRange] = []
        for diagnostics in file.body.blocks(ofType: "diagnostics") {
            for error in diagnostics.body.blocks(ofType: "error") {
                guard let from = position(error.body.blocks(ofType: "from").first),
                      let to = position(error.body.blocks(ofType: "to").first) else { continue }
                out.append(ExpectedRange(from: from, to: to))
            }
        }
        return out
    }

    static func position(_ block: Block?) -> (line: Int, column: Int, byte: Int)? {
        guard let body = block?.body else { return nil }
        func number(_ name: String) -> Int? {
            if case .literal(.number(let n))? = body.attribute(name)?.expression.kind { return Int(n) }
            return nil
        }
        guard let line = number("line"), let column = number("column"), let byte = number("byte") else { return nil }
        return (line, column, byte)
    }
}

/// The type constraints the suite's specs use: primitives, `any`, `map(T)`, `list(T)`, `object({...})`.
indirect enum DecType {
    case any, string, number, bool
    case map(DecType), list(DecType)

    init(_ e: HCL.Expression?) {
        guard let e else { self = .any; return }
        switch e.kind {
        case .variable("string"): self = .string
        case .variable("number"): self = .number
        case .variable("bool"): self = .bool
        case .functionCall("map", _, let args, _) where args.count == 1: self = .map(DecType(args[0]))
        case .functionCall("list", _, let args, _) where args.count == 1: self = .list(DecType(args[0]))
        default: self = .any
        }
    }

    /// Converts like cty does for these types; nil when the value does not convert.
    func convert(_ v: Value) -> Value? {
        if v.isUnknown || v.isNull { return v }
        switch self {
        case .any: return v
        case .string: return v.asString.map { Value(.string($0), origin: v.origin) }
        case .number: return v.numberValue.map { Value(.number($0), origin: v.origin) }
        case .bool: return v.boolValue.map { Value(.bool($0), origin: v.origin) }
        case .map(let element):
            guard let o = v.objectValue else { return nil }
            var out: [String: Value] = [:]
            for (k, x) in o {
                guard let c = element.convert(x) else { return nil }
                out[k] = c
            }
            return Value(.object(out), origin: v.origin)
        case .list(let element):
            guard let l = v.listValue else { return nil }
            let converted = l.compactMap(element.convert)
            return converted.count == l.count ? Value(.list(converted), origin: v.origin) : nil
        }
    }
}

extension DecSpec {
    /// Decodes `body` the way hcldec does: the body is checked against the spec's schema, then each
    /// part evaluated (attributes) or decoded (nested blocks).
    func decode(_ body: Body, _ ctx: EvalContext) -> (Value, [Diagnostic]) {
        var diagnostics = body.validate(against: schema)
        let value = decodeContent(body, ctx, &diagnostics)
        return (value, diagnostics)
    }

    private func decodeContent(_ body: Body, _ ctx: EvalContext, _ diagnostics: inout [Diagnostic]) -> Value {
        switch self {
        case .literal(let e):
            let (v, d) = evaluate(e, in: EvalContext())
            diagnostics += d
            return v
        case .object(let children):
            var out: [String: Value] = [:]
            for (name, child) in children { out[name] = child.decodeContent(body, ctx, &diagnostics) }
            return Value(.object(out))
        case .attr(let name, _, let type):
            guard let attribute = body.attribute(name) else { return .null }
            let (v, d) = evaluate(attribute.expression, in: ctx)
            diagnostics += d
            guard let converted = type.convert(v) else {
                diagnostics.append(Diagnostic(.error, "Incorrect attribute value type", detail: "\(name)", range: attribute.expression.range))
                return .unknown("conversion failed")
            }
            return converted
        case .block(let type, let nested, _):
            guard let block = body.blocks(ofType: type).first else { return .null }
            let (v, d) = nested.decode(block.body, ctx)
            diagnostics += d
            return v
        case .blockList(let type, let nested):
            return Value(.list(body.blocks(ofType: type).map {
                let (v, d) = nested.decode($0.body, ctx)
                diagnostics += d
                return v
            }))
        case .blockMap(let type, let labels, let nested):
            var out: [String: Value] = [:]
            for block in body.blocks(ofType: type) where block.labels.count == labels.count {
                let (v, d) = nested.decode(block.body, ctx)
                diagnostics += d
                DecSpec.insert(v, at: block.labels.map(\.value)[...], into: &out)
            }
            return Value(.object(out))
        }
    }

    private static func insert(_ v: Value, at path: ArraySlice<String>, into object: inout [String: Value]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            object[first] = v
            return
        }
        var inner = object[first]?.objectValue ?? [:]
        insert(v, at: path.dropFirst(), into: &inner)
        object[first] = Value(.object(inner))
    }
}

enum ValueComparison {
    /// Compares `actual` with `expected`; numbers may differ by a relative 1e-12, and every path
    /// where that tolerance was needed is recorded in `relaxed`. Returns the first mismatch.
    static func mismatch(_ actual: Value, _ expected: Value, path: String = "", relaxed: inout [String]) -> String? {
        switch (actual.kind, expected.kind) {
        case (.number(let a), .number(let b)):
            if a == b { return nil }
            if abs(a - b) <= 1e-12 * max(abs(a), abs(b)) {
                relaxed.append(path)
                return nil
            }
            return "\(path): \(a) is not \(b)"
        case (.object(let a), .object(let b)):
            if Set(a.keys) != Set(b.keys) { return "\(path): keys \(a.keys.sorted()) are not \(b.keys.sorted())" }
            for key in a.keys.sorted() {
                if let m = mismatch(a[key]!, b[key]!, path: path.isEmpty ? key : path + "." + key, relaxed: &relaxed) { return m }
            }
            return nil
        case (.list(let a), .list(let b)):
            if a.count != b.count { return "\(path): \(a.count) elements, not \(b.count)" }
            for (i, (x, y)) in zip(a, b).enumerated() {
                if let m = mismatch(x, y, path: "\(path)[\(i)]", relaxed: &relaxed) { return m }
            }
            return nil
        default:
            return actual == expected ? nil : "\(path): \(actual) is not \(expected)"
        }
    }
}
