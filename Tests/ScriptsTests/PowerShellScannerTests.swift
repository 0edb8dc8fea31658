import AuditCore
import Testing
@testable import Scripts

@Suite struct PowerShellScannerTests {
    @Test func stringsVariablesAndEscapes() {
        let text = #"Write-Output 'it''s' "a `"b`" $env:HOME ${my var} $script:x" "$($y.Length) ok""# + "\n"
        let s = powershell(text)
        let cmd = s.first("Write-Output")
        #expect(cmd?.words.map(\.value) == ["Write-Output", "it's", #"a "b" $env:HOME ${my var} $script:x"#, "$($y.Length) ok"])
        #expect(cmd?.words[2].references.map(\.name) == ["env:HOME", "my var", "x"])
        expectRange(cmd?.words[2].references.first?.range, covers: "$env:HOME", in: text)
        // `$( … )` inside a string is a nested statement.
        let inner = s.commands.first { $0.context == .substitution }
        #expect(inner?.kind == .expression && inner?.words.first?.references.first?.name == "y")
    }

    @Test func hereStringsAndBlockComments() {
        let text = """
            <#
              .\\config.cmd --token x   (documentation)
            #>
            $body = @"
            line with $value and "quotes"
            "@
            $raw = @'
            not $expanded
            '@
            .\\run.cmd # .\\config.cmd
            """
        let s = powershell(text)
        #expect(s.diagnostics.isEmpty)
        #expect(s.commands(named: "config.cmd").isEmpty)
        #expect(s.commands(named: "run.cmd").count == 1)
        let body = s.commands.first { $0.kind == .expression && $0.words.first?.text.hasPrefix("@\"") == true }
        #expect(body?.words.first?.references.map(\.name) == ["value"])
        let raw = s.commands.first { $0.kind == .expression && $0.words.first?.text.hasPrefix("@'") == true }
        #expect(raw?.words.first?.references.isEmpty == true)
        #expect(raw?.words.first?.value == "not $expanded")
        #expect(body?.words.first?.value == "line with $value and \"quotes\"")
    }

    @Test func backtickContinuationAndUserDataTags() {
        let text = "<powershell>\nStart-Process -FilePath \"run.cmd\" `\n  -ArgumentList \"--jitconfig $cfg\" -Wait\n</powershell>\n"
        let s = powershell(text)
        #expect(s.diagnostics.isEmpty)
        let cmd = s.commands.first
        #expect(s.commands.count == 1)
        #expect(cmd?.programName == "run.cmd")
        #expect(cmd?.effectiveArguments.map(\.value) == ["--jitconfig $cfg"])
        expectRange(cmd?.range, covers: "Start-Process -FilePath \"run.cmd\" `\n  -ArgumentList \"--jitconfig $cfg\" -Wait", in: text)
    }

