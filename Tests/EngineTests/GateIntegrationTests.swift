import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Reporters
import Rules
import Testing

/// The fixture's repository as an in-memory file system (so tests can edit it).
func memoryCopy(of fixture: Fixture) throws -> MemoryFileSystem {
    var files: [String: Data] = [:]
    let root = fixture.repo
    let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
    while let url = enumerator?.nextObject() as? URL {
        guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
        let rel = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
        files[rel] = try Data(contentsOf: url)
    }
    return MemoryFileSystem(data: files)
}

func fixture(_ name: String) throws -> Fixture {
    try #require(Fixture.all.first { $0.name == name }, "no fixture \(name)")
}

func audit(_ fs: MemoryFileSystem, target: String) throws -> AuditResult {
    let knowledge = try KnowledgeBase.load()
    return Auditor(knowledge: knowledge).audit(fileSystem: fs, options: AuditOptions(target: TargetSelection(target)))
}

@Suite("Fixes, baselines and checklists on fixture repositories")
struct GateIntegrationTests {
    /// Every machine-applicable fix, applied, makes its finding disappear on a re-run.
    @Test(arguments: ["jit-token-only-ami", "multi-runner-mixed", "v4-to-v5-inputs", "v6-to-v7-ami-object", "windows-ephemeral-v4", "lambda-lockstep"])
    func fixesRemoveTheirFindings(_ name: String) throws {
        let f = try fixture(name)
        let root = MemoryScanRoot(try memoryCopy(of: f))
        let before = try audit(root.fileSystem, target: f.target)
        // Fixes that ask the user to decide are advice: never written, and listed as not fixed.
        let fixable = before.report.findings.filter { $0.fix.map { $0.isMachineApplicable && !FixPlan.asksForDecision($0) } == true }
        #expect(!fixable.isEmpty, "\(name) has no machine-applicable fix to test")
        #expect(FixPlan(before).notFixed.count == before.report.findings.count - fixable.count)
        let plan = FixPlan(before)
        #expect(plan.overlapMessages.isEmpty, "conflicting fixes: \(plan.overlapMessages)")
        let outcome = plan.apply(to: root)
        #expect(outcome.status == .clean && outcome.skipped.isEmpty, "\(outcome.messages)")
        let after = try audit(root.fileSystem, target: f.target)
        let parse = after.report.findings.filter { $0.tags.contains("parse") }
        #expect(parse.isEmpty, "fixes broke the syntax: \(parse.map(\.message))")
        let remaining = after.report.findings.filter { a in fixable.contains { $0.ruleId == a.ruleId && $0.message == a.message } }
        #expect(remaining.isEmpty, "still reported after the fix: \(remaining.map { "\($0.ruleId) \($0.location): \($0.message)" })")
    }

    /// A baseline written before unrelated lines are inserted still matches every finding after.
    @Test func baselineSurvivesShiftedLines() throws {
        let f = try fixture("v4-to-v5-inputs")
        var fs = try memoryCopy(of: f)
        let before = try audit(fs, target: f.target)
        #expect(before.report.findings.count >= 5)
        let baseline = try Baseline.load(Baseline.make(before.report.findings))
        let text = String(decoding: fs.files["main.tf"]!, as: UTF8.self)
        fs.files["main.tf"] = Data(("# Owned by the platform team.\n# Reviewed 2026-11.\n\nlocals {\n  team = \"platform\"\n}\n\n" + text).utf8)
        let after = try audit(fs, target: f.target)
        #expect(after.report.findings.count == before.report.findings.count)
        #expect(after.report.findings.map(\.location.start.line) != before.report.findings.map(\.location.start.line), "lines must have moved")
        let (new, known) = baseline.filter(after.report.findings)
        #expect(new.isEmpty, "new after a shift: \(new.map { "\($0.ruleId) \($0.location)" })")
        #expect(known.count == before.report.findings.count)

        // A genuinely new problem is reported.
        fs.files["main.tf"] = Data((String(decoding: fs.files["main.tf"]!, as: UTF8.self).replacingOccurrences(of: "  fifo_build_queue    = true\n", with: "  fifo_build_queue    = true\n  log_type = \"json\"\n")).utf8)
        let third = try audit(fs, target: f.target)
        let (fresh, _) = baseline.filter(third.report.findings)
        #expect(fresh.map(\.ruleId) == ["INP-201"] && fresh.first?.message.contains("log_type") == true, "\(fresh.map(\.message))")
    }

    /// Suppressions: a directive hides its finding; with it removed, the finding returns.
    @Test func suppressionHidesExactlyItsFinding() throws {
        let f = try fixture("suppressions")
        var fs = try memoryCopy(of: f)
        let with = try audit(fs, target: f.target)
        #expect(!with.report.findings.contains { $0.ruleId == "JIT-106" })
        #expect(with.suppressed.map(\.ruleId) == ["JIT-106"])
        // The report carries it with the directive's reason, and every format counts it.
        let dismissed = try #require(with.report.dismissed.first)
        #expect(dismissed.kind == .inSource && dismissed.justification == "GHES 3.12 serves the generate-jitconfig API (checked 2026-10)")
        #expect(!dismissed.finding.fingerprint.isEmpty)
        for format in OutputFormat.allCases {
            let out = render(with.report, as: format)
            #expect(out.contains("1 suppressed") || out.contains("\"suppressed\": 1") || out.contains("skipped=\"1\"") || out.contains("\"inSource\""), "\(format)")
        }
        let sarif = render(with.report, as: .sarif)
        #expect(sarif.contains("\"kind\": \"inSource\"") && sarif.contains("GHES 3.12 serves the generate-jitconfig API"))
        #expect(render(with.report, as: .text, options: RenderOptions(showSuppressed: true)).contains("suppressed: GHES 3.12 serves"))
        #expect(!render(with.report, as: .text).contains("suppressed: GHES 3.12 serves"))
        let text = String(decoding: fs.files["main.tf"]!, as: UTF8.self)
        fs.files["main.tf"] = Data(text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("ignore JIT-106") }.joined(separator: "\n").utf8)
        let without = try audit(fs, target: f.target)
        #expect(without.report.findings.contains { $0.ruleId == "JIT-106" })
    }

    /// The checklist is a deterministic Markdown snapshot.
    @Test(arguments: ["v4-to-v5-inputs", "multi-runner-mixed", "v6-to-v7-ami-object"])
    func checklistSnapshot(_ name: String) throws {
        let f = try fixture(name)
        let result = try f.run()
        let knowledge = try KnowledgeBase.load()
        let target = try #require(ModuleVersion(result.report.target))
        let text = Checklist.render(result, knowledge: knowledge, target: target)
        #expect(text == Checklist.render(try f.run(), knowledge: knowledge, target: target), "not deterministic")
        #expect(text.contains("- [ ] "))
        let snapshot = packageRoot.appendingPathComponent("Tests/EngineTests/Snapshots/checklist-\(name).md")
        if recordGoldens || !FileManager.default.fileExists(atPath: snapshot.path) {
            try Data(text.utf8).write(to: snapshot)
            Issue.record("recorded \(snapshot.lastPathComponent); re-run")
            return
        }
        #expect(text == (try String(contentsOf: snapshot, encoding: .utf8)), "checklist differs from \(snapshot.lastPathComponent) (RECORD_SNAPSHOTS=1 rewrites it)")
    }
}
