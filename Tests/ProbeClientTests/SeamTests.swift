import Foundation
import Testing
@testable import ProbeClient

@Suite struct SeamTests {
    @Test func secretsNeverPrint() {
        let s = Secret("AKIAIOSFODNN7EXAMPLE-wJalrXUtnFEMI")
        struct Holder { var key: Secret<String> }
        let h = Holder(key: s)
        for text in ["\(s)", String(describing: s), String(reflecting: s), String(describing: h), String(reflecting: h), "\(Mirror(reflecting: h).children.map { "\($0.value)" })"] {
            #expect(!text.contains("AKIA"), "leaked in \(text)")
        }
        #expect(s.revealed.hasPrefix("AKIA"))
    }

    @Test func headersCompareNamesWithoutCase() {
        var h = HTTPHeaders([("Content-Type", "a"), ("X-Amz-Date", "b")])
        #expect(h["content-type"] == "a")
        h.set("CONTENT-TYPE", "c")
        #expect(h["Content-Type"] == "c")
        #expect(h.fields.count == 2)
        h.remove("x-amz-date")
        #expect(h["X-Amz-Date"] == nil)
    }

    @Test func recordingTransportNamesTheOperation() {
        var r = HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:1/")!)
        r.headers.set("X-Amz-Target", "AmazonSSM.GetParametersByPath")
        #expect(RecordingTransport.operation(of: r) == "AmazonSSM.GetParametersByPath")
        let q = HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:1/?Action=DescribeInstances&Version=2016-11-15")!)
        #expect(RecordingTransport.operation(of: q) == "DescribeInstances")
        var f = HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:1/")!, body: Data("Action=GetRole&Version=2010-05-08".utf8))
        f.headers.set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        #expect(RecordingTransport.operation(of: f) == "GetRole")
    }

    @Test func unreachableEndpointIsATransportError() async throws {
        // Port 9 on loopback: nothing listens there in the test environment.
        let t = try CurlTransport(timeout: 5)
        await #expect(throws: TransportError.self) {
            _ = try await t.send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:9/")!))
        }
    }

    @Test func fixedClockRecordsSleeps() async throws {
        let c = FixedClock(Date(timeIntervalSince1970: 1_000))
        try await c.sleep(seconds: 2.5)
        #expect(c.sleeps == [2.5])
        #expect(c.now == Date(timeIntervalSince1970: 1_002.5))
    }
}
