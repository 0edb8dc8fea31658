import AuditCore
import Foundation
@testable import HCL
import Testing
import TestSupport

/// Bounded evaluation (issue 21, section 2): whatever an expression asks for, the value grows no
/// larger than `Limits` allow, the run stops after its budget, and every limit hit is a located
/// `CORE-007` diagnostic naming the expression. Time and memory bounds are loose (many times the
/// expected cost) so the tests are not flaky.
@Suite("Evaluation budget")
struct EvaluationBudgetTests {
    static func parse(_ text: String) -> HCL.Expression {
        HCLParser.parseExpression(SourceFile(path: "main.tf", text: text)).0
    }

    /// Evaluates `locals` the way a module does (each local sees the ones before it), returning the
    /// last value and every diagnostic.
    static func chain(_ locals: [(String, String)], budget: EvaluationBudget = EvaluationBudget()) -> (Value, [Diagnostic]) {
        var values: [String: Value] = [:]
        var diagnostics: [Diagnostic] = []
        var last = Value.null
        for (name, text) in locals {
            let ctx = EvalContext(variables: ["local": .object(values)], budget: budget)
            let (v, d) = Evaluator.evaluate(parse(text), in: ctx)
            values[name] = v
            diagnostics += d
            last = v
        }
        return (last, diagnostics)
    }

    @Test func stringDoubledThroughThirtyLocalsStopsAtTheLimit() {
        var locals = [("s0", "\"x\"")]
        for i in 1...30 { locals.append(("s\(i)", "\"${local.s\(i - 1)}${local.s\(i - 1)}\"")) }
        let start = Date()
        let (v, diagnostics) = Self.chain(locals)
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(v.isUnknown)
        let limits = diagnostics.filter { $0.code == DiagnosticCode.limit }
        // 2^23 bytes is the limit: s24 is the first local over it, and only it is reported (the
        // later ones are unknown because it is).
        #expect(limits.count == 1)
        #expect(limits.first?.summary == "Evaluation limit exceeded")
        #expect(limits.first?.detail?.contains("8 MiB") == true)
        #expect(limits.first?.range.start.column == 1)
    }

    @Test(arguments: [
        ("join", "join(\",\", [for i in range(1000) : local.big])"),
        ("replace", "replace(local.big, \"x\", local.big)"),
        ("replace with a regex", "replace(local.big, \"/x/\", \"$0$0$0$0$0$0$0$0$0$0$0$0\")"),
        ("indent", "indent(1000000, join(\"\\n\", [for i in range(1000) : \"x\"]))"),
        ("jsonencode", "jsonencode([for i in range(1000) : local.big])"),
        ("split", "split(\"\", join(\"\", [for i in range(1000) : local.big]))"),
        ("concat", "concat([for i in range(1000) : [for j in range(1000) : j]]...)"),
        ("flatten", "flatten([for i in range(1000) : [for j in range(1000) : j]])"),
    ])
    func amplifyingFunctionsAreCheckedBeforeBuilding(_ name: String, _ expression: String) {
        let big = String(repeating: "x", count: 1 << 20)
        let ctx = EvalContext(variables: ["local": .object(["big": .string(big)])])
        let start = Date()
        let (v, diagnostics) = Evaluator.evaluate(Self.parse(expression), in: ctx)
        #expect(Date().timeIntervalSince(start) < 20, "\(name)")
        #expect(v.isUnknown, "\(name)")
        #expect(diagnostics.contains { $0.code == DiagnosticCode.limit }, "\(name): \(diagnostics.map(\.summary))")
    }

