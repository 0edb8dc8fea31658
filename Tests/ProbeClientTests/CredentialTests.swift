import Foundation
import Testing
@testable import ProbeClient

@Suite struct CredentialTests {
    static func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    @Test func environmentKeys() async throws {
        let c = try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE12345", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"]).credentials()
        #expect(c.accessKeyId == "AKIAEXAMPLE12345" && c.secretAccessKey.revealed == "s" && c.sessionToken?.revealed == "t")
        await #expect(throws: CredentialError.failed("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")) {
            _ = try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "x"]).credentials()
        }
    }

    @Test func profilesFromBothFilesAndRegion() async throws {
        let d = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        try "[default]\nregion = us-west-2\n\n[profile dev]\nregion = eu-central-1\ns3 =\n  max_concurrent_requests = 4\n# comment\n"
            .write(to: d.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "[dev]\naws_access_key_id = AKIADEV0000000001\naws_secret_access_key = devsecret\n"
            .write(to: d.appendingPathComponent("credentials"), atomically: true, encoding: .utf8)
        let env = ["HOME": "/nonexistent", "AWS_CONFIG_FILE": d.appendingPathComponent("config").path,
                   "AWS_SHARED_CREDENTIALS_FILE": d.appendingPathComponent("credentials").path]
        let files = AWSConfigFiles.load(environment: env)
        #expect(files.profiles["dev"]?["s3.max_concurrent_requests"] == "4")
        #expect(resolveAWSRegion(explicit: nil, profile: "dev", environment: env, files: files) == "eu-central-1")
        #expect(resolveAWSRegion(explicit: nil, profile: nil, environment: env, files: files) == "us-west-2")
        #expect(resolveAWSRegion(explicit: nil, profile: nil, environment: env.merging(["AWS_DEFAULT_REGION": "ap-south-1"]) { $1 }, files: files) == "ap-south-1")
        #expect(resolveAWSRegion(explicit: "sa-east-1", profile: nil, environment: env.merging(["AWS_REGION": "x"]) { $1 }, files: files) == "sa-east-1")
        let p = ProfileCredentialProvider(profile: "dev", files: files, environment: env, transport: try CurlTransport(), region: "eu-central-1")
        let c = try await p.credentials()
        #expect(c.accessKeyId == "AKIADEV0000000001" && c.secretAccessKey.revealed == "devsecret")
        // The chain: no environment keys, no web identity; AWS_PROFILE picks the profile.
        let chain = CredentialChain.standard(profile: nil, environment: env.merging(["AWS_PROFILE": "dev", "AWS_EC2_METADATA_DISABLED": "true"]) { $1 },
                                             files: files, region: "eu-central-1", transport: try CurlTransport(), metadataTransport: try CurlTransport(timeout: 1))
        #expect(try await chain.credentials().accessKeyId == "AKIADEV0000000001")
        #expect(await chain.answeredBy == "profile dev")
    }

    @Test func credentialProcess() async throws {
        let d = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        let script = d.appendingPathComponent("creds.sh")
        try "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC000000001\", \"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"proctoken\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n"
            .write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let files = AWSConfigFiles(profiles: ["proc": ["credential_process": "\(script.path) --role \"a b\""]])
        let c = try await ProfileCredentialProvider(profile: "proc", files: files, environment: [:], transport: try CurlTransport(), region: "us-east-1").credentials()
        #expect(c.accessKeyId == "AKIAPROC000000001" && c.sessionToken?.revealed == "proctoken" && c.expiration != nil)
        #expect(CredentialProcess.split("/bin/x --role \"a b\" c") == ["/bin/x", "--role", "a b", "c"])
        let failing = AWSConfigFiles(profiles: ["bad": ["credential_process": "/bin/false"]])
        await #expect(throws: CredentialError.failed("credential_process `/bin/false` exited with status 1")) {
            _ = try await ProfileCredentialProvider(profile: "bad", files: failing, environment: [:], transport: try CurlTransport(), region: "us-east-1").credentials()
        }
    }

    @Test func sourceProfileLoopsAreCaught() async throws {
        let files = AWSConfigFiles(profiles: ["a": ["role_arn": "arn:aws:iam::1:role/a", "source_profile": "b"],
                                              "b": ["role_arn": "arn:aws:iam::1:role/b", "source_profile": "a"]])
        await #expect(throws: CredentialError.self) {
            _ = try await ProfileCredentialProvider(profile: "a", files: files, environment: [:], transport: try CurlTransport(), region: "us-east-1").credentials()
        }
    }

    @Test func endpointsPerServiceThenGlobalThenAWS() {
        let e = AWSEndpoints(region: "eu-west-1", environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:2"])
        #expect(e.url(for: .sqs).absoluteString == "http://127.0.0.1:2")
        #expect(e.url(for: .ssm).absoluteString == "http://127.0.0.1:1")
        let aws = AWSEndpoints(region: "eu-west-1", environment: [:])
        #expect(aws.url(for: .ssm).absoluteString == "https://ssm.eu-west-1.amazonaws.com")
        #expect(aws.url(for: .iam).absoluteString == "https://iam.amazonaws.com" && aws.signingRegion(for: .iam) == "us-east-1")
        #expect(aws.url(for: .cloudwatch).absoluteString == "https://monitoring.eu-west-1.amazonaws.com")
    }

    @Test func retryPolicyIsFullJitterCappedAndHonoursRetryAfter() {
        let p = RetryPolicy(maxAttempts: 4, baseDelay: 1, maxDelay: 5)
        #expect(p.delay(afterAttempt: 1, random: 0.5) == 0.5)
        #expect(p.delay(afterAttempt: 3, random: 0.999)! < 4)
        #expect(p.delay(afterAttempt: 4, random: 0.5) == nil)
        #expect(p.delay(afterAttempt: 1, retryAfter: 30, random: 0.1) == 5)
        #expect(RetryPolicy(maxAttempts: 10, baseDelay: 1, maxDelay: 5).delay(afterAttempt: 9, random: 1) == 5)
    }

    @Test func concurrentMapKeepsOrderAndBound() async throws {
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var now = 0, peak = 0
            func enter() { lock.withLock { now += 1; peak = max(peak, now) } }
            func leave() { lock.withLock { now -= 1 } }
        }
        let c = Counter()
        let out = try await Array(0..<20).concurrentMap(maxConcurrent: 3) { i -> Int in
            c.enter()
            try await Task.sleep(nanoseconds: 2_000_000)
            c.leave()
            return i * 2
        }
        #expect(out == (0..<20).map { $0 * 2 })
        #expect(c.peak <= 3 && c.peak >= 1)
    }

    @Test func errorsDecodePerProtocol() {
        let json = HTTPResponse(status: 400, headers: HTTPHeaders([("x-amzn-RequestId", "r1")]),
                                body: Data(#"{"__type":"com.amazonaws.ssm#AccessDeniedException","message":"no"}"#.utf8))
        let e = AWSServiceError.decode(service: .ssm, operation: "GetParametersByPath", response: json)
        #expect(e.code == "AccessDeniedException" && e.isAccessDenied && e.action == "ssm:GetParametersByPath" && e.requestID == "r1")
        let xml = HTTPResponse(status: 400, body: Data("<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>q</RequestId></ErrorResponse>".utf8))
        let x = AWSServiceError.decode(service: .iam, operation: "ListRoles", response: xml)
        #expect(x.code == "Throttling" && x.isThrottling && x.requestID == "q")
        let ec2 = HTTPResponse(status: 401, body: Data("<Response><Errors><Error><Code>AuthFailure</Code><Message>m</Message></Error></Errors><RequestID>z</RequestID></Response>".utf8))
        #expect(AWSServiceError.decode(service: .ec2, operation: "DescribeInstances", response: ec2).isCredentialProblem)
        let cw = AWSServiceError.decode(service: .cloudwatch, operation: "GetMetricStatistics", response: HTTPResponse(status: 503))
        #expect(cw.action == "cloudwatch:GetMetricStatistics" && cw.isServerError)
    }
}
