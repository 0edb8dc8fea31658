import AuditCore
import Testing
@testable import HCL

struct LexerTests {
    func kinds(_ text: String, mode: HCLLexer.Mode = .config) -> [TokenKind] {
        HCLLexer.tokenize(SourceFile(path: "t.hcl", text: text), mode: mode).tokens.map(\.kind)
    }

    func texts(_ text: String) -> [String] {
        let source = SourceFile(path: "t.hcl", text: text)
        return HCLLexer.tokenize(source).tokens.map { source.text(from: $0.start, to: $0.end) }
    }

    @Test func operatorsAndPunctuation() {
        #expect(texts("a==b!=c<=d>=e&&f||g=>h...i::j") ==
            ["a", "==", "b", "!=", "c", "<=", "d", ">=", "e", "&&", "f", "||", "g", "=>", "h", "...", "i", "::", "j", ""])
        #expect(kinds("{}[]()=:,.?+-*/%!<>") == [.oBrace, .cBrace, .oBrack, .cBrack, .oParen, .cParen, .equal, .colon, .comma,
                                                .dot, .question, .plus, .minus, .star, .slash, .percent, .bang, .less, .greater, .eof])
    }

    @Test(arguments: [
        ("1", ["1"]), ("1.5", ["1.5"]), ("1e3", ["1e3"]), ("1.5E-2", ["1.5E-2"]), ("2e+10", ["2e+10"]),
        // A dot not followed by a digit is not part of the number; an `e` without digits neither.
        ("1.x", ["1", ".", "x"]), ("1e", ["1", "e"]), ("0.1.2", ["0.1", ".", "2"]),
    ])
    func numbers(input: String, expected: [String]) {
        #expect(Array(texts(input).dropLast()) == expected)
    }

    @Test func identifiersMayContainDashesAndUnicode() {
        #expect(Array(texts("foo-bar _x été a1").dropLast()) == ["foo-bar", "_x", "été", "a1"])
    }

    @Test func commentsAreTokensWithoutTheirLineBreak() {
        let source = SourceFile(path: "c.tf", text: "a = 1 # one\n// two\r\n/* three\n */ b = 2\n")
        let (tokens, diagnostics) = HCLLexer.tokenize(source)
        #expect(diagnostics.isEmpty)
        let comments = tokens.filter { $0.kind == .comment }.map { source.text(from: $0.start, to: $0.end) }
        #expect(comments == ["# one", "// two", "/* three\n */"])
        // Line comments are followed by a real newline token (the CRLF one spans two bytes).
        let newlines = tokens.filter { $0.kind == .newline }.map { $0.end - $0.start }
        #expect(newlines == [1, 2, 1])
        #expect(HCLLexer.comments(in: source).map(spot) == ["1:7-1:12@6-11", "2:1-2:7@12-18", "3:1-4:4@20-32"])
    }

    @Test func quotedStringTokens() {
        #expect(kinds("\"a${b}c%{if d}e%{endif}\"") == [
            .oQuote, .templateLiteral, .templateInterp, .identifier, .templateSeqEnd, .templateLiteral,
            .templateControl, .identifier, .identifier, .templateSeqEnd, .templateLiteral,
            .templateControl, .identifier, .templateSeqEnd, .cQuote, .eof,
        ])
        // Escaped quotes and template escapes stay inside the literal.
        #expect(texts(#""a\"b$${c}%%{d}""#) == ["\"", #"a\"b$${c}%%{d}"#, "\"", ""])
        // Strip markers belong to the sequence tokens.
        #expect(texts("\"${~ x ~}\"") == ["\"", "${~", "x", "~}", "\"", ""])
    }

    @Test func bracesInsideInterpolationDoNotEndIt() {
        #expect(kinds("\"${ {a = 1}.a }\"") == [.oQuote, .templateInterp, .oBrace, .identifier, .equal, .number, .cBrace,
                                               .dot, .identifier, .templateSeqEnd, .cQuote, .eof])
    }

    @Test func heredocTokens() {
        let text = "x = <<-EOT\n  a ${b}\n  EOT\ny = 1\n"
        let source = SourceFile(path: "h.tf", text: text)
        let (tokens, diagnostics) = HCLLexer.tokenize(source)
        #expect(diagnostics.isEmpty)
        let shown = tokens.map { "\($0.kind):\(source.text(from: $0.start, to: $0.end).debugDescription)" }
        #expect(shown == [
            "identifier:\"x\"", "equal:\"=\"", "oHeredoc:\"<<-EOT\"", "templateLiteral:\"  a \"", "templateInterp:\"${\"",
            "identifier:\"b\"", "templateSeqEnd:\"}\"", "templateLiteral:\"\\n\"", "cHeredoc:\"EOT\"", "newline:\"\\n\"",
            "identifier:\"y\"", "equal:\"=\"", "number:\"1\"", "newline:\"\\n\"", "eof:\"\"",
        ])
    }

    @Test func heredocMarkerMustStandAlone() {
        // `NOT EOT` and `EOTX` do not close the heredoc; `EOT` at the end of the file without a line break does.
        let source = SourceFile(path: "h.tf", text: "x = <<EOT\nNOT EOT\nEOTX\nEOT")
        let (tokens, diagnostics) = HCLLexer.tokenize(source)
        #expect(diagnostics.isEmpty)
        #expect(tokens.map(\.kind) == [.identifier, .equal, .oHeredoc, .templateLiteral, .cHeredoc, .eof])
    }

    @Test func heredocMarkerLineMayHaveTrailingSpaces() {
        let source = SourceFile(path: "h.tf", text: "x = <<-EOT\n  a\n  EOT  \t\ny = 1\n")
        let (tokens, diagnostics) = HCLLexer.tokenize(source)
        #expect(diagnostics.isEmpty)
        #expect(tokens.map(\.kind) == [.identifier, .equal, .oHeredoc, .templateLiteral, .cHeredoc, .newline,
                                       .identifier, .equal, .number, .newline, .eof])
    }

    @Test func byteOrderMarkIsSkipped() {
        let source = SourceFile(path: "b.tf", text: "\u{FEFF}a = 1")
        let (tokens, diagnostics) = HCLLexer.tokenize(source)
        #expect(diagnostics.isEmpty)
        #expect(tokens.first?.start == 3)
        #expect(tokens.first?.kind == .identifier)
    }

    @Test func templateModeReadsTheWholeFileAsText() {
        #expect(kinds("a ${b} \"c\" # d\n%{for x in y}z%{endfor}", mode: .template) == [
            .templateLiteral, .templateInterp, .identifier, .templateSeqEnd, .templateLiteral,
            .templateControl, .identifier, .identifier, .identifier, .identifier, .templateSeqEnd, .templateLiteral,
            .templateControl, .identifier, .templateSeqEnd, .eof,
        ])
    }

    @Test(arguments: [
        ("a = b & c", "1:7-1:8@6-7", "Unsupported operator `&`"),
        ("a = b | c", "1:7-1:8@6-7", "Unsupported operator `|`"),
        ("a = 1;", "1:6-1:7@5-6", "Invalid character `;`"),
        ("a = 'x y'", "1:5-1:10@4-9", "Single-quoted string"),
        ("a = ${b}", "1:5-1:6@4-5", "Invalid character `$`"),
        ("a = ~b", "1:5-1:6@4-5", "Invalid character `~`"),
        ("a = 1 << 2", "1:7-1:9@6-8", "Invalid heredoc introducer"),
        ("a = <<EOT b\n", "1:5-1:10@4-9", "Invalid heredoc introducer"),
        ("a =\u{00A0}1", "1:4-1:5@3-5", "Invalid whitespace character"),
        ("a = @@@", "1:5-1:8@4-7", "Invalid characters"),
        ("/* open", "1:1-1:3@0-2", "Unclosed comment"),
        ("a = \"open", "1:5-1:6@4-5", "Unclosed string"),
        ("a = <<EOT\ntext\n", "1:5-1:10@4-9", "Unclosed heredoc"),
        ("a = \"${b\"\n", "1:6-1:8@5-7", "Unclosed template sequence"),
    ])
    func lexicalErrorsAreLocated(input: String, at expected: String, summary: String) {
        let (_, diagnostics) = HCLLexer.tokenize(SourceFile(path: "e.tf", text: input))
        #expect(diagnostics.count == 1, "\(diagnostics.map(\.summary))")
        #expect(diagnostics.first.map { spot($0.range) } == expected)
        #expect(diagnostics.first?.summary == summary)
    }

    @Test(arguments: [
        ("a = 1\nb = 2\n", 0),
        ("a = [[1], {b = (2)}]\n", 3),
        ("a {\n  b {\n    c = \"${x}\"\n  }\n}\n", 4),
        // Unbracketed recursion counts within one item, and resets at the next line.
        ("a = -x ? !y : z\nb = -1\n", 3),
        // Every directive counts, closing ones too: the bound is loose but safe.
        ("a = \"%{ if x }%{ if y }z%{ endif }%{ endif }\"", 6),
    ])
    func depthBoundIsAnUpperBoundOfRecursion(input: String, expected: Int) {
        #expect(HCLLexer.scan(SourceFile(path: "d.tf", text: input), mode: .config).depthBound == expected)
    }

    @Test func unclosedStringEndsAtTheLineBreak() {
        // The next line is read normally, so one missing quote does not swallow the file.
        let (tokens, _) = HCLLexer.tokenize(SourceFile(path: "e.tf", text: "a = \"x\nb = 1\n"))
        #expect(tokens.map(\.kind) == [.identifier, .equal, .oQuote, .templateLiteral, .cQuote, .newline,
                                       .identifier, .equal, .number, .newline, .eof])
    }
}

