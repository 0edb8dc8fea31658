import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Testing

/// The `html` format on real fixture repositories: snapshots of two pages, and the page loaded
/// in a headless Chromium with networking disabled.
@Suite("HTML report")
struct HTMLReportTests {
    /// A fixture's page as `ghr-audit check fixtures/<name>/repo --format html` writes it.
    static func page(_ name: String) throws -> String {
        let f = try #require(Fixture.all.first { $0.name == name }, "no fixture \(name)")
        var result = try f.run()
        result.report.scannedPaths = ["fixtures/\(name)/repo"]
        return render(result.report, as: .html, options: RenderOptions(sources: result.sources, informationURI: ToolInfo.informationURI))
    }

    /// Several fleets with a Packer chain; IAM findings under a permission boundary.
    @Test(arguments: ["multi-fleet-packer", "iam-boundary-lacks-4-0-1"])
    func snapshot(_ name: String) throws {
        let html = try Self.page(name)
        #expect(html == (try Self.page(name)), "not deterministic")
        let snapshot = packageRoot.appendingPathComponent("Tests/EngineTests/Snapshots/html-\(name).html")
        if recordGoldens || !FileManager.default.fileExists(atPath: snapshot.path) {
            try Data(html.utf8).write(to: snapshot)
            Issue.record("recorded \(snapshot.lastPathComponent); re-run")
            return
        }
        #expect(html == (try String(contentsOf: snapshot, encoding: .utf8)), "page differs from \(snapshot.lastPathComponent) (RECORD_SNAPSHOTS=1 rewrites it)")
    }

    /// The page of `check Tests/ProbeTests/Fixtures/live/repo --target 6.5.0 --format html
    /// --probe-results Tests/ProbeTests/Fixtures/live/probe.json` (probe results recorded from the
    /// real probe against moto and the fake GitHub, see that folder's NOTE.md).
    static func livePage() throws -> String {
        let dir = packageRoot.appendingPathComponent("Tests/ProbeTests/Fixtures/live")
        var result = Auditor(knowledge: try KnowledgeBase.load()).audit(fileSystem: LocalFileSystem(root: dir.appendingPathComponent("repo")),
                                                                        options: AuditOptions(target: .version(ModuleVersion(6, 5, 0))))
        result.report.scannedPaths = ["Tests/ProbeTests/Fixtures/live/repo"]
        result.report.live = try ProbeResults.read(dir.appendingPathComponent("probe.json").path, host: LocalHostFiles())
        return render(result.report, as: .html, options: RenderOptions(sources: result.sources, informationURI: ToolInfo.informationURI))
    }

    @Test func liveSnapshot() throws {
        let html = try Self.livePage()
        #expect(html == (try Self.livePage()), "not deterministic")
        let snapshot = packageRoot.appendingPathComponent("Tests/EngineTests/Snapshots/html-live-probe.html")
        if recordGoldens || !FileManager.default.fileExists(atPath: snapshot.path) {
            try Data(html.utf8).write(to: snapshot)
            Issue.record("recorded \(snapshot.lastPathComponent); re-run")
            return
        }
        #expect(html == (try String(contentsOf: snapshot, encoding: .utf8)), "page differs from \(snapshot.lastPathComponent) (RECORD_SNAPSHOTS=1 rewrites it)")
    }

    @Test func multiFleetPageShowsTheWholeChain() throws {
        let html = try Self.page("multi-fleet-packer")
        for fleet in ["linux-default", "linux-ami", "linux-persistent", "windows"] {
            #expect(html.contains("<strong>\(fleet)</strong>"), "fleet \(fleet) missing")
        }
        // The AMI fleet leads to the Packer template, which leads to the baked token-only script (red).
        #expect(html.contains("<span class=\"kind\">Packer template</span> <strong>images/linux/runner.pkr.hcl</strong>"))
        #expect(html.contains("class=\"sev-error\"><span class=\"kind\">script</span> <strong>images/linux/boot-runner.sh</strong> <span class=\"sub\">token-only</span>"))
        #expect(html.contains("<span class=\"kind\">script</span> <strong>templates/user-data.sh</strong>"))
        #expect(html.contains("<dt>Target release</dt><dd>v4.7.0</dd>"))
        #expect(html.contains("<h2 id=\"checklist-title\">Upgrade checklist to v4.7.0</h2>"))
        #expect(html.contains("<h3>v4 (major upgrade)</h3>"))
    }

