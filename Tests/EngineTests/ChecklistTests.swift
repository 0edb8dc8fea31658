import AuditCore
import Engine
import Foundation
import Knowledge
import Testing

/// Issue 12 §6: the checklist follows the releases.
@Suite("Upgrade checklist: items under the release where their change happens")
struct ChecklistTests {
    static func run(_ main: String, target: String) throws -> AuditResult {
        try audit(MemoryFileSystem(data: ["main.tf": Data(main.utf8)]), target: target)
    }

    static func checklist(_ result: AuditResult, target: String, hidden: [Finding] = []) throws -> String {
        Checklist.render(result, knowledge: try KnowledgeBase.load(), target: try #require(ModuleVersion(target)), hidden: hidden)
    }

    /// The text of section `title` (up to the next `## `), nil when there is none.
    static func section(_ title: String, of text: String) -> String? {
        guard let start = text.range(of: "\n## \(title)\n") else { return nil }
        let rest = text[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
    }

    /// A 4.7.0 deployment with something for each of v5, v6 and v7.
    static let acrossThreeMajors = """
    module "runners" {
      source  = "github-aws-runners/github-runner/aws"
      version = "4.7.0"

      aws_region  = "eu-west-1"
      vpc_id      = "vpc-1"
      subnet_ids  = ["subnet-1"]
      environment = "ci"
      ami_filter  = { name = ["runner-*"] }

      github_app = {
        key_base64     = "k"
        id             = "1"
        webhook_secret = "s"
      }
    }

    """

    /// `checklist --target pinned` compares each call with the release it pins: no upgrade to the
    /// newest release, no "major upgrade" section, no steps of every upgrade.
    @Test func pinnedTargetSaysWhatItCompares() throws {
        let main = """
        module "runners" {
          source  = "github-aws-runners/github-runner/aws"
          version = "6.4.0"
          runner_os = "ubuntu"
        }
        module "lambdas" {
          source  = "github-aws-runners/github-runner/aws//modules/download-lambda"
          version = "6.4.0"
          lambdas = [{ name = "runners", tag = "v6.1.0" }]
        }

        """
        let result = try Self.run(main, target: "pinned")
        #expect(result.report.target == "pinned")
        let knowledge = try KnowledgeBase.load()
        let text = Checklist.render(result, knowledge: knowledge, target: knowledge.latest.version)
        let header = String(text.prefix { $0 != "\n" })
        #expect(header == "# Checklist: terraform-aws-github-runner at the pinned releases", "\(text)")
        #expect(text.contains("Each module call audited at the release it pins (v6.4.0)"), "\(text)")
        #expect(!text.contains("7.11.0") && !text.contains("major upgrade") && !text.contains("## Every upgrade"), "\(text)")
        // The findings at 6.4.0 are there, under the pinned major.
        let v6 = try #require(Self.section("v6 (pinned)", of: text), "\(text)")
        #expect(v6.contains("JIT-109") && v6.contains("INP-209"), "\(text)")
        // The report's plan says the same.
        #expect(result.report.checklist?.pinned == true && result.report.checklist?.heading == "at the pinned releases")
        // A release target keeps the upgrade header.
        let upgrade = try Self.checklist(try Self.run(main, target: "7.11.0"), target: "7.11.0")
        #expect(upgrade.hasPrefix("# Upgrade checklist: terraform-aws-github-runner to v7.11.0\n"), "\(upgrade)")
    }

    @Test func eachItemSitsUnderTheMajorOfItsChange() throws {
        let text = try Self.checklist(try Self.run(Self.acrossThreeMajors, target: "7.11.0"), target: "7.11.0")
        let v5 = try #require(Self.section("v5 (major upgrade)", of: text), "\(text)")
        let v6 = try #require(Self.section("v6 (major upgrade)", of: text), "\(text)")
        let v7 = try #require(Self.section("v7 (major upgrade)", of: text), "\(text)")
        // Removed in 5.0.0 and in 7.0.0: one rule (INP-201, relies_on 5.0.0…7.0.0), two majors.
        #expect(v5.contains("`environment` was removed in 5.0.0"))
        #expect(v7.contains("`ami_filter` was removed in 7.0.0"), "an input removed in 7.0.0 belongs under v7:\n\(text)")
        #expect(!v5.contains("ami_filter"))
        // Defaults that change in 6.0.0 and 7.0.0 (INP-203, relies_on 4.6.0…7.0.0).
        #expect(v6.contains("`eventbridge` is not set: from 6.0.0"), "a default changing in 6.0.0 belongs under v6:\n\(text)")
        #expect(v7.contains("`lambda_event_source_mapping_batch_size` is not set: from 7.0.0"))
        #expect(!text.contains("## v4"), "nothing here holds at 4.7.0 already")
        #expect(!text.contains("No finding in this repository"))
    }

    /// Drifted lambda pins hold today: filed under the current major, never dropped because the
    /// rule's `relies_on` (4.0.0) lies before it.
    @Test func findingsAboutTodayAreUnderTheCurrentMajor() throws {
        let result = try audit(memoryCopy(of: fixture("lambda-drift-minor")), target: "6.0.0")
        // The syncer zip is in lockstep (a coupled pin of every upgrade); the other two drift.
        let drift = result.report.findings.filter { $0.ruleId == "JIT-109" && $0.severity != .note }
        #expect(drift.count == 2)
        let text = try Self.checklist(result, target: "6.0.0")
        let v5 = try #require(Self.section("v5 (current major)", of: text), "\(text)")
        for f in drift { #expect(v5.contains(f.message)) }
    }

    /// Every finding of every fixture appears in the checklist once; one whose change the upgrade
    /// crosses sits under that change's major, and a major that says it has no finding has none.
    @Test(arguments: Fixture.all)
    func everyFindingIsPlacedUnderItsChange(_ f: Fixture) throws {
        let result = try f.run()
        let knowledge = try KnowledgeBase.load()
        let target = try #require(ModuleVersion(result.report.target) ?? knowledge.latest.version)
        let plan = Checklist.plan(findings: result.report.findings, calls: result.model.calls, knowledge: knowledge, target: target)
        let placed = plan.sections.flatMap(\.items).map(\.fingerprint) + plan.coupledPins.map(\.fingerprint)
        #expect(placed.sorted() == result.report.findings.map(\.fingerprint).sorted(), "findings missing from or repeated in the checklist of \(f.name)")
        let from = plan.from.flatMap(ModuleVersion.init)
        for finding in result.report.findings where !plan.coupledPins.contains(where: { $0.fingerprint == finding.fingerprint }) {
            guard let changed = finding.changedIn, let from, from < changed, changed <= target else { continue }
            let section = plan.sections.first { $0.items.contains { $0.fingerprint == finding.fingerprint } }
            #expect(section?.title == "v\(changed.major) (major upgrade)" || (changed.major == from.major && section?.title == "v\(from.major) (current major)"),
                    "\(f.name): \(finding.ruleId) `\(finding.message)` changes in \(changed) but sits under \(section?.title ?? "nothing")")
        }
        for section in plan.sections where section.emptyNote != nil { #expect(section.items.isEmpty) }
    }

    /// GHA-208 carries its own release like the other version findings: a job that no fleet serves
    /// at the release the fleets run today is a problem of today (the current major), not of the
    /// first label change the upgrade crosses (5.0.0 in the rule's `relies_on`).
    @Test func unservedLabelsCarryTheirRelease() throws {
        let fs = MemoryFileSystem(data: [
            "main.tf": Data("""
            module "runners" {
              source              = "philips-labs/github-runner/aws"
              version             = "4.7.0"
              runner_extra_labels = "ci"
            }
            """.utf8),
            ".github/workflows/ci.yml": Data("on: push\njobs:\n  train:\n    runs-on: [self-hosted, linux, gpu]\n    steps:\n      - run: make\n".utf8),
        ])
        let result = try audit(fs, target: "7.11.0")
        let unserved = try #require(result.report.findings.first { $0.ruleId == "GHA-208" }, "\(result.report.findings.map(\.message))")
        #expect(unserved.changedIn == ModuleVersion(4, 7, 0))
        let text = try Self.checklist(result, target: "7.11.0")
        let v4 = try #require(Self.section("v4 (current major)", of: text), "\(text)")
        #expect(v4.contains("job `train` asks for labels no fleet serves"), "\(text)")
        #expect(Self.section("v5 (major upgrade)", of: text)?.contains("job `train`") != true, "\(text)")
    }

    /// Findings a display filter or a baseline takes out are counted where they would be: the
    /// major does not claim to have none.
    @Test func hiddenFindingsAreNotCalledAbsent() throws {
        var result = try Self.run(Self.acrossThreeMajors, target: "7.11.0")
        let all = result.report.findings
        result.report.findings = all.filter { !$0.message.contains("ami_filter") && !$0.message.contains("batch_size") }
        let hidden = all.filter { !result.report.findings.contains($0) }
        #expect(hidden.count == 2)
        let text = try Self.checklist(result, target: "7.11.0", hidden: hidden)
        let v7 = try #require(Self.section("v7 (major upgrade)", of: text), "\(text)")
        #expect(v7.contains("No finding shown for v7: 2 findings are hidden"), "\(text)")
        #expect(!text.contains("No finding in this repository for v7"))
        // Without them, the same major truly has none.
        #expect(try Self.checklist(result, target: "7.11.0").contains("No finding in this repository for v7."))
    }

    /// `checklist --skip-rule`: the command's filter hides findings that still count, and the page
    /// is for `--target` when it names a release, else for the release the audit chose.
    @Test func theCommandsFilterAndTarget() throws {
        let knowledge = try KnowledgeBase.load()
        let result = try Self.run(Self.acrossThreeMajors, target: "7.11.0")
        let skipped = Set(result.report.findings.filter { $0.message.contains("ami_filter") || $0.message.contains("batch_size") }.map(\.ruleId))
        #expect(!skipped.isEmpty)
        let filter = FindingFilter(skipRules: skipped.sorted())
        let text = Checklist.render(result, filter: filter, arguments: AuditArguments(target: "7.11.0"), knowledge: knowledge)
        let v7 = try #require(Self.section("v7 (major upgrade)", of: text), "\(text)")
        #expect(v7.contains("No finding shown for v7:") && v7.contains("hidden"), "\(text)")
        // No filter: the same page as the renderer's, at the audit's release.
        #expect(Checklist.render(result, filter: FindingFilter(), arguments: AuditArguments(), knowledge: knowledge) == (try Self.checklist(result, target: "7.11.0")))
        #expect(Checklist.render(result, filter: FindingFilter(), arguments: AuditArguments(target: "6.0.0"), knowledge: knowledge)
            == (try Self.checklist(result, target: "6.0.0")))
    }

    /// The header's release is the runner module's, not that of a `download-lambda` call, which
    /// the list of module calls leaves out too.
    @Test func fromIsTheRunnerModulesRelease() throws {
        let main = """
        module "lambdas" {
          source  = "github-aws-runners/github-runner/aws//modules/download-lambda"
          version = "5.0.0"
          lambdas = [{ name = "runners", tag = "v6.10.1" }]
        }

        module "runners" {
          source  = "github-aws-runners/github-runner/aws"
          version = "6.10.1"

          aws_region = "eu-west-1"
          vpc_id     = "vpc-1"
          subnet_ids = ["subnet-1"]
          prefix     = "ci"
          github_app = {
            key_base64     = "k"
            id             = "1"
            webhook_secret = "s"
          }
        }

        """
        let result = try Self.run(main, target: "7.0.0")
        #expect(result.model.calls.contains { $0.kind == .downloadLambda && $0.version == ModuleVersion(5, 0, 0) })
        let text = try Self.checklist(result, target: "7.0.0")
        #expect(text.contains("Audited from v6.10.1 to v7.0.0"), "\(text)")
        #expect(!text.contains("(newest call:"))
        #expect(text.contains("Module calls: `module.runners` in `main.tf`.\n"))
        #expect(!text.contains("## v5"))
    }

    /// Coupled pins (lambda tags, zip paths and the module versions moved together) are one step.
    @Test func coupledPinsAreOneStep() throws {
        let result = try audit(memoryCopy(of: fixture("lambda-lockstep")), target: "7.11.0")
        let text = try Self.checklist(result, target: "7.11.0")
        let every = try #require(Self.section("Every upgrade", of: text), "\(text)")
        let steps = every.split(separator: "\n").filter { $0.hasPrefix("- [ ] ") }
        #expect(steps.filter { $0.contains("JIT-109") }.count == 1)
        let step = try #require(steps.first { $0.contains("JIT-109") })
        for pin in ["`runners_lambda_zip`", "`webhook_lambda_zip`", "`runner_binaries_syncer_lambda_zip`", "lambdas `runner-binaries-syncer`, `runners`, `webhook`"] {
            #expect(step.contains(pin), "\(pin) missing from the coupled step: \(step)")
        }
        #expect(every.contains("Bump the lambda pins and the module from v6.10.1 to v7.11.0 in the same change (`ghr-audit fix` applies it)"))
        #expect(!every.contains("Download the lambda artefacts"))
    }
}
