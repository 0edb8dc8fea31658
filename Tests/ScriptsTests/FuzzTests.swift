import AuditCore
import Testing
@testable import Scripts
import TestSupport

/// Garbage in: the scanners and the analysis must return (no crash, no hang) and every range they
/// report must lie inside the file with line/column consistent with the byte offset.
@Suite struct FuzzTests {
    static let fragments: [String] = [
        "if", "then", "elif", "else", "fi", "case", "esac", "in", "do", "done", "while", "until", "for", "function",
        "{", "}", "(", ")", "((", "))", "[[", "]]", "[", "]", ";", ";;", "&", "&&", "|", "||", "!", "\n", "\r\n", " ",
        "\t", "\"", "'", "`", "$", "$(", "${", "$((", "$'", "<<", "<<-", "<<'EOF'", "EOF", "<<<", ">", ">>", "2>&1",
        "#", "\\", "\\\n", "=", "x=", "./config.sh", "run.sh", "--jitconfig", "$config", "aws ssm get-parameter",
        "--name", "\"$token_path/$instance_id\"", "enable_jit_config", "agent_mode", "ephemeral", "%{", "%{ if x }",
        "%{ endif }", "%{ else }", "$${", "%%{", "${start_runner}", "${", "~}", "é", "日本", "🚀", "@\"", "\"@",
        "@'", "'@", "<#", "#>", "-eq", "-and", "-or", "-not", "elseif", "switch", "param(", "Invoke-Expression",
        "$env:X", "@{", "@(", "`\n", ",", "::", "[string]", "<powershell>", "\u{0}", "\u{FEFF}",
    ]

    static func garbage(_ rng: inout SeededGenerator, count: Int) -> String {
        var s = ""
        for _ in 0..<count {
            if Int.random(in: 0..<10, using: &rng) == 0 {
                s.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
            } else {
                s += fragments[Int.random(in: 0..<fragments.count, using: &rng)]
            }
        }
        return s
    }

    static func checkRanges(_ report: ScriptReport, _ source: SourceFile) {
        var ranges: [SourceRange] = []
        for c in report.script.commands {
            ranges.append(c.range)
            ranges += c.words.map(\.range)
            ranges += c.conditions.map(\.range)
            ranges += c.assignments.map(\.range)
        }
        ranges += report.markers.map(\.range) + report.evidence.map(\.range) + report.diagnostics.map(\.range)
        ranges += report.script.placeholders.map(\.range) + report.script.functions.map(\.range)
        for r in ranges {
            #expect(r.start.offset >= 0 && r.start.offset <= r.end.offset && r.end.offset <= source.bytes.count)
            #expect(source.position(ofOffset: r.start.offset) == r.start)
            #expect(source.position(ofOffset: r.end.offset) == r.end)
        }
    }

