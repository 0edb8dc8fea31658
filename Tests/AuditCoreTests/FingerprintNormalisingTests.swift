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
