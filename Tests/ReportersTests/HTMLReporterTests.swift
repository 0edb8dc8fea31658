import AuditCore
import Foundation
import Testing
import TestSupport

@testable import Reporters

/// The `html` format: a self-contained page that requests nothing, escapes everything the
/// scanned repository wrote, and draws the fleet map from the report's model.
@Suite struct HTMLReporterTests {
    static func page(_ report: Report, sources: [String: SourceFile] = Fixture.sources, failOn: Severity? = .error) -> String {
        render(report, as: .html, options: RenderOptions(sources: sources, failOn: failOn))
    }

    /// Every tag of the page, by name (`<svg`, `</svg`, `<!DOCTYPE`).
    static func tagNames(_ html: String) -> [String] {
        var names: [String] = []
        let chars = Array(html.unicodeScalars)
        var i = 0
        while i < chars.count {
            if chars[i] == "<", i + 1 < chars.count {
                var j = i + 1
                if chars[j] == "/" { j += 1 }
                var name = ""
                while j < chars.count, chars[j].properties.isAlphabetic || chars[j] == "!" || ("0"..."9").contains(chars[j]) {
                    name.unicodeScalars.append(chars[j])
                    j += 1
                }
                names.append(name.lowercased())
            }
            i += 1
        }
        return names
    }

