import AuditCore
import Testing
@testable import Scripts

@Suite struct BashScannerTests {
    // MARK: Words and quoting

    @Test func wordsKeepExactRangesAndQuoteRemovedValues() {
        let text = #"sudo -u "$run_as" -- ./config.sh --name 'a b'"$x"c $'tab\there' \$HOME"# + "\n"
        let s = bash(text)
        let cmd = s.first("config.sh")
        #expect(cmd?.words.map(\.value) == ["sudo", "-u", "$run_as", "--", "./config.sh", "--name", "a b$xc", "tab\there", "$HOME"])
        #expect(cmd?.nameIndex == 4)
        #expect(cmd?.effectiveArguments.map(\.value) == ["--name", "a b$xc", "tab\there", "$HOME"])
        expectRange(cmd?.words[6].range, covers: #"'a b'"$x"c"#, in: text)
        expectRange(cmd?.words[7].range, covers: #"$'tab\there'"#, in: text)
        // `\$HOME` is an escaped literal, not a reference.
        #expect(cmd?.words[8].references.isEmpty == true)
        #expect(cmd?.words[6].references.map(\.name) == ["x"])
        expectRange(cmd?.words[6].references.first?.range, covers: "$x", in: text)
    }

    @Test func multibyteColumnsCountScalars() {
        let text = "echo \"héllo 🚀\" && ./config.sh \"$tøken\"\n"
        let s = bash(text)
        let cmd = s.first("config.sh")
        let r = cmd?.range
        #expect(r?.start.column == 19)   // `echo "héllo 🚀" && ` is 18 scalars
        #expect(r?.start.offset == 22)   // … and 22 bytes: é is 2 bytes, 🚀 is 4
        expectRange(r, covers: #"./config.sh "$tøken""#, in: text)
        #expect(cmd?.words[1].references.first?.name == "t")  // bash names are ASCII: `$t` then `øken`
    }

    @Test func commentsAndContinuations() {
        let text = """
            # ./config.sh in a comment
            ./config.sh --url x \\
              --token y # trailing comment with ./run.sh --jitconfig
            echo a#b
            """
        let s = bash(text)
        #expect(s.commands.count == 2)
        #expect(s.first("config.sh")?.words.map(\.value) == ["./config.sh", "--url", "x", "--token", "y"])
        #expect(s.first("echo")?.words.last?.value == "a#b")
        #expect(s.commands(named: "run.sh").isEmpty)
    }

    @Test func crlfLineEnds() {
        let text = "if [ -n \"$x\" ]; then\r\n  ./config.sh $x\r\nfi\r\n"
        let s = bash(text)
        #expect(s.diagnostics.isEmpty)
        #expect(s.first("config.sh")?.words.map(\.value) == ["./config.sh", "$x"])
        #expect(s.guards(of: "config.sh") == [#"if:[ -n "$x" ]"#])
        expectRange(s.first("config.sh")?.range, covers: "./config.sh $x", in: text)
    }

    // MARK: Substitutions

    @Test func nestedSubstitutionsAreCommandsWithParents() {
        let text = #"cfg=$(aws ssm get-parameter --name "$(echo "$p")/x" | jq -r `echo .Parameter.Value`)"# + "\n"
        let s = bash(text)
        let assignment = s.commands.first { !$0.assignments.isEmpty }
        #expect(assignment?.assignments.first?.name == "cfg")
        let aws = s.first("aws"), jq = s.first("jq"), echos = s.commands(named: "echo")
        #expect(aws?.context == .substitution && aws?.parent == assignment?.index)
        #expect(jq?.pipelinePredecessor == aws?.index)
        #expect(echos.count == 2)
        // The inner `$(echo "$p")` belongs to the aws command, the backquoted one to jq.
        #expect(echos.map(\.parent) == [aws?.index, jq?.index])
        expectRange(echos.last?.range, covers: "echo .Parameter.Value", in: text)
        let sub = assignment?.assignments.first?.value?.substitutions.first
        #expect(sub?.kind == .command && sub?.commands == [aws!.index, jq!.index])
    }

    @Test func arithmeticIsNotASubshell() {
        let s = bash("n=$(( 1 + (2 * 3) ))\nos=$( (lsb_release -ds || uname) 2>/dev/null | head -1)\nold=$(( uname -a ) | tr a b)\n")
        #expect(s.diagnostics.isEmpty)
        #expect(s.commands(named: "lsb_release").count == 1)
        #expect(s.commands(named: "uname").count == 2)
        #expect(s.guards(of: "uname") == ["orList!:lsb_release -ds"])
    }

    // MARK: Here-documents

    @Test func heredocsAreSkippedOrScannedAsScripts() {
        let text = """
            cat > /opt/start.sh <<-EOF
            \t./run.sh --jitconfig "$config"
            \tEOF
            tee /etc/motd <<'DATA'
            ./config.sh is run at boot
            DATA
            sudo -u runner bash <<SCRIPT
            ./config.sh --unattended $config
            SCRIPT
            cat <<EOF | sh
            ./svc.sh install
            EOF
            echo after
            """
        let s = bash(text)
        #expect(s.diagnostics.isEmpty)
        let run = s.first("run.sh"), config = s.first("config.sh"), svc = s.first("svc.sh")
        #expect(run?.context == .heredoc && s.commands[run!.parent!].programName == "cat")
        #expect(config?.context == .heredoc && s.commands[config!.parent!].programName == "bash")
        #expect(svc?.context == .heredoc)
        #expect(s.commands(named: "config.sh").count == 1) // the motd text is data
        let motd = s.first("tee")?.redirections.first?.heredoc
        #expect(motd?.delimiter == "DATA" && motd?.quoted == true && motd?.scannedAsScript == false)
        #expect(motd.map { s.source.text(of: $0.bodyRange) } == "./config.sh is run at boot\n")
        let start = s.first("cat")?.redirections.last?.heredoc
        #expect(start?.stripsTabs == true && start?.scannedAsScript == true)
        expectRange(run?.range, covers: #"./run.sh --jitconfig "$config""#, in: text)
        #expect(s.first("echo")?.context == .statement)
    }

    @Test func unterminatedHeredocPointsAtTheOperatorAndExplainsIndentation() {
        let text = "cat > x.sh <<-EOF\n  echo hi\n  EOF\necho never\n"
        let s = bash(text)
        let d = s.diagnostics.first
        #expect(d?.summary == "here-document `EOF` is not terminated")
        expectRange(d?.range, covers: "<<-", in: text)
        #expect(d?.detail?.contains("`<<-` strips only leading tabs") == true)
    }

    // MARK: Control structure and conditions

    @Test func ifElifElseChains() {
        let text = """
            if [[ $a == 1 ]]; then
              one
            elif [ "$b" = 2 ] && test -n "$c"; then
              two
            else
              three
            fi
            """
        let s = bash(text)
        #expect(s.guards(of: "one") == ["if:[[ $a == 1 ]]"])
        #expect(s.guards(of: "two") == ["if!:[[ $a == 1 ]]", #"if:[ "$b" = 2 ] && test -n "$c""#])
        #expect(s.guards(of: "three") == ["if!:[[ $a == 1 ]]", #"if!:[ "$b" = 2 ] && test -n "$c""#])
        let elif = s.first("two")?.conditions.last
        expectRange(elif?.range, covers: #"[ "$b" = 2 ] && test -n "$c""#, in: text)
        guard case .and(.compare(let l, "=", let r), .unary("-n", let w))? = elif?.expression else {
            Issue.record("unexpected expression \(String(describing: elif?.expression))")
            return
        }
        #expect(l.value == "$b" && r.value == "2" && w.value == "$c")
    }

    @Test func andOrChainsGuardTheRest() {
        let s = bash("check && first || second\n! probe || third\n")
        #expect(s.guards(of: "first") == ["andList:check"])
        #expect(s.guards(of: "second") == ["orList!:check && first"])
        #expect(s.guards(of: "third") == ["orList!:! probe"])
        #expect(s.first("third")?.conditions.first?.expression == .not(.command(s.first("probe")!.index)))
    }

    @Test func caseArmsCarryEarlierArms() {
        let text = """
            case "$agent_mode" in
              ephemeral|"temp") eph ;;
              persistent) per ;&
              *) rest ;;
            esac
            """
        let s = bash(text)
        #expect(s.guards(of: "eph") == [#"case:ephemeral|"temp""#])
        #expect(s.guards(of: "per") == [#"case!:ephemeral|"temp""#, "case:persistent"])
        // `;&` falls through: the `*)` arm does not carry the negation of `persistent`.
        #expect(s.guards(of: "rest") == [#"case!:ephemeral|"temp""#, "case:*"])
        guard case .matches(let subject, let patterns)? = s.first("eph")?.conditions.first?.expression else {
            Issue.record("no match expression")
            return
        }
        #expect(subject.value == "$agent_mode" && patterns.map(\.value) == ["ephemeral", "temp"])
    }

    @Test func loopsAndFunctions() {
        let text = """
            function setup {
              for f in a b; do
                while [ -z "$x" ]; do wait_for; done
              done
            }
            go() ( cleanup )
            setup
            """
        let s = bash(text)
        #expect(s.functions.map(\.name) == ["setup", "go"])
        expectRange(s.functions.first?.nameRange, covers: "setup", in: text)
        #expect(s.first("wait_for")?.function == "setup")
        #expect(s.guards(of: "wait_for") == ["loop:for f in a b", #"while:[ -z "$x" ]"#])
        #expect(s.first("cleanup")?.function == "go")
        let call = s.commands.last
        #expect(call?.programName == "setup" && call?.function == nil)
    }

    @Test func embeddedScriptsInStrings() {
        let text = """
            su - runner -c "./config.sh --unattended $config"
            bash -ec 'if [ -n "$x" ]; then ./run.sh --jitconfig "$x"; fi'
            eval "./svc.sh install"
            trap 'aws ec2 terminate-instances --instance-ids $id' EXIT
            cmd="./config.sh --ephemeral $config"
            [[ $mode == ephemeral ]] && $cmd
            """
        let s = bash(text)
        let configs = s.commands(named: "config.sh")
        #expect(configs.count == 2)
        #expect(configs.allSatisfy { $0.context == .embedded })
        expectRange(configs.first?.range, covers: "./config.sh --unattended $config", in: text)
        #expect(s.first("config.sh")?.words.last?.references.first?.name == "config")
        #expect(s.guards(of: "run.sh") == [#"if:[ -n "$x" ]"#])
        #expect(s.first("svc.sh")?.context == .embedded)
        #expect(s.first("aws")?.context == .embedded)
        // `$cmd` runs the string assigned to `cmd`, under the `&&` guard of the place that runs it.
        let indirect = configs.last
        expectRange(indirect?.range, covers: "./config.sh --ephemeral $config", in: text)
        #expect(indirect?.conditions.map(\.text) == ["[[ $mode == ephemeral ]]"])
    }

    @Test func assignmentsAndDeclarations() {
        let s = bash("X=1 Y=\"$z\" ./config.sh\nexport RUNNER_ALLOW_RUNASROOT=1\nlocal a=$(b) c\narr=(one \"$two\" three)\n")
        let config = s.first("config.sh")
        #expect(config?.assignments.map(\.name) == ["X", "Y"])
        #expect(config?.assignments.last?.value?.references.map(\.name) == ["z"])
        #expect(s.first("export")?.assignments.map(\.name) == ["RUNNER_ALLOW_RUNASROOT"])
        #expect(s.first("local")?.assignments.first?.value?.substitutions.count == 1)
        let arr = s.commands.last?.assignments.first
        #expect(arr?.name == "arr" && arr?.value?.references.map(\.name) == ["two"])
    }

    // MARK: Diagnostics

    @Test func diagnosticsPointAtTheOffendingToken() {
        let cases: [(String, String, String)] = [
            ("echo 'open\n", "unterminated single-quoted string", "'"),
            ("echo \"open\n", "unterminated double-quoted string", "\""),
            ("if true; then\n  x\n", "`if` without matching `fi`", "if"),
            ("x\nfi\n", "unexpected `fi`", "fi"),
            ("while true\n  x\ndone\n", "missing `do` after `while` condition", "while"),
            ("echo $(ls\n", "unterminated `$(`", "$("),
            ("case $x in a) y;;\n", "`case` without matching `esac`", "case"),
            ("[[ -n $x \n", "`[[` without matching `]]`", "[["),
            ("a ;; b\n", "unexpected `;;` outside `case`", ";;"),
        ]
        for (text, summary, token) in cases {
            let s = bash(text)
            let d = s.diagnostics.first { $0.summary == summary }
            #expect(d != nil, "\(text.debugDescription): \(s.diagnostics.map(\.summary))")
            expectRange(d?.range, covers: token, in: text)
            #expect(d?.detail?.isEmpty == false)
        }
    }
}
