import AuditCore
import Engine
import Foundation
import Knowledge
import Rules
import Testing
import TestSupport

/// Hostile inputs (issue 15): each one, next to an ordinary runner module call, gets a located
/// finding or a clear error while the module call is still audited, on a real file system. Time is
/// bounded only loosely (a bound that catches hangs, far above the normal cost, which the
/// benchmark measures); what is asserted is what the audit says and that it finishes.
/// Symbolic links out of the root, YAML alias bombs, huge sparse files and evaluation bombs are in
/// `BoundedWorkTests`.
@Suite("Hostile inputs")
struct HostileInputTests {
    typealias Tree = BoundedWorkTests.Tree

    /// Generous: a run that takes longer is stuck, not slow.
    static let hangBound: TimeInterval = 120

    /// Findings of these rules, as `RULE severity path:line:col: message`.
    static func located(_ result: AuditResult, _ rules: Set<String> = ["CORE-001", "CORE-002", "CORE-007"], under prefix: String = "") -> [String] {
        result.report.findings.filter { rules.contains($0.ruleId) && $0.location.path.hasPrefix(prefix) }.map {
            "\($0.ruleId) \($0.severity.rawValue) \($0.location.path):\($0.location.start.line):\($0.location.start.column): \($0.message)"
        }
    }

