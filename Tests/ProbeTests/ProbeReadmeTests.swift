import AuditCore
import Foundation
import Knowledge
import ProbeClient
import Reporters
import Testing
@testable import Probe

/// The README's probe section shows real output and the policy generated from the action set.
@Suite(.serialized) struct ProbeReadmeTests {
    static let readme = (try? String(contentsOf: MotoServer.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    @Test func policyIsGeneratedFromTheAssertedActionSet() {
        #expect(Self.readme.contains("```json\n" + AWSActions.leastPrivilegePolicy() + "\n```"), "README policy is stale")
        // The set itself: every action the probe may send, all reads or STS credential calls.
        #expect(AWSActions.all == [
            "sts:GetCallerIdentity", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity",
            "ssm:DescribeParameters", "ssm:GetParametersByPath",
            "ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeImages",
            "lambda:ListFunctions", "apigateway:GET",
            "iam:ListRoles", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion",
            "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "cloudwatch:GetMetricStatistics", "logs:FilterLogEvents",
            // Only with `--github-app-from-fleet`, for the App's two parameters (FleetGitHubTests).
            "ssm:GetParameter",
        ])
        // The extra grant the README shows for `--github-app-from-fleet` is exactly those reads.
        let grant = "\"Action\": [" + AWSActions.githubAppReads.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        #expect(Self.readme.contains(grant), "README's grant for --github-app-from-fleet is stale")
        #expect(!AWSActions.leastPrivilegePolicy().contains("ssm:GetParameter\""), "the read-only policy never decrypts")
        #expect(AWSActions.all.allSatisfy(AWSActions.isReadOnly))
    }

    @Test func anUndeclaredActionIsRefusedBeforeAnythingIsSent() async throws {
        let recorder = RecordingTransport(try CurlTransport(timeout: 1))
        let client = AWSClient(transport: recorder, credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "a", secretAccessKey: "b")),
                               endpoints: AWSEndpoints(region: "eu-west-1", environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9"]))
        await #expect(throws: AWSClientError.self) { _ = try await client.json(.ssm, "PutParameter", ["Name": "/x", "Value": "y"]) }
        await #expect(throws: AWSClientError.self) { _ = try await client.query(.ec2, "TerminateInstances", [("InstanceId.1", "i-1")]) }
        #expect(recorder.entries.isEmpty)
    }

    static func normalised(_ s: String) -> String {
        let re = try! NSRegularExpression(pattern: "i-[0-9a-f]{17}")
        return re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "i-…")
    }

    @Test func exampleOutputIsReal() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        try server.seed()
        let client = ProbeFixture.client(server, transport: try CurlTransport(), clock: SystemClock())
        let result = try await AWSProbe.run(client: client, settings: AWSProbeSettings(prefixes: ["legacy"], target: try KnowledgeBase.load().latest.version),
                                            knowledge: try KnowledgeBase.load())
        var report = Report(toolVersion: "x", target: "7.11.0", filesScanned: 0, filesByKind: [:], modules: [],
                            findings: result.findings, rules: [])
        report.auditsRepository = false   // as `probe` renders it
        let text = render(report, as: .text, options: RenderOptions(color: false, sources: result.sources))
        #expect(Self.normalised(Self.readme).contains(Self.normalised("```text\n" + text.trimmingCharacters(in: .newlines) + "\n```")),
                "README probe example is stale:\n\(text)")
    }
}
