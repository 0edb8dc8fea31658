import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Testing

/// Issue 15: the audit reads, parses, models roots and scans scripts on several threads; what it
/// reports must not depend on how that work was scheduled. Every fixture repository under one
/// scan root (41 repositories, many Terraform roots) is audited again and again with 1 to 8
/// workers, and every output format must come out byte for byte the same.
@Suite("Deterministic output whatever the scheduling", .serialized)
struct DeterminismTests {
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    /// A scan root holding `copies` copies of every fixture's `repo/`, removed by the caller.
    static func monorepo(copies: Int) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-determinism-\(UUID().uuidString)")
        let fixtures = packageRoot.appendingPathComponent("fixtures")
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted()
        for copy in 1...copies {
            for name in names {
                let repo = fixtures.appendingPathComponent(name).appendingPathComponent("repo")
                guard FileManager.default.fileExists(atPath: repo.path) else { continue }
                let destination = root.appendingPathComponent("copy-\(copy)").appendingPathComponent(name)
                try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: repo, to: destination)
            }
        }
        return root
    }

    /// Every format of one audit of `root`.
    static func outputs(_ root: URL, workers: Int, maxSteps: Int = Limits.maxEvaluationSteps) -> [OutputFormat: String] {
        var options = AuditOptions(target: .version(ModuleVersion(4, 1, 0)))
        options.workers = workers
        options.maxEvaluationSteps = maxSteps
        options.today = Date(timeIntervalSince1970: 1_780_000_000)
        let result = Auditor(knowledge: knowledge).audit(fileSystem: LocalFileSystem(root: root), options: options)
        var out: [OutputFormat: String] = [:]
        for format in OutputFormat.allCases {
            out[format] = render(result.report, as: format, options: RenderOptions(color: false, sources: result.sources, showSuppressed: true))
        }
        return out
    }

    static func compare(_ reference: [OutputFormat: String], _ other: [OutputFormat: String], _ what: String) {
        for format in OutputFormat.allCases {
            let a = reference[format] ?? "", b = other[format] ?? ""
            guard a != b else { continue }
            let lineA = a.split(separator: "\n", omittingEmptySubsequences: false)
            let lineB = b.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(lineA, lineB).enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("\(what): the \(format.rawValue) output differs from one worker's; first difference at line \((first?.offset ?? min(lineA.count, lineB.count)) + 1): \(first.map { "`\($0.element.0)` vs `\($0.element.1)`" } ?? "one is longer")")
        }
    }

    @Test("every format is byte-identical with 1, 2, 4 and 8 workers, run after run")
    func sameBytesWhateverTheWorkers() throws {
        let root = try Self.monorepo(copies: 1)
        defer { try? FileManager.default.removeItem(at: root) }
        let reference = Self.outputs(root, workers: 1)
        // Not vacuous: the tree has many roots, findings and every format has content.
        let json = try #require(reference[.json])
        let findings = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["findings"] as? [Any])
        #expect(findings.count > 50, "\(findings.count) findings")
        #expect(reference.values.allSatisfy { !$0.isEmpty })
        for (run, workers) in [(1, 2), (1, 4), (2, 2), (2, 8)] {
            Self.compare(reference, Self.outputs(root, workers: workers), "run \(run), \(workers) workers")
        }
        Self.compare(reference, Self.outputs(root, workers: 1), "one worker again")
    }

    /// The run's evaluation budget is one, shared in root order: when it runs out halfway through
    /// the roots, the roots modelled apart are modelled again in order, so which expression gets
    /// the `CORE-007` and what stays unknown are the same as with one worker.
    @Test("a budget that runs out halfway gives the same report with one worker and with several")
    func sameBytesWhenTheBudgetRunsOut() throws {
        let root = try Self.monorepo(copies: 1)
        defer { try? FileManager.default.removeItem(at: root) }
        var options = AuditOptions(target: .version(ModuleVersion(4, 1, 0)))
        options.workers = 1
        let full = Auditor(knowledge: Self.knowledge).audit(fileSystem: LocalFileSystem(root: root), options: options)
        let half = full.evaluationSteps / 2
        #expect(half > 1_000, "the fixtures evaluate \(full.evaluationSteps) steps")
        let reference = Self.outputs(root, workers: 1, maxSteps: half)
        #expect(reference[.compact]?.contains("CORE-007") == true, "half the budget runs out")
        for workers in [2, 4] {
            Self.compare(reference, Self.outputs(root, workers: workers, maxSteps: half), "\(workers) workers, budget \(half)")
        }
    }

    /// The rules run on every core: a budget that runs out near the end (while the rules evaluate
    /// validations and locals) makes the audit run again on one worker, so the report is still the
    /// one-worker report.
    @Test("a budget that runs out near the end gives the same report with one worker and with several")
    func sameBytesWhenTheBudgetRunsOutInTheRules() throws {
        let root = try Self.monorepo(copies: 1)
        defer { try? FileManager.default.removeItem(at: root) }
        var options = AuditOptions(target: .version(ModuleVersion(4, 1, 0)))
        options.workers = 1
        let full = Auditor(knowledge: Self.knowledge).audit(fileSystem: LocalFileSystem(root: root), options: options).evaluationSteps
        // The rules evaluate the last few hundred steps of this tree (validations, locals only they
        // read): budgets that run out among them.
        for maxSteps in [full - 1, full - 40, full - 120, full - 250] {
            let reference = Self.outputs(root, workers: 1, maxSteps: maxSteps)
            #expect(reference[.compact]?.contains("CORE-007") == true, "a budget of \(maxSteps) of \(full) steps runs out")
            Self.compare(reference, Self.outputs(root, workers: 2, maxSteps: maxSteps), "2 workers, budget \(maxSteps)")
        }
    }
}