    @Test func ifElseifElseAndComparisonOperators() {
        let text = """
            if ($enable_jit_config -eq "false" -or $agent_mode -ne 'ephemeral') {
              configure
            } elseif (-not ($x)) {
              second
            }
            else { third }
            """
        let s = powershell(text)
        #expect(s.guards(of: "configure") == [#"if:$enable_jit_config -eq "false" -or $agent_mode -ne 'ephemeral'"#])
        #expect(s.guards(of: "second").count == 2)
        #expect(s.guards(of: "third") == [#"if!:$enable_jit_config -eq "false" -or $agent_mode -ne 'ephemeral'"#, "if!:-not ($x)"])
        let first = s.first("configure")?.conditions.first
        expectRange(first?.range, covers: #"$enable_jit_config -eq "false" -or $agent_mode -ne 'ephemeral'"#, in: text)
        guard case .or(.compare(let a, "-eq", let b), .compare(let c, "-ne", let d))? = first?.expression else {
            Issue.record("unexpected \(String(describing: first?.expression))")
            return
        }
        #expect([a, b, c, d].map(\.value) == ["$enable_jit_config", "false", "$agent_mode", "ephemeral"])
        guard case .not(.truthy(let w))? = s.first("second")?.conditions.last?.expression else {
            Issue.record("unexpected elseif expression")
            return
        }
        #expect(w.value == "$x")
    }

    @Test func logicalOperatorsShareOnePrecedence() {
        // PowerShell: `a -or b -and c` is `(a -or b) -and c`.
        let s = powershell("if ($a -eq 1 -or $b -eq 2 -and $c -eq 3) { x }\n")
        guard case .and(.or, .compare)? = s.first("x")?.conditions.first?.expression else {
            Issue.record("unexpected \(String(describing: s.first("x")?.conditions.first?.expression))")
            return
        }
    }

    @Test func switchClausesAndDefault() {
        let text = """
            switch ($mode) {
              "ephemeral" { eph }
              'persistent' { per }
              default { other }
            }
            """
        let s = powershell(text)
        #expect(s.guards(of: "eph") == [#"case:"ephemeral""#])
        #expect(s.guards(of: "other") == [#"case!:"ephemeral""#, "case!:'persistent'"])
    }

    @Test func functionsParametersAndScriptBlocks() {
        let text = """
            function Start-Runner([string]$Config, $Mode = "x") {
              Get-Item . | ForEach-Object { & .\\config.cmd $Config }
            }
            function Register { param($Name, [int]$Retries)
              Write-Host $Name
            }
            Start-Runner $cfg
            """
        let s = powershell(text)
        #expect(s.functions.map(\.name) == ["Start-Runner", "Register"])
        #expect(s.functions.map(\.parameters) == [["Config", "Mode"], ["Name", "Retries"]])
        let config = s.first("config.cmd")
        #expect(config?.function == "Start-Runner" && config?.context == .substitution)
        #expect(s.function(named: "start-runner")?.name == "Start-Runner")
    }

    @Test func assignmentsCaptureTheirRightHandSide() {
        let text = "$config = (aws ssm get-parameters --names \"$p\" | ConvertFrom-Json)[0].value\n$n+=1\n[string]$t=Get-Date\n"
        let s = powershell(text)
        let assignment = s.commands.first { $0.kind == .assignment }
        #expect(assignment?.assignments.first?.name == "config")
        expectRange(assignment?.assignments.first?.nameRange, covers: "$config", in: text)
        #expect(assignment?.assignments.first?.valueText == "(aws ssm get-parameters --names \"$p\" | ConvertFrom-Json)[0].value")
        let aws = s.first("aws"), convert = s.first("ConvertFrom-Json")
        #expect(convert?.pipelinePredecessor == aws?.index)
        #expect(s.commands.filter { $0.kind == .assignment }.map { $0.assignments[0].name } == ["config", "n", "t"])
    }

    @Test func hashtablesAreExpressions() {
        let s = powershell("$h = @{ group = 'Runner Image'; detail = \"AMI $id\" }\n")
        #expect(s.commands.allSatisfy { $0.kind != .simple })
    }

    @Test func invokeExpressionAndCallOperator() {
        let text = """
            $cmd = ".\\config.cmd --unattended $config"
            if ($agent_mode -ne "ephemeral") { Invoke-Expression $cmd }
            iex ".\\run.cmd --jitconfig $config"
            & "C:\\actions-runner\\svc.cmd" install
            cmd /c "run.cmd --once"
            """
        let s = powershell(text)
        let config = s.first("config.cmd")
        #expect(config?.context == .embedded)
        expectRange(config?.range, covers: ".\\config.cmd --unattended $config", in: text)
        #expect(config?.conditions.map(\.text) == [#"$agent_mode -ne "ephemeral""#])
        #expect(s.first("run.cmd")?.words.map(\.value) == [".\\run.cmd", "--jitconfig", "$config"])
        #expect(s.first("svc.cmd")?.effectiveArguments.map(\.value) == ["install"])
        #expect(s.commands(named: "run.cmd").count == 2)
    }

    @Test func diagnosticsPointAtTheOffendingToken() {
        let cases: [(String, String, String)] = [
            ("Write-Host 'open\n", "unterminated single-quoted string", "'"),
            ("Write-Host \"open\n", "unterminated double-quoted string", "\""),
            ("<# never closed\n", "unterminated block comment", "<#"),
            ("if ($x) {\n  y\n", "`{` without matching `}`", "{"),
            ("if $x { y }\n", "missing `(` after `if`", "if"),
            ("$a = @\"\nbody\n", "unterminated here-string", "@\""),
            ("x }\n", "unexpected `}`", "}"),
            ("Get-Content < file\n", "`<` is not a PowerShell redirection", "<"),
        ]
        for (text, summary, token) in cases {
            let s = powershell(text)
            let d = s.diagnostics.first { $0.summary == summary }
            #expect(d != nil, "\(text.debugDescription): \(s.diagnostics.map(\.summary))")
            expectRange(d?.range, covers: token, in: text)
        }
    }
}
