import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Testing

/// The logic of `check`, `checklist` and `fix` between the argument parser and the printing:
/// the shared options read and checked, `check`'s baseline upkeep and exit status, the
/// checklist's target and hidden findings, the fix plan of what the filter shows.
@Suite("commands: audit options, check's sequence, checklist and fix choices")
struct CommandRequestTests {
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    static func usage(_ body: () throws -> Void) -> String? {
        do { try body() } catch let e as UsageError { return e.description } catch { return "not a usage error: \(error)" }
        return nil
    }

    @Test("the shared options: each malformed one is a usage error naming it; the request carries what was written")
    func auditArguments() throws {
        #expect(Self.usage { try AuditArguments(jobs: 0).validate() } == "`--jobs 0` must be at least 1")
        #expect(Self.usage { try AuditArguments(target: "seven").validate() } == "`--target seven` is not a release (like 4.0.1), `latest` or `pinned`")
        #expect(Self.usage { try AuditArguments(from: "x").validate() } == "`--from x` is not a release such as 3.6.1")
        #expect(Self.usage { try AuditArguments(vars: ["a=1", "novalue"]).validate() } == "`--var novalue` must have the form NAME=VALUE")
        #expect(Self.usage { try AuditArguments(target: "pinned", from: "3.6.1", vars: ["a=b=c"], jobs: 2).validate() } == nil)

        let written = AuditArguments(target: "4.0.1", from: "3.6.1", varFiles: ["a.tfvars", "b.tfvars"], vars: ["x=1", "y=a=b"],
                                     config: "gate.yml", requireModule: true, jobs: 3)
        let request = written.request(paths: ["infra"], environment: ["TF_VAR_x": "2"])
        #expect(request.paths == ["infra"] && request.target == .version(ModuleVersion(4, 0, 1)) && request.from == ModuleVersion(3, 6, 1))
        #expect(request.varFiles == ["a.tfvars", "b.tfvars"] && request.config == "gate.yml" && request.workers == 3)
        #expect(request.vars.map(\.name) == ["x", "y"] && request.vars.map(\.value) == ["1", "a=b"])
        #expect(request.environment == ["TF_VAR_x": "2"] && request.requireModule == true)
        // Without `--require-module` the config file decides.
        #expect(AuditArguments().request(paths: ["."], environment: [:]).requireModule == nil)
        #expect(AuditArguments(target: "latest").targetSelection == .latest && AuditArguments(target: "latest").targetRelease == nil)
    }

    @Test("the release a command reports on: --target when it names one, else the audit's, else the newest")
    func release() throws {
        let latest = Self.knowledge.latest.version
        var report = Report(toolVersion: "t", target: "5.0.0", filesScanned: 0, filesByKind: [:], modules: [], findings: [], rules: [])
        #expect(AuditArguments(target: "4.0.1").release(of: report, knowledge: Self.knowledge) == ModuleVersion(4, 0, 1))
        #expect(AuditArguments().release(of: report, knowledge: Self.knowledge) == ModuleVersion(5, 0, 0))
        #expect(AuditArguments(target: "pinned").release(of: report, knowledge: Self.knowledge) == ModuleVersion(5, 0, 0))
        report.target = "pinned"
        #expect(AuditArguments().release(of: report, knowledge: Self.knowledge) == latest)
        #expect(AuditArguments().release(of: nil, knowledge: Self.knowledge) == latest)
    }

