import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Rules
import Testing

/// What `ghr-audit fix` prints and its exit status, from `FixPlan.output` (the command line only
/// writes the lines out): the dry run, `--apply` on an in-memory scan root, and the notes.
@Suite("fix: what the command prints")
struct FixOutputTests {
    static func plan(_ files: [String: String], _ target: TargetSelection) throws -> FixPlan {
        FixPlan(try FixHoldsTogetherTests.audit(MemoryFileSystem(files), target))
    }

    /// FixHoldsTogetherTests' 4.7.0 call (inputs renamed at 5.0.0, fixable) with ephemeral runners
    /// on GHES, whose JIT finding asks for a decision (not fixed).
    static let v4 = FixHoldsTogetherTests.v4.replacingOccurrences(
        of: "  # trailing comment\n", with: "  enable_ephemeral_runners = true\n  ghes_url                 = \"https://ghes.example.com\"\n")

    @Test("dry run: the diff on stdout, then the findings not fixed on stderr; exit 0")
    func dryRun() throws {
        let plan = try Self.plan(["main.tf": Self.v4], .version(ModuleVersion(5, 0, 0)))
        #expect(!plan.files.isEmpty && !plan.notFixed.isEmpty)
        let out = plan.output()
        #expect(out.status == .clean)
        #expect(out.text(of: .standardOutput) == plan.diff)
        let last = try #require(out.lines.last)
        #expect(last.stream == .standardError)
        #expect(last.text == "ghr-audit: \(plan.notFixed.count) finding(s) not fixed:\n" + plan.notFixedLines.map { "  \($0)\n" }.joined())
        #expect(last.text.contains("[JIT-106]") && last.text.contains("needs your decision: "), "\(last.text)")
        // The diff comes before the list, so that `fix | git apply` sees only the diff.
        #expect(out.lines.firstIndex { $0.stream == .standardOutput }! < out.lines.count - 1)
        #expect(out == plan.output(quiet: true), "--quiet changes nothing when there are fixes")
    }

    @Test("--apply writes the files through the writer and says what it wrote; the diff is not printed")
    func apply() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.v4]))
        let plan = try Self.plan(["main.tf": Self.v4], .version(ModuleVersion(5, 0, 0)))
        let out = plan.output(applyingWith: root)
        #expect(out.status == .clean)
        #expect(out.text(of: .standardOutput).isEmpty)
        let errors = out.lines.map(\.text)
        #expect(errors.first?.hasPrefix("fixed main.tf: ") == true, "\(errors)")
        #expect(errors.contains("ghr-audit: 1 file(s) changed\n"), "\(errors)")
        #expect(errors.last?.contains("finding(s) not fixed:") == true)
        let written = String(decoding: try #require(root["main.tf"]), as: UTF8.self)
        #expect(written.contains("prefix") && written.contains("version = \"5.0.0\""), "\(written)")
    }

    @Test("--apply leaves a file changed since the audit and exits 2")
    func applyRefused() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.v4]))
        let plan = try Self.plan(["main.tf": Self.v4], .version(ModuleVersion(5, 0, 0)))
        root["main.tf"] = Data((Self.v4 + "# edited\n").utf8)
        let out = plan.output(applyingWith: root)
        #expect(out.status == .environment)
        #expect(out.lines.map(\.text).contains("ghr-audit: main.tf: not written: \(WriteRefusal.changedSinceAudit)\n"), "\(out.lines)")
        #expect(out.lines.map(\.text).contains("ghr-audit: 0 file(s) changed, 1 left unchanged\n"), "\(out.lines)")
        #expect(root["main.tf"] == Data((Self.v4 + "# edited\n").utf8))
    }

    @Test("what to change by hand comes first")
    func pinInstructionFirst() throws {
        let text = Self.v4.replacingOccurrences(of: "\"4.7.0\"", with: "\">= 4.7.0\"")
        let plan = try Self.plan(["main.tf": text], .version(ModuleVersion(5, 0, 0)))
        let out = plan.output()
        let first = try #require(out.lines.first)
        #expect(first.stream == .standardError)
        #expect(first.text.hasPrefix("ghr-audit: change by hand: ") && first.text.contains("set `version = \"5.0.0\"`"), "\(first.text)")
    }

    @Test("nothing to fix: a note, which --quiet drops")
    func nothingToFix() throws {
        let clean = """
            module "runners" {
              source  = "github-aws-runners/github-runner/aws"
              version = "7.11.0"
              prefix  = "ci"
            }

            """
        let plan = try Self.plan(["main.tf": clean], .version(ModuleVersion(7, 11, 0)))
        #expect(plan.files.isEmpty)
        let loud = plan.output()
        #expect(loud.lines.contains(FixOutput.Line(stream: .standardError, text: "ghr-audit: no machine-applicable fix\n")))
        #expect(loud.text(of: .standardOutput).isEmpty)
        let quiet = plan.output(quiet: true)
        #expect(!quiet.lines.contains { $0.text.contains("no machine-applicable fix") })
        #expect(quiet.lines.count == loud.lines.count - 1)
        #expect(loud.status == .clean && quiet.status == .clean)
    }
}
