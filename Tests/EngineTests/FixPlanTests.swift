import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Rules
import Testing

/// `fix` and `fix --apply` as functions: on the in-memory scan root, with races made to happen at
/// a chosen point through the writer's hook.
@Suite("fix: the plan, the diff and --apply")
struct FixPlanTests {
    // A made-up token (valid shape, no real credential).
    static let token = "ghp_R8kz3QpL0vW2xYt6NmB4cD7eF9gH1jK5sA0u"
    static let main = """
        module "runners" {
          source  = "philips-labs/github-runner/aws"
          version = "5.21.0"

          enable_ephemeral_runners = true
          runner_extra_labels      = "gpu,\(token)"
          ghes_url                 = "https://x-access-token:\(token)@ghes.example.com"
        }

        """
    static let other = """
        module "second" {
          source  = "philips-labs/github-runner/aws"
          version = "5.21.0"

          runner_extra_labels = "arm64,large"
        }

        """

    static func audit(_ fs: MemoryFileSystem) throws -> AuditResult {
        Auditor(knowledge: try KnowledgeBase.load()).audit(fileSystem: fs, options: AuditOptions(target: .version(ModuleVersion(6, 0, 0))))
    }

    static func text(_ root: MemoryScanRoot, _ path: String) -> String { String(decoding: root[path] ?? Data(), as: UTF8.self) }

