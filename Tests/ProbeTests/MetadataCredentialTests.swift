import Foundation
import ProbeClient
import Testing

/// Instance metadata (IMDSv2) and container credentials, against a loopback stand-in.
@Suite struct MetadataCredentialTests {
    @Test func imdsV2AndContainerCredentials() async throws {
        let port = MotoServer.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", MotoServer.fixtures.appendingPathComponent("fake_metadata.py").path, String(port)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // SIGKILL: swift-corelibs-foundation's terminate() can miss a child started off the main thread.
        defer { kill(p.processIdentifier, SIGKILL) }
        for _ in 0..<100 where !MotoServer.accepts(port) { usleep(50_000) }

        let imds = InstanceMetadataCredentialProvider(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)"], transport: try CurlTransport(timeout: 2))
        let c = try await imds.credentials()
        #expect(c.accessKeyId == "ASIAIMDS000000001" && c.sessionToken?.revealed == "imds-session" && c.expiration != nil)
        await #expect(throws: CredentialError.notConfigured("instance metadata is disabled")) {
            _ = try await InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_DISABLED": "true"], transport: try CurlTransport()).credentials()
        }

        let container = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(port)/container/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-auth"],
            transport: try CurlTransport(timeout: 2))
        #expect(try await container.credentials().accessKeyId == "ASIACONTAINER0001")

        // In the chain, a missing metadata service is "not configured": the chain names every link.
        let chain = CredentialChain([
            EnvironmentCredentialProvider(environment: [:]),
            InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(MotoServer.freePort())"],
                                               transport: try CurlTransport(timeout: 1)),
        ])
        do {
            _ = try await chain.credentials()
            Issue.record("credentials out of nothing")
        } catch let e as CredentialError {
            #expect(e.description.hasPrefix("no AWS credentials found (environment: AWS_ACCESS_KEY_ID is not set; instance metadata (IMDSv2): no instance metadata service"))
        }
    }
}
