import AuditCore
import Documents
import HCL
import Testing
import TestSupport

// Short value builders for the tables below.
private func s(_ v: String) -> Value { .string(v) }
private func n(_ v: Double) -> Value { .number(v) }
private func b(_ v: Bool) -> Value { .bool(v) }
private func l(_ v: Value...) -> Value { .list(v) }
private func o(_ v: KeyValuePairs<String, Value>) -> Value { .object(Dictionary(uniqueKeysWithValues: v.map { ($0.key, $0.value) })) }
private let null = Value.null
private func unknown(_ reason: String = "aws_iam_role.x.arn") -> Value { .unknown(reason) }

/// A call written at main.tf:3:5-3:45.
private let callRange = SourceRange(path: "main.tf", start: SourcePosition(line: 3, column: 5, offset: 40),
                                    end: SourcePosition(line: 3, column: 45, offset: 80))

private func call(_ name: String, _ args: Value...) -> (Value, [Diagnostic]) {
    guard let function = Functions.table[name] else {
        Issue.record("no function `\(name)`")
        return (.null, [])
    }
    return function(args, callRange)
}

private struct FunctionCase: CustomTestStringConvertible, Sendable {
    var name: String
    var args: [Value]
    var expected: Value
    init(_ name: String, _ args: [Value], _ expected: Value) {
        self.name = name
        self.args = args
        self.expected = expected
    }
    var testDescription: String { "\(name)(\(args.map(\.description).joined(separator: ", "))) == \(expected)" }
}

