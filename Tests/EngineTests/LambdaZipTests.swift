import AuditCore
import DevTools
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Testing
import TestSupport

/// The ZIP central-directory reader on archives of our own and hostile ones.
@Suite("ZIP central directory")
struct ZipDirectoryTests {
    @Test func crc32OfTheCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func readsNamesSizesAndCRCs() throws {
        var zip = ZipBuilder()
        zip.add("index.js", "export const handler = () => 42;\n")
        zip.add("package.json", "{\"name\":\"ours\"}\n")
        let directory = try ZipDirectory.read(zip.build(comment: "built for a test")).get()
        #expect(directory.entries.map(\.name) == ["index.js", "package.json"])
        #expect(directory.entries[0].uncompressedSize == 33)
        #expect(directory.entries[1].crc32 == CRC32.checksum(Array("{\"name\":\"ours\"}\n".utf8)))
        #expect(directory.comment == "built for a test")
    }

    /// Archives written by Info-ZIP `zip -X` (the fixture's, made from files of our own).
    @Test func readsArchivesOfTheZipTool() throws {
        let lambdas = TestPaths.packageRoot.appendingPathComponent("fixtures/committed-lambda-zips/repo/lambdas")
        let runners = try ZipDirectory.read(Data(contentsOf: lambdas.appendingPathComponent("runners.zip"))).get()
        #expect(runners.entries.map(\.name) == ["index.js", "package.json"])
        #expect(runners.entries.allSatisfy { $0.uncompressedSize > 0 && $0.crc32 != 0 })
        let webhook = try ZipDirectory.read(Data(contentsOf: lambdas.appendingPathComponent("webhook.zip"))).get()
        #expect(webhook.entries.map(\.name) == ["index.js"])
        #expect(throws: ZipDirectory.Problem.self) { try ZipDirectory.read(Data(contentsOf: lambdas.appendingPathComponent("runner-binaries-syncer.zip"))).get() }
    }

    /// Every prefix of an archive is refused with a reason, none crashes.
    @Test func everyTruncationIsAProblem() {
        var zip = ZipBuilder()
        zip.add("index.js", "export const handler = () => 42;\n")
        zip.add("package.json", "{}\n")
        let data = zip.build()
        for n in 0..<data.count {
            guard case .failure = ZipDirectory.read(data.prefix(n)) else {
                Issue.record("a zip cut to \(n) of \(data.count) bytes was read")
                continue
            }
        }
        // Cut in the middle, with the end record kept: the directory points outside the file.
        var cut = data.prefix(20)
        cut.append(data.suffix(22))
        guard case .failure(.truncated) = ZipDirectory.read(cut) else { Issue.record("a zip missing its middle was read"); return }
    }

    @Test func bombShapedDirectoriesAreRefusedWithoutDecompressing() {
        // One entry of 1 KB declaring almost 4 GB.
        var one = ZipBuilder()
        one.add("index.js", data: Data(repeating: 0x41, count: 1_024), size: 0xFFFF_FFFE)
        guard case .failure(.bombShaped(let n, let bytes, _)) = ZipDirectory.read(one.build()) else { Issue.record("a 4 GB entry was accepted"); return }
        #expect(n == 1 && bytes == 0xFFFF_FFFE)
        // Many entries, each plausible, that together expand beyond the bound (overlapping-file bombs).
        var many = ZipBuilder()
        for i in 0..<300 { many.add("f\(i).js", data: Data(repeating: 0x41, count: 8), size: 1 << 20) }
        guard case .failure(.bombShaped) = ZipDirectory.read(many.build()) else { Issue.record("300 MB declared was accepted"); return }
        // A directory declaring 65534 entries is refused before any is read.
        var few = ZipBuilder()
        few.add("index.js", "x")
        #expect(ZipDirectory.read(few.build(entryCount: 65_534)) == .failure(.tooManyEntries(65_534)))
        // ZIP64 markers.
        var big = ZipBuilder()
        big.add("index.js", data: Data("x".utf8), size: 0xFFFF_FFFF)
        #expect(ZipDirectory.read(big.build()) == .failure(.zip64))
    }

    @Test func lfsPointersAndOtherFilesAreNamed() {
        let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 748407\n"
        #expect(ZipDirectory.read(Data(pointer.utf8)) == .failure(.lfsPointer))
        #expect(ZipDirectory.read(Data("PK".utf8)) == .failure(.notAZip))
        #expect(ZipDirectory.read(Data(repeating: 0, count: 100_000)) == .failure(.notAZip))
    }