    @Test("--apply writes the original text, never the masked one, and the fixed findings go away")
    func applyKeepsTheOriginalText() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.main, "second.tf": Self.other]))
        let before = try Self.audit(root.fileSystem)
        let plan = FixPlan(before)
        #expect(plan.files.map(\.path) == ["main.tf", "second.tf"])
        let outcome = plan.apply(to: root)
        #expect(outcome.status == .clean)
        #expect(outcome.written.map(\.path) == ["main.tf", "second.tf"])
        let fixed = Self.text(root, "main.tf")
        #expect(fixed.contains(#"runner_extra_labels      = ["gpu", "\#(Self.token)"]"#), "\(fixed)")
        #expect(!fixed.contains("****"))
        #expect(fixed.contains("x-access-token:\(Self.token)@"))
        #expect(Self.text(root, "second.tf").contains(#"["arm64", "large"]"#))
        // What stderr shows names the files and carries no secret.
        #expect(outcome.messages.first?.hasPrefix("fixed main.tf: ") == true)
        #expect(outcome.messages.last == "ghr-audit: 2 file(s) changed")
        #expect(!outcome.messages.joined().contains(Self.token))

        let after = try Self.audit(root.fileSystem)
        let fixedIds = before.report.findings.filter { $0.fix?.isMachineApplicable == true }.map(\.ruleId)
        #expect(!fixedIds.isEmpty)
        #expect(!after.report.findings.contains { f in f.fix.map { $0.isMachineApplicable && !FixPlan.asksForDecision($0) } == true },
                "\(after.report.findings.map(\.ruleId))")
        #expect(FixPlan(after).files.isEmpty)
    }

    @Test("the diff masks secrets in changed and context lines")
    func diffIsMasked() throws {
        let plan = FixPlan(try Self.audit(MemoryFileSystem(["main.tf": Self.main])))
        let diff = plan.diff
        #expect(diff.hasPrefix("--- a/main.tf\n+++ b/main.tf\n"))
        #expect(!diff.contains(Self.token), "\(diff)")
        #expect(diff.contains(#"+  runner_extra_labels      = ["gpu", "****"#))
        #expect(diff.contains("x-access-token:****"), "the context line with the token should be in the diff, masked")
    }

    @Test("a file changed since the audit is not written: named, exit status 2; the others are")
    func changedSinceTheAuditIsSkipped() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.main, "second.tf": Self.other]))
        let plan = FixPlan(try Self.audit(root.fileSystem))
        let edited = "# a teammate's edit\n" + Self.main
        root["main.tf"] = Data(edited.utf8)
        let outcome = plan.apply(to: root)
        #expect(outcome.status == .environment)
        #expect(outcome.written.map(\.path) == ["second.tf"])
        #expect(outcome.skipped.map(\.path) == ["main.tf"])
        #expect(outcome.messages.contains("ghr-audit: main.tf: not written: the file changed since it was audited; run `ghr-audit fix` again"))
        #expect(outcome.messages.last == "ghr-audit: 1 file(s) changed, 1 left unchanged")
        #expect(Self.text(root, "main.tf") == edited)
    }

    @Test("a change at the last moment (through the write hook) is not overwritten")
    func raceAtTheReplace() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.main]))
        let plan = FixPlan(try Self.audit(root.fileSystem))
        root.hook = { [root] stage, path in
            if stage == .beforeReplace { root[path] = Data("changed at the last moment\n".utf8) }
        }
        let outcome = plan.apply(to: root)
        #expect(outcome.skipped.map(\.reason) == [.changedSinceAudit])
        #expect(Self.text(root, "main.tf") == "changed at the last moment\n")
    }

    @Test("read-only files and symbolic links are refused with a clear message")
    func refusals() throws {
        let root = MemoryScanRoot(MemoryFileSystem(["main.tf": Self.main, "second.tf": Self.other]))
        let plan = FixPlan(try Self.audit(root.fileSystem))
        root.setMode(0o444, of: "main.tf")
        root.makeSymbolicLink("second.tf")
        let outcome = plan.apply(to: root)
        #expect(outcome.written.isEmpty && outcome.status == .environment)
        #expect(outcome.skipped.map(\.reason) == [.readOnly, .symbolicLink])
        #expect(outcome.messages.contains { $0.hasPrefix("ghr-audit: main.tf: not written: the file is read-only") })
        #expect(Self.text(root, "main.tf") == Self.main && Self.text(root, "second.tf") == Self.other)
    }

    /// On the real file system: a file swapped for a link to a file outside the root after the
    /// audit, and a file edited between the re-read and the check, are both left alone.
    @Test("on disk: a link swapped in after the audit is not written through; an edit at the re-read is kept")
    func onDisk() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-fix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let repo = base.appendingPathComponent("repo"), outside = base.appendingPathComponent("outside.tf")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        try Data(Self.main.utf8).write(to: repo.appendingPathComponent("main.tf"))
        try Data(Self.other.utf8).write(to: repo.appendingPathComponent("second.tf"))
        try Data("# not part of the repository\n".utf8).write(to: outside)
        let plan = FixPlan(Auditor(knowledge: try KnowledgeBase.load()).audit(
            fileSystem: LocalFileSystem(root: repo), options: AuditOptions(target: .version(ModuleVersion(6, 0, 0)))))
        #expect(plan.files.map(\.path) == ["main.tf", "second.tf"])

        // After the audit, main.tf becomes a link to a file outside the checkout.
        try FileManager.default.removeItem(at: repo.appendingPathComponent("main.tf"))
        try FileManager.default.createSymbolicLink(at: repo.appendingPathComponent("main.tf"), withDestinationURL: outside)
        // second.tf is edited right after fix --apply re-read it.
        let second = repo.appendingPathComponent("second.tf")
        let writer = LocalScanRootWriter(root: repo) { stage, path in
            guard stage == .afterRead, path == "second.tf", let h = try? FileHandle(forWritingTo: second) else { return }
            _ = try? h.seekToEnd()
            h.write(Data("# edited\n".utf8))
            try? h.close()
        }
        let outcome = plan.apply(to: writer)
        #expect(outcome.written.isEmpty && outcome.status == .environment)
        #expect(outcome.skipped.map(\.path) == ["main.tf", "second.tf"])
        #expect(outcome.skipped.map(\.reason) == [.symbolicLink, .changedSinceAudit])
        #expect(try String(contentsOf: outside, encoding: .utf8) == "# not part of the repository\n")
        #expect(try String(contentsOf: second, encoding: .utf8) == Self.other + "# edited\n")
    }

    @Test("a byte order mark and CRLF line endings survive --apply")
    func encodingIsKept() throws {
        let crlf = Self.other.replacingOccurrences(of: "\n", with: "\r\n")
        let root = MemoryScanRoot(MemoryFileSystem(data: ["second.tf": Data([0xEF, 0xBB, 0xBF] + Array(crlf.utf8))]))
        let outcome = FixPlan(try Self.audit(root.fileSystem)).apply(to: root)
        #expect(outcome.written.map(\.path) == ["second.tf"])
        let bytes = try #require(root["second.tf"])
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]))
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(text.contains(#"["arm64", "large"]"#))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "a bare LF crept in")
    }

    @Test("a fix that asks the user to confirm is never written; the findings left are listed with their locations")
    func adviceIsNotWritten() throws {
        let fs = MemoryFileSystem(["main.tf": FindingFilterTests.ghesMain])
        let result = try Self.audit(fs)
        let advice = try #require(result.report.findings.first { $0.fix.map { $0.isMachineApplicable && FixPlan.asksForDecision($0) } == true },
                                  "\(result.report.findings.map { "\($0.ruleId): \($0.fix?.description ?? "-")" })")
        let plan = FixPlan(result)
        #expect(!plan.diff.contains("enable_jit_config"), "advice was written: \(plan.diff)")
        #expect(plan.diff.contains(#"["arm64", "large"]"#))
        #expect(plan.notFixed.contains { $0.fingerprint == advice.fingerprint })
        let line = try #require(plan.notFixedLines.first { $0.contains("[\(advice.ruleId)]") })
        #expect(line.hasPrefix("main.tf:\(advice.location.start.line):\(advice.location.start.column): ") && line.contains("needs your decision: "))
        #expect(FixPlan.asksForDecision(Fix("Confirm GHES is 3.10 or later, or set `enable_jit_config = false`")))
        #expect(!FixPlan.asksForDecision(Fix("Replace `environment` with `prefix`")))
    }
}