@Suite struct FunctionTableTests {
    fileprivate static let cases: [FunctionCase] = [
        // Encoding
        FunctionCase("jsonencode", [o(["b": l(n(1), b(true), null), "a": s("<x & y>")])], s(#"{"a":"\u003cx \u0026 y\u003e","b":[1,true,null]}"#)),
        FunctionCase("jsonencode", [n(1e21)], s("1000000000000000000000")),
        FunctionCase("jsonencode", [n(0.000001)], s("0.000001")),
        FunctionCase("jsonencode", [s("line\n\t\"q\" \u{2028}\u{1}")], s(#""line\n\t\"q\" \u2028\u0001""#)),
        FunctionCase("jsondecode", [s(#"{"a": [1, "x", null, false]}"#)], o(["a": l(n(1), s("x"), null, b(false))])),
        FunctionCase("yamldecode", [s("a: yes\nb: [1, '2']\nc: ~\n")], o(["a": b(true), "b": l(n(1), s("2")), "c": null])),
        FunctionCase("base64encode", [s("héllo")], s("aMOpbGxv")),
        FunctionCase("base64decode", [s("aMOpbGxv")], s("héllo")),
        // Collections
        FunctionCase("merge", [o(["a": n(1), "b": n(2)]), null, o(["b": n(3)])], o(["a": n(1), "b": n(3)])),
        FunctionCase("merge", [], o([:])),
        FunctionCase("lookup", [o(["a": s("x")]), s("a")], s("x")),
        FunctionCase("lookup", [o(["a": s("x")]), s("b"), s("fallback")], s("fallback")),
        FunctionCase("lookup", [o(["a": s("x")]), s("b"), null], null),
        FunctionCase("concat", [l(s("a")), l(), l(s("b"), n(1))], l(s("a"), s("b"), n(1))),
        FunctionCase("coalesce", [null, s(""), s("x"), s("y")], s("x")),
        FunctionCase("coalesce", [null, n(1), s("a")], s("1")),
        FunctionCase("coalescelist", [l(), l(s("a")), l(s("b"))], l(s("a"))),
        FunctionCase("keys", [o(["b": n(1), "a": n(2), "B": n(3)])], l(s("B"), s("a"), s("b"))),
        FunctionCase("values", [o(["b": n(1), "a": n(2)])], l(n(2), n(1))),
        FunctionCase("length", [s("héllo👍🏽")], n(6)),
        FunctionCase("length", [l(n(1), n(2))], n(2)),
        FunctionCase("length", [o(["a": n(1)])], n(1)),
        FunctionCase("contains", [l(s("a"), s("b")), s("b")], b(true)),
        FunctionCase("contains", [l(s("1")), n(1)], b(true)),
        FunctionCase("contains", [l(s("a")), s("z")], b(false)),
        FunctionCase("flatten", [l(l(s("a"), l(s("b"))), s("c"), l())], l(s("a"), s("b"), s("c"))),
        FunctionCase("distinct", [l(s("a"), s("b"), s("a"))], l(s("a"), s("b"))),
        FunctionCase("element", [l(s("a"), s("b"), s("c")), n(4)], s("b")),
        FunctionCase("zipmap", [l(s("a"), s("b")), l(n(1), n(2))], o(["a": n(1), "b": n(2)])),
        FunctionCase("range", [n(3)], l(n(0), n(1), n(2))),
        FunctionCase("range", [n(1), n(-2)], l(n(1), n(0), n(-1))),
        FunctionCase("range", [n(0), n(1), n(0.25)], l(n(0), n(0.25), n(0.5), n(0.75))),
        FunctionCase("compact", [l(s("a"), s(""), null, s("b"))], l(s("a"), s("b"))),
        FunctionCase("slice", [l(s("a"), s("b"), s("c")), n(1), n(3)], l(s("b"), s("c"))),
        FunctionCase("one", [l()], null),
        FunctionCase("one", [l(s("x"))], s("x")),
        FunctionCase("sort", [l(s("b"), s("a"), s("B"), n(10), n(9))], l(s("10"), s("9"), s("B"), s("a"), s("b"))),
        FunctionCase("reverse", [l(n(1), n(2), n(3))], l(n(3), n(2), n(1))),
        FunctionCase("setunion", [l(s("b"), s("a")), l(s("c"), s("a"))], l(s("a"), s("b"), s("c"))),
        // Conversions
        FunctionCase("tostring", [n(5)], s("5")),
        FunctionCase("tostring", [b(true)], s("true")),
        FunctionCase("tostring", [null], null),
        FunctionCase("tonumber", [s("1.5")], n(1.5)),
        FunctionCase("tobool", [s("false")], b(false)),
        FunctionCase("tolist", [l(s("a"), n(1))], l(s("a"), s("1"))),
        FunctionCase("toset", [l(s("b"), s("a"), s("b"))], l(s("a"), s("b"))),
        FunctionCase("toset", [l(n(3), n(1), n(2), n(1))], l(n(1), n(2), n(3))),
        FunctionCase("tomap", [o(["a": n(1), "b": s("x")])], o(["a": s("1"), "b": s("x")])),
        // Strings
        FunctionCase("format", [s("%s-%d-%v-%q-%t-%%"), s("a"), n(42), l(n(1)), s("q\"<"), b(true)], s(#"a-42-[1]-"q\"\u003c"-true-%"#)),
        FunctionCase("format", [s("%5.2f|%-4s|%04d|%x|%X|%o|%b|%+d|%e"), n(3.14159), s("ab"), n(7), n(255), n(255), n(8), n(5), n(3), n(1500)],
             s(" 3.14|ab  |0007|ff|FF|10|101|+3|1.500000e+03")),
        FunctionCase("format", [s("%v %v %v %g"), n(1000000), n(123456), n(0.00001), n(0.5)], s("1e+06 123456 1e-05 0.5")),
        FunctionCase("format", [s("%[2]s %[1]s %s"), s("a"), s("b")], s("b a b")),
        FunctionCase("format", [s("%.3s|%6s|%#v"), s("héllo"), s("é"), s("x")], s("hél|     é|\"x\"")),
        FunctionCase("format", [s("%v"), null], s("null")),
        FunctionCase("formatlist", [s("%s=%s"), l(s("a"), s("b")), s("v")], l(s("a=v"), s("b=v"))),
        FunctionCase("formatlist", [s("x")], l(s("x"))),
        FunctionCase("join", [s(","), l(s("a"), n(1)), l(s("b"))], s("a,1,b")),
        FunctionCase("split", [s(","), s("a,,b")], l(s("a"), s(""), s("b"))),
        FunctionCase("split", [s(","), s("")], l(s(""))),
        FunctionCase("replace", [s("a-b-c"), s("-"), s("+")], s("a+b+c")),
        FunctionCase("replace", [s("runner-123-x"), s("/runner-(\\d+)-(?P<tail>\\w)/"), s("$1:${tail}:$$")], s("123:x:$")),
        FunctionCase("replace", [s("aaa"), s("/a/"), s("b")], s("bbb")),
        FunctionCase("trimprefix", [s("arn:aws:iam"), s("arn:")], s("aws:iam")),
        FunctionCase("trimsuffix", [s("file.tf.json"), s(".json")], s("file.tf")),
        FunctionCase("trimspace", [s(" \t x y \n\u{A0}")], s("x y")),
        FunctionCase("trim", [s("?!hello?!"), s("!?")], s("hello")),
        FunctionCase("lower", [s("HÉLLO ß")], s("héllo ß")),
        FunctionCase("upper", [s("héllo ß")], s("HÉLLO ß")),
        FunctionCase("title", [s("hello wORLD_x-y 3d")], s("Hello WORLD_x-Y 3d")),
        FunctionCase("startswith", [s("arn:aws"), s("arn:")], b(true)),
        FunctionCase("endswith", [s("x.yaml"), s(".yml")], b(false)),
        FunctionCase("substr", [s("héllo world"), n(1), n(4)], s("éllo")),
        FunctionCase("substr", [s("hello"), n(-3), n(-1)], s("llo")),
        FunctionCase("substr", [s("hello"), n(10), n(2)], s("")),
        // Numbers
        FunctionCase("min", [n(3), s("2"), n(5)], n(2)),
        FunctionCase("max", [n(3), n(-2), n(5)], n(5)),
        FunctionCase("abs", [n(-2.5)], n(2.5)),
        FunctionCase("ceil", [n(1.2)], n(2)),
        FunctionCase("floor", [n(-1.2)], n(-2)),
        // Patterns
        FunctionCase("regex", [s("[a-z]+"), s("node20.x")], s("node")),
        FunctionCase("regex", [s(#"(\d+)\.(\d+)(-rc)?"#), s("v4.12")], l(s("4"), s("12"), null)),
        FunctionCase("regex", [s(#"(?P<major>\d+)\.(?P<minor>\d+)"#), s("v4.12")], o(["major": s("4"), "minor": s("12")])),
        FunctionCase("regexall", [s("east|west"), s("us-east-1 and us-west-2")], l(s("east"), s("west"))),
        FunctionCase("regexall", [s("x"), s("abc")], l()),
        FunctionCase("strcontains", [s("ubuntu-jammy"), s("jammy")], b(true)),
        FunctionCase("chomp", [s("line\r\n\n")], s("line")),
        FunctionCase("indent", [n(2), s("a\nb\n")], s("a\n  b\n  ")),
        FunctionCase("strrev", [s("abc")], s("cba")),
        // Sets and lists
        FunctionCase("alltrue", [l(b(true), s("true"))], b(true)),
        FunctionCase("alltrue", [l()], b(true)),
        FunctionCase("anytrue", [l(b(false), b(true))], b(true)),
        FunctionCase("sum", [l(n(1), n(2.5))], n(3.5)),
        FunctionCase("index", [l(s("a"), s("b")), s("b")], n(1)),
        FunctionCase("chunklist", [l(n(1), n(2), n(3)), n(2)], l(l(n(1), n(2)), l(n(3)))),
        FunctionCase("setproduct", [l(s("a"), s("b")), l(n(1))], l(l(s("a"), n(1)), l(s("b"), n(1)))),
        FunctionCase("setintersection", [l(s("b"), s("a")), l(s("a"), s("c"))], l(s("a"))),
        FunctionCase("setsubtract", [l(s("a"), s("b")), l(s("b"))], l(s("a"))),
        FunctionCase("transpose", [o(["a": l(s("1"), s("2")), "b": l(s("2"))])], o(["1": l(s("a")), "2": l(s("a"), s("b"))])),
        FunctionCase("matchkeys", [l(s("i-1"), s("i-2")), l(s("a"), s("b")), l(s("b"))], l(s("i-2"))),
        FunctionCase("pow", [n(2), n(10)], n(1024)),
        FunctionCase("signum", [n(-3)], n(-1)),
        FunctionCase("parseint", [s("ff"), n(16)], n(255)),
        // Sensitivity is not tracked
        FunctionCase("sensitive", [s("secret")], s("secret")),
        FunctionCase("nonsensitive", [o(["a": n(1)])], o(["a": n(1)])),
    ]

    @Test(arguments: cases)
    fileprivate func evaluates(_ c: FunctionCase) {
        let (value, diagnostics) = call(c.name, c.args)
        #expect(diagnostics.isEmpty, "\(diagnostics.map { "\($0.summary): \($0.detail ?? "")" })")
        #expect(value == c.expected)
    }

    @Test func everyFunctionHasACase() {
        let covered = Set(Self.cases.map(\.name))
        #expect(Set(Functions.names).subtracting(covered).isEmpty, "untested: \(Set(Functions.names).subtracting(covered).sorted())")
        #expect(!Functions.names.contains("try") && !Functions.names.contains("can"))
    }
}

private func call(_ name: String, _ args: [Value]) -> (Value, [Diagnostic]) {
    guard let function = Functions.table[name] else {
        Issue.record("no function `\(name)`")
        return (.null, [])
    }
    return function(args, callRange)
}

@Suite struct UnknownPropagationTests {
    @Test(arguments: ["upper", "lower", "trimspace", "base64encode", "jsondecode", "yamldecode", "tostring", "abs", "title"])
    func unknownArgumentGivesUnknownWithItsReason(_ name: String) {
        let (value, diagnostics) = call(name, unknown("var.token"))
        #expect(diagnostics.isEmpty)
        #expect(value.kind == .unknown(reason: "var.token"))
    }

    @Test func answersWhatTerraformCanStillAnswer() {
        #expect(call("length", l(unknown(), unknown())).0 == n(2))
        #expect(call("length", unknown()).0.isUnknown)
        let merged = call("merge", o(["a": unknown()]), o(["b": n(1)])).0
        #expect(call("keys", merged).0 == l(s("a"), s("b")))
        #expect(call("merge", o(["a": n(1)]), unknown()).0.isUnknown)
        #expect(call("contains", l(unknown(), s("x")), s("x")).0 == b(true))
        #expect(call("contains", l(unknown(), s("x")), s("y")).0.isUnknown)
        #expect(call("coalesce", s("a"), unknown()).0 == s("a"))
        #expect(call("coalesce", null, unknown()).0.isUnknown)
        #expect(call("element", l(s("a"), unknown()), n(0)).0 == s("a"))
        #expect(call("lookup", o(["a": n(1)]), s("b"), unknown()).0.isUnknown)
        #expect(call("lookup", o(["a": n(1)]), s("a"), unknown()).0 == n(1))
        #expect(call("concat", l(s("a")), unknown()).0.isUnknown)
        #expect(call("join", s(","), l(s("a"), unknown())).0.isUnknown)
        #expect(call("format", s("%s"), l(unknown())).0.isUnknown)
        #expect(call("jsonencode", o(["a": unknown("x")])).0.kind == .unknown(reason: "x"))
        #expect(call("toset", l(s("a"), unknown())).0.isUnknown)
        let listed = call("formatlist", s("%s"), l(s("a"), unknown())).0
        #expect(listed.listValue?.first == s("a") && listed.listValue?.last?.isUnknown == true)
        #expect(call("flatten", l(l(s("a")), unknown())).0.isUnknown)
    }
}

@Suite struct FunctionErrorTests {
    private func expectError(_ name: String, _ args: Value..., summary: String, detailContains: String? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let (value, diagnostics) = call(name, args)
        #expect(value.isUnknown, sourceLocation: sourceLocation)
        #expect(diagnostics.count == 1, sourceLocation: sourceLocation)
        guard let d = diagnostics.first else { return }
        #expect(d.severity == .error && d.summary == summary, "\(d.summary)", sourceLocation: sourceLocation)
        if let detailContains { #expect(d.detail?.contains(detailContains) == true, "\(d.detail ?? "")", sourceLocation: sourceLocation) }
        #expect(d.range.path == "main.tf", sourceLocation: sourceLocation)
    }

    @Test func arityAndTypes() {
        expectError("lookup", o([:]), summary: "Wrong number of arguments to `lookup`", detailContains: "`lookup(inputMap, key, default)` takes 2 to 3 arguments, found 1")
        expectError("upper", s("a"), s("b"), summary: "Wrong number of arguments to `upper`", detailContains: "takes 1 argument, found 2")
        expectError("concat", summary: "Wrong number of arguments to `concat`", detailContains: "at least 1")
        expectError("upper", l(s("a")), summary: "Invalid argument to `upper`", detailContains: "Argument 1 (`str`) of `upper(str)` must be a string, found a list")
        expectError("upper", null, summary: "Invalid argument to `upper`", detailContains: "must not be null")
        expectError("merge", o([:]), l(), summary: "Invalid argument to `merge`", detailContains: "Argument 2 (`maps`)")
        expectError("abs", s("x"), summary: "Invalid argument to `abs`", detailContains: "must be a number, found a string")
        expectError("length", n(3), summary: "Invalid argument to `length`")
        expectError("tonumber", s("0x10"), summary: "Invalid argument to `tonumber`", detailContains: "not a decimal representation")
        expectError("tobool", s("yes"), summary: "Invalid argument to `tobool`")
        expectError("tostring", l(), summary: "Invalid argument to `tostring`")
        expectError("tolist", o([:]), summary: "Invalid argument to `tolist`")
        expectError("tolist", l(l(), s("a")), summary: "Invalid argument to `tolist`", detailContains: "different types")
        expectError("element", l(s("a")), n(1.5), summary: "Invalid argument to `element`", detailContains: "whole number")
    }

    @Test func failedCalls() {
        expectError("lookup", o(["instance_type": s("m5")]), s("instance_typ"), summary: "Error in `lookup` call",
                    detailContains: "Did you mean `instance_type`?")
        expectError("element", l(), n(0), summary: "Error in `element` call", detailContains: "empty list")
        expectError("element", l(s("a")), n(-1), summary: "Error in `element` call", detailContains: "negative index")
        expectError("coalesce", null, s(""), summary: "Error in `coalesce` call", detailContains: "no non-null, non-empty-string arguments")
        expectError("coalescelist", l(), summary: "Error in `coalescelist` call")
        expectError("zipmap", l(s("a")), l(), summary: "Error in `zipmap` call", detailContains: "number of keys (1) does not match number of values (0)")
        expectError("range", n(0), n(1), n(0), summary: "Error in `range` call", detailContains: "step must not be zero")
        expectError("range", n(2000), summary: "Error in `range` call", detailContains: "more than 1024 values")
        expectError("range", n(0), n(5), n(-1), summary: "Error in `range` call", detailContains: "end must be less than start")
        expectError("slice", l(s("a")), n(0), n(2), summary: "Error in `slice` call", detailContains: "end index must not be greater")
        expectError("one", l(s("a"), s("b")), summary: "Error in `one` call")
        // Terraform 1.11 rejects these (the differential test against `terraform console` found them).
        expectError("one", null, summary: "Error in `one` call", detailContains: "must not be null")
        expectError("signum", n(2.5), summary: "Invalid argument to `signum`", detailContains: "whole number")
        expectError("yamldecode", s(""), summary: "Invalid YAML in `yamldecode` argument: empty YAML document", detailContains: "holds none")
        expectError("sort", l(s("a"), null), summary: "Error in `sort` call", detailContains: "null")
        expectError("join", s(","), l(null), summary: "Error in `join` call", detailContains: "null")
        expectError("base64decode", s("%%%"), summary: "Error in `base64decode` call")
        expectError("base64decode", s("/w=="), summary: "Error in `base64decode` call", detailContains: "UTF-8")
        expectError("replace", s("a"), s("/(/"), s("b"), summary: "Error in `replace` call", detailContains: "invalid regular expression")
        expectError("format", s("%d"), n(1.5), summary: "Error in `format` call", detailContains: "an integer is required")
        expectError("format", s("%s %s"), s("a"), summary: "Error in `format` call", detailContains: "not enough arguments")
        expectError("format", s("%s"), s("a"), s("b"), summary: "Error in `format` call", detailContains: "too many arguments; only 1 used")
        expectError("format", s("x"), s("a"), summary: "Error in `format` call", detailContains: "no verbs")
        expectError("format", s("%z"), s("a"), summary: "Error in `format` call", detailContains: "unsupported format verb")
        expectError("format", s("%s"), null, summary: "Error in `format` call", detailContains: "null value cannot be formatted")
        expectError("format", s("%5"), summary: "Error in `format` call", detailContains: "invalid format string")
        expectError("formatlist", s("%s%s"), l(s("a")), l(s("b"), s("c")), summary: "Error in `formatlist` call", detailContains: "inconsistent")
    }

    @Test func warningsPassThroughUnprefixed() throws {
        let (value, diagnostics) = call("yamldecode", s("a: 1\na: 2\n"))
        #expect(value == o(["a": n(2)]))
        #expect(diagnostics.map(\.summary) == ["Duplicate key `a`"])
        #expect(diagnostics.first?.severity == .warning)
    }

    @Test func hugeWidthsAreRefused() {
        expectError("format", s("%99999999999d"), n(1), summary: "Error in `format` call", detailContains: "larger than")
    }

    /// Every function with random arguments (wrong counts, wrong types, unknowns, nulls, extreme
    /// numbers): a value and diagnostics come back, never a trap; an unknown result from known
    /// arguments always comes with an error.
    @Test(arguments: [UInt64(7), 8, 9])
    func randomArgumentsNeverTrap(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let pool: [Value] = [
            null, unknown(), b(true), n(0), n(-1), n(2.5), n(1e300), n(-.infinity), n(.nan), n(9e18), s(""), s("a,b"), s("%"),
            s("%[1]s %v %d"), s("/(a+)+$/"), s("{\"a\": [1]}"), s("- x\n- y"), s("true"), s("12"), l(), l(s("a"), n(1)),
            l(l(null), unknown()), o([:]), o(["k": s("v"), "n": null]), o(["u": unknown()]),
        ]
        for name in Functions.names {
            for _ in 0..<40 {
                let count = Int.random(in: 0...4, using: &rng)
                let args = (0..<count).map { _ in pool.randomElement(using: &rng)! }
                let (value, diagnostics) = call(name, args)
                if value.isUnknown, !args.contains(where: \.containsUnknown) {
                    #expect(diagnostics.contains { $0.severity == .error }, "\(name)(\(args)) is unknown without an error")
                }
            }
        }
    }

    @Test func diagnosticPointsAtTheArgumentWrittenInTheCall() throws {
        // An argument whose origin lies inside the call is the diagnostic's location.
        let argumentRange = SourceRange(path: "main.tf", start: SourcePosition(line: 3, column: 11, offset: 46),
                                        end: SourcePosition(line: 3, column: 14, offset: 49))
        let (_, diagnostics) = Functions.table["upper"]!([Value(.list([]), origin: argumentRange)], callRange)
        #expect(diagnostics.first?.range == argumentRange)
        // One written elsewhere (a variable's default) is not: the call is.
        let elsewhere = SourceRange(path: "variables.tf", start: .start, end: .start)
        let (_, other) = Functions.table["upper"]!([Value(.list([]), origin: elsewhere)], callRange)
        #expect(other.first?.range == callRange)
    }

    @Test func suggestions() {
        #expect(Functions.suggestion(for: "lenght") == "length")
        #expect(Functions.suggestion(for: "len") == "length")
        #expect(Functions.suggestion(for: "toLower") == "lower")
        #expect(Functions.suggestion(for: "Upper") == "upper")
        #expect(Functions.suggestion(for: "jsondecod") == "jsondecode")
        #expect(Functions.suggestion(for: "tyr", extraNames: ["try", "can"]) == "try")
        #expect(Functions.suggestion(for: "completely_unrelated") == nil)
        #expect(Functions.signature(of: "lookup") == "lookup(inputMap, key, default)")
        #expect(Functions.signature(of: "concat") == "concat(seqs...)")
    }
}

@Suite struct DecodingOriginTests {
    /// The text of runners/linux.yaml as `file()` would return it: origin = the whole file.
    static let yaml = "runner_config:\n  instance_types: [m5.large, c5.large]\n  enable_ephemeral_runners: yes\n  labels:\n    - gpu\n"

    private func fileValue(_ text: String, path: String) -> Value {
        let source = SourceFile(path: path, text: text)
        return Value(.string(text), origin: source.fullRange)
    }

    @Test func yamldecodeValuesPointAtTheirYAMLLines() throws {
        let (value, diagnostics) = call("yamldecode", fileValue(Self.yaml, path: "runners/linux.yaml"))
        #expect(diagnostics.isEmpty)
        let config = try #require(value["runner_config"])
        let ephemeral = try #require(config["enable_ephemeral_runners"])
        #expect(ephemeral == b(true))
        #expect(ephemeral.origin?.path == "runners/linux.yaml")
        #expect(ephemeral.origin?.start.line == 3 && ephemeral.origin?.start.column == 29)
        let types = try #require(config["instance_types"]?.listValue)
        #expect(types[1].origin?.start.line == 2 && types[1].origin?.start.column == 30)
        #expect(types[1].origin.map { SourceFile(path: "", text: Self.yaml).text(of: $0) } == "c5.large")
        // lookup keeps the origin of the value it returns.
        let (looked, _) = call("lookup", config, s("labels"))
        #expect(looked.origin?.start.line == 5)
    }

    @Test func inlineLiteralOriginsAreShifted() throws {
        // jsondecode("{\"a\": 1}") written at line 7, column 20: origin includes the quotes.
        let text = #"{"a": [1, 2]}"#
        let origin = SourceRange(path: "main.tf", start: SourcePosition(line: 7, column: 20, offset: 100),
                                 end: SourcePosition(line: 7, column: 20 + text.count + 2, offset: 100 + text.utf8.count + 2))
        let (value, _) = call("jsondecode", Value(.string(text), origin: origin))
        let second = try #require(value["a"]?.listValue?[1])
        #expect(second.origin?.path == "main.tf")
        #expect(second.origin?.start == SourcePosition(line: 7, column: 31, offset: 111))
    }

    @Test func parseErrorsAreLocatedInsideTheDecodedFile() throws {
        let text = "a: 1\nb: [\n"
        let (value, diagnostics) = call("yamldecode", fileValue(text, path: "runners/bad.yaml"))
        #expect(value.isUnknown)
        let d = try #require(diagnostics.first)
        #expect(d.range.path == "runners/bad.yaml")
        #expect(d.summary.hasPrefix("Invalid YAML in `yamldecode` argument"))
        #expect(d.range.start.line == 3)

        let (json, jsonDiagnostics) = call("jsondecode", fileValue("{\"a\": 1,}", path: "p.json"))
        #expect(json.isUnknown)
        #expect(jsonDiagnostics.first?.range.start.offset == 7)
        #expect(jsonDiagnostics.first?.summary == "Invalid JSON in `jsondecode` argument: trailing comma")
    }

    @Test func untraceableTextReportsAtTheCall() throws {
        // A string with no usable origin (built by interpolation): the call is the location and the
        // detail names the position inside the text.
        let (_, diagnostics) = call("jsondecode", s("{\n  \"a\": tru\n}"))
        let d = try #require(diagnostics.first)
        #expect(d.range == callRange)
        #expect(d.detail?.hasPrefix("At line 2, column 8 of the decoded text") == true)
    }

    @Test func terraformRejections() throws {
        #expect(call("jsondecode", s(#"{"a": 1, "a": 2}"#)).1.first?.severity == .error)
        #expect(call("yamldecode", s("a: 1\n---\nb: 2\n")).1.map(\.summary) == ["Invalid YAML in `yamldecode` argument: only a single YAML document is allowed"])
        #expect(call("yamldecode", s("a: !Ref x\n")).0.isUnknown)
        #expect(call("yamldecode", s("? [a]\n: 1\n")).0.isUnknown)
        #expect(call("jsondecode", s("")).0.isUnknown)
    }
}

@Suite struct ValueConversionTests {
    @Test func jsonValuesKeepNodeRanges() throws {
        let source = SourceFile(path: "policy.json", text: #"{"Statement": [{"Effect": "Allow"}], "n": 1.5, "t": null}"#)
        let root = try #require(JSON.parse(source).0)
        let value = Value(json: root)
        let effect = try #require(value["Statement"]?.listValue?.first?["Effect"])
        #expect(effect == s("Allow"))
        #expect(effect.origin.map(source.text(of:)) == "\"Allow\"")
        #expect(value["n"] == n(1.5) && value["t"] == null)
        #expect(value.origin == root.range)
        let templated = JSON.parseTemplated(SourceFile(path: "t.json", text: #"{"a": ${x}}"#))
        #expect(templated.root.map { Value(json: $0)["a"]?.isUnknown } == true)
    }

    @Test func yamlMergesAliasesAndKeys() throws {
        let source = SourceFile(path: "c.yaml", text: """
        defaults: &d
          size: small
          spot: on
        linux:
          <<: *d
          size: large
        1.0: numeric key
        yes: bool key
        """)
        let root = try #require(YAML.parse(source).documents.first)
        let (value, diagnostics) = Value.decoding(yaml: root)
        #expect(diagnostics.isEmpty)
        #expect(value["linux"] == o(["size": s("large"), "spot": b(true)]))
        #expect(value["linux"]?["spot"]?.origin?.start.line == 3)
        #expect(value["1"] == s("numeric key"))
        #expect(value["true"] == s("bool key"))
        let core = Value(yaml: root, schema: .core)
        #expect(core["yes"] == s("bool key") && core["linux"]?["spot"] == s("on"))
    }

    @Test func yamlRejectionsAreLocated() throws {
        let source = SourceFile(path: "c.yaml", text: "a: !Ref x\nb: .nan\n~: 1\nc:\n  <<: 5\n")
        let root = try #require(YAML.parse(source).documents.first)
        let (value, diagnostics) = Value.decoding(yaml: root)
        #expect(diagnostics.map(\.range.start.line) == [1, 2, 3, 5])
        #expect(diagnostics[0].detail?.contains("`!Ref`") == true)
        #expect(value["a"]?.isUnknown == true && value["b"]?.isUnknown == true)
    }

    @Test(arguments: [
        (Value.number(100), "100"), (.number(-0.5), "-0.5"), (.number(1.5e-7), "0.00000015"), (.number(1.2345678901234568e20), "123456789012345680000"),
        (.number(1e15), "1000000000000000"), (.string("é😀/"), "\"é😀/\""), (.string("\u{7F}\u{1F}"), "\"\u{7F}\\u001f\""),
        (.list([]), "[]"), (.object([:]), "{}"), (.object(["é": .null, "z": .null, "a": .null]), #"{"a":null,"z":null,"é":null}"#),
    ])
    func jsonEncoding(value: Value, expected: String) {
        #expect(value.jsonEncoded == expected)
    }

    @Test func unknownsCannotBeEncoded() {
        #expect(Value.list([.unknown("x")]).jsonEncoded == nil)
    }
}

