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

    /// `load` opens a file once (without following a link in its last name, which is resolved in
    /// full instead) and says why it gave no bytes; `list` takes each entry's type from the
    /// directory and examines only links.
    @Test func loadAndListTellEveryKindOfEntryApart() throws {
        let (root, _) = try Self.tree()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("modules/a/alias.tf").path, withDestinationPath: "main.tf")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("modules/a/loop.tf").path, withDestinationPath: "loop.tf")
        #expect(mkfifo(root.appendingPathComponent("modules/a/pipe.tf").path, 0o600) == 0)
        // Sparse: one byte past the limit, no blocks written.
        let big = root.appendingPathComponent("modules/a/big.tf.json")
        #expect(fm.createFile(atPath: big.path, contents: nil))
        #expect(truncate(big.path, off_t(Limits.maxFileSize + 1)) == 0)
        let fs = LocalFileSystem(root: root)
        func loaded(_ path: String) -> String {
            switch fs.load(path) {
            case .data(let d): return "data:" + String(decoding: d, as: UTF8.self)
            case .tooLarge(let size): return "tooLarge:\(size)"
            case .unreadable: return "unreadable"
            }
        }
        for _ in 0..<2 {
            #expect(loaded("modules/a/main.tf") == "data:inside")
            #expect(loaded("modules/a/alias.tf") == "data:inside", "a link to a file inside is followed")
            #expect(loaded("modules/a/leak.tf") == "unreadable", "a link to a file outside is not")
            #expect(loaded("modules/a/loop.tf") == "unreadable")
            #expect(loaded("modules/a/pipe.tf") == "unreadable", "a FIFO is never read (nor blocks the reader)")
            #expect(loaded("modules/a") == "unreadable", "a folder")
            #expect(loaded("modules/a/big.tf.json") == "tooLarge:\(Limits.maxFileSize + 1)")
            #expect(loaded("out-link/main.tf") == "unreadable")
            #expect(loaded("modules/./a/main.tf") == "data:inside")
            #expect(loaded("modules/a/../../../outside/main.tf") == "unreadable")
        }
        let listed = try #require(fs.list("modules/a"))
        #expect(listed.map(\.name) == ["alias.tf", "big.tf.json", "leak.tf", "loop.tf", "main.tf", "pipe.tf"])
        let kinds = Dictionary(uniqueKeysWithValues: listed.map { ($0.name, $0.kind) })
        #expect(kinds["alias.tf"] == .file && kinds["big.tf.json"] == .file && kinds["main.tf"] == .file)
        #expect(kinds["leak.tf"] == .symlinkOutside && kinds["loop.tf"] == .linkLoop && kinds["pipe.tf"] == .special)
        #expect(fs.list("modules/a/main.tf") == nil, "a file is not a directory")
    }
}

@Suite("Byte search")
struct ByteSearchTests {
    @Test func findsWhatContainsFinds() {
        let texts = ["", "a", "ghr-audit", "x ghr-audit: ignore", "ghr-audi", "gggghr-audit:", "é ghr-audit: é", "ghr-audit:"]
        for text in texts {
            for needle in ["ghr-audit:", "g", "", "é", "t:"] {
                #expect(text.containsBytes(needle) == (needle.isEmpty || text.contains(needle)), "\(text) / \(needle)")
                // A file's bytes are searched as its text is.
                #expect(Array(text.utf8).containsBytes(needle) == text.containsBytes(needle), "bytes: \(text) / \(needle)")
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
