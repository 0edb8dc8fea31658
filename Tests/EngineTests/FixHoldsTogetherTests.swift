import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Rules
import Terraform
import Testing

/// `fix` at a target yields a configuration valid at that target (issue 18 §4): the release pins
/// move with the renamed inputs, lines keep `terraform fmt`'s alignment, and a second run has
/// nothing left to do.
@Suite("fix: fixes that hold together")
struct FixHoldsTogetherTests {
    /// Loaded once for the suite, not decoded again for every audit of the property tests.
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    static func audit(_ fs: any FileSystem, _ target: TargetSelection) throws -> AuditResult {
        Auditor(knowledge: knowledge).audit(fileSystem: fs, options: AuditOptions(target: target))
    }

    static let v4 = """
        module "runners" {
          source  = "philips-labs/github-runner/aws"
          version = "4.7.0"

          aws_region  = "eu-west-1"
          environment = "ci"

          fifo_build_queue    = true
          runner_extra_labels = "docker,build"
          # trailing comment
        }

        """

    @Test("the module pin moves to the target with the renamed inputs, aligned, and a second run is empty")
    func pinMovesAndAligns() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.v4]))
        let plan = FixPlan(try Self.audit(root.fileSystem, .version(ModuleVersion(5, 0, 0))))
        #expect(plan.pinInstructions.isEmpty)
        let diff = plan.diff
        #expect(diff.contains("-  version = \"4.7.0\"\n+  version = \"5.0.0\"\n"), "\(diff)")
        #expect(diff.contains("+  aws_region = \"eu-west-1\"\n+  prefix     = \"ci\"\n"), "\(diff)")
        #expect(diff.contains("+  enable_fifo_build_queue = true\n+  runner_extra_labels     = [\"docker\", \"build\"]\n"), "\(diff)")
        #expect(!diff.split(separator: "\n", omittingEmptySubsequences: false).contains("-"), "an empty `-` line: \(diff)")
        #expect(plan.apply(to: root).status == .clean)
        #expect(FixPlan(try Self.audit(root.fileSystem, .version(ModuleVersion(5, 0, 0)))).files.isEmpty)
    }

    @Test("a rename whose successor is itself gone by the target is not applied: the finding says so and the setting is left to remove")
    func renameChainEndingInRemoval() throws {
        let result = try Self.audit(MemoryFileSystem(["main.tf": Self.v4]), .version(ModuleVersion(6, 0, 0)))
        let finding = try #require(result.report.findings.first { $0.ruleId == "INP-201" && $0.message.hasPrefix("`fifo_build_queue`") })
        #expect(finding.message == "`fifo_build_queue` was removed in 5.0.0 (input of the root module); its successor `enable_fifo_build_queue` was removed in 6.0.0 too", "\(finding.message)")
        #expect(finding.fix?.isMachineApplicable == false && finding.fix?.description == "Remove `fifo_build_queue`")
        let plan = FixPlan(result)
        #expect(!plan.diff.contains("enable_fifo_build_queue"), "\(plan.diff)")
        #expect(plan.notFixed.contains { $0.fingerprint == finding.fingerprint })
        // Before 6.0.0 the rename still holds.
        let at5 = try Self.audit(MemoryFileSystem(["main.tf": Self.v4]), .version(ModuleVersion(5, 21, 0)))
        #expect(at5.report.findings.contains { $0.message == "`fifo_build_queue` was removed in 5.0.0 (input of the root module); use `enable_fifo_build_queue`" && $0.fix?.isMachineApplicable == true })
    }

    static func withVersion(_ constraint: String) -> String {
        v4.replacingOccurrences(of: "\"4.7.0\"", with: "\"\(constraint)\"")
    }

    @Test("a range that excludes the target is a VER-209 error whose fix the plan applies once; a second run is empty")
    func rangeExcludingTargetIsRewritten() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.withVersion("~> 4.7")]))
        let result = try Self.audit(root.fileSystem, .version(ModuleVersion(5, 0, 0)))
        let finding = try #require(result.report.findings.first { $0.ruleId == "VER-209" })
        #expect(finding.severity == .error)
        #expect(finding.location.start.line == 3 && finding.location.start.column == 13, "\(finding.location)")
        #expect(finding.fix?.isMachineApplicable == true)
        let plan = FixPlan(result)
        #expect(plan.pinInstructions.isEmpty, "\(plan.pinInstructions)")
        // 5.0.0 is not the newest 5.x release, so `~> 5.0` would install another: the target exactly.
        #expect(plan.diff.contains("-  version = \"~> 4.7\"\n+  version = \"5.0.0\"\n"), "\(plan.diff)")
        #expect(plan.diff.components(separatedBy: "+  version").count == 2, "one edit for the pin: \(plan.diff)")
        #expect(plan.apply(to: root).status == .clean)
        let after = try Self.audit(root.fileSystem, .version(ModuleVersion(5, 0, 0)))
        #expect(!after.report.findings.contains { $0.ruleId == "VER-209" })
        #expect(FixPlan(after).files.isEmpty)
    }

    @Test("at the newest release a range keeps the user's form: bounds move, a `!=` naming the target goes")
    func rangeKeepsItsForm() throws {
        let kb = try KnowledgeBase.load()
        let releases = kb.releases.map(\.version)
        let latest = kb.latest.version
        let next = "\(latest.major + 1).0.0"
        #expect(PinMove.rewrite(try #require(VersionConstraint(">= 3.6.0, < 5.0.0")), toAdmit: latest, releases: releases) == ">= 3.6.0, < \(next)")
        #expect(PinMove.rewrite(try #require(VersionConstraint("~> 4.0")), toAdmit: latest, releases: releases) == "~> \(latest.major).\(latest.minor)")
        #expect(PinMove.rewrite(try #require(VersionConstraint(">= 7.0.0, != \(latest)")), toAdmit: latest, releases: releases) == ">= 7.0.0")
        #expect(PinMove.rewrite(try #require(VersionConstraint("<= 4.5.0")), toAdmit: latest, releases: releases) == "< \(next)")
        // Below the newest release of its line the widened form would install another: exact.
        #expect(PinMove.rewrite(try #require(VersionConstraint(">= 3.6.0, < 5.0.0")), toAdmit: ModuleVersion(6, 5, 0), releases: releases) == "6.5.0")
        #expect(PinMove.rewrite(try #require(VersionConstraint(">= 9.0.0")), toAdmit: latest, releases: releases) == ">= \(latest)")

        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.withVersion(">= 3.6.0, < 5.0.0")]))
        let plan = FixPlan(try Self.audit(root.fileSystem, .latest))
        #expect(plan.diff.contains("+  version = \">= 3.6.0, < \(next)\"\n"), "\(plan.diff)")
        #expect(plan.pinInstructions.isEmpty, "\(plan.pinInstructions)")
    }

    @Test("a range that admits the target but installs another release is not rewritten: the plan says what to change by hand")
    func admittedRangeIsAnInstruction() throws {
        let fs = MemoryFileSystem(["main.tf": Self.withVersion(">= 4.7.0")])
        let result = try Self.audit(fs, .version(ModuleVersion(5, 0, 0)))
        #expect(!result.report.findings.contains { $0.ruleId == "VER-209" })
        let plan = FixPlan(result)
        #expect(plan.pinInstructions.count == 1)
        #expect(plan.pinInstructions.first?.contains("set `version = \"5.0.0\"`") == true, "\(plan.pinInstructions)")
        #expect(!plan.diff.contains("+  version"), "\(plan.diff)")
    }

    @Test("a git ref of another release is a VER-210 note; its fix and the plan's pin move are one edit")
    func gitRefMoves() throws {
        let text = """
            module "runners" {
              source = "git::https://github.com/philips-labs/terraform-aws-github-runner.git?ref=v3.6.1"
              prefix = "ci"
            }

            """
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": text]))
        let result = try Self.audit(root.fileSystem, .version(ModuleVersion(4, 1, 0)))
        let finding = try #require(result.report.findings.first { $0.ruleId == "VER-210" })
        #expect(finding.severity == .note)
        #expect(finding.fix?.edits.count == 1)
        let plan = FixPlan(result)
        #expect(plan.diff.contains("+  source = \"git::https://github.com/philips-labs/terraform-aws-github-runner.git?ref=v4.1.0\"\n"), "\(plan.diff)")
        #expect(plan.diff.components(separatedBy: "+  source").count == 2, "\(plan.diff)")
        #expect(plan.apply(to: root).status == .clean)
        #expect(!(try Self.audit(root.fileSystem, .version(ModuleVersion(4, 1, 0)))).report.findings.contains { $0.ruleId == "VER-210" })
    }

    @Test("a git ref that is the commit of another release is a VER-210 note naming it; the commit is left to the user, first")
    func commitRefIsNamedAndLeftToTheUser() throws {
        let kb = try KnowledgeBase.load()
        let old = try #require(kb.release(version: ModuleVersion(3, 6, 1)))
        let target = try #require(kb.release(version: ModuleVersion(4, 1, 0)))
        func main(_ ref: String) -> String {
            "module \"runners\" {\n  source = \"git::https://github.com/philips-labs/terraform-aws-github-runner.git?ref=\(ref)\"\n  prefix = \"ci\"\n}\n"
        }
        // A full commit and an abbreviated one name the same release.
        for ref in [old.commit, String(old.commit.prefix(10))] {
            let root = MemoryScanRoot(MemoryFileSystem(["main.tf": main(ref)]))
            let result = try Self.audit(root.fileSystem, .version(target.version))
            let finding = try #require(result.report.findings.first { $0.ruleId == "VER-210" }, "\(ref)")
            #expect(finding.severity == .note)
            #expect(finding.message == "git ref `\(ref)` of `module.runners` names release 3.6.1, not the target 4.1.0", "\(finding.message)")
            #expect(finding.location.start.line == 2)
            // No edit: a commit does not spell its release, so only the user can point it elsewhere.
            #expect(finding.fix?.edits.isEmpty == true)
            #expect(finding.fix?.description.contains("pin release 4.1.0 there") == true, "\(finding.fix?.description ?? "")")
            let plan = FixPlan(result)
            #expect(!plan.diff.contains("source ="), "\(plan.diff)")
            #expect(plan.pinInstructions.count == 1 && plan.pinInstructions[0].contains("git ref `\(ref)`"), "\(plan.pinInstructions)")
            #expect(plan.apply(to: root).status == .clean)
            #expect(root.fileSystem.read("main.tf").map { String(decoding: $0, as: UTF8.self) } == main(ref))
        }
        // The target's own commit: nothing to say; a commit of no release: no release to name.
        for ref in [target.commit, "0123456789abcdef0123456789abcdef01234567"] {
            let result = try Self.audit(MemoryFileSystem(["main.tf": main(ref)]), .version(target.version))
            #expect(!result.report.findings.contains { $0.ruleId == "VER-210" }, "\(ref)")
        }
    }

    @Test("a fix in a wrapper module that several roots call says every caller changes; one caller says nothing")
    func sharedWrapperNamesEveryCaller() throws {
        let caller = "module \"ci\" {\n  source = \"../../modules/ci-runners\"\n}\n"
        let shared = MemoryFileSystem(["modules/ci-runners/main.tf": Self.v4, "envs/prod/main.tf": caller, "envs/dev/main.tf": caller])
        let plan = FixPlan(try Self.audit(shared, .version(ModuleVersion(5, 0, 0))))
        #expect(plan.files.map(\.path) == ["modules/ci-runners/main.tf"], "\(plan.files.map(\.path))")
        #expect(plan.sharedModuleNotes == [
            "`modules/ci-runners/main.tf` belongs to a module that 2 module calls use (envs/dev/main.tf:1, envs/prod/main.tf:1): its fixes change the configuration of every one of them",
        ], "\(plan.sharedModuleNotes)")

        let single = MemoryFileSystem(["modules/ci-runners/main.tf": Self.v4, "envs/prod/main.tf": caller])
        let alone = FixPlan(try Self.audit(single, .version(ModuleVersion(5, 0, 0))))
        #expect(!alone.files.isEmpty && alone.sharedModuleNotes.isEmpty)
    }

    @Test("lines are aligned as terraform fmt aligns the group they join")
    func alignment() {
        let text = "a {\n  x = 1\n  longer_name = 2\n\n  y    = 3\n  zz   = 4\n  c = <<EOF\n  q = 1\nEOF\n}\n"
        let out = HCLAlignment.realign(text, touching: [2])
        #expect(out == "a {\n  x           = 1\n  longer_name = 2\n\n  y    = 3\n  zz   = 4\n  c = <<EOF\n  q = 1\nEOF\n}\n")
        #expect(HCLAlignment.realign(text, touching: []) == text)
        #expect(HCLAlignment.realign("  m = {\n    k = 1\n  }\n", touching: [0, 1]) == "  m = {\n    k = 1\n  }\n")
    }

    @Test("an added argument goes after the last argument, not after trailing comments")
    func insertionAfterLastArgument() throws {
        let fs = MemoryFileSystem(["main.tf": Self.v4])
        let result = try Self.audit(fs, .version(ModuleVersion(5, 0, 0)))
        let call = try #require(result.model.calls.first)
        let edit = try #require(Fixes.addArgument("new_input", value: "true", to: call.call.block, file: "main.tf", after: nil, workspace: result.workspace)?.first)
        #expect(edit.range.start.line == 10, "inserted at line \(edit.range.start.line)")
    }

    static let metaArguments: Set<String> = ["source", "version", "providers", "count", "for_each", "depends_on"]

    static func files(under dir: URL) -> [String: Data] {
        var out: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
        for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            out[String(url.standardizedFileURL.path.dropFirst(dir.standardizedFileURL.path.count + 1))] = try? Data(contentsOf: url)
        }
        return out
    }

    /// The targets the property runs at besides each fixture's own: the newest release of each
    /// major line the knowledge base covers from 4 on (the lines users upgrade to).
    static let majorTargets: [String] = {
        let kb = knowledge
        let majors = Set(kb.releases.map(\.version.major)).filter { $0 >= 4 }.sorted()
        return majors.compactMap { major in kb.releases.last { $0.version.major == major }.map { "\($0.version)" } }
    }()

    @Test("property: every fixture, fixed at its target, leaves no fixed error, uses only the target's inputs, and fixes to nothing", arguments: Fixture.all)
    func fixedFixtureHolds(_ fixture: Fixture) throws {
        try Self.checkFixHolds(fixture, target: fixture.target)
    }

    @Test("property: every fixture fixed at the newest release of each major line holds too", arguments: Fixture.all, majorTargets)
    func fixedFixtureHoldsAtEveryMajor(_ fixture: Fixture, _ target: String) throws {
        try Self.checkFixHolds(fixture, target: target)
    }

    static func checkFixHolds(_ fixture: Fixture, target targetText: String) throws {
        let kb = knowledge
        let target = try #require(TargetSelection(targetText))
        let label = "\(fixture.name) at \(targetText)"
        let root = MemoryScanRoot(MemoryFileSystem(data: Self.files(under: fixture.directory.appendingPathComponent("repo"))))
        let before = try Self.audit(root.fileSystem, target)
        let original = root.fileSystem
        let plan = try FixPlan.settled(before) { changed in try Self.audit(OverlayFileSystem(base: original, replaced: changed), target) }
        for f in plan.files {
            let diff = UnifiedDiff.render(path: f.path, old: f.original.text, new: f.newText)
            #expect(!diff.split(separator: "\n", omittingEmptySubsequences: false).contains("-"), "\(label): an empty `-` line in \(f.path)")
        }
        _ = plan.apply(to: root)
        let after = try Self.audit(root.fileSystem, target)
        // No error that a fix claimed to address remains (same rule at the same place).
        let claimed = Set(before.report.findings.filter { $0.severity == .error && $0.fix?.isMachineApplicable == true }.map { "\($0.ruleId) \($0.location.path) \($0.message)" })
        let left = after.report.findings.filter { claimed.contains("\($0.ruleId) \($0.location.path) \($0.message)") }
        #expect(left.isEmpty, "\(label): fixed errors remain: \(left.map(\.message))")
        // Every input of a fixed runner module call exists at the target.
        let context = RuleContext(workspace: after.workspace, model: after.model, knowledge: kb, target: target, fromOverride: nil, scripts: [:])
        for call in after.model.calls where call.vendoredRoot == nil && plan.files.contains(where: { $0.path == call.call.file }) {
            guard let scope: InputScope = switch call.kind { case .root: .root; case .multiRunner: .multiRunner; case .runners: .runners; default: nil },
                  let version = context.targetVersion(for: call) else { continue }
            let known = kb.inputs(scope: scope, at: version)
            // An input `fix` could not move is allowed only when the run told the user so: a finding
            // it lists as not fixed names that argument.
            let toldByHand = plan.notFixed.filter { $0.location.path == call.call.file }.map(\.message)
            let unknown = call.call.block.body.attributes.map(\.name)
                .filter { !Self.metaArguments.contains($0) && !known.contains($0) }
                .filter { name in !toldByHand.contains { $0.contains("`\(name)`") } }
            #expect(unknown.isEmpty, "\(label): `\(call.address)` has inputs \(unknown) that \(version) does not accept, and no unfixed finding says so")
        }
        // A second run has nothing left to write (the suppressions fixture: the first run also
        // removes the suppression its fixes leave unused, CORE-013).
        let again = FixPlan(after)
        #expect(again.files.isEmpty, "\(label): a second fix changes \(again.files.map(\.path)):\n\(again.diff)")
    }
}
