import AuditCore
import Testing
@testable import Scripts

@Suite struct ClassificationTests {
    static func report(_ s: Sample, text: String? = nil) -> ScriptReport {
        let path = s.language == .bash ? (s.template ? "start.sh.tftpl" : "start.sh") : (s.template ? "start.ps1.tftpl" : "start.ps1")
        return ScriptAnalysis.analyze(SourceFile(path: path, text: text ?? s.text), language: s.language, template: s.template)
    }

    @Test(arguments: Corpus.all)
    func corpusContract(_ sample: Sample) {
        let r = Self.report(sample)
        #expect(r.contract == sample.contract, "\(r.rationale)")
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics.map(\.summary))")
        #expect(!r.rationale.isEmpty && !r.rationale.hasSuffix(" "))
    }

    /// The same verdict and the same evidence, shifted by one line, behind a multi-byte comment; and
    /// with CRLF line ends.
    @Test(arguments: Corpus.all)
    func corpusIsStableUnderMultibyteAndCRLF(_ sample: Sample) {
        let base = Self.report(sample)
        let prefix = "# Démarrage du runner 🚀 — 日本語\n"
        let shifted = Self.report(sample, text: prefix + sample.text)
        #expect(shifted.contract == base.contract)
        #expect(shifted.evidence.count == base.evidence.count)
        let prefixBytes = prefix.utf8.count
        for (a, b) in zip(base.evidence, shifted.evidence) {
            #expect(b.role == a.role)
            #expect(b.range.start.line == a.range.start.line + 1 && b.range.start.column == a.range.start.column)
            #expect(b.range.start.offset == a.range.start.offset + prefixBytes)
            #expect(b.range.end.offset == a.range.end.offset + prefixBytes)
        }
        let crlf = Self.report(sample, text: sample.text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(crlf.contract == base.contract)
        #expect(crlf.evidence.map(\.role) == base.evidence.map(\.role))
        for (a, b) in zip(base.evidence, crlf.evidence) {
            #expect(b.range.start.line == a.range.start.line && b.range.start.column == a.range.start.column)
        }
        #expect(crlf.diagnostics.isEmpty, "\(crlf.diagnostics.map(\.summary))")
    }

    // MARK: - Evidence with exact ranges

    @Test func tokenOnlyEvidence() {
        let s = Corpus.tokenOnlyCustomAMI
        let r = Self.report(s)
        #expect(Set(r.evidence.map(\.role)) == [.instanceParameterRead, .configCommand])
        let config = r.evidence.first { $0.role == .configCommand }
        expectRange(config?.range, covers: #"sudo -u runner ./config.sh --unattended --name "build-$INSTANCE" --work _work $runner_args"#, in: s.text)
        let read = r.evidence.first { $0.role == .instanceParameterRead }
        expectRange(read?.range, covers: """
            aws ssm get-parameters --names "$TOKENS/$INSTANCE" --with-decryption \\
              --query 'Parameters[0].Value' --output text --region "$REGION"
            """, in: s.text)
        #expect(!r.evidence.contains { $0.role == .guardCondition })
        #expect(r.behaviour(in: .ephemeralWithJIT)?.configuresWithInstanceParameter == .yes)
        #expect(r.behaviour(in: .persistent)?.startsWithJITConfig == Truth.no)
    }

    @Test func jitOnlyEvidence() {
        let s = Corpus.jitOnlyCase
        let r = Self.report(s)
        expectRange(r.evidence.first { $0.role == .jitConfigFlag }?.range, covers: "--jitconfig", in: s.text)
        expectRange(r.evidence.first { $0.role == .configCommand }?.range, covers: #"./config.sh --unattended --name "$instance_id" $secret"#, in: s.text)
        // The JIT arm runs when `ephemeral)` matches; the `*)` arm when it does not (and `*` matches).
        let guards = r.evidence.filter { $0.role == .guardCondition }
        #expect(guards.count == 3)
        expectRange(guards.first?.range, covers: "ephemeral", in: s.text)
        #expect(guards.first?.range == guards.dropFirst().first?.range)
        #expect(guards.map(\.note) == ["runs only when `ephemeral` holds", "runs only when `ephemeral` does not hold", "runs only when `*` holds"])
        expectRange(guards.last?.range, covers: "*", in: s.text)
        #expect(r.behaviour(in: .ephemeralWithToken)?.startsWithJITConfig == .yes)
        #expect(r.behaviour(in: .ephemeralWithToken)?.configuresWithInstanceParameter == Truth.no)
        #expect(r.behaviour(in: .persistent)?.configuresWithInstanceParameter == .yes)
    }

    @Test func jitAwareEvidence() {
        let s = Corpus.jitAwareFunctions
        let r = Self.report(s)
        expectRange(r.evidence.first { $0.role == .jitFlagRead }?.range, covers: "enable_jit_config", in: s.text, occurrence: 1)
        expectRange(r.evidence.first { $0.role == .configCommand }?.range, covers: #"./config.sh --unattended --name "$INSTANCE_ID" --work _work "$@""#, in: s.text)
        let guardRanges = r.evidence.filter { $0.role == .guardCondition }.map(\.range)
        let chain = locate(#"[[ "$JIT" == "true" && "$MODE" == "ephemeral" ]]"#, in: s.text)
        #expect(guardRanges.contains { $0.start == chain.start && $0.end == chain.end })
        #expect(r.scenarios.map(\.configuresWithInstanceParameter) == [.no, .yes, .yes])
        #expect(r.scenarios.map(\.startsWithJITConfig) == [.yes, .no, .no])
    }

    @Test func wrapperEvidence() {
        let s = Corpus.wrapperTemplate
        let r = Self.report(s)
        #expect(r.evidence.count == 1)
        expectRange(r.evidence.first?.range, covers: "${start_runner}", in: s.text)
        // Without the template flag `${start_runner}` is only a shell variable: no wrapper.
        let plain = ScriptAnalysis.analyze(SourceFile(path: "x.sh", text: s.text), language: .bash, template: false)
        #expect(plain.contract == .unrelated)
    }

    @Test func unrelatedOwnTokenEvidence() {
        let s = Corpus.unrelatedOwnToken
        let r = Self.report(s)
        #expect(r.evidence.map(\.role) == [.literalToken])
        expectRange(r.evidence.first?.range,
                    covers: #"./config.sh --url https://github.com/acme --token "$REG_TOKEN" --ephemeral --unattended --labels linux,x64"#, in: s.text)
        expectRange(r.markers(.configWithLiteralToken).first?.range, covers: "--token", in: s.text)
    }

    @Test func decoysProduceNoContractMarkers() {
        let r = Self.report(Corpus.decoyMentions)
        for kind: MarkerKind in [.configCommand, .jitConfigFlag, .readsInstanceParameter, .hardCodedParameterPath,
                                 .readsEnableJitConfig, .readsAgentMode, .readsTokenPath] {
            #expect(!r.has(kind), "\(kind)")
        }
        #expect(r.evidence.isEmpty)
    }

    @Test func mixedNamesTheLeakingCommand() {
        let s = Corpus.mixedUnguarded
        let r = Self.report(s)
        expectRange(r.evidence.first { $0.role == .configCommand }?.range, covers: "./config.sh --unattended $cfg", in: s.text)
        #expect(r.behaviour(in: .ephemeralWithJIT)?.configuresWithInstanceParameter == .yes)
        #expect(r.behaviour(in: .ephemeralWithJIT)?.startsWithJITConfig == .yes)
    }

    @Test func windowsTokenOnlyEvidence() {
        let s = Corpus.windowsTokenOnly
        let r = Self.report(s)
        expectRange(r.evidence.first { $0.role == .configCommand }?.range,
                    covers: #"Start-Process -FilePath .\config.cmd -ArgumentList "--unattended --name $instanceId $runnerArgs" -Wait -NoNewWindow"#, in: s.text)
        expectRange(r.evidence.first { $0.role == .instanceParameterRead }?.range,
                    covers: #"Get-SSMParameter -Name "$tokenPath/$instanceId" -WithDecryption $true"#, in: s.text)
    }

    @Test func windowsJitAwareEvidence() {
        let s = Corpus.windowsJitAware
        let r = Self.report(s)
        expectRange(r.evidence.first { $0.role == .jitFlagRead }?.range, covers: "enable_jit_config", in: s.text)
        let configs = r.evidence.filter { $0.role == .configCommand }
        #expect(configs.count == 2)
        expectRange(configs.first?.range, covers: #"& .\config.cmd --unattended --ephemeral $secret"#, in: s.text)
        expectRange(configs.last?.range, covers: #"& .\config.cmd --unattended $secret"#, in: s.text)
        #expect(r.scenarios.map(\.configuresWithInstanceParameter) == [.no, .yes, .yes])
    }

    @Test func templateEvidenceMapsBackThroughEscapes() {
        let s = Corpus.jitAwareTemplate
        let r = Self.report(s)
        // The command contains `$${blob}` in the file; its range covers the original text.
        expectRange(r.evidence.first { $0.role == .configCommand }?.range, covers: "./config.sh --unattended $${blob}", in: s.text)
        expectRange(r.evidence.first { $0.role == .jitConfigFlag }?.range, covers: "--jitconfig", in: s.text)
        let g = r.evidence.filter { $0.role == .guardCondition }.map(\.range)
        let cond = locate(#"[[ "$${jit}" == "false" ]] || [[ "$${mode}" != "ephemeral" ]]"#, in: s.text)
        #expect(g.contains { $0.start == cond.start && $0.end == cond.end })
    }

    @Test func windowsTemplateJitOnly() {
        let s = Corpus.windowsJitOnlyTemplate
        let r = Self.report(s)
        expectRange(r.evidence.first { $0.role == .jitConfigFlag }?.range, covers: "--jitconfig", in: s.text)
        // `Invoke-Expression ".\config.cmd …"`: the command inside the string is the evidence.
        expectRange(r.evidence.first { $0.role == .configCommand }?.range, covers: #".\config.cmd --unattended $${config}"#, in: s.text)
        // The delete sits inside `%{ if enable_cleanup }`: the marker is there, conditional on the template variable.
        let delete = r.markers(.deletesInstanceParameter).first
        #expect(delete != nil)
        let cmd = delete?.command.map { r.script.commands[$0] }
        #expect(cmd?.conditions.map(\.kind) == [.templateIf])
        #expect(cmd?.conditions.first?.text == "enable_cleanup")
    }

    // MARK: - Positive and negative cases per verdict

    @Test func tokenOnlyNeedsTheSSMValue() {
        // config.sh with a literal token argument string and no SSM read: not the module contract.
        #expect(analyze("./config.sh --url https://github.com/o --token ABC\n").contract == .unrelated)
        // The SSM value through `--query`, re-assignment and a function argument.
        let viaFunction = """
            reg() { ./config.sh --unattended "$@"; }
            v=$(aws ssm get-parameter --name "$token_path/$instance_id" --query Parameter.Value --output text)
            w="$v"
            reg $w
            """
        #expect(analyze(viaFunction).contract == .tokenOnly)
    }

    @Test func jitAwareNeedsTheFlagRead() {
        let body = """
            c=$(aws ssm get-parameter --name "$token_path/$instance_id" --query Parameter.Value --output text)
            if [[ "$MODE_FLAG" == "false" || $agent_mode != ephemeral ]]; then ./config.sh $c; fi
            if [[ $agent_mode == ephemeral && "$MODE_FLAG" == "true" ]]; then ./run.sh --jitconfig $c; fi
            """
        // `MODE_FLAG` is not read from SSM under the `enable_jit_config` name: 4.0.0-like.
        #expect(analyze(body).contract == .jitOnly)
        let withRead = "MODE_FLAG=$(aws ssm get-parameter --name \"$cfg/enable_jit_config\" --query Parameter.Value --output text)\n" + body
        #expect(analyze(withRead).contract == .jitAware)
    }

    @Test func flagReadButJitAlwaysUsedIsJitOnly() {
        let text = """
            jit=$(aws ssm get-parameter --name "$cfg/enable_jit_config" --query Parameter.Value --output text)
            c=$(aws ssm get-parameter --name "$token_path/$instance_id" --query Parameter.Value --output text)
            if [[ "$jit" == "false" || $agent_mode != ephemeral ]]; then ./config.sh $c; fi
            if [[ $agent_mode == ephemeral ]]; then ./run.sh --jitconfig $c; fi
            """
        let r = analyze(text)
        #expect(r.contract == .jitOnly)
        #expect(r.rationale.contains("still passes `--jitconfig`"))
    }

    @Test func guardWithWrongPolarityIsMixed() {
        // config.sh only for ephemeral runners: exactly where the JIT config arrives.
        let text = """
            c=$(aws ssm get-parameter --name "$token_path/$instance_id" --query Parameter.Value --output text)
            [[ $agent_mode == ephemeral ]] && ./config.sh $c
            ./run.sh --jitconfig "$c"
            """
        #expect(analyze(text).contract == .mixed)
    }

    @Test func undecidableFlagGuardCountsAsGuarded() {
        // A regex on the mode cannot be evaluated, but it is a mode condition: not treated as unguarded.
        let text = """
            c=$(aws ssm get-parameter --name "$token_path/$instance_id" --query Parameter.Value --output text)
            if [[ ! $agent_mode =~ ^eph.* ]]; then ./config.sh $c; fi
            if [[ $agent_mode =~ ^eph.* ]]; then ./run.sh --jitconfig $c; fi
            """
        let r = analyze(text)
        #expect(r.contract == .jitOnly)
        #expect(r.behaviour(in: .ephemeralWithJIT)?.configuresWithInstanceParameter == Truth.no)
    }

    @Test func powerShellArgumentArrays() {
        let text = """
            $cfg = (Get-SSMParameter -Name "$token_path/$InstanceId" -WithDecryption $true).Value
            if ($agent_mode -eq "ephemeral") {
                Start-Process -FilePath "$dir\\run.cmd" -ArgumentList @("--jitconfig", $cfg) -Wait
            } else {
                & "$dir\\config.cmd" @("--unattended", $cfg)
            }
            """
        let r = analyze(text, .powershell)
        #expect(r.contract == .jitOnly)
        expectRange(r.markers(.jitConfigFlag).first?.range, covers: "--jitconfig", in: text)
    }

    /// A user's own user-data template deciding at render time on a template variable.
    @Test func templateVariableSwitch() {
        let text = """
            cfg=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption --query Parameter.Value --output text)
            %{ if enable_jit_config && enable_ephemeral_runners ~}
            ./run.sh --jitconfig "$cfg"
            %{ else ~}
            ./config.sh --unattended $cfg
            ./run.sh
            %{ endif ~}
            """
        let r = analyze(text, template: true)
        #expect(r.contract == .jitAware)
        let switchEvidence = r.evidence.first { $0.role == .jitFlagRead }
        expectRange(switchEvidence?.range, covers: "%{ if enable_jit_config && enable_ephemeral_runners ~}", in: text)
        #expect(r.scenarios.map(\.configuresWithInstanceParameter) == [.no, .yes, .yes])
        // A template condition on anything else says nothing about JIT: config.sh may run next to --jitconfig.
        let other = analyze(text.replacingOccurrences(of: "enable_jit_config && enable_ephemeral_runners", with: "use_new_flow"), template: true)
        #expect(other.contract == .mixed)
    }

    @Test func wrapperNeedsThePlaceholder() {
        #expect(analyze("#!/bin/bash\n${install_runner}\n", template: true).contract == .unrelated)
        #expect(analyze("#!/bin/bash\n${start_runner}\n", template: true).contract == .wrapper)
    }

    @Test func analyzeDetectsLanguageAndTemplate() {
        let ps = ScriptAnalysis.analyze(SourceFile(path: "files/start-runner.ps1", text: Corpus.windowsJitAware.text))
        #expect(ps?.script.language == .powershell && ps?.contract == .jitAware)
        let tpl = ScriptAnalysis.analyze(SourceFile(path: "templates/user_data.tftpl", text: Corpus.wrapperTemplate.text))
        #expect(tpl?.script.isTemplate == true && tpl?.contract == .wrapper)
        #expect(ScriptAnalysis.analyze(SourceFile(path: "main.tf", text: "resource \"x\" \"y\" {}\n")) == nil)
    }
}
