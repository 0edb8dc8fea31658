import AuditCore
import Foundation
import Testing
import TestSupport
@testable import HCL

struct EvaluatorTests {
    static let declared = SourceRange(path: "terraform.tfvars", start: SourcePosition(line: 3, column: 9, offset: 40),
                                      end: SourcePosition(line: 3, column: 12, offset: 43))

    /// A module's view: variables and locals, some unknown; `aws_iam_policy`, `data` and `module`
    /// unknown roots. Functions come from `Functions.table`.
    static func context(fileSystem: (any FileSystem)? = nil, moduleDirectory: String = "", absoluteRoot: String? = nil) -> EvalContext {
        EvalContext(variables: [
            "var": .object([
                "name": .string("web", origin: declared),
                "count": .number(3),
                "tags": .object(["Team": .string("ci"), "Env": .string("prod")]),
                "list": .list([.string("a"), .string("b"), .string("c")]),
                "subnets": .unknown("module.vpc.private_subnets"),
                "enabled": .bool(true),
                "nothing": .null,
                "objects": .list([.object(["id": .string("i-1"), "n": .number(1)]), .object(["id": .string("i-2"), "n": .number(2)])]),
            ]),
            "local": .object(["prefix": .string("gh")]),
            "aws_iam_policy": .unknown("resource attributes are known after apply"),
            "data": .unknown("data sources are read during plan"),
            "module": .unknown("module outputs"),
        ], fileSystem: fileSystem, moduleDirectory: moduleDirectory, absoluteRoot: absoluteRoot)
    }

    /// Evaluates the expression text; returns the value and the diagnostics.
    func eval(_ text: String, _ ctx: EvalContext = context()) -> (Value, [Diagnostic]) {
        let (e, parseDiagnostics) = parseExpr(text)
        #expect(parseDiagnostics.isEmpty, "\(text): \(parseDiagnostics.map(\.summary))")
        return evaluate(e, in: ctx)
    }

    /// The value of a clean evaluation.
    func value(_ text: String, _ ctx: EvalContext = context(), sourceLocation: SourceLocation = #_sourceLocation) -> Value {
        let (v, diagnostics) = eval(text, ctx)
        #expect(diagnostics.isEmpty, "\(text): \(diagnostics.map { "\(spot($0.range)) \($0.summary): \($0.detail ?? "")" })", sourceLocation: sourceLocation)
        return v
    }

    func reason(_ v: Value) -> String? { if case .unknown(let r) = v.kind { r } else { nil } }

    // MARK: Operators

    @Test(arguments: [
        ("1 + 2 * 3", Value.number(7)), ("10 / 4", .number(2.5)), ("11 % 5", .number(1)), ("-7 % 3", .number(-1)),
        ("2 - 3.5", .number(-1.5)), ("\"1\" + 1", .number(2)), ("-\"2\"", .number(-2)),
        ("1 < 2", .bool(true)), ("2 <= 1", .bool(false)), ("\"10\" > 9", .bool(true)), ("3 >= 3", .bool(true)),
        ("\"1\" == 1", .bool(false)), ("\"true\" == true", .bool(false)), ("1 == 1.0", .bool(true)), ("null == null", .bool(true)),
        ("[1, \"a\"] == [1, \"a\"]", .bool(true)), ("{a = 1} != {a = 2}", .bool(true)), ("\"a\" != \"a\"", .bool(false)),
        ("true && false", .bool(false)), ("true || false", .bool(true)), ("!true", .bool(false)), ("\"true\" && true", .bool(true)),
        ("var.enabled ? \"on\" : \"off\"", .string("on")), ("var.count > 2 && var.name == \"web\"", .bool(true)),
    ])
    func operators(input: String, expected: Value) {
        #expect(value(input) == expected)
    }

