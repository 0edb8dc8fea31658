import AuditCore
import Foundation
import Testing
@testable import Gate

private func parse(_ path: String, _ text: String) -> (suppressions: [Suppression], problems: [Suppression.Problem], source: SourceFile) {
    let source = SourceFile(path: path, text: text)
    let (s, p) = Suppression.parse(source)
    return (s, p, source)
}

@Suite("Suppression directives: parsing")
struct SuppressionParseTests {
    // MARK: Every language, and the `#` that is not a comment

    @Test func hclHashAndSlashCommentsButNotStringsOrHeredocs() {
        let text = """
        # ghr-audit:ignore JIT-101 -- the AMI is rebuilt elsewhere
        module "runners" {
          description = "see # ghr-audit:ignore JIT-102 -- not a comment"
          name        = "${"#"} ghr-audit:ignore JIT-103 -- not one either"
          policy      = <<-EOT
            # ghr-audit:ignore JIT-104 -- heredoc content
          EOT
          enable_ephemeral_runners = true // ghr-audit:ignore JIT-105 -- trailing
          /* ghr-audit:ignore JIT-106 -- block comment */
          enable_jit_config = false
        }
        """
        let r = parse("main.tf", text)
        #expect(r.problems.isEmpty)
        #expect(r.suppressions.map { $0.rules.map(\.id) } == [["JIT-101"], ["JIT-105"], ["JIT-106"]])
        #expect(r.suppressions.map(\.line) == [2, 8, 10])
        #expect(r.suppressions.map(\.isTrailing) == [false, true, false])
        #expect(r.suppressions[0].reason == "the AMI is rebuilt elsewhere")
    }

    @Test func hclUnterminatedStringRecoversAtEndOfLine() {
        let text = """
        a = "no closing quote
        # ghr-audit:ignore JIT-101 -- still seen
        b = 1
        """
        let r = parse("x.tf", text)
        #expect(r.suppressions.map(\.line) == [3])
    }

    @Test func yamlCommentsButNotQuotedOrBlockScalars() {
        let text = """
        runner_config:
          # ghr-audit:ignore JIT-101 -- line above
          enable_ephemeral_runners: true
          note: "quoted # ghr-audit:ignore JIT-102 -- not a comment"
          other: 'it''s # ghr-audit:ignore JIT-103 -- still quoted'
          url: https://example.com/#ghr-audit:ignore JIT-104 -- no space before the hash
          script: |
            # ghr-audit:ignore JIT-105 -- block scalar content
            echo hi
          enable_jit_config: false # ghr-audit:ignore JIT-106 -- trailing
          steps:
            - run: >-
                # ghr-audit:ignore JIT-107 -- folded content
              name: after the block  # ghr-audit:ignore JIT-108 -- trailing after block
        """
        let r = parse("runner-configs/linux.yaml", text)
        #expect(r.problems.isEmpty)
        #expect(r.suppressions.map { $0.rules[0].id } == ["JIT-101", "JIT-106", "JIT-108"])
        #expect(r.suppressions.map(\.line) == [3, 10, 14])
    }

    @Test func yamlMultiLineQuotedScalar() {
        let text = """
        a: "first line
          # ghr-audit:ignore JIT-101 -- inside the quoted scalar"
        # ghr-audit:ignore JIT-102 -- real
        b: c
        """
        let r = parse("c.yml", text)
        #expect(r.suppressions.map { $0.rules[0].id } == ["JIT-102"])
    }

