import AuditCore
import Testing
@testable import Scripts

/// Every marker kind with a positive case (exact range) and a negative one (a decoy, or a near miss).
@Suite struct MarkerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var kind: MarkerKind
        var language: ScriptLanguage
        var positive: String
        /// The text the first marker of `kind` must cover.
        var covers: String
        var negative: String
        var testDescription: String { "\(kind) (\(language))" }
    }

    static let cases: [Case] = [
        Case(kind: .readsInstanceParameter, language: .bash,
             positive: #"v=$(aws --region eu-west-1 ssm get-parameter --name "$token_path/$instance_id" --with-decryption)"#,
             covers: "get-parameter",
             negative: #"v=$(aws ssm get-parameter --name "$ssm_config_path/agent_mode")"#),
        Case(kind: .readsInstanceParameter, language: .powershell,
             positive: #"$v = (Get-SSMParameter -Name "$tokenPath/$InstanceId" -WithDecryption $true).Value"#,
             covers: "Get-SSMParameter",
             negative: #"$v = (Get-SSMParameter -Name "$configPath/run_as").Value"#),
        Case(kind: .deletesInstanceParameter, language: .bash,
             positive: #"aws ssm delete-parameter --name "$token_path/$instance_id""#, covers: "delete-parameter",
             negative: #"aws ssm delete-parameter --name "/acme/cache/$build""#),
        Case(kind: .deletesInstanceParameter, language: .powershell,
             positive: #"Remove-SSMParameter -Name "$token_path/$InstanceId" -Force"#, covers: "Remove-SSMParameter",
             negative: #"Remove-SSMParameter -Name "/acme/cache" -Force"#),
        Case(kind: .readsTokensByPath, language: .bash,
             positive: #"aws ssm get-parameters-by-path --path "/github-action-runners/x/runners/tokens" --recursive"#,
             covers: "get-parameters-by-path",
             negative: #"aws ssm get-parameters-by-path --path "$ssm_config_path""#),
        Case(kind: .hardCodedParameterPath, language: .bash,
             positive: #"p="/github-action-runners/ci/runners/config""#, covers: "/github-action-runners/",
             negative: "# /github-action-runners/ci\necho \"see /github-action-runners/ci\""),
        Case(kind: .readsTokenPath, language: .bash,
             positive: #"t=$(jq -r '.[] | select(.Name == "'$c'/token_path") | .Value' <<< "$p")"#, covers: "token_path",
             negative: #"echo "token_path=$token_path""#),
        Case(kind: .readsConfigPathTag, language: .powershell,
             positive: #"$c = $tags.Tags.where({$_.Key -eq 'ghr:ssm_config_path'}).value"#, covers: "ghr:ssm_config_path",
             negative: #"Write-Host "ghr:ssm_config_path is $c""#),
        Case(kind: .readsRunnerTag, language: .bash,
             positive: #"p=$(curl -s -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/tags/instance/ghr:runner_name_prefix)"#,
             covers: "ghr:runner_name_prefix",
             negative: #"echo "ghr:environment""#),
        Case(kind: .readsEnableJitConfig, language: .bash,
             positive: #"jit=$(aws ssm get-parameter --name "$cfg/enable_jit_config" --query Parameter.Value --output text)"#,
             covers: "enable_jit_config",
             negative: "if [[ $enable_jit_config == true ]]; then echo \"enable_jit_config on\"; fi"),
        Case(kind: .readsAgentMode, language: .powershell,
             positive: #"$m = $parameters.where( {$_.Name -eq "$p/agent_mode"}).value"#, covers: "agent_mode",
             negative: #"if ($agent_mode -eq "ephemeral") { Write-Host "agent_mode" }"#),
        Case(kind: .ephemeralCheck, language: .bash,
             positive: #"if [[ $agent_mode == "ephemeral" ]]; then x; fi"#, covers: #"[[ $agent_mode == "ephemeral" ]]"#,
             negative: #"if [[ $run_as == "root" ]]; then x; fi"#),
        Case(kind: .configCommand, language: .powershell,
             positive: #"& "$dir\config.cmd" --unattended"#, covers: #""$dir\config.cmd""#,
             negative: #"Write-Host ".\config.cmd --unattended""#),
        Case(kind: .configWithLiteralToken, language: .bash,
             positive: #"sudo -u runner ./config.sh --url "$url" --token "$T""#, covers: "--token",
             negative: #"./config.sh --url "$url" $args"#),
        Case(kind: .jitConfigFlag, language: .bash,
             positive: #"nohup ./run.sh --jitconfig="$c" &"#, covers: "--jitconfig",
             negative: #"echo "./run.sh --jitconfig $c""#),
        Case(kind: .jitConfigFlag, language: .powershell,
             positive: #"Start-Process -FilePath "run.cmd" -ArgumentList "--jitconfig $c""#, covers: "--jitconfig",
             negative: #"Start-Process -FilePath "notepad.exe" -ArgumentList "--jitconfig-notes.txt""#),
        Case(kind: .imdsV2Token, language: .bash,
             positive: #"t=$(curl -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")"#,
             covers: "http://169.254.169.254/latest/api/token",
             negative: #"t=$(curl http://169.254.169.254/latest/api/token)"#),
        Case(kind: .imdsV1Access, language: .bash,
             positive: #"id=$(wget -qO- http://169.254.169.254/latest/meta-data/instance-id)"#,
             covers: "http://169.254.169.254/latest/meta-data/instance-id",
             negative: #"id=$(curl -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/instance-id)"#),
        Case(kind: .imdsV1Access, language: .powershell,
             positive: #"$id = Invoke-RestMethod -Uri "http://169.254.169.254/latest/meta-data/instance-id""#,
             covers: #""http://169.254.169.254/latest/meta-data/instance-id""#,
             negative: "$h = @{\"X-aws-ec2-metadata-token\" = $t}\n$id = Invoke-RestMethod -Uri \"http://169.254.169.254/latest/meta-data/instance-id\" -Headers $h"),
        Case(kind: .imdsV1Access, language: .bash,
             positive: "opts=(-s)\ncurl \"${opts[@]}\" http://169.254.169.254/latest/dynamic/instance-identity/document",
             covers: "http://169.254.169.254/latest/dynamic/instance-identity/document",
             negative: "opts=(-s -H \"X-aws-ec2-metadata-token: $t\")\ncurl \"${opts[@]}\" http://169.254.169.254/latest/dynamic/instance-identity/document"),
        Case(kind: .instanceMetadataTags, language: .bash,
             positive: #"curl -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/tags/instance/ghr:environment"#,
             covers: "meta-data/tags/instance",
             negative: "# http://169.254.169.254/latest/meta-data/tags/instance/ghr:environment"),
        Case(kind: .describeTags, language: .bash,
             positive: #"tags=$(aws ec2 describe-tags --filters "Name=resource-id,Values=$id")"#, covers: "describe-tags",
             negative: #"aws ec2 describe-instances --instance-ids "$id""#),
        Case(kind: .describeTags, language: .powershell,
             positive: #"$tags = Get-EC2Tag -Filter @{Name="resource-id";Values=$id}"#, covers: "Get-EC2Tag",
             negative: #"Write-Host "Get-EC2Tag""#),
        Case(kind: .selfTermination, language: .bash,
             positive: #"aws ec2 terminate-instances --instance-ids "$instance_id" --region "$region""#, covers: "terminate-instances",
             negative: #"aws ec2 stop-instances --instance-ids "$instance_id""#),
        Case(kind: .selfTermination, language: .powershell,
             positive: #"Remove-EC2Instance -InstanceId $InstanceId -Force"#, covers: "Remove-EC2Instance",
             negative: #"Stop-Computer -Force"#),
        Case(kind: .tagsRunnerId, language: .bash,
             positive: #"aws ec2 create-tags --resources "$id" --tags Key=ghr:github_runner_id,Value="$agent_id""#,
             covers: "ghr:github_runner_id",
             negative: #"aws ec2 create-tags --resources "$id" --tags Key=Name,Value=runner"#),
        Case(kind: .tagsRunnerId, language: .powershell,
             positive: #"New-EC2Tag -Resource $id -Tag @{ Key = "ghr:github_runner_id"; Value = $agentId }"#,
             covers: #"@{ Key = "ghr:github_runner_id"; Value = $agentId }"#,
             negative: #"New-EC2Tag -Resource $id -Tag @{ Key = "Name"; Value = "runner" }"#),
        Case(kind: .defaultLabelsOptOut, language: .bash,
             positive: #"./config.sh --no-default-labels $c"#, covers: "--no-default-labels",
             negative: #"echo "--no-default-labels""#),
        Case(kind: .serviceInstall, language: .bash,
             positive: #"sudo ./svc.sh install "$run_as""#, covers: "./svc.sh",
             negative: "./svc.sh start"),
        Case(kind: .serviceInstall, language: .powershell,
             positive: #"Register-ScheduledTask -TaskName runnertask -Action $action"#, covers: "Register-ScheduledTask",
             negative: #"Unregister-ScheduledTask -TaskName runnertask"#),
        Case(kind: .runAsRoot, language: .bash,
             positive: "RUNNER_ALLOW_RUNASROOT=1 ./config.sh $c", covers: "RUNNER_ALLOW_RUNASROOT",
             negative: #"echo "set RUNNER_ALLOW_RUNASROOT yourself""#),
        Case(kind: .runAsRoot, language: .powershell,
             positive: #"$env:RUNNER_ALLOW_RUNASROOT = "1""#, covers: "$env:RUNNER_ALLOW_RUNASROOT",
             negative: "# $env:RUNNER_ALLOW_RUNASROOT"),
        Case(kind: .amazonLinux2Tooling, language: .bash,
             positive: "sudo amazon-linux-extras install docker", covers: "amazon-linux-extras",
             negative: "dnf install -y docker"),
        Case(kind: .perBootPath, language: .bash,
             positive: "install -m 755 start.sh /var/lib/cloud/scripts/per-boot/start-runner.sh",
             covers: "/var/lib/cloud/scripts/per-boot/",
             negative: "install -m 755 start.sh /var/lib/cloud/scripts/per-instance/start-runner.sh"),
        Case(kind: .windowsStartScriptPath, language: .powershell,
             positive: #"Copy-Item .\start.ps1 C:\Start-Runner.ps1"#, covers: #"C:\Start-Runner.ps1"#,
             negative: #"Copy-Item .\start.ps1 C:\scripts\start-runner.ps1"#),
    ]

    @Test(arguments: cases)
    func positiveAndNegative(_ c: Case) {
        let text = c.positive + "\n"
        let r = analyze(text, c.language)
        let found = r.markers(c.kind)
        #expect(!found.isEmpty, "no \(c.kind) in \(c.positive)")
        expectRange(found.first?.range, covers: c.covers, in: text)
        let negative = analyze(c.negative + "\n", c.language)
        #expect(!negative.has(c.kind), "unexpected \(c.kind) in \(c.negative)")
    }

    @Test func everyKindIsCovered() {
        let covered = Set(Self.cases.map(\.kind)).union([.templatePlaceholder])
        #expect(covered == Set(MarkerKind.allCases))
    }

    @Test func templatePlaceholdersAreMarkers() {
        let text = "${pre_install}\ncd /opt\n${start_runner}\n"
        let r = analyze(text, template: true)
        #expect(r.markers(.templatePlaceholder).map(\.detail) == ["pre_install", "start_runner"])
        expectRange(r.markers(.templatePlaceholder).last?.range, covers: "${start_runner}", in: text)
        #expect(!analyze(text).has(.templatePlaceholder))
    }

    @Test func markersAreSortedAndCarryTheirCommand() {
        let r = analyze(Corpus.jitAwareFunctions.text)
        let offsets = r.markers.map(\.range.start.offset)
        #expect(offsets == offsets.sorted())
        for m in r.markers {
            if let i = m.command { #expect(r.script.commands[i].range.start.offset <= m.range.start.offset) }
        }
        let config = r.markers(.configCommand)
        #expect(config.count == 1 && config.first?.detail == "gets the per-instance SSM value")
    }
}
