import Foundation
import ProbeClient
import _CryptoExtras

/// The package root, found from this file's path.
let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while url.path != "/" {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        url = url.deletingLastPathComponent()
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// GitHub's official example payloads when `../shared` is there, else our own of the same shape.
let officialPayloads = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata/github-api")
/// `GHR_AUDIT_TEST_OWN_PAYLOADS=1` runs the suite as a clone without `../shared` would.
let haveOfficialPayloads = ProcessInfo.processInfo.environment["GHR_AUDIT_TEST_OWN_PAYLOADS"] == nil
    && FileManager.default.fileExists(atPath: officialPayloads.appendingPathComponent("integration.json").path)
let payloadDirectory = haveOfficialPayloads ? officialPayloads : packageRoot.appendingPathComponent("Tests/ProbeTests/Fixtures/github-api")

/// One App key for the whole suite (RSA key generation is the slow part).
let testAppKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
let testAppID = "4242"

/// A clock at the real time (the fake server checks JWT times against its own) whose waits return
/// at once and are recorded.
final class InstantClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var slept: [Double] = []
    var now: Date { Date() }
    var sleeps: [Double] { lock.withLock { slept } }
    func sleep(seconds: Double) async throws { lock.withLock { slept.append(seconds) } }
}

/// The scenario a fake GitHub plays; see Tests/ProbeTests/Server/fake_github.py.
struct Scenario {
    var owner = "acme"
    var ghesVersion: String?
    var appPermissions: [String: String]? = ["organization_self_hosted_runners": "write", "actions": "read", "checks": "read", "metadata": "read"]
    var appEvents: [String]? = ["workflow_job"]
    var installationPermissions: [String: String]?
    var installationEvents: [String]?
    var webhook: [String: Any] = ["url": "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook", "content_type": "json", "insecure_ssl": "0"]
    /// nil: the example payload's runners.
    var runners: [[String: Any]]? = [runner(1, "i-0aaa", status: "online", ephemeral: true)]
    var faults: [[String: Any]] = []
    /// The key the server verifies JWTs with (another key's primitives make every JWT invalid).
    var publicKey = testAppKey.publicKey
    /// Top-level scenario keys that replace the ones above (`app` and `installation` are merged).
    var overlay: [String: Any] = [:]
    /// Serve HTTPS with this certificate and key (PEM files).
    var tls: (cert: String, key: String)?

    func json() throws -> Data {
        let p = try publicKey.getKeyPrimitives()
        var s: [String: Any] = [
            "app_id": testAppID, "owner": owner,
            "public_key": ["n": p.modulus.map { String(format: "%02x", $0) }.joined(), "e": p.publicExponent.map { String(format: "%02x", $0) }.joined()],
            "webhook": webhook, "faults": faults,
        ]
        if let ghesVersion { s["ghes_version"] = ghesVersion }
        var app: [String: Any] = [:]
        if let appPermissions { app["permissions"] = appPermissions }
        if let appEvents { app["events"] = appEvents }
        s["app"] = app
        var inst: [String: Any] = [:]
        if let installationPermissions { inst["permissions"] = installationPermissions }
        if let installationEvents { inst["events"] = installationEvents }
        s["installation"] = inst
        if let runners { s["runners"] = runners }
        for (k, v) in overlay {
            if let sub = v as? [String: Any], var base = s[k] as? [String: Any], k == "app" || k == "installation" {
                base.merge(sub) { $1 }
                s[k] = base
            } else {
                s[k] = v
            }
        }
        return try JSONSerialization.data(withJSONObject: s, options: [.sortedKeys])
    }
}

func runner(_ id: Int, _ name: String, status: String = "online", ephemeral: Bool? = nil, labels: [String] = ["self-hosted", "linux", "x64"], version: String = "2.330.0") -> [String: Any] {
    var r: [String: Any] = ["id": id, "name": name, "os": "linux", "status": status, "busy": false, "version": version,
                            "labels": labels.enumerated().map { ["id": $0.offset + 1, "name": $0.element, "type": "custom"] }]
    if let ephemeral { r["ephemeral"] = ephemeral }
    return r
}

