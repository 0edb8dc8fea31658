import AuditCore
import Engine
import Foundation
import Knowledge
import Rules
import Testing

/// VER-208: a target older than the release a runner module call uses makes the report describe a
/// downgrade; said once per call, as a note at the evidence of the call's release.
@Suite("Downgrade targets (VER-208)")
struct DowngradeTests {
    static func findings(_ files: [String: String], target: String, from: ModuleVersion? = nil) throws -> [Finding] {
        let fs = MemoryFileSystem(files)
        let options = AuditOptions(target: try #require(TargetSelection(target)), fromOverride: from)
        return Auditor(knowledge: try KnowledgeBase.load()).audit(fileSystem: fs, options: options)
            .report.findings.filter { $0.ruleId == "VER-208" }
    }

    static func call(_ name: String = "runners", source: String = "github-aws-runners/github-runner/aws", version: String?) -> String {
        """
        module "\(name)" {
          source  = "\(source)"
        \(version.map { "  version = \"\($0)\"" } ?? "")
          lambda_event_source_mapping_batch_size = 1
        }

        """
    }

    @Test func anOlderTargetIsOneNoteAtThePin() throws {
        let found = try Self.findings(["main.tf": Self.call(version: "7.2.1")], target: "7.2.0")
        #expect(found.count == 1)
        let note = try #require(found.first)
        #expect(note.severity == .note && note.tags == ["version"])
        #expect(note.message == "target 7.2.0 is older than 7.2.1, the release `module.runners` uses: this audit describes a downgrade")
        #expect(note.location.path == "main.tf" && note.location.start.line == 3 && note.location.start.column == 13)
        #expect(note.detail?.contains("--target latest") == true)
    }

    @Test(arguments: ["7.2.1", "7.11.0", "latest", "pinned"])
    func theSameOrANewerTargetIsSilent(_ target: String) throws {
        #expect(try Self.findings(["main.tf": Self.call(version: "7.2.1")], target: target).isEmpty)
    }

    @Test func aMajorDowngradeAcrossFourMajorsIsStillOneNote() throws {
        let found = try Self.findings(["main.tf": Self.call(version: "7.11.0")], target: "3.6.1")
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("target 3.6.1 is older than 7.11.0") == true)
    }

    /// A constraint is audited from the newest release it allows: a target below that is a downgrade
    /// even when the constraint would accept the target.
    @Test func aConstraintIsJudgedFromTheReleaseItResolvesTo() throws {
        let kb = try KnowledgeBase.load()
        let newest7 = try #require(kb.releases.map(\.version).filter { $0.major == 7 }.max())
        let found = try Self.findings(["main.tf": Self.call(version: "~> 7.2")], target: "7.5.0")
        #expect(found.count == 1)
        #expect(found.first?.message == "target 7.5.0 is older than \(newest7), the release `module.runners` uses: this audit describes a downgrade")
        #expect(try Self.findings(["main.tf": Self.call(version: "~> 7.2")], target: "\(newest7)").isEmpty)
    }

    @Test func onlyTheCallsAboveTheTargetAreNamed() throws {
        let files = ["main.tf": Self.call("old", version: "5.10.0") + Self.call("new", version: "7.2.0")]
        let found = try Self.findings(files, target: "6.0.0")
        #expect(found.map(\.message) == ["target 6.0.0 is older than 7.2.0, the release `module.new` uses: this audit describes a downgrade"])
    }

    @Test func multiRunnerAndGitRefCallsCountSubmodulesOtherThanRunnersDoNot() throws {
        let files = [
            "multi.tf": Self.call("multi", source: "github-aws-runners/github-runner/aws//modules/multi-runner", version: "7.2.0"),
            "git.tf": Self.call("git", source: "git::https://github.com/github-aws-runners/terraform-aws-github-runner.git?ref=v7.2.0", version: nil),
            "lambdas.tf": """
            module "lambdas" {
              source  = "github-aws-runners/github-runner/aws//modules/download-lambda"
              version = "7.2.0"
              lambdas = [{ name = "runners", tag = "v7.2.0" }]
            }

            """,
        ]
        let found = try Self.findings(files, target: "6.0.0")
        #expect(Set(found.map { $0.location.path }) == ["multi.tf", "git.tf"], "\(found.map(\.message))")
        // The git ref is the evidence: the note points into the source string.
        #expect(found.first { $0.location.path == "git.tf" }?.message.contains("`module.git`") == true)
    }

    @Test func aCallWhoseReleaseIsUnknownIsSilent() throws {
        let files = ["main.tf": Self.call(source: "git::https://github.com/github-aws-runners/terraform-aws-github-runner.git", version: nil)]
        #expect(try Self.findings(files, target: "3.6.1").isEmpty)
    }

    /// `--from` replaces the pinned release as the starting point.
    @Test func fromOverridesThePin() throws {
        let main = ["main.tf": Self.call(version: "5.10.0")]
        #expect(try Self.findings(main, target: "6.0.0").isEmpty)
        let found = try Self.findings(main, target: "6.0.0", from: ModuleVersion(7, 0, 0))
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("target 6.0.0 is older than 7.0.0") == true)
    }

    /// The note comes once per call, not once per fleet of a `for_each` call.
    @Test func oncePerCallWhateverItsFleets() throws {
        let main = """
        module "runners" {
          for_each = toset(["a", "b", "c"])
          source   = "github-aws-runners/github-runner/aws"
          version  = "7.2.0"
          prefix   = each.key
          lambda_event_source_mapping_batch_size = 1
        }
        """
        let found = try Self.findings(["main.tf": main], target: "6.0.0")
        #expect(found.count == 1, "\(found.map(\.message))")
    }
}
