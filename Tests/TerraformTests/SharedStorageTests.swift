import AuditCore
import HCL
import Terraform
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
}
