import Foundation
import Testing
import _CryptoExtras

/// `probe --format json` → `check --format html --probe-results`: the real probe against moto (the
/// seeded `legacy` and `modern` fleets) and the fake GitHub, then the page with the repository's
/// fleets beside the deployed ones. `RECORD_PROBE_FIXTURE=1` rewrites the committed probe results
/// (Tests/ProbeTests/Fixtures/live/probe.json) that the HTML snapshot and browser tests use.
@Suite("Probe results on the HTML page", .serialized)
struct LiveHTMLTests {
    static let fixtureDir = packageRoot.appendingPathComponent("Tests/ProbeTests/Fixtures/live")
    static let repo = fixtureDir.appendingPathComponent("repo")
    static let committed = fixtureDir.appendingPathComponent("probe.json")

    /// The keys of every object in a JSON document, by path (`live.aws.fleets[].deployed`): the
    /// shape the committed fixture must keep with the probe's current output.
    static func shape(_ value: Any, at path: String = "", into out: inout Set<String>) {
        if let object = value as? [String: Any] {
            for (key, v) in object {
                // Maps keyed by data (SSM names, queue names, environment variables) are values.
                let isMap = ["ssmConfig", "queues", "metrics", "environment", "byKind"].contains(key)
                out.insert(path + "." + key)
                if !isMap { shape(v, at: path + "." + key, into: &out) }
            }
        } else if let array = value as? [Any] {
            for v in array { shape(v, at: path + "[]", into: &out) }
        }
    }

    @Test func probeResultsShowBesideTheRepository() throws {
        guard let moto = try MotoServer.start() else { return }
        defer { moto.stop() }
        try moto.seed()
        var scenario = Scenario()
        scenario.ghesVersion = "3.12.1"
        scenario.runners = [runner(1, "i-0aaa", status: "online", ephemeral: true), runner(7, "i-07", status: "offline", ephemeral: true)]
        let github = try FakeGitHub(scenario)
        defer { github.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("live-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pem = testAppKey.pemRepresentation
        let key = dir.appendingPathComponent("app.pem")
        try pem.write(to: key, atomically: true, encoding: .utf8)
        let env = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-SECRET-KEY", "AWS_ENDPOINT_URL": moto.endpoint.absoluteString,
                   "HOME": dir.path, "AWS_REGION": "eu-west-1"]

        // 1. The probe, as a user runs it: repository, AWS and GitHub, JSON report to a file.
        let probeJSON = dir.appendingPathComponent("probe.json")
        let probe = try runCLI(["probe", Self.repo.path, "--target", "6.5.0", "--since", "1d",
                                "--github-url", github.serverURL, "--github-app-id", testAppID, "--github-app-key-file", key.path,
                                "--org", "acme", "--jit-roundtrip", "--runner-labels", "self-hosted,linux,x64",
                                "--format", "json", "--output", probeJSON.path], environment: env)
        #expect(probe.status == 1, "probe: \(probe.stderr)")
        let probeText = try String(contentsOf: probeJSON, encoding: .utf8)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(probeText.utf8)) as? [String: Any])
        let live = try #require(document["live"] as? [String: Any], "the probe's JSON has no `live`")
        let fleets = try #require((live["aws"] as? [String: Any])?["fleets"] as? [[String: Any]])
        // The repository's three fleets are probed; `spare` is not deployed.
        #expect(fleets.compactMap { $0["namePrefix"] as? String } == ["legacy", "modern", "spare"])
        let findings = try #require(document["findings"] as? [[String: Any]])
        let fingerprints = Set(findings.compactMap { $0["fingerprint"] as? String })
        for fleet in fleets where fleet["namePrefix"] as? String != "spare" {
            let own = fleet["findings"] as? [String] ?? []
            #expect(!own.isEmpty && own.allSatisfy(fingerprints.contains), "fleet \(fleet["namePrefix"] ?? "?") names findings not in the report")
        }

