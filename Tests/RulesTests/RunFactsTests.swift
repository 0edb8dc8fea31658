import AuditCore
import Engine
import Foundation
import Knowledge
@testable import Rules
import Testing

/// The layer between the model and the rules: fleet facts, resolved boots and written inputs are
/// computed once when the context is built, and again when what they depend on changes.
@Suite("Run facts")
struct RunFactsTests {
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    static let files: [String: String] = [
        "main.tf": """
        module "runners" {
          source  = "philips-labs/github-runner/aws"
          version = "4.0.1"

          prefix                   = "ci"
          enable_ephemeral_runners = true
          userdata_template        = "./start.sh"
        }

        module "plain" {
          source  = "philips-labs/github-runner/aws"
          version = "4.0.1"

          prefix = "plain"
        }
        """,
        "start.sh": """
        #!/bin/bash
        token=$(aws ssm get-parameter --name "$TOKEN_PATH" --with-decryption --query Parameter.Value --output text)
        ./config.sh --url "https://github.com/acme" --token "$token" --ephemeral
        """,
    ]

    static func context(target: TargetSelection) -> RuleContext {
        let result = Auditor(knowledge: knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: target))
        return result.ruleContext(knowledge: knowledge, target: target)
    }

    @Test func fleetsAndBootsAreComputedOnceAndServeEveryCaller() throws {
        let context = Self.context(target: .version(ModuleVersion(4, 0, 1)))
        let facts = context.facts
        #expect(facts.fleets.map(\.call.address) == ["module.runners", "module.plain"])
        #expect(facts.boots.map(\.label) == ["userdata_template:start.sh", "module-default"])
        #expect(context.fleetFacts.map(\.call.address) == facts.fleets.map(\.call.address))
        // What rules ask the resolver for is the run's boot, not a new resolution.
        let resolver = BootScriptResolver(context: context)
        for (fleet, boot) in facts.fleetsWithBoots {
            #expect(facts.boot(of: fleet)?.label == boot.label)
            #expect(resolver.resolve(fleet).label == boot.label)
        }
        let runners = try #require(facts.fleets.first)
        #expect(runners.jit == true)
        #expect(facts.boots[0].startScripts.map(\.path) == ["start.sh"])
        #expect(facts.boots[0].startScripts.first?.contract == .tokenOnly)
    }

    @Test func writtenInputsAreEveryArgumentOfARunnerCall() {
        let context = Self.context(target: .latest)
        let written = context.writtenInputs()
        let runners = Set(written.filter { $0.call.address == "module.runners" }.map(\.name))
        #expect(runners.isSuperset(of: ["prefix", "enable_ephemeral_runners", "userdata_template"]))
        #expect(Set(written.filter { $0.call.address == "module.plain" }.map(\.name)).isSuperset(of: ["prefix"]))
        #expect(!runners.contains("source") && !runners.contains("version"))
        #expect(written.allSatisfy { $0.scope == .root && !$0.silentlyDropped })
    }

    /// Written inputs are kept one list per call of the model, in the model's order, each without
    /// the spare capacity of its appends: a multi-runner call's list is sized from its
    /// configuration's located fields, a `for_each` call's list grows with its instances' values
    /// and is then copied to its size.
    @Test func writtenInputsAreKeptPerCallWithoutSpareCapacity() throws {
        let files = [
            "main.tf": """
            module "multi" {
              source  = "philips-labs/github-runner/aws//modules/multi-runner"
              version = "5.21.0"
              prefix  = "m"
              multi_runner_config = {
                "linux" = {
                  matcherConfig = {
                    labelMatchers = [["self-hosted", "linux"]]
                    exactMatch    = true
                  }
                  runner_config = {
                    runner_os           = "linux"
                    runner_architecture = "x64"
                  }
                }
                "arm" = {
                  runner_config = {
                    runner_os           = "linux"
                    runner_architecture = "arm64"
                    instance_types      = ["m7g.large"]
                  }
                }
              }
            }

            module "many" {
              for_each = { a = "v", b = "w", c = "x", d = "y", e = "z" }
              source   = "philips-labs/github-runner/aws"
              version  = "4.0.1"
              prefix   = each.key
              runner_extra_labels = [each.value]
              instance_types      = ["m7i.${each.value}"]
            }
            """,
        ]
        let result = Auditor(knowledge: Self.knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: .latest))
        let context = result.ruleContext(knowledge: Self.knowledge, target: .latest)
        let perCall = context.facts.writtenInputs
        #expect(perCall.count == context.model.calls.count)
        for (index, inputs) in perCall.enumerated() {
            #expect(inputs.allSatisfy { Int($0.callIndex) == index })
            #expect(inputs.capacity - inputs.count <= max(2, inputs.count / 8), "call \(index): \(inputs.count) inputs, capacity \(inputs.capacity)")
        }
        #expect(Array(context.writtenInputs()).count == perCall.reduce(0) { $0 + $1.count })
        let multi = try #require(context.model.calls.firstIndex { $0.address == "module.multi" })
        let inputs = perCall[multi]
        // Two arguments; the entries' own keys (3), their runner_config (5) and matcherConfig (2) fields.
        #expect(inputs.filter { $0.scope == .multiRunner }.map(\.name).sorted() == ["multi_runner_config", "prefix"])
        #expect(inputs.filter { $0.scope == .multiRunnerConfig }.map(\.name).sorted() == ["matcherConfig", "runner_config", "runner_config"])
        #expect(inputs.filter { $0.scope == .runnerConfig }.count == 5)
        #expect(inputs.filter { $0.scope == .matcherConfig }.map(\.name).sorted() == ["exactMatch", "labelMatchers"])
        #expect(inputs.count == 2 + 3 + 5 + 2)
        let many = try #require(context.model.calls.firstIndex { $0.address == "module.many" })
        // Each argument depends on `each`: one value per instance (five each), 15 where 3 were
        // reserved, so this list grew (to a capacity of 24) and was copied to its size.
        #expect(perCall[many].filter { $0.name == "prefix" }.compactMap(\.fleetIndex).sorted() == [0, 1, 2, 3, 4])
        #expect(perCall[many].count == 15)
    }

    @Test func changingTheTargetRecomputesTheFacts() throws {
        var context = Self.context(target: .version(ModuleVersion(4, 0, 1)))
        #expect(context.facts.fleets.first?.jit == true)
        context.target = .version(ModuleVersion(3, 6, 1))
        let fleet = try #require(context.facts.fleets.first)
        #expect(fleet.target == ModuleVersion(3, 6, 1))
        #expect(fleet.jit == false)
        #expect(context.facts.boot(of: fleet)?.label == "userdata_template:start.sh")
    }

    @Test func factsAtAnotherTargetAreResolvedOnDemand() throws {
        let context = Self.context(target: .version(ModuleVersion(4, 0, 1)))
        let fleet = try #require(context.facts.fleets.first)
        let other = FleetFacts(call: fleet.call, fleet: fleet.fleet, target: ModuleVersion(5, 0, 0))
        #expect(context.facts.boot(of: other) == nil)
        #expect(BootScriptResolver(context: context).resolve(other).label == "userdata_template:start.sh")
    }

    /// `fixtures/iam-overrides-runner-role`: a role of the team's own (`iam_overrides`) whose
    /// policies fall short (IAM-301) and hand out `iam:*` (IAM-303).
    static func iamOverridesAudit() throws -> AuditResult {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/iam-overrides-runner-role/repo")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: repo.path) {
            files[name] = try String(contentsOf: repo.appendingPathComponent(name), encoding: .utf8)
        }
        return Auditor(knowledge: knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: .latest))
    }

    @Test("role subjects and runner roles are worked out once per run; both IAM rules read them")
    func roleSubjectsAreComputedOnce() throws {
        let audit = try Self.iamOverridesAudit()
        let builds = BuildCounter()
        try RoleFacts.onBuild.withValue({ builds.add() }) {
            let context = audit.ruleContext(knowledge: Self.knowledge, target: .latest)
            let roles = context.facts.roles
            let afterContext = builds.value
            // One build of the subjects and one runner role per fleet of the 7.7.0+ call.
            #expect(afterContext == 1 + roles.runnerRoles.count)
            #expect(roles.table != nil)
            #expect(roles.runnerRoles.map(\.call.address) == ["module.runners"])
            guard case .visible(let user) = roles.runnerRoles.first?.override else {
                Issue.record("the runner role brought with iam_overrides is not seen: \(String(describing: roles.runnerRoles.first?.override))")
                return
            }
            #expect(user.address == "aws_iam_role.runner")
            #expect(roles.subjects.contains { $0.role == .runnerInstance && $0.call.address == "module.runners" })

            let gaps = PermissionGapRule().check(context)
            let grants = OverBroadGrantRule().check(context)
            #expect(builds.value == afterContext, "a rule worked out role subjects again")
            #expect(gaps.map(\.ruleId) == ["IAM-301", "IAM-301"])
            #expect(grants.map(\.ruleId) == ["IAM-303"])
            #expect(grants.first?.message.contains("`iam:*`") == true)

            // The same findings as from subjects worked out afresh (what the rules did before).
            let table = try #require(roles.table)
            let fresh = RoleSubjects(context: context, table: table).all()
            #expect(fresh.map { "\($0.role) \($0.call.address) \($0.required.count) \($0.newlyNeeded.sorted())" }
                    == roles.subjects.map { "\($0.role) \($0.call.address) \($0.required.count) \($0.newlyNeeded.sorted())" })
        }
    }
}

/// Counts `RoleFacts.onBuild` calls (the audit runs them on the test's task).
final class BuildCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
