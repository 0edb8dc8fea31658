import AuditCore
import Foundation
import Testing
@testable import Gate

/// Deterministic pseudo-random numbers (a linear congruential generator).
private struct Random {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(max(1, bound)))
    }
}

/// Fragments that exercise every lexer state: quotes, escapes, interpolations, heredocs, block
/// comments, block scalars, directives.
private let fragments = [
    "#", "//", "/*", "*/", "<#", "#>", "\"", "'", "`", "\\", "$", "${", "$(", "%{", "}", ")", "(", "{", "[", "]",
    "<<", "<<-", "EOF", "EOT", "@\"", "\"@", "@'", "'@", "|", ">-", ": ", "- ", "\n", "\r\n", " ", "\t", "é", "✓",
    "ghr-audit:ignore ", "JIT-101", ",", " -- ", "exp:2025-01-01 ", "reason", "x = 1", "key", "--", "\u{FEFF}",
    "\n# ghr-audit:ignore JIT-101 -- why\n", " # ghr-audit:ignore JIT-101,JIT-102 exp:2030-01-01 -- r\n",
    "\n// ghr-audit:ignore JIT-101\n", "<# ghr-audit:ignore JIT-101 -- r #>", "\n# ghr-audit:ignore jit-1 --\n",
]

private func randomText(_ rng: inout Random, length: Int) -> String {
    (0..<length).map { _ in fragments[rng.next(fragments.count)] }.joined()
}

@Suite("Robustness on arbitrary input")
struct RobustnessTests {
    @Test(arguments: SuppressionLanguage.allCases)
    func suppressionParsingNeverFailsAndStaysInBounds(_ language: SuppressionLanguage) {
        var rng = Random(state: UInt64(language.rawValue.utf8.count) * 7919)
        let known = KnownRuleIds(["JIT-101"])
        var found = 0
        for round in 0..<400 {
            let text = randomText(&rng, length: 1 + rng.next(60))
            let source = SourceFile(path: "f", text: text)
            let (suppressions, problems) = Suppression.parse(source, language: language)
            found += suppressions.count + problems.count
            for s in suppressions {
                #expect(s.range.end.offset <= source.bytes.count)
                #expect(s.line.map { $0 >= 1 && $0 <= source.lineCount } ?? true)
                #expect(!s.rules.isEmpty)
                #expect(s.removal.range.start.offset <= s.range.start.offset && s.removal.range.end.offset >= s.range.end.offset)
                #expect(throws: Never.self) { try FixApplier.apply([s.removal], to: source).get() }
            }
            for p in problems { #expect(p.range.end.offset <= source.bytes.count) }
            let findings = (1...source.lineCount).map { finding("JIT-101", source, line: $0) }
            let r = Suppression.apply(findings: findings, suppressions: suppressions, problems: problems, knownRuleIds: known,
                                      today: Date(timeIntervalSince1970: 1_700_000_000))
            #expect(r.kept.count + r.suppressed.count == findings.count, "round \(round)")
        }
        // The generator does produce directives, so the checks above were exercised.
        #expect(language == .none ? found == 0 : found > 20, "\(found) directives")
    }

    @Test func configParsingNeverFails() {
        var rng = Random(state: 2024)
        let keys = ["target", "rules", "enable", "disable", "severity", "include", "exclude", "var_files", "vars", "fail_on", "baseline"]
        for _ in 0..<400 {
            var text = ""
            for _ in 0..<(1 + rng.next(8)) {
                text += String(repeating: " ", count: rng.next(6)) + keys[rng.next(keys.count)] + ":" + randomText(&rng, length: rng.next(6)) + "\n"
            }
            let source = SourceFile(path: ".ghr-audit.yml", text: text)
            let (_, problems) = GateConfig.parse(source, knownRuleIds: KnownRuleIds(["JIT-101"]))
            for p in problems { #expect(p.range.end.offset <= source.bytes.count && p.range.start.offset <= p.range.end.offset) }
        }
    }

    @Test func fixApplicationMatchesAStraightforwardModel() throws {
        var rng = Random(state: 99)
        for _ in 0..<500 {
            let alphabet: [Character] = ["a", "b", "\n", "c", "é"]
            let text = String((0..<(rng.next(30))).map { _ in alphabet[rng.next(alphabet.count)] })
            let source = SourceFile(path: "f", text: text)
            var edits: [TextEdit] = []
            for _ in 0..<rng.next(5) {
                let a = rng.next(source.bytes.count + 1), b = a + rng.next(source.bytes.count - a + 1)
                edits.append(TextEdit(range: source.range(from: a, to: b), newText: ["", "X", "YZ"][rng.next(3)]))
            }
            // Model: keep edits greedily in order unless they overlap an earlier kept one, then
            // apply the kept ones from the highest offset down.
            var kept: [TextEdit] = []
            for e in edits {
                let s = e.range.start.offset, t = e.range.end.offset
                func splits(_ i: Int) -> Bool { i < source.bytes.count && source.bytes[i] & 0xC0 == 0x80 }
                if splits(s) || splits(t) { continue }                                 // dropped: inside `é`
                let clash = kept.contains { k in
                    let ks = k.range.start.offset, kt = k.range.end.offset
                    if ks == s, kt == t, k.newText == e.newText { return true }    // duplicates are dropped silently
                    return (s < kt && ks < t) || (s == t && ks < s && s < kt) || (ks == kt && s < ks && ks < t)
                }
                if !clash { kept.append(e) }
            }
            var bytes = source.bytes
            let order = kept.enumerated().sorted { x, y in
                let (a, b) = (x.element.range, y.element.range)
                if a.start.offset != b.start.offset { return a.start.offset > b.start.offset }
                let ai = a.isEmpty, bi = b.isEmpty
                if ai != bi { return !ai }
                return x.offset > y.offset
            }
            for (_, e) in order {
                bytes.replaceSubrange(e.range.start.offset..<e.range.end.offset, with: Array(e.newText.utf8))
            }
            let expected = String(decoding: bytes, as: UTF8.self)
            switch FixApplier.apply(edits, to: source) {
            case .success(let out): #expect(out == expected, "\(text.debugDescription)")
            case .failure(let c): #expect(c.partialText == expected, "\(text.debugDescription)")
            }
        }
    }
}

extension Random: RandomNumberGenerator {
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}