    /// One hostile input (`HostileTree.inputs`) and the findings it must get.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var files: [String: Data]
        var expected: [String]?
        var testDescription: String { name }
    }

    /// What each input of `HostileTree.inputs` gets, by its name.
    static let expected: [String: [String]] = [
        "random bytes named .tf": ["CORE-002 error random.tf:1:6: file is not valid UTF-8"],
        "invalid UTF-8": ["CORE-002 error latin1.tf:2:14: file is not valid UTF-8"],
        "BOM and CRLF": [],
        "20,000-deep brackets": ["CORE-001 error deep-brackets.tf:2:262: Nesting too deep"],
        "20,000-deep blocks": ["CORE-001 error deep-blocks.tf:257:1: Nesting too deep"],
        "20,000-deep parentheses": ["CORE-001 error deep-parens.tf:2:262: Nesting too deep"],
        "20,000-deep JSON": ["CORE-001 error deep/policy.json:1:257: JSON nested too deeply"],
        "20,000-deep YAML": ["CORE-001 error deep/config.yaml:1:255: YAML nested too deeply"],
        // The scanner stops at its depth limit; the substitutions it had opened stay open.
        "20,000-deep shell substitutions": (0..<40).map { "CORE-001 warning deep/start.sh:2:\(6 + 2 * $0): unterminated `$(`" }
            + ["CORE-001 warning deep/start.sh:2:86: nesting too deep"],
        "unterminated heredoc": ["CORE-001 error heredoc.tf:1:8: Unclosed block", "CORE-001 error heredoc.tf:2:7: Unclosed heredoc"],
        "unterminated string": ["CORE-001 error string.tf:2:7: Unclosed string"],
        "broken YAML": ["CORE-001 error runners/linux.yaml:2:2: Invalid YAML: did not find expected ',' or ']'"],
        "truncated JSON": ["CORE-001 error policy.json:1:1: Unclosed object", "CORE-001 error policy.json:1:40: Unclosed array",
                           "CORE-001 error policy.json:1:41: Unclosed object", "CORE-001 error policy.json:1:71: Unclosed array",
                           "CORE-001 error policy.json:1:72: Unterminated string"],
        // Bash runs the rest of the file as the document's text: the audit says its reading stops there.
        "unterminated shell heredoc": ["CORE-001 warning start.sh:2:5: here-document `EOF` is not terminated"],
        "unterminated PowerShell here-string": ["CORE-001 warning start.ps1:1:6: unterminated here-string"],
    ]

    static let cases: [Case] = HostileTree.inputs.map { Case(name: $0.name, files: $0.files, expected: expected[$0.name]) }

    @Test func everyInputHasItsExpectedFindings() {
        #expect(Set(Self.expected.keys) == Set(HostileTree.inputs.map(\.name)))
    }

    static func main(reaching paths: [String]) -> String { HostileTree.main(reaching: paths) }

    @Test(arguments: cases)
    func hostileFileGetsALocatedFindingAndTheRestIsAudited(_ hostile: Case) throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", Self.main(reaching: Array(hostile.files.keys)))
        for (path, data) in hostile.files {
            let url = tree.root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        let (result, seconds) = try tree.audit()
        #expect(seconds < Self.hangBound)
        #expect(try tree.auditPeakMB() < 2_000)
        let expected = try #require(hostile.expected, "no expected findings for \(hostile.name)")
        #expect(Self.located(result).sorted() == expected.sorted())
        #expect(result.model.calls.contains { $0.address == "module.runners" && $0.fleets.count == 1 })
    }

    /// A UTF-8 BOM and CRLF line ends parse as if they were not there: no finding, lines counted
    /// right, no `\r` in values.
    @Test func bomAndCRLFParseCleanly() throws {
        let tree = try Tree()
        defer { tree.remove() }
        let bom = try #require(Self.cases.first { $0.name == "BOM and CRLF" })
        for (path, data) in bom.files {
            try FileManager.default.createDirectory(at: tree.root.appendingPathComponent(path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: tree.root.appendingPathComponent(path))
        }
        let (result, _) = try tree.audit()
        #expect(Self.located(result, ["CORE-001", "CORE-002", "CORE-003"]).isEmpty)
        let call = try #require(result.model.calls.first { $0.address == "module.bom" })
        #expect(call.version == ModuleVersion(3, 6, 1))
        #expect(call.sourceRange.start.line == 2 && call.sourceRange.start.column == 13)
        let labels = try #require(call.fleets.first?.inputs["runner_extra_labels"])
        #expect(labels.value.stringValue == "a,b")
        #expect(labels.range.start.line == 4)
    }

    /// Links that loop or lead nowhere, and a FIFO named like configuration: never followed or
    /// opened (a FIFO would block the reader), each said once as a warning.
    @Test func linkLoopsDanglingLinksAndFIFOsAreReported() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", BoundedWorkTests.runners)
        try tree.link("loop.tf", to: "loop.tf")
        try tree.link("modules/a", to: "b")
        try tree.link("modules/b", to: "a")
        try tree.link("gone.tf", to: "missing.tf")
        #expect(mkfifo(tree.root.appendingPathComponent("fifo.tf").path, 0o644) == 0)
        #expect(mkfifo(tree.root.appendingPathComponent("notes.fifo").path, 0o644) == 0)
        let (result, seconds) = try tree.audit()
        #expect(seconds < Self.hangBound)
        #expect(Self.located(result).sorted() == [
            "CORE-002 warning fifo.tf:1:1: not a regular file (a FIFO, socket or device) and was not read",
            "CORE-002 warning gone.tf:1:1: symbolic link points to a file that does not exist",
            "CORE-002 warning loop.tf:1:1: symbolic link loops back on itself and was not followed",
            "CORE-002 warning modules/a:1:1: symbolic link loops back on itself and was not followed",
            "CORE-002 warning modules/b:1:1: symbolic link loops back on itself and was not followed",
        ])
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }

    /// Names that are not valid UTF-8: a file the audit would read and a folder are each a located
    /// finding naming the problem; a file no audit reads (an image) is passed over as any other.
    @Test func namesThatAreNotUTF8AreReported() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", BoundedWorkTests.runners)
        let root = tree.root.path
        for name in [[0xFF] + Array("bad.tf".utf8), [0xFF] + Array("pic.png".utf8)] {
            let path = Array(root.utf8) + [UInt8(ascii: "/")] + name + [0]
            let fd = path.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
            #expect(fd >= 0)
            close(fd)
        }
        let folder = Array(root.utf8) + [UInt8(ascii: "/"), 0xFE] + Array("dir.d".utf8) + [0]
        #expect(folder.withUnsafeBufferPointer { mkdir(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 0o755) } == 0)
        let (result, _) = try tree.audit()
        let why = "the name is not valid UTF-8 (shown here with its invalid bytes replaced); it is not audited. Rename it"
        #expect(Self.located(result).sorted() == ["CORE-002 error \u{FFFD}bad.tf:1:1: \(why)", "CORE-002 error \u{FFFD}dir.d:1:1: \(why)"])
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }

    /// A file deleted between the walk and the read (a checkout changing under the run).
    @Test func fileThatDisappearsDuringTheRunIsReported() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", BoundedWorkTests.runners)
        try tree.write("env/vanishing.tf", "locals {\n  x = 1\n}\n")
        let fileSystem = DeletingAfterListing(base: LocalFileSystem(root: tree.root), directory: "env",
                                              victim: tree.root.appendingPathComponent("env/vanishing.tf"))
        let result = Auditor(knowledge: BoundedWorkTests.knowledge).audit(
            fileSystem: fileSystem, options: AuditOptions(target: try #require(TargetSelection("4.1.0"))))
        #expect(!FileManager.default.fileExists(atPath: tree.root.appendingPathComponent("env/vanishing.tf").path))
        #expect(Self.located(result) == ["CORE-002 error env/vanishing.tf:1:1: file could not be read"])
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }

    /// The real file system, except that listing `directory` deletes `victim` from the disk right
    /// after it was listed: the walk has seen the file, the read will not find it.
    struct DeletingAfterListing: FileSystem {
        let base: LocalFileSystem
        let directory: String
        let victim: URL
        func read(_ path: String) -> Data? { base.read(path) }
        func size(_ path: String) -> Int? { base.size(path) }
        func identity(_ path: String) -> FileIdentity? { base.identity(path) }
        var absoluteRoot: String? { base.absoluteRoot }
        func list(_ path: String) -> [DirectoryEntry]? {
            let entries = base.list(path)
            if path == directory { try? FileManager.default.removeItem(at: victim) }
            return entries
        }
    }

    /// A file the process may not read. Root reads every file whatever its mode, so as root the
    /// built `ghr-audit` runs as `nobody` (`setpriv`); otherwise the audit runs here.
    @Test func unreadableFileIsReported() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", BoundedWorkTests.runners)
        try tree.write("secret.tf", "locals {\n  x = 1\n}\n")
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: tree.root.appendingPathComponent("secret.tf").path)
        guard geteuid() == 0 else {
            let (result, _) = try tree.audit()
            #expect(Self.located(result) == ["CORE-002 error secret.tf:1:1: file could not be read"])
            #expect(result.model.calls.map(\.address) == ["module.runners"])
            return
        }
        let binary = try #require(Self.binary, "the built ghr-audit is needed to run the audit as another user")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            print("skipped: running as root without setpriv, so no file is unreadable to this process")
            return
        }
        // `nobody` must reach the tree: the temporary folders are world-readable.
        for dir in [tree.base, tree.root] { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                             binary.path, "check", tree.root.path, "--target", "4.1.0", "--format", "json", "--fail-on", "none"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let findings = (report["findings"] as? [[String: Any]] ?? []).compactMap { f -> String? in
            guard let rule = f["ruleId"] as? String, rule.hasPrefix("CORE-00"), let location = f["location"] as? [String: Any] else { return nil }
            return "\(rule) \(location["path"] ?? ""):\(location["startLine"] ?? 0): \(f["message"] ?? "")"
        }
        #expect(findings == ["CORE-002 secret.tf:1: file could not be read"])
        let modules = (report["modules"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(modules == ["main.tf:module.runners"])
    }

    /// A 25 MB configuration (generated Terraform is that large) is read and parsed, not refused.
    /// It runs in a child process, so its memory is measured alone (and this process's stays
    /// small).
    @Test func twentyFiveMegabyteFileIsParsed() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", BoundedWorkTests.runners)
        let size = try HostileTree.writeLarge(to: tree.root.appendingPathComponent("generated.tf"), bytes: 25_000_000)
        let binary = try #require(Self.binary, "the built ghr-audit is needed")
        let run = try MeasuredChild.run(binary, ["check", tree.root.path, "--target", "4.1.0", "--format", "json", "--fail-on", "none"])
        let (data, seconds) = (run.stdout, run.seconds)
        print("\(size / 1_000_000) MB file: audited in \(String(format: "%.1f", seconds)) s, peak RSS of the audit \(run.peakMB) MB")
        #expect(run.status == 0)
        #expect(seconds < Self.hangBound)
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(summary["byKind"] as? [String: Int] == ["terraform": 2])
        let core = (report["findings"] as? [[String: Any]] ?? []).filter { ($0["ruleId"] as? String)?.hasPrefix("CORE-") == true }
        #expect(core.isEmpty, "\(core)")
    }

    /// Thousands of findings on the one line of a minified `.tf.json`: each finding's
    /// fingerprint read the line, and positions on it were counted from the line start, so the
    /// cost was the findings times the line (6,000 findings on a 400 KB line: 48 s and 2.4 GB in a
    /// release build). Every finding is still there, each with a fingerprint of its own, and the
    /// audit's memory stays near the input's.
    @Test func findingsOnOneLongLineStayBounded() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf.json", HostileTree.minifiedCalls(1_000))
        let (result, seconds) = try tree.audit(target: "5.0.0")
        let peak = try tree.auditPeakMB(target: "5.0.0")
        print("3,000 findings on a \(HostileTree.minifiedCalls(1_000).utf8.count / 1_000) KB line: audited in \(String(format: "%.1f", seconds)) s, peak RSS of the audit alone \(peak) MB")
        #expect(seconds < Self.hangBound)
        let removed = result.report.findings.filter { $0.location.path == "main.tf.json" && $0.location.start.line == 1 && $0.message.contains("removed") }
        #expect(removed.count == 3_000)
        #expect(Set(result.report.findings.map(\.fingerprint)).count == result.report.findings.count)
        // Two copies of the line per finding were 600 MB; the audit of the file alone takes
        // well under a fifth of that.
        #expect(peak < 400)
    }

    /// The `ghr-audit` the build made, next to the test bundle or in `.build/debug`.
    static var binary: URL? { TestPaths.builtProduct("ghr-audit") }

    /// 100,000 small files in one folder, each declaring a local: one module of 100,000 files.
    /// (Ordering the locals was quadratic: seven minutes for this folder.)
    @Test func hundredThousandSmallFilesInOneFolder() throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write("main.tf", BoundedWorkTests.runners)
        try HostileTree.writeManyFiles(in: tree.root.appendingPathComponent("many"))
        let (result, seconds) = try tree.audit()
        print("100,000 small files: audited in \(String(format: "%.1f", seconds)) s")
        #expect(seconds < Self.hangBound)
        #expect(result.report.filesScanned == 100_001)
        #expect(Self.located(result).isEmpty)
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }

    /// A folder chain deeper than the system's path limit (`PATH_MAX`): the walk goes
    /// `Limits.maxDirectoryDepth` levels down, names the folder where it stops, and audits the rest.
    /// (It used to go on until paths grew too long, silently, in time growing with the cube of the
    /// depth: 45 s for this chain in a debug build.)
    @Test func directoryTreeDeeperThanThePathLimit() throws {
        let tree = try Tree()
        defer { Self.removeDeepTree(tree) }
        try tree.write("main.tf", BoundedWorkTests.runners)
        try tree.write("shallow/d/leaf.tf", "locals {\n  x = 1\n}\n")
        let depth = 2_500
        try HostileTree.writeDeepTree(in: tree.root.appendingPathComponent("deep"), levels: depth)
        let (result, seconds) = try tree.audit()
        print("\(depth)-level folder chain: audited in \(String(format: "%.1f", seconds)) s")
        #expect(seconds < Self.hangBound)
        #expect(Self.located(result) == [
            "CORE-002 error deep\(String(repeating: "/d", count: Limits.maxDirectoryDepth)):1:1: folders nest more than 256 levels deep here; the walk did not enter this one and nothing below it is audited",
        ])
        // Every `leaf.tf` above the limit was read, and the two others.
        #expect(result.report.filesScanned == Limits.maxDirectoryDepth + 2)
        #expect(result.model.calls.map(\.address) == ["module.runners"])
    }

    /// `rm -rf`, which removes folder chains deeper than `PATH_MAX` (Foundation's removal does not).
    static func removeDeepTree(_ tree: Tree) {
        let rm = Process()
        rm.executableURL = URL(fileURLWithPath: "/bin/rm")
        rm.arguments = ["-rf", tree.base.path]
        try? rm.run()
        rm.waitUntilExit()
    }

    /// The whole hostile tree in one scan root: every file above, the link loops and the FIFO, the
    /// 100,000-file folder, the deep folder chain, a YAML alias bomb and a link out of the root.
    /// Every finding each of them gets alone is there, and the two module calls are audited.
    @Test func wholeHostileTreeIsAudited() throws {
        let tree = try Tree()
        defer { Self.removeDeepTree(tree) }
        try HostileTree.writeWhole(root: tree.root, outside: tree.outside)

        let (result, seconds) = try tree.audit()
        let peak = try tree.auditPeakMB()
        print("whole hostile tree: audited in \(String(format: "%.1f", seconds)) s, peak RSS of the audit alone \(peak) MB")
        #expect(seconds < Self.hangBound)
        #expect(peak < 2_000)
        let found = Set(Self.located(result))
        let expected = Self.cases.flatMap { $0.expected ?? [] } + [
            "CORE-002 warning loop.tf:1:1: symbolic link loops back on itself and was not followed",
            "CORE-002 warning fifo.tf:1:1: not a regular file (a FIFO, socket or device) and was not read",
            "CORE-002 warning shared:1:1: symbolic link points outside the scan root and was not followed",
        ]
        #expect(Set(expected).subtracting(found).isEmpty, "missing: \(Set(expected).subtracting(found).sorted())")
        #expect(found.contains { $0.hasPrefix("CORE-002 error chain/d/d/") && $0.hasSuffix("nothing below it is audited") })
        #expect(found.contains { $0.hasPrefix("CORE-007 ") && $0.contains(" bomb/laughs.yaml:6:") && $0.hasSuffix("YAML aliases expand too far") }, "\(found.filter { $0.contains("bomb") })")
        #expect(result.report.filesScanned > 100_000)
        #expect(result.model.calls.map(\.address).sorted() == ["module.bom", "module.runners"])
    }
}
