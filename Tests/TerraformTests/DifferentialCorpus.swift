import AuditCore
import Foundation
import HCL
import Knowledge
import Terraform

/// The expressions of the differential test: generated ones for every function and form, files
/// decoded and rendered, and the locals of the fixture repositories with their inputs stubbed.
enum DifferentialCorpus {
    /// Hand-picked calls, at least one per function ghr-audit implements, plus the forms of the
    /// language. Each is valid HCL; some are meant to be rejected by Terraform at evaluation.
    static let expressions: [String] = [
        // Numbers and arithmetic
        "1 + 2 * 3", "7 / 2", "7 % 3", "-5 % 3", "2.5 * 4", "1 == 1.0", "\"1\" + 1", "10 - \"3\"", "!true", "-(3)",
        "abs(-3.5)", "abs(0)", "ceil(1.2)", "ceil(-1.2)", "floor(1.8)", "floor(-1.8)", "max(1, 5, 3)", "min(4, \"2\", 9)",
        "max([3, 8]...)", "pow(2, 10)", "pow(2, 0.5)", "signum(-7)", "signum(0)", "parseint(\"ff\", 16)", "parseint(\"-101\", 2)",
        "parseint(\"zz\", 36)", "sum([1, 2, 3.5])", "sum([])", "1 / 0 > 1000", "0.1 + 0.2", "1e3", "1.5e-2 * 100", "5 > 3 && 2 >= 2", "3 < 1 || 1 <= 1",
        // Strings
        "upper(\"abc\")", "lower(\"ÀBC\")", "title(\"hello world-foo\")", "strrev(\"abc\")", "chomp(\"x\\n\\n\")", "chomp(\"x\\r\\n\")",
        "trimspace(\"  a b \\n\")", "trim(\"?!hello?!\", \"!?\")", "trimprefix(\"helloworld\", \"hello\")", "trimsuffix(\"helloworld\", \"world\")",
        "trimprefix(\"x\", \"y\")", "substr(\"hello world\", 1, 4)", "substr(\"hello\", -3, -1)", "substr(\"hello\", 10, 2)", "substr(\"héllo\", 1, 2)",
        "indent(2, \"a\\nb\\n\")", "join(\",\", [\"a\", \"b\", 3])", "join(\"-\", [])", "split(\",\", \"a,b,,c\")", "split(\",\", \"\")",
        "replace(\"hello\", \"l\", \"L\")", "replace(\"hello\", \"/l+/\", \"_\")", "replace(\"a-b-c\", \"/(\\\\w)-(\\\\w)/\", \"$2$1\")",
        "startswith(\"hello\", \"he\")", "endswith(\"hello\", \"lo\")", "strcontains(\"hello\", \"ell\")", "strcontains(\"hello\", \"x\")",
        "format(\"%s-%d-%05.2f\", \"a\", 3, 3.14159)", "format(\"%q\", \"x\\\"y\")", "format(\"%v %v %v\", true, 1, \"s\")", "format(\"%t\", false)",
        "format(\"%x %X %o %b\", 255, 255, 8, 5)", "format(\"%e\", 1234.5)", "format(\"%-5s|%5s\", \"ab\", \"cd\")", "format(\"%%\")", "format(\"%#v\", {a = 1})",
        "formatlist(\"%s=%s\", [\"a\", \"b\"], [\"1\", \"2\"])", "formatlist(\"x-%s\", [\"a\", \"b\"])", "formatlist(\"%s-%s\", \"k\", [\"a\", \"b\"])",
        "regex(\"[a-z]+\", \"123abc456\")", "regex(\"(\\\\d+)-(\\\\d+)\", \"10-20\")", "regex(\"(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)\", \"v4.1\")",
        "regexall(\"[0-9]\", \"a1b2c3\")", "regexall(\"(\\\\w)=(\\\\d)\", \"a=1 b=2\")", "length(regexall(\"x\", \"abc\"))", "regex(\"z\", \"abc\")",
        "tostring(12)", "tostring(true)", "tostring(null)", "tostring(1.50)",
        // Templates and directives
        "\"a${1 + 1}b\"", "\"${true}\"", "\"x%{if true}yes%{else}no%{endif}\"", "\"%{for i in [1, 2, 3]}${i},%{endfor}\"",
        "\"%{for k, v in {b = 2, a = 1}}${k}=${v};%{endfor}\"", "\"  %{~if true~}  x  %{~endif~}  \"", "<<-EOT\n    line1\n      line2\n    EOT",
        "<<EOT\n${upper(\"a\")}\nEOT", "\"$${not} %%{not}\"", "\"${null}\"", "\"${[1]}\"", "\"%{if false}a%{endif}\"", "\"${\"nested ${1}\"}\"",
        "\"%{for i, v in [\"a\", \"b\"]}${i}${v}%{endfor}\"", "\"é${\"ü\"}\"",
        // Conditionals
        "true ? 1 : 2", "false ? \"a\" : \"b\"", "1 > 2 ? [1] : []", "null == null", "null != \"x\"", "true ? {a = 1} : {a = 2}",
        "\"x\" == \"x\" ? \"eq\" : \"ne\"", "null == null ? 1 : 0", "true ? 1 : \"two\"", "false ? null : \"v\"", "[1, 2] == [1, 2]", "{a = 1} == {a = 1}",
        "[] == []", "1 == \"1\"",
        // Collections
        "length([1, 2, 3])", "length({a = 1})", "length(\"héllo\")", "length(null)", "concat([1], [2, 3], [])", "contains([1, 2], 2)",
        "contains([\"a\"], \"b\")", "distinct([1, 2, 1, 3, 2])", "element([\"a\", \"b\", \"c\"], 4)", "element([\"a\", \"b\"], -1)",
        "index([\"a\", \"b\", \"c\"], \"b\")", "flatten([[1, [2]], [], [[3, 4]]])", "keys({b = 1, a = 2})", "values({b = 1, a = 2})",
        "lookup({a = 1}, \"a\", 0)", "lookup({a = 1}, \"b\", 0)", "lookup({a = 1}, \"b\")", "merge({a = 1, b = 2}, {b = 3}, null)", "merge()",
        "merge({a = {x = 1}}, {a = {y = 2}})", "reverse([1, 2, 3])", "slice([1, 2, 3, 4], 1, 3)", "slice([1, 2], 0, 5)", "sort([\"b\", \"a\", \"c\"])",
        "sort([10, 9, 1])", "range(3)", "range(1, 4)", "range(0, 10, 3)", "range(5, 1, -2)", "range(0)", "zipmap([\"a\", \"b\"], [1, 2])",
        "chunklist([1, 2, 3, 4, 5], 2)", "chunklist([], 2)", "coalesce(null, \"\", \"b\")", "coalesce(null, 1)", "coalesce(\"a\", 1)",
        "coalescelist([], [1], [2])", "compact([\"a\", \"\", null, \"b\"])", "one([])", "one([\"x\"])", "one([1, 2])", "one(null)",
        "matchkeys([\"a\", \"b\", \"c\"], [1, 2, 3], [2, 3])", "transpose({a = [\"1\", \"2\"], b = [\"2\"]})", "alltrue([true, \"true\"])",
        "alltrue([])", "anytrue([false, true])", "anytrue([])", "setproduct([\"a\", \"b\"], [1, 2])", "setunion([1, 2], [2, 3])",
        "setintersection([1, 2, 3], [2, 3, 4])", "setsubtract([1, 2, 3], [2])", "toset([\"b\", \"a\", \"b\"])", "tolist(toset([3, 1, 2]))",
        "tomap({a = 1, b = \"x\"})", "tolist([1, \"a\"])", "tonumber(\"3.25\")", "tonumber(\"x\")", "tobool(\"true\")", "tobool(\"yes\")",
        "tonumber(null)", "[for x in [1, 2, 3] : x * 2]", "[for i, x in [\"a\", \"b\"] : \"${i}${x}\"]", "{for k, v in {a = 1, b = 2} : v => k}",
        "[for x in [1, 2, 3, 4] : x if x % 2 == 0]", "{for x in [\"a\", \"b\", \"a\"] : x => 1...}", "{for k, v in {x = 1} : upper(k) => v + 1}",
        "[for s in toset([\"b\", \"a\"]) : s]", "[for k, v in {b = 1, a = 2} : k]", "[for v in {b = 1, a = 2} : v]",
        "{for x in [\"a\", \"b\"] : x => x}", "[for x in [] : x]", "[for x in \"str\" : x]", "[{a = 1}, {a = 2}][*].a", "[{a = {b = 1}}][*].a.b",
        "{a = 1}[*]", "null[*]", "[[1, 2], [3]][0][1]", "{a = [1, 2]}.a[1]", "{a = {b = \"c\"}}[\"a\"].b", "[1, 2, 3][*]",
        "length([for x in range(10) : x if x > 6])", "[for x in [{n = \"a\", v = 1}, {n = \"b\", v = 2}] : x.n if x.v > 1]",
        "{for x in [{k = \"a\", v = 1}, {k = \"a\", v = 2}] : x.k => x.v...}", "merge([for x in [\"a\", \"b\"] : {(x) = upper(x)}]...)",
        "flatten([for k, v in {a = [1, 2], b = [3]} : [for i in v : \"${k}${i}\"]])", "keys(merge({b = 1}, {a = 2}))",
        "try(tonumber(\"x\"), 5)", "try([][0], \"d\")", "try({a = 1}.b, \"none\")", "can(regex(\"^a\", \"abc\"))", "can(regex(\"^b\", \"abc\"))",
        "can([][0])", "try(null, 1)", "try(\"first\", \"second\")",
        // Encoding
        "jsonencode({b = [1, true, null], a = \"x\"})", "jsonencode(\"<&>\")", "jsonencode(1.5)", "jsondecode(\"{\\\"a\\\": [1, 2.5, null, true]}\")",
        "jsondecode(\"\\\"s\\\"\")", "jsondecode(\"[]\")", "yamldecode(\"a: 1\\nb: [x, y]\\nc: {d: true}\\ne: null\\nf: '2'\")",
        "yamldecode(\"- 1\\n- two\\n- 3.5\\n- yes\\n- on\\n- ~\")", "yamldecode(\"a: |\\n  line1\\n  line2\\n\")", "yamldecode(\"key: 0x1F\")",
        "yamldecode(\"anchors: &x {a: 1}\\nref: *x\")", "yamldecode(\"t: 2024-01-01\")", "yamldecode(\"n: 1e3\")", "yamldecode(\"\")",
        "base64encode(\"héllo\")", "base64decode(\"aGVsbG8=\")", "base64decode(\"!!\")", "sensitive(\"s\") == \"s\"", "nonsensitive(sensitive(\"v\"))",
        "jsonencode(sensitive({a = 1})) != \"\"", "length(sensitive([1, 2]))",
        // Paths
        "dirname(\"a/b/c.txt\")", "dirname(\"file\")", "basename(\"a/b/c.txt\")", "basename(\"dir/\")", "pathexpand(\"a/b\")",
        // Variables: type conversion, optional() defaults, nullable
        "var.create ? \"create\" : \"skip\"", "var.nullable_given_null", "var.non_nullable_given_null", "var.non_nullable_no_default_given",
        "var.cfg", "var.cfg.a", "var.cfg.items[1].on", "var.cfg_list[*].name", "var.cfg_list", "var.map_num", "var.list_str", "var.set_str",
        "var.tuple_mixed", "var.bool_from_string", "var.number_from_string", "var.obj_null", "var.untyped", "var.nested_defaults",
        "var.map_of_obj", "var.opt_null_default", "var.any_list", "length(var.set_str)", "var.cfg_list[0].tags", "var.string_from_number",
        "[for k, v in var.map_of_obj : \"${k}:${v.size}\"]", "var.nested_defaults.inner.deep",
    ]