    @Test func iamPageShowsTheBoundaryNode() throws {
        let html = try Self.page("iam-boundary-lacks-4-0-1")
        #expect(html.contains("<span class=\"kind\">permission boundary</span> <strong>permission boundary</strong> <span class=\"sub\">aws_iam_policy.runner_boundary.arn</span>"))
        #expect(html.contains("IAM-301"))
    }

    // MARK: - In a real browser

    static let ci = ProcessInfo.processInfo.environment["CI"] == "true"
    static let chromium: String? = {
        let env = ProcessInfo.processInfo.environment
        if let given = env["CHROMIUM"], FileManager.default.isExecutableFile(atPath: given) { return given }
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
                let path = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs Chromium headless on `url` with networking disabled: every host name fails to
    /// resolve and every connection goes to a closed proxy port; a fresh profile each time.
    static func chromium(_ arguments: [String], url: URL, in dir: URL) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(chromium))
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
            "--user-data-dir=\(dir.appendingPathComponent("profile-\(UUID().uuidString)").path)",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=socks5://127.0.0.1:9",
            "--enable-logging=stderr", "--v=0",
        ] + arguments + [url.absoluteString]
        let out = dir.appendingPathComponent("stdout-\(UUID().uuidString)"), err = dir.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                   stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test(.enabled(if: chromium != nil || ci, "Chromium is not installed (apt-get install chromium); skipped outside CI"))
    func loadsInHeadlessChromiumWithoutNetwork() throws {
        guard Self.chromium != nil else {
            Issue.record("CI=true but no Chromium was found on PATH: .ci/run installs it")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try Data(try Self.page("multi-fleet-packer").utf8).write(to: page)

        // The DOM after parsing: fleet nodes and findings are there.
        let netLog = dir.appendingPathComponent("netlog.json")
        let dom = try Self.chromium(["--dump-dom", "--log-net-log=\(netLog.path)"], url: page, in: dir)
        #expect(dom.status == 0, "chromium --dump-dom failed: \(dom.stderr.suffix(2000))")
        for node in ["linux-default", "linux-ami", "linux-persistent", "windows", "images/linux/runner.pkr.hcl", "images/linux/boot-runner.sh"] {
            #expect(dom.stdout.contains("<strong>\(node)</strong>"), "node \(node) not in the DOM")
        }
        #expect(dom.stdout.contains("<a class=\"node sev-error\" href=\"#node-"), "no coloured node link in the SVG")
        let articles = dom.stdout.components(separatedBy: "<article class=\"finding").count - 1
        #expect(articles == 2, "expected the 2 findings in the DOM, found \(articles)")
        #expect(dom.stdout.contains("JIT-101") && dom.stdout.contains("JIT-107"))
        // The stylesheet was applied: no Content-Security-Policy violation was logged.
        #expect(!dom.stderr.contains("Content Security Policy"), "CSP violation: \(dom.stderr.suffix(1500))")
        // The page made no request: the only URL the network log names, besides the browser's
        // own background services (which fail to resolve here), is the page itself.
        if let log = try? String(contentsOf: netLog, encoding: .utf8) {
            let urls = Set(log.components(separatedBy: "\"url\":\"").dropFirst().map { String($0.prefix { $0 != "\"" }) })
            let background = [".google.com", ".googleapis.com", ".gvt1.com", ".gstatic.com", ".googleusercontent.com"]
            for url in urls {
                guard let host = URLComponents(string: url)?.host, !host.isEmpty else { continue }
                #expect(background.contains { host.hasSuffix($0) }, "the page requested \(url)")
            }
        }

        // No horizontal scrolling at 360 px: a harness page (not the report) frames the report
        // 360 px wide and writes the framed document's scroll and client widths into its DOM.
        let harness = dir.appendingPathComponent("at-360.html")
        try Data("""
            <!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="report.html" style="width:360px;height:800px;border:0"></iframe>
            <script>document.getElementById('f').addEventListener('load', () => { const d = document.getElementById('f').contentDocument;
            document.body.setAttribute('data-width', d ? d.documentElement.scrollWidth + '/' + d.documentElement.clientWidth : 'no-access') })</script>
            </body></html>
            """.utf8).write(to: harness)
        let narrow = try Self.chromium(["--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom"], url: harness, in: dir)
        let widths = narrow.stdout.components(separatedBy: "data-width=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }) } ?? "missing"
        let parts = widths.split(separator: "/").compactMap { Int($0) }
        #expect(parts.count == 2 && parts[0] <= parts[1], "at 360 px the page scrolls sideways: scroll/client width \(widths)")

        // A screenshot: a real PNG that is not blank.
        let png = dir.appendingPathComponent("shot.png")
        let shot = try Self.chromium(["--screenshot=\(png.path)", "--window-size=1200,1600"], url: page, in: dir)
        #expect(shot.status == 0, "chromium --screenshot failed: \(shot.stderr.suffix(2000))")
        let data = try Data(contentsOf: png)
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
        let colours = try PNGColours.count(data)
        #expect(colours >= 16, "the screenshot has \(colours) colours: blank")
    }
}

extension HTMLReportTests {
    /// The page with probe results in the same headless Chromium: the live fleets, their
    /// mismatch rows and the probe findings are in the DOM, nothing is requested, and at 360 px
    /// the comparison tables do not make the page scroll sideways.
    @Test(.enabled(if: chromium != nil || ci, "Chromium is not installed (apt-get install chromium); skipped outside CI"))
    func pageWithProbeResultsLoadsInHeadlessChromium() throws {
        guard Self.chromium != nil else {
            Issue.record("CI=true but no Chromium was found on PATH: .ci/run installs it")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try Data(try Self.livePage().utf8).write(to: page)
        let dom = try Self.chromium(["--dump-dom"], url: page, in: dir)
        #expect(dom.status == 0, "chromium --dump-dom failed: \(dom.stderr.suffix(2000))")
        for fleet in ["legacy", "modern", "spare"] {
            #expect(dom.stdout.contains("<h3>Fleet <code>\(fleet)</code>"), "live fleet \(fleet) not in the DOM")
        }
        #expect(dom.stdout.contains("<tr class=\"mismatch\"><th scope=\"row\">module release</th>"))
        #expect(dom.stdout.contains("<tr class=\"mismatch\"><th scope=\"row\">AMI</th>"))
        let probeFindings = dom.stdout.components(separatedBy: "\" id=\"p").count - 1
        #expect(probeFindings == 12, "expected the 12 probe findings in the DOM, found \(probeFindings)")
        #expect(dom.stdout.contains("GHP-606") && dom.stdout.contains("PRB-404"))
        #expect(!dom.stderr.contains("Content Security Policy"), "CSP violation: \(dom.stderr.suffix(1500))")
        let harness = dir.appendingPathComponent("at-360.html")
        try Data("""
            <!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="report.html" style="width:360px;height:800px;border:0"></iframe>
            <script>document.getElementById('f').addEventListener('load', () => { const d = document.getElementById('f').contentDocument;
            document.body.setAttribute('data-width', d ? d.documentElement.scrollWidth + '/' + d.documentElement.clientWidth : 'no-access') })</script>
            </body></html>
            """.utf8).write(to: harness)
        let narrow = try Self.chromium(["--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom"], url: harness, in: dir)
        let widths = narrow.stdout.components(separatedBy: "data-width=\"").dropFirst().first.map { String($0.prefix { $0 != "\"" }) } ?? "missing"
        let parts = widths.split(separator: "/").compactMap { Int($0) }
        #expect(parts.count == 2 && parts[0] <= parts[1], "at 360 px the page with probe results scrolls sideways: scroll/client width \(widths)")
        let png = dir.appendingPathComponent("shot.png")
        let shot = try Self.chromium(["--screenshot=\(png.path)", "--window-size=1200,1600"], url: page, in: dir)
        #expect(shot.status == 0, "chromium --screenshot failed: \(shot.stderr.suffix(2000))")
        #expect(try PNGColours.count(Data(contentsOf: png)) >= 16, "the screenshot is blank")
    }
}

/// Counts the distinct pixel colours of an 8-bit RGB or RGBA PNG, decoding it with Python's zlib
/// (the test machine has Python; Foundation on Linux has no inflate).
enum PNGColours {
    static let script = """
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
pos, idat, width, height, depth, ctype = 8, b'', 0, 0, 0, 0
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b'IHDR':
        width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + length
if depth != 8 or ctype not in (2, 6):
    print(-1); sys.exit()
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), width * bpp
prev, colours = bytearray(stride), set()
for y in range(height):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, stride, bpp * 4):
            colours.add(bytes(line[x:x + 3]))
    prev = line
print(len(colours))
"""

    static func count(_ png: Data) throws -> Int {
        let dir = FileManager.default.temporaryDirectory
        let file = dir.appendingPathComponent("png-\(UUID().uuidString).png")
        try png.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Int(String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
}

/// What the page's header and map read from the run besides findings: the commit at the scan
/// root, and paths and plans kept straight when several roots are merged.
@Suite("Report facts for the HTML page")
struct ReportFactsTests {
    static let commit = "3f1d7930a1b2c3d4e5f60718293a4b5c6d7e8f90"
    static let main = """
        module "runners" {
          source  = "philips-labs/github-runner/aws"
          version = "3.6.1"
          enable_ephemeral_runners  = true
          role_permissions_boundary = aws_iam_policy.b.arn
          userdata_template         = "./user-data.sh"
        }
        """
    /// A token-only start script (JIT-101 at 4.1.0), so the plan has an item.
    static var script: String {
        (try? String(contentsOf: packageRoot.appendingPathComponent("fixtures/multi-runner-mixed/repo/templates/user-data.sh"), encoding: .utf8)) ?? ""
    }

    static func audit(_ files: [String: String]) throws -> AuditResult {
        Auditor(knowledge: try KnowledgeBase.load()).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: .version(ModuleVersion(4, 1, 0))))
    }

    @Test func commitComesFromTheGitDirectoryAtTheRoot() throws {
        #expect(try Self.audit(["main.tf": Self.main, ".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": Self.commit + "\n"]).report.commit == Self.commit)
        #expect(try Self.audit(["main.tf": Self.main, ".git/HEAD": "ref: refs/heads/main\n",
                                ".git/packed-refs": "# pack-refs with: peeled fully-peeled sorted\n\(Self.commit) refs/heads/main\n"]).report.commit == Self.commit)
        #expect(try Self.audit(["main.tf": Self.main, ".git/HEAD": Self.commit]).report.commit == Self.commit, "detached HEAD")
        // Not a work tree, a ref that climbs out of `.git/refs`, a ref that names no commit.
        #expect(try Self.audit(["main.tf": Self.main]).report.commit == nil)
        #expect(try Self.audit(["main.tf": Self.main, ".git/HEAD": "ref: refs/../../../secret\n", "secret": Self.commit]).report.commit == nil)
        #expect(try Self.audit(["main.tf": Self.main, ".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": "not a hash"]).report.commit == nil)
        // A `.git` file (worktrees, submodules) points outside the root: not followed.
        #expect(try Self.audit(["main.tf": Self.main, ".git": "gitdir: /elsewhere/.git/worktrees/x\n"]).report.commit == nil)
    }

    @Test func fleetPartsAndPlanFollowMergedRoots() throws {
        let a = try Self.audit(["main.tf": Self.main, "user-data.sh": Self.script, ".git/HEAD": Self.commit]).prefixingPaths(with: "a")
        let b = try Self.audit(["main.tf": Self.main, "user-data.sh": Self.script]).prefixingPaths(with: "b")
        let fleet = try #require(a.report.modules.first?.fleets.first)
        #expect(fleet.anchor?.path == "a/main.tf")
        let boundary = try #require(fleet.roles.first)
        #expect(boundary.kind == .permissionBoundary && boundary.detail == "aws_iam_policy.b.arn" && boundary.location?.path == "a/main.tf")
        #expect(fleet.boot.map(\.kind) == [.script] && fleet.boot.first?.label == "a/user-data.sh" && fleet.boot.first?.detail == "token-only")
        #expect(a.report.checklist?.calls.map(\.file) == ["a/main.tf"])
        let merged = a.merging(b)
        #expect(merged.report.commit == nil, "two roots, one of them without a commit")
        let plan = try #require(merged.report.checklist)
        #expect(plan.calls.map(\.file) == ["a/main.tf", "b/main.tf"])
        let items = plan.sections.flatMap(\.items)
        #expect(Set(items.map(\.location.path)) == ["a/user-data.sh", "b/user-data.sh"])
        #expect(a.merging(a).report.commit == Self.commit)
    }
}
