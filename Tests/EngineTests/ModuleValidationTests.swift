import AuditCore
import Engine
import Foundation
import Knowledge
import Testing
import HCL
import Terraform
@testable import Rules

/// INP-209: the module's own `validation` blocks, evaluated against the values a configuration gives.
@Suite("Module validations: rejected values are errors, deprecated ones notes")
struct ModuleValidationTests {
    func run(_ main: String, target: String) throws -> AuditResult {
        try audit(MemoryFileSystem(data: ["main.tf": Data(main.utf8)]), target: target)
    }

    func module(_ source: String = "github-aws-runners/github-runner/aws", version: String, _ body: String) -> String {
        """
        module "runners" {
          source  = "\(source)"
          version = "\(version)"
          \(body)
        }

        """
    }

    func findings(_ result: AuditResult, _ id: String) -> [Finding] {
        result.report.findings.filter { $0.ruleId == id }
    }

    @Test func environmentAtEvery4xTargetIsAnErrorQuotingTheModule() throws {
        let main = module("philips-labs/github-runner/aws", version: "3.6.1", "environment = \"ci\"")
        for target in ["4.0.0", "4.3.0", "4.7.0"] {
            let result = try run(main, target: target)
            let errors = findings(result, "INP-209")
            #expect(errors.count == 1, "\(target): \(result.report.findings.map(\.message))")
            let e = try #require(errors.first)
            #expect(e.severity == .error)
            #expect(e.message.contains("The \"environment\" variable is no longer used"))
            #expect(e.detail?.contains("v\(target):variables.tf") == true, "cites release and file: \(e.detail ?? "")")
            #expect(e.location.start.line == 4, "points at the name")
            #expect(findings(result, "INP-204").isEmpty, "\(target): a rejected input is not a deprecation note")
        }
        // At 5.0.0 the input is gone: INP-201 says so, the validation has nothing left to say.
        let removed = try run(main, target: "5.0.0")
        #expect(findings(removed, "INP-209").isEmpty)
        #expect(findings(removed, "INP-201").contains { $0.message.contains("`environment` was removed in 5.0.0") })
    }

    @Test func nullEnvironmentPassesItsValidation() throws {
        let result = try run(module("philips-labs/github-runner/aws", version: "4.7.0", "environment = null"), target: "4.7.0")
        #expect(findings(result, "INP-209").isEmpty)
    }

    @Test func deprecatedButAcceptedStaysANote() throws {
        // 7.9.0 deprecates the subset check in favour of the bidirectional match; both are accepted.
        let result = try run(module(version: "7.9.0", "enable_runner_workflow_job_labels_check_all = true"), target: "7.9.0")
        #expect(findings(result, "INP-209").isEmpty)
        #expect(findings(result, "INP-204").count == 1)
    }

    @Test func deprecatedMessageButRejectingConditionIsAnError() throws {
        // 5.21.0's message says "deprecated", its condition rejects every value.
        let main = module("github-aws-runners/github-runner/aws//modules/multi-runner", version: "5.21.0", "metrics_namespace = \"Fleet\"")
        let result = try run(main, target: "pinned")
        let e = try #require(findings(result, "INP-209").first)
        #expect(e.message.contains("use `metrics.namespace` instead"))
        #expect(e.detail?.contains("v5.21.0:modules/multi-runner/variables.deprecated.tf") == true)
        #expect(e.fix?.description == "Remove `metrics_namespace` and set `metrics.namespace` instead")
        #expect(findings(result, "INP-204").isEmpty)
    }

    @Test(arguments: [
        // version, body, fails
        ("7.0.0", "runner_os = \"osx\"", true),          // osx only from 7.7.0
        ("7.11.0", "runner_os = \"osx\"", false),
        ("7.11.0", "log_class = \"ARCHIVE\"", true),
        ("7.11.0", "log_class = \"STANDARD\"", false),
        ("7.11.0", "runner_name_prefix = \"\(String(repeating: "r", count: 46))\"", true),
        ("7.11.0", "runner_name_prefix = \"short\"", false),
        ("7.11.0", "instance_target_capacity_type = \"reserved\"", true),
        ("7.11.0", "instance_target_capacity_type = \"spot\"", false),
        // Optional attributes filled in from the type before the condition reads them.
        ("7.11.0", "iam_overrides = { override_instance_profile = true, override_runner_role = false }", true),
        ("7.11.0", "iam_overrides = { override_instance_profile = true, instance_profile_name = \"p\", override_runner_role = false }", false),
        ("7.11.0", "github_app = { id = \"1\", key_base64 = \"k\" }", true),
        ("7.11.0", "github_app = { id = \"1\", key_base64 = \"k\", webhook_secret = \"s\" }", false),
        ("6.5.0", "ami_filter = { name = [\"runner-*\"] }", true),
    ])
    func valuesAgainstTheTargetsConditions(_ c: (String, String, Bool)) throws {
        let result = try run(module(version: c.0, c.1), target: "pinned")
        #expect(!findings(result, "INP-209").isEmpty == c.2, "\(c.0) \(c.1): \(findings(result, "INP-209").map(\.message))")
    }

    @Test func undecidableValuesStaySilent() throws {
        let main = """
        variable "os" { type = string }
        resource "random_pet" "p" {}
        module "runners" {
          source             = "github-aws-runners/github-runner/aws"
          version            = "7.11.0"
          runner_os          = var.os
          log_class          = random_pet.p.id
          runner_name_prefix = "${random_pet.p.id}-runner"
          github_app         = { id = random_pet.p.id, key_base64 = "k", webhook_secret = "s" }
        }

        """
        let result = try run(main, target: "pinned")
        #expect(findings(result, "INP-209").isEmpty, "\(findings(result, "INP-209").map(\.message))")
    }

