import AuditCore
import Testing
@testable import HCL

/// Quoted templates, heredocs and whole-file templates.
struct ParserTemplateTests {
    func shape(_ value: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let (e, diagnostics) = parseExpr(value)
        #expect(diagnostics.isEmpty, "\(value): \(diagnostics.map { "\(spot($0.range)) \($0.summary)" })", sourceLocation: sourceLocation)
        return tree(e)
    }

    func templateFile(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let (parts, diagnostics) = HCLParser.parseTemplate(SourceFile(path: "t.tpl", text: text))
        #expect(diagnostics.isEmpty, "\(diagnostics.map { "\(spot($0.range)) \($0.summary)" })", sourceLocation: sourceLocation)
        return tree(parts)
    }

    @Test(arguments: [
        (#""""#, "(tpl '')"),
        (#""plain""#, "(tpl 'plain')"),
        (#""a\nb\tc\rd\"e\\f""#, "(tpl 'a\nb\tc\rd\"e\\f')"),
        (#""\u00e9\U0001F600""#, "(tpl 'é😀')"),
        (#""$${literal} %%{literal} $ % $$ %%""#, "(tpl '${literal} %{literal} $ % $$ %%')"),
        (#""${x}""#, "(tpl ${x})"),
        (#""a ${b} c""#, "(tpl 'a ' ${b} ' c')"),
        (#""${a}${b}""#, "(tpl ${a} ${b})"),
        (#""${"nested ${x}"}""#, "(tpl ${(tpl 'nested ' ${x})})"),
        (#""${ {a = "}"}.a }""#, "(tpl ${{'a'=(tpl '}')}.a})"),
        (#""%{ if a }yes%{ endif }""#, "(tpl %if(a ['yes'] []))"),
        (#""%{ if a }yes%{ else }no%{ endif }""#, "(tpl %if(a ['yes'] ['no']))"),
        (#""%{ for x in xs }${x},%{ endfor }""#, "(tpl %for(x xs [${x} ',']))"),
        (#""%{ for k, v in m }${k}=${v}%{ endfor }""#, "(tpl %for(k,v m [${k} '=' ${v}]))"),
        (#""%{if a}%{if b}x%{else}y%{endif}%{endif}""#, "(tpl %if(a [%if(b ['x'] ['y'])] []))"),
        // Strip markers remove the whitespace next to them, line breaks included.
        (#""hello ${~ "world" }""#, "(tpl 'hello' ${(tpl 'world')})"),
        (#""a  ${ x ~}  b""#, "(tpl 'a  ' ${x} 'b')"),
        (#""${"a" ~} ${"b"}""#, "(tpl ${(tpl 'a')} ${(tpl 'b')})"),
        // NFC: a combining tilde after n becomes the precomposed ñ.
        ("\"an\u{0303}o\"", "(tpl 'a\u{00F1}o')"),
    ])
    func quotedTemplates(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test func normalisationProducesPrecomposedScalars() throws {
        let (e, _) = parseExpr("\"an\u{0303}o\"")
        let s = try #require(e.staticString)
        #expect(Array(s.unicodeScalars) == Array("a\u{00F1}o".unicodeScalars))
    }

    @Test func stripMarkersInDirectivesTrimAcrossLines() {
        let text = "x = <<EOT\n%{ if true ~}\n  hello\n%{~ endif }\nEOT\n"
        let file = parseFile(text)
        #expect(file.diagnostics.isEmpty)
        #expect(tree(file.body.attribute("x")!.expression) == "(tpl %if(true ['hello'] []) '\n')")
    }

    @Test func templateRangesAndLiteralRanges() throws {
        let (e, _) = parseExpr("\"ab ${c} d\"")
        #expect(spot(e.range) == "1:1-1:12@0-11")
        guard case .template(let parts) = e.kind, parts.count == 3 else { Issue.record("not a 3-part template"); return }
        guard case .literal("ab ", let r0) = parts[0], case .interpolation(let c) = parts[1], case .literal(" d", let r2) = parts[2] else {
            Issue.record("unexpected parts \(tree(parts))")
            return
        }
        #expect(spot(r0) == "1:2-1:5@1-4")
        #expect(spot(c.range) == "1:7-1:8@6-7")
        #expect(spot(r2) == "1:9-1:11@8-10")
    }

    @Test func directiveRanges() throws {
        let (e, _) = parseExpr("\"%{ if a }x%{ endif }\"")
        guard case .template(let parts) = e.kind, case .conditional(_, _, _, let r)? = parts.first else {
            Issue.record("no conditional")
            return
        }
        #expect(spot(r) == "1:2-1:22@1-21")
    }

    @Test func heredocs() {
        let file = parseFile("""
        plain = <<EOT
        Foo
          Bar
        EOT
        indented = <<EOT
            Foo
            Bar
          EOT
        flush = <<-EOT
            Foo
              ${bar}
            Baz
          EOT
        empty = <<EOT
        EOT
        with_quotes = <<JSON
        {"a": "${x}", "b": "\\n"}
        JSON

        """)
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.summary))")
        func value(_ name: String) -> String { tree(file.body.attribute(name)!.expression) }
        #expect(value("plain") == "(tpl 'Foo\n  Bar\n')")
        #expect(value("indented") == "(tpl '    Foo\n    Bar\n')")
        #expect(value("flush") == "(tpl 'Foo\n  ' ${bar} '\nBaz\n')")
        #expect(value("empty") == "(tpl '')")
        // Heredocs do not process backslash escapes.
        #expect(value("with_quotes") == "(tpl '{\"a\": \"' ${x} '\", \"b\": \"\\n\"}\n')")
    }

    @Test func flushHeredocIgnoresBlankLinesAndCountsUnicodeSpaces() {
        let file = parseFile("a = <<-EOT\n    x\n\n      y\n   \u{2003}z\nEOT\n")
        #expect(file.diagnostics.isEmpty)
        #expect(tree(file.body.attribute("a")!.expression) == "(tpl 'x\n\n  y\nz\n')")
    }

    @Test func flushHeredocWithInterpolationAtLineStartKeepsIndentation() {
        let file = parseFile("a = <<-EOT\n  x\n${y}\nEOT\n")
        #expect(tree(file.body.attribute("a")!.expression) == "(tpl '  x\n' ${y} '\n')")
    }

    @Test func heredocRange() throws {
        let file = parseFile("a = <<-EOT\n  x\n  EOT\nb = 1\n")
        let a = try #require(file.body.attribute("a"))
        #expect(spot(a.expression.range) == "1:5-3:6@4-20")
        #expect(spot(a.range) == "1:1-3:6@0-20")
        #expect(file.body.attribute("b") != nil)
    }

    @Test func heredocInsideFunctionCall() {
        let file = parseFile("a = trimspace(<<EOT\n  x\nEOT\n)\nb = 2\n")
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.summary))")
        #expect(tree(file.body.attribute("a")!.expression) == "trimspace((tpl '  x\n'))")
    }

    @Test func wholeFileTemplates() {
        #expect(templateFile("") == "")
        #expect(templateFile("#!/bin/bash\necho \"${name}\" # not a comment\n") == "'#!/bin/bash\necho \"' ${name} '\" # not a comment\n'")
        #expect(templateFile("%{ for r in runners ~}\n- ${r}\n%{ endfor ~}\ndone") == "%for(r runners ['- ' ${r} '\n']) 'done'")
        #expect(templateFile("$${HOME} %%{x} \\n") == "'${HOME} %{x} \\n'")
        #expect(templateFile("%{ if a ~}\nA\n%{~ else ~}\nB\n%{~ endif }") == "%if(a ['A'] ['B'])")
    }

    @Test func templateFileCanSpanInterpolationAcrossLines() {
        #expect(templateFile("${join(\",\",\n  list)}") == "${join((tpl ',') list)}")
    }

    @Test(arguments: [
        ("%{ if a }x", "1:1-1:10@0-9", "Unclosed `if` directive"),
        ("%{ for x in y }x", "1:1-1:16@0-15", "Unclosed `for` directive"),
        ("x%{ endfor }", "1:2-1:13@1-12", "Unexpected `endfor` directive"),
        ("%{ else }", "1:1-1:10@0-9", "Unexpected `else` directive"),
        ("%{ while x }", "1:4-1:9@3-8", "Invalid template directive"),
        ("${", "1:1-1:3@0-2", "Unclosed template sequence"),
        ("${ a b }", "1:6-1:7@5-6", "Missing `}` after interpolation"),
        ("%{ for in y }%{ endfor }", "1:11-1:12@10-11", "Invalid `for` directive"),
    ])
    func templateErrors(input: String, at expected: String, summary: String) {
        let (_, diagnostics) = HCLParser.parseTemplate(SourceFile(path: "t.tpl", text: input))
        #expect(diagnostics.map { spot($0.range) } == [expected], "\(diagnostics.map(\.summary))")
        #expect(diagnostics.first?.summary == summary)
    }

    @Test(arguments: [
        (#""\q""#, "1:2-1:4@1-3"),
        (#""\u12""#, "1:2-1:6@1-5"),
        (#""\UZZ""#, "1:2-1:4@1-3"),
        (#""\uD800""#, "1:2-1:8@1-7"),
        (#""ok \""#, "1:1-1:2@0-1"),
    ])
    func invalidEscapes(input: String, at expected: String) {
        let (_, diagnostics) = parseExpr(input)
        #expect(diagnostics.map { spot($0.range) } == [expected], "\(diagnostics.map(\.summary))")
    }
}
