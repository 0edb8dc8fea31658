import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Testing

/// Issue 15: locals that no runner module call (nor any rule) depends on are parsed, never
/// evaluated; the findings are those of evaluating everything.
@Suite("Lazy evaluation")
struct LazyEvaluationTests {
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    static func audit(_ files: [String: String], eager: Bool) -> AuditResult {
        var options = AuditOptions(target: .version(ModuleVersion(4, 1, 0)))
        options.eagerLocals = eager
        let fs = MemoryFileSystem(files)
        return Auditor(knowledge: knowledge).audit(fileSystem: fs, options: options)
    }

    /// A runner root and an application root beside it (a monorepo): the runner root's locals are
    /// the runner deployment and all evaluated; the application root's are never needed.
    static let repository = [
        "ci/main.tf": """
        locals {
          prefix = "ci"
          labels = ["self-hosted", local.prefix]
        }
        module "runners" {
          source                   = "github-aws-runners/github-runner/aws"
          version                  = "3.6.1"
          enable_ephemeral_runners = true
          runner_extra_labels      = local.labels
        }
        """,
        "apps/main.tf": """
        locals {
          matrix  = [for i in range(1000) : { index = i, name = "svc-${i}", zone = element(["a", "b"], i % 2) }]
          by_name = { for m in local.matrix : m.name => m }
          policy  = jsonencode({ Statement = [for k in keys(local.by_name) : { Resource = k }] })
        }
        resource "aws_ssm_parameter" "settings" {
          name  = "/app/settings"
          value = local.policy
        }
        """,
    ]

    @Test("locals outside the runner deployment are not evaluated, and the report is the same as evaluating all of them")
    func unusedLocalsAreNotEvaluated() throws {
        let lazy = Self.audit(Self.repository, eager: false)
        let eager = Self.audit(Self.repository, eager: true)
        #expect(lazy.localsDeclared == 5)
        #expect(lazy.localsEvaluated == 2, "the runner root's prefix and labels only")
        #expect(eager.localsEvaluated == 5)
        // The work saved: thousands of steps for the matrix, its map and the policy.
        #expect(eager.evaluationSteps > 4 * lazy.evaluationSteps, "\(eager.evaluationSteps) vs \(lazy.evaluationSteps)")
        // Not vacuous: the runner call's labels came from the locals.
        let fleet = try #require(lazy.model.fleets.first?.fleet)
        #expect(fleet.inputs["runner_extra_labels"]?.value.description.contains("ci") == true)
        for format in OutputFormat.allCases {
            #expect(render(lazy.report, as: format, options: RenderOptions(sources: lazy.sources))
                    == render(eager.report, as: format, options: RenderOptions(sources: eager.sources)), "\(format)")
        }
    }

    /// A local read in a way no static reading follows (`local[...]` with a computed key) makes the
    /// module's locals evaluate all together, as before: the value is still found.
    @Test func dynamicReadsOfLocalsStillResolve() throws {
        let files = ["main.tf": """
        variable "which" {
          default = "labels"
        }
        locals {
          labels = ["self-hosted", "dynamic"]
          picked = local[var.which]
        }
        module "runners" {
          source              = "github-aws-runners/github-runner/aws"
          version             = "3.6.1"
          runner_extra_labels = local.picked
        }
        """]
        let lazy = Self.audit(files, eager: false)
        let eager = Self.audit(files, eager: true)
        let labels = lazy.model.fleets.first?.fleet.inputs["runner_extra_labels"]?.value.description
        #expect(labels == eager.model.fleets.first?.fleet.inputs["runner_extra_labels"]?.value.description)
        #expect(render(lazy.report, as: .json) == render(eager.report, as: .json))
    }

    /// Every fixture repository gives the same report evaluating lazily and evaluating every local.
    @Test("every fixture's report is the same evaluating lazily and eagerly", arguments: Fixture.all)
    func fixturesAgree(_ fixture: Fixture) throws {
        let target = try #require(TargetSelection(fixture.target))
        func run(_ eager: Bool) -> AuditResult {
            var options = AuditOptions(target: target)
            options.eagerLocals = eager
            return Auditor(knowledge: Self.knowledge).audit(fileSystem: LocalFileSystem(root: fixture.repo), options: options)
        }
        let lazy = run(false), eager = run(true)
        #expect(render(lazy.report, as: .json, options: RenderOptions(sources: lazy.sources))
                == render(eager.report, as: .json, options: RenderOptions(sources: eager.sources)), "\(fixture.name)")
        #expect(lazy.localsEvaluated <= eager.localsEvaluated)
    }
}
