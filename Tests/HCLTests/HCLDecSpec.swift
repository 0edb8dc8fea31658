import AuditCore
import Foundation
@testable import HCL

// The small subset of hcldec specification files (`.hcldec`) the HCL spec suite uses, read with our
// own parser: `literal`, `object`, `attr`, `block`, `block_list`, `block_map`, plus `variables`.

indirect enum DecSpec {
    case literal(HCL.Expression)
    case object([(name: String, spec: DecSpec)])
    case attr(name: String, required: Bool)
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
        case .attr(let name, let required): return BodySchema(attributes: [.init(name, required: required)])
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
            return .attr(name: name, required: required)
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
