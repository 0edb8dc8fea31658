import AuditCore
import HCL
@testable import Terraform
import Testing

/// `RunnerModuleCall` and `Fleet` keep their fields in a shared copy-on-write box (a copy is one
/// reference): a change to one copy must never show through another, whichever field changes.
@Suite("Copy-on-write model values")
struct SharedStorageTests {
    let files = [
        "main.tf": """
        module "runners" {
          source        = "github-aws-runners/github-runner/aws"
          version       = "5.10.0"
          github_app    = { id = "1", key_base64 = "k", webhook_secret = "s" }
          runner_os     = "linux"
          instance_types = ["m5.large"]
        }
        """,
    ]

    @Test func changingACopyOfAFleetLeavesTheOriginal() throws {
        let m = try model(files)
        let original = try #require(m.calls.first?.fleets.first)
        var copy = original
        copy.name = "renamed"
        copy.inputs["runner_os"] = FleetInput(name: "runner_os", value: .string("windows"), range: copy.anchor)
        copy.anchor = .fileStart("elsewhere.tf")
        copy.callInstance = 3
        #expect(original.name == "module.runners")
        #expect(original.inputs["runner_os"]?.value.stringValue == "linux")
        #expect(original.anchor.path == "main.tf")
        #expect(original.callInstance == 0)
        #expect(copy.name == "renamed")
        #expect(copy.inputs["runner_os"]?.value.stringValue == "windows")
        #expect(copy.callInstance == 3)
    }

    @Test func changingACopyOfACallLeavesTheOriginalAndTheModel() throws {
        let m = try model(files)
        let original = try #require(m.calls.first)
        var copy = original
        copy.address = "module.other"
        copy.fleets[0].name = "changed in the copy"
        copy.fleets.append(copy.fleets[0])
        copy.vendoredRoot = "vendor"
        #expect(original.address == "module.runners")
        #expect(original.fleets.map(\.name) == ["module.runners"])
        #expect(original.vendoredRoot == nil)
        #expect(m.calls.first?.fleets.first?.name == "module.runners")
        #expect(copy.fleets.map(\.name) == ["changed in the copy", "changed in the copy"])
        // A copy changed in place again (its box no longer shared) keeps the change.
        copy.fleets[1].name = "second"
        #expect(copy.fleets.map(\.name) == ["changed in the copy", "second"])
    }

    /// A block's fields are one shared box too: a copy changed field by field leaves the original
    /// (and the module table it was read from) as parsed.
    @Test func changingACopyOfABlockLeavesTheOriginal() throws {
        let file = HCLParser.parse(SourceFile(path: "main.tf", text: "resource \"a\" \"b\" {\n  x = 1\n}\nvariable \"v\" {}\n"))
        let module = TerraformModule(directory: "", files: [file])
        let original = try #require(module.resources["a.b"])
        var copy = original
        copy.type = "data"
        copy.labels.append(BlockLabel(value: "c", range: original.range, quoted: true))
        copy.body.items.removeAll()
        copy.range = original.typeRange
        copy.openBraceRange = original.closeBraceRange
        copy.closeBraceRange = original.openBraceRange
        copy.typeRange = original.range
        #expect(original.type == "resource" && original.labels.map(\.value) == ["a", "b"])
        #expect(original.body.attribute("x") != nil && original.range.end.line == 3)
        #expect(original.openBraceRange.start.column == 18 && original.closeBraceRange.start.line == 3)
        #expect(module.resources["a.b"]?.body.items.count == 1 && module.variables["v"]?.block.type == "variable")
        #expect(copy.type == "data" && copy.labels.map(\.value) == ["a", "b", "c"] && copy.body.items.isEmpty)
        #expect(copy.range == original.typeRange && copy.typeRange == original.range)
        #expect(copy.openBraceRange == original.closeBraceRange && copy.closeBraceRange == original.openBraceRange)
    }

    /// Scopes share one `path` value per relative path (every root module's is `.`), and each
    /// still reads its own.
    @Test func scopesShareThePathValueOfTheirRelativePath() {
        let root = ModuleScope.pathObject(module: "env/prod", root: "env/prod")
        #expect(root.objectValue?["module"]?.stringValue == ".")
        #expect(root.objectValue?["root"]?.stringValue == "." && root.objectValue?["cwd"]?.stringValue == ".")
        #expect(ModuleScope.pathObject(module: "env/dev", root: "env/dev") == root)
        let wrapper = ModuleScope.pathObject(module: "modules/runner", root: "env/prod")
        #expect(wrapper.objectValue?["module"]?.stringValue == "../../modules/runner")
        #expect(ModuleScope.pathObject(module: "modules/runner", root: "env/dev") == wrapper)
        #expect(ModuleScope.pathObject(module: "modules/runner", root: "prod") != wrapper)
        #expect(ModuleScope.pathObject(module: "modules/runner", root: "prod").objectValue?["module"]?.stringValue == "../modules/runner")
    }
}
