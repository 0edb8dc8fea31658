import AuditCore
import Foundation
import Testing
import TestSupport

@Suite("Positions")
struct PositionTests {
    @Test func columnsCountScalarsOffsetsCountBytes() {
        let f = SourceFile(path: "a.tf", text: "x = \"é🚀\"\r\ny = 1\n")
        let y = f.position(ofOffset: Array(f.text.utf8).firstIndex(of: UInt8(ascii: "y"))!)
        #expect(y.line == 2 && y.column == 1)
        let quoteEnd = f.position(ofOffset: 4 + 1 + 2 + 4)   // after `"`, é (2 bytes), 🚀 (4 bytes)
        #expect(quoteEnd.line == 1 && quoteEnd.column == 8)
        #expect(f.lineText(1) == "x = \"é🚀\"", "CR is not part of the line text")
        #expect(f.lineCount == 3)
        #expect(f.position(ofOffset: 10_000).offset == f.bytes.count, "offsets are clamped")
    }

    /// A column is the line's scalar starts before the offset, found from the file's table of
    /// continuation bytes per 64-byte block (not by counting from the line start): the same as
    /// counting, at every offset of texts with long lines, multi-byte scalars and none.
    @Test func columnsFromTheContinuationTableAgreeWithCounting() {
        var rng = SeededGenerator(seed: 64)
        let pieces = ["a", " ", "\n", "\r\n", "é", "日本", "🚀", "e\u{301}", String(repeating: "x", count: 70), String(repeating: "ü", count: 40)]
        for round in 0..<300 {
            var text = ""
            for _ in 0..<Int.random(in: 0...120, using: &rng) { text += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
            if round % 3 == 0 { text = text.unicodeScalars.filter(\.isASCII).map(String.init).joined() }
            let f = SourceFile(path: "c.tf", text: text)
            #expect(f.continuationsBefore.isEmpty == text.utf8.allSatisfy { $0 < 0x80 })
            let bytes = Array(text.utf8)
            var line = 1, column = 1
            for offset in 0...bytes.count {
                let p = f.position(ofOffset: offset)
                #expect(p.line == line && p.column == column && p.offset == offset, "offset \(offset) of \(text.debugDescription)")
                guard offset < bytes.count else { break }
                if bytes[offset] == 0x0A { line += 1; column = 1 } else if bytes[offset] & 0xC0 != 0x80 { column += 1 }
            }
        }
    }

    /// A file is held once, as its bytes: the text decoded from them is the text it was made from,
    /// and the line index (sized by a count of the line breaks) is every line start, nothing more.
    @Test func textComesBackFromTheBytesAndTheLineIndexIsExact() throws {
        let texts = ["", "\n", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n\n", "x = \"é🚀\"\r\ny = 1\n",
                     String(repeating: "resource \"a\" \"b\" {}\n", count: 300) + "no break at the end",
                     String(repeating: "\n", count: 100)]
        for text in texts {
            let f = SourceFile(path: "t.tf", text: text)
            #expect(f.text == text && Array(f.text.utf8) == Array(text.utf8))
            #expect(f.bytes == Array(text.utf8))
            var expected = [0]
            for (i, b) in text.utf8.enumerated() where b == 0x0A { expected.append(i + 1) }
            #expect(f.lineStarts == expected)
            #expect(f.text(from: 0, to: f.bytes.count) == text)
        }
        // Read from bytes: the same as the decoded text (Foundation drops a leading BOM), nil for
        // bytes that are not UTF-8.
        let data = Data("a = 1\nb = \"ü\"\n".utf8)
        let read = try #require(SourceFile(path: "d.tf", data: data))
        #expect(read.text == "a = 1\nb = \"ü\"\n" && read.lineStarts == [0, 6, 15])
        #expect(SourceFile(path: "bad.tf", data: Data([0x61, 0xC3, 0x28])) == nil)
    }

    /// A byte search for an ASCII needle finds what Foundation's `range(of:range:)` finds.
    @Test func bytesAreFoundWhereFoundationFindsThem() {
        let pieces = ["a", "/", "//", "://", ":", "é", "e\u{301}", "日", "🚀", "x", "$", "=", "::"]
        let needles = ["//", "://", ":", "$x", "a/", "::"]
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...10, using: &generator) { text += pieces.randomElement(using: &generator)! }
            for needle in needles {
                let expected = text.range(of: needle)
                #expect(text.rangeOfBytes(needle) == expected, "\(text.debugDescription) \(needle)")
                if let first = expected {
                    #expect(text.rangeOfBytes(needle, from: first.upperBound) == text.range(of: needle, range: first.upperBound..<text.endIndex),
                            "\(text.debugDescription) \(needle) after the first")
                }
            }
        }
        #expect("abc".rangeOfBytes("") == nil && "".rangeOfBytes("a") == nil)
    }

    /// Splitting on an ASCII byte gives the parts `split(separator:)` gives wherever the separator
    /// is a Character of its own; before a combining mark and in "\r\n" the byte still separates.
    @Test func splittingOnBytesAgreesWithSplittingOnCharacters() {
        let pieces = ["a", "/", "//", ".", "..", "é", "日", "🚀", "x", "\n", " ", "  "]
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...10, using: &generator) { text += pieces.randomElement(using: &generator)! }
            for separator in ["/", "\n", " "] as [Character] {
                let byte = separator.asciiValue!
                for omitting in [true, false] {
                    #expect(text.splitBytes(byte, omittingEmptySubsequences: omitting).map(String.init)
                            == text.split(separator: separator, omittingEmptySubsequences: omitting).map(String.init), "\(text.debugDescription)")
                }
            }
        }
        #expect("a/\u{301}b".splitBytes(UInt8(ascii: "/")) == ["a", "\u{301}b"])
        #expect("a\r\nb\n".splitBytes(UInt8(ascii: "\n"), omittingEmptySubsequences: false) == ["a\r", "b", ""])
    }

    /// Trimming white space natively gives what Foundation's `.whitespacesAndNewlines` gives.
    @Test func whitespaceIsTrimmedAsFoundationTrimsIt() {
        let pieces = ["a", " ", "\t", "\n", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{2003}", "\u{2028}", "\u{3000}",
                      "\u{200B}", "é", "e\u{301}", "日", "🚀", "x y"]
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...8, using: &generator) { text += pieces.randomElement(using: &generator)! }
            #expect(text.trimmingWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
        // Every scalar up to U+3100 (past the last white space, U+3000) alone: the same set.
        for v in UInt32(0)...0x3100 {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let text = String(scalar)
            #expect(text.trimmingWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines), "U+\(String(v, radix: 16))")
        }
    }

    /// The loader's byte check agrees with Foundation's UTF-8 decoding on every input: the same
    /// files are accepted, with the same bytes (a leading BOM dropped), and the same are refused.
    @Test func bytesAreCheckedAsFoundationDecodesThem() {
        var inputs: [[UInt8]] = [
            [], [0xEF, 0xBB, 0xBF], [0xEF, 0xBB, 0xBF, 0x61, 0x0A], [0xEF, 0xBB], Array("ascii only, more than eight bytes\n".utf8),
            Array("ü ✓ 𝄞 \u{10FFFF}".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF5, 0x80, 0x80, 0x80],
            [0xE2, 0x82], [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0xE2, 0x82, 0xAC], [0x80], [0xFF],
        ]
        // Random mixes of ASCII runs and (mostly well-formed) multi-byte sequences.
        var generator = SeededGenerator(seed: 0x5EED)
        let pieces: [[UInt8]] = [Array("abcdefgh".utf8), [0xC3, 0xBC], [0xE2, 0x9C, 0x93], [0xF0, 0x9D, 0x84, 0x9E], [0xED, 0x9F, 0xBF],
                                 [0xC3], [0x9C], [0xF0, 0x9D], [0x0A], [0xEF, 0xBB, 0xBF]]
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &generator) { bytes += pieces.randomElement(using: &generator)! }
            inputs.append(bytes)
        }
        for bytes in inputs {
            let decoded = String(data: Data(bytes), encoding: .utf8)
            #expect(UTF8Check.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
            let file = SourceFile(path: "f", data: Data(bytes))
            #expect((file == nil) == (decoded == nil), "\(bytes)")
            if let file, let decoded { #expect(file.bytes == Array(decoded.utf8) && file.text == decoded, "\(bytes)") }
        }
    }

    @Test func rangesOrderAndUnion() {
        let f = SourceFile(path: "a", text: "abcdef")
        let a = f.range(from: 1, to: 2), b = f.range(from: 4, to: 6)
        #expect(a.union(b) == f.range(from: 1, to: 6))
        #expect(b.contains(f.position(ofOffset: 5)) && !b.contains(f.position(ofOffset: 6)))
    }

    @Test func pathsAreInternedByTheirBytes() {
        // Canonically equivalent spellings (é precomposed and decomposed) are different files.
        let composed = "modules/caf\u{E9}/main.tf", decomposed = "modules/cafe\u{301}/main.tf"
        let a = SourceRange(path: composed, start: .start, end: .start)
        let b = SourceRange(path: decomposed, start: .start, end: .start)
        #expect(a != b)
        #expect(Array(a.path.utf8) == Array(composed.utf8) && Array(b.path.utf8) == Array(decomposed.utf8))
        #expect(a == SourceRange(path: String(composed), start: .start, end: .start))
        #expect(SourcePathID(composed) == a.pathID)
        var moved = a
        moved.path = "other.tf"
        #expect(moved.path == "other.tf" && moved.start == a.start)
        // Paths of one length differing in one byte (the table compares lengths, then the bytes in
        // place), and the same path made through NSString.
        let sameLength = (0..<500).map { "env/r\(String(format: "%03d", $0))/main.tf" }
        let ids = sameLength.map(SourcePathID.init)
        #expect(Set(ids).count == sameLength.count)
        #expect(zip(ids, sameLength).allSatisfy { $0.path == $1 && SourcePathID(String($1)) == $0 })
        let bridged = NSString(string: "env/r042/main.tf") as String
        #expect(SourcePathID(bridged) == ids[42] && SourcePathID(bridged) != ids[43])
    }

    @Test func rangesEncodeAsPathAndPositions() throws {
        let range = SourceRange(path: "a.tf", start: SourcePosition(line: 2, column: 3, offset: 14),
                                end: SourcePosition(line: 2, column: 9, offset: 20))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(range), as: UTF8.self)
        #expect(json == #"{"end":{"column":9,"line":2,"offset":20},"path":"a.tf","start":{"column":3,"line":2,"offset":14}}"#)
        #expect(try JSONDecoder().decode(SourceRange.self, from: Data(json.utf8)) == range)
        #expect(SourcePosition(line: 1, column: 1, offset: Int.max).offset == Int(Int32.max), "beyond 32 bits clamps")
    }
}

