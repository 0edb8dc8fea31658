import AuditCore
import HCL
import Knowledge
import Testing
@testable import Terraform

@Suite struct TypeConstraintTests {
    static func expression(_ text: String) -> Expression {
        HCLParser.parseExpression(SourceFile(path: "t.tf", text: text)).0
    }

    static func value(_ text: String) -> Value {
        Evaluator.evaluate(expression(text), in: EvalContext(variables: [:], fileSystem: MemoryFileSystem([:]), moduleDirectory: "")).0
    }

    static func convert(_ valueText: String, to typeText: String) throws -> Value {
        let type = try #require(TypeConstraint(expression(typeText)), "not a type: \(typeText)")
        return type.convert(value(valueText)) { value(SourceFile(path: "t.tf", text: typeText).text(of: $0.range)) }
    }

    @Test func optionalAttributesAreFilledAndUndeclaredOnesDropped() throws {
        let v = try Self.convert(
            #"{ name = "a", extra = 1 }"#,
            to: #"object({ name = string, ephemeral = optional(bool, true), group = optional(string) })"#)
        #expect(v == .object(["name": .string("a"), "ephemeral": .bool(true), "group": .null]))
    }

    @Test func aNullOptionalAttributeTakesItsDefault() throws {
        let v = try Self.convert(#"{ size = null }"#, to: #"object({ size = optional(number, 30) })"#)
        #expect(v["size"] == .number(30))
    }

    @Test func defaultsApplyInsideMapsListsAndNestedDefaults() throws {
        let type = #"map(object({ runner = optional(object({ jit = optional(bool, false), os = optional(string, "linux") }), {}) }))"#
        let v = try Self.convert(#"{ a = {}, b = { runner = { jit = true } } }"#, to: type)
        #expect(v["a"]?["runner"] == .object(["jit": .bool(false), "os": .string("linux")]))
        #expect(v["b"]?["runner"] == .object(["jit": .bool(true), "os": .string("linux")]))
        let list = try Self.convert(#"[{}, { n = 2 }]"#, to: #"list(object({ n = optional(number, 1) }))"#)
        #expect(list == .list([.object(["n": .number(1)]), .object(["n": .number(2)])]))
    }

    @Test func primitivesConvertAsTerraformConvertsThem() throws {
        #expect(try Self.convert(#""true""#, to: "bool") == .bool(true))
        #expect(try Self.convert(#""5""#, to: "number") == .number(5))
        #expect(try Self.convert("5", to: "string") == .string("5"))
        #expect(try Self.convert("true", to: "string") == .string("true"))
        // What does not convert is left alone: the audit reports no type errors.
        #expect(try Self.convert(#""yes""#, to: "bool") == .string("yes"))
    }

    @Test func convertedValuesKeepTheirOrigin() throws {
        let source = SourceFile(path: "t.tf", text: #"{ on = "true" }"#)
        let given = Evaluator.evaluate(HCLParser.parseExpression(source).0, in: EvalContext(variables: [:], fileSystem: MemoryFileSystem([:]), moduleDirectory: "")).0
        let type = try #require(TypeConstraint(HCLParser.parseExpression(SourceFile(path: "t.tf", text: #"object({ on = bool, off = optional(bool, false) })"#)).0))
        let typeSource = SourceFile(path: "t.tf", text: #"object({ on = bool, off = optional(bool, false) })"#)
        let ctx = EvalContext(variables: [:], fileSystem: MemoryFileSystem([:]), moduleDirectory: "")
        let v = type.convert(given) { Evaluator.evaluate($0, in: ctx).0 }
        #expect(v["on"] == .bool(true))
        #expect(v["on"]?.origin.map { source.text(of: $0) } == #""true""#)
        #expect(v["off"]?.origin.map { typeSource.text(of: $0) } == "false")
        #expect(v.origin == given.origin)
    }

    @Test(arguments: ["any", "string", "list(string)", "map(any)", "set(number)", "tuple([string, number])", "list", "map"])
    func readsTypeExpressions(_ text: String) {
        #expect(TypeConstraint(Self.expression(text)) != nil)
    }

    @Test(arguments: ["var.x", "\"string\"", "object(1)", "list(string, number)", "optional(bool)"])
    func otherExpressionsAreNotTypes(_ text: String) {
        #expect(TypeConstraint(Self.expression(text)) == nil)
    }

    @Test func unknownAndNullValuesPassThrough() throws {
        let type = try #require(TypeConstraint(Self.expression("object({ a = optional(bool, true) })")))
        let unknown = Value.unknown("not known")
        #expect(type.convert(unknown) { _ in .null }.isUnknown)
        #expect(type.convert(.null) { _ in .null }.isNull)
    }

    /// INP-210: required attributes a value leaves out, at any depth; optional ones and unknown
    /// values are never missing.
    @Test func missingRequiredAttributesAreNamedByPath() throws {
        let type = try #require(TypeConstraint(Self.expression(
            #"object({ id = string, key = optional(string), schedule = list(object({ cron = string, count = number })) })"#)))
        #expect(type.missingAttributes(in: Self.value(#"{ key = "k", schedule = [{ cron = "x" }, { cron = "y", count = 1 }] }"#))
            == ["id", "schedule[0].count"])
        #expect(type.missingAttributes(in: Self.value(#"{ id = "1", schedule = [] }"#)).isEmpty)
        #expect(type.missingAttributes(in: .unknown("not known")).isEmpty)
        #expect(type.missingAttributes(in: .object(["schedule": .unknown("x")])) == ["id"])
        let map = try #require(TypeConstraint(Self.expression(#"map(object({ id = string }))"#)))
        #expect(map.missingAttributes(in: Self.value(#"{ a = { id = "1" }, b = {} }"#)) == [#"["b"].id"#])
    }

    /// The knowledge base stores each type as HCL source in normal form: every one of them (at each
    /// input's last release and on both sides of every type change, in every scope) parses without
    /// error, is already in normal form, and reads as a type (an object field's type, possibly
    /// `optional(type, default)`, as the attribute of an object type).
    @Test func everyKnowledgeBaseTypeParsesAsAType() throws {
        let kb = try KnowledgeBase.load()
        var checked = 0, objects = 0
        for scope in InputScope.allCases {
            for name in kb.allInputs(scope: scope).sorted() {
                let life = try #require(kb.lifespan(scope: scope, name: name))
                let texts = [life.type].compactMap { $0 } + life.typeChanges.flatMap { [$0.from, $0.to] }
                for text in texts {
                    checked += 1
                    if text.contains("object(") { objects += 1 }
                    let (e, diagnostics) = HCLParser.parseExpression(SourceFile(path: "type", text: text))
                    #expect(diagnostics.isEmpty, "\(scope).\(name): `\(text)` does not parse: \(diagnostics.map(\.summary))")
                    #expect(e.normalizedSource == text, "\(scope).\(name): `\(text)` is not in normal form")
                    let type = scope.isVariableScope ? TypeConstraint(source: text) : TypeConstraint(source: "object({ field = \(text) })")
                    #expect(type != nil, "\(scope).\(name): `\(text)` is not read as a type")
                }
            }
        }
        #expect(checked > 400 && objects > 50, "\(checked) types, \(objects) object types")
    }

    @Test func sourceTextReadsLikeTheExpression() throws {
        let type = try #require(TypeConstraint(source: "object({ a = string, b = optional(number, 3) })"))
        #expect(type.missingAttributes(in: Self.value("{ b = 1 }")) == ["a"])
        // Attributes must be separated (a comma or a line break), as Terraform requires.
        #expect(TypeConstraint(source: "object({ a = string b = number })") == nil)
        #expect(TypeConstraint(source: "object({\n  a = string\n  b = number\n})") != nil)
    }
}
