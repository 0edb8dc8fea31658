import AuditCore
import Foundation
import Testing

/// `LocalFileSystem` resolves each folder once and then only a path's last component: these check
/// that every way out of the scan root stays closed, before and after a folder's answer is
/// remembered.
@Suite("Local file system containment")
struct LocalFileSystemTests {
    /// A scan root with a file, a folder linked inside and outside, and a file linked outside.
    static func tree() throws -> (root: URL, outside: URL) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-fs-\(UUID().uuidString)")
        let root = base.appendingPathComponent("root"), outside = base.appendingPathComponent("outside")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("modules/a"), withIntermediateDirectories: true)
        try fm.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("inside".utf8).write(to: root.appendingPathComponent("modules/a/main.tf"))
        try Data("secret".utf8).write(to: outside.appendingPathComponent("main.tf"))
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("in-link").path, withDestinationPath: "modules/a")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("out-link").path, withDestinationPath: outside.path)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("modules/a/leak.tf").path,
                                  withDestinationPath: outside.appendingPathComponent("main.tf").path)
        return (root, outside)
    }

    @Test func foldersAndFilesLinkedOutsideAreNeverRead() throws {
        let (root, _) = try Self.tree()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let fs = LocalFileSystem(root: root)
        // Twice: the second answer comes from the remembered folder.
        for _ in 0..<2 {
            #expect(fs.read("modules/a/main.tf").map { String(decoding: $0, as: UTF8.self) } == "inside")
            #expect(fs.read("in-link/main.tf").map { String(decoding: $0, as: UTF8.self) } == "inside")
            #expect(fs.read("out-link/main.tf") == nil, "a folder linked outside the root")
            #expect(fs.size("out-link/main.tf") == nil)
            #expect(fs.list("out-link") == nil)
            #expect(fs.read("modules/a/leak.tf") == nil, "a file linked outside, in a folder that is inside")
            #expect(fs.read("modules/../../outside/main.tf") == nil, "`..` climbing out")
            #expect(fs.read("modules/a/../a/main.tf") != nil, "`..` staying inside")
            #expect(fs.read("modules/a/missing.tf") == nil)
        }
        let entries = Dictionary(uniqueKeysWithValues: try #require(fs.list("")).map { ($0.name, $0.kind) })
        #expect(entries["in-link"] == .directory && entries["out-link"] == .symlinkOutside && entries["modules"] == .directory)
        let inner = Dictionary(uniqueKeysWithValues: try #require(fs.list("modules/a")).map { ($0.name, $0.kind) })
        #expect(inner["main.tf"] == .file && inner["leak.tf"] == .symlinkOutside)
    }
}

@Suite("Byte search")
struct ByteSearchTests {
    @Test func findsWhatContainsFinds() {
        let texts = ["", "a", "ghr-audit", "x ghr-audit: ignore", "ghr-audi", "gggghr-audit:", "é ghr-audit: é", "ghr-audit:"]
        for text in texts {
            for needle in ["ghr-audit:", "g", "", "é", "t:"] {
                #expect(text.containsBytes(needle) == (needle.isEmpty || text.contains(needle)), "\(text) / \(needle)")
            }
        }
    }

    @Test func replacesWhatFoundationReplaces() {
        let texts = ["", "${path.module}/x.yaml", "a${path.module}${path.module}b", "${path.modul", "é${path.module}é", "$${path.module}"]
        for text in texts {
            for (target, replacement) in [("${path.module}", "."), ("é", "e"), ("x", "")] {
                #expect(text.replacingBytes(target, with: replacement) == text.replacingOccurrences(of: target, with: replacement), "\(text) / \(target)")
            }
        }
    }
}