    @Test func aHugeCommentDoesNotHideTheRecordAndBoundsTheSearch() throws {
        var zip = ZipBuilder()
        zip.add("index.js", "x")
        let withComment = zip.build(comment: String(repeating: "c", count: 65_535))
        #expect(try ZipDirectory.read(withComment).get().entries.count == 1)
        // Garbage after the comment's end: the record no longer ends the file.
        var trailing = withComment
        trailing.append(Data(repeating: 0x20, count: 10))
        #expect(ZipDirectory.read(trailing) == .failure(.notAZip))
    }
}

/// JIT-109 on lambda zips committed to the scanned repository.
@Suite("Committed lambda zips")
struct LambdaZipTests {
    static func main(version: String, zips: [String: String], extra: String = "lambda_event_source_mapping_batch_size = 1") -> Data {
        let inputs = zips.sorted { $0.key < $1.key }.map { "  \($0.key) = \"\($0.value)\"" }.joined(separator: "\n")
        return Data("""
        module "runners" {
          source  = "github-aws-runners/github-runner/aws"
          version = "\(version)"
        \(inputs)
          \(extra)
        }

        """.utf8)
    }

    static func findings(_ files: [String: Data], target: String) throws -> [Finding] {
        try audit(MemoryFileSystem(data: files), target: target).report.findings.filter { $0.ruleId == "JIT-109" }
    }

    /// A zip of our own whose directory declares the `package.json` the module zips at the run
    /// covering `release` (its size and CRC-32 from the knowledge base; the bytes are ours).
    static func releaseShaped(asset: String, release: String) throws -> Data {
        let kb = try KnowledgeBase.load()
        let run = try #require(kb.lambdaPackages(asset: asset).first { $0.exists(at: ModuleVersion(release)!) && $0.packageJSON != nil })
        let sum = try #require(run.packageJSON)
        var zip = ZipBuilder()
        zip.add("index.js", "export const handler = async () => undefined;\n")
        zip.add("package.json", data: Data(repeating: 0x20, count: 16), crc: sum.crc32, size: UInt32(sum.size))
        return zip.build()
    }

    static func bundleOnly() -> Data {
        var zip = ZipBuilder()
        zip.add("index.js", "export const handler = async () => undefined;\n")
        return zip.build()
    }

    @Test func aZipInLockstepIsSilentAtItsReleaseAndAnUpgradeStepAtATarget() throws {
        let files = ["main.tf": Self.main(version: "7.6.0", zips: ["runners_lambda_zip": "lambdas/runners.zip"]),
                     "lambdas/runners.zip": try Self.releaseShaped(asset: "runners", release: "7.6.0")]
        #expect(try Self.findings(files, target: "pinned").isEmpty)
        let found = try Self.findings(files, target: "7.11.0")
        #expect(found.count == 1, "\(found.map(\.message))")
        let note = try #require(found.first)
        #expect(note.severity == .note)
        #expect(note.message.hasPrefix(LambdaVersionRule.lockstepMessagePrefix))
        #expect(note.message.contains("the built `runners` artefact of release 7.6.0"), "\(note.message)")
        #expect(note.location.path == "main.tf" && note.location.start.line == 4)
        #expect(note.fix?.description.contains("v7.11.0") == true)
    }

    @Test func aZipOfAnotherReleaseIsDriftErrorAcrossAContractChange() throws {
        // A 7.x runners zip with a 6.10.1 module: batched scale-up (7.0.0) lies between.
        let files = ["main.tf": Self.main(version: "6.10.1", zips: ["runners_lambda_zip": "lambdas/runners.zip"], extra: ""),
                     "lambdas/runners.zip": try Self.releaseShaped(asset: "runners", release: "7.2.0")]
        let found = try Self.findings(files, target: "pinned")
        #expect(found.count == 1, "\(found.map(\.message))")
        #expect(found.first?.severity == .error)
        #expect(found.first?.message == "`runners_lambda_zip` (`lambdas/runners.zip`) is the built `runners` artefact of release 7.2.0, but module `module.runners` runs release 6.10.1")
        #expect(found.first?.detail?.contains("7.0.0") == true)
    }

    @Test func aZipOfAnotherLambdaIsAnError() throws {
        let files = ["main.tf": Self.main(version: "7.6.0", zips: ["webhook_lambda_zip": "lambdas/webhook.zip"]),
                     "lambdas/webhook.zip": try Self.releaseShaped(asset: "runners", release: "7.6.0")]
        let found = try Self.findings(files, target: "pinned")
        #expect(found.count == 1)
        #expect(found.first?.severity == .error)
        #expect(found.first?.message.contains("is the `runners` lambda of release 7.6.0") == true, "\(found.map(\.message))")
    }