    @Test(arguments: [
        ("\"a\" + 1", "1:1-1:4@0-3", "Invalid operand"),
        ("1 + true", "1:5-1:9@4-8", "Invalid operand"),
        ("1 && true", "1:1-1:2@0-1", "Invalid operand"),
        ("!\"yes\"", "1:2-1:7@1-6", "Invalid operand"),
        ("1 / 0", "1:5-1:6@4-5", "Division by zero"),
        ("5 ? 1 : 2", "1:1-1:2@0-1", "Condition is not a bool"),
        ("null > 1", "1:1-1:5@0-4", "Invalid operand"),
    ])
    func operatorErrorsAreLocatedAtTheOperand(input: String, at expected: String, summary: String) {
        let (v, diagnostics) = eval(input)
        #expect(v.isUnknown)
        #expect(spots(diagnostics) == [expected])
        #expect(diagnostics.first?.summary == summary)
    }

    @Test func stringConcatenationWithPlusSuggestsATemplate() {
        let (_, diagnostics) = eval("var.name + \"-x\"")
        #expect(diagnostics.first?.detail?.contains("template") == true)
    }

    @Test func conditionalEvaluatesOnlyTheChosenBranch() {
        // The other branch would fail; Terraform does not evaluate it.
        #expect(value("true ? 1 : nosuch") == .number(1))
        #expect(value("length(var.list) > 0 ? var.list[0] : \"none\"") == .string("a"))
    }

    // MARK: Unknown

    @Test func unknownPropagatesWithItsReason() {
        for text in ["var.subnets[0]", "length(var.subnets) + 1", "\"x-${var.subnets[0]}\"", "[for s in var.subnets : s]",
                     "var.subnets == []", "-var.subnets", "var.subnets.*.id", "upper(var.subnets)", "{ (var.subnets[0]) = 1 }"] {
            let v = value(text)
            #expect(reason(v)?.contains("module.vpc.private_subnets") == true, "\(text): \(v)")
        }
    }

    @Test func traversalIntoAnUnknownRootIsNamedAfterTheTraversal() {
        #expect(reason(value("aws_iam_policy.runner.arn")) == "aws_iam_policy.runner.arn")
        #expect(reason(value("data.aws_iam_policy_document.lambda.json")) == "data.aws_iam_policy_document.lambda.json")
        #expect(reason(value("module.runners[\"linux\"].role_name")) == "module.runners[\"linux\"].role_name")
        #expect(reason(value("aws_iam_policy.p[*].arn")) == "aws_iam_policy.p[*].arn")
        #expect(reason(value("module.m[var.count].x")) == "module.m[var.count].x")
        // The traversal's own errors still count.
        let (_, diagnostics) = eval("module.m[var.typo].x")
        #expect(diagnostics.map(\.summary) == ["Reference to undeclared input variable"])
    }

    @Test func absentRootsDependOnStateAndAreUnknown() {
        // The Terraform layer leaves out what depends on state: resources, data sources, modules.
        let bare = EvalContext(variables: ["var": .object(["x": .number(1)]), "path": .object(["module": .string(".")])])
        for text in ["aws_instance.web.id", "data.aws_caller_identity.current.account_id", "module.runners.role", "each.key",
                     "count.index", "self.arn", "aws_iam_role.r[*].arn"] {
            let (v, diagnostics) = eval(text, bare)
            #expect(reason(v) == text, "\(text)")
            #expect(diagnostics.isEmpty, "\(text): \(diagnostics.map(\.summary))")
        }
        // A name that looks like a misspelt root in scope is a mistake, not a state dependency.
        #expect(eval("vars.x", bare).1.map(\.summary) == ["Unknown variable `vars`"])
        #expect(eval("paths.module", bare).1.map(\.summary) == ["Unknown variable `paths`"])
        #expect(eval("Null", bare).1.map(\.summary) == ["Unknown variable `Null`"])
    }

    @Test func unknownIsNeverGuessed() {
        #expect(value("var.subnets == null ? 1 : 2").isUnknown)
        #expect(value("var.subnets != null").isUnknown)
        #expect(value("true && var.subnets[0]").isUnknown)
        // Only answers that hold for every possible value.
        #expect(value("false && var.subnets[0]") == .bool(false))
        #expect(value("var.subnets[0] || true") == .bool(true))
        #expect(value("var.subnets == null ? \"same\" : \"same\"") == .string("same"))
    }

