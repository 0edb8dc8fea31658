import AuditCore
import Engine
import Foundation
import Knowledge
import Rules
import Testing
import TestSupport

/// Bounded work on any input (issue 21, section 2), end to end on a real file system. Time and
/// memory are asserted loosely: bounds many times the expected cost, so the tests are not flaky,
/// but far below what the unbounded behaviour took (minutes, gigabytes).
@Suite("Bounded work on hostile input")
struct BoundedWorkTests {
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    /// An ordinary runner module call, beside each input.
    static let runners = HostileTree.runners

    /// A scratch scan root (and a sibling folder outside it), removed afterwards.
    struct Tree {
        let base: URL
        var root: URL { base.appendingPathComponent("root") }
        var outside: URL { base.appendingPathComponent("outside") }

        init() throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-bounds-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        }

        func write(_ path: String, _ text: String, outside: Bool = false) throws {
            let url = (outside ? self.outside : root).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        func link(_ path: String, to destination: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: destination)
        }

        func remove() { try? FileManager.default.removeItem(at: base) }

        /// Audits the root, returning the result and the seconds it took.
        func audit(target: String = "4.1.0") throws -> (AuditResult, TimeInterval) {
            let start = Date()
            let result = Auditor(knowledge: BoundedWorkTests.knowledge).audit(
                fileSystem: LocalFileSystem(root: root), options: AuditOptions(target: try #require(TargetSelection(target))))
            return (result, Date().timeIntervalSince(start))
        }

        /// The peak memory (MB) of the same audit by the built binary, in a child process of its
        /// own: this process's peak is a high-water mark over every test that ran before (see
        /// `MeasuredChild`).
        func auditPeakMB(target: String = "4.1.0") throws -> Int {
            let binary = try #require(TestPaths.builtProduct("ghr-audit"), "the built ghr-audit is needed to measure an audit's memory")
            let run = try MeasuredChild.run(binary, ["check", root.path, "--target", target, "--format", "json", "--fail-on", "none"])
            #expect(run.status == 0, "ghr-audit check \(root.lastPathComponent) exited with \(run.status)")
            return run.peakMB
        }
    }


    static func lines(_ result: AuditResult, _ rule: String) -> [String] {
        result.report.findings.filter { $0.ruleId == rule }.map { "\($0.location.path):\($0.location.start.line): \($0.message)" }
    }

    /// A sparse 3 GB `.tf` is never read: its size is known from `stat`.
    @Test func sparseHugeFileIsReportedWithoutBeingRead() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", Self.runners + "locals {\n  big = file(\"huge.txt\")\n}\n")
        for name in ["sparse.tf", "huge.txt"] {
            let handle = try FileHandle(forWritingTo: { try Data().write(to: tree.root.appendingPathComponent(name)); return tree.root.appendingPathComponent(name) }())
            try handle.truncate(atOffset: 3 << 30)
            try handle.close()
        }
        let (result, seconds) = try tree.audit()
        #expect(seconds < 30)
        #expect(try tree.auditPeakMB() < 2_000)
        #expect(Self.lines(result, "CORE-002") == ["sparse.tf:1: file is larger than 64 MiB and was not read"])
        #expect(Self.lines(result, "CORE-007").first?.hasPrefix("main.tf:7:") == true, "\(result.report.findings.map(\.message))")
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }

    /// Links back to a parent folder (two of them, which used to hang the run) do not make the
    /// walk audit the tree again: every finding appears once.
    @Test func linksToParentFoldersDoNotReauditTheTree() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", Self.runners)
        try tree.write("modules/a/variables.tf", "variable \"x\" {}\n")
        try tree.link("modules/a/up", to: "..")
        try tree.link("modules/a/root", to: "../..")
        try tree.link("modules/loop", to: "loop")
        let (result, seconds) = try tree.audit()
        #expect(seconds < 30)
        #expect(result.report.filesScanned == 2)
        let keys = result.report.findings.map { "\($0.ruleId) \($0.location) \($0.message)" }
        #expect(Set(keys).count == keys.count, "duplicate findings: \(keys)")
        #expect(result.model.calls.count == 1)
    }