    @Test func aBundleAloneCannotBeDatedAndIsOlderThanAModuleThatZipsPackageJSON() throws {
        // Before 6.4.0 the release assets hold index.js alone: with a 5.10.0 module, a note.
        let old = try Self.findings(["main.tf": Self.main(version: "5.10.0", zips: ["runners_lambda_zip": "lambdas/runners.zip"], extra: ""),
                                     "lambdas/runners.zip": Self.bundleOnly()], target: "pinned")
        #expect(old.count == 1 && old.first?.severity == .note, "\(old.map(\.message))")
        #expect(old.first?.message.contains("whose release cannot be told from its files") == true)
        #expect(old.first?.fix?.description.contains("v5.10.0") == true)
        // With a 7.6.0 module the zip predates 6.4.0: across the 7.0.0 scale-up change, an error.
        let new = try Self.findings(["main.tf": Self.main(version: "7.6.0", zips: ["runners_lambda_zip": "lambdas/runners.zip"]),
                                     "lambdas/runners.zip": Self.bundleOnly()], target: "pinned")
        #expect(new.count == 1 && new.first?.severity == .error, "\(new.map(\.message))")
        #expect(new.first?.detail?.contains("from 6.4.0 on") == true, "\(new.first?.detail ?? "")")
    }

    @Test func aPackageOfNoReleaseAndAZipWithoutHandlerAreNamed() throws {
        var own = ZipBuilder()
        own.add("index.js", "export const handler = 1;\n")
        own.add("package.json", "{\"name\":\"our-fork\",\"version\":\"9.9.9\"}\n")
        var nested = ZipBuilder()
        nested.add("dist/", "")
        nested.add("dist/index.js", "export const handler = 1;\n")
        let files = ["main.tf": Self.main(version: "7.6.0", zips: ["runners_lambda_zip": "lambdas/runners.zip", "webhook_lambda_zip": "lambdas/webhook.zip"]),
                     "lambdas/runners.zip": own.build(), "lambdas/webhook.zip": nested.build()]
        let found = try Self.findings(files, target: "pinned")
        let runners = try #require(found.first { $0.message.contains("runners_lambda_zip") })
        #expect(runners.severity == .warning && runners.message.contains("matches no release"), "\(runners.message)")
        let webhook = try #require(found.first { $0.message.contains("webhook_lambda_zip") })
        #expect(webhook.severity == .error && webhook.message.contains("holds no `index.js` at its root"))
        #expect(webhook.detail?.contains("`dist/index.js`") == true)
        #expect(found.count == 2)
    }