    @Test func unknownsInsideCollectionsStayInside() {
        let v = value("[1, var.subnets]")
        #expect(!v.isUnknown)
        #expect(v.containsUnknown)
        #expect(value("length([1, var.subnets])") == .number(2))
        #expect(value("{ a = var.subnets }.a").isUnknown)
    }

    // MARK: Origins

    @Test func originsPointWhereValuesWereWritten() {
        let (e, _) = parseExpr("[\"lit\", var.name, \"${var.name}\", \"x-${var.name}\", 1 + 2, true ? var.name : \"\"]")
        let (v, _) = evaluate(e, in: Self.context())
        guard case .tuple(let items) = e.kind, let l = v.listValue else { Issue.record("not a list"); return }
        #expect(v.origin == e.range)
        #expect(l[0].origin == items[0].range)
        #expect(l[1].origin == Self.declared)
        // A template that is exactly one interpolation is that value, origin included.
        #expect(l[2].origin == Self.declared)
        #expect(l[3].origin == items[3].range)
        #expect(l[4].origin == items[4].range)
        #expect(l[5].origin == Self.declared)
    }

    @Test func singleInterpolationKeepsTheValueAndItsType() {
        #expect(value("\"${var.count}\"") == .number(3))
        #expect(value("\"${var.list}\"") == value("var.list"))
        #expect(value("\"${var.count}x\"") == .string("3x"))
        #expect(value("\"${true}\"") == .bool(true))
    }

    // MARK: Traversals

    @Test(arguments: [
        ("var.tags.Team", Value.string("ci")), ("var.tags[\"Env\"]", .string("prod")), ("var.list[1]", .string("b")),
        ("var.list.2", .string("c")), ("var.list[\"0\"]", .string("a")), ("var.objects[1].id", .string("i-2")),
        ("var.objects[*].id", .list([.string("i-1"), .string("i-2")])), ("var.objects.*.n", .list([.number(1), .number(2)])),
        ("var.objects.*.id[0]", .string("i-1")),
        ("var.nothing[*]", .list([])), ("var.tags[*].Team", .list([.string("ci")])), ("local.prefix", .string("gh")),
    ])
    func traversals(input: String, expected: Value) {
        #expect(value(input) == expected)
    }

    @Test func fullSplatAppliesIndexesPerElement() {
        // `[*]` applies `[0]` to each id (a string, which has no index): one error per element.
        let (v, diagnostics) = eval("var.objects[*].id[0]")
        #expect(v.listValue?.count == 2)
        #expect(v.listValue?.allSatisfy(\.isUnknown) == true)
        #expect(diagnostics.map(\.summary) == ["Invalid index", "Invalid index"])
    }

    @Test(arguments: [
        ("var.tags.team", "1:10-1:14@9-13", "Unsupported attribute `team`", "Did you mean `Team`?"),
        ("var.tags[\"Ebv\"]", "1:10-1:15@9-14", "Invalid index", "Did you mean \"Env\"?"),
        ("var.list[3]", "1:10-1:11@9-10", "Index out of range", "valid indexes are 0 to 2"),
        ("var.list[-1]", "1:10-1:12@9-11", "Index out of range", "outside the list"),
        ("var.list[1.5]", "1:10-1:13@9-12", "Invalid index", "whole number"),
        ("var.list.id", "1:10-1:12@9-11", "Unsupported attribute `id`", "[*].id"),
        ("var.nothing.id", "1:13-1:15@12-14", "Attribute of a null value", "null"),
        ("var.name.id", "1:10-1:12@9-11", "Unsupported attribute `id`", "The string"),
        ("var.nme", "1:1-1:8@0-7", "Reference to undeclared input variable", "No input variable `nme` is declared in this module. Did you mean `name`?"),
        ("local.prefx", "1:1-1:12@0-11", "Reference to undeclared local value", "Did you mean `prefix`?"),
        ("vars.name", "1:1-1:5@0-4", "Unknown variable `vars`", "Did you mean `var`?"),
        ("True", "1:1-1:5@0-4", "Unknown variable `True`", "lowercase"),
    ])
    func traversalErrors(input: String, at expected: String, summary: String, hint: String) {
        let (v, diagnostics) = eval(input)
        #expect(v.isUnknown)
        #expect(spots(diagnostics) == [expected])
        #expect(diagnostics.first?.summary == summary)
        #expect(diagnostics.first?.detail?.contains(hint) == true, "\(diagnostics.first?.detail ?? "")")
    }

