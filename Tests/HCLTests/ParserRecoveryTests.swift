import AuditCore
import Foundation
import Testing
@testable import HCL

/// Malformed input: located diagnostics, partial trees, quiet recovery, bounded depth, no crash.
struct ParserRecoveryTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var input: String
        /// Expected diagnostic ranges, in order.
        var at: [String]
        /// The first diagnostic's summary.
        var summary: String
        /// Names of the top-level items expected in the partial tree.
        var items: [String]
        var testDescription: String { input.debugDescription }
    }

    static let cases: [Case] = [
        Case(input: "a = \"a value\", b = \"b value\"\nc = 1\n", at: ["1:14-1:15@13-14"],
             summary: "Unexpected comma after argument", items: ["a", "c"]),
        Case(input: "\"name\" = 1\nb = 2\n", at: ["1:1-1:7@0-6"], summary: "Argument name must not be quoted", items: ["name", "b"]),
        Case(input: "\"my.key\" = 1\n", at: ["1:1-1:9@0-8"], summary: "Argument name must not be quoted", items: ["my.key"]),
        Case(input: "name 1\nb = 2\n", at: ["1:6-1:7@5-6"], summary: "Missing `=` after argument name", items: ["name", "b"]),
        Case(input: "name: 1\nb = 2\n", at: ["1:5-1:6@4-5"], summary: "Use `=` to set an argument", items: ["name", "b"]),
        Case(input: "name \"x\"\nb = 2\n", at: ["1:9-2:1@8-9"], summary: "Missing `=` or `{`", items: ["b"]),
        Case(input: "name\nb = 2\n", at: ["1:1-1:5@0-4"], summary: "Incomplete argument or block", items: ["b"]),
        Case(input: "a =\nb = 2\n", at: ["1:4-2:1@3-4"], summary: "Missing expression", items: ["a", "b"]),
        Case(input: "a = \"unclosed\nb = 2\n", at: ["1:5-1:6@4-5"], summary: "Unclosed string", items: ["a", "b"]),
        Case(input: "a = \"${foo\"\nb = 2\n", at: ["1:6-1:8@5-7"], summary: "Unclosed template sequence", items: ["a", "b"]),
        Case(input: "a = <<EOT\nfoo\n", at: ["1:5-1:10@4-9"], summary: "Unclosed heredoc", items: ["a"]),
        Case(input: "a = [1, 2\nb = 3\n", at: ["1:5-1:6@4-5"], summary: "Unclosed `[`", items: ["a", "b"]),
        Case(input: "a = f(1,\nb = 3\n", at: ["1:6-1:7@5-6"], summary: "Unclosed `(`", items: ["a", "b"]),
        Case(input: "a = (1 +\nb = 3\n", at: ["1:5-1:6@4-5"], summary: "Unclosed `(`", items: ["a", "b"]),
        Case(input: "a = x[\nb = 3\n", at: ["1:6-1:7@5-6"], summary: "Unclosed `[`", items: ["a", "b"]),
        Case(input: "a = f(1 2)\nb = 3\n", at: ["1:9-1:10@8-9"], summary: "Missing `,` between arguments", items: ["a", "b"]),
        Case(input: "a = f(1, , 2)\nb = 3\n", at: ["1:10-1:11@9-10"], summary: "Invalid expression", items: ["a", "b"]),
        Case(input: "a = {\n x = 1\n y = 2\n", at: ["1:5-1:6@4-5"], summary: "Unclosed `{`", items: ["a"]),
        Case(input: "a = { x = 1 y = 2 }\nb = 1\n", at: ["1:13-1:14@12-13"], summary: "Missing separator between object items", items: ["a", "b"]),
        Case(input: "a = { x => 1 }\n", at: ["1:9-1:11@8-10"], summary: "Use `=` or `:` in an object", items: ["a"]),
        Case(input: "a = { x y = 1 }\n", at: ["1:9-1:10@8-9"], summary: "Missing `=` after object key", items: ["a"]),
        Case(input: "a {\n  b = 1\n", at: ["1:3-1:4@2-3"], summary: "Unclosed block", items: ["a"]),
        Case(input: "a = 1\n}\nb = 2\n", at: ["2:1-2:2@6-7"], summary: "Unexpected `}`", items: ["a", "b"]),
        Case(input: "resource \"a\" \"b\" = {\n}\nc = 1\n", at: ["1:18-1:19@17-18"], summary: "Invalid block definition", items: ["c"]),
        Case(input: "a {\n  b = 1 }\nc = 2\n", at: ["2:9-2:10@12-13"], summary: "Missing line break after argument", items: ["a", "c"]),
        Case(input: "a {\n}  b = 1\nc = 2\n", at: ["2:4-2:5@7-8"], summary: "Missing line break after block", items: ["a", "c"]),
        Case(input: "a \"${x}\" {\n}\n", at: ["1:3-1:9@2-8"], summary: "Invalid block label", items: ["a"]),
        Case(input: "a = 1,\nb = = 2\nc = 3\n", at: ["1:6-1:7@5-6", "2:5-2:6@11-12"], summary: "Unexpected comma after argument", items: ["a", "b", "c"]),
        Case(input: "a = 'x' + 1\nb = 2\n", at: ["1:5-1:8@4-7"], summary: "Single-quoted string", items: ["a", "b"]),
        Case(input: "a = ${var.x}\nb = 2\n", at: ["1:5-1:6@4-5"], summary: "Invalid character `$`", items: ["a", "b"]),
        Case(input: "a = x ? y\nb = 2\n", at: ["1:10-2:1@9-10"], summary: "Missing `:` in conditional", items: ["a", "b"]),
        Case(input: "a = x.\nb = 2\n", at: ["1:7-2:1@6-7"], summary: "Missing attribute name after `.`", items: ["a", "b"]),
        Case(input: "a = x.0.1\n", at: ["1:7-1:10@6-9"], summary: "Invalid legacy index syntax", items: ["a"]),
        Case(input: "a = x.*.*\n", at: ["1:9-1:10@8-9"], summary: "Nested splat not allowed", items: ["a"]),
        Case(input: "a = f(xs..., 1)\n", at: ["1:9-1:12@8-11"], summary: "`...` must follow the last argument", items: ["a"]),
        Case(input: "a = [for x in xs x]\n", at: ["1:18-1:19@17-18"], summary: "Invalid `for` expression", items: ["a"]),
        Case(input: "a = [for k, v in m : k => v]\n", at: ["1:22-1:23@21-22"], summary: "Key expression in a tuple `for`", items: ["a"]),
        Case(input: "a = {for k, v in m : v}\n", at: ["1:22-1:23@21-22"], summary: "Missing key in an object `for`", items: ["a"]),
        Case(input: "a = p::f\n", at: ["1:9-2:1@8-9"], summary: "Missing `(` after function name", items: ["a"]),
        Case(input: "a = \"\\d\"\nb = \"${x}\\w\"\n", at: ["1:6-1:8@5-7", "2:10-2:12@18-20"], summary: "Invalid escape sequence", items: ["a", "b"]),
    ]

    @Test(arguments: cases)
    func recovers(_ c: Case) {
        let file = parseFile(c.input)
        #expect(spots(file.diagnostics) == c.at, "\(file.diagnostics.map { "\(spot($0.range)) \($0.summary)" })")
        #expect(file.diagnostics.first?.summary == c.summary)
        #expect(file.diagnostics.allSatisfy { $0.detail?.isEmpty == false })
        let names = file.body.items.map { item -> String in
            switch item {
            case .attribute(let a): a.name
            case .block(let b): b.type
            }
        }
        #expect(names == c.items)
    }

    @Test func singleLineBlockMistakesFromTheSpecSuiteWithTheirRecovery() {
        let text = "a { b = \"foo\", c = \"bar\" }\na { b = \"foo\"\n}\na { b = \"foo\"\n  c = \"bar\" }\na { b = \"foo\"\n  c = \"bar\"\n}\na { d {} }\nz = 1\n"
        let file = parseFile(text)
        #expect(spots(file.diagnostics) == ["1:14-1:15@13-14", "2:14-3:1@40-41", "4:14-5:1@56-57", "6:14-7:1@84-85", "9:5-9:8@103-106"])
        #expect(file.body.blocks.count == 5)
        // The single argument before each mistake is kept.
        #expect(file.body.blocks.prefix(4).allSatisfy { $0.body.attribute("b")?.expression.staticString == "foo" })
        #expect(file.body.attribute("z") != nil)
    }

    @Test func errorsInsideAnExpressionStayQuietUntilTheNextItem() {
        // One mistake, one diagnostic: the rest of the broken tuple is skipped silently.
        let file = parseFile("a = [1, +, +, +]\nb = [}\nc = 3\n")
        #expect(spots(file.diagnostics) == ["1:9-1:10@8-9", "2:5-2:6@21-22"])
        #expect(file.body.attribute("c") != nil)
    }

    @Test func blockStillClosesAfterAnErrorInside() throws {
        let file = parseFile("outer {\n  a = [1 2]\n  inner {\n    b = 2\n  }\n}\nafter = 1\n")
        #expect(spots(file.diagnostics) == ["2:10-2:11@17-18"])
        let outer = try #require(file.body.blocks.first)
        #expect(outer.body.blocks.map(\.type) == ["inner"])
        #expect(spot(outer.closeBraceRange) == "6:1-6:2@44-45")
        #expect(file.body.attribute("after") != nil)
    }

    // MARK: Depth

    func nested(_ depth: Int, open: String, close: String, core: String = "1") -> String {
        String(repeating: open, count: depth) + core + String(repeating: close, count: depth)
    }

    @Test func nestingBelowTheLimitParses() {
        for (open, close) in [("[", "]"), ("(", ")"), ("{a = ", "}"), ("f(", ")"), ("\"${", "}\"")] {
            let file = parseFile("a = " + nested(200, open: open, close: close) + "\nb = 2\n")
            #expect(file.diagnostics.isEmpty, "\(open): \(file.diagnostics.map(\.summary))")
            #expect(file.body.attributes.count == 2)
        }
        let blocks = nested(200, open: "b {\n", close: "}\n", core: "x = 1\n")
        #expect(parseFile(blocks).diagnostics.isEmpty)
    }

    @Test(arguments: [("[", "]"), ("(", ")"), ("{a = ", "}"), ("f(", ")"), ("\"${", "}\""), ("-", ""), ("!", ""), ("x[", "]")])
    func pathologicalNestingGivesOneDiagnosticAndRecovers(open: String, close: String) {
        let file = parseFile("a = " + nested(5_000, open: open, close: close) + "\nb = 2\n")
        let deep = file.diagnostics.filter { $0.summary == "Nesting too deep" }
        #expect(deep.count == 1)
        #expect(file.diagnostics.count == 1, "\(file.diagnostics.prefix(3).map(\.summary))")
        #expect(file.body.attribute("b") != nil)
    }

    @Test func longOperatorAndTraversalChainsCountTowardsTheLimit() {
        // The parser loops over these, but each step nests the tree one level deeper.
        let sum = parseFile("a = 1" + String(repeating: " + 1", count: 5_000) + "\nb = 2\n")
        #expect(sum.diagnostics.map(\.summary) == ["Nesting too deep"])
        #expect(sum.body.attribute("b") != nil)
        let path = parseFile("a = x" + String(repeating: ".y", count: 5_000) + "\n")
        #expect(path.diagnostics.map(\.summary) == ["Nesting too deep"])
        let splat = parseFile("a = x.*" + String(repeating: ".y", count: 5_000) + "\n")
        #expect(splat.diagnostics.map(\.summary) == ["Nesting too deep"])
        let fine = parseFile("a = 1" + String(repeating: " + 1", count: 200) + "\n")
        #expect(fine.diagnostics.isEmpty)
    }

    @Test func pathologicalBlockNesting() {
        let file = parseFile(nested(5_000, open: "b {\n", close: "}\n", core: "x = 1\n") + "after = 1\n")
        #expect(file.diagnostics.map(\.summary) == ["Nesting too deep"])
        #expect(file.body.attribute("after") != nil)
    }

    @Test func pathologicalSplatsAndDirectives() {
        let splats = parseFile("a = x" + String(repeating: "[*]", count: 5_000) + "\n")
        #expect(splats.diagnostics.map(\.summary) == ["Nesting too deep"])
        let directives = HCLParser.parseTemplate(SourceFile(path: "t", text: nested(5_000, open: "%{ if a }", close: "%{ endif }")))
        #expect(directives.1.map(\.summary) == ["Nesting too deep"])
        let loops = HCLParser.parseTemplate(SourceFile(path: "t", text: nested(5_000, open: "%{ for x in y }", close: "%{ endfor }")))
        #expect(loops.1.map(\.summary) == ["Nesting too deep"])
    }

    /// Runs `body` on a fresh thread with the given stack size and returns its result.
    func onThread<T: Sendable>(stackSize: Int, _ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return box.value!
    }

    @Test func deepInputIsSafeEvenWhenTheCallerHasASmallStack() {
        // Secondary threads often have 512 KiB of stack; the deepest legal nesting must still parse.
        let legal = "a = " + nested(HCLParser.maxNestingDepth - 2, open: "{a = ", close: "}") + "\n"
        let blocks = nested(HCLParser.maxNestingDepth - 1, open: "b {\n", close: "}\n", core: "x = 1\n")
        let tooDeep = "a = " + nested(1_000, open: "[", close: "]") + "\n"
        let summaries = onThread(stackSize: 512 << 10) {
            [legal, blocks, tooDeep].map { parseFile($0).diagnostics.map(\.summary) }
        }
        #expect(summaries == [[], [], ["Nesting too deep"]])
    }

    @Test func unbalancedGarbageDoesNotHang() {
        for text in [String(repeating: "{", count: 20_000), String(repeating: "}", count: 20_000),
                     String(repeating: "[", count: 20_000), String(repeating: "\"${", count: 10_000),
                     String(repeating: "a = ", count: 10_000), String(repeating: "<<EOT\n", count: 10_000),
                     String(repeating: "%{", count: 10_000), String(repeating: "a {", count: 5_000)] {
            let file = parseFile(text)
            #expect(!file.diagnostics.isEmpty)
            #expect(file.diagnostics.allSatisfy { $0.range.end.offset <= text.utf8.count })
        }
    }
}