    @Test func bashCommentsButNotQuotesExpansionsOrHeredocs() {
        let text = #"""
        #!/bin/bash
        echo "# ghr-audit:ignore SH-401 -- double quoted"
        echo '# ghr-audit:ignore SH-402 -- single quoted'
        echo $'it\'s # ghr-audit:ignore SH-403 -- ANSI-C quoted'
        n=${#runners[@]} # ghr-audit:ignore SH-404 -- after a length expansion
        echo a#b ghr-audit:ignore SH-405 -- mid-word hash
        cat <<-'EOF' > /etc/motd
        	# ghr-audit:ignore SH-406 -- heredoc body
        	EOF
        x=$(echo "$(printf '#')") # ghr-audit:ignore SH-407 -- after nested substitutions
        # ghr-audit:ignore SH-408 -- line above
        ./config.sh --unattended $cfg
        echo $((1<<2)) # ghr-audit:ignore SH-409 -- shift is not a heredoc
        """#
        let r = parse("templates/user-data.sh", text)
        #expect(r.problems.isEmpty)
        #expect(r.suppressions.map { $0.rules[0].id } == ["SH-404", "SH-407", "SH-408", "SH-409"])
        #expect(r.suppressions.map(\.line) == [5, 10, 12, 13])
    }

    @Test func powershellLineAndBlockCommentsButNotStrings() {
        let text = """
        <powershell>
        $msg = "# ghr-audit:ignore PS-501 -- double quoted"
        $lit = '# ghr-audit:ignore PS-502 -- single quoted'
        $doc = @"
        # ghr-audit:ignore PS-503 -- here-string
        "@
        <# ghr-audit:ignore PS-504 -- block comment above #>
        & .\\config.cmd --unattended $config
        Start-Service runner # ghr-audit:ignore PS-505 -- trailing
        <#
          Notes for maintainers.
          ghr-audit:ignore PS-506 -- inside a longer block
        #>
        Write-Host "done"
        </powershell>
        """
        let r = parse("templates/start-runner.ps1", text)
        #expect(r.problems.isEmpty)
        #expect(r.suppressions.map { $0.rules[0].id } == ["PS-504", "PS-505", "PS-506"])
        #expect(r.suppressions.map(\.line) == [8, 9, 14])
    }

    @Test func scriptsEmbeddedInTerraformHeredocs() throws {
        let text = """
        module "runners" {
          # ghr-audit:ignore TF-120 -- host directive
          userdata_pre_install = <<-EOT
            #!/bin/bash
            echo "# ghr-audit:ignore SH-401 -- quoted, not a comment"
            # ghr-audit:ignore SH-402 -- inside the script
            ./config.sh --url "$url" --token "$token"
          EOT
        }
        """
        let source = SourceFile(path: "main.tf", text: text)
        let (plain, _) = Suppression.parse(source)
        #expect(plain.map { $0.rules[0].id } == ["TF-120"])     // without help the heredoc is data
        let start = source.lineStarts[3], end = source.lineStarts[7]
        let (s, p) = Suppression.parse(source, embedded: [.init(bytes: start..<end, language: .bash)])
        #expect(p.isEmpty)
        #expect(s.map { $0.rules[0].id } == ["TF-120", "SH-402"])
        #expect(s.map(\.line) == [3, 7])
        #expect(source.text(of: s[1].removal.range) == "    # ghr-audit:ignore SH-402 -- inside the script\n")
    }

    @Test func scriptsEmbeddedInYAMLBlockScalarsWithIndentedHeredocs() {
        let text = """
        steps:
          - run: |
              cat <<EOF > notes.txt
              # ghr-audit:ignore SH-401 -- heredoc body, not a comment
              EOF
              # ghr-audit:ignore SH-402 -- after the heredoc
              ./config.sh $cfg
        """
        let source = SourceFile(path: ".github/workflows/ci.yml", text: text)
        let start = source.lineStarts[2]
        let (s, p) = Suppression.parse(source, embedded: [.init(bytes: start..<source.bytes.count, language: .bash)])
        #expect(p.isEmpty)
        #expect(s.map { $0.rules[0].id } == ["SH-402"])
        #expect(s.map(\.line) == [7])
    }

    @Test func jsonHasNoComments() {
        let r = parse("policy.json", ##"{"Sid": "# ghr-audit:ignore IAM-301 -- no"}"##)
        #expect(r.suppressions.isEmpty && r.problems.isEmpty)
    }

    // MARK: Scope

    @Test func lineAboveSkipsBlankAndCommentLinesAndStackedDirectivesShareTheTarget() {
        let text = """
        # ghr-audit:ignore JIT-101 -- one

        # an ordinary comment
        # ghr-audit:ignore JIT-102 -- two
        enable_jit_config = false
        """
        let r = parse("main.tf", text)
        #expect(r.suppressions.map(\.line) == [5, 5])
    }

    @Test func directiveAtEndOfFileAppliesToNothing() {
        let r = parse("main.tf", "a = 1\n# ghr-audit:ignore JIT-101 -- trailing directive\n")
        #expect(r.suppressions.count == 1)
        #expect(r.suppressions[0].line == nil)
    }

    // MARK: Anatomy and exact ranges

    @Test func idsExpiryReasonAndRanges() throws {
        let text = "x = 1\n  # ghr-audit:ignore JIT-101, TF-102 exp:2026-01-31 -- é rebuilt -- twice\ny = 2\n"
        let r = parse("main.tf", text)
        #expect(r.problems.isEmpty)
        let s = try #require(r.suppressions.first)
        #expect(s.rules.map(\.id) == ["JIT-101", "TF-102"])
        #expect(s.expiry == CalendarDate(year: 2026, month: 1, day: 31))
        #expect(s.reason == "é rebuilt -- twice")
        #expect(s.range.start == SourcePosition(line: 2, column: 5, offset: 10))
        #expect(r.source.text(of: s.range) == "ghr-audit:ignore JIT-101, TF-102 exp:2026-01-31 -- é rebuilt -- twice")
        #expect(s.rules[1].range.start.column == 31)
        #expect(r.source.text(of: s.rules[1].range) == "TF-102")
        #expect(s.separator == ", ")
        // Removing a stand-alone directive removes its whole line.
        #expect(r.source.text(of: s.removal.range) == "  # ghr-audit:ignore JIT-101, TF-102 exp:2026-01-31 -- é rebuilt -- twice\n")
    }

    @Test func trailingRemovalKeepsTheCode() throws {
        let text = "enable_jit_config = false   # ghr-audit:ignore JIT-101 -- r\r\nnext = 1\r\n"
        let r = parse("main.tf", text)
        let s = try #require(r.suppressions.first)
        #expect(s.removal.range.start.offset == "enable_jit_config = false".utf8.count)
        #expect(r.source.text(of: s.removal.range) == "   # ghr-audit:ignore JIT-101 -- r")
        #expect(s.reason == "r")
    }

    @Test func missingReasonIsKeptAsASuppressionWithoutReason() {
        for text in ["# ghr-audit:ignore JIT-101\nx = 1", "# ghr-audit:ignore JIT-101 --   \nx = 1", "# ghr-audit:ignore JIT-101 exp:2030-01-01\nx = 1"] {
            let r = parse("main.tf", text)
            #expect(r.problems.isEmpty, "\(text)")
            #expect(r.suppressions.count == 1 && r.suppressions[0].reason == nil, "\(text)")
        }
    }

    @Test func proseMentioningTheToolIsNotADirective() {
        let r = parse("main.tf", "# ghr-audit runs in CI on every pull request\n# see ghr-audit:ignore docs\nx = 1")
        #expect(r.suppressions.isEmpty && r.problems.isEmpty)
    }

    // MARK: Malformed directives: one problem each, located, and no suppression

    static let malformed: [(directive: String, message: String, located: String)] = [
        ("ghr-audit:ignore", "Malformed suppression: no rule ids", "ghr-audit:ignore"),
        ("ghr-audit:ignore -- because", "Malformed suppression: no rule ids", "ghr-audit:ignore -- because"),
        ("ghr-audit:ignore all -- legacy", "Malformed suppression: `all` is not accepted", "all"),
        ("ghr-audit:ignore JIT-* -- legacy", "Malformed suppression: `JIT-*` is not accepted", "JIT-*"),
        ("ghr-audit:ignore jit-101 -- r", "Malformed suppression: `jit-101` is not a rule id", "jit-101"),
        ("ghr-audit:ignore JIT-101 because the AMI is old", "Malformed suppression: expected `--` before the reason", "because the AMI is old"),
        ("ghr-audit:ignore JIT-101 JIT-102 -- r", "Malformed suppression: separate rule ids with `,`", "JIT-102"),
        ("ghr-audit:ignore JIT-101, -- r", "Malformed suppression: expected a rule id after `,`", ","),
        ("ghr-audit:ignore ,JIT-101 -- r", "Malformed suppression: expected a rule id before `,`", ","),
        ("ghr-audit:ignore JIT-101 exp:2025-02-29 -- r", "Malformed suppression: `exp:2025-02-29` is not a date", "exp:2025-02-29"),
        ("ghr-audit:ignore JIT-101 exp:31/12/2025 -- r", "Malformed suppression: `exp:31/12/2025` is not a date", "exp:31/12/2025"),
        ("ghr-audit:ignore JIT-101 expires:2025-12-31 -- r", "Malformed suppression: write the expiry as `exp:YYYY-MM-DD`", "expires:2025-12-31"),
        ("ghr-audit:ignore exp:2025-12-31 JIT-101 -- r", "Malformed suppression: expected a rule id before `exp:2025-12-31`", "exp:2025-12-31"),
        ("ghr-audit:ignore JIT-101 -- exp:2025-12-31 still needed", "Malformed suppression: `exp:` must come before ` -- `", "ghr-audit:ignore JIT-101 -- exp:2025-12-31 still needed"),
        ("ghr-audit:ignore JIT-101 — r", "Malformed suppression: write `--` before the reason", "—"),
        ("ghr-audit:ignore:JIT-101 -- r", "Malformed suppression: expected a space after `ghr-audit:ignore`", "ghr-audit:ignore:JIT-101 -- r"),
        ("ghr-audit:disable JIT-101 -- r", "Unknown directive `ghr-audit:disable`", "ghr-audit:disable"),
        ("ghr-audit:ignore-file JIT-101 -- r", "Unknown directive `ghr-audit:ignore-file`", "ghr-audit:ignore-file"),
        ("GHR-AUDIT:IGNORE JIT-101 -- r", "Malformed suppression: write `ghr-audit:ignore`", "GHR-AUDIT:IGNORE"),
        ("ghr-audit: ignore JIT-101 -- r", "Malformed suppression: write `ghr-audit:ignore`", "ghr-audit: ignore"),
        ("ghr-audit ignore JIT-101 -- r", "Malformed suppression: write `ghr-audit:ignore`", "ghr-audit ignore"),
        ("ghr-audit-ignore JIT-101 -- r", "Malformed suppression: write `ghr-audit:ignore`", "ghr-audit-ignore"),
    ]

    @Test(arguments: malformed)
    func malformedDirective(_ c: (directive: String, message: String, located: String)) throws {
        let text = "x = 1\n# \(c.directive)\ny = 2\n"
        let r = parse("main.tf", text)
        #expect(r.suppressions.isEmpty)
        let p = try #require(r.problems.first)
        #expect(r.problems.count == 1)
        #expect(p.message == c.message)
        #expect(r.source.text(of: p.range) == c.located)
        #expect(p.range.start.line == 2)
        #expect(!p.detail.isEmpty && !p.message.hasSuffix("."))
        let f = p.finding
        #expect(f.ruleId == "CORE-011" && f.severity == .warning && f.tags == ["suppression"])
    }

    @Test func lowercaseIdSuggestsTheUpperCaseForm() throws {
        let r = parse("main.tf", "# ghr-audit:ignore jit-101 -- r\nx = 1")
        let p = try #require(r.problems.first)
        #expect(p.detail.contains("Did you mean `JIT-101`?"))
    }

    @Test func languageInference() {
        #expect(SuppressionLanguage.infer(path: "a/main.tf", text: "") == .hcl)
        #expect(SuppressionLanguage.infer(path: "packer/runner.pkr.hcl", text: "") == .hcl)
        #expect(SuppressionLanguage.infer(path: "prod.tfvars", text: "") == .hcl)
        #expect(SuppressionLanguage.infer(path: "main.tf.json", text: "") == .none)
        #expect(SuppressionLanguage.infer(path: "c/linux.yml", text: "") == .yaml)
        #expect(SuppressionLanguage.infer(path: "start.ps1", text: "") == .powershell)
        #expect(SuppressionLanguage.infer(path: "user-data.sh", text: "") == .bash)
        #expect(SuppressionLanguage.infer(path: "user-data.tftpl", text: "<powershell>\nWrite-Host hi") == .powershell)
        #expect(SuppressionLanguage.infer(path: "user-data.tftpl", text: "#!/bin/bash\necho hi") == .bash)
    }
}
