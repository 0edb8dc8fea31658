import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Testing

/// A runner module call whose fleets the audit cannot enumerate is never a silent pass.
@Suite struct NoSilentPassTests {
    /// Calls with no fleet for three different reasons.
    static let noFleets = """
        variable "runner_specs" {
          type = map(object({ os = string }))
        }
        module "runners" {
          source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version             = "6.10.1"
          multi_runner_config = var.runner_specs
        }
        module "off" {
          source  = "github-aws-runners/github-runner/aws"
          version = "6.10.1"
          count   = 0
        }
        module "bare" {
          source  = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version = "6.10.1"
        }

        """

    @Test func aCallWithNoFleetIsAWarningNamingTheCallAndTheExpression() throws {
        let result = try audit(MemoryFileSystem(data: ["main.tf": Data(Self.noFleets.utf8)]), target: "pinned")
        let warnings = result.report.findings.filter { $0.ruleId == "CORE-003" && $0.severity == .warning }
        let runners = try #require(warnings.first { $0.message.contains("`module.runners`") })
        #expect(runners.message.contains("multi_runner_config = var.runner_specs"))
        #expect(runners.detail?.contains("var.runner_specs has no value in this repository") == true)
        #expect(runners.location.start.line == 7)
        #expect(warnings.contains { $0.message.contains("`module.off` deploys no fleet: `count = 0`") })
        #expect(warnings.contains { $0.message.contains("`module.bare` has no fleet: it sets no `multi_runner_config`") })
    }