    @Test(.timeLimit(.minutes(2)), arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func garbageNeverCrashesOrHangs(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for round in 0..<150 {
            let text = Self.garbage(&rng, count: Int.random(in: 0..<(round % 10 == 0 ? 600 : 80), using: &rng))
            let source = SourceFile(path: "fuzz.sh", text: text)
            for language in ScriptLanguage.allCases {
                for template in [false, true] {
                    let report = ScriptAnalysis.analyze(source, language: language, template: template)
                    Self.checkRanges(report, source)
                }
            }
        }
    }

    /// Realistic scripts with random deletions, insertions of shell punctuation and duplicated runs.
    @Test(.timeLimit(.minutes(2)))
    func mutatedCorpusNeverCrashes() {
        var rng = SeededGenerator(seed: 42)
        let punctuation = Array("\"'`$(){}[]#<>;&|\\\n%~@".utf8)
        for sample in Corpus.all {
            for _ in 0..<20 {
                var bytes = Array(sample.text.utf8)
                for _ in 0..<Int.random(in: 1...6, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes.remove(at: at)
                    case 1: bytes.insert(punctuation[Int.random(in: 0..<punctuation.count, using: &rng)], at: at)
                    default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int.random(in: 1...30, using: &rng))], at: at)
                    }
                }
                let source = SourceFile(path: "mutated", text: String(decoding: bytes, as: UTF8.self))
                for template in [false, true] {
                    Self.checkRanges(ScriptAnalysis.analyze(source, language: sample.language, template: template), source)
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func deepNestingIsBounded() {
        let depth = 1500
        let cases = [
            String(repeating: "$(", count: depth) + String(repeating: ")", count: depth),
            String(repeating: "if a; then ", count: depth),
            String(repeating: "{ ", count: depth) + "echo",
            String(repeating: "\"$(", count: depth),
            String(repeating: "((", count: depth),
            String(repeating: "${", count: depth),
            String(repeating: "cat <<EOF\n", count: 200) + String(repeating: "bash -c '", count: 200),
        ]
        for text in cases {
            let source = SourceFile(path: "deep.sh", text: text)
            for language in ScriptLanguage.allCases {
                let report = ScriptAnalysis.analyze(source, language: language, template: true)
                Self.checkRanges(report, source)
            }
        }
        let ps = String(repeating: "(", count: depth) + String(repeating: "{", count: depth) + String(repeating: "@(", count: depth)
        let report = ScriptAnalysis.analyze(SourceFile(path: "deep.ps1", text: ps), language: .powershell, template: false)
        #expect(report.diagnostics.contains { $0.summary == "nesting too deep" })
    }

    @Test(.timeLimit(.minutes(1)))
    func largeInputStaysFast() {
        // 0.5 MB of a realistic line repeated (debug build, shared cores): linear time keeps it well inside the limit.
        let line = "config=$(aws ssm get-parameter --name \"$token_path/$instance_id\" | jq -r .Parameter.Value) && ./config.sh $config\n"
        let text = String(repeating: line, count: 5_000)
        let report = analyze(text)
        #expect(report.contract == .tokenOnly)
        // Per line: the assignment, `aws`, `jq` and `config.sh`.
        #expect(report.script.commands.count == 20_000)
    }
}

/// The scripts' position index answers what `SourceFile.position(ofOffset:)` answers, on ASCII
/// files (where it takes the column from the line's start) and on the others (where it counts
/// scalars, from a checkpoint on long lines).
@Suite struct ColumnIndexTests {
    @Test func positionsAgreeWithTheSourceFile() {
        var generator = SeededGenerator(seed: 11)
        let pieces = ["echo a", " ", "\n", "\t", "$(x)", "é", "日本", "🚀", "e\u{301}", String(repeating: "y", count: 300), "\r\n"]
        var asciiFiles = 0, otherFiles = 0, offsets = 0
        for round in 0..<300 {
            var text = ""
            let asciiOnly = round % 2 == 0
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                let piece = pieces.randomElement(using: &generator)!
                if asciiOnly, !piece.utf8.allSatisfy({ $0 < 0x80 }) { continue }
                text += piece
            }
            let file = SourceFile(path: "s.sh", text: text)
            let index = ColumnIndex(file)
            #expect(ColumnIndex.allASCII(file.bytes) == file.bytes.allSatisfy { $0 < 0x80 })
            if file.bytes.allSatisfy({ $0 < 0x80 }) { asciiFiles += 1 } else { otherFiles += 1 }
            // Every scalar start, and the end of the file.
            var starts = file.bytes.indices.filter { file.bytes[$0] & 0xC0 != 0x80 }
            starts.append(file.bytes.count)
            for offset in starts {
                #expect(index.position(offset) == file.position(ofOffset: offset), "offset \(offset) of \(text.debugDescription)")
                offsets += 1
            }
        }
        #expect(asciiFiles > 100 && otherFiles > 100 && offsets > 10_000)
    }
}

/// The marker scanner skips a word when `ByteSet.mayHold` says no: that must never hide a needle
/// the word holds, with or without case.
@Suite struct ByteSetTests {
    @Test func aWordHoldingANeedleIsNeverSkipped() {
        var generator = SeededGenerator(seed: 3)
        let needles = ["enable_jit_config", "RUNNER_ALLOW_RUNASROOT", "/github-action-runners/", "c:\\start-runner.ps1", "x-aws-ec2-metadata-token"]
        let noise = ["a", "Z", "_", "/", "\\", ":", "-", ".", "é", "X-AWS", "C:", "runner", " "]
        var held = 0, skipped = 0
        for _ in 0..<3_000 {
            var word = ""
            for _ in 0..<Int.random(in: 0...8, using: &generator) { word += noise.randomElement(using: &generator)! }
            let needle = needles.randomElement(using: &generator)!
            if Bool.random(using: &generator) {
                let cased = Bool.random(using: &generator) ? needle.uppercased() : needle
                word.insert(contentsOf: cased, at: word.index(word.startIndex, offsetBy: Int.random(in: 0...word.count, using: &generator)))
            }
            let bytes = Array(word.utf8)
            let set = ByteSet(bytes, 0, bytes.count)
            let exact = word.utf8.count >= needle.utf8.count && word.containsBytes(needle)
            let ignoringCase = word.lowercased().containsBytes(needle.lowercased())
            if exact { #expect(set.mayHold(ByteSet(needle: needle)), "\(word.debugDescription) holds \(needle)") }
            if ignoringCase { #expect(set.caseFolded.mayHold(ByteSet(needle: needle, caseInsensitive: true)), "\(word.debugDescription) holds \(needle) ignoring case") }
            if ignoringCase { held += 1 }
            if !set.caseFolded.mayHold(ByteSet(needle: needle, caseInsensitive: true)) { skipped += 1 }
        }
        #expect(held > 1_000 && skipped > 500, "both outcomes are exercised")
        // Folding adds the lower case of each upper-case letter and nothing else.
        let all = (0...255).map { UInt8($0) }
        let folded = ByteSet(Array("AZ[@az".utf8), 0, 6).caseFolded
        #expect(all.filter { folded.contains($0) } == Array("@AZ[az".utf8).sorted())
    }
}
