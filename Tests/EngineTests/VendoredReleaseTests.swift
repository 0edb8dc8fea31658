import AuditCore
import DevTools
import Engine
import Foundation
import Knowledge
import Rules
import Terraform
import Testing
import TestSupport

/// A vendored copy of the module without CHANGELOG or submodule commit is named by its own files:
/// the start-script templates narrow the releases by fingerprint, the inputs pick among them. The
/// copies are built from the module's mirror at a tag in a temporary directory (never stored here).
@Suite("Vendored copies named by their start scripts", .enabled(if: TestPaths.mirrorPath != nil, "needs the module's git mirror (set GHR_AUDIT_MIRROR); skipped"))
struct VendoredReleaseTests {
    /// Writes the module's variables files (root, multi-runner, runners) of `inputsTag` and the
    /// start-script templates of `templatesTag` under `root/vendor/ghr`, and a root calling the copy.
    static func layout(templates templatesTag: String, inputs inputsTag: String, in root: URL, editing: String? = nil) throws {
        let mirror = try GitMirror(path: try #require(TestPaths.mirrorPath))
        let copy = root.appendingPathComponent("vendor/ghr")
        func write(_ path: String, _ text: String) throws {
            let url = copy.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        for dir in ["", "modules/multi-runner", "modules/runners"] {
            for path in try mirror.list(tag: inputsTag, under: dir) {
                let name = (path as NSString).lastPathComponent
                guard name.hasPrefix("variables") && name.hasSuffix(".tf"), (path as NSString).deletingLastPathComponent == (dir.isEmpty ? "" : dir) else { continue }
                try write(path, try #require(try mirror.show(inputsTag, path)))
            }
        }
        for path in try mirror.list(tag: templatesTag, under: "modules/runners/templates") where path.hasSuffix(".sh") || path.hasSuffix(".ps1") {
            var text = try #require(try mirror.show(templatesTag, path))
            if let editing, path.hasSuffix("/" + editing) { text += "\necho 'our own line'\n" }
            try write(path, text)
        }
        try Data("""
        module "runners" {
          source     = "./vendor/ghr"
          aws_region = "eu-west-1"
        }

        """.utf8).write(to: root.appendingPathComponent("main.tf"))
    }

    static func runnerCall(templates: String, inputs: String, editing: String? = nil) throws -> RunnerModuleCall {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-vendored-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try layout(templates: templates, inputs: inputs, in: root, editing: editing)
        let result = Auditor(knowledge: try KnowledgeBase.load()).audit(
            fileSystem: LocalFileSystem(root: root), options: AuditOptions(target: try #require(TargetSelection("pinned"))))
        return try #require(result.model.calls.first { $0.call.file == "main.tf" && $0.vendoredRoot == "vendor/ghr" },
                            "\(result.model.calls.map { "\($0.call.file) \($0.address) \($0.vendoredRoot ?? "-")" })")
    }

    /// The releases `how` names: `match release X`, `match releases X…Y`, `nearest release(s) …`.
    static func namedRange(_ how: String) -> ClosedRange<ModuleVersion>? {
        for marker in ["releases ", "release "] {
            guard let r = how.range(of: marker) else { continue }
            let tail = how[r.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "…" }
            let parts = tail.split(separator: "…").compactMap { ModuleVersion(String($0)) }
            if parts.count == 2 { return parts[0]...parts[1] }
            if parts.count == 1 { return parts[0]...parts[0] }
        }
        return nil
    }

    /// Unedited copies: the start scripts and the inputs agree, and the release named (or the run
    /// of releases that neither tells apart) holds the tag.
    @Test(arguments: ["v3.6.1", "v5.2.0", "v7.11.0"])
    func anUneditedCopyIsNamedByItsStartScriptsAndInputs(_ tag: String) throws {
        let kb = try KnowledgeBase.load()
        let release = ModuleVersion(String(tag.dropFirst()))!
        let call = try Self.runnerCall(templates: tag, inputs: tag)
        let how = call.evidence.how
        #expect(how.contains("its start scripts (") && how.contains("`start-runner.sh`") && how.contains("and its inputs match release"), "\(how)")
        let range = try #require(Self.namedRange(how), "\(how)")
        #expect(range.contains(release), "\(tag): \(how)")
        let assumed = try #require(call.version)
        #expect(assumed == range.lowerBound && assumed <= release, "\(tag): \(how)")
        // The assumed release ships this tag's start script unchanged.
        let mirror = try GitMirror(path: try #require(TestPaths.mirrorPath))
        let script = try #require(try mirror.show(tag, "modules/runners/templates/start-runner.sh"))
        #expect(kb.fingerprint(ofScript: script)?.releases.contains(assumed) == true, "\(tag): \(assumed)")
    }

    /// Start scripts of one release with the inputs of another: the scripts narrow the candidates
    /// to the releases shipping them, and the inputs choose among those, so the release named is
    /// one of the scripts' even where the inputs alone cannot tell it. v4.0.2's start script ships in
    /// 4.0.2 only; the inputs are 4.1.0's, the same as in several releases around it.
    @Test func theStartScriptsNarrowTheReleasesTheInputsChooseFrom() throws {
        let kb = try KnowledgeBase.load()
        let mirror = try GitMirror(path: try #require(TestPaths.mirrorPath))
        let script = try #require(try mirror.show("v4.0.2", "modules/runners/templates/start-runner.sh"))
        #expect(kb.fingerprint(ofScript: script)?.releases == [ModuleVersion(4, 0, 2)])
        // The inputs alone cannot tell 4.0.2 from its neighbours: they are the same in several releases.
        let scopes: [InputScope] = [.root, .multiRunner, .runners]
        let same = kb.releases.map(\.version).filter { v in scopes.allSatisfy { kb.inputs(scope: $0, at: v) == kb.inputs(scope: $0, at: ModuleVersion(4, 1, 0)) } }
        #expect(same.count > 1 && same.contains(ModuleVersion(4, 0, 2)), "\(same)")
        let call = try Self.runnerCall(templates: "v4.0.2", inputs: "v4.1.0")
        let how = call.evidence.how
        #expect(call.version == ModuleVersion(4, 0, 2), "\(how)")
        #expect(how.contains("`start-runner.sh`") && how.contains("and its inputs match release 4.0.2; 4.0.2 is assumed"), "\(how)")
    }

    /// Scripts and inputs far apart (v5.2.0 scripts, v7.11.0 inputs): no release is assumed, and
    /// the nearest named is one shipping the scripts, not 7.11.0.
    @Test func scriptsAndInputsFarApartAssumeNoRelease() throws {
        let kb = try KnowledgeBase.load()
        let mirror = try GitMirror(path: try #require(TestPaths.mirrorPath))
        let call = try Self.runnerCall(templates: "v5.2.0", inputs: "v7.11.0")
        let how = call.evidence.how
        #expect(call.version == nil, "\(how)")
        let script = try #require(try mirror.show("v5.2.0", "modules/runners/templates/start-runner.sh"))
        let shipped = try #require(kb.fingerprint(ofScript: script)?.releases)
        let nearest = try #require(how.range(of: "the nearest, ").map { how[$0.upperBound...].prefix { $0.isNumber || $0 == "." } }, "\(how)")
        #expect(shipped.contains(try #require(ModuleVersion(String(nearest)))), "\(how)")
    }

    /// An edited start script is named as edited and not compared; the other scripts still narrow.
    @Test func anEditedStartScriptIsNotCompared() throws {
        let call = try Self.runnerCall(templates: "v5.2.0", inputs: "v5.2.0", editing: "start-runner.sh")
        let how = call.evidence.how
        #expect(how.contains("(edited, not compared: `start-runner.sh`)"), "\(how)")
        #expect(!how.contains("its start scripts (`start-runner.sh`"), "\(how)")
        let range = try #require(Self.namedRange(how), "\(how)")
        #expect(range.contains(ModuleVersion(5, 2, 0)), "\(how)")
    }
}