    /// The memory these evaluations take, measured on the audit alone: the string doubled through
    /// thirty locals and every amplifying function above, as locals a runner module call reads,
    /// audited by the built `ghr-audit` in a child process of its own (this process's peak is a
    /// high-water mark over every test that ran before it; see `MeasuredChild`).
    @Test func amplifyingEvaluationsStayWithinBoundedMemory() throws {
        let binary = try #require(TestPaths.builtProduct("ghr-audit"), "the built ghr-audit is needed to measure an audit's memory")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-budget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var locals = ["  s0 = \"x\""] + (1...30).map { "  s\($0) = \"${local.s\($0 - 1)}${local.s\($0 - 1)}\"" }
        locals.append("  big = join(\"\", [for i in range(1024) : \"\(String(repeating: "x", count: 1024))\"])")
        let amplifying = [
            "join(\",\", [for i in range(1000) : local.big])", "replace(local.big, \"x\", local.big)",
            "replace(local.big, \"/x/\", \"$0$0$0$0$0$0$0$0$0$0$0$0\")", "indent(1000000, join(\"\\n\", [for i in range(1000) : \"x\"]))",
            "jsonencode([for i in range(1000) : local.big])", "split(\"\", join(\"\", [for i in range(1000) : local.big]))",
            "concat([for i in range(1000) : [for j in range(1000) : j]]...)", "flatten([for i in range(1000) : [for j in range(1000) : j]])",
        ]
        locals += amplifying.enumerated().map { "  a\($0.offset) = \($0.element)" }
        let labels = (["local.s30"] + amplifying.indices.map { "local.a\($0)" }).joined(separator: ", ")
        let main = """
        locals {
        \(locals.joined(separator: "\n"))
        }
        module "runners" {
          source              = "github-aws-runners/github-runner/aws"
          version             = "3.6.1"
          runner_extra_labels = [\(labels)]
        }

        """
        try Data(main.utf8).write(to: root.appendingPathComponent("main.tf"))
        let run = try MeasuredChild.run(binary, ["check", root.path, "--target", "4.1.0", "--format", "compact", "--fail-on", "none"])
        #expect(run.status == 0)
        let output = String(decoding: run.stdout, as: UTF8.self)
        // The evaluations did run: each limit is a located finding on main.tf.
        #expect(output.split(separator: "\n").filter { $0.contains("CORE-007") }.count >= 1, "\(output)")
        #expect(run.peakMB < 1_000, "peak RSS \(run.peakMB) MB")
    }

    @Test func theRunsStepBudgetIsSharedAndReportedOnce() {
        let budget = EvaluationBudget(maxSteps: 50_000)
        let expression = Self.parse("[for i in range(1000) : [for j in range(100) : i * j]]")
        var results: [Value] = []
        var diagnostics: [Diagnostic] = []
        for _ in 0..<3 {
            let (v, d) = Evaluator.evaluate(expression, in: EvalContext(budget: budget))
            results.append(v)
            diagnostics += d
        }
        #expect(results.allSatisfy { $0.isUnknown })
        #expect(diagnostics.filter { $0.code == DiagnosticCode.limit }.count == 1)
        #expect(budget.exceeded.count == 1)
        #expect(budget.exceeded.first?.detail?.contains("evaluation steps") == true)
        // Well within: the same expression under the default budget is known.
        #expect(!Evaluator.evaluate(expression, in: EvalContext()).0.containsUnknown)
    }

    /// A limit is no failure `try` can swallow: the value stays unknown instead of the fallback.
    @Test func tryAndCanDoNotTurnALimitIntoAFallback() {
        let big = String(repeating: "x", count: 1 << 20)
        let ctx = EvalContext(variables: ["local": .object(["big": .string(big)])])
        for text in ["try(join(\"\", [for i in range(100) : local.big]), \"small\")", "can(join(\"\", [for i in range(100) : local.big]))"] {
            let (v, diagnostics) = Evaluator.evaluate(Self.parse(text), in: ctx)
            #expect(v.isUnknown, "\(text)")
            #expect(diagnostics.contains { $0.code == DiagnosticCode.limit }, "\(text)")
        }
    }

    @Test func ordinaryValuesAreUntouched() {
        let (v, diagnostics) = Self.chain([("a", "\"0123456789abcdef\""), ("b", "join(\"-\", [for i in range(1000) : local.a])"),
                                           ("c", "length(split(\"-\", local.b))")])
        #expect(v == .number(1000))
        #expect(diagnostics.isEmpty)
    }
}
