import AuditCore
import Foundation
import Knowledge
import ProbeClient
import Testing
@testable import Probe

/// Signature checking, access denial and the STS credential providers, against moto.
@Suite(.serialized) struct AWSAuthTests {
    @Test func signaturesAreCheckedAndADenialNamesThePermission() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        // moto rejects every signed GET with an empty body even from boto3 (probe-apis.md §4), so
        // the REST calls (Lambda, API Gateway) go to a second server without signature checking.
        guard let lambdaServer = try MotoServer.start() else { return }
        defer { lambdaServer.stop() }
        try server.seed()
        try lambdaServer.seed()
        let allowed = AWSActions.reads.filter { $0 != "ssm:GetParametersByPath" }
        let key = try server.createUser("auditor", allowed: allowed)
        #expect(try server.post("/moto-api/reset-auth", body: "0").status == 200)
        defer { _ = try? server.post("/moto-api/reset-auth", body: "inf") }

        let env = ["AWS_ENDPOINT_URL_LAMBDA": lambdaServer.endpoint.absoluteString, "AWS_ENDPOINT_URL_APIGATEWAYV2": lambdaServer.endpoint.absoluteString]
        let client = ProbeFixture.client(server, transport: try CurlTransport(), clock: ProbeFixture.clock(), extraEnvironment: env, credentials: key)
        let result = try await AWSProbe.run(client: client, settings: AWSProbeSettings(prefixes: ["legacy"], target: ModuleVersion(7, 11, 0)),
                                            knowledge: try KnowledgeBase.load())
        let denied = result.findings.filter { $0.ruleId == "PRB-408" }
        #expect(denied.map(\.message) == ["the auditor may not call `ssm:GetParametersByPath` on `aws/eu-west-1/ssm/github-action-runners/legacy/runners/config`"])
        // The rest went on, with the signer's requests accepted by moto.
        #expect(result.findings.contains { $0.ruleId == "PRB-404" })
        #expect(result.findings.contains { $0.ruleId == "PRB-407" })

        // A wrong secret: moto says SignatureDoesNotMatch; the probe stops with a clear error.
        let wrong = AWSCredentials(accessKeyId: key.accessKeyId, secretAccessKey: "not-the-secret")
        let bad = ProbeFixture.client(server, transport: try CurlTransport(), clock: ProbeFixture.clock(), extraEnvironment: env, credentials: wrong)
        do {
            _ = try await AWSProbe.run(client: bad, settings: AWSProbeSettings(prefixes: ["legacy"], target: ModuleVersion(7, 11, 0)), knowledge: nil)
            Issue.record("a wrong secret was accepted")
        } catch let e as AWSProbeError {
            #expect(e.description.hasPrefix("AWS rejected the credentials (SignatureDoesNotMatch on sts:GetCallerIdentity)"))
            #expect(!e.description.contains("not-the-secret"))
        }
    }

    @Test func aSkewedClockIsCorrectedOnceFromTheDateHeaderAndSaid() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        guard let lambdaServer = try MotoServer.start() else { return }
        defer { lambdaServer.stop() }
        try server.seed()
        try lambdaServer.seed()
        let key = try server.createUser("skewed", allowed: AWSActions.reads)
        #expect(try server.post("/moto-api/reset-auth", body: "0").status == 200)
        defer { _ = try? server.post("/moto-api/reset-auth", body: "inf") }

        // This machine 20 minutes fast: AWS (the gate in front of moto) refuses the first request.
        let gate = SkewGate(try CurlTransport())
        let said = Lines()
        var client = ProbeFixture.client(server, transport: gate, clock: SkewedClock(offset: 1200),
                                         extraEnvironment: ["AWS_ENDPOINT_URL_LAMBDA": lambdaServer.endpoint.absoluteString,
                                                            "AWS_ENDPOINT_URL_APIGATEWAYV2": lambdaServer.endpoint.absoluteString], credentials: key)
        client.skew = ClockSkew(report: { said.append($0) })
        let result = try await AWSProbe.run(client: client, settings: AWSProbeSettings(prefixes: ["modern"], target: ModuleVersion(7, 11, 0)),
                                            knowledge: try KnowledgeBase.load())
        // Re-signed with the corrected clock, moto (checking signatures) accepted it, and the
        // offset was kept: no later request was refused.
        #expect(gate.rejected == 1)
        #expect(result.callerArn?.contains("user/skewed") == true)
        #expect(!result.findings.contains { $0.ruleId == "PRB-408" }, "\(result.findings.map(\.message))")
        #expect(result.fleets.first?.config["agent_mode"] == "ephemeral")
        #expect(abs(client.skew.offset + 1200) <= 2)
        let lines = said.all
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first.map { $0.hasPrefix("AWS: this machine's clock is 1") && $0.contains("s ahead of AWS's") && $0.contains("offset of -1") } == true, "\(lines)")
        #expect(!lines.joined().contains(key.secretAccessKey.revealed))
    }

    @Test func assumeRoleFromASourceProfileAndWebIdentity() async throws {
        guard let server = try MotoServer.start() else { return }
        defer { server.stop() }
        let env = ["AWS_ENDPOINT_URL": server.endpoint.absoluteString]
        let files = AWSConfigFiles(profiles: [
            "base": ["aws_access_key_id": "AKIABASE000000001", "aws_secret_access_key": "base-secret"],
            "auditor": ["role_arn": "arn:aws:iam::123456789012:role/ghr-audit", "source_profile": "base", "role_session_name": "probe"],
        ])
        let assumed = try await ProfileCredentialProvider(profile: "auditor", files: files, environment: env, transport: try CurlTransport(),
                                                          region: "eu-west-1").credentials()
        #expect(assumed.accessKeyId != "AKIABASE000000001" && assumed.sessionToken != nil && assumed.expiration != nil)
        let who = AWSClient(transport: try CurlTransport(), credentials: StaticCredentialProvider(assumed),
                            endpoints: AWSEndpoints(region: "eu-west-1", environment: env))
        #expect(try await who.callerIdentity().arn.contains("assumed-role/ghr-audit/probe"))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tokenFile = dir.appendingPathComponent("token")
        try "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZy9pbmZyYSJ9.c2ln\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let wiEnv = env.merging(["AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile.path, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/gha-oidc"]) { $1 }
        let chain = CredentialChain.standard(profile: nil, environment: wiEnv.merging(["AWS_EC2_METADATA_DISABLED": "true", "HOME": dir.path]) { $1 },
                                             files: AWSConfigFiles(profiles: [:]), region: "eu-west-1",
                                             transport: try CurlTransport(), metadataTransport: try CurlTransport(timeout: 1))
        let web = try await chain.credentials()
        #expect(web.sessionToken != nil)
        #expect(await chain.answeredBy == "web identity")
    }
}

extension MotoServer {
    /// An IAM user allowed `allowed` (through the real API), for runs with signature checking on.
    func createUser(_ name: String, allowed: [String]) throws -> AWSCredentials {
        let r = Self.run(["python3", Self.fixtures.appendingPathComponent("seed_fleet.py").path, endpoint.absoluteString, "--user", name,
                          allowed.joined(separator: ",")])
        guard r.status == 0, let line = r.output.split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
              let id = obj["AccessKeyId"], let secret = obj["SecretAccessKey"] else { throw SeedError(output: r.output) }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret)
    }
}

/// Lines a callback said, kept in order.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.withLock { lines.append(s) } }
    var all: [String] { lock.withLock { lines } }
}