    @Test func valueFromTfvarsPointsAtTheTfvarsEntry() throws {
        let fs = MemoryFileSystem(data: [
            "main.tf": Data("""
            variable "os" { type = string }
            module "runners" {
              source    = "github-aws-runners/github-runner/aws"
              version   = "7.11.0"
              runner_os = var.os
            }

            """.utf8),
            "terraform.tfvars": Data("os = \"ubuntu\"\n".utf8),
        ])
        let result = try audit(fs, target: "pinned")
        let e = try #require(findings(result, "INP-209").first)
        #expect(e.location.path == "terraform.tfvars", "\(e.location)")
    }

    /// Conditions that read other variables (Terraform 1.9): none of the module's releases declares
    /// one yet, so these blocks are added to the loaded knowledge base.
    static let crossVariable = [
        InputValidation(scope: .root, input: "delay_webhook_event", condition: "var.delay_webhook_event < var.runner_boot_time_in_minutes * 60",
                        message: "The webhook delay must be shorter than the runner boot time.", file: "variables.tf",
                        first: ModuleVersion(7, 0, 0), last: ModuleVersion(7, 11, 0)),
        InputValidation(scope: .root, input: "runners_maximum_count", condition: "var.runners_maximum_count > 0 || var.vpc_id == \"\"",
                        message: "A fleet in a VPC needs at least one runner.", file: "variables.tf",
                        first: ModuleVersion(7, 0, 0), last: ModuleVersion(7, 11, 0)),
    ]

    @Test(arguments: [
        // body, fails
        ("delay_webhook_event = 600", true),                                     // boot time from the module's default (5)
        ("delay_webhook_event = 60", false),
        ("delay_webhook_event = 600\n  runner_boot_time_in_minutes = 20", false),  // the value the call gives
        ("delay_webhook_event = 600\n  runner_boot_time_in_minutes = 2", true),
        ("delay_webhook_event = 600\n  runner_boot_time_in_minutes = \"3\"", true), // converted to its number type
        ("delay_webhook_event = 600\n  runner_boot_time_in_minutes = var.boot", false), // not known: silent
        ("runners_maximum_count = 0", false),                                    // vpc_id is required, not given: silent
        ("runners_maximum_count = 0\n  vpc_id = \"vpc-1\"", true),
        ("runners_maximum_count = 0\n  vpc_id = \"\"", false),
    ])
    func conditionsReadingOtherVariables(_ c: (String, Bool)) throws {
        let kb = try KnowledgeBase.load().adding(Self.crossVariable)
        let main = "variable \"boot\" { type = number }\n" + module(version: "7.11.0", c.0)
        let result = Auditor(knowledge: kb).audit(fileSystem: MemoryFileSystem(data: ["main.tf": Data(main.utf8)]),
                                                  options: AuditOptions(target: TargetSelection("pinned")))
        let errors = findings(result, "INP-209")
        #expect(!errors.isEmpty == c.1, "\(c.0): \(errors.map(\.message))")
        if c.1 { #expect(errors.first?.message.contains("at 7.11.0: \"") == true) }
        // Without the added blocks nothing is said: the data has no such condition.
        let plain = try run(main, target: "pinned")
        #expect(findings(plain, "INP-209").isEmpty)
    }

    @Test func conditionVariablesAreReadWhateverTheSpelling() throws {
        let (e, _) = HCLParser.parseExpression(SourceFile(path: "c", text: "var.a > 0 && length(var[\"b\"]) > 0 && alltrue([for x in var.c : x != local.d])"))
        #expect(ModuleValidation.variablesRead(by: e) == ["a", "b", "c"])
    }

    @Test func theFixtureShowsEveryKind() throws {
        let result = try audit(memoryCopy(of: fixture("module-validations")), target: "pinned")
        let names = findings(result, "INP-209").map { $0.message.prefix(while: { $0 != " " }) }.sorted()
        #expect(names == ["`enabled_userdata`", "`environment`", "`iam_overrides`", "`log_level`", "`metrics_namespace`"])
        #expect(findings(result, "INP-204").isEmpty)
    }
}

/// The knowledge data against the evaluator: the module's own defaults pass its own conditions
/// (a condition ghr-audit read or evaluated wrongly would fail its default), and every condition parses.
@Suite struct ValidationDataTests {
    @Test func everyDefaultPassesItsOwnValidationsAtFirstAndLastRelease() throws {
        let kb = try KnowledgeBase.load()
        var decided = 0
        for v in kb.allValidations {
            let life = try #require(kb.lifespan(scope: v.scope, name: v.input), "\(v.scope).\(v.input)")
            for release in [v.first, v.last] {
                // The default as of that release (defaults are cut at 120 characters: skip those).
                guard let text = life.comparedText(at: release) ?? life.defaultValue, text.count < 120, text != "<REQUIRED>" else { continue }
                let (e, problems) = HCLParser.parseExpression(SourceFile(path: "default", text: text))
                guard problems.isEmpty else { continue }
                let value = Evaluator.evaluate(e, in: EvalContext()).0
                let passes = ModuleValidation.passes(value, v, typeText: life.typeText(at: release))
                #expect(passes != false, "\(v.scope).\(v.input) at \(release): default \(text) fails `\(v.condition)`")
                if passes == true { decided += 1 }
            }
        }
        #expect(decided > 60, "most defaults are decided (\(decided))")
    }
}
