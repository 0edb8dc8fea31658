import AuditCore
import HCL
import Testing

/// Calls of valid Terraform functions are never "unknown function" errors, whether ghr-audit
/// computes them or not.
@Suite struct FunctionCoverageTests {
    static func evaluate(_ text: String) -> (Value, [Diagnostic]) {
        let source = SourceFile(path: "main.tf", text: text)
        let (expression, parseDiagnostics) = HCLParser.parseExpression(source)
        #expect(parseDiagnostics.isEmpty)
        return Evaluator.evaluate(expression, in: EvalContext(variables: [:], fileSystem: MemoryFileSystem([:]), moduleDirectory: ""))
    }

    @Test(arguments: [#"sha256("a")"#, #"cidrsubnet("10.0.0.0/16", 8, 1)"#, #"formatdate("YYYY", "2024-01-01T00:00:00Z")"#,
                      #"provider::aws::arn_parse("arn:aws:iam::1:role/x")"#, #"issensitive("a")"#])
    func notEvaluatedFunctionsAreUnknownWithoutError(_ text: String) {
        let (value, diagnostics) = Self.evaluate(text)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.summary))")
        #expect(value.isUnknown)
        #expect(value.origin?.start.offset == 0)
    }

    @Test func aMisspeltFunctionIsStillReported() throws {
        let (value, diagnostics) = Self.evaluate(#"regx("a", "b")"#)
        #expect(value.isUnknown)
        let d = try #require(diagnostics.first)
        #expect(d.summary.hasPrefix("Call to unknown function"))
        #expect(d.detail?.contains("Did you mean `regex`?") == true)
    }

    @Test func regexWithoutMatchIsAnError() throws {
        let (value, diagnostics) = Self.evaluate(#"regex("[0-9]+", "none")"#)
        #expect(value.isUnknown)
        let d = try #require(diagnostics.first)
        #expect(d.summary == "Error in `regex` call")
        #expect(d.detail == "pattern did not match any part of the given string.")
        #expect(d.range.start.column == 7)
    }

    @Test func regexRejectsMixedGroups() throws {
        let (_, diagnostics) = Self.evaluate(#"regex("(?P<a>x)(y)", "xy")"#)
        #expect(diagnostics.first?.detail == "invalid regular expression: cannot mix both named and unnamed capture groups.")
    }

    @Test func sensitiveKeepsTheValueAndItsOrigin() {
        let (value, diagnostics) = Self.evaluate(#"sensitive({ ami = "ubuntu-*" })"#)
        #expect(diagnostics.isEmpty)
        #expect(value["ami"] == .string("ubuntu-*"))
        #expect(value["ami"]?.origin?.start.column == 19)
    }
}
