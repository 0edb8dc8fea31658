import Testing
import TestSupport
@testable import Engine

/// The literal readers behind the audited scope (`Reach`), read on UTF-8 bytes: what they make of
/// the literals a configuration writes.
@Suite("Reach literal readers")
struct ReachTests {
    @Test func pathPatterns() {
        let cases: [(String, String?)] = [
            ("${path.module}/configs/${f}", "./configs/*"),
            ("${path.root}/templates/start.sh", "./templates/start.sh"),
            ("%{ if x }a%{ endif }/b.yaml", "*a*/b.yaml"),
            ("configs/é-fleet.yaml", "configs/é-fleet.yaml"),
            ("https://example.com/x.zip", nil),      // a URL
            ("/etc/passwd", nil),                    // absolute
            ("a file.txt", nil),                     // a space: prose, not a path
            ("${var.x}/${var.y}", nil),              // nothing but wildcards
            ("${unterminated/x.yaml", nil),
            ("t2.micro", "t2.micro"),
            ("plain", nil),                          // no `/` and no `.`
            (String(repeating: "a", count: 300) + ".tf", nil),
        ]
        for (literal, expected) in cases {
            #expect(Reach.pathPattern(literal) == expected, "\(literal)")
        }
    }

    /// The byte reading of a pattern's length and letters agrees with the Character reading.
    @Test func plausibleNameOnBytesAgreesWithCharacters() {
        var generator = SeededGenerator(seed: 17)
        let pieces = ["a", "Z", "0", "9", ".", "/", "-", "_", "*", "@", "[", "`", "{", "\r\n", "\r", "\n", String(repeating: "/", count: 149), String(repeating: "x", count: 100)]
        var plausible = 0, implausible = 0
        for _ in 0..<3_000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...6, using: &generator) { s += pieces.randomElement(using: &generator)! }
            let byBytes = Reach.plausibleName(s)
            #expect(byBytes == Reach.plausibleNameByCharacters(s), "\(s.debugDescription)")
            if byBytes { plausible += 1 } else { implausible += 1 }
        }
        #expect(plausible > 500 && implausible > 500)
        #expect(Reach.plausibleName(String(repeating: "a\r\n", count: 149)) && !Reach.plausibleName(String(repeating: "a\r\n", count: 150)))
    }

    @Test func stringLiterals() {
        let text = "a = \"x/${y}.yaml\"\nb = \"esc\\\"aped\"\nc = \"${jsonencode({a = \"q\"})}\"\nd = \"unterminated\ne = \"é\"\r\n"
        #expect(Reach.stringLiterals(text) == ["x/${y}.yaml", "esc\"aped", "${jsonencode({a = \"q\"})}", "é"])
    }
}
