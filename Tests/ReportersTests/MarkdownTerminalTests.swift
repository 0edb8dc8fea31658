import AuditCore
import Foundation
import Testing
import TestSupport

@testable import Reporters

/// `ghr-audit explain` on a terminal (issue 20 §3): every rule page wrapped to the width, without
/// Markdown syntax, its code blocks whole.
@Suite("explain: rule pages rendered for a terminal")
struct MarkdownTerminalTests {
    /// Every generated rule page (docs/rules/RULE.md), by name.
    static func pages() throws -> [(String, String)] {
        let dir = TestPaths.packageRoot.appendingPathComponent("docs/rules")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted()
        return try names.map { ($0, try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// The lines inside the page's fenced code blocks.
    static func codeLines(_ markdown: String) -> Set<String> {
        var out: Set<String> = []
        var fence: String?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let f = fence {
                if line.hasPrefix(f) && line.allSatisfy({ $0 == "`" }) { fence = nil } else if !line.isEmpty { out.insert(line) }
            } else if line.hasPrefix("```") {
                fence = String(line.prefix { $0 == "`" })
            }
        }
        return out
    }

    @Test("every rule page: prose within the width, no Markdown syntax left, code blocks verbatim and indented", arguments: [80, 52])
    func everyRulePage(width: Int) throws {
        let pages = try Self.pages()
        #expect(pages.count > 40)
        for (name, markdown) in pages {
            let out = MarkdownTerminal.render(markdown, width: width)
            let code = Self.codeLines(markdown)
            let quoting = Set(MarkdownText.pieces(markdown).flatMap { piece -> [String] in
                guard case .code(let span) = piece, span.hasPrefix("``") else { return [] }
                return span.split(separator: " ").filter { $0.contains("`") && !$0.hasPrefix("``") && !$0.hasSuffix("``") }.map(String.init)
            })
            var shownCode: Set<String> = []
            for line in out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix("      "), code.contains(String(line.dropFirst(6))) {
                    shownCode.insert(String(line.dropFirst(6)))
                    continue
                }
                // A line may pass the width only when it is one unbreakable word (a URL).
                let words = line.split(separator: " ")
                #expect(TerminalText.displayWidth(line) <= width || words.count == 1 || (words.count == 2 && words[0] == "-"),
                        "\(name): too wide at \(width): \(line)")
                // Backticks only where a code span's text has them (a double-backtick span quoting a name).
                let ticked = line.split(separator: " ").filter { $0.contains("`") }.map(String.init)
                #expect(ticked.allSatisfy(quoting.contains), "\(name): a backtick: \(line)")
                #expect(!line.hasPrefix("#"), "\(name): a heading marker: \(line)")
                #expect(!line.contains("**"), "\(name): strong emphasis markers: \(line)")
                #expect(!line.contains("]("), "\(name): a link's syntax: \(line)")
                #expect(!line.contains("|"), "\(name): a table's pipe: \(line)")
                #expect(!line.contains("<!--"), "\(name): the generated banner: \(line)")
            }
            #expect(shownCode == code, "\(name): code lines missing: \(code.subtracting(shownCode).sorted())")
            // The page's title and severity are there, as text.
            let title = markdown.split(separator: "\n").first { $0.hasPrefix("# ") }.map { MarkdownTerminal.inline(String($0.dropFirst(2))) } ?? ""
            let titleLines = TerminalText.wrap(title, width: width)
            #expect(out.hasPrefix(titleLines.joined(separator: "\n") + "\n" + String(repeating: "=", count: titleLines.map(TerminalText.displayWidth).max()!) + "\n"), "\(name)")
            #expect(out.contains("Default severity  "), "\(name)")
        }
    }

    @Test("inline Markdown becomes plain text; code spans are never split over lines")
    func inline() {
        #expect(MarkdownTerminal.inline("set `enable_jit_config = false` in **every** fleet") == "set enable_jit_config = false in every fleet")
        #expect(MarkdownTerminal.inline("see [`v6.0.0:variables.tf`](https://x.example/v) or <https://y.example>") == "see v6.0.0:variables.tf (https://x.example/v) or https://y.example")
        #expect(MarkdownTerminal.inline("a \\| b \\* c") == "a | b * c")
        #expect(MarkdownTerminal.inline("`` a`b ``") == "a`b")
        #expect(MarkdownTerminal.inline("terminal \u{1B}[2J escape") == "terminal \u{241B}[2J escape")
        let wrapped = MarkdownTerminal.render("Suppress it with a comment on the line before it: `# ghr-audit:ignore JIT-101 -- <reason>`.\n", width: 50)
        #expect(wrapped == "Suppress it with a comment on the line before it:\n# ghr-audit:ignore JIT-101 -- <reason>.\n")
    }

    @Test("tables, lists and fences")
    func blocks() {
        let md = """
            <!-- banner -->

            # T

            | | |
            |---|---|
            | Id | `X-1` |
            | Tags | `a`, `b` |

            ## Part

            - one item that is long enough to be wrapped at a narrow width here
              and continues
            - two

            ````bash
            echo "```"
            ````
            """
        #expect(MarkdownTerminal.render(md, width: 40) == """
            T
            =

              Id    X-1
              Tags  a, b

            Part

              - one item that is long enough to be
                wrapped at a narrow width here and
                continues
              - two

                  echo "```"

            """)
    }

    @Test("the width: the terminal's, else COLUMNS, else 80")
    func width() {
        #expect(MarkdownTerminal.width(terminalColumns: 132, environment: ["COLUMNS": "60"]) == 132)
        #expect(MarkdownTerminal.width(terminalColumns: nil, environment: ["COLUMNS": "60"]) == 60)
        #expect(MarkdownTerminal.width(terminalColumns: nil, environment: ["COLUMNS": "wide"]) == 80)
        #expect(MarkdownTerminal.width(terminalColumns: 0, environment: [:]) == 80)
    }
}