@Suite("Allocator")
struct AllocatorTests {
    /// glibc takes the arena cap (looked up by name: <malloc.h> is not in the Glibc module); the
    /// cap is half the cores, at least two.
    @Test func glibcTakesTheArenaLimit() {
        #expect(Allocator.arenaLimit == max(2, Parallel.defaultWorkers / 2))
        #if canImport(Glibc)
        #expect(Allocator.limitArenas())
        #else
        #expect(!Allocator.limitArenas())
        #endif
    }
}

@Suite("Versions")
struct VersionTests {
    @Test(arguments: [
        ("4.0.1", "4.0.1", true), ("= 4.0.1", "4.0.2", false), (">= 4.0, < 5.0.0", "4.7.0", true),
        (">= 4.0, < 5.0.0", "5.0.0", false), ("~> 5.2", "5.9.1", true), ("~> 5.2", "6.0.0", false),
        ("~> 5.2.1", "5.2.9", true), ("~> 5.2.1", "5.3.0", false), ("!= 4.0.0", "4.0.0", false),
        ("> 3.6.1", "4.0.0-rc1", true), ("v6.1.1", "6.1.1", true),
    ])
    func constraints(_ text: String, _ version: String, _ ok: Bool) throws {
        let c = try #require(VersionConstraint(text))
        #expect(c.isSatisfied(by: try #require(ModuleVersion(version))) == ok)
    }

