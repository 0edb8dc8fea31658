import Testing
import TestSupport

@testable import AuditCore

/// Baselines hold fingerprints made from `Fingerprint.normalised`: its byte path for ASCII text
/// must give, byte for byte, what the `Character` split gives.
@Suite struct FingerprintNormalisingTests {
    @Test func bytePathAgreesWithTheCharacterSplit() {
        let pieces = ["a", "config.sh", " ", "  ", "\t", "\r", "\n", "\r\n", "\n\r", "$x", "é", "e\u{301}", " \u{301}", "日本", "🚀"]
        var generator = SeededGenerator(seed: 5)
        var ascii = 0
        for _ in 0..<4_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &generator) { text += pieces.randomElement(using: &generator)! }
            if text.utf8.allSatisfy({ $0 < 0x80 }) { ascii += 1 }
            #expect(Fingerprint.normalised(text) == Fingerprint.characterNormalised(text), "\(text.debugDescription)")
        }
        #expect(ascii > 500)
        #expect(Fingerprint.normalised("a\r\nb \r c\t") == "a\r\nb c")
    }
}

/// Baselines hold fingerprints made from the names a message quotes: the byte reading of
/// `subject(of:)` gives what the Character reading gives.
@Suite struct FingerprintSubjectTests {
    @Test func byteReadingAgreesWithTheCharacterReading() {
        let pieces = ["`", "``", "runner", "module.runners", " ", "5.0", "6.33.1", ">= 6.33", "v7", ".", "1", "\r\n",
                      "…", "é", "e\u{301}", "`\u{301}", "\u{0600}`", "1\u{301}", "🚀", "日本", "\u{0600}1.2"]
        var generator = SeededGenerator(seed: 9)
        var quoted = 0, fallbacks = 0
        for _ in 0..<5_000 {
            var message = ""
            for _ in 0..<Int.random(in: 0...14, using: &generator) { message += pieces.randomElement(using: &generator)! }
            let subject = Fingerprint.subject(of: message)
            #expect(subject == Fingerprint.characterSubject(of: message), "\(message.debugDescription)")
            if !subject.isEmpty { quoted += 1 }
            if message.joinsNeighbour("`") { fallbacks += 1 }
        }
        #expect(quoted > 1_000 && fallbacks > 100, "both readings are exercised")
        #expect(Fingerprint.subject(of: "set `enable_jit_config` for `5.0.1` in `module.x`") == ["enable_jit_config", "module.x"])
    }
}

/// `Paths.normalisingJoin` and `Paths.relative` read bytes; the component readings they replaced
/// are kept here as their oracles.
@Suite struct PathBytesTests {
    static func componentJoin(_ base: String, _ rel: String) -> String? {
        var parts: [Substring] = rel.hasPrefix("/") ? [] : base.splitBytes(UInt8(ascii: "/"))
        for p in rel.splitBytes(UInt8(ascii: "/")) where p != "." && !p.isEmpty {
            if p == ".." {
                if parts.isEmpty { return nil }
                parts.removeLast()
            } else {
                parts.append(p)
            }
        }
        return parts.joined(separator: "/")
    }

    @Test func joinAndRelativeAgreeWithTheComponentReadings() {
        let pieces = ["", "a", "b.tf", ".", "..", "...", "é", "e\u{301}", "\u{301}", "x y"]
        var paths: [String] = []
        for p in pieces { for q in pieces { for r in ["", "c"] { for sep in ["/", "//"] { paths.append(p + sep + q + (r.isEmpty ? "" : "/" + r)); paths.append(p) } } } }
        paths += ["/a", "a/", "./a", "a/./b", "../a", "modules/runner", "modules/runner/sub", "modules", "envs/prod", "/\u{301}x"]
        paths = Array(Set(paths)).sorted()
        var compared = 0, below = 0
        for base in paths {
            for rel in paths {
                #expect(Paths.normalisingJoin(base, rel) == Self.componentJoin(base, rel), "join(\(base.debugDescription), \(rel.debugDescription))")
                #expect(Paths.relative(from: base, to: rel) == Paths.componentRelative(from: base, to: rel), "relative(\(base.debugDescription), \(rel.debugDescription))")
                if Paths.isPlain(rel), !base.isEmpty, Paths.isPlain(base), rel.hasPrefix(base + "/") { below += 1 }
                compared += 1
            }
        }
        #expect(compared > 10_000 && below > 50, "the byte paths are exercised")
        #expect(Paths.relative(from: "modules", to: "modules/runner") == "runner")
        #expect(Paths.relative(from: "é", to: "e\u{301}") == "../e\u{301}")
    }
}
