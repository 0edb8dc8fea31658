import AuditCore
import Engine
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
}
