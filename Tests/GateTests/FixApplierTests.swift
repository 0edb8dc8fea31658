import AuditCore
import Foundation
import Testing
@testable import Gate

private func edit(_ source: SourceFile, _ start: Int, _ end: Int, _ text: String) -> TextEdit {
    TextEdit(range: source.range(from: start, to: end), newText: text)
}

/// The byte offset of the first occurrence of `needle` in `source`.
private func offset(of needle: String, in source: SourceFile) -> Int {
    let n = Array(needle.utf8)
    for i in 0...(source.bytes.count - n.count) where Array(source.bytes[i..<(i + n.count)]) == n { return i }
    Issue.record("`\(needle)` not found")
    return 0
}

@Suite("Fix application")
struct FixApplierTests {
    @Test func editsApplyFromTheEndWithoutShiftingEachOther() throws {
        let s = SourceFile(path: "main.tf", text: "version = \"3.6.1\"\nenable_jit_config = true\n")
        let a = offset(of: "3.6.1", in: s), b = offset(of: "true", in: s)
        let out = try FixApplier.apply([edit(s, a, a + 5, "4.1.0"), edit(s, b, b + 4, "false")], to: s).get()
        #expect(out == "version = \"4.1.0\"\nenable_jit_config = false\n")
    }

    @Test func overlappingLaterEditIsDroppedAndReported() throws {
        let s = SourceFile(path: "main.tf", text: "abcdefghij")
        let first = edit(s, 2, 6, "XY"), second = edit(s, 4, 8, "Z"), third = edit(s, 8, 9, "!")
        let result = FixApplier.apply([first, second, third], to: s)
        guard case .failure(let conflict) = result else {
            Issue.record("expected a conflict")
            return
        }
        #expect(conflict.dropped == [FixApplier.DroppedEdit(edit: second, reason: .overlaps(first))])
        #expect(conflict.partialText == "abXYgh!j")
    }

    @Test func insertionInsideAReplacementOverlapsButAtItsBoundaryDoesNot() throws {
        let s = SourceFile(path: "f", text: "0123456789")
        let replace = edit(s, 3, 6, "-")
        if case .success = FixApplier.apply([replace, edit(s, 4, 4, "x")], to: s) { Issue.record("insertion inside must conflict") }
        #expect(try FixApplier.apply([replace, edit(s, 3, 3, "<"), edit(s, 6, 6, ">")], to: s).get() == "012<->6789")
    }

    @Test func insertionsAtOnePointKeepTheirOrderAndDuplicatesApplyOnce() throws {
        let s = SourceFile(path: "f", text: "ab")
        let out = try FixApplier.apply([edit(s, 1, 1, "1"), edit(s, 1, 1, "2"), edit(s, 1, 1, "1")], to: s).get()
        #expect(out == "a12b")
    }

    @Test func crlfFilesGetCRLFInInsertedLines() throws {
        let s = SourceFile(path: "main.tf", text: "a = 1\r\nb = 2\r\n")
        let at = offset(of: "b = 2", in: s)
        let out = try FixApplier.apply([edit(s, at, at, "# ghr-audit:ignore JIT-101 -- r\nx = 0\n")], to: s).get()
        #expect(out == "a = 1\r\n# ghr-audit:ignore JIT-101 -- r\r\nx = 0\r\nb = 2\r\n")
    }

    @Test func lfFilesGetLFEvenWhenTheFixWasWrittenWithCRLF() throws {
        let s = SourceFile(path: "main.tf", text: "a = 1\nb = 2\n")
        #expect(try FixApplier.apply([edit(s, 6, 6, "x = 0\r\n")], to: s).get() == "a = 1\nx = 0\nb = 2\n")
    }

    @Test func byteOrderMarkStaysInFront() throws {
        let s = SourceFile(path: "main.tf", text: "\u{FEFF}a = 1\n")
        #expect(s.bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
        let out = try FixApplier.apply([edit(s, 0, 0, "# top\n")], to: s).get()
        #expect(Array(out.utf8) == Array("\u{FEFF}# top\na = 1\n".utf8))
        let replaced = try FixApplier.apply([edit(s, 0, 4, "b")], to: s).get()
        #expect(Array(replaced.utf8) == Array("\u{FEFF}b = 1\n".utf8))
    }

    @Test func encodePutsBackTheByteOrderMarkFoundationDropped() {
        let original = Data([0xEF, 0xBB, 0xBF]) + Data("a = 1\n".utf8)
        let decoded = SourceFile(path: "main.tf", data: original)!
        #expect(Array(FixApplier.encode(decoded.text, likeOriginal: original)) == Array(original))
        #expect(Array(FixApplier.encode("a\n", likeOriginal: Data("a\n".utf8))) == Array("a\n".utf8))
    }

    @Test(arguments: [
        ("a = 1", "b = 2\n", "a = 1\nb = 2"),          // no final newline: the new line goes on its own and the file still has none
        ("a = 1\n", "b = 2\n", "a = 1\nb = 2\n"),
        ("a = 1\r\nc = 3", "b = 2\n", "a = 1\r\nc = 3\r\nb = 2"),
        ("a = 1", "\nb = 2", "a = 1\nb = 2"),         // already starts with a newline: left alone
        ("", "b = 2\n", "b = 2\n"),
    ])
    func insertionAtEndOfFile(_ original: String, _ inserted: String, _ expected: String) throws {
        let s = SourceFile(path: "f", text: original)
        #expect(try FixApplier.apply([edit(s, s.bytes.count, s.bytes.count, inserted)], to: s).get() == expected)
    }

    @Test func invalidEditsAreDroppedWithTheirReason() {
        let s = SourceFile(path: "f", text: "é = 1\n")
        let other = TextEdit(range: SourceRange(path: "g", start: .start, end: .start), newText: "x")
        let outside = TextEdit(range: SourceRange(path: "f", start: SourcePosition(line: 9, column: 1, offset: 99), end: SourcePosition(line: 9, column: 1, offset: 99)), newText: "x")
        let split = TextEdit(range: SourceRange(path: "f", start: SourcePosition(line: 1, column: 2, offset: 1), end: SourcePosition(line: 1, column: 2, offset: 1)), newText: "x")
        guard case .failure(let c) = FixApplier.apply([other, outside, split], to: s) else {
            Issue.record("expected failure")
            return
        }
        #expect(c.dropped.map(\.reason) == [.otherFile, .outOfBounds, .splitsCharacter])
        #expect(c.partialText == "é = 1\n")
    }
}

@Suite("Atomic writes")
struct AtomicWriterTests {
    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gate-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func replacesContentKeepsPermissionsAndLeavesNoTemporaryFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("start-runner.sh")
        try Data("old\n".utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: file.path)
        try AtomicWriter.write(Data("new\n".utf8), to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "new\n")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o750)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["start-runner.sh"])
    }

    @Test func writesThroughASymbolicLink() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("real.tf"), link = dir.appendingPathComponent("link.tf")
        try Data("a\n".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        try AtomicWriter.write(Data("b\n".utf8), to: link)
        #expect(try String(contentsOf: target, encoding: .utf8) == "b\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path)
    }

    @Test func createsAMissingFileAndFailsCleanlyInAMissingDirectory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("new.tf")
        try AtomicWriter.write(Data("x\n".utf8), to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "x\n")
        #expect(throws: AtomicWriter.WriteError.self) {
            try AtomicWriter.write(Data("x".utf8), to: dir.appendingPathComponent("missing/new.tf"))
        }
    }
}