    /// The repositories the property below runs over: every fixture at its target, and every
    /// runnable example of the rule catalogue (markers stripped) at the example's target.
    static func corpus() throws -> [(name: String, result: AuditResult)] {
        var out: [(String, AuditResult)] = []
        for f in Fixture.all { out.append(("fixture \(f.name)", try f.run())) }
        // Calls with no fleet, and fleets built by a `for` over an unknown collection.
        out.append(("no fleets", try audit(MemoryFileSystem(data: ["main.tf": Data(noFleets.utf8)]), target: "pinned")))
        out.append(("template", try FleetTemplateTests.run(FleetTemplateTests.specs + """
            module "runners" {
              source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
              version             = "5.10.0"
              multi_runner_config = {
                for name, spec in var.runner_specs : name => { runner_config = { runner_os = spec.os } }
              }
            }

            """, target: "pinned")))
        let knowledge = try KnowledgeBase.load()
        for rule in knowledge.rules {
            for example in rule.examples where example.runnable {
                var files: [String: String] = [:]
                for file in example.files { files[file.path] = ExampleMarkers.strip(file.contents).text }
                let target = try #require(TargetSelection(example.targetText ?? "latest"))
                out.append(("\(rule.id) example \(example.name)",
                            Auditor(knowledge: knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: target))))
            }
        }
        return out
    }

    /// Issue 12 §2 on the JSON report itself: every runner module call whose `modules[].fleets`
    /// is empty, or holds only a template ("every fleet built from …"), has a warning that names
    /// the call. Over every fixture and every rule example.
    @Test func noJSONModuleHasAnUnexplainedEmptyOrTemplateFleetList() throws {
        var checked = 0, unenumerated = 0
        for (name, result) in try Self.corpus() {
            let json = render(result.report, as: .json)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let modules = try #require(object["modules"] as? [[String: Any]], "\(name): no modules array")
            let findings = try #require(object["findings"] as? [[String: Any]])
            for module in modules {
                guard let kind = module["kind"] as? String, ["root", "multi-runner", "runners"].contains(kind),
                      let path = module["path"] as? String, let fleets = module["fleets"] as? [[String: Any]] else { continue }
                checked += 1
                let names = fleets.compactMap { $0["name"] as? String }
                guard names.isEmpty || names.allSatisfy({ $0.contains("every fleet built from") }) else { continue }
                unenumerated += 1
                let address = String(path[path.index(after: try #require(path.firstIndex(of: ":")))...])
                let explained = findings.contains { f in
                    f["ruleId"] as? String == "CORE-003" && (f["severity"] as? String) != "note"
                        && (f["message"] as? String)?.contains("`\(address)`") == true
                }
                #expect(explained, "\(name): `\(path)` has \(names.isEmpty ? "an empty" : "only a template") fleet list and no warning names it")
            }
        }
        // The property is not vacuous: the corpus has calls of each sort.
        #expect(checked > 50, "only \(checked) runner module calls in the corpus")
        #expect(unenumerated >= 3, "only \(unenumerated) calls without enumerated fleets in the corpus")
    }

    @Test func everyFixtureWithAnEmptyFleetListSaysWhy() throws {
        for f in Fixture.all {
            let result = try f.run()
            for call in result.model.calls where call.kind.hasFleets && call.fleets.allSatisfy({ $0.isPlaceholder || $0.template != nil }) {
                #expect(result.report.findings.contains { $0.ruleId == "CORE-003" && $0.message.contains("`\(call.address)`") },
                        "\(f.name): \(call.address) has no fleet and no finding says why")
            }
        }
    }
}

/// Fleets built by a `for` over an unknown collection: one template fleet carries what the body
/// writes for every fleet; the rules run on it and a warning says the fleets were not enumerated.
@Suite struct FleetTemplateTests {
    static let specs = """
    variable "runner_specs" {
      type = map(object({ os = string, labels = list(string) }))
    }

    """

    static func run(_ main: String, target: String, extra: [String: String] = [:]) throws -> AuditResult {
        var files = extra.mapValues { Data($0.utf8) }
        files["main.tf"] = Data(main.utf8)
        return try audit(MemoryFileSystem(data: files), target: target)
    }

    @Test func rulesRunOnTheTemplateAndFindingsPointAtTheBody() throws {
        let main = Self.specs + """
        module "runners" {
          source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version             = "5.10.0"
          multi_runner_config = {
            for name, spec in var.runner_specs : name => {
              runner_config = {
                runner_os                = "windows"
                enable_ephemeral_runners = true
                runner_extra_labels      = ["ci"]
              }
            }
          }
        }

        """
        let result = try Self.run(main, target: "pinned")
        let call = try #require(result.model.calls.first)
        #expect(call.fleets.count == 1)
        let fleet = try #require(call.fleets.first)
        #expect(fleet.template != nil && !fleet.isPlaceholder)
        #expect(fleet.name == "module.runners[every fleet built from `var.runner_specs`]")
        #expect(fleet.anchor.start.line == 8)

        // JIT-107 checks the template: Windows, ephemeral, the module's script before 5.16.3.
        let windows = try #require(result.report.findings.first { $0.ruleId == "JIT-107" })
        #expect(windows.message.contains("every fleet built from `var.runner_specs`"), "\(windows.message)")
        #expect(windows.location.start.line == 10)

        // The template is said, on the `for`'s collection, with the settings known for every fleet.
        let said = try #require(result.report.findings.first { $0.ruleId == "CORE-003" && $0.message.contains("cannot be enumerated") })
        #expect(said.severity == .warning)
        #expect(said.message.contains("checked as one template"), "\(said.message)")
        #expect(said.location.start.line == 8)
        #expect(said.location.start.column == 23)
        #expect((said.detail ?? "").contains("Known for every fleet: `runner_os`, `enable_ephemeral_runners`"), "\(said.detail ?? "")")
        #expect(said.detail?.contains("var.runner_specs has no value in this repository") == true)

        // The JSON summary lists the template, not an empty fleet list.
        let summary = try #require(result.report.modules.first)
        #expect(summary.fleets.count == 1)
    }

    @Test func settingsThatDependOnEachElementAreNamed() throws {
        let main = Self.specs + """
        module "runners" {
          source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version             = "5.10.0"
          multi_runner_config = { for k, v in var.runner_specs : k => { runner_config = { runner_os = v.os, enable_ephemeral_runners = true } } }
        }

        """
        let result = try Self.run(main, target: "pinned")
        let said = try #require(result.report.findings.first { $0.ruleId == "CORE-003" && $0.message.contains("cannot be enumerated") })
        #expect(said.message.contains("some of their settings depend on each element"), "\(said.message)")
        #expect((said.detail ?? "").contains("Depending on each element, so not checked: `runner_os`"), "\(said.detail ?? "")")
        #expect((said.detail ?? "").contains("Known for every fleet: `enable_ephemeral_runners`"), "\(said.detail ?? "")")
        #expect(!result.report.findings.contains { $0.ruleId == "JIT-107" })
    }

    @Test func aTemplateThroughALocalAndAWrapper() throws {
        let root = """
        variable "specs" {
          type = any
        }
        module "ci" {
          source = "./ci"
          specs  = var.specs
        }

        """
        let wrapper = """
        variable "specs" {
          type = any
        }
        locals {
          fleets = { for k, v in var.specs : k => { runner_config = { runner_os = "windows", enable_ephemeral_runners = true } } }
        }
        module "runners" {
          source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version             = "5.10.0"
          multi_runner_config = local.fleets
        }

        """
        let result = try Self.run(root, target: "pinned", extra: ["ci/main.tf": wrapper])
        let call = try #require(result.model.calls.first { $0.address == "module.ci.module.runners" })
        let fleet = try #require(call.fleets.first)
        #expect(fleet.template != nil)
        #expect(fleet.input("runner_os")?.value.stringValue == "windows")
        // JIT-107 on every fleet the wrapper builds.
        let dash = try #require(result.report.findings.first { $0.ruleId == "JIT-107" })
        #expect(dash.message.contains("every fleet built from `var.specs`"), "\(dash.message)")
        #expect(dash.location.path == "ci/main.tf")
        let said = try #require(result.report.findings.first { $0.ruleId == "CORE-003" && $0.message.contains("cannot be enumerated") })
        #expect(said.location.path == "ci/main.tf" && said.location.start.line == 5)
    }

    /// A body whose `runner_config` is not an object the audit can read gives no template (its
    /// defaults would be guesses): the call has no fleet and the warning names the `for`.
    @Test func aBodyWithNoReadableRunnerConfigIsNoTemplate() throws {
        let main = Self.specs + """
        module "runners" {
          source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version             = "5.10.0"
          multi_runner_config = { for k, v in var.runner_specs : k => { runner_config = merge({ runner_os = "linux" }, v) } }
        }

        """
        let result = try Self.run(main, target: "pinned")
        #expect(result.model.calls.first?.fleets.allSatisfy(\.isPlaceholder) == true)
        let said = try #require(result.report.findings.first { $0.ruleId == "CORE-003" && $0.message.contains("has no fleet the audit can read") })
        #expect(said.severity == .warning)
        #expect(said.message.contains("{ for k, v in var.runner_specs"), "\(said.message)")
        #expect((said.detail ?? "").contains("var.runner_specs has no value in this repository"), "\(said.detail ?? "")")
    }

    @Test func aKnownCollectionIsStillEnumerated() throws {
        let main = """
        variable "runner_specs" {
          default = { a = { os = "linux" }, b = { os = "windows" } }
        }
        module "runners" {
          source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version             = "5.10.0"
          multi_runner_config = { for k, v in var.runner_specs : k => { runner_config = { runner_os = v.os } } }
        }

        """
        let result = try Self.run(main, target: "pinned")
        let call = try #require(result.model.calls.first)
        #expect(call.fleets.map(\.configKey) == ["a", "b"])
        #expect(call.fleets.allSatisfy { $0.template == nil })
        #expect(!result.report.findings.contains { $0.message.contains("cannot be enumerated") })
    }
}

/// GHES through a value the audit cannot know: the warning names the expression and why.
@Suite struct GHESThroughVariablesTests {
    @Test func unknownGHESURLNamesTheExpressionAndTheReason() throws {
        let main = """
        variable "ghes" {
          type = string
        }
        variable "use_ghes" {
          type = bool
        }
        module "runners" {
          source                   = "github-aws-runners/github-runner/aws"
          version                  = "4.7.0"
          enable_ephemeral_runners = true
          ghes_url                 = var.use_ghes ? var.ghes : null
        }

        """
        let result = try audit(MemoryFileSystem(data: ["main.tf": Data(main.utf8)]), target: "4.7.0")
        let f = try #require(result.report.findings.first { $0.ruleId == "JIT-106" })
        #expect(f.severity == .warning)
        #expect(f.message.contains("from `var.use_ghes ? var.ghes : null`"), "\(f.message)")
        #expect(f.message.contains("var.use_ghes has no value in this repository"), "\(f.message)")
    }
}