    // MARK: Collections and for

    @Test func collectionsAndObjects() {
        #expect(value("{ a = 1, \"b-c\" = 2, (local.prefix) = 3, 4 = 5 }") ==
            .object(["a": .number(1), "b-c": .number(2), "gh": .number(3), "4": .number(5)]))
        #expect(value("[for s in var.list : upper(s)]") == .list([.string("A"), .string("B"), .string("C")]))
        #expect(value("[for i, s in var.list : i if s != \"b\"]") == .list([.number(0), .number(2)]))
        #expect(value("{for k, v in var.tags : v => k}") == .object(["ci": .string("Team"), "prod": .string("Env")]))
        #expect(value("[for k, v in var.tags : k]") == .list([.string("Env"), .string("Team")]))
        #expect(value("{for o in var.objects : substr => o.id...}", EvalContext(variables: ["var": Self.context().variables["var"]!, "substr": .string("all")])) ==
            .object(["all": .list([.string("i-1"), .string("i-2")])]))
    }

    @Test func forErrors() {
        let (v, diagnostics) = eval("{for s in [\"a\", \"a\"] : s => 1}")
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.summary) == ["Duplicate object key"])
        #expect(spots(diagnostics) == ["1:24-1:25@23-24"])
        #expect(eval("[for x in var.nothing : x]").1.map(\.summary) == ["Iteration over null"])
        #expect(eval("[for x in 5 : x]").1.map(\.summary) == ["Iteration over a non-collection"])
        #expect(eval("[for x in var.list : x if x]").1.map(\.summary) == ["Condition is not a bool"])
    }

    @Test func forWithUnknownConditionIsUnknown() {
        let v = value("[for x in var.list : x if x == var.subnets[0]]")
        #expect(reason(v) == "module.vpc.private_subnets")
    }

    // MARK: Templates

    @Test func templates() {
        #expect(value("\"${var.name}-${var.count}\"") == .string("web-3"))
        #expect(value("\"%{ if var.enabled }yes%{ else }no%{ endif }\"") == .string("yes"))
        #expect(value("\"%{ for s in var.list }${s};%{ endfor }\"") == .string("a;b;c;"))
        #expect(value("\"%{ for k, v in var.tags }${k}=${v} %{ endfor }\"") == .string("Env=prod Team=ci "))
        #expect(value("\"%{ for s in var.list ~} ${s} %{~ endfor }\"") == .string("abc"))
        #expect(value("\"${true} ${1.5} ${10}\"") == .string("true 1.5 10"))
    }

    @Test func templateErrors() {
        let (v, diagnostics) = eval("\"a ${var.nothing} b ${var.list}\"")
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.summary) == ["Null value in template", "Invalid value in template"])
        #expect(spots(diagnostics) == ["1:6-1:17@5-16", "1:23-1:31@22-30"])
    }

    // MARK: Functions

    @Test func functionCalls() {
        #expect(value("upper(var.name)") == .string("WEB"))
        #expect(value("concat([1], var.list)") == .list([.number(1), .string("a"), .string("b"), .string("c")]))
        #expect(value("length(concat(var.list, [1]))") == .number(4))
    }

    @Test func expansionSpreadsTheLastArgument() {
        let spread = value("upper(var.list...)", EvalContext(variables: ["var": .object(["list": .list([.string("x")])])]))
        #expect(spread == .string("X"))
        #expect(eval("upper(var.name...)").1.map(\.summary) == ["Invalid expanding argument"])
    }

    @Test func unknownFunctionSuggestsTheClosestName() {
        let (v, diagnostics) = eval("lenght(var.list)")
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.summary) == ["Call to unknown function `lenght`"])
        #expect(diagnostics.first?.detail?.contains("Did you mean `length`?") == true)
        #expect(spots(diagnostics) == ["1:1-1:7@0-6"])
        #expect(eval("Upper(var.name)").1.first?.detail?.contains("Did you mean `upper`?") == true)
    }

    @Test func terraformFunctionsOutsideTheTableAreUnknownNotErrors() {
        for text in ["cidrsubnet(\"10.0.0.0/16\", 8, 1)", "timestamp()", "uuid()", "provider::aws::arn_parse(\"x\")"] {
            let v = value(text)
            #expect(v.isUnknown, "\(text)")
        }
        #expect(reason(value("timestamp()"))?.contains("Terraform applies") == true)
    }

    @Test func tryAndCanEvaluateLazily() {
        #expect(value("try(var.tags.Missing, \"default\")") == .string("default"))
        #expect(value("try(var.tags.Team, nosuch)") == .string("ci"))
        #expect(value("try(var.list[5], var.list[0])") == .string("a"))
        #expect(value("can(var.tags.Missing)") == .bool(false))
        #expect(value("can(var.tags.Team)") == .bool(true))
        #expect(value("try(var.subnets[0], \"x\")").isUnknown)
        #expect(value("can(var.subnets[0])").isUnknown)
        let (v, diagnostics) = eval("try(var.a, var.b)")
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.summary) == ["No `try` argument succeeded"])
        #expect(eval("can(1, 2)").1.map(\.summary) == ["Wrong number of arguments"])
    }

    @Test func pathFunctionsFollowGo() {
        #expect(value("basename(\"foo/bar/baz.txt\")") == .string("baz.txt"))
        #expect(value("basename(\"foo/bar/\")") == .string("bar"))
        #expect(value("basename(\"\")") == .string("."))
        #expect(value("basename(\"/\")") == .string("/"))
        #expect(value("dirname(\"foo/bar/baz.txt\")") == .string("foo/bar"))
        #expect(value("dirname(\"baz.txt\")") == .string("."))
        #expect(value("dirname(\"/baz\")") == .string("/"))
        #expect(value("dirname(\"a//b/../c/d\")") == .string("a/c"))
        #expect(value("pathexpand(\"a/b\")") == .string("a/b"))
        #expect(value("pathexpand(\"~/b\")").isUnknown)
        #expect(value("abspath(\"x\")").isUnknown)
        let rooted = Self.context(moduleDirectory: "env/prod", absoluteRoot: "/repo")
        #expect(value("abspath(\"../modules/./x\")", rooted) == .string("/repo/env/modules/x"))
    }

    // MARK: Files

    static let files = MemoryFileSystem([
        "env/prod/main.tf": "",
        "env/prod/scripts/start.sh": "#!/bin/bash\necho start\n",
        "env/prod/scripts/stop.sh": "#!/bin/bash\n",
        "env/prod/scripts/lib/util.sh": "x\n",
        "env/prod/scripts/README.md": "docs\n",
        "env/prod/templates/user-data.tpl": "#!/bin/bash\nexport NAME=${name}\n%{ for l in labels ~}\necho ${l}\n%{ endfor ~}\n",
        "env/prod/templates/broken.tpl": "value ${oops\n",
        "env/prod/templates/typo.tpl": "a\n${nmae}\n",
        "env/prod/templates/nested.tpl": "${templatefile(\"x\", {})}",
        "env/prod/templates/json.tpl": "${jsonencode(config)}",
        "shared/policy.json": "{}\n",
    ])

    var fileContext: EvalContext { Self.context(fileSystem: Self.files, moduleDirectory: "env/prod", absoluteRoot: "/repo") }

    @Test func fileReadsRelativeToTheWorkingDirectoryAndPointsAtTheFile() throws {
        let v = value("file(\"scripts/start.sh\")", fileContext)
        #expect(v == .string("#!/bin/bash\necho start\n"))
        let origin = try #require(v.origin)
        #expect(origin.path == "env/prod/scripts/start.sh")
        #expect(spot(origin) == "1:1-3:1@0-23")
        #expect(value("file(\"../../shared/policy.json\")", fileContext) == .string("{}\n"))
        #expect(value("file(\"/repo/shared/policy.json\")", fileContext) == .string("{}\n"))
        #expect(value("fileexists(\"scripts/stop.sh\")", fileContext) == .bool(true))
        #expect(value("fileexists(\"scripts/nope.sh\")", fileContext) == .bool(false))
        #expect(value("filebase64(\"scripts/lib/util.sh\")", fileContext) == .string("eAo="))
        #expect(value("filesha256(\"scripts/lib/util.sh\")", fileContext) ==
            .string("73cb3858a687a8494ca3323053016282f3dad39d42cf62ca4e79dda2aac7d9ac"))
        #expect(value("filebase64sha256(\"scripts/lib/util.sh\")", fileContext) == .string("c8s4WKaHqElMozIwUwFigvPa051Cz2LKTnndoqrH2aw="))
    }

    /// Nothing outside the scan root is read, and that is never silent: a warning (`CORE-003`)
    /// names the path as seen from the scan root, as it does for a file that does not exist.
    @Test func filesOutsideTheTreeAreUnknownAndMissingFilesWarn() {
        for (expression, shown) in [("file(\"../../../etc/passwd\")", "../etc/passwd"), ("file(\"/etc/passwd\")", "/etc/passwd"),
                                    ("templatefile(\"../../../x.tftpl\", {})", "../x.tftpl"), ("fileset(\"../../..\", \"*\")", ".."),
                                    ("file(\"~/.aws/credentials\")", "~/.aws/credentials")] {
            let (v, diagnostics) = eval(expression, fileContext)
            #expect(reason(v)?.contains("outside the scanned directory") == true, "\(expression)")
            #expect(diagnostics.map(\.summary).contains { $0.contains("reads `\(shown)`, outside the scan root") }, "\(expression): \(diagnostics.map(\.summary))")
            #expect(diagnostics.allSatisfy { $0.code == "CORE-003" && $0.severity == .warning })
        }
        #expect(value("file(\"x\")").isUnknown)
        let (v, diagnostics) = eval("file(\"lambda.zip\")", fileContext)
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.severity) == [.warning])
        #expect(diagnostics.map(\.summary) == ["File not found: `file` reads `env/prod/lambda.zip`"])
        #expect(diagnostics.map(\.code) == ["CORE-003"])
        #expect(spots(diagnostics) == ["1:6-1:18@5-17"])
        #expect(value("file(\"${var.subnets[0]}\")", fileContext).isUnknown)
    }

    @Test(arguments: [
        ("*.sh", ["start.sh", "stop.sh"]),
        ("**/*.sh", ["lib/util.sh", "start.sh", "stop.sh"]),
        ("**", ["README.md", "lib/util.sh", "start.sh", "stop.sh"]),
        ("st?p.sh", ["stop.sh"]),
        ("{start,lib/util}.sh", ["lib/util.sh", "start.sh"]),
        ("[Rs]*", ["README.md", "start.sh", "stop.sh"]),
        ("[!r]*.sh", ["start.sh", "stop.sh"]),
        ("lib/*", ["lib/util.sh"]),
        ("nothing*", []),
    ])
    func filesetGlobs(pattern: String, expected: [String]) {
        let v = value("fileset(\"scripts\", \"\(pattern)\")", fileContext)
        #expect(v.listValue?.compactMap(\.stringValue) == expected)
    }

    @Test func fileGlobMatchesPaths() {
        #expect(FileGlob.matches("**/*.sh", "a/b/c.sh"))
        #expect(FileGlob.matches("*.sh", "c.sh"))
        #expect(!FileGlob.matches("*.sh", "a/c.sh"))
        #expect(FileGlob.matches("{a,b}/*", "b/x"))
        #expect(!FileGlob.matches("[", "["))
    }

    @Test func renderUsesOnlyTheGivenVariables() {
        let (parts, _) = HCLParser.parseTemplate(SourceFile(path: "t.tpl", text: "${a}-${b}"))
        let range = SourceRange.fileStart("t.tpl")
        #expect(Evaluator.render(parts, variables: ["a": .number(1), "b": .string("x")], in: Self.context(), range: range).0 == .string("1-x"))
        let (v, diagnostics) = Evaluator.render(parts, variables: ["a": .number(1)], in: Self.context(), range: range)
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.summary) == ["Unknown variable `b`"])
    }

    /// `renderKnownParts`: what a template writes when some variables are unknown.
    static func partly(_ text: String, _ variables: [String: Value]) -> (text: String, complete: Bool) {
        let (parts, problems) = HCLParser.parseTemplate(SourceFile(path: "t.tpl", text: text))
        #expect(problems.isEmpty)
        let r = Evaluator.renderKnownParts(parts, variables: variables, in: EvalContext(), range: .fileStart("t.tpl"))
        return (r.text, r.complete)
    }

    @Test func renderKnownPartsFillsWhatIsKnownAndWritesTheRestAsWritten() {
        let owner = Value(.unknown(reason: "var.owner"))
        // Spaces inside `${ }` are the template's, not the name's.
        #expect(Self.partly("--labels ${ label },x --url ${owner}/r", ["label": .string("gpu"), "owner": owner]) == ("--labels gpu,x --url ${owner}/r", false))
        // Escapes: `$${` and `%%{` are literal text, never a variable of the same name.
        #expect(Self.partly("--labels $${label} %%{ if x } ${label}", ["label": .string("gpu")]) == ("--labels ${label} %{ if x } gpu", true))
        // A directive with a known condition picks its branch; with an unknown one both are written.
        let gated = "%{ if gpu }--labels gpu%{ else }--labels cpu%{ endif } ${owner}"
        #expect(Self.partly(gated, ["gpu": .bool(true), "owner": owner]) == ("--labels gpu ${owner}", false))
        #expect(Self.partly(gated, ["gpu": Value(.unknown(reason: "var.gpu")), "owner": .string("o")]) == ("--labels gpu--labels cpu o", false))
        // A loop over a known list repeats; over an unknown one its body is written once, its variable unknown.
        #expect(Self.partly("%{ for l in ls }${l},%{ endfor }", ["ls": .list([.string("a"), .string("b")])]) == ("a,b,", true))
        #expect(Self.partly("%{ for l in ls }${l},%{ endfor }", ["ls": owner]) == ("${l},", false))
        // A variable the template names and the call does not pass stays as written.
        #expect(Self.partly("${missing}-${a}", ["a": .number(1)]) == ("${missing}-1", false))
        // Everything known: the same text as `render`.
        let (parts, _) = HCLParser.parseTemplate(SourceFile(path: "t.tpl", text: "${a}-%{ if b }y%{ endif }"))
        let vars: [String: Value] = ["a": .number(1), "b": .bool(true)]
        #expect(Evaluator.render(parts, variables: vars, in: EvalContext(), range: .fileStart("t.tpl")).0.stringValue
                == Evaluator.renderKnownParts(parts, variables: vars, in: EvalContext(), range: .fileStart("t.tpl")).text)
    }

    @Test func templatefileRendersWithOnlyItsVariables() throws {
        let v = value("templatefile(\"templates/user-data.tpl\", { name = var.name, labels = [\"a\", \"b\"] })", fileContext)
        #expect(v == .string("#!/bin/bash\nexport NAME=web\necho a\necho b\n"))
        #expect(v.origin?.path == "env/prod/templates/user-data.tpl")
    }

    @Test func templatefileWithUnknownVariablesIsUnknownNamingTheFile() {
        let v = value("templatefile(\"templates/user-data.tpl\", { name = var.subnets[0], labels = [] })", fileContext)
        #expect(reason(v) == "templatefile `templates/user-data.tpl`: module.vpc.private_subnets")
        // An unknown variable the template does not use does not matter.
        let known = value("templatefile(\"templates/user-data.tpl\", { name = \"n\", labels = [], extra = var.subnets })", fileContext)
        #expect(known == .string("#!/bin/bash\nexport NAME=n\n"))
        #expect(reason(value("templatefile(\"templates/user-data.tpl\", var.subnets)", fileContext))?.hasPrefix("templatefile `templates/user-data.tpl`") == true)
    }

    @Test func templatefileErrorsPointIntoTheTemplate() {
        let (v, diagnostics) = eval("templatefile(\"templates/typo.tpl\", { name = 1 })", fileContext)
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.summary) == ["Unknown variable `nmae`"])
        #expect(diagnostics.first?.range.path == "env/prod/templates/typo.tpl")
        #expect(spots(diagnostics) == ["2:3-2:7@4-8"])
        #expect(diagnostics.first?.detail?.contains("Did you mean `name`?") == true)

        let broken = eval("templatefile(\"templates/broken.tpl\", {})", fileContext)
        #expect(broken.0.isUnknown)
        #expect(broken.1.first?.range.path == "env/prod/templates/broken.tpl")

        let nested = eval("templatefile(\"templates/nested.tpl\", {})", fileContext)
        #expect(nested.1.map(\.summary) == ["Recursive `templatefile`"])
    }

    @Test func templatefileConvertsItsSingleInterpolationToAString() {
        #expect(value("templatefile(\"templates/json.tpl\", { config = { a = 1 } })", fileContext) == .string("{\"a\":1}"))
    }

    // MARK: Depth

    @Test func treesBeyondAnyParsableDepthAreRefused() {
        var e = HCL.Expression(.literal(.number(1)), SourceRange.fileStart("x"))
        for _ in 0..<5_000 { e = HCL.Expression(.unary(.negate, e), e.range) }
        let (v, diagnostics) = evaluate(e, in: EvalContext())
        #expect(v.isUnknown)
        #expect(diagnostics.map(\.summary) == ["Expression too deep"])
        #expect(Evaluation.nestingDepth(of: e) == 5_001)
    }

    /// `runDepth` (a bounded look) agrees with `nestingDepth` wherever `run` tells the two apart:
    /// exact above `inlineDepth`, `inlineDepth` at or below it.
    @Test func runDepthAgreesWithTheNestingDepth() {
        // Each wrapper adds one or more levels around `x`, in every kind of node.
        let wrappers: [(String) -> String] = [
            { "[\($0)]" }, { "{ k = \($0) }" }, { "f(1, \($0))" }, { "true ? \($0) : 2" }, { "-(\($0))" }, { "\($0) + 1" },
            { "[for v in [1] : \($0)]" }, { "{ for k, v in {} : k => \($0) if \($0) }" }, { "\"a${\($0)}b\"" },
            { "\"%{ if \($0) }y%{ endif }\"" }, { "\"%{ for v in \($0) }${v}%{ endfor }\"" }, { "a[\($0)]" }, { "(\($0)).b" }, { "\($0)[*].c" },
        ]
        var rng = SeededGenerator(seed: 0xDE97)
        var deep = 0, shallow = 0
        for _ in 0..<600 {
            var text = ["x", "1", "\"s\"", "var.a"].randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 0...14, using: &rng) { text = wrappers.randomElement(using: &rng)!(text) }
            let (e, diagnostics) = parseExpr(text)
            guard diagnostics.isEmpty else { continue }
            let exact = Evaluation.nestingDepth(of: e)
            if exact > Evaluation.inlineDepth { deep += 1 } else { shallow += 1 }
            #expect(Evaluation.runDepth(of: e) == max(exact, Evaluation.inlineDepth), "\(text)")
            if case .template(let parts) = e.kind {
                let exactParts = Evaluation.nestingDepth(of: parts)
                #expect(Evaluation.runDepth(of: parts) == max(exactParts, Evaluation.inlineDepth), "\(text)")
            }
        }
        #expect(deep > 50 && shallow > 50, "both sides of the threshold: \(deep) deep, \(shallow) shallow")
    }

    @Test func deepExpressionsEvaluateOnASmallStack() {
        let depth = HCLParser.maxNestingDepth - 2
        let text = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        let (e, _) = parseExpr(text)
        let loops = 200
        let (forExpression, _) = parseExpr(String(repeating: "[for x in [1] : ", count: loops) + "x" + String(repeating: "]", count: loops))
        let box = ResultBox<Value>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = evaluate(e, in: EvalContext()).0
            let nestedFor = evaluate(forExpression, in: EvalContext()).0
            precondition(nestedFor.listValue?.count == 1)
            done.signal()
        }
        thread.stackSize = 512 << 10
        thread.start()
        done.wait()
        var v = box.value!
        var levels = 0
        while let inner = v.listValue?.first {
            v = inner
            levels += 1
        }
        #expect(levels == depth)
        #expect(v == .number(1))
    }
}