/// The fake GitHub as a child process on 127.0.0.1 and a free port; stopped by `stop()` (and by
/// the end of the test process, which closes its stdin).
final class FakeGitHub: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    let directory: URL
    let port: Int
    let ghes: Bool
    let scheme: String

    /// `data`: the payloads to serve (default GitHub's examples when ../shared is there, else ours).
    convenience init(_ scenario: Scenario, data: URL = payloadDirectory) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-github-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try scenario.json().write(to: directory.appendingPathComponent("scenario.json"))
        try self.init(directory: directory, scenarioFile: directory.appendingPathComponent("scenario.json"), data: data,
                      ghes: scenario.ghesVersion != nil || scenario.overlay["ghes_version"] != nil, publicKeyPEM: nil, tls: scenario.tls)
    }

    /// A scenario file as it is (the README's), with the App's public key as PEM.
    convenience init(scenarioFile: URL, data: URL, publicKeyPEM: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-github-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let scenario = try JSONSerialization.jsonObject(with: Data(contentsOf: scenarioFile)) as? [String: Any]
        try self.init(directory: directory, scenarioFile: scenarioFile, data: data, ghes: scenario?["ghes_version"] != nil, publicKeyPEM: publicKeyPEM, tls: nil)
    }

    private init(directory: URL, scenarioFile: URL, data: URL, ghes: Bool, publicKeyPEM: String?, tls: (cert: String, key: String)?) throws {
        self.directory = directory
        self.ghes = ghes
        self.scheme = tls == nil ? "http" : "https"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", packageRoot.appendingPathComponent("Tests/ProbeTests/Server/fake_github.py").path,
                         "--watch-stdin", "--scenario", scenarioFile.path, "--data", data.path,
                         "--log", directory.appendingPathComponent("requests.jsonl").path,
                         "--secrets", directory.appendingPathComponent("secrets.json").path]
        if let tls { arguments += ["--tls-cert", tls.cert, "--tls-key", tls.key] }
        if let publicKeyPEM {
            try publicKeyPEM.write(to: directory.appendingPathComponent("app.pub"), atomically: true, encoding: .utf8)
            arguments += ["--public-key", directory.appendingPathComponent("app.pub").path]
        }
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let obj = try? JSONSerialization.jsonObject(with: line.prefix { $0 != UInt8(ascii: "\n") }) as? [String: Any],
              let port = obj["port"] as? Int else {
            process.terminate()
            throw FakeGitHubError.didNotStart(String(decoding: line, as: UTF8.self))
        }
        self.port = port
        // The rest of stdout is the server's events, read on a thread of their own.
        let events = self.events, handle = output.fileHandleForReading
        let leftover = Data(line.drop { $0 != UInt8(ascii: "\n") }.dropFirst())
        let reader = Thread {
            var rest = leftover
            while true {
                while let end = rest.firstIndex(of: UInt8(ascii: "\n")) {
                    events.append(String(decoding: rest[rest.startIndex..<end], as: UTF8.self))
                    rest = Data(rest[rest.index(after: end)...])
                }
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                rest.append(chunk)
            }
            events.close()
        }
        reader.start()
    }

    /// What the server announced on stdout after its port (`{"event": "held", ...}`).
    let events = ServerEvents()

    /// Waits until the server announces `event`, on a thread of its own (never one of the
    /// concurrency pool's, which a busy test run may have starved); false after `timeout`
    /// seconds or when the server exited first.
    func waitFor(event: String, timeout: TimeInterval) async -> Bool {
        let events = self.events
        return await onDedicatedThread { events.wait(for: event, until: Date().addingTimeInterval(timeout)) }
    }

    /// The server as `--github-url` names it (a GHES host) and the API root.
    var serverURL: String { "\(scheme)://127.0.0.1:\(port)" }
    var apiURL: String { serverURL + (ghes ? "/api/v3" : "") }
    var endpoint: GitHubEndpoint { ghes ? try! GitHubEndpoint.server(serverURL) : try! GitHubEndpoint.api(serverURL) }

    struct Request: Hashable {
        var method: String
        var path: String
        var query: String
        var auth: String
        var status: Int
        var permissions: [String: String]?
    }

    var requests: [Request] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("requests.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(method: o["method"] as? String ?? "", path: o["path"] as? String ?? "", query: o["query"] as? String ?? "",
                           auth: o["auth"] as? String ?? "", status: o["status"] as? Int ?? 0, permissions: o["permissions"] as? [String: String])
        }
    }

    /// Every JWT the server saw and every token and JIT config it minted.
    var secrets: [String] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("secrets.json")),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: [String]] else { return [] }
        return o.values.flatMap { $0 }
    }

    func secrets(_ kind: String) -> [String] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("secrets.json")),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: [String]] else { return [] }
        return o[kind] ?? []
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { if process.isRunning { process.terminate() } }
}

enum FakeGitHubError: Error { case didNotStart(String) }

/// The event lines a test server wrote, for threads that block until one arrives.
final class ServerEvents: @unchecked Sendable {
    private let condition = NSCondition()
    private var names: [String] = []
    private var closed = false

    func append(_ line: String) {
        let name = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["event"] as? String ?? line
        condition.lock()
        names.append(name)
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks the calling thread until `event` was announced (true), or the deadline passed or
    /// the server's output ended without it (false).
    func wait(for event: String, until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !names.contains(event) {
            if closed || !condition.wait(until: deadline) { return names.contains(event) }
        }
        return true
    }
}

/// Runs a blocking `wait` on a new thread and hands its result back to the awaiting task: the
/// task is suspended meanwhile, so no thread of the concurrency pool is held.
func onDedicatedThread<T: Sendable>(_ wait: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: wait()) }.start()
    }
}