    /// Variable declarations the expressions read (Terraform and ghr-audit see the same).
    static let variables = """
    variable "create" {
      type     = bool
      default  = true
      nullable = false
    }
    variable "nullable_given_null" {
      type    = string
      default = "default"
    }
    variable "non_nullable_given_null" {
      type     = string
      default  = "default"
      nullable = false
    }
    variable "non_nullable_no_default_given" {
      type     = list(string)
      nullable = false
    }
    variable "cfg" {
      type = object({
        a     = optional(string, "a-default")
        b     = optional(number)
        items = list(object({ on = optional(bool, true), label = optional(string, "x") }))
      })
    }
    variable "cfg_list" {
      type = list(object({ name = string, tags = optional(map(string), {}) }))
    }
    variable "map_num" { type = map(number) }
    variable "list_str" { type = list(string) }
    variable "set_str" { type = set(string) }
    variable "tuple_mixed" { type = tuple([string, number, bool]) }
    variable "bool_from_string" { type = bool }
    variable "number_from_string" { type = number }
    variable "string_from_number" { type = string }
    variable "obj_null" {
      type    = object({ a = optional(string, "x") })
      default = null
    }
    variable "untyped" {
      default = { a = [1, "b"] }
    }
    variable "nested_defaults" {
      type = object({
        inner = optional(object({ deep = optional(string, "deep-default"), n = optional(number, 3) }), {})
      })
      default = {}
    }
    variable "map_of_obj" {
      type = map(object({ size = optional(number, 10) }))
    }
    variable "opt_null_default" {
      type = object({ a = optional(string, "filled") })
    }
    variable "any_list" { type = list(any) }

    """