    /// Hostile zips: each is one located finding at the input, read within bounds.
    @Test func hostileZipsAreLocatedFindings() throws {
        var valid = ZipBuilder()
        valid.add("index.js", "export const handler = 1;\n")
        var bomb = ZipBuilder()
        for i in 0..<4_000 { bomb.add("index\(i == 0 ? "" : "\(i)").js", data: Data("x".utf8), size: 1 << 20) }
        let files: [String: Data] = [
            "main.tf": Self.main(version: "7.6.0", zips: [
                "runners_lambda_zip": "lambdas/runners.zip", "webhook_lambda_zip": "lambdas/webhook.zip",
                "runner_binaries_syncer_lambda_zip": "lambdas/syncer.zip", "ami_housekeeper_lambda_zip": "lambdas/ami.zip",
            ]),
            "lambdas/runners.zip": valid.build().prefix(50),
            "lambdas/webhook.zip": bomb.build(),
            "lambdas/syncer.zip": Data("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n".utf8),
            "lambdas/ami.zip": Data("not a zip at all".utf8),
        ]
        let start = Date()
        let found = try Self.findings(files, target: "pinned")
        #expect(Date().timeIntervalSince(start) < 20)
        func one(_ input: String) throws -> Finding { try #require(found.first { $0.message.hasPrefix("`\(input)`") }, "\(found.map(\.message))") }
        #expect(try one("runners_lambda_zip").severity == .error)
        #expect(try one("runners_lambda_zip").message.contains("is not a readable ZIP archive"))
        #expect(try one("webhook_lambda_zip").severity == .warning)
        #expect(try one("webhook_lambda_zip").message.contains("decompression bomb"))
        #expect(try one("runner_binaries_syncer_lambda_zip").severity == .note)
        #expect(try one("runner_binaries_syncer_lambda_zip").message.contains("Git LFS pointer"))
        #expect(try one("ami_housekeeper_lambda_zip").severity == .error)
        #expect(found.count == 4)
        for f in found { #expect(f.location.path == "main.tf" && (4...7).contains(f.location.start.line)) }
    }

    /// Names read from a zip's directory reach the report masked: a secret-shaped entry name (fake
    /// token and key made for this test) appears in no format.
    @Test func secretShapedEntryNamesReachNoOutput() throws {
        let token = SecretsTests.githubToken, key = SecretsTests.awsKey
        var zip = ZipBuilder()
        zip.add("\(token).js", "x")
        zip.add("dist/\(key)/index.js", "x")
        let files = ["main.tf": Self.main(version: "7.6.0", zips: ["runners_lambda_zip": "lambdas/runners.zip"]), "lambdas/runners.zip": zip.build(comment: token)]
        let result = try audit(MemoryFileSystem(data: files), target: "pinned")
        let finding = try #require(result.report.findings.first { $0.ruleId == "JIT-109" })
        #expect(finding.message.contains("holds no `index.js`"), "the names were read: \(finding.message)")
        for f in result.report.findings {
            let all = [f.message, f.detail ?? "", f.fix?.description ?? ""] + f.related.map(\.message)
            #expect(!all.joined().contains(token) && !all.joined().contains(key), "\(f.ruleId) carries a secret")
        }
        for format in OutputFormat.allCases {
            let text = render(result.report, as: format, options: RenderOptions(color: false, sources: result.sources))
            #expect(!text.contains(token) && !text.contains(key), "\(format) output shows a secret")
        }
    }

    @Test func aZipNotInTheTreeStaysAnUnreadPin() throws {
        let found = try Self.findings(["main.tf": Self.main(version: "7.6.0", zips: ["runners_lambda_zip": "lambdas/runners.zip"])], target: "7.11.0")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("cannot be read, so it cannot be compared") == true, "\(found.map(\.message))")
    }

    /// A link from the scan tree to a zip outside it is not followed: the pin stays unread.
    @Test func aZipLinkedFromOutsideTheRootIsNotRead() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-zip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("lambdas"), withIntermediateDirectories: true)
        let outside = base.appendingPathComponent("runners.zip")
        try Self.releaseShaped(asset: "runners", release: "7.6.0").write(to: outside)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("lambdas/runners.zip"), withDestinationURL: outside)
        try Self.main(version: "7.6.0", zips: ["runners_lambda_zip": "lambdas/runners.zip"]).write(to: root.appendingPathComponent("main.tf"))
        let result = Auditor(knowledge: try KnowledgeBase.load()).audit(
            fileSystem: LocalFileSystem(root: root), options: AuditOptions(target: try #require(TargetSelection("7.11.0"))))
        let found = result.report.findings.filter { $0.ruleId == "JIT-109" }
        #expect(found.count == 1)
        #expect(found.first?.message.contains("cannot be read") == true, "\(found.map(\.message))")
        #expect(!found.contains { $0.message.contains("built") })
    }

    /// The knowledge base's table against the module itself: a zip holding the `package.json` of
    /// the module's tag (read from the mirror into a temporary archive, never stored here) is
    /// named as that release.
    @Test(.enabled(if: TestPaths.mirrorPath != nil, "needs the module's git mirror (set GHR_AUDIT_MIRROR); skipped"),
          arguments: [("v6.4.3", "lambdas/functions/control-plane", "runners"), ("v7.11.0", "lambdas/functions/webhook", "webhook"),
                      ("v6.10.1", "lambdas/functions/gh-agent-syncer", "runner-binaries-syncer")])
    func aZipOfTheModulesOwnPackageIsNamedByItsRelease(_ c: (String, String, String)) throws {
        let mirror = try GitMirror(path: try #require(TestPaths.mirrorPath))
        let package = try #require(try mirror.show(c.0, c.1 + "/package.json"))
        var zip = ZipBuilder()
        zip.add("index.js", "export const handler = async () => undefined;\n")
        zip.add("package.json", package)
        let input = c.2 == "runner-binaries-syncer" ? "runner_binaries_syncer_lambda_zip" : c.2.replacingOccurrences(of: "-", with: "_") + "_lambda_zip"
        let release = String(c.0.dropFirst())
        let files = ["main.tf": Self.main(version: release, zips: [input: "lambdas/\(c.2).zip"]), "lambdas/\(c.2).zip": zip.build()]
        let found = try Self.findings(files, target: "7.11.0")
        if release == "7.11.0" {
            #expect(found.isEmpty, "in lockstep at the target: \(found.map(\.message))")
        } else {
            #expect(found.count == 1)
            #expect(found.first?.message.contains("the built `\(c.2)` artefact of release \(release)") == true, "\(found.map(\.message))")
        }
    }
}