/// The parser's position index (line hint, continuation-byte table) must give exactly what
/// `SourceFile.position(ofOffset:)` gives, for any offset asked in any order.
struct PositionIndexTests {
    func check(_ text: String, offsets: [Int]) {
        let source = SourceFile(path: "p.tf", text: text)
        var index = PositionIndex(source: source)
        for offset in offsets {
            #expect(index.position(offset) == source.position(ofOffset: offset), "offset \(offset) of \(text.utf8.count) bytes")
        }
        // Ranges (the end is computed from the start when both are on one line of an ASCII
        // file): from each offset to a few bytes further, to the next offset asked, and backwards.
        for (i, offset) in offsets.enumerated() {
            let next = offsets[(i + 1) % offsets.count]
            for end in [offset, offset + 1, offset + 7, next, offset - 3] {
                let expected = SourceRange(path: "p.tf", start: source.position(ofOffset: offset),
                                           end: source.position(ofOffset: max(offset, end)))
                #expect(index.range(offset, end) == expected, "range \(offset)..<\(end) of \(text.utf8.count) bytes")
            }
        }
    }

    @Test func agreesWithTheSourceFileOnASCIIAndMultibyteText() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "bc ", "\n", "\r\n", "é", "€", "𝄞", "  ", "x = \"ü\"\n", String(repeating: "y", count: 70), "\u{FEFF}"]
        for round in 0..<60 {
            var text = round % 3 == 0 ? "" : "\u{FEFF}"
            let count = Int.random(in: 0...400, using: &generator)
            for _ in 0..<count {
                // Every third file stays ASCII (no table), the others mix in 2-, 3- and 4-byte characters.
                let piece = pieces.randomElement(using: &generator)!
                if round % 3 == 0 && piece.utf8.count != piece.unicodeScalars.count { continue }
                text += piece
            }
            let n = text.utf8.count
            // Increasing, decreasing and random orders (the line hint moves both ways), plus out-of-range offsets.
            check(text, offsets: Array(0...n) + [-5, n + 3])
            check(text, offsets: Array((0...n).reversed()))
            check(text, offsets: (0..<200).map { _ in Int.random(in: 0...n, using: &generator) })
        }
    }

    @Test func emptyFileAndLongSingleLine() {
        check("", offsets: [0, 1, -1])
        let long = String(repeating: "é", count: 5_000) + "\n" + String(repeating: "a", count: 300)
        check(long, offsets: [0, 1, 2, 63, 64, 65, 9_999, 10_000, 10_001, 10_002, 10_301, 10_302, 4_000, 128])
    }
}
