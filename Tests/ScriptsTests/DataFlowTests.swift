import AuditCore
import Testing
import TestSupport
@testable import Scripts

@Suite struct DataFlowTests {
    /// Variable names are normalised on their bytes when ASCII; the answer must be the Unicode
    /// lower-casing's (below, as it was) for every name.
    @Test func byteNormalisationOfNamesAgreesWithUnicodeLowercasing() {
        func reference(_ name: String) -> String {
            String(name.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != ":" })
        }
        var generator = SeededGenerator(seed: 41)
        let alphabet = Array("aZ_-:09TokenPATHİé$@[]")
        for name in ["TOKEN_PATH", "$env:RunnerToken", "instance-id", "İnstanceId", "ÉPHEMERAL", "", "_-:"] {
            #expect(FlowAnalysis.normalizedName(name) == reference(name), "\(name)")
        }
        for _ in 0..<5_000 {
            let name = String((0..<Int.random(in: 0...10, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            #expect(FlowAnalysis.normalizedName(name) == reference(name), "\(name.debugDescription)")
        }
    }

    static func facts(_ text: String, _ language: ScriptLanguage = .bash) -> [String: Set<ValueFact>] {
        analyze(text, language).variableFacts
    }

    @Test func throughJqQueryAndReassignment() {
        let f = Self.facts("""
            raw=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption | jq -r .Parameter.Value)
            q=$(aws ssm get-parameters --names "$token_path/$instance_id" --query 'Parameters[0].Value' --output text)
            copy="$raw"
            args="--unattended ${copy} --name x"
            decoded=$(base64 -d <<< "$q")
            """)
        for name in ["raw", "q", "copy", "args", "decoded"] {
            #expect(f[name]?.contains(.instanceParameter) == true, "\(name)")
        }
        // The name of the parameter is not its value.
        #expect(f["instance_id"] == nil)
    }

    @Test func theParameterNameIsNotTheSecret() {
        let f = Self.facts("""
            name="$token_path/$instance_id"
            value=$(aws ssm get-parameter --name "$name" --query Parameter.Value --output text)
            mode=$(aws ssm get-parameter --name "$cfg/agent_mode" --query Parameter.Value --output text)
            """)
        #expect(f["name"]?.contains(.instanceParameter) != true)
        #expect(f["value"] == [.instanceParameter])
        #expect(f["mode"] == [.agentMode])
    }

    @Test func throughFunctionArgumentsAndOutput() {
        let text = """
            read_secret() {
              aws ssm get-parameter --name "$1/$2" --with-decryption --query Parameter.Value --output text
            }
            register() {
              local settings=$1
              ./config.sh --unattended $settings
            }
            start() { ./run.sh "$@"; }
            secret=$(read_secret "$token_path" "$instance_id")
            register "$secret"
            start --jitconfig "$secret"
            """
        let r = analyze(text)
        #expect(r.variableFacts["secret"] == [.instanceParameter])
        #expect(r.variableFacts["register#1"] == [.instanceParameter])
        #expect(r.variableFacts["settings"] == [.instanceParameter])
        #expect(r.variableFacts["start#@"] == [.instanceParameter])
        #expect(r.variableFacts["read_secret#1"] == [.tokenPath])
        #expect(r.markers(.configCommand).first?.detail == "gets the per-instance SSM value")
        let reads = r.has(.readsInstanceParameter)
        #expect(reads)
        // config.sh runs unconditionally next to `--jitconfig`.
        #expect(r.contract == .mixed)
    }

    @Test func jitFlagFromParametersByPathWithJq() {
        let f = Self.facts("""
            parameters=$(aws ssm get-parameters-by-path --path "$ssm_config_path" --query "Parameters[*].{Name:Name,Value:Value}")
            enable_jit_config=$(echo "$parameters" | jq -r '.[] | select(.Name == "'$ssm_config_path'/enable_jit_config") | .Value')
            mode=$(jq -r '.[] | select(.Name | endswith("/agent_mode")) | .Value' <<< "$parameters")
            """)
        #expect(f["enable_jit_config"]?.contains(.jitFlag) == true)
        #expect(f["mode"]?.contains(.agentMode) == true)
        #expect(f["parameters"] == nil)
    }

    @Test func powerShellFlowAndParameters() {
        let text = """
            $parameters = aws ssm get-parameters-by-path --path "$configPath" | ConvertFrom-Json
            $jit = $parameters.where( {$_.Name -eq "$configPath/enable_jit_config"}).value
            $InstanceId = (Invoke-RestMethod -Uri "http://169.254.169.254/latest/dynamic/instance-identity/document").instanceId
            $cfg = (aws ssm get-parameters --names "$token_path/$InstanceId" --with-decryption | ConvertFrom-Json)[0].value
            function Register-Runner { param([string]$Settings) & .\\config.cmd $Settings }
            Register-Runner -Settings $cfg
            """
        let r = analyze(text, .powershell)
        #expect(r.variableFacts["jit"]?.contains(.jitFlag) == true)
        #expect(r.variableFacts["instanceid"]?.contains(.instanceID) == true)
        #expect(r.variableFacts["cfg"] == [.instanceParameter])
        #expect(r.variableFacts["settings"] == [.instanceParameter])
        #expect(r.contract == .tokenOnly)
    }

    @Test func hardCodedTokensPathAndInstanceIdSubstitution() {
        let r = analyze("""
            v=$(aws ssm get-parameter --name "/github-action-runners/prod/runners/tokens/$(curl -s http://169.254.169.254/latest/meta-data/instance-id)" --with-decryption --query Parameter.Value --output text)
            ./config.sh $v
            """)
        #expect(r.contract == .tokenOnly)
        let markers = (r.has(.hardCodedParameterPath), r.has(.imdsV1Access))
        #expect(markers == (true, true))
    }

    @Test func tokensByPathIsARead() {
        let text = """
            all=$(aws ssm get-parameters-by-path --path "$token_path" --with-decryption)
            mine=$(echo "$all" | jq -r --arg id "$iid" '.Parameters[] | select(.Name | endswith($id)) | .Value')
            ./config.sh $mine
            """
        let r = analyze(text)
        #expect(r.variableFacts["mine"]?.contains(.instanceParameter) == true)
        expectRange(r.markers(.readsTokensByPath).first?.range, covers: "get-parameters-by-path", in: text)
        #expect(r.contract == .tokenOnly)
    }

    @Test func readBuiltinTakesItsInput() {
        let f = Self.facts("""
            read -r A B <<< "$(aws ssm get-parameter --name "$token_path/$instance_id" --query Parameter.Value --output text)"
            read -t 5 -r C < <(aws ssm get-parameters --names "$token_path/$instance_id" --query 'Parameters[0].Value' --output text)
            mapfile -t LINES < <(aws ssm get-parameter --name "$token_path/$instance_id" --query Parameter.Value --output text)
            read -r D <<< "$unrelated"
            """)
        for name in ["A", "B", "C", "LINES"] { #expect(f[name] == [.instanceParameter], "\(name)") }
        #expect(f["D"] == nil)
        // `-t 5` is a timeout for read: `5` is not a variable.
        #expect(f["5"] == nil)
    }

    @Test func sudoCombinedFlagsAndWrappers() {
        let s = bash("sudo -iu runner ./config.sh $c\nsudo -E -u runner -- env A=1 nohup timeout -s KILL 60 ./run.sh\nexec -a x ./svc.sh install\n")
        #expect(s.commands.map(\.programName) == ["config.sh", "run.sh", "svc.sh"])
        #expect(s.commands[1].effectiveArguments.isEmpty)
    }

    /// `programName` and `programKey` are kept with `effectiveName` (not worked out on each ask:
    /// a name can be as long as the script), whatever sets it.
    @Test func programNameFollowsTheEffectiveName() {
        let s = bash("/opt/Actions-Runner/CONFIG.SH --url x\nsudo 'C:\\runner\\Run.Cmd'\necho\n")
        #expect(s.commands.map(\.programName) == ["CONFIG.SH", "Run.Cmd", "echo"])
        #expect(s.commands.map(\.programKey) == ["config.sh", "run.cmd", "echo"])
        var command = s.commands[0]
        command.effectiveName = "/usr/bin/Env"
        #expect(command.programName == "Env" && command.programKey == "env")
        command.effectiveName = nil
        #expect(command.programName == nil && command.programKey == nil)
    }

    @Test func constantsExpandIntoLookups() {
        let r = analyze("""
            IMDS=http://169.254.169.254/latest
            JIT_PARAM="$cfg/enable_jit_config"
            id=$(curl -s "$IMDS/meta-data/instance-id")
            jit=$(aws ssm get-parameter --name "$JIT_PARAM" --query Parameter.Value --output text)
            """)
        #expect(r.variableFacts["id"] == [.instanceID])
        #expect(r.variableFacts["jit"] == [.jitFlag])
        let v1 = r.has(.imdsV1Access)
        #expect(v1)
    }
}
