import Testing
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

    @Test func stringLiterals() {
        let text = "a = \"x/${y}.yaml\"\nb = \"esc\\\"aped\"\nc = \"${jsonencode({a = \"q\"})}\"\nd = \"unterminated\ne = \"é\"\r\n"
        #expect(Reach.stringLiterals(text) == ["x/${y}.yaml", "esc\"aped", "${jsonencode({a = \"q\"})}", "é"])
    }
}