    static let tfvars = """
    create                        = null
    nullable_given_null           = null
    non_nullable_given_null       = null
    non_nullable_no_default_given = ["given"]
    cfg = {
      b     = 2
      items = [{}, { on = false, extra = "dropped" }]
    }
    cfg_list           = [{ name = "a" }, { name = "b", tags = { k = "v" } }]
    map_num            = { a = "1", b = 2.5 }
    list_str           = [1, true, "s"]
    set_str            = ["b", "a", "b"]
    tuple_mixed        = ["s", "2", "true"]
    bool_from_string   = "false"
    number_from_string = "42"
    string_from_number = 7
    map_of_obj         = { small = { size = 1 }, dflt = {} }
    opt_null_default   = { a = null }
    any_list           = [1, 2]

    """

    static func generated() -> [DifferentialCase] {
        (expressions + combinations()).enumerated().map { DifferentialCase(name: String(format: "g%03d", $0.offset), expression: $0.element) }
    }

    /// Functions and operators over every combination of a few sample values.
    static func combinations() -> [String] {
        let strings = [#""""#, #""a""#, #""Hello World""#, #""  x  ""#, #""ümlaut ß""#, #""a,b,c""#, #""line\n""#, #""MiXeD-case_1""#]
        let numbers = ["0", "1", "-1", "2.5", "-2.5", "1000000", "0.001", "7"]
        let lists = ["[]", #"["a"]"#, #"["b", "a", "b"]"#, #"["x", "", "y"]"#, #"["10", "9", "1"]"#]
        let scalars = ["1", #""s""#, "true", "null", #""1""#, #""true""#, "0.5"]
        var out: [String] = []
        for f in ["upper", "lower", "title", "strrev", "trimspace", "chomp", "length", "base64encode", "jsonencode"] {
            for s in strings { out.append("\(f)(\(s))") }
        }
        for (f, arg) in [("startswith", #""a""#), ("endswith", #""c""#), ("strcontains", #"",""#), ("trimprefix", #""a""#),
                         ("trimsuffix", #""\n""#), ("split", #"",""#), ("trim", #"" ""#)] {
            for s in strings { out.append(f == "split" ? "\(f)(\(arg), \(s))" : "\(f)(\(s), \(arg))") }
        }
        for s in strings { out.append(#"replace(\#(s), "a", "_")"#) }
        for s in strings { out.append(#""<${\#(s)}>""#) }
        for f in ["abs", "ceil", "floor", "signum", "tostring"] {
            for n in numbers { out.append("\(f)(\(n))") }
        }
        for op in ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">="] {
            for (a, b) in [("1", "2"), ("7", "3"), ("-4", "2"), ("2.5", "0.5")] { out.append("\(a) \(op) \(b)") }
        }
        for f in ["length", "distinct", "reverse", "sort", "compact", "tolist", "toset", "jsonencode", "concat"] {
            for l in lists { out.append(f == "concat" ? "concat(\(l), \(l))" : "\(f)(\(l))") }
        }
        for l in lists {
            out.append(#"join("|", \#(l))"#)
            out.append(#"[for i, v in \#(l) : "${i}=${v}"]"#)
            out.append("{for v in \(l) : v => v...}")
            out.append(#"contains(\#(l), "a")"#)
            out.append("slice(\(l), 0, length(\(l)))")
        }
        for f in ["tostring", "tonumber", "tobool"] {
            for v in scalars { out.append("\(f)(\(v))") }
        }
        for a in scalars {
            for b in scalars where a != b { out.append("true ? \(a) : \(b)") }
        }
        for v in scalars { out.append(#""${\#(v)}""#) }
        for (verb, v) in [("%d", "42"), ("%s", "42"), ("%f", "1"), ("%.1f", "2.25"), ("%5d", "3"), ("%-3d|", "3"), ("%v", "[1, 2]"),
                          ("%#v", #""s""#), ("%q", "1"), ("%t", "true"), ("%s", "true")] {
            out.append(#"format("\#(verb)", \#(v))"#)
        }
        return out
    }

    /// Files the file functions read, at paths relative to the root module: the fixtures' YAML,
    /// JSON and templates, and templates written here for directives.
    static func dataFiles() -> [String: String] {
        var files: [String: String] = [
            "files/t1.tftpl": "Hello ${name}!\n%{ for i in items ~}\n- ${i}\n%{ endfor ~}\n%{ if flag }on%{ else }off%{ endif }\n",
            "files/t2.tftpl": "${jsonencode({ a = a, list = [for x in list : upper(x)] })}",
            "files/t3.tftpl": "literal only $${x} %%{y}\n",
            "files/plain.txt": "plain text\nwith two lines\n",
            "files/a.yaml": "runner_config:\n  instance_types: [m5.large, c5.large]\n  enable_ephemeral_runners: true\n  labels: ['a', \"b\"]\n",
            "files/b.json": "{\"x\": [1, 2, {\"y\": null}], \"z\": \"s\"}\n",
        ]
        let fixtures = testPackageRoot.appendingPathComponent("fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        for name in names.sorted() {
            let repo = fixtures.appendingPathComponent(name).appendingPathComponent("repo")
            guard let walker = FileManager.default.enumerator(at: repo, includingPropertiesForKeys: nil) else { continue }
            while let url = walker.nextObject() as? URL {
                let path = url.path
                guard [".yaml", ".yml", ".json", ".tftpl", ".tpl"].contains(where: { path.hasSuffix($0) }),
                      let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                files["fx/\(name)/" + String(path.dropFirst(repo.path.count + 1))] = text
            }
        }
        return files
    }

    static func fileCases(files: [String: String]) -> [DifferentialCase] {
        var exprs: [String] = [
            "templatefile(\"files/t1.tftpl\", { name = \"you\", items = [\"a\", \"b\"], flag = true })",
            "templatefile(\"files/t1.tftpl\", { name = 1, items = [], flag = false })",
            "templatefile(\"files/t2.tftpl\", { a = 1, list = [\"x\", \"y\"] })",
            "templatefile(\"files/t3.tftpl\", {})",
            "templatefile(\"${path.module}/files/t3.tftpl\", {})",
            "file(\"files/plain.txt\")", "fileexists(\"files/plain.txt\")", "fileexists(\"files/none.txt\")",
            "fileset(\"files\", \"*.tftpl\")", "fileset(path.module, \"files/*.{yaml,json}\")", "fileset(\"fx\", \"**/*.yaml\")",
            "yamldecode(file(\"files/a.yaml\"))", "jsondecode(file(\"files/b.json\"))", "length(file(\"files/plain.txt\"))",
            "abspath(\"files\") == \"${abspath(path.root)}/files\"", "filebase64(\"files/plain.txt\")", "filesha256(\"files/plain.txt\")",
            "filebase64sha256(\"files/plain.txt\")", "[for f in fileset(\"files\", \"*.yaml\") : yamldecode(file(\"files/${f}\"))]",
        ]
        for path in files.keys.sorted() where path.hasPrefix("fx/") {
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
                exprs.append("yamldecode(file(\"\(path)\"))")
            } else if path.hasSuffix(".json") {
                exprs.append("jsondecode(file(\"\(path)\"))")
            } else {
                exprs.append("file(\"\(path)\")")
            }
        }
        return exprs.enumerated().map { DifferentialCase(name: String(format: "f%03d", $0.offset), expression: $0.element) }
    }

    /// The locals of the fixture repositories whose inputs can be stubbed: each module directory's
    /// locals, renamed apart, with its variables (defaults kept; a typed variable without a default
    /// gets a stub value). Locals that reach module outputs, resources or data sources are left out
    /// (Terraform cannot evaluate them offline either).
    /// The longest inlined expression a case may have (bytes).
    static let largestInlinedCase = 65_536

    static func fixtureLocals(packageRoot: URL) -> (cases: [DifferentialCase], variables: String, tfvars: String) {
        var repos: [(name: String, files: [String: String])] = []
        let fixtures = packageRoot.appendingPathComponent("fixtures")
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).sorted() {
            let repo = fixtures.appendingPathComponent(name).appendingPathComponent("repo")
            var files: [String: String] = [:]
            guard let walker = FileManager.default.enumerator(at: repo, includingPropertiesForKeys: nil) else { continue }
            while let url = walker.nextObject() as? URL {
                guard url.path.hasSuffix(".tf"), let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                files[String(url.path.dropFirst(repo.path.count + 1))] = text
            }
            repos.append(("fx/\(name)", files))
        }
        // The catalogue's example repositories (markers removed).
        if let knowledge = try? KnowledgeBase.load() {
            // CORE-007's examples exist to exhaust the evaluation budget (a string doubled through
            // thirty locals): in one module with every other case they spent the whole budget
            // and left all 1,192 expressions unknown. They are limits, not semantics.
            for rule in knowledge.rules where rule.id != "CORE-007" {
                for example in rule.examples {
                    let files = example.materialise().files.filter { $0.key.hasSuffix(".tf") }
                    if !files.isEmpty { repos.append(("ex/\(rule.id)/\(example.name)", files)) }
                }
            }
        }
        var cases: [DifferentialCase] = []
        var variables = "", tfvars = ""
        var group = 0
        for (name, files) in repos {
            var byDir: [String: [HCLFile]] = [:]
            for (rel, text) in files.sorted(by: { $0.key < $1.key }) {
                let file = HCLParser.parse(SourceFile(path: rel, text: text))
                guard file.diagnostics.isEmpty else { continue }
                byDir[Paths.directory(of: rel), default: []].append(file)
            }
            for dir in byDir.keys.sorted() {
                let module = TerraformModule(directory: dir, files: byDir[dir]!)
                guard !module.locals.isEmpty || !module.moduleCalls.isEmpty else { continue }
                group += 1
                let prefix = "c\(group)_"
                let fileDir = name + (dir.isEmpty ? "" : "/\(dir)")
                // Variables: keep the declaration (renamed); stub a value when it has no default.
                var usable: Set<String> = []
                for (vname, decl) in module.variables.sorted(by: { $0.key < $1.key }) {
                    var block = "variable \"\(prefix)\(vname)\" {\n"
                    if let t = decl.typeText { block += "  type = \(t)\n" }
                    if let d = decl.defaultExpression {
                        guard let text = sourceText(d, in: module) else { continue }
                        block += "  default = \(text)\n"
                    } else {
                        guard let stub = stub(for: decl.typeText) else { continue }
                        tfvars += "\(prefix)\(vname) = \(stub)\n"
                    }
                    if let n = decl.block.body.attribute("nullable"), let text = sourceText(n.expression, in: module) { block += "  nullable = \(text)\n" }
                    variables += block + "}\n"
                    usable.insert(vname)
                }
                // Locals whose references stay within usable variables and other kept locals.
                var kept: [String: String] = [:]
                var pending = module.locals.keys.sorted()
                var progress = true
                while progress {
                    progress = false
                    for lname in pending {
                        let expr = module.locals[lname]!.expression
                        guard let text = sourceText(expr, in: module) else { continue }
                        let refs = references(in: text)
                        let ok = refs.allSatisfy { r in
                            switch r.root {
                            case "var": return usable.contains(r.name)
                            case "local": return kept[r.name] != nil
                            case "path": return true
                            default: return false
                            }
                        }
                        guard ok else { continue }
                        let inlined = inline(rename(text, prefix: prefix, fileDir: fileDir), locals: kept)
                        pending.removeAll { $0 == lname }
                        progress = true
                        // A local built by repeated doubling (cycles-and-limits' `s20`) inlines to
                        // megabytes of text, and terraform took 16 GB and 24 minutes on the 94 MB
                        // module it made. Such locals test the evaluation budget, not semantics:
                        // they and what reads them are left out, as CORE-007's examples are.
                        guard inlined.utf8.count <= Self.largestInlinedCase else { continue }
                        kept[lname] = inlined
                    }
                }
                for lname in kept.keys.sorted() {
                    cases.append(DifferentialCase(name: prefix + lname, expression: kept[lname]!))
                }
                // The arguments of the module calls (the runner configurations themselves).
                for call in module.moduleCalls {
                    for input in call.inputs {
                        guard let text = sourceText(input.expression, in: module) else { continue }
                        let ok = references(in: text).allSatisfy { r in
                            r.root == "path" || (r.root == "var" && usable.contains(r.name)) || (r.root == "local" && kept[r.name] != nil)
                        }
                        guard ok else { continue }
                        cases.append(DifferentialCase(name: "\(prefix)m_\(call.name)_\(input.name)",
                                                      expression: inline(rename(text, prefix: prefix, fileDir: fileDir), locals: kept)))
                    }
                }
            }
        }
        return (cases, variables, tfvars)
    }

    static func sourceText(_ e: HCL.Expression, in module: TerraformModule) -> String? {
        guard let file = module.files.first(where: { $0.source.path == e.range.path }) else { return nil }
        return file.source.text(from: e.range.start.offset, to: e.range.end.offset)
    }

    static func stub(for type: String?) -> String? {
        switch type?.replacingOccurrences(of: " ", with: "") {
        case "string": "\"stub\""
        case "number": "1"
        case "bool": "true"
        case "list(string)", "set(string)": "[\"stub\"]"
        case "map(string)": "{ k = \"stub\" }"
        default: nil
        }
    }

    /// `root.name` references in expression text (outside string literals only roughly: good
    /// enough to decide which locals can be evaluated offline; a wrong guess shows as a failure).
    static func references(in text: String) -> [(root: String, name: String)] {
        let pattern = try! NSRegularExpression(pattern: #"(?<![A-Za-z0-9_.\-"])([A-Za-z_][A-Za-z0-9_\-]*)\.([A-Za-z_][A-Za-z0-9_\-]*)"#)
        let ns = text as NSString
        return pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)).compactMap { m in
            let root = ns.substring(with: m.range(at: 1)), name = ns.substring(with: m.range(at: 2))
            // Only names Terraform resolves as references; others are attribute names or text.
            if ["var", "local", "path", "module", "data", "each", "count", "self", "terraform"].contains(root) { return (root, name) }
            if root.hasPrefix("aws_") || root.hasPrefix("null_") || root.hasPrefix("random_") || root.hasPrefix("github_") { return (root, name) }
            return nil
        }
    }

    /// Each `local.name` replaced by the (already inlined) text of that local, parenthesised: the
    /// cases stand alone, as Terraform sees each wrapped in `try`.
    static func inline(_ text: String, locals: [String: String]) -> String {
        let re = try! NSRegularExpression(pattern: #"(?<![A-Za-z0-9_.\-])local\.([A-Za-z_][A-Za-z0-9_\-]*)"#)
        let ns = text as NSString
        var out = "", last = 0
        for m in re.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            let name = ns.substring(with: m.range(at: 1))
            out += locals[name].map { "(\($0))" } ?? ns.substring(with: m.range)
            last = m.range.location + m.range.length
        }
        return out + ns.substring(from: last)
    }

    static func rename(_ text: String, prefix: String, fileDir: String) -> String {
        var out = text
        for (pattern, template) in [(#"(?<![A-Za-z0-9_.\-])var\.([A-Za-z_][A-Za-z0-9_\-]*)"#, "var.\(prefix)$1"),
                                    (#"(?<![A-Za-z0-9_.\-])path\.(module|root)"#, "\"\(fileDir)\"")] {
            let re = try! NSRegularExpression(pattern: pattern)
            out = re.stringByReplacingMatches(in: out, range: NSRange(location: 0, length: (out as NSString).length), withTemplate: template)
        }
        return out
    }
}