    @Test func ordering() {
        #expect(ModuleVersion("4.0.0-rc1")! < ModuleVersion("4.0.0")!)
        #expect(ModuleVersion("v5.16.3")! > ModuleVersion("5.16.2")!)
        #expect(ModuleVersion("main") == nil && VersionConstraint("") == nil && VersionConstraint(">= x") == nil)
        let c = VersionConstraint("~> 4.0")!
        #expect(c.newest(in: ["3.6.1", "4.0.0", "4.7.0", "5.0.0"].map { ModuleVersion($0)! }) == ModuleVersion("4.7.0"))
    }

    /// `ModuleVersion(_:)` reads ASCII text on its bytes; it must answer as the general reading on
    /// scalars (the one Foundation's trimming serves) on every text: versions, near misses, white
    /// space, non-ASCII.
    @Test func byteReadingOfVersionsAgreesWithTheScalarReading() {
        let reference = ModuleVersion.parseScalars
        let fixed = ["4.1.0", "v5.16.3", "V7", "7.11", "4.0.0-rc1", "4.0.0-rc.1+build", "1.2.3+meta", "1..2", "1.2.", ".1", "1.2.3.4", "", "v", "-",
                     "+1", "01.002.3", "99999999999999999999.0.0", " 4.1.0", "4.1.0\t", "\u{3000}4.1.0", "4.1.0\n", "４.1.0", "1.2.3-é", "main", "~> 4.0"]
        for text in fixed { #expect(ModuleVersion(text) == reference(text), "\(text.debugDescription)") }
        var generator = SeededGenerator(seed: 17)
        let alphabet = Array("0123456789..........--++vV \tx\u{A0}é")
        for _ in 0..<20_000 {
            let text = String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            #expect(ModuleVersion(text) == reference(text), "\(text.debugDescription)")
        }
    }

    @Test func distanceWeighsMajorsThenMinorsThenPatches() {
        let v = ModuleVersion(5, 1, 0)
        #expect(v.distance(to: v) == 0)
        #expect(v.distance(to: ModuleVersion(5, 0, 150)) == ModuleVersion(5, 0, 150).distance(to: v))
        // A patch 150 releases away is still nearer than the next minor.
        #expect(v.distance(to: ModuleVersion(5, 1, 150)) < v.distance(to: ModuleVersion(5, 2, 0)))
        #expect(v.distance(to: ModuleVersion(5, 99, 0)) < v.distance(to: ModuleVersion(6, 0, 0)))
        let releases = ["4.7.0", "5.0.3", "5.2.0", "6.0.0"].map { ModuleVersion($0)! }
        #expect(releases.min { $0.distance(to: v) < $1.distance(to: v) } == ModuleVersion("5.0.3"))
    }
}

@Suite("Paths and file systems")
struct PathTests {
    @Test func joinNeverLeavesTheRoot() {
        #expect(Paths.join("envs/prod", "../../modules/x") == "modules/x")
        #expect(Paths.join("", "../outside") == nil)
        #expect(Paths.join("a", "./b/../c") == "a/c")
        #expect(Paths.relative(from: "envs/prod", to: "modules/x") == "../../modules/x")
        #expect(Paths.relative(from: "a", to: "a") == ".")
    }