    @Test("check's own combinations")
    func checkCombinations() {
        #expect(Self.usage { try CheckRequest.validate(probeResults: true, html: false, rehearse: false, pathCount: 1) }
            == "`--probe-results` is shown only by the html page: add `--format html`")
        #expect(Self.usage { try CheckRequest.validate(probeResults: false, html: false, rehearse: true, pathCount: 2) } == "`--rehearse` takes one path")
        #expect(Self.usage { try CheckRequest.validate(probeResults: true, html: true, rehearse: true, pathCount: 1) } == nil)
    }

    /// Files written by `check` land in the host, so a later read sees them (as on disk).
    final class Disk: HostFiles, @unchecked Sendable {
        var files: MemoryHostFiles
        var writes: [String] = []
        init(_ files: MemoryHostFiles) { self.files = files }
        func read(_ path: String) -> Data? { files.read(path) }
        func scanRoot(_ path: String) -> (any FileSystem)? { files.scanRoot(path) }
        func write(_ data: Data, _ path: String) {
            writes.append(path)
            files.files[path] = data
        }
    }

    @Test("check: --write-baseline is written before --baseline is read, --update-baseline needs a baseline, the status follows --fail-on")
    func checkSequence() throws {
        let disk = Disk(MemoryHostFiles(["repo/main.tf": InvocationTests.main]))
        let run = try InvocationTests.run(disk.files, AuditRequest(paths: ["repo"]))
        let findings = run.result.report.findings
        #expect(findings.contains { $0.severity == .error })
        var notes: [String] = []

        // No baseline: every finding is judged, errors fail.
        let plain = try run.check(CheckRequest(paths: ["repo"]), host: disk, write: disk.write, note: { notes.append($0) })
        #expect(plain.status == .findings && plain.threshold == .error && plain.report.findings == findings)
        #expect(plain.report.scannedPaths == ["repo"] && disk.writes.isEmpty && notes.isEmpty)
        #expect(try run.check(CheckRequest(paths: ["repo"], failOn: FailThreshold.none), host: disk, write: disk.write, note: { notes.append($0) }).status == .clean)

        // Writing and using the same baseline in one run: the new one is read, so nothing is new.
        let same = try run.check(CheckRequest(paths: ["repo"], baseline: "base.json", writeBaseline: "base.json"),
                                 host: disk, write: disk.write, note: { notes.append($0) })
        #expect(disk.writes == ["base.json"])
        #expect(same.status == .clean && same.report.findings.isEmpty && same.report.dismissed.count == findings.count)

        // --update-baseline rewrites the baseline in use and says so; without one it is a usage error.
        let updated = try run.check(CheckRequest(paths: ["repo"], baseline: "base.json", updateBaseline: true),
                                    host: disk, write: disk.write, note: { notes.append($0) })
        #expect(disk.writes == ["base.json", "base.json"] && notes == ["ghr-audit: updated baseline base.json"])
        #expect(updated.status == .clean)
        #expect(Self.usage { _ = try run.check(CheckRequest(paths: ["repo"], updateBaseline: true), host: disk, write: disk.write, note: { _ in }) }
            == "`--update-baseline` needs a baseline: give `--baseline FILE` or name one in the configuration")
        // An unreadable baseline is an environment error.
        #expect(throws: EnvironmentError("cannot read baseline gone.json")) {
            _ = try run.check(CheckRequest(paths: ["repo"], baseline: "gone.json"), host: disk, write: disk.write, note: { _ in })
        }
        // The live fleet of --probe-results rides along for the html page.
        var live = LiveFacts()
        live.aws = nil
        #expect(try run.check(CheckRequest(paths: ["repo"], live: live), host: disk, write: disk.write, note: { _ in }).report.live != nil)
    }

    @Test("fix plans only what the filter shows")
    func fixFollowsTheFilter() throws {
        let host = MemoryHostFiles(["repo/main.tf": InvocationTests.main])
        let result = try InvocationTests.run(host, AuditRequest(paths: ["repo"])).result
        let all = FixPlan(result)
        let fixable = Set(result.report.findings.filter { $0.fix?.isMachineApplicable == true }.map(\.ruleId))
        #expect(!fixable.isEmpty)
        // Each fix is described `RULE: what it does` (the pin move of `--target` is not a finding's).
        func fixed(_ plan: FixPlan) -> Set<String> {
            Set(plan.files.flatMap(\.descriptions).compactMap { d in fixable.first { d.hasPrefix($0 + ": ") } })
        }
        #expect(fixed(all) == fixable)
        #expect(fixed(FixPlan(result, filter: FindingFilter(skipRules: fixable.sorted()))).isEmpty)
        #expect(FixPlan(result, filter: FindingFilter()).diff == all.diff)
    }
}
