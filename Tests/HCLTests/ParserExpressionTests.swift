import AuditCore
import Testing
@testable import HCL

/// The expression language: every form, its tree and representative exact ranges.
struct ParserExpressionTests {
    /// Parses `value` as a standalone expression and renders its tree; fails on diagnostics.
    func shape(_ value: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let (e, diagnostics) = parseExpr(value)
        #expect(diagnostics.isEmpty, "\(value): \(diagnostics.map { "\(spot($0.range)) \($0.summary)" })", sourceLocation: sourceLocation)
        return tree(e)
    }

    @Test(arguments: [
        ("5", "5"), ("3.25", "3.25"), ("1e3", "1000"), ("1.5E-2", "0.015"), ("2e+2", "200"), ("-7", "-7"), ("- 1.5", "-1.5"),
        ("true", "true"), ("false", "false"), ("null", "null"),
    ])
    func literals(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test(arguments: [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (paren (+ 1 2)) 3)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c % d", "(% (* (/ a b) c) d)"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a == b && c != d", "(&& (== a b) (!= c d))"),
        ("a < b == c >= d", "(== (< a b) (>= c d))"),
        ("a <= b || c > d", "(|| (<= a b) (> c d))"),
        ("!a && -b < c", "(&& (! a) (< (- b) c))"),
        ("!!a", "(! (! a))"),
        ("-a.b[0]", "(- a.b[0])"),
        ("- -1", "(- -1)"),
        ("1 - -1", "(- 1 -1)"),
        ("a ? b : c", "(? a b c)"),
        ("a ? b : c ? d : e", "(? a b (? c d e))"),
        ("a || b ? c + 1 : d", "(? (|| a b) (+ c 1) d)"),
        ("x == null ? [] : [x]", "(? (== x null) [] [x])"),
    ])
    func operatorsAndPrecedence(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test func everyBinaryOperatorParses() {
        for op in BinaryOperator.allCases {
            #expect(shape("a \(op.rawValue) b") == "(\(op.rawValue) a b)")
        }
    }

    @Test(arguments: [
        ("var.name", "var.name"),
        ("local.a.b.c", "local.a.b.c"),
        ("a[0]", "a[0]"),
        ("a[\"k\"].b", "a[(tpl 'k')].b"),
        ("a[var.i + 1]", "a[(+ var.i 1)]"),
        ("a.0", "a[0]"),
        ("a.0.b", "a[0].b"),
        ("aws_instance.web[count.index].id", "aws_instance.web[count.index].id"),
        ("data.aws_iam_policy_document.x.json", "data.aws_iam_policy_document.x.json"),
        ("module.runners.lambda_syncer_name", "module.runners.lambda_syncer_name"),
        ("a[\n0\n]", "a[0]"),
        ("f(x).y[1]", "f(x).y[1]"),
        ("[1, 2][0]", "[1 2][0]"),
        ("{a = 1}.a", "{'a'=1}.a"),
        ("\"s\".x", "(tpl 's').x"),
    ])
    func traversals(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test(arguments: [
        // Full splat: everything after `[*]` applies to each element.
        ("a[*]", "(splat a @)"),
        ("a[*].b", "(splat a @.b)"),
        ("a[*].b[0].c", "(splat a @.b[0].c)"),
        ("a[*].b[*].c", "(splat a (splat @.b @.c))"),
        ("aws_iam_role.r[*].arn", "(splat aws_iam_role.r @.arn)"),
        // Attribute-only splat: only `.name` steps apply per element; an index ends it.
        ("a.*", "(splat a @)"),
        ("a.*.b.c", "(splat a @.b.c)"),
        ("a.*.b[0]", "(splat a @.b)[0]"),
        ("a.*.b.0", "(splat a @.b[0])"),
        ("a.*.b[*].c", "(splat (splat a @.b) @.c)"),
    ])
    func splats(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test func splatRanges() throws {
        let (e, _) = parseExpr("aws_iam_role.r[*].arn")
        #expect(spot(e.range) == "1:1-1:22@0-21")
        guard case .splat(let source, let each) = e.kind else { Issue.record("not a splat"); return }
        #expect(spot(source.range) == "1:1-1:15@0-14")
        #expect(spot(each.range) == "1:15-1:22@14-21")
        guard case .getAttribute(let item, "arn", let nameRange) = each.kind else { Issue.record("not an attribute"); return }
        #expect(spot(item.range) == "1:15-1:18@14-17")
        #expect(spot(nameRange) == "1:19-1:22@18-21")
    }

    @Test(arguments: [
        ("[]", "[]"),
        ("[1, 2, 3]", "[1 2 3]"),
        ("[1, 2,]", "[1 2]"),
        ("[\n  1,\n  2\n]", "[1 2]"),
        ("[[1], [2, [3]]]", "[[1] [2 [3]]]"),
        ("{}", "{}"),
        ("{a = 1, b = 2}", "{'a'=1 'b'=2}"),
        ("{a = 1, b = 2,}", "{'a'=1 'b'=2}"),
        ("{\n  a = 1\n  b: 2\n\n  c = 3,\n}", "{'a'=1 'b'=2 'c'=3}"),
        ("{\"a-b\" = 1}", "{~(tpl 'a-b')=1}"),
        ("{\"a\": 1, \"b\": [2]}", "{~(tpl 'a')=1 ~(tpl 'b')=[2]}"),
        ("{(var.k) = 1}", "{~(paren var.k)=1}"),
        ("{\"${var.p}-x\" = 1}", "{~(tpl ${var.p} '-x')=1}"),
        ("{a = {b = {c = []}}}", "{'a'={'b'={'c'=[]}}}"),
        ("{a = [\n 1,\n 2]\n b = 3}", "{'a'=[1 2] 'b'=3}"),
        ("{ a = 1 }", "{'a'=1}"),
    ])
    func collections(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test func objectRanges() throws {
        let (e, _) = parseExpr("{\n  name = \"x\"\n  \"k\": 1\n}")
        #expect(spot(e.range) == "1:1-4:2@0-25")
        guard case .object(let items) = e.kind else { Issue.record("not an object"); return }
        #expect(items.count == 2)
        #expect(items[0].bareKey)
        #expect(spot(items[0].key.range) == "2:3-2:7@4-8")
        #expect(spot(items[0].value.range) == "2:10-2:13@11-14")
        #expect(!items[1].bareKey)
        #expect(spot(items[1].key.range) == "3:3-3:6@17-20")
    }

    @Test(arguments: [
        ("f()", "f()"),
        ("f(1)", "f(1)"),
        ("f(1, 2,)", "f(1 2)"),
        ("f(a, [1, 2]...)", "f(a [1 2]...)"),
        ("merge(\n  var.a,\n  { b = 1 },\n)", "merge(var.a {'b'=1})"),
        ("provider::aws::arn_parse(x)", "provider::aws::arn_parse(x)"),
        ("upper(lower(\"x\"))", "upper(lower((tpl 'x')))"),
        ("f(a ? b : c)", "f((? a b c))"),
    ])
    func functionCalls(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test func functionCallRanges() throws {
        let (e, _) = parseExpr("provider::aws::arn_parse( x )")
        guard case .functionCall(let name, let nameRange, let args, false) = e.kind else { Issue.record("not a call"); return }
        #expect(name == "provider::aws::arn_parse")
        #expect(spot(nameRange) == "1:1-1:25@0-24")
        #expect(args.map { spot($0.range) } == ["1:27-1:28@26-27"])
        #expect(spot(e.range) == "1:1-1:30@0-29")
    }

    @Test(arguments: [
        ("[for x in xs : x]", "(for x xs : x)"),
        ("[for i, x in xs : x.id if i > 0]", "(for i,x xs : x.id if (> i 0))"),
        ("{for k, v in m : k => v}", "(for k,v m : k => v)"),
        ("{for k, v in m : v.group => k...}", "(for k,v m : v.group => k...)"),
        ("{for k, v in m : upper(k) => v if v != null}", "(for k,v m : upper(k) => v if (!= v null))"),
        ("[\n  for x in xs :\n  x\n  if x != \"\"\n]", "(for x xs : x if (!= x (tpl '')))"),
        ("{\n  for k, v in m :\n  k => v\n}", "(for k,v m : k => v)"),
        ("[for x in [for y in ys : y] : x]", "(for x (for y ys : y) : x)"),
    ])
    func forExpressions(input: String, expected: String) {
        #expect(shape(input) == expected)
    }

    @Test func forExpressionRange() {
        let (e, _) = parseExpr("{for k, v in m : k => v}")
        #expect(spot(e.range) == "1:1-1:25@0-24")
    }

    @Test func parenthesesAllowLineBreaks() {
        #expect(shape("(\n  a\n  ? b\n  : c\n)") == "(paren (? a b c))")
        #expect(shape("(a +\n b)") == "(paren (+ a b))")
    }

    @Test func standaloneExpressionAllowsSurroundingLineBreaks() {
        #expect(shape("\n\n[1,2]\n\n") == "[1 2]")
        let (_, diagnostics) = parseExpr("1 2")
        #expect(spots(diagnostics) == ["1:3-1:4@2-3"])
        #expect(diagnostics.first?.summary == "Extra characters after expression")
    }

    @Test func attributeEndsAtTheLineBreak() {
        let file = parseFile("a = b\n.c = 1\n")
        // `.c` on the next line is not a traversal of `b`; it is an invalid body item.
        #expect(tree(file.body.attribute("a")!.expression) == "b")
        #expect(spots(file.diagnostics) == ["2:1-2:2@6-7"])
    }

    @Test func objectItemsSeparatedByLineBreaksEvenWithTrailingComments() {
        #expect(shape("{\n  a = 1 # one\n  b = 2 // two\n}") == "{'a'=1 'b'=2}")
    }

    @Test func binaryExpressionRange() {
        let (e, _) = parseExpr("a  +  b")
        #expect(spot(e.range) == "1:1-1:8@0-7")
        guard case .binary(.add, let l, let r) = e.kind else { Issue.record("not a sum"); return }
        #expect(spot(l.range) == "1:1-1:2@0-1")
        #expect(spot(r.range) == "1:7-1:8@6-7")
    }

    @Test func conditionalAndUnaryRanges() {
        let (e, _) = parseExpr("!a ? -1 : b")
        #expect(spot(e.range) == "1:1-1:12@0-11")
        guard case .conditional(let c, let t, let f) = e.kind else { Issue.record("not a conditional"); return }
        #expect(spot(c.range) == "1:1-1:3@0-2")
        #expect(spot(t.range) == "1:6-1:8@5-7")
        #expect(spot(f.range) == "1:11-1:12@10-11")
    }

    @Test func traversalPathHelper() {
        #expect(parseExpr("var.foo").0.traversalPath == ["var", "foo"])
        #expect(parseExpr("module.x.y[0]").0.traversalPath == ["module", "x", "y", "0"])
        // Number keys beyond Int (found by the iam-hcl fuzzer: the conversion trapped) and fractions.
        #expect(parseExpr("var.a[1e30]").0.traversalPath == ["var", "a", "1e+30"])
        #expect(parseExpr("var.config.88888888888888888888888").0.traversalPath?.prefix(2) == ["var", "config"])
        #expect(parseExpr("var.a[1.5]").0.traversalPath == ["var", "a", "1.5"])
        #expect(parseExpr("local.m[\"k\"].v").0.traversalPath == ["local", "m", "k", "v"])
        #expect(parseExpr("f(x).y").0.traversalPath == nil)
    }
}