    /// One wildcard matcher serves AMI name filters, shell patterns and IAM: `*` any run, `?` one
    /// element, a literal `*` in the text matched by a star (not taken as a character first).
    @Test func wildcardMatchesAsGlobsDo() {
        func m(_ p: String, _ t: String) -> Bool { Wildcard.matches(Array(p), Array(t), star: "*", one: "?") }
        #expect(m("runner-*-ubuntu", "runner-2024-ubuntu") && m("a?c", "abc") && m("*", "") && m("", ""))
        #expect(!m("a?c", "ac") && !m("runner-*", "ubuntu") && !m("", "x") && !m("ab", "abc"))
        #expect(m("*a", "*ba"), "the star in the text is covered by the pattern's star")
        #expect(m("*b*c", "xxbyybzc") && !m("*b*c", "xxbyybz"))
        #expect(LiveFacts.wildcardMatches("github-runner-*", "github-runner-ubuntu-2024"))
    }

    /// Plain paths join as written (no split): the answer is the normalising join's for every
    /// mix of plain and unusual components.
    @Test func plainJoinIsTheNormalisingJoin() {
        let pieces = ["", "a", "b.tf", ".", "..", "...", ".x", "x.", "é"]
        var paths: Set<String> = [""]
        for p in pieces { for q in pieces { for sep in ["/", "//"] { paths.insert(p + sep + q); paths.insert(p) } } }
        paths.formUnion(["/a", "a/", "a/b/c", "./a", "a/./b", "../a"])
        var plain = 0
        for base in paths {
            for rel in paths {
                #expect(Paths.join(base, rel) == Paths.normalisingJoin(base, rel), "join(\(base.debugDescription), \(rel.debugDescription))")
                if Paths.isPlain(rel) && (base.isEmpty || Paths.isPlain(base)) { plain += 1 }
            }
        }
        #expect(plain > 100, "the fast path is exercised")
        #expect(Paths.isPlain("a/b.tf") && Paths.isPlain("...") && !Paths.isPlain("a/../b") && !Paths.isPlain("a//b") && !Paths.isPlain("/a") && !Paths.isPlain(""))
    }


