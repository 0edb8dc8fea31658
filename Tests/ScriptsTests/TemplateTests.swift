import AuditCore
import Testing
@testable import Scripts

@Suite struct TemplateTests {
    @Test func escapesRenderAndMapBack() {
        let text = "./config.sh $${config} %%{x} ${name}\n"
        let s = bash(text, template: true)
        #expect(s.renderedText == "./config.sh ${config} %{x} ${name}\n")
        let cmd = s.first("config.sh")
        #expect(cmd?.words.map(\.value) == ["./config.sh", "${config}", "%{x}", "${name}"])
        // Each word's range covers what is written in the file, escapes included.
        expectRange(cmd?.words[1].range, covers: "$${config}", in: text)
        expectRange(cmd?.words[2].range, covers: "%%{x}", in: text)
        expectRange(cmd?.words[3].range, covers: "${name}", in: text)
        expectRange(cmd?.words[1].references.first?.range, covers: "$${config}", in: text)
        #expect(cmd?.words[1].references.first?.name == "config")
        #expect(s.placeholders.map(\.name) == ["name"])
        expectRange(s.placeholders.first?.range, covers: "${name}", in: text)
    }

    @Test func placeholdersWithExpressions() {
        let text = "echo ${ var.region }\n${jsonencode({a = \"}\"})}\nx=${upper(\"a${b}c\")}\n"
        let s = bash(text, template: true)
        #expect(s.diagnostics.isEmpty)
        #expect(s.placeholders.map(\.expression) == ["var.region", "jsonencode({a = \"}\"})", "upper(\"a${b}c\")"])
        #expect(s.placeholders.map(\.name) == [nil, nil, nil])
        expectRange(s.placeholders[1].range, covers: "${jsonencode({a = \"}\"})}", in: text)
    }

    @Test func directivesBecomeConditions() {
        let text = """
            %{ if metadata_tags == "enabled" ~}
            tags_from_imds
            %{ else ~}
            tags_from_api
            %{ endif ~}
            %{ for p in packages }
            install ${p}
            %{ endfor }
            always
            """
        let s = bash(text, template: true)
        #expect(s.diagnostics.isEmpty)
        #expect(s.guards(of: "tags_from_imds") == [#"templateIf:metadata_tags == "enabled""#])
        #expect(s.guards(of: "tags_from_api") == [#"templateIf!:metadata_tags == "enabled""#])
        #expect(s.guards(of: "install") == ["templateFor:p in packages"])
        #expect(s.guards(of: "always") == [])
        expectRange(s.first("tags_from_api")?.conditions.first?.range, covers: #"%{ if metadata_tags == "enabled" ~}"#, in: text)
        #expect(s.directives.map(\.kind) == [.if, .else, .endif, .for, .endfor])
        expectRange(s.first("tags_from_api")?.range, covers: "tags_from_api", in: text)
    }

    @Test func templateConditionsNestWithShellConditions() {
        let text = "if [ -n \"$x\" ]; then\n%{ if debug }\n  set_x\n%{ endif }\nfi\n"
        let s = bash(text, template: true)
        #expect(s.guards(of: "set_x") == [#"if:[ -n "$x" ]"#, "templateIf:debug"])
    }

    @Test func templateDiagnostics() {
        let cases: [(String, String, String)] = [
            ("echo ${HOME:-/root}\n", "shell parameter expansion in a Terraform template", "${HOME:-/root}"),
            ("echo ${1}\n", "shell parameter expansion in a Terraform template", "${1}"),
            ("echo ${x\n", "unterminated template interpolation", "${"),
            ("%{ if x }\necho\n", "`%{ if }` is never closed", "%{ if x }"),
            ("%{ endif }\n", "`%{ endif }` without a matching `%{ if }`", "%{ endif }"),
            ("%{ else }\n", "`%{ else }` without a matching `%{ if }`", "%{ else }"),
            ("%{ edif }\n", "unknown template directive `edif`", "%{ edif }"),
        ]
        for (text, summary, token) in cases {
            let s = bash(text, template: true)
            let d = s.diagnostics.first { $0.summary == summary }
            #expect(d != nil, "\(text.debugDescription): \(s.diagnostics.map(\.summary))")
            expectRange(d?.range, covers: token, in: text)
        }
        let typo = bash("%{ edif }\n", template: true).diagnostics.first
        #expect(typo?.detail?.contains("did you mean `endif`?") == true)
        let shell = bash("echo ${HOME:-/root}\n", template: true).diagnostics.first
        #expect(shell?.detail?.contains("`$${HOME:-/root}`") == true)
        // Without the template flag the same text is plain bash.
        #expect(bash("echo ${HOME:-/root}\n").diagnostics.isEmpty)
    }

    @Test func multibyteAndCRLFInTemplates() {
        let text = "# ünïcödé 🚀\r\n%{ if x }\r\n./config.sh $${cfg}\r\n%{ endif }\r\n"
        let s = bash(text, template: true)
        #expect(s.diagnostics.isEmpty)
        let cmd = s.first("config.sh")
        expectRange(cmd?.range, covers: "./config.sh $${cfg}", in: text)
        #expect(cmd?.range.start.line == 3 && cmd?.range.start.column == 1)
        #expect(cmd?.conditions.map(\.text) == ["x"])
    }

    @Test(arguments: [
        ("#!/bin/bash\n./config.sh $${config}\n", true),
        ("%{ if x }\n%{ endif }\n", true),
        ("%%{ literal\n", true),
        ("echo ${start_runner}\n", true),
        ("echo ${ name }\n", true),
        ("echo ${var.region}\n", true),
        ("echo ${join(\",\", x)}\n", true),
        ("echo ${HOME} ${1} ${#arr[@]} ${x:-y} $$ ${!ref}\n", false),
        ("printf '%s' \"%{\"\n", false),
        ("Write-Host \"${env:PATH}\"\n", false),
    ])
    func templateDetection(text: String, expected: Bool) {
        #expect(TemplateDetection.looksLikeTemplate(text) == expected)
    }

    @Test func languageDetection() {
        #expect(ScriptLanguage.detect(path: "a/start.sh", text: "") == .bash)
        #expect(ScriptLanguage.detect(path: "a/start-runner.ps1", text: "") == .powershell)
        #expect(ScriptLanguage.detect(path: "a/user_data.sh.tftpl", text: "") == .bash)
        #expect(ScriptLanguage.detect(path: "a/boot", text: "#!/usr/bin/env bash\necho\n") == .bash)
        #expect(ScriptLanguage.detect(path: "a/boot", text: "#!/usr/bin/env pwsh\n") == .powershell)
        #expect(ScriptLanguage.detect(path: "a/user_data.tftpl", text: "<powershell>\nWrite-Host hi\n</powershell>\n") == .powershell)
        #expect(ScriptLanguage.detect(path: "a/user_data.tpl", text: "#!/bin/bash\nif true; then\n  echo\nfi\n") == .bash)
        #expect(ScriptLanguage.detect(path: "a/main.tf", text: "echo $(x)\n") == nil)
        #expect(ScriptLanguage.detect(path: "a/notes.txt", text: "hello\n") == nil)
        #expect(TemplateDetection.isTemplate(path: "x/user-data.tftpl", text: "echo\n"))
        #expect(!TemplateDetection.isTemplate(path: "x/start.sh", text: "echo $HOME\n"))
    }
}
