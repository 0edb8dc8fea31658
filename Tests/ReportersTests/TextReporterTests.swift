import AuditCore
import Testing
import TestSupport

@testable import Reporters

@Suite struct TextReporterTests {
    /// A one-file report with one finding over `needle` in `text`.
    func render(_ text: String, _ needle: String, severity: Severity = .error, message: String = "m", color: Bool = false, width: Int = 100) -> [String] {
        let file = SourceFile(path: "f.tf", text: text)
        let finding = Finding(ruleId: "TF-1", severity: severity, message: message, location: Fixture.range(file, needle))
        let report = Report(toolVersion: "0", target: "5.0.0", filesScanned: 1, filesByKind: [:], modules: [], findings: [finding], rules: [])
        let out = Reporters.render(report, as: .text, options: RenderOptions(color: color, sources: [file.path: file], lineWidth: width))
        return out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The snippet and underline lines of a rendering.
    func snippet(_ lines: [String]) -> (String, String) {
        let i = lines.firstIndex { $0.hasPrefix("    1 |") || $0.contains(" | ") }!
        return (lines[i], lines[i + 1])
    }

    @Test func underlineMatchesRangeOnPlainASCII() {
        let (source, underline) = snippet(render("name = \"value\"\n", "\"value\""))
        #expect(source == "    1 | name = \"value\"")
        #expect(underline == "      |        ^~~~~~~")
    }

    @Test func tabsExpandConsistentlyInLineAndUnderline() {
        let (source, underline) = snippet(render("\tkey =\t\"v\"\n", "\"v\""))
        // Tab at column 0 fills to 4; after "key =" (col 9) the next tab fills to 12.
        #expect(source == "    1 |     key =   \"v\"")
        #expect(underline == "      |             ^~~")
    }

    @Test func wideAndCombiningCharactersKeepTheUnderlineAligned() {
        let (source, underline) = snippet(render("a = \"日本\" # e\u{301}\n", "\"日本\""))
        #expect(source == "    1 | a = \"日本\" # e\u{301}")
        // The quotes take one column each, each ideograph two.
        #expect(underline == "      |     ^~~~~~")
        let (_, afterCombining) = snippet(render("x = \"e\u{301}\" + y\n", "y"))
        // `é` is two scalars (e + U+0301) but one column: `x = "é" + ` is 10 columns.
        #expect(afterCombining == "      |           ^")
    }

    @Test func crlfAndByteOrderMarkDoNotShiftTheUnderline() {
        let (source, underline) = snippet(render("\u{FEFF}a = \"x\"\r\nb = 2\r\n", "\"x\""))
        #expect(source == "    1 | \u{FEFF}a = \"x\"")
        #expect(underline == "      |     ^~~")
    }

    @Test func multiLineRangeIsUnderlinedToTheEndOfItsFirstLine() {
        let (source, underline) = snippet(render("block {\n  a = 1\n}\n", "block {\n  a = 1\n}"))
        #expect(source == "    1 | block {")
        #expect(underline == "      | ^~~~~~~")
    }

    @Test func emptyRangeGetsASingleCaret() {
        let file = SourceFile(path: "f.tf", text: "abc\n")
        let finding = Finding(ruleId: "X", severity: .note, message: "m", location: file.range(from: 1, to: 1))
        let report = Report(toolVersion: "0", target: "t", filesScanned: 1, filesByKind: [:], modules: [], findings: [finding], rules: [])
        let out = Reporters.render(report, as: .text, options: RenderOptions(sources: [file.path: file]))
        #expect(out.contains("    1 | abc\n      |  ^\n"))
    }

    @Test func controlCharactersFromTheFileAreNeverWrittenRaw() {
        let lines = render("x = \"\u{1B}[2J\u{202E}evil\"\n", "evil")
        let (source, underline) = snippet(lines)
        #expect(!lines.joined().unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E })
        #expect(source == "    1 | x = \"\u{241B}[2J<U+202E>evil\"")
        // `x = "` 5 columns, the ESC picture 1, `[2J` 3, `<U+202E>` 8.
        #expect(underline == "      | " + String(repeating: " ", count: 17) + "^~~~")
    }

    @Test func noColourMeansNoEscapeSequences() {
        let plain = render(Fixture.mainTF.text, "version", severity: .warning)
        #expect(!plain.joined().contains("\u{1B}"))
        let coloured = render(Fixture.mainTF.text, "version", severity: .warning, color: true)
        #expect(coloured.joined().contains("\u{1B}[1;33mwarning\u{1B}[0m\u{1B}[1m[TF-1]\u{1B}[0m"))
    }

    @Test func longLinesAreShownAsAWindowAroundTheRange() {
        let text = String(repeating: "a", count: 300) + "TARGET" + String(repeating: "b", count: 300) + "\n"
        let (source, underline) = snippet(render(text, "TARGET", width: 80))
        #expect(source.hasPrefix("    1 | …"))
        #expect(source.hasSuffix("…"))
        #expect(TerminalText.displayWidth(source) <= 80)
        let caret = underline.firstIndex(of: "^")!
        let offset = underline.distance(from: underline.startIndex, to: caret)
        let target = source.range(of: "TARGET")!.lowerBound
        #expect(offset == source.distance(from: source.startIndex, to: target))
        #expect(underline.hasSuffix("^~~~~~"))
    }

    /// The snippet computes a long line's cells only as far as its window reaches; it must show
    /// what it shows from every cell of the line (as it did before), for ranges anywhere on lines
    /// of tabs, wide, combining and control characters, at any width.
    @Test func snippetWindowAgreesWithComputingEveryCell() {
        func everyCell(_ reporter: TextReporter, _ file: SourceFile, _ range: SourceRange) -> [String] {
            let scalars = Array(file.lineText(range.start.line).unicodeScalars)
            let start = min(max(range.start.column - 1, 0), scalars.count)
            let end = range.end.line == range.start.line ? min(max(range.end.column - 1, start), scalars.count) : scalars.count
            var cells: [TerminalText.Cell] = []
            var column = 0
            for scalar in scalars {
                cells.append(TerminalText.cell(scalar, atColumn: column))
                column += cells[cells.count - 1].width
            }
            return reporter.snippetLines(cells: cells, column: column, start: start, end: end, line: range.start.line, severity: .error)
        }
        var rng = SeededGenerator(seed: 20)
        let pieces = ["a", "b", " ", "\t", "日", "e\u{301}", "\u{200B}", "\u{1B}", "é", "😀", "x = ", "\"", "\u{FEFF}", "#"]
        for _ in 0..<3_000 {
            let length = Int.random(in: 0...400, using: &rng)
            var line = ""
            for _ in 0..<length { line += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
            let text = "first\n" + line + "\n" + (Bool.random(using: &rng) ? "last\n" : "")
            let file = SourceFile(path: "f.tf", text: text)
            let lineStart = 6, lineEnd = 6 + line.utf8.count
            let a = Int.random(in: lineStart...lineEnd, using: &rng)
            let b = Bool.random(using: &rng) ? Int.random(in: a...lineEnd, using: &rng) : Int.random(in: a...file.bytes.count, using: &rng)
            let range = file.range(from: a, to: b)
            let width = [40, 60, 80, 100, 200][Int.random(in: 0..<5, using: &rng)]
            let reporter = TextReporter(report: Report(toolVersion: "0", target: "t", filesScanned: 1, filesByKind: [:], modules: [], findings: [], rules: []),
                                        options: RenderOptions(sources: [file.path: file], lineWidth: width))
            let shown = reporter.snippet(range, severity: .error)
            #expect(shown == everyCell(reporter, file, range), "line \(line.debugDescription), bytes \(a)..<\(b), width \(width)")
        }
    }

    @Test func summaryLineCountsWithSingularAndPlural() {
        let file = SourceFile(path: "a.tf", text: "x\n")
        let at = file.range(from: 0, to: 1)
        func finding(_ s: Severity, _ path: String = "a.tf") -> Finding {
            Finding(ruleId: "R", severity: s, message: "m", location: SourceRange(path: path, start: at.start, end: at.end))
        }
        func summary(_ findings: [Finding]) -> String {
            let report = Report(toolVersion: "0", target: "t", filesScanned: 3, filesByKind: [:], modules: [], findings: findings, rules: [])
            // The totals line comes before what was audited (issue 18 §2).
            let lines = Reporters.render(report, as: .text).split(separator: "\n")
            #expect(lines.last == "audited: no runner module call found")
            return String(lines[lines.count - 2])
        }
        #expect(summary([finding(.error)]) == "1 error, 0 warnings, 0 notes in 1 file")
        #expect(summary([finding(.error), finding(.warning, "b.tf"), finding(.warning, "b.tf"), finding(.note)]) == "1 error, 2 warnings, 1 note in 2 files")
        #expect(summary([]) == "no findings (3 files scanned)")
    }

    @Test func detailIsWrappedAndIndented() {
        let words = Array(repeating: "word", count: 30).joined(separator: " ")
        let file = SourceFile(path: "f.tf", text: "x\n")
        let finding = Finding(ruleId: "R", severity: .error, message: "m", detail: words, location: file.range(from: 0, to: 1))
        let report = Report(toolVersion: "0", target: "t", filesScanned: 1, filesByKind: [:], modules: [], findings: [finding], rules: [])
        let lines = Reporters.render(report, as: .text, options: RenderOptions(lineWidth: 44)).split(separator: "\n")
        let detail = lines.filter { $0.hasPrefix("    word") }
        #expect(detail.count == 4)
        #expect(detail.allSatisfy { $0.count <= 44 })
        #expect(detail.joined(separator: " ").split(separator: " ").count == 30)
    }

    @Test func wrapKeepsBlankLinesAndHangsBullets() {
        let lines = TerminalText.wrap("first para\n\n- a bullet that wraps here", width: 14)
        #expect(lines == ["first para", "", "- a bullet", "  that wraps", "  here"])
    }

    /// The text report of one finding on `file`'s `a` whose fix ("do it") makes `edits`.
    func renderFix(_ edits: [TextEdit], in file: SourceFile) -> String {
        let finding = Finding(ruleId: "R", severity: .error, message: "m", location: Fixture.range(file, "a"), fix: Fix("do it", edits: edits))
        let report = Report(toolVersion: "0", target: "t", filesScanned: 1, filesByKind: [:], modules: [], findings: [finding], rules: [])
        return Reporters.render(report, as: .text, options: RenderOptions(sources: [file.path: file]))
    }

    @Test func fixPreviewShowsEditedLinesAndMultiLineEdits() {
        let file = SourceFile(path: "f.tf", text: "a = 1\nb = 2\nc = 3\n")
        let edits = [
            TextEdit(range: Fixture.range(file, "1"), newText: "10"),
            TextEdit(range: Fixture.range(file, "b = 2\n"), newText: ""),
            TextEdit(range: Fixture.range(file, "3"), newText: "[\n  3,\n]"),
        ]
        #expect(renderFix(edits, in: file).contains("""
                fix: do it
                  - a = 1
                  + a = 10
                  - b = 2
                  - c = 3
                  + c = [
                  +   3,
                  + ]

            """))
    }

    /// A CRLF file's hunk is split into its lines, without their "\r": a `Character` split missed
    /// the "\n" of every "\r\n" and showed the whole hunk as one line.
    @Test func fixPreviewSplitsCRLFLines() {
        let file = SourceFile(path: "f.tf", text: "a = 1\r\nb = 2\r\nc = 3\r\n")
        let edits = [TextEdit(range: Fixture.range(file, "1\r\nb = 2"), newText: "10\r\nb = 20")]
        #expect(renderFix(edits, in: file).contains("""
                fix: do it
                  - a = 1
                  - b = 2
                  + a = 10
                  + b = 20

            """))
        #expect(FixPreview.lines(Array("x\r\ny\n\nz".utf8)[...]) == ["x", "y", "", "z"])
        #expect(FixPreview.lines(Array("é\r\n".utf8)[...]) == ["é"])
        #expect(FixPreview.lines([][...]).isEmpty)
    }

    @Test func fixEditsInOtherOrUnknownFilesAreDescribed() {
        let file = SourceFile(path: "f.tf", text: "a = 1\n")
        let elsewhere = SourceRange(path: "other.tf", start: SourcePosition(line: 2, column: 3, offset: 9), end: SourcePosition(line: 2, column: 5, offset: 11))
        let insertion = SourceRange(path: "other.tf", start: SourcePosition(line: 4, column: 1, offset: 20), end: SourcePosition(line: 4, column: 1, offset: 20))
        let fix = Fix("do it", edits: [TextEdit(range: elsewhere, newText: "x"), TextEdit(range: insertion, newText: "y\n")])
        let finding = Finding(ruleId: "R", severity: .error, message: "m", location: Fixture.range(file, "a"), fix: fix)
        let report = Report(toolVersion: "0", target: "t", filesScanned: 1, filesByKind: [:], modules: [], findings: [finding], rules: [])
        let out = Reporters.render(report, as: .text, options: RenderOptions(sources: [file.path: file]))
        #expect(out.contains("      in other.tf:\n      other.tf:2:3-2:5: replace with `x`\n      other.tf:4:1: insert `y␊`\n"))
    }

    /// Printable ASCII is drawn as itself, one column each, without asking the Unicode tables:
    /// the tables agree for every such scalar, and sanitizing or measuring any mix of ASCII,
    /// tabs, controls and other scalars gives what drawing it scalar by scalar gives.
    @Test func printableASCIIFastPathAgreesWithTheTables() {
        for v in UInt32(0x20)..<0x7F {
            let scalar = Unicode.Scalar(v)!
            let category = scalar.properties.generalCategory
            #expect(![.nonspacingMark, .enclosingMark, .format].contains(category) && !scalar.properties.isEmojiPresentation
                    && !TerminalText.isEastAsianWide(v), "U+\(String(v, radix: 16))")
        }
        let pieces = ["plain words", " ", "\t", "\u{1B}[2J", "\u{7F}", "\u{85}", "日本", "e\u{301}", "\u{202E}", "🚀", "~", "\u{AD}"]
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            var text = ""
            for _ in 0..<Int.random(in: 0...8, using: &generator) { text += pieces.randomElement(using: &generator)! }
            var drawn = "", column = 0
            for scalar in text.unicodeScalars {
                let cell = TerminalText.cell(scalar, atColumn: column)
                drawn += cell.text
                column += cell.width
            }
            #expect(TerminalText.sanitized(text) == drawn, "\(text.debugDescription)")
            // The width of a sanitized line is the columns it was drawn in.
            #expect(TerminalText.displayWidth(drawn) == column, "\(text.debugDescription)")
        }
    }

    /// A line wraps on its bytes exactly as Character by Character, or says it cannot (a space
    /// joined to a combining mark after it or a prepended scalar before it).
    @Test func byteWrapAgreesWithTheCharacterWrap() {
        let words = ["a", "word", "longer-than-the-width-of-the-column", "- ", "* ", "  ", " ", "x=1", "`code`", "https://example.com/a/b",
                     "…", "→", "日本語", "e\u{301}", "\u{301}", "\u{200D}", "\u{0903}", "\u{0600}", "🚀", "🇫🇷", "<U+202E>"]
        var generator = SeededGenerator(seed: 11)
        var declined = 0, nonASCII = 0
        for _ in 0..<3_000 {
            var line = ""
            for _ in 0..<Int.random(in: 0...14, using: &generator) { line += words.randomElement(using: &generator)! }
            line = TerminalText.sanitized(line)
            if !TerminalText.isPrintableASCII(line) { nonASCII += 1 }
            for width in [1, 8, 20, 40] {
                let character = TerminalText.wrapLine(line, width: width)
                if let bytes = TerminalText.wrapOnBytes(line, width: width) {
                    #expect(bytes == character, "\(line.debugDescription) at \(width)")
                } else {
                    declined += 1
                    // Declined only where a space really is part of a larger Character.
                    #expect(line.contains { $0 != " " && $0.unicodeScalars.contains(" ") }, "\(line.debugDescription)")
                }
            }
        }
        #expect(declined > 0 && nonASCII > 1_000, "the generated lines exercise both paths")
    }
}