    /// `directory(of:)` and `fileName(of:)` split at the last `/` byte, as the file system does:
    /// compared with splitting the bytes by hand, and the two halves always give the path back.
    @Test func directoryAndFileNameSplitAtTheLastSlashByte() {
        let pieces = ["", "a", "b.tf", "..", "é", "e\u{301}", "\u{301}", "🇫🇷", "x y", "\\"]
        var checked = 0
        for p in pieces { for q in pieces { for r in pieces { for (s1, s2) in [("/", "/"), ("/", ""), ("", "/"), ("//", "/")] {
            let path = p + s1 + q + s2 + r
            let bytes = Array(path.utf8)
            let expected: (String, String)
            if let slash = bytes.lastIndex(of: UInt8(ascii: "/")) {
                expected = (String(decoding: bytes[..<slash], as: UTF8.self), String(decoding: bytes[(slash + 1)...], as: UTF8.self))
            } else {
                expected = ("", path)
            }
            #expect(Paths.directory(of: path) == expected.0, "directory(of: \(path.debugDescription))")
            #expect(Paths.fileName(of: path) == expected.1, "fileName(of: \(path.debugDescription))")
            let rejoined = bytes.contains(UInt8(ascii: "/")) ? Paths.directory(of: path) + "/" + Paths.fileName(of: path) : Paths.fileName(of: path)
            #expect(Array(rejoined.utf8) == bytes)
            checked += 1
        } } } }
        #expect(checked == 4_000)
        // A combining mark written after a slash does not hide it (a Character search missed it).
        #expect(Paths.directory(of: "a/\u{301}b") == "a" && Paths.fileName(of: "a/\u{301}b") == "\u{301}b")
    }
    @Test func memoryFileSystemLists() {
        let fs = MemoryFileSystem(["a/b.tf": "", "a/c/d.yaml": "", "e": ""])
        #expect(fs.list("")?.map(\.name) == ["a", "e"])
        #expect(fs.list("a")?.map(\.kind) == [.file, .directory])
        #expect(fs.list("missing") == nil)
    }