    static let allowedTags: Set<String> = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "a", "header", "h1", "h2", "h3", "h4", "p", "strong", "dl",
        "div", "dt", "dd", "code", "nav", "ul", "ol", "li", "main", "section", "svg", "text", "path", "rect", "span", "br",
        "article", "pre", "mark", "del", "ins", "footer", "table", "thead", "tbody", "tr", "th", "td",
    ]

    @Test func requestsNothingAndAllowsOnlyItsOwnStylesheet() throws {
        let html = Self.page(Fixture.report)
        #expect(html.hasPrefix("<!DOCTYPE html>\n"))
        let csp = try #require(html.split(separator: "\n").first { $0.contains("Content-Security-Policy") })
        for directive in ["default-src 'none'", "connect-src 'none'", "img-src 'none'", "script-src 'none'", "form-action 'none'", "base-uri 'none'"] {
            #expect(csp.contains(directive), "CSP lacks \(directive)")
        }
        #expect(!csp.contains("unsafe-inline"))
        // The stylesheet's hash in the policy is the hash of the stylesheet on the page.
        let hash = Fingerprint.sha256Base64(Data(HTMLPage.css.utf8))
        #expect(csp.contains("'sha256-\(hash)'"))
        #expect(html.contains("<style>" + HTMLPage.css + "</style>"))
        // No URL of any scheme but in-page fragments; no script, image, frame, form, link.
        for needle in ["http:", "https:", "file:", "//", "src=", "<script", "<img", "<link", "<iframe", "<object", "<form", "url("] {
            let outsideCSS = html.replacingOccurrences(of: HTMLPage.css, with: "")
            #expect(!outsideCSS.contains(needle), "the page contains \(needle)")
        }
        for href in html.components(separatedBy: "href=\"").dropFirst() {
            #expect(href.hasPrefix("#"), "a link leaves the page: \(href.prefix(40))")
        }
        #expect(!HTMLPage.css.contains("url(") && !HTMLPage.css.contains("@import"))
        let unexpected = Set(Self.tagNames(html)).subtracting(Self.allowedTags)
        #expect(unexpected.isEmpty, "unexpected tags: \(unexpected.sorted())")
    }

    @Test func headerStatesReleasesVerdictAndExitStatus() {
        var report = Fixture.report
        report.scannedPaths = ["infra/live"]
        report.commit = "0123456789abcdef0123456789abcdef01234567"
        let html = Self.page(report)
        #expect(html.contains("<code>infra/live</code>"))
        #expect(html.contains("<code>0123456789abcdef0123456789abcdef01234567</code>"))
        #expect(html.contains("<code>module.runners</code> v3.6.1"))
        #expect(html.contains("<dt>Target release</dt><dd>v5.0.0</dd>"))
        #expect(html.contains("✗ Fails</strong> 3 findings at or above error"))
        #expect(html.contains("(exit status 1)"))
        let lenient = Self.page(report, failOn: nil)
        #expect(lenient.contains("✓ Passes") && lenient.contains("(exit status 0)"))
        let clean = Self.page(Fixture.cleanReport)
        #expect(clean.contains("✓ Passes") && !clean.contains("Commit"))
        #expect(clean.contains("No runner module call was found"))
    }

    @Test func fleetMapNodesAreColouredByTheirWorstFindingAndLinked() throws {
        let map = FleetMap(Fixture.report)
        let titles = map.nodes.map(\.title)
        #expect(titles.contains("module.runners") && titles.contains("linux-x64") && titles.contains("windows"))
        #expect(titles.contains("module.webhook"))
        let module = try #require(map.nodes.first { $0.title == "module.runners" })
        // TF-001 covers the module block; TF-101 and TF-110 point into it too.
        let ruleIds = Set(module.findings.map { Fixture.report.findings[$0].ruleId })
        #expect(ruleIds.isSuperset(of: ["TF-001", "TF-101", "TF-110"]))
        #expect(!ruleIds.contains("TF-205"), "a finding in another file does not belong to the module block")
        let html = Self.page(Fixture.report)
        #expect(html.contains("<a class=\"node sev-error\" href=\"#node-\(module.id)\""))
        #expect(html.contains("<li id=\"node-\(module.id)\" class=\"sev-error\">"))
        // Each finding the node holds is linked from its entry.
        for i in module.findings { #expect(html.contains("href=\"#f\(i + 1)\"")) }
        // The unknown AMI of the `windows` fleet is a node of its own, without findings.
        let ami = try #require(map.nodes.first { $0.kind == .ami || $0.kind == .missing || $0.title.contains("windows") })
        #expect(ami.column >= 1)
    }

    @Test func sharedStepsAreOneNodeAndPackerChainsGoDeeper() throws {
        let script = FleetPart(kind: .script, label: "images/boot.sh", detail: "token-only", location: .fileStart("images/boot.sh"), parent: 0)
        let packer = FleetPart(kind: .packerTemplate, label: "images/runner.pkr.hcl", detail: "bakes the AMI", location: .fileStart("images/runner.pkr.hcl"))
        let boundary = FleetPart(kind: .permissionBoundary, label: "permission boundary", detail: "aws_iam_policy.b.arn",
                                 location: SourceRange(path: "main.tf", start: SourcePosition(line: 9, column: 3, offset: 120), end: SourcePosition(line: 9, column: 40, offset: 157)))
        let fleets = ["a", "b"].map {
            FleetSummary(name: "module.r[\"\($0)\"]", os: "linux", ephemeral: true, jit: true, bootScript: "ami:images/runner.pkr.hcl",
                         boot: [packer, script], roles: [boundary])
        }
        let finding = Finding(ruleId: "JIT-101", severity: .error, message: "token-only", location: SourceRange(
            path: "images/boot.sh", start: SourcePosition(line: 3, column: 1, offset: 30), end: SourcePosition(line: 3, column: 9, offset: 38)),
            related: [RelatedNote("boundary", at: SourceRange(path: "main.tf", start: SourcePosition(line: 9, column: 3, offset: 120), end: SourcePosition(line: 9, column: 10, offset: 127)))])
        let report = Report(toolVersion: "0.1.0", target: "4.1.0", filesScanned: 3, filesByKind: [:],
                            modules: [ModuleSummary(path: "main.tf:module.r", source: "x", version: "3.6.1", kind: "multi-runner", fleets: fleets)],
                            findings: [finding], rules: [])
        let map = FleetMap(report)
        #expect(map.nodes.filter { $0.kind == .packerTemplate }.count == 1)
        #expect(map.nodes.filter { $0.kind == .script }.count == 1)
        #expect(map.nodes.filter { $0.kind == .permissionBoundary }.count == 1)
        let baked = try #require(map.nodes.first { $0.kind == .script })
        let template = try #require(map.nodes.first { $0.kind == .packerTemplate })
        #expect(baked.column == 3 && template.column == 2)
        #expect(map.edges.contains(FleetMap.Edge(from: template.id, to: baked.id)))
        #expect(map.edges.filter { $0.to == template.id }.count == 2, "both fleets lead to the one template")
        #expect(baked.findings == [0] && template.findings.isEmpty)
        #expect(map.nodes.first { $0.kind == .permissionBoundary }?.findings == [0], "a related note inside the input counts")
        #expect(map.nodes.filter { $0.kind == .fleet }.map(\.title) == ["a", "b"])
        // Rows never overlap within a column.
        for column in 0..<map.columns {
            let rows = map.nodes.filter { $0.column == column }.map(\.row)
            #expect(Set(rows).count == rows.count, "column \(column) has overlapping nodes")
        }
    }

    @Test func wrapperInstancesHoldOnlyTheFindingsThatNameThem() throws {
        // Every instance of a wrapper's runner call is a module call and a fleet at the same
        // place (the call inside the wrapper): a finding naming one instance belongs to it only.
        let call = SourceRange(path: "wrapper/main.tf", start: SourcePosition(line: 1, column: 1, offset: 0), end: SourcePosition(line: 6, column: 2, offset: 90))
        let names = ["a", "b", "c"].map { "module.team[\"\($0)\"].module.runner" }
        let modules = names.map { name in
            ModuleSummary(path: "wrapper/main.tf:\(name)", source: "x", version: "3.6.1", kind: "single",
                          fleets: [FleetSummary(name: name, os: "windows", ephemeral: true, jit: true, bootScript: "module-default", anchor: call)],
                          anchor: call)
        }
        let inside = SourceRange(path: "wrapper/main.tf", start: SourcePosition(line: 3, column: 3, offset: 30), end: SourcePosition(line: 3, column: 20, offset: 47))
        let findings = names.map { Finding(ruleId: "JIT-107", severity: .error, message: "ephemeral Windows fleet `\($0)` gets JIT configs at `4.1.0`", location: inside) }
            + [Finding(ruleId: "TF-101", severity: .warning, message: "input `runner_os` of the wrapper's call", location: inside)]
        let report = Report(toolVersion: "0.1.0", target: "4.1.0", filesScanned: 1, filesByKind: [:], modules: modules, findings: findings, rules: [])
        let map = FleetMap(report)
        for (i, name) in names.enumerated() {
            let fleet = try #require(map.nodes.first { $0.kind == .fleet && $0.name == name })
            let module = try #require(map.nodes.first { $0.kind == .module && $0.name == name })
            #expect(fleet.findings == [i, 3], "\(name): its own finding and the one naming no instance")
            #expect(module.findings == [i, 3])
        }
        let html = Self.page(report, sources: [:])
        #expect(html.components(separatedBy: "module.team[&quot;a&quot;].module.runner</code> gets JIT").count - 1 == 3,
                "the finding is listed once in each of the fleet and module entries and once among the findings")
    }

    @Test func findingsShowSourceWithTheRangeMarkedAndTheFixAsADiff() {
        let html = Self.page(Fixture.report)
        #expect(html.contains("<mark>&quot;gpu,x64&quot;</mark>"))
        #expect(html.contains("<del>-  runner_extra_labels = &quot;gpu,x64&quot;</del>"))
        #expect(html.contains("<ins>+  runner_extra_labels = [&quot;gpu&quot;, &quot;x64&quot;]</ins>"))
        #expect(html.contains("module call declared here"))
        // Without the file's text the edit is described.
        let bare = render(Fixture.report, as: .html, options: RenderOptions())
        #expect(bare.contains("replace with <code>[&quot;gpu&quot;, &quot;x64&quot;]</code>"))
        #expect(!bare.contains("<mark>"))
    }

    @Test func repositoryTextIsEscapedEverywhere() {
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>"
        let file = SourceFile(path: "\(hostile)/main.tf", text: "variable \"x\" {\n  default = \"\(hostile)\"\n}\n")
        let script = SourceFile(path: "user-data-\(hostile).sh", text: "#!/bin/bash\necho '\(hostile)'\n")
        let value = Fixture.range(file, hostile)
        let line = Fixture.range(script, "echo '\(hostile)'")
        let findings = [
            Finding(ruleId: "TF-101", severity: .error, message: "value `\(hostile)` is not allowed", detail: "- \(hostile)\n\(hostile)", location: value,
                    related: [RelatedNote("set to \(hostile) here", at: value)], fix: Fix("Replace \(hostile)", edits: [TextEdit(range: value, newText: hostile)]),
                    fingerprint: hostile),
            Finding(ruleId: "JIT-101<b>", severity: .warning, message: hostile, location: line),
        ].sorted(by: Finding.ordered)
        var report = Report(
            toolVersion: "0.1.0", target: hostile, filesScanned: 2, filesByKind: [hostile: 2],
            modules: [ModuleSummary(path: "\(file.path):module.\(hostile)", source: hostile, version: hostile, kind: hostile, fleets: [
                FleetSummary(name: "module.\(hostile)[\"\(hostile)\"]", os: hostile, ephemeral: true, jit: nil, bootScript: hostile, anchor: value,
                             boot: [FleetPart(kind: .script, label: script.path, detail: hostile, location: .fileStart(script.path))],
                             roles: [FleetPart(kind: .permissionBoundary, label: hostile, detail: hostile, location: value)]),
            ], anchor: file.fullRange)],
            findings: findings, rules: [RuleDescriptor(id: "TF-101", title: hostile, severity: .error, tags: [], summary: hostile, help: hostile, helpURI: hostile)])
        report.scannedPaths = [hostile]
        report.commit = hostile
        report.checklist = UpgradeChecklist(target: hostile, from: hostile, newest: hostile, calls: [.init(address: hostile, file: hostile)], sections: [
            .init(title: hostile, items: [.init(ruleId: hostile, title: hostile, message: hostile, location: value, fix: hostile, fixApplies: true, fingerprint: hostile)]),
        ], everyUpgrade: [hostile])
        let html = Self.page(report, sources: [file.path: file, script.path: script])
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
        let unexpected = Set(Self.tagNames(html)).subtracting(Self.allowedTags)
        #expect(unexpected.isEmpty, "injected tags: \(unexpected.sorted())")
        // No tag carries an event handler: the hostile `onerror=` stays text.
        let tags = try! NSRegularExpression(pattern: "<[a-zA-Z][^>]*>")
        for m in tags.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            // Attribute values are quoted and hold no raw quote; what stays outside them are names.
            let tag = String(html[Range(m.range, in: html)!]).replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression)
            #expect(tag.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "event handler in \(tag)")
        }
        // The hostile text did reach the page (otherwise this proves nothing): file name, value, script line.
        #expect(html.contains("user-data-&lt;script&gt;"))
        #expect(html.contains("echo &#39;&lt;script&gt;"))
        #expect(html.contains("default = &quot;<mark>&lt;script&gt;"))
    }

    @Test func controlAndBidiCharactersAreNeutralised() {
        let escaped = HTMLPage.escape("a\u{202E}b\u{0}c\u{1B}[31md\te\nf\u{2066}")
        #expect(escaped == "a\u{FFFD}b\u{FFFD}c\u{FFFD}[31md\te\nf\u{FFFD}")
    }

    /// The escape on bytes replaces what the escape scalar by scalar replaced, and nothing else.
    @Test func escapeOnBytesAgreesWithTheScalarEscape() {
        func reference(_ s: String) -> String {
            var out = ""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                case "\n", "\t": out.unicodeScalars.append(scalar)
                default:
                    let v = scalar.value
                    let replaced = v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
                        || v == 0x200E || v == 0x200F || v == 0xFEFF
                    if replaced { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
                }
            }
            return out
        }
        let pieces = ["plain", " ", "&", "<", ">", "\"", "'", "\n", "\t", "\r", "\u{0}", "\u{1B}[2J", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}",
                      "\u{A0}", "\u{202A}", "\u{202E}", "\u{202F}", "\u{2066}", "\u{2069}", "\u{200E}", "\u{200F}", "\u{FEFF}", "é", "e\u{301}",
                      "日本", "🚀", "\u{10FFFF}", "`x`"]
        var generator = SeededGenerator(seed: 0x4E5C)
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...10, using: &generator) { text += pieces.randomElement(using: &generator)! }
            #expect(HTMLPage.escape(text) == reference(text), "\(text.debugDescription)")
        }
    }

    /// Prose split on its bytes agrees with the split into Characters, or declines (a backtick
    /// joined to a combining mark after it or a prepended scalar before it).
    @Test func proseSplitOnBytesAgreesWithTheCharacterSplit() {
        let pieces = ["a", " ", "`", "``", "```", "word", "`code`", "é", "\u{301}", "\u{200D}", "\u{0600}", "日本", "🚀", "🇫🇷", "\n"]
        var generator = SeededGenerator(seed: 0x7AC5)
        var declined = 0, compared = 0
        for _ in 0..<3_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &generator) { text += pieces.randomElement(using: &generator)! }
            let characters = MarkdownText.characterPieces(text)
            if let bytes = MarkdownText.bytePieces(text) {
                compared += 1
                #expect(bytes == characters, "\(text.debugDescription)")
            } else {
                declined += 1
                #expect(text.contains { $0 != "`" && $0.unicodeScalars.contains("`") }, "\(text.debugDescription)")
            }
            #expect(MarkdownText.pieces(text) == characters, "\(text.debugDescription)")
        }
        #expect(declined > 0 && compared > 2_000)
    }

    @Test func secretsInModelTextAreMasked() {
        let token = "ghp_R8kz3QpL0vW2xYt6NmB4cD7eF9gH1jK5sA0u"
        var report = Fixture.report
        report.modules[0].source = "git::https://x-access-token:\(token)@github.com/org/runners.git"
        report.modules[0].fleets[0].roles = [FleetPart(kind: .userRole, label: "own runner role", detail: "token = \(token)")]
        report.scannedPaths = ["repo-\(token)"]
        let html = Self.page(report)
        #expect(!html.contains(token))
        #expect(!html.contains(String(token.dropFirst(4).prefix(20))))
    }

    /// Probe results for the fixture report: `runners-linux-x64` is the repository's `linux-x64`
    /// (deployed by an older release, token-only user data, JIT off live), `runners-gpu` is
    /// deployed but not declared, `windows` is declared (prefix `runners-windows`) but not deployed.
    static func probed(_ s: (String) -> String = { $0 }) -> Report {
        var report = Fixture.report
        report.modules[0].fleets[0].namePrefix = "runners-linux-x64"
        report.modules[0].fleets[0].amiNameFilter = s("al2023-ami-*")
        report.modules[0].fleets[1].namePrefix = "runners-windows"
        let fleetFinding = Finding(ruleId: "PRB-404", severity: .error, tags: ["probe", "aws"], message: s("the user data of `lt` is token-only"),
                                   detail: s("details"), location: .fileStart(s("aws/eu-west-1/ec2/launch-template/runners-linux-x64-action-runner")),
                                   related: [RelatedNote(s("fleet `linux-x64`"), at: .fileStart("main.tf"))], fingerprint: "fp-1")
        let accountFinding = Finding(ruleId: "PRB-408", severity: .warning, tags: ["probe", "aws"], message: s("may not call `iam:ListRoles`"),
                                     location: .fileStart("aws/global/iam/role/runners-*"), fingerprint: "fp-2")
        let githubFinding = Finding(ruleId: "GHP-606", severity: .warning, tags: ["probe", "github"], message: s("1 offline ephemeral runner"),
                                    location: .fileStart("github:/orgs/acme/actions/runners"), fingerprint: "fp-3")
        let linux = LiveFacts.Fleet(
            namePrefix: "runners-linux-x64", ssmBase: s("/github-action-runners/runners/linux-x64"), pinned: "3.6.1",
            deployed: LiveFacts.Release(atLeast: nil, below: "3.0.0", summary: "< 3.0.0", evidence: [s("the scale-up lambda has `X`")]),
            ssmConfigRead: true, ssmConfig: ["agent_mode": s("ephemeral"), "enable_jit_config": s("false")],
            ssmConfigNames: ["agent_mode", "enable_jit_config", s("token_path")], tokenParameters: 2, lambdasRead: true,
            lambdas: [LiveFacts.Lambda(name: "runners-linux-x64-scale-up", runtime: s("nodejs16.x"), environment: ["RUNNER_LABELS": s("self-hosted,linux")])],
            launchTemplate: LiveFacts.LaunchTemplate(name: s("runners-linux-x64-action-runner"), version: 3, imageId: s("ami-0abc"), startScript: "tokenOnly"),
            image: LiveFacts.Image(id: s("ami-0abc"), name: s("ubuntu-jammy-22.04"), missing: false),
            instances: [LiveFacts.Instance(id: s("i-01"), state: s("running"), imageId: s("ami-0abc"), legacyTags: true)],
            queues: [s("runners-linux-x64-queued-builds_dead_letter"): 2], metrics: [s("runners-linux-x64-scale-up Errors"): 3],
            logSignatures: [LiveFacts.LogHit(signature: s("not-configured"), group: s("/github-self-hosted-runners/x/runner"), count: 4)],
            findings: ["fp-1"])
        let gpu = LiveFacts.Fleet(namePrefix: s("runners-gpu"), ssmBase: s("/github-action-runners/runners/gpu"),
                                  deployed: LiveFacts.Release(atLeast: "4.0.1", below: nil, summary: ">= 4.0.1", evidence: ["SSM"]))
        report.live = LiveFacts(
            aws: LiveFacts.AWS(account: s("123456789012"), callerArn: s("arn:aws:sts::123456789012:assumed-role/audit"), credentialSource: s("environment"),
                               region: s("eu-west-1"), window: s("1d"), fleets: [linux, gpu]),
            github: LiveFacts.GitHub(apiRoot: s("https://ghe.example.com/api/v3"), server: s("GHES 3.12.1"), ghesVersion: s("3.12.1"), appSlug: s("runners-app"),
                                     installationID: 1, runnerCount: 2, offlineRunnerCount: 1, jitRoundTrip: s("created and deleted"), jitRoundTripPassed: true),
            findings: [accountFinding, fleetFinding, githubFinding])
        return report
    }

    @Test func liveSectionRendersOnlyWithProbeResults() throws {
        let none = Self.page(Fixture.report)
        #expect(!none.contains("id=\"live\""))
        #expect(LiveComparison(report: Fixture.report, map: FleetMap(Fixture.report)) == nil)
        let html = Self.page(Self.probed())
        #expect(html.contains("<section id=\"live\""))
        #expect(html.contains("<li><a href=\"#live\">Live</a></li>"))
        // The deployed fleet is matched with the declared one, linked both ways.
        let linux = try #require(html.components(separatedBy: "<article class=\"live-fleet").first { $0.contains("id=\"live-1\"") })
        #expect(linux.contains("<h3>Fleet <code>runners-linux-x64</code> <span class=\"sub\">declared as <a href=\"#node-"))
        #expect(html.contains("<a class=\"sub\" href=\"#live-1\">deployed as <code>runners-linux-x64</code>: "))
        // Declared against deployed, mismatches marked.
        #expect(linux.contains("<tr class=\"mismatch\"><th scope=\"row\">module release</th><td data-label=\"Repository\"><code>v3.6.1</code></td><td data-label=\"Deployed\"><code>&lt; 3.0.0</code>"))
        #expect(linux.contains("<tr class=\"same\"><th scope=\"row\">runners</th><td data-label=\"Repository\"><code>ephemeral</code></td><td data-label=\"Deployed\"><code>ephemeral</code>"))
        #expect(linux.contains("<tr class=\"mismatch\"><th scope=\"row\">JIT configs</th><td data-label=\"Repository\"><code>on</code></td><td data-label=\"Deployed\"><code>off</code>"))
        #expect(linux.contains("<tr class=\"mismatch\"><th scope=\"row\">start script</th>"))
        #expect(linux.contains("launch template runners-linux-x64-action-runner v3: token-only"))
        #expect(linux.contains("<tr class=\"mismatch\"><th scope=\"row\">AMI</th><td data-label=\"Repository\"><code>name filter al2023-ami-*</code></td><td data-label=\"Deployed\"><code>ami-0abc (ubuntu-jammy-22.04)</code>"))
        #expect(linux.contains("agent_mode = ephemeral, enable_jit_config = false, token_path"))
        #expect(linux.contains("1 running; 1 with pre-4.5 tags"))
        // Every probe finding is placed once: with its fleet, the account, or GitHub.
        #expect(linux.contains("id=\"p2\"") && linux.contains("PRB-404"))
        let account = try #require(html.components(separatedBy: "id=\"live-aws\"").dropFirst().first)
        #expect(account.contains("id=\"p1\"") && account.contains("PRB-408"))
        let github = try #require(html.components(separatedBy: "id=\"live-github\"").dropFirst().first)
        #expect(github.contains("id=\"p3\"") && github.contains("GHP-606") && github.contains("2 (1 offline)"))
        for n in 1...3 { #expect(html.components(separatedBy: "id=\"p\(n)\"").count == 2, "probe finding \(n) placed more than once") }
        // Deployed but not declared; declared but not deployed.
        #expect(html.contains("<h3>Fleet <code>runners-gpu</code> <span class=\"sub\">not declared in the scanned repository</span>"))
        #expect(html.contains("<h3>Fleet <code>runners-windows</code> <span class=\"sub\">declared as <a href=\"#node-") && html.contains("not deployed</span>"))
        // The header says where the live facts come from.
        #expect(html.contains("<dt>Live (probe)</dt><dd><a href=\"#live\">AWS account 123456789012 in eu-west-1 (window 1d) and GHES 3.12.1 at https://ghe.example.com/api/v3</a>"))
        #expect(html == Self.page(Self.probed()), "not deterministic")
        let unexpected = Set(Self.tagNames(html)).subtracting(Self.allowedTags)
        #expect(unexpected.isEmpty, "unexpected tags: \(unexpected.sorted())")
    }

    @Test func everyLiveFieldIsEscaped() {
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>"
        let html = Self.page(Self.probed { $0 + hostile })
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        let unexpected = Set(Self.tagNames(html)).subtracting(Self.allowedTags)
        #expect(unexpected.isEmpty, "injected tags: \(unexpected.sorted())")
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
        // The hostile text reached the page in each kind of field (otherwise this proves nothing).
        for field in ["runners-gpu", "ami-0abc", "ubuntu-jammy-22.04", "nodejs16.x", "self-hosted,linux", "not-configured", "1d", "GHES 3.12.1",
                      "runners-app", "created and deleted", "1 offline ephemeral runner", "may not call <code>iam:ListRoles</code>", "al2023-ami-*",
                      "/github-action-runners/runners/linux-x64", "ephemeral", "token_path", "eu-west-1", "environment"] {
            #expect(html.contains(field + escaped), "\(field) is not on the page escaped")
        }
        let tags = try! NSRegularExpression(pattern: "<[a-zA-Z][^>]*>")
        for m in tags.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let tag = String(html[Range(m.range, in: html)!]).replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression)
            #expect(tag.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "event handler in \(tag)")
        }
    }

    @Test func liveSecretsAreMasked() {
        let token = "ghp_R8kz3QpL0vW2xYt6NmB4cD7eF9gH1jK5sA0u"
        let html = Self.page(Self.probed { "\($0) token=\(token)" })
        #expect(html.contains("<section id=\"live\""))
        #expect(!html.contains(token))
        #expect(!html.contains(String(token.dropFirst(4).prefix(20))))
    }

    @Test func checklistKeepsOnlyFindingsStillInTheReport() {
        var report = Fixture.report
        let kept = report.findings[1], dropped = Finding(ruleId: "TF-999", severity: .error, message: "baselined", location: .fileStart("x.tf"), fingerprint: "gone")
        func item(_ f: Finding) -> UpgradeChecklist.Item {
            .init(ruleId: f.ruleId, title: "T", message: f.message, location: f.location, fix: nil, fixApplies: false, fingerprint: f.fingerprint)
        }
        report.checklist = UpgradeChecklist(target: "5.0.0", from: "3.6.1", newest: nil, calls: [], sections: [
            .init(title: "v5 (major upgrade)", items: [item(kept), item(dropped)]),
            .init(title: "v4 (major upgrade)", items: [], emptyNote: "No finding in this repository for v4."),
        ], everyUpgrade: ["Rebuild every AMI (`images/`)"])
        let html = Self.page(report)
        #expect(html.contains("<h2 id=\"checklist-title\">Upgrade checklist to v5.0.0</h2>"))
        #expect(html.contains("<a href=\"#f2\"><strong>\(kept.ruleId)</strong></a>"))
        #expect(!html.contains("baselined"))
        #expect(html.contains("No finding in this repository for v4."))
        #expect(html.contains("<li>Rebuild every AMI (<code>images/</code>)</li>"))
    }
}