        // 2. The page: the static audit and the probe results side by side.
        let page = dir.appendingPathComponent("page.html")
        let check = try runCLI(["check", Self.repo.path, "--target", "6.5.0", "--format", "html", "--output", page.path,
                                "--probe-results", probeJSON.path], environment: env)
        #expect(check.status == 0 || check.status == 1, "check: \(check.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("<section id=\"live\""))
        // Each deployed fleet is matched with the repository's fleet of the same prefix.
        #expect(html.contains("<h3>Fleet <code>legacy</code> <span class=\"sub\">declared as <a href=\"#node-"))
        #expect(html.contains("<h3>Fleet <code>modern</code> <span class=\"sub\">declared as <a href=\"#node-"))
        #expect(html.contains("<h3>Fleet <code>spare</code> <span class=\"sub\">declared as <a href=\"#node-"))
        #expect(html.contains("<th scope=\"row\">deployed</th><td data-label=\"Repository\"><code>fleet with name prefix spare</code>"))
        // legacy: pins 4.1.0, deployed by 3.x; the token-only user data on an ephemeral fleet.
        #expect(html.contains("<tr class=\"mismatch\"><th scope=\"row\">module release</th><td data-label=\"Repository\"><code>v4.1.0</code></td><td data-label=\"Deployed\"><code>&lt; 4.0.0</code>"), "\(html)")
        #expect(html.contains("launch template legacy-action-runner v1: token-only"))
        // modern: the deployed image does not match the repository's AMI filter.
        #expect(html.contains("<th scope=\"row\">AMI</th><td data-label=\"Repository\"><code>name filter al2023-ami-2023.*-x86_64</code>"))
        // Every probe finding is on the page exactly once, with its fleet or GitHub.
        let probeArticles = try NSRegularExpression(pattern: #"<article class="finding [a-z-]+" id="p[0-9]+">"#)
            .numberOfMatches(in: html, range: NSRange(html.startIndex..., in: html))
        #expect(probeArticles == findings.count, "\(probeArticles) probe findings on the page, \(findings.count) in the probe's report")
        for (i, _) in findings.enumerated() { #expect(html.contains("id=\"p\(i + 1)\""), "probe finding \(i + 1) is not on the page") }
        let legacyArticle = try #require(html.components(separatedBy: "id=\"live-").first { $0.hasPrefix("1\"") })
        #expect(legacyArticle.contains("PRB-404") && legacyArticle.contains("PRB-403"), "legacy's findings are not with legacy")
        let githubArticle = try #require(html.components(separatedBy: "id=\"live-github\"").dropFirst().first)
        #expect(githubArticle.contains("GHP-606"), "the offline runner's finding is not with GitHub")
        #expect(githubArticle.contains("GHES 3.12.1"))

        // 3. No secret anywhere: SSM SecureStrings, the lambda's secret variable, the App key.
        let fragments = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }.map(String.init)
        for (name, text) in [("probe JSON", probeText), ("page", html), ("stderr", probe.stderr + check.stderr)] {
            #expect(!text.contains("SECRET-"), "a seeded secret reached the \(name)")
            for f in fragments { #expect(!text.contains(f), "the App key reached the \(name)") }
        }

        // 4. The committed fixture: rewritten on request, else it must keep the probe's shape.
        if ProcessInfo.processInfo.environment["RECORD_PROBE_FIXTURE"] == "1" {
            try Data(probeText.utf8).write(to: Self.committed)
            Issue.record("recorded \(Self.committed.lastPathComponent); re-run")
            return
        }
        let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.committed)), "no committed probe.json")
        var fresh = Set<String>(), kept = Set<String>()
        Self.shape(document, into: &fresh)
        Self.shape(fixture, into: &kept)
        #expect(fresh == kept, "the committed probe.json no longer has the probe's shape (RECORD_PROBE_FIXTURE=1 rewrites it): only now \(fresh.subtracting(kept).sorted()), only then \(kept.subtracting(fresh).sorted())")
        // And check reads it.
        let fromFixture = try runCLI(["check", Self.repo.path, "--target", "6.5.0", "--format", "html",
                                      "--output", dir.appendingPathComponent("fixture.html").path, "--probe-results", Self.committed.path],
                                     environment: env)
        #expect(fromFixture.status != 2, "check cannot read the committed probe results: \(fromFixture.stderr)")
    }

    @Test func probeResultsNeedTheHTMLPageAndAProbeReport() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("live-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let repo = Self.repo.path
        let text = try runCLI(["check", repo, "--probe-results", Self.committed.path])
        #expect(text.status == 2 && text.stderr.contains("add `--format html`"), "\(text.stderr)")
        // A `check` report is not probe results.
        let checkJSON = dir.appendingPathComponent("check.json")
        _ = try runCLI(["check", repo, "--format", "json", "--output", checkJSON.path])
        let wrong = try runCLI(["check", repo, "--format", "html", "--probe-results", checkJSON.path])
        #expect(wrong.status == 2 && wrong.stderr.contains("no `live` member"), "\(wrong.stderr)")
        let missing = try runCLI(["check", repo, "--format", "html", "--probe-results", dir.appendingPathComponent("none.json").path])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read probe results"), "\(missing.stderr)")
        let garbage = dir.appendingPathComponent("garbage.json")
        try Data("{\"tool\": {\"name\": \"ghr-audit\"}, \"live\": {\"aws\": {\"region\": 7}}}".utf8).write(to: garbage)
        let bad = try runCLI(["check", repo, "--format", "html", "--probe-results", garbage.path])
        #expect(bad.status == 2 && bad.stderr.contains("live.aws.region"), "\(bad.stderr)")
    }
}