    /// A link out of the root is not followed, and says so once.
    @Test func linksOutOfTheRootAreReportedOnceAndNotFollowed() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", Self.runners)
        try tree.write("elsewhere/main.tf", Self.runners.replacingOccurrences(of: "\"runners\"", with: "\"outside\""), outside: true)
        try tree.link("shared", to: tree.outside.appendingPathComponent("elsewhere").path)
        try tree.link("modules/shared", to: "../shared")
        try tree.link("passwd.tf", to: "/etc/passwd")
        let (result, _) = try tree.audit()
        #expect(Self.lines(result, "CORE-002").sorted() == [
            "modules/shared:1: symbolic link points outside the scan root and was not followed",
            "passwd.tf:1: symbolic link points outside the scan root and was not followed",
            "shared:1: symbolic link points outside the scan root and was not followed",
        ])
        #expect(result.report.findings.filter { $0.ruleId == "CORE-002" }.allSatisfy { $0.severity == .warning })
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }

    @Test(arguments: [true, false])
    func yamlAliasBombIsRefusedThroughYamldecodeAndUnreadWhenNothingReachesIt(_ throughTerraform: Bool) throws {
        let tree = try Tree()
        defer { tree.remove() }
        var yaml = ["a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        for i in 1...9 { yaml.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        try tree.write("configs/linux.yaml", yaml.joined(separator: "\n") + "\n")
        try tree.write("main.tf", throughTerraform ? """
        module "runners" {
          source  = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version = "3.6.1"
          multi_runner_config = { linux = yamldecode(file("configs/linux.yaml")) }
        }
        """ : Self.runners)
        let (result, seconds) = try tree.audit()
        #expect(seconds < 30)
        #expect(try tree.auditPeakMB() < 2_000)
        if throughTerraform {
            #expect(Self.lines(result, "CORE-007") == ["configs/linux.yaml:6: YAML aliases expand too far"])
            #expect(result.model.calls.first?.fleets.first?.moduleInputs["multi_runner_config"]?.value["linux"]?.isUnknown == true)
        } else {
            // Nothing of the deployment reaches the file (issue 18 §1): it is counted, never parsed.
            #expect(Self.lines(result, "CORE-007") == [])
            #expect(result.report.filesNotReached == ["yaml": 1])
        }
    }

    @Test func stringDoubledThroughThirtyLocalsIsBounded() throws {
        let tree = try Tree()
        defer { tree.remove() }
        var locals = "locals {\n  s0 = \"x\"\n"
        for i in 1...30 { locals += "  s\(i) = \"${local.s\(i - 1)}${local.s\(i - 1)}\"\n" }
        try tree.write("main.tf", locals + "}\n" + Self.runners.replacingOccurrences(of: "enable_ephemeral_runners = true", with: "runner_extra_labels = [local.s30]"))
        let (result, seconds) = try tree.audit()
        #expect(seconds < 30)
        #expect(try tree.auditPeakMB() < 2_000)
        #expect(Self.lines(result, "CORE-007") == ["main.tf:26: Evaluation limit exceeded"])
        #expect(result.model.calls.first?.fleets.first?.inputs["runner_extra_labels"]?.value.containsUnknown == true)
    }

    /// `abspath()`, and `file`/`fileset`/`templatefile` on absolute paths inside the scan root,
    /// work as in Terraform (issue 12); an absolute path outside the root is a warning naming it.
    @Test func absolutePathsInsideTheRootAreRead() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("env/scripts/start.sh", "#!/bin/bash\necho hi\n")
        try tree.write("env/main.tf", """
        locals {
          dir = abspath(path.module)
        }
        module "runners" {
          source  = "github-aws-runners/github-runner/aws"
          version = "3.6.1"
          runner_extra_labels = [
            local.dir,
            file("${local.dir}/scripts/start.sh"),
            templatefile("${abspath("scripts")}/start.sh", {}),
            join(",", fileset("${local.dir}/scripts", "*.sh")),
            file("/etc/hostname"),
          ]
        }
        """)
        let (result, _) = try tree.audit()
        let root = LocalFileSystem(root: tree.root).root.path
        let labels = try #require(result.model.calls.first?.fleets.first?.inputs["runner_extra_labels"]?.value.listValue)
        #expect(labels.count == 5)
        #expect(labels.prefix(4).map(\.stringValue) == [root + "/env", "#!/bin/bash\necho hi\n", "#!/bin/bash\necho hi\n", "start.sh"])
        #expect(labels[4].isUnknown)
        #expect(Self.lines(result, "CORE-003") == ["env/main.tf:12: `file` reads `/etc/hostname`, outside the scan root"])
    }

    @Test(arguments: [
        ("block", (0..<300_000).map { "  - \"dir\($0)/**\"" }.joined(separator: "\n")),
        ("flow", "[" + Array(repeating: "a", count: 300_000).joined(separator: ",") + "]"),
    ])
    func configWithHundredsOfThousandsOfEntriesIsRejectedQuickly(_ style: String, _ entries: String) throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", Self.runners)
        try tree.write(".ghr-audit.yml", "target: 4.1.0\nexclude:\(style == "block" ? "\n" : " ")" + entries + "\n")
        let (result, seconds) = try tree.audit()
        #expect(seconds < 30)
        let problems = Self.lines(result, "CORE-005")
        #expect(problems.count == 1)
        #expect(problems.first.map { $0.contains("too many entries") || $0.contains("larger than 1024 KiB") } == true, "\(problems)")
        // The rest is still audited.
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }
}