    @Test func localFileSystemStaysInside() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-fs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("root"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("secret".utf8).write(to: dir.appendingPathComponent("outside.txt"))
        try Data("x".utf8).write(to: dir.appendingPathComponent("root/in.tf"))
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("root/link.txt"), withDestinationURL: dir.appendingPathComponent("outside.txt"))
        let fs = LocalFileSystem(root: dir.appendingPathComponent("root"))
        #expect(fs.read("in.tf") == Data("x".utf8))
        #expect(fs.read("link.txt") == nil, "a symlink out of the root is never followed")
        #expect(fs.read("../outside.txt") == nil)
        #expect(fs.list("")?.first { $0.name == "link.txt" }?.kind == .symlinkOutside)
    }
}

@Suite("Findings")
struct FindingTests {
    @Test func orderIsTotal() {
        let f = SourceFile(path: "a.tf", text: "0123456789")
        func finding(_ id: String, _ s: Int, _ e: Int, _ m: String = "m") -> Finding {
            Finding(ruleId: id, severity: .error, message: m, location: f.range(from: s, to: e))
        }
        let sorted = [finding("B-001", 2, 3), finding("A-001", 2, 3), finding("A-001", 2, 8), finding("A-001", 0, 1)].sorted(by: Finding.ordered)
        #expect(sorted.map { "\($0.ruleId)@\($0.location.start.offset)-\($0.location.end.offset)" } == ["A-001@0-1", "A-001@2-8", "A-001@2-3", "B-001@2-3"])
    }

    @Test func fingerprintsIgnoreWhitespaceButNotContent() {
        let a = Fingerprint.compute(ruleId: "JIT-101", path: "a.sh", lineText: "  ./config.sh  $cfg", message: "m", occurrence: 0)
        #expect(a == Fingerprint.compute(ruleId: "JIT-101", path: "a.sh", lineText: "./config.sh $cfg", message: "m", occurrence: 0))
        #expect(a != Fingerprint.compute(ruleId: "JIT-101", path: "a.sh", lineText: "./config.sh $cfg", message: "m", occurrence: 1))
        #expect(a != Fingerprint.compute(ruleId: "JIT-101", path: "b.sh", lineText: "./config.sh $cfg", message: "m", occurrence: 0))
        #expect(a.count == 32)
    }

    /// Both fingerprints hash their key through `Fingerprint.Prefix` (the shared rule, file and
    /// lines hashed once): each is the first 16 bytes of SHA-256 over the whole key joined with
    /// U+001F, which baselines recorded, whatever the texts.
    @Test func fingerprintsAreTheDigestOfTheWholeKey() {
        for (line, message) in [("", "m"), ("  ./config.sh  $cfg", "input `a` was removed in 5.0.0"), ("é 🚀\tx", "`b`"), (String(repeating: "x", count: 5_000), "")] {
            let construct = Fingerprint.normalised(line)
            let stable = ["v2", "JIT-101", "a.sh", construct, Fingerprint.subject(of: message).joined(separator: "\u{1E}"), "3"].joined(separator: "\u{1F}")
            #expect(Fingerprint.stable(ruleId: "JIT-101", path: "a.sh", construct: line, message: message, occurrence: 3)
                    == String(Fingerprint.sha256Hex(Data(stable.utf8)).prefix(32)))
            let legacy = ["JIT-101", "a.sh", construct, message, "3"].joined(separator: "\u{1F}")
            #expect(Fingerprint.compute(ruleId: "JIT-101", path: "a.sh", lineText: line, message: message, occurrence: 3)
                    == String(Fingerprint.sha256Hex(Data(legacy.utf8)).prefix(32)))
        }
    }

    @Test func severityOrder() {
        #expect(Severity.note < .warning && Severity.warning < .error)
    }
}
