import AuditCore
import HCL
import Terraform
import Testing

/// `yamldecode(file(...))` of a workspace's YAML file takes the parse the workspace made when it
/// loaded the file: the value (with every origin), the diagnostics and their ranges must be what
/// parsing the text again gives.
@Suite("yamldecode reuses the workspace's parse")
struct YAMLReuseTests {
    static let files = [
        "configs/fleet.yaml": """
            # a multi-runner fleet
            matcherConfig:
              labelMatchers: [[self-hosted, linux, x64]]
              exactMatch: true
            runner_config:
              runner_os: linux
              instance_types: [m5.large, c5.large]
              enable_ephemeral_runners: true
              runner_extra_labels: &labels
                - a
                - b
              again: *labels
            """,
        "configs/two.yaml": "a: 1\n---\nb: 2\n",
        "configs/broken.yaml": "a: [1, 2\nb: 3\n",
        "configs/empty.yaml": "# nothing here\n",
        "configs/dupes.yaml": "a: 1\na: 2\n",
        "main.tf": """
            locals {
              fleet  = yamldecode(file("${path.module}/configs/fleet.yaml"))
              two    = yamldecode(file("configs/two.yaml"))
              broken = yamldecode(file("configs/broken.yaml"))
              empty  = yamldecode(file("configs/empty.yaml"))
              dupes  = yamldecode(file("configs/dupes.yaml"))
              part   = yamldecode(substr(file("configs/fleet.yaml"), 0, 40))
              all    = { for f in fileset(path.module, "configs/*.yaml") : f => yamldecode(file(f)) }
            }
            """,
    ]

    /// Every leaf of a value with its origin, and every unknown's reason.
    static func flattened(_ v: Value, _ path: String = "") -> [String] {
        var out = ["\(path) @ \(v.origin.map(\.description) ?? "-")"]
        switch v.kind {
        case .list(let items): for (i, item) in items.enumerated() { out += flattened(item, "\(path)[\(i)]") }
        case .object(let fields): for k in fields.keys.sorted() { out += flattened(fields[k]!, "\(path).\(k)") }
        default: out[0] += " = \(v)"
        }
        return out
    }

    @Test func valuesOriginsAndDiagnosticsAreThoseOfAFreshParse() throws {
        let ws = workspace(Self.files)
        let module = try #require(ws.terraformModules()[""])
        let reusing = ModuleScope(module: module, rootDirectory: "", given: [:], fileSystem: ws.fileSystem, functions: ws.functions)
        let parsing = ModuleScope(module: module, rootDirectory: "", given: [:], fileSystem: ws.fileSystem)
        for name in ["fleet", "two", "broken", "empty", "dupes", "part", "all"] {
            let expression = try #require(module.locals[name]?.expression)
            let (a, aDiagnostics) = reusing.evaluate(expression)
            let (b, bDiagnostics) = parsing.evaluate(expression)
            #expect(Self.flattened(a) == Self.flattened(b), "local.\(name)")
            #expect(aDiagnostics == bDiagnostics, "local.\(name)")
        }
        // The cases are not vacuous: a value with origins in the YAML file, a second document, a
        // syntax error and an empty text each say so.
        #expect(Self.flattened(reusing.evaluate(module.locals["fleet"]!.expression).0).contains { $0.contains("configs/fleet.yaml:7:") })
        #expect(reusing.evaluate(module.locals["two"]!.expression).1.contains { $0.summary.hasSuffix("only a single YAML document is allowed") && $0.range.start.line == 3 })
        #expect(reusing.evaluate(module.locals["broken"]!.expression).1.contains { $0.severity == .error && $0.range.path == "configs/broken.yaml" })
        #expect(reusing.evaluate(module.locals["empty"]!.expression).1.contains { $0.summary.hasSuffix("empty YAML document") })
    }

    @Test func onlyTheWholeTextOfAYAMLFileIsTaken() {
        let ws = workspace(Self.files)
        let text = Self.files["configs/fleet.yaml"]!
        #expect(ws.parsedYAML("configs/fleet.yaml", text: text)?.first != nil)
        #expect(ws.parsedYAML("configs/fleet.yaml", text: String(text.dropLast())) == nil, "another text at the same path")
        #expect(ws.parsedYAML("main.tf", text: Self.files["main.tf"]!) == nil, "not a YAML file")
        #expect(ws.parsedYAML("configs/two.yaml", text: "a: 1\n---\nb: 2\n")?.documentCount == 2)
    }
}

/// One plan of a module's locals serves every scope of the module: the values stay each scope's
/// own, and every scope still reports the module's cycle.
@Suite("Locals planned once per module")
struct LocalPlanTests {
    @Test func scopesOfOneModuleShareThePlanNotTheValues() throws {
        let shared = """
            variable "name" { type = string }
            locals {
              greeting = "hello ${var.name}"
              shout    = upper(local.greeting)
              a        = local.b
              b        = local.a
            }
            """
        let m = try model([
            "modules/shared/main.tf": shared,
            "one/main.tf": "module \"s\" {\n  source = \"../modules/shared\"\n  name   = \"one\"\n}\n",
            "two/main.tf": "module \"s\" {\n  source = \"../modules/shared\"\n  name   = \"two\"\n}\n",
        ])
        let scopes = m.scopes.filter { $0.module.directory == "modules/shared" }
        #expect(scopes.count == 2)
        #expect(Set(scopes.map { $0.locals["shout"]?.stringValue ?? "?" }) == ["HELLO ONE", "HELLO TWO"])
        for scope in scopes {
            #expect(scope.diagnostics.contains { $0.summary.hasPrefix("Cycle of locals") }, "each scope reports the cycle")
            #expect(scope.cyclicLocals.keys.sorted() == ["a", "b"])
            #expect(scope.locals["a"]?.isUnknown == true)
        }
        // A plan is the module's: made from it alone, the same however often it is made.
        let module = try #require(workspace(["modules/shared/main.tf": shared]).terraformModules()["modules/shared"])
        let plans = LocalPlans()
        let scope = ModuleScope(module: module, rootDirectory: "", given: ["name": VariableValue(value: .string("x"), range: nil, source: .moduleCall)],
                                fileSystem: MemoryFileSystem([:]), plans: plans)
        let again = ModuleScope(module: module, rootDirectory: "", given: ["name": VariableValue(value: .string("y"), range: nil, source: .moduleCall)],
                                fileSystem: MemoryFileSystem([:]), plans: plans)
        #expect(scope.locals["shout"]?.stringValue == "HELLO X" && again.locals["shout"]?.stringValue == "HELLO Y")
        #expect(scope.diagnostics == again.diagnostics && scope.diagnostics.count == 1)
    }
}
