import AuditCore
import Engine
import Foundation
import Gate
import Knowledge
import Rules
import Testing

/// What `check` does between parsing its arguments and printing: reading the user's files,
/// merging roots, baselines, the exit status; and the repository's config kept inside the
/// repository.
@Suite("check: invocation, baselines, exit status, config paths")
struct InvocationTests {
    static let main = """
        module "runners" {
          source  = "philips-labs/github-runner/aws"
          version = "5.21.0"

          enable_ephemeral_runners = true
          runner_extra_labels      = "arm64,large"
        }

        """

    static func run(_ host: MemoryHostFiles, _ request: AuditRequest) throws -> AuditRun {
        var request = request
        if request.target == nil { request.target = .version(ModuleVersion(6, 0, 0)) }
        return try Invocation.audit(request, knowledge: try KnowledgeBase.load(), host: host)
    }

    static func error(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    // MARK: Exit status

    @Test("exit status: --fail-on wins over the config's fail_on, which wins over `error`")
    func exitStatus() throws {
        let range = SourceRange.fileStart("main.tf")
        let warning = Finding(ruleId: "INP-202", severity: .warning, message: "w", location: range)
        let note = Finding(ruleId: "VER-207", severity: .note, message: "n", location: range)
        let error = Finding(ruleId: "JIT-101", severity: .error, message: "e", location: range)
        var config = GateConfig()
        #expect(ExitStatus.of([], failOn: nil, config: config) == .clean)
        #expect(ExitStatus.of([warning], failOn: nil, config: config) == .clean)
        #expect(ExitStatus.of([error], failOn: nil, config: config) == .findings)
        #expect(ExitStatus.of([error], failOn: FailThreshold.none, config: config) == .clean)
        config.failOn = Located(.warning, at: range)
        #expect(ExitStatus.of([warning], failOn: nil, config: config) == .findings)
        #expect(ExitStatus.of([note], failOn: nil, config: config) == .clean)
        #expect(ExitStatus.of([note], failOn: .note, config: config) == .findings)
        #expect(ExitStatus.of([warning], failOn: .error, config: config) == .clean)
        #expect(ExitStatus.findings.rawValue == 1 && ExitStatus.environment.rawValue == 2)
    }

    // MARK: Reading the user's files

    @Test("--var-file and --config are read from the host, paths as the user gave them")
    func userFiles() throws {
        let host = MemoryHostFiles([
            "repo/main.tf": Self.main + "variable \"labels\" {}\n",
            "elsewhere/prod.tfvars": "labels = \"x\"\n",
            "elsewhere/gate.yml": "fail_on: note\nrules: { disable: [INP-202] }\n",
        ])
        let run = try Self.run(host, AuditRequest(paths: ["repo"], config: "elsewhere/gate.yml"))
        #expect(run.result.config.failOn?.value == FailThreshold.note)
        #expect(!run.result.report.findings.contains { $0.ruleId == "INP-202" })
        #expect(Self.error { _ = try Self.run(host, AuditRequest(paths: ["repo"], varFiles: ["missing.tfvars"])) } == "cannot read --var-file missing.tfvars")
        #expect(Self.error { _ = try Self.run(host, AuditRequest(paths: ["repo"], config: "nope.yml")) } == "cannot read --config nope.yml")
        #expect(Self.error { _ = try Self.run(host, AuditRequest(paths: ["absent"])) } == "`absent` is not a directory that can be read")
        #expect((try? Self.run(host, AuditRequest(paths: ["repo"], varFiles: ["elsewhere/prod.tfvars"]))) != nil)
        let unknown = Self.error { _ = try Self.run(host, AuditRequest(paths: ["repo"], target: .version(ModuleVersion(4, 99, 0)))) }
        #expect(unknown?.hasPrefix("`--target 4.99.0` is not a release of terraform-aws-github-runner known to ghr-audit; the nearest is ") == true, "\(unknown ?? "")")
    }

    @Test("several roots are merged with their paths prefixed")
    func severalRoots() throws {
        let host = MemoryHostFiles(["a/main.tf": Self.main, "b/infra/main.tf": Self.main])
        let run = try Self.run(host, AuditRequest(paths: ["a", "b"]))
        let paths = Set(run.result.report.findings.map(\.location.path))
        #expect(paths == ["a/main.tf", "b/infra/main.tf"], "\(paths)")
        let single = try Self.run(host, AuditRequest(paths: ["a"]))
        #expect(Set(single.result.report.findings.map(\.location.path)) == ["main.tf"])
        #expect(run.result.report.findings.count == 2 * single.result.report.findings.count)
    }

    // MARK: Baselines

    @Test("the config's baseline, read inside the root, hides known findings; --baseline replaces it")
    func baselines() throws {
        var host = MemoryHostFiles(["repo/main.tf": Self.main])
        let first = try Self.run(host, AuditRequest(paths: ["repo"]))
        #expect(!first.result.report.findings.isEmpty)
        host.files["repo/ci/baseline.json"] = Baseline.make(first.result.report.findings)
        host.files["repo/.ghr-audit.yml"] = Data("baseline: ci/baseline.json\n".utf8)
        let second = try Self.run(host, AuditRequest(paths: ["repo"]))
        #expect(second.configBaselines.count == 1)
        #expect(second.newFindings(commandLine: nil).isEmpty)
        // A command-line baseline replaces the config's.
        host.files["empty.json"] = Baseline.make([])
        let commandLine = try Invocation.readBaseline("empty.json", host: host)
        #expect(second.newFindings(commandLine: commandLine).count == second.result.report.findings.count)
        // Broken or missing baselines are environment errors.
        host.files["bad.json"] = Data("{}".utf8)
        #expect(Self.error { _ = try Invocation.readBaseline("bad.json", host: host) }?.hasPrefix("baseline bad.json: ") == true)
        #expect(Self.error { _ = try Invocation.readBaseline("gone.json", host: host) } == "cannot read baseline gone.json")
        host.files["repo/.ghr-audit.yml"] = Data("baseline: ci/missing.json\n".utf8)
        #expect(Self.error { _ = try Self.run(host, AuditRequest(paths: ["repo"])) } == "cannot read baseline ci/missing.json (named in the configuration)")
    }

    @Test("`target:` in the config is validated as `--target` is: an unknown release is a located CORE-005 naming the nearest, and the default target is used")
    func configTargetValidatedLikeTheFlag() throws {
        var host = MemoryHostFiles(["repo/main.tf": Self.main])
        let kb = try KnowledgeBase.load()
        let latest = kb.latest.version.description
        let flag = Self.error { _ = try Invocation.audit(AuditRequest(paths: ["repo"], target: .version(ModuleVersion(9, 9, 9))), knowledge: kb, host: host) }
        #expect(flag == "`--target 9.9.9` is not a release of terraform-aws-github-runner known to ghr-audit; the nearest is \(latest)")
        for (value, expected) in [("9.9.9", "`target: 9.9.9` is not a release of terraform-aws-github-runner known to ghr-audit; the nearest is"),
                                  ("4.0.9", "`target: 4.0.9` is not a release of terraform-aws-github-runner known to ghr-audit; the nearest is 4.0."),
                                  ("banana", "`target: banana` is not a release, `latest` or `pinned`")] {
            host.files["repo/.ghr-audit.yml"] = Data("target: \(value)\n".utf8)
            let run = try Invocation.audit(AuditRequest(paths: ["repo"]), knowledge: kb, host: host)
            let problem = try #require(run.result.report.findings.first { $0.ruleId == "CORE-005" }, "\(value)")
            #expect(problem.message.hasPrefix(expected), "\(problem.message)")
            #expect(problem.severity == .error)
            #expect(problem.location.path == ".ghr-audit.yml" && problem.location.start.line == 1 && problem.location.start.column == 9)
            #expect(run.result.report.target == latest, "\(value): audited at \(run.result.report.target)")
        }
        // Known releases (written in full or not) are taken as given.
        for (value, target) in [("4.1.0", "4.1.0"), ("4.1", "4.1.0")] {
            host.files["repo/.ghr-audit.yml"] = Data("target: \(value)\n".utf8)
            let run = try Invocation.audit(AuditRequest(paths: ["repo"]), knowledge: kb, host: host)
            #expect(!run.result.report.findings.contains { $0.ruleId == "CORE-005" })
            #expect(run.result.report.target == target)
        }
    }

    @Test("a baseline written at one target hides the same findings at another; a format-1 baseline still works and --update-baseline migrates it")
    func baselinesSurviveATargetChange() throws {
        // A repository whose JIT-101 message names the target.
        var host = MemoryHostFiles([:])
        for (path, data) in try memoryCopy(of: try fixture("pin-4-0-0-token-script")).files { host.files["repo/" + path] = data }
        let at6 = try Self.run(host, AuditRequest(paths: ["repo"], target: .version(ModuleVersion(5, 0, 0))))
        let at7 = try Self.run(host, AuditRequest(paths: ["repo"], target: .version(ModuleVersion(7, 11, 0))))
        func jit(_ run: AuditRun) throws -> Finding { try #require(run.result.report.findings.first { $0.ruleId == "JIT-101" }) }
        #expect(try jit(at6).message.contains("5.0.0") && jit(at7).message.contains("7.11.0"))
        #expect(try jit(at6).fingerprint == jit(at7).fingerprint)
        let shared = at6.result.report.findings.filter { f in at7.result.report.findings.contains { $0.fingerprint == f.fingerprint } }
        #expect(shared.count == at6.result.report.findings.count)
        host.files["base.json"] = Baseline.make(at6.result.report.findings)
        let use = try Invocation.baselineInUse("base.json", host: host)
        let gated = at7.gatedReport(commandLine: use)
        #expect(!gated.findings.contains { $0.ruleId == "JIT-101" })
        for f in shared { #expect(!gated.findings.contains { $0.fingerprint == f.fingerprint }, "\(f.ruleId) \(f.message)") }
        #expect(gated.dismissed.count == shared.count && gated.dismissed.allSatisfy { $0.kind == .external && $0.justification == "accepted by the baseline base.json" })
        #expect(gated.findings.count + gated.dismissed.count == at7.result.report.findings.count)

        // The same baseline in format 1 (fingerprints that hashed the message).
        let legacyEntries = at6.result.report.findings.map { f in
            #"{"fingerprint": "\#(at6.result.legacyFingerprints[f.fingerprint]!)", "ruleId": "\#(f.ruleId)", "path": "\#(f.location.path)", "message": "m"}"#
        }
        host.files["old.json"] = Data(#"{"format": "ghr-audit-baseline", "version": 1, "findings": [\#(legacyEntries.joined(separator: ","))]}"#.utf8)
        let old = try Invocation.baselineInUse("old.json", host: host)
        #expect(old.baseline.needsMigration)
        #expect(at6.gatedReport(commandLine: old).findings.isEmpty)
        let updated = try #require(at6.updatedBaselines(commandLine: old).first)
        #expect(updated.dropped == 0 && updated.use.hostPath == "old.json")
        // What `check` says and writes: a note without `--update-baseline`, the rewrite with it.
        #expect(at6.baselineUpkeep(commandLine: old, update: false)?.map(\.message)
            == ["ghr-audit: note: baseline old.json has format-1 fingerprints, which change with `--target`; `--update-baseline` rewrites it"])
        let upkeep = try #require(at6.baselineUpkeep(commandLine: old, update: true))
        #expect(upkeep.map(\.message) == ["ghr-audit: updated baseline old.json"])
        #expect(upkeep.first?.write?.path == "old.json" && upkeep.first?.write?.data == updated.data)
        #expect(at6.baselineUpkeep(commandLine: nil, update: true) == nil)
        #expect(at6.baselineUpkeep(commandLine: use, update: false)?.isEmpty == true)
        host.files["old.json"] = updated.data
        let migrated = try Invocation.baselineInUse("old.json", host: host)
        #expect(!migrated.baseline.needsMigration)
        // Once migrated, the target no longer matters.
        #expect(at7.gatedReport(commandLine: migrated).dismissed.count == shared.count)
    }

    // MARK: The config stays inside the repository

    @Test("a config path that leaves the scan root is a finding and is not read", arguments: [
        ("baseline: ../outside.json\n", "`baseline` entry `../outside.json` climbs above the scan root; it was not read"),
        ("baseline: ci/../../outside.json\n", "`baseline` entry `ci/../../outside.json` climbs above the scan root; it was not read"),
        ("baseline: /outside.json\n", "`baseline` entry `/outside.json` is an absolute path; it was not read"),
        ("baseline: ~/outside.json\n", "`baseline` entry `~/outside.json` is an absolute path; it was not read"),
        ("var_files: [../prod.tfvars]\n", "`var_files` entry `../prod.tfvars` climbs above the scan root; it was not read"),
    ])
    func escapingConfigPaths(_ config: String, _ message: String) throws {
        var host = MemoryHostFiles(["repo/main.tf": Self.main, "repo/.ghr-audit.yml": config, "prod.tfvars": "labels = \"x\"\n"])
        let plain = try Self.run(MemoryHostFiles(["repo/main.tf": Self.main]), AuditRequest(paths: ["repo"]))
        // Outside the root: a baseline accepting every finding (it must not be used).
        host.files["outside.json"] = Baseline.make(plain.result.report.findings)
        let run = try Self.run(host, AuditRequest(paths: ["repo"]))
        let escape = try #require(run.result.report.findings.first { $0.ruleId == "CORE-005" }, "\(run.result.report.findings.map(\.message))")
        #expect(escape.message == message)
        #expect(escape.severity == .error && escape.location.path == ".ghr-audit.yml" && escape.location.start.line == 1)
        #expect(run.configBaselines.isEmpty)
        #expect(run.newFindings(commandLine: nil).count == plain.result.report.findings.count + 1)
        #expect(ExitStatus.of(run.newFindings(commandLine: nil), failOn: nil, config: run.result.config) == .findings)
    }

    @Test("a config path through a symbolic link that leaves the root is refused; one inside is fine")
    func escapingThroughASymlink() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let repo = base.appendingPathComponent("repo"), outside = base.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("ci"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data(Self.main.utf8).write(to: repo.appendingPathComponent("main.tf"))
        // The links exist before the baseline is made: the walk reports the one leaving the root
        // (CORE-002, not followed), and that finding is baselined like the rest.
        try FileManager.default.createSymbolicLink(atPath: repo.appendingPathComponent("shared").path, withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: repo.appendingPathComponent("inside").path, withDestinationPath: repo.appendingPathComponent("ci").path)
        let knowledge = try KnowledgeBase.load()
        let plain = Auditor(knowledge: knowledge).audit(fileSystem: LocalFileSystem(root: repo), options: AuditOptions(target: .version(ModuleVersion(6, 0, 0))))
        try Baseline.make(plain.report.findings).write(to: outside.appendingPathComponent("all.json"))
        try Baseline.make(plain.report.findings).write(to: repo.appendingPathComponent("ci/all.json"))

        try Data("baseline: shared/all.json\n".utf8).write(to: repo.appendingPathComponent(".ghr-audit.yml"))
        let run = try Invocation.audit(AuditRequest(paths: [repo.path], target: .version(ModuleVersion(6, 0, 0))), knowledge: knowledge, host: LocalHostFiles())
        #expect(run.result.report.findings.contains {
            $0.ruleId == "CORE-005" && $0.message == "`baseline` entry `shared/all.json` goes through the symbolic link `shared`, which points outside the scan root; it was not read"
        }, "\(run.result.report.findings.map(\.message))")
        #expect(run.configBaselines.isEmpty && !run.newFindings(commandLine: nil).isEmpty)

        // A link that stays inside the root is followed like any in-root path.
        try Data("baseline: inside/all.json\n".utf8).write(to: repo.appendingPathComponent(".ghr-audit.yml"))
        let ok = try Invocation.audit(AuditRequest(paths: [repo.path], target: .version(ModuleVersion(6, 0, 0))), knowledge: knowledge, host: LocalHostFiles())
        #expect(ok.configBaselines.count == 1 && ok.newFindings(commandLine: nil).isEmpty, "\(ok.newFindings(commandLine: nil).map(\.message))")

        // The command line may point anywhere.
        let chosen = try Invocation.readBaseline(outside.appendingPathComponent("all.json").path, host: LocalHostFiles())
        #expect(run.newFindings(commandLine: chosen).map(\.ruleId) == ["CORE-005"])
    }

    // MARK: schema extract

    @Test("schema extract lists each scope's inputs, sorted, with parse problems located")
    func schemaExtract() {
        let fs = MemoryFileSystem([
            "variables.tf": "variable \"b\" {\n  type = string\n}\nvariable \"a\" {\n  type    = list(string)\n  default = [\"x\", \"y\\\\z\"]\n}\n",
            "modules/runners/variables.tf": "variable \"c\" {\n  default = {\n    k = 1\n  }\n}\nvariable \"broken\" {\n  type = \n}\n",
            "modules/other/variables.tf": "variable \"ignored\" {}\n",
        ])
        let (yaml, problems) = ModuleSchema.extract(fs, name: "mod")
        #expect(yaml == """
            # Inputs of mod, read by ghr-audit schema extract
            root:
              a:
                type: "list(string)"
                default: "[\\"x\\", \\"y\\\\\\\\z\\"]"
              b:
                type: "string"
                default: required
            runners:
              broken:
                type: ""
                default: required
              c:
                type: "any"
                default: "{ k = 1 }"

            """, "\(yaml)")
        #expect(problems == ["modules/runners/variables.tf:7:10: Missing expression"])
        // The command: read through the host, its failure after printing, a missing folder an error.
        let host = MemoryHostFiles(["mod/variables.tf": "variable \"a\" {}\n"])
        #expect((try? ModuleSchema.extract(directory: "mod", host: host))?.problems == [])
        #expect(ModuleSchema.failure([]) == nil && ModuleSchema.failure(problems) == EnvironmentError("1 parse problem(s) in the module's variables"))
        #expect(throws: EnvironmentError("`absent` is not a directory")) { _ = try ModuleSchema.extract(directory: "absent", host: host) }
    }
}
