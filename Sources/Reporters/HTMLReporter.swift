import AuditCore
import Foundation

/// One self-contained HTML page: a header (what was scanned, the releases, the verdict), the
/// fleet map as inline SVG, the findings grouped by file with their source lines, notes and fix
/// diffs, and the upgrade checklist by major release.
///
/// Nothing on the page makes a request: inline CSS and SVG only, no script, no external link;
/// a Content-Security-Policy meta allows nothing but the page's own stylesheet (by hash). Every
/// string that may come from the scanned repository goes through `HTMLPage.text` (escaped, control
/// and bidirectional-override characters neutralised, and secrets masked as in every format).
/// Deterministic: no timestamp, no dictionary order.
enum HTMLReporter {
    static func render(_ report: Report, options: RenderOptions) -> String {
        HTMLPage(report: report, options: options).render()
    }
}

/// Live facts beside the repository's: what `ghr-audit probe` read from the deployed fleet
/// (`Report.live`, from `check --probe-results FILE`), fleet by fleet against what the
/// repository declares, with every disagreement marked and every probe finding placed with the
/// fleet it is about (else with the AWS account or the GitHub side).
struct LiveComparison {
    enum Status: String {
        /// Both sides say the same.
        case same
        /// The sides disagree: highlighted.
        case mismatch
        /// One side only, or nothing to compare.
        case info
    }

    struct Row {
        /// What is compared: `module release`, `JIT configs`...
        var fact: String
        /// What the repository says, nil when it says nothing.
        var repository: String?
        /// What the live system says, nil when the probe could not tell.
        var live: String?
        var status: Status
        /// Why the row is marked, or what the values mean.
        var note: String? = nil
    }

    struct Fleet {
        /// `<prefix>` or `<prefix>-<key>`: the live fleet's name prefix, or the declared one.
        var namePrefix: String
        /// The repository's fleet: its module call's address, its name, its node on the map.
        var declared: (module: String, fleet: String, node: Int?)?
        var deployed: Bool
        var rows: [Row]
        /// Indices into `LiveFacts.findings`.
        var findings: [Int]

        var mismatches: Int { rows.filter { $0.status == .mismatch }.count }
    }

    /// Where the facts come from (account, region, GitHub server), as the probe names them.
    var source: String
    var fleets: [Fleet]
    /// AWS findings about no single fleet (discovery, account-wide reads).
    var account: [Int]
    var github: [Row]
    var githubFindings: [Int]
    let facts: LiveFacts

    init?(report: Report, map: FleetMap) {
        guard let live = report.live else { return nil }
        facts = live
        var placed = Set<Int>()
        var byFingerprint: [String: [Int]] = [:]
        for (i, f) in live.findings.enumerated() { byFingerprint[f.fingerprint, default: []].append(i) }
        func take(_ fingerprints: [String]) -> [Int] {
            fingerprints.flatMap { byFingerprint[$0] ?? [] }.filter { placed.insert($0).inserted }.sorted()
        }

        var sources: [String] = []
        if let aws = live.aws {
            sources.append("AWS account \(aws.account ?? "unknown") in \(aws.region)" + (aws.window.map { " (window \($0))" } ?? ""))
        }
        if let g = live.github { sources.append("\(g.server) at \(g.apiRoot)") }
        source = sources.isEmpty ? "nothing (the probe ran no half)" : sources.joined(separator: " and ")

        // The repository's fleets by name prefix.
        var declared: [String: (module: ModuleSummary, fleet: FleetSummary, node: Int?)] = [:]
        var declaredOrder: [String] = []
        for (m, module) in report.modules.enumerated() {
            for (f, fleet) in module.fleets.enumerated() {
                guard let prefix = fleet.namePrefix, declared[prefix] == nil else { continue }
                let node = m < map.fleetNodes.count && f < map.fleetNodes[m].count ? map.fleetNodes[m][f] : nil
                declared[prefix] = (module, fleet, node)
                declaredOrder.append(prefix)
            }
        }

        var fleets: [Fleet] = []
        func notDeployed(_ prefix: String, _ d: (module: ModuleSummary, fleet: FleetSummary, node: Int?)?, findings: [Int]) -> Fleet {
            let address = d.map { FleetMap.split($0.module.path).address }
            return Fleet(namePrefix: prefix, declared: d.map { (address!, FleetMap.fleetTitle($0.fleet.name, address: address!), $0.node) }, deployed: false,
                         rows: [Row(fact: "deployed", repository: d == nil ? nil : "fleet with name prefix \(prefix)", live: nil, status: d == nil ? .info : .mismatch,
                                    note: "the probe found nothing of this fleet (no SSM `…/runners/config` parameter, lambda, launch template, instance or queue): it is not deployed in this account and region, or under another prefix or SSM root")],
                         findings: findings)
        }
        for lf in live.aws?.fleets ?? [] {
            let d = declared.removeValue(forKey: lf.namePrefix)
            guard lf.found else {
                fleets.append(notDeployed(lf.namePrefix, d, findings: take(lf.findings)))
                continue
            }
            let address = d.map { FleetMap.split($0.module.path).address }
            fleets.append(Fleet(namePrefix: lf.namePrefix,
                                declared: d.map { (address!, FleetMap.fleetTitle($0.fleet.name, address: address!), $0.node) },
                                deployed: true, rows: Self.rows(live: lf, declared: d.map { ($0.module, $0.fleet) }, target: report.target),
                                findings: take(lf.findings)))
        }
        if live.aws != nil {
            for prefix in declaredOrder {
                guard let d = declared[prefix] else { continue }
                fleets.append(notDeployed(prefix, d, findings: []))
            }
        }
        self.fleets = fleets
        let rest = live.findings.indices.filter { !placed.contains($0) }
        func isGitHub(_ f: Finding) -> Bool { f.ruleId.hasPrefix("GHP-") || f.tags.contains("github") || f.location.path.hasPrefix("github") }
        account = rest.filter { !isGitHub(live.findings[$0]) }
        githubFindings = rest.filter { isGitHub(live.findings[$0]) }
        github = live.github.map(Self.rows) ?? []
    }

    static func yesNo(_ b: Bool?, _ yes: String, _ no: String) -> String? { b.map { $0 ? yes : no } }

    static func compare(_ fact: String, _ repository: String?, _ live: String?, agree: Bool?, note: String? = nil) -> Row {
        Row(fact: fact, repository: repository, live: live, status: agree.map { $0 ? .same : .mismatch } ?? .info, note: note)
    }

    /// One deployed fleet against the repository's fleet of the same name prefix (if any).
    static func rows(live f: LiveFacts.Fleet, declared: (module: ModuleSummary, fleet: FleetSummary)?, target: String) -> [Row] {
        var rows: [Row] = []
        let fleet = declared?.fleet
        // Release: the repository's pin against the deployed fingerprints.
        let pinned = declared?.module.version ?? f.pinned
        let admits = f.deployed.admits(pinned)
        rows.append(compare("module release", pinned.map { "v" + $0 }, f.deployed.summary == "unknown" ? nil : f.deployed.summary, agree: admits,
                            note: f.deployed.evidence.isEmpty ? nil : "evidence: " + f.deployed.evidence.joined(separator: "; ")))
        // Ephemeral and JIT: the repository's settings against SSM (else the scale-up lambda).
        let ephemeral = fleet?.ephemeral, liveEphemeral = f.ephemeral
        rows.append(compare("runners", yesNo(ephemeral, "ephemeral", "persistent"), yesNo(liveEphemeral, "ephemeral", "persistent"),
                            agree: ephemeral.flatMap { e in liveEphemeral.map { $0 == e } },
                            note: f.ssmConfig["agent_mode"] != nil ? "live: SSM `agent_mode`" : (liveEphemeral != nil ? "live: the scale-up lambda's ENABLE_EPHEMERAL_RUNNERS" : nil)))
        let jit = fleet?.jit, liveJIT = f.jit
        let targetNote = ModuleVersion(target) != nil ? "repository: at the target v\(target)" : "repository: at the target"
        rows.append(compare("JIT configs", yesNo(jit, "on", "off"), yesNo(liveJIT, "on", "off"),
                            agree: jit.flatMap { j in liveJIT.map { $0 == j } },
                            note: [targetNote, f.ssmConfig["enable_jit_config"] != nil ? "live: SSM `enable_jit_config`"
                                : (liveJIT != nil ? "live: the scale-up lambda's ENABLE_JIT_CONFIG" : nil)].compactMap { $0 }.joined(separator: "; ")))
        // The start script: what the repository boots with against the launch template's user data.
        let scripts = fleet?.boot.filter { $0.kind == .script || $0.kind == .moduleScript } ?? []
        let repoScript = fleet.map { fl in
            scripts.isEmpty ? fl.bootScript : scripts.map { p in p.kind == .moduleScript ? "module start script" : "\(p.label) (\(p.detail ?? "?"))" }.joined(separator: ", ")
        }
        let liveContract = f.launchTemplate?.startScript.flatMap(StartContract.init(rawValue:))
        let liveScript = f.launchTemplate.map { lt in
            "launch template \(lt.name) v\(lt.version): " + (liveContract?.phrase ?? (lt.startScript == nil ? "no user data" : lt.startScript!))
        }
        var scriptAgree: Bool?
        var scriptNote: String?
        if let c = liveContract, c.failsWithJIT, liveJIT == true || jit == true {
            scriptAgree = false
            scriptNote = "the deployed user data cannot start runners that get JIT configs"
        } else if let c = liveContract, scripts.contains(where: { $0.kind == .script && $0.detail == c.phrase }) {
            scriptAgree = true
        }
        rows.append(compare("start script", repoScript, liveScript, agree: scriptAgree, note: scriptNote))
        // The AMI: the repository's name filter against the launch template's image.
        let filter = fleet?.amiNameFilter
        let packer = fleet?.boot.filter { $0.kind == .packerTemplate }.map(\.label) ?? []
        let repoAMI = filter.map { "name filter \($0)" + (packer.isEmpty ? "" : ", built by " + packer.joined(separator: ", ")) }
            ?? (packer.isEmpty ? nil : "built by " + packer.joined(separator: ", "))
        var liveAMI: String?
        var amiAgree: Bool?
        var amiNote: String?
        if let image = f.image {
            liveAMI = image.id + (image.name.map { " (\($0))" } ?? "") + (image.missing ? ": does not exist" : "")
            if image.missing {
                amiAgree = false
                amiNote = "the launch template's AMI does not exist (any more): no runner can start"
            } else if let filter, let name = image.name {
                amiAgree = LiveFacts.wildcardMatches(filter, name)
                if amiAgree == false { amiNote = "the deployed image's name does not match the repository's filter: the next apply changes the AMI" }
            }
        } else if let id = f.launchTemplate?.imageId {
            liveAMI = id
        }
        rows.append(compare("AMI", repoAMI, liveAMI, agree: amiAgree, note: amiNote))
        // What only the live side shows.
        let config = f.ssmConfigNames.map { name in f.ssmConfig[name].map { "\(name) = \($0)" } ?? name }
        rows.append(Row(fact: "SSM runner config", repository: nil,
                        live: f.ssmConfigRead ? (config.isEmpty ? "no parameter" : config.joined(separator: ", ")) : nil, status: .info,
                        note: "`\(f.ssmBase)/runners/config`"))
        if f.lambdasRead || !f.lambdas.isEmpty {
            rows.append(Row(fact: "lambdas", repository: nil, live: f.lambdas.isEmpty ? "none" : f.lambdas.map { l in
                let short = l.name.hasPrefix(f.namePrefix + "-") ? String(l.name.dropFirst(f.namePrefix.count + 1)) : l.name
                return short + (l.runtime.map { " (\($0))" } ?? "")
            }.joined(separator: ", "), status: .info))
            if let env = f.lambda("scale-up")?.environment, !env.isEmpty {
                rows.append(Row(fact: "scale-up environment", repository: nil,
                                live: env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "), status: .info))
            }
        }
        var states: [String: Int] = [:]
        for i in f.instances { states[i.state, default: 0] += 1 }
        let legacy = f.instances.filter(\.legacyTags).count
        rows.append(Row(fact: "instances", repository: nil,
                        live: f.instances.isEmpty ? "none" : states.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                            + (legacy > 0 ? "; \(legacy) with pre-4.5 tags" : ""),
                        status: legacy > 0 ? .mismatch : .info, note: legacy > 0 ? "tags without `ghr:` are not recognised from 4.5.0" : nil))
        rows.append(Row(fact: "token parameters waiting", repository: nil, live: String(f.tokenParameters), status: .info))
        if !f.queues.isEmpty {
            rows.append(Row(fact: "queues", repository: nil, live: f.queues.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "),
                            status: f.queues.contains { $0.key.contains("_dead_letter") && $0.value > 0 } ? .mismatch : .info))
        }
        if !f.metrics.isEmpty || !f.logSignatures.isEmpty {
            let metrics = f.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let logs = f.logSignatures.map { "\($0.signature) ×\($0.count) in \($0.group)" }
            rows.append(Row(fact: "over the window", repository: nil, live: (metrics + logs).joined(separator: ", "),
                            status: f.metrics.values.contains { $0 > 0 } || !f.logSignatures.isEmpty ? .mismatch : .info))
        }
        return rows
    }

    static func rows(_ g: LiveFacts.GitHub) -> [Row] {
        var rows = [Row(fact: "server", repository: nil, live: g.server + (g.ghesVersion.map { " (GHES \($0))" } ?? ""), status: .info, note: g.apiRoot)]
        if let app = g.appSlug { rows.append(Row(fact: "GitHub App", repository: nil, live: app + (g.installationID.map { ", installation \($0)" } ?? ""), status: .info)) }
        if let n = g.runnerCount {
            let offline = g.offlineRunnerCount ?? 0
            rows.append(Row(fact: "runners registered", repository: nil, live: "\(n) (\(offline) offline)", status: offline > 0 ? .mismatch : .info))
        }
        if let trip = g.jitRoundTrip {
            rows.append(Row(fact: "JIT round trip", repository: nil, live: trip, status: g.jitRoundTripPassed.map { $0 ? .same : .mismatch } ?? .info))
        }
        return rows
    }
}

/// The page's model and its rendering.
struct HTMLPage {
    let report: Report
    let options: RenderOptions
    let map: FleetMap
    /// The page's optional live section; nil renders nothing.
    var live: LiveComparison?
    /// The repository's findings by place (`path:line:column`) with their anchors (`fN`): a probe
    /// finding's related note at that place that names the finding's rule (GHP-601's note
    /// "`check` asked … (JIT-106: …)") links to it, and the finding links back.
    let staticAnchors: [String: [(rule: String, anchor: String)]]

    init(report: Report, options: RenderOptions, live: LiveComparison? = nil) {
        self.report = report
        self.options = options
        self.map = FleetMap(report)
        self.live = live ?? LiveComparison(report: report, map: map)
        var anchors: [String: [(rule: String, anchor: String)]] = [:]
        var index = 0
        for group in Counting.groupedByFile(report.findings) {
            for f in group.findings {
                index += 1
                anchors[Self.place(f.location), default: []].append((f.ruleId, "f\(index)"))
            }
        }
        staticAnchors = anchors
    }

    static func place(_ r: SourceRange) -> String { "\(r.path):\(r.start.line):\(r.start.column)" }

    /// Whether a related note is about the repository finding `rule` at its place.
    static func names(_ note: RelatedNote, _ rule: String) -> Bool { note.message.contains("(\(rule):") }

    /// The anchor of the repository finding a probe finding's note is about, if it is on the page.
    func staticAnchor(for note: RelatedNote) -> String? {
        staticAnchors[Self.place(note.location)]?.first { Self.names(note, $0.rule) }?.anchor
    }

    /// The probe's findings (with their `pN` anchors) that relate to the repository finding `f`:
    /// what the live fleet says about it (e.g. GHP-601 answering JIT-106 with the GHES version).
    func probeFindings(about f: Finding) -> [(anchor: String, finding: Finding)] {
        guard let live else { return [] }
        let place = Self.place(f.location)
        return live.facts.findings.enumerated()
            .filter { _, p in p.related.contains { Self.place($0.location) == place && Self.names($0, f.ruleId) } }
            .map { ("p\($0.offset + 1)", $0.element) }
    }

    func render() -> String {
        var out: [String] = []
        out.append("<!DOCTYPE html>")
        out.append("<html lang=\"en\">")
        out.append("<head>")
        out.append("<meta charset=\"utf-8\">")
        out.append("<meta http-equiv=\"Content-Security-Policy\" content=\"\(Self.contentSecurityPolicy)\">")
        out.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        out.append("<meta name=\"referrer\" content=\"no-referrer\">")
        out.append("<title>\(text(report.toolName)) report: \(text(verdict.title))</title>")
        out.append("<style>" + Self.css + "</style>")
        out.append("</head>")
        out.append("<body>")
        out.append("<a class=\"skip\" href=\"#findings\">Skip to the findings</a>")
        out += header()
        out.append("<main>")
        out += fleetMap()
        if let live { out += liveSection(live) }
        out += findings()
        out += checklist()
        out.append("</main>")
        out.append("<footer><p>Written by \(text(report.toolName)) \(text(report.toolVersion)). This page loads nothing from the network and runs no script.</p></footer>")
        out.append("</body>")
        out.append("</html>")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - Escaping

    /// Text for element content and attribute values: secrets masked, `& < > " '` as entities,
    /// control characters (but tab and newline) and bidirectional overrides replaced by U+FFFD.
    func text(_ s: String) -> String {
        Self.escape(Secrets.mask(s))
    }

    static func escape(_ s: String) -> String {
        // Most text holds nothing to replace: returned as it is.
        let clean = s.utf8.allSatisfy { b in
            b >= 0x20 ? b < 0x7F && b != 0x26 && b != 0x3C && b != 0x3E && b != 0x22 && b != 0x27 : b == 0x0A || b == 0x09
        }
        if clean { return s }
        // On the bytes (appending scalar by scalar to a String was most of rendering the page).
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32)
        let replacement = Array("\u{FFFD}".utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                switch b {
                case 0x26: out += "&amp;".utf8
                case 0x3C: out += "&lt;".utf8
                case 0x3E: out += "&gt;".utf8
                case 0x22: out += "&quot;".utf8
                case 0x27: out += "&#39;".utf8
                case 0x0A, 0x09: out.append(b)
                default: if b < 0x20 || b == 0x7F { out += replacement } else { out.append(b) }
                }
                i += 1
                continue
            }
            // A whole scalar (the bytes of a String are valid UTF-8): C1 controls, bidirectional
            // controls and the byte order mark are replaced.
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            var v = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in 1..<length { v = v << 6 | UInt32(bytes[i + k] & 0x3F) }
            if (0x80...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
                || v == 0x200E || v == 0x200F || v == 0xFEFF {
                out += replacement
            } else {
                out += bytes[i..<(i + length)]
            }
            i += length
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Text with backtick code spans shown as `<code>` (messages quote identifiers that way).
    func prose(_ s: String) -> String {
        var out = ""
        for piece in MarkdownText.pieces(Secrets.mask(s)) {
            switch piece {
            case .text(let t): out += Self.escape(t)
            case .unclosed(let run): out += String(repeating: "`", count: run)
            case .code(let span):
                // The delimiters off, and the one space of padding a delimiter next to a backtick needs.
                let run = span.prefix { $0 == "`" }.count
                var inner = String(span.dropFirst(run).dropLast(run))
                if inner.count >= 2, inner.first == " ", inner.last == " ", inner.contains(where: { $0 != " " }) { inner = String(inner.dropFirst().dropLast()) }
                out += "<code>" + Self.escape(inner) + "</code>"
            }
        }
        return out
    }

    /// Paragraphs and bullet lists of a detail text (lines starting `- ` or `* ` are items).
    func paragraphs(_ s: String) -> String {
        var out = ""
        var list: [String] = []
        func flush() {
            if !list.isEmpty { out += "<ul>" + list.map { "<li>\($0)</li>" }.joined() + "</ul>" }
            list = []
        }
        // Masked as a whole first: a secret spanning lines (a PEM block) is only recognised whole.
        for raw in Secrets.mask(s).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("- ") || line.hasPrefix("* ") {
                list.append(prose(String(line.dropFirst(2))))
            } else {
                flush()
                if !line.isEmpty { out += "<p>" + prose(String(line)) + "</p>" }
            }
        }
        flush()
        return out
    }

    // MARK: - Verdict

    struct Verdict {
        var fails: Bool
        var title: String
        var detail: String
        var exitStatus: Int
    }

    var verdict: Verdict {
        let counts = Counting.summaryLine(report)
        guard let threshold = options.failOn else {
            return Verdict(fails: false, title: "passes", detail: "nothing fails the run (fail-on none); " + counts, exitStatus: 0)
        }
        // The gate judges every finding, those a display filter hid too.
        let failing = report.judged.filter { $0.severity >= threshold }.count
        if failing > 0 {
            let hiddenFailing = report.hidden.filter { $0.severity >= threshold }.count
            let hidden = hiddenFailing == 0 ? "" : " (\(hiddenFailing == failing ? "all" : String(hiddenFailing)) hidden by the display filter)"
            return Verdict(fails: true, title: "fails",
                           detail: "\(Counting.phrase(failing, "finding")) at or above \(threshold.rawValue)\(hidden); " + counts, exitStatus: 1)
        }
        return Verdict(fails: false, title: "passes", detail: "no finding at or above \(threshold.rawValue); " + counts, exitStatus: 0)
    }

    // MARK: - Header

    func header() -> [String] {
        var out = ["<header>"]
        let v = verdict
        out.append("<h1>\(text(report.toolName)): upgrade audit</h1>")
        out.append("<p class=\"verdict \(v.fails ? "fail" : "pass")\" role=\"status\"><strong>\(v.fails ? "✗ Fails" : "✓ Passes")</strong> \(text(v.detail)) (exit status \(v.exitStatus))</p>")
        out.append("<dl class=\"facts\">")
        func fact(_ term: String, _ value: String) { out.append("<div><dt>\(term)</dt><dd>\(value)</dd></div>") }
        if !report.scannedPaths.isEmpty {
            fact("Scanned", report.scannedPaths.map { "<code>\(text($0))</code>" }.joined(separator: ", "))
        }
        fact("Files", text(Counting.phrase(report.filesScanned, "file")
            + (report.filesByKind.isEmpty ? "" : " (" + report.filesByKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")")))
        if let commit = report.commit { fact("Commit", "<code>\(text(commit))</code>") }
        fact("Tool", text("\(report.toolName) \(report.toolVersion)"))
        var currents: [String] = []
        for m in report.modules {
            let v = m.version.map { "v" + $0 } ?? "unknown"
            currents.append("<code>\(text(FleetMap.split(m.path).address))</code> \(text(v))")
        }
        fact("Current release", currents.isEmpty ? "no module call found" : currents.joined(separator: ", "))
        fact("Target release", ModuleVersion(report.target) != nil ? text("v" + report.target) : text(report.target))
        fact("Verdict", text("\(v.title), exit status \(v.exitStatus)"))
        if let live {
            let mismatches = live.fleets.reduce(0) { $0 + $1.mismatches } + live.github.filter { $0.status == .mismatch }.count
            fact("Live (probe)", "<a href=\"#live\">\(text(live.source))</a>: \(text(Counting.phrase(mismatches, "mismatch", plural: "mismatches"))), \(text(Counting.phrase(live.facts.findings.count, "probe finding")))")
        }
        out.append("</dl>")
        out.append("<nav aria-label=\"Contents\"><ul>")
        out.append("<li><a href=\"#map\">Fleet map</a></li>")
        if live != nil { out.append("<li><a href=\"#live\">Live</a></li>") }
        out.append("<li><a href=\"#findings\">Findings (\(report.findings.count))</a></li>")
        if report.checklist != nil { out.append("<li><a href=\"#checklist\">Upgrade checklist</a></li>") }
        out.append("</ul></nav>")
        out.append("</header>")
        return out
    }

    // MARK: - Fleet map

    func worst(_ indices: [Int]) -> Severity? {
        indices.map { report.findings[$0].severity }.max()
    }

    static func severityClass(_ s: Severity?) -> String { s.map { "sev-\($0.rawValue)" } ?? "sev-none" }

    func fleetMap() -> [String] {
        var out = ["<section id=\"map\" aria-labelledby=\"map-title\">", "<h2 id=\"map-title\">Fleet map</h2>"]
        guard !map.nodes.isEmpty else {
            out.append("<p>No runner module call was found, so there is no fleet to draw.</p>")
            out.append("</section>")
            return out
        }
        out.append("<p>Module calls, their fleets, what boots each fleet's runners and the IAM the repository decides. A node's colour is its worst finding; select a node for its findings.</p>")
        out.append("<div class=\"map\">")
        out.append("<svg viewBox=\"0 0 \(map.width) \(map.height)\" role=\"group\" aria-labelledby=\"map-title\">")
        for (i, title) in FleetMap.columnTitles.prefix(map.columns).enumerated() {
            let x = FleetMap.margin + i * (FleetMap.nodeWidth + FleetMap.columnGap)
            out.append("<text class=\"col\" x=\"\(x)\" y=\"18\">\(title)</text>")
        }
        for edge in map.edges {
            let a = map.nodes[edge.from], b = map.nodes[edge.to]
            let x1 = map.x(a) + FleetMap.nodeWidth, y1 = map.y(a) + FleetMap.nodeHeight / 2
            let x2 = map.x(b), y2 = map.y(b) + FleetMap.nodeHeight / 2
            let mid = (x1 + x2) / 2
            out.append("<path class=\"edge\" d=\"M\(x1) \(y1) C\(mid) \(y1) \(mid) \(y2) \(x2) \(y2)\"/>")
        }
        for node in map.nodes.sorted(by: { ($0.column, $0.row) < ($1.column, $1.row) }) {
            let sev = worst(node.findings)
            let x = map.x(node), y = map.y(node)
            let summary = node.findings.isEmpty ? "no findings" : Counting.severityList(node.findings.map { report.findings[$0] })
            let label = "\(node.kind.noun) \(node.title): \(summary)"
            out.append("<a class=\"node \(Self.severityClass(sev))\" href=\"#node-\(node.id)\" aria-label=\"\(text(label))\">")
            out.append("<title>\(text(node.kind.noun + ": " + node.title + (node.subtitle.isEmpty ? "" : " (" + node.subtitle + ")") + ", " + summary))</title>")
            out.append("<rect x=\"\(x)\" y=\"\(y)\" width=\"\(FleetMap.nodeWidth)\" height=\"\(FleetMap.nodeHeight)\" rx=\"6\"/>")
            let mark = sev.map { Self.symbol($0) + " " } ?? ""
            // Counts by severity at the right of the title row: `2✗ 1!`.
            let counts = [Severity.error, .warning, .note].compactMap { s -> String? in
                let n = node.findings.filter { report.findings[$0].severity == s }.count
                return n == 0 ? nil : "\(n)\(Self.symbol(s))"
            }.joined(separator: " ")
            out.append("<text class=\"t\" x=\"\(x + 10)\" y=\"\(y + 20)\">\(text(mark + Self.clip(node.title, counts.isEmpty ? 26 : 26 - counts.count, keepEnd: node.wholeFile)))</text>")
            if !counts.isEmpty {
                out.append("<text class=\"n\" x=\"\(x + FleetMap.nodeWidth - 8)\" y=\"\(y + 20)\">\(counts)</text>")
            }
            out.append("<text class=\"s\" x=\"\(x + 10)\" y=\"\(y + 38)\">\(text(Self.clip(node.subtitle, 38)))</text>")
            out.append("</a>")
        }
        out.append("</svg>")
        out.append("</div>")
        out.append("<ul class=\"legend\" aria-label=\"Legend\"><li><span class=\"key sev-error\"></span>✗ error</li><li><span class=\"key sev-warning\"></span>! warning</li><li><span class=\"key sev-note\"></span>i note</li><li><span class=\"key sev-none\"></span>no finding</li></ul>")
        // The same graph as text: every node, what it connects to and its findings.
        out.append("<h3>Nodes</h3>")
        out.append("<ol class=\"nodes\">")
        for node in map.nodes.sorted(by: { ($0.column, $0.row) < ($1.column, $1.row) }) {
            let sev = worst(node.findings)
            var line = "<li id=\"node-\(node.id)\" class=\"\(Self.severityClass(sev))\"><span class=\"kind\">\(node.kind.noun)</span> <strong>\(text(node.title))</strong>"
            if !node.subtitle.isEmpty { line += " <span class=\"sub\">\(text(node.subtitle))</span>" }
            if let source = node.source { line += " <span class=\"sub\">source <code>\(text(source))</code></span>" }
            if let at = node.location { line += " <span class=\"loc\">\(text(node.wholeFile ? at.path : "\(at.path):\(at.start.line)"))</span>" }
            let parents = map.edges.filter { $0.to == node.id }.map { map.nodes[$0.from] }
            if !parents.isEmpty {
                line += " <span class=\"sub\">from " + parents.map { "<a href=\"#node-\($0.id)\">\(text($0.title))</a>" }.joined(separator: ", ") + "</span>"
            }
            if let live, node.kind == .fleet, let n = live.fleets.firstIndex(where: { $0.declared?.node == node.id }) {
                let fleet = live.fleets[n]
                line += " <a class=\"sub\" href=\"#live-\(n + 1)\">" + (fleet.deployed ? "deployed as <code>\(text(fleet.namePrefix))</code>" : "not deployed")
                    + (fleet.mismatches > 0 ? ": \(text(Counting.phrase(fleet.mismatches, "mismatch", plural: "mismatches")))" : "") + "</a>"
            }
            if node.findings.isEmpty {
                line += "<br><span class=\"none\">no findings</span>"
            } else {
                line += "<ul>" + node.findings.map { i in
                    let f = report.findings[i]
                    return "<li><a href=\"#f\(i + 1)\"><span class=\"badge \(Self.severityClass(f.severity))\">\(f.severity.rawValue)</span> \(text(f.ruleId))</a> \(prose(f.message))</li>"
                }.joined() + "</ul>"
            }
            out.append(line + "</li>")
        }
        out.append("</ol>")
        out.append("</section>")
        return out
    }

    static func symbol(_ s: Severity) -> String {
        switch s {
        case .error: "✗"
        case .warning: "!"
        case .note: "i"
        }
    }

    /// At most `n` characters, with an ellipsis when cut (at the front for paths, whose end
    /// says most).
    static func clip(_ s: String, _ n: Int, keepEnd: Bool = false) -> String {
        guard s.count > n else { return s }
        return keepEnd ? "…" + String(s.suffix(n - 1)) : String(s.prefix(n - 1)) + "…"
    }

    // MARK: - Live facts

    func liveSection(_ live: LiveComparison) -> [String] {
        var out = ["<section id=\"live\" aria-labelledby=\"live-title\">", "<h2 id=\"live-title\">Live: declared and deployed</h2>"]
        let findings = live.facts.findings
        let mismatches = live.fleets.reduce(0) { $0 + $1.mismatches } + live.github.filter { $0.status == .mismatch }.count
        out.append("<p>What <code>ghr-audit probe</code> read from \(text(live.source)), beside what the repository declares. "
            + "\(text(Counting.phrase(mismatches, "mismatch", plural: "mismatches"))) marked; \(text(findings.isEmpty ? "no probe findings" : Counting.phrase(findings.count, "probe finding") + " (" + Counting.severityList(findings) + ")")). "
            + "The verdict above is the repository's; the probe's own run exits on its findings.</p>")
        func findingList(_ indices: [Int]) -> [String] {
            indices.flatMap { finding(findings[$0], anchor: "p\($0 + 1)") }
        }
        if let aws = live.facts.aws {
            var facts = ["Region <code>\(text(aws.region))</code>"]
            if let account = aws.account { facts.append("account <code>\(text(account))</code>") }
            if let arn = aws.callerArn { facts.append("read as <code>\(text(arn))</code>") }
            if let source = aws.credentialSource { facts.append("credentials from \(text(source))") }
            if let window = aws.window { facts.append("window \(text(window))") }
            out.append("<p class=\"sub\">AWS: \(facts.joined(separator: ", ")).</p>")
        }
        for (n, fleet) in live.fleets.enumerated() {
            out.append("<article class=\"live-fleet\(fleet.mismatches > 0 ? " has-mismatch" : "")\" id=\"live-\(n + 1)\">")
            var title = "<h3>Fleet <code>\(text(fleet.namePrefix))</code>"
            if let d = fleet.declared {
                let name = d.node.map { "<a href=\"#node-\($0)\">\(text(d.fleet))</a>" } ?? text(d.fleet)
                title += " <span class=\"sub\">declared as \(name)" + (d.fleet == d.module ? "" : " of <code>\(text(d.module))</code>") + "</span>"
            } else {
                title += " <span class=\"sub\">not declared in the scanned repository</span>"
            }
            if !fleet.deployed { title += " <span class=\"badge sev-error\">not deployed</span>" }
            if fleet.mismatches > 0 { title += " <span class=\"badge sev-warning\">\(text(Counting.phrase(fleet.mismatches, "mismatch", plural: "mismatches")))</span>" }
            out.append(title + "</h3>")
            out += comparison(fleet.rows, label: "fleet " + fleet.namePrefix)
            if !fleet.findings.isEmpty {
                out.append("<h4 class=\"live-findings\">Probe findings on this fleet (\(Counting.severityList(fleet.findings.map { findings[$0] })))</h4>")
                out += findingList(fleet.findings)
            }
            out.append("</article>")
        }
        if !live.account.isEmpty {
            out.append("<article class=\"live-fleet\" id=\"live-aws\"><h3>AWS account and region</h3>")
            out.append("<p class=\"sub\">Probe findings about no single fleet.</p>")
            out += findingList(live.account)
            out.append("</article>")
        }
        if live.facts.github != nil || !live.githubFindings.isEmpty {
            out.append("<article class=\"live-fleet\" id=\"live-github\"><h3>GitHub</h3>")
            if !live.github.isEmpty { out += comparison(live.github, label: "GitHub") }
            if !live.githubFindings.isEmpty {
                out.append("<h4 class=\"live-findings\">Probe findings on GitHub (\(Counting.severityList(live.githubFindings.map { findings[$0] })))</h4>")
                out += findingList(live.githubFindings)
            }
            out.append("</article>")
        }
        out.append("</section>")
        return out
    }

    /// A comparison table: fact, repository, deployed, and the row's status in words.
    func comparison(_ rows: [LiveComparison.Row], label: String) -> [String] {
        var out = ["<table class=\"cmp\" aria-label=\"\(text(label + ": declared and deployed"))\">",
                   "<thead><tr><th scope=\"col\">Fact</th><th scope=\"col\">Repository</th><th scope=\"col\">Deployed</th><th scope=\"col\">Status</th></tr></thead>", "<tbody>"]
        for row in rows {
            let status: String
            switch row.status {
            case .same: status = "<span class=\"ok\">✓ same</span>"
            case .mismatch: status = "<span class=\"badge sev-error\">✗ mismatch</span>"
            case .info: status = ""
            }
            let repo = row.repository.map { "<code>\(text($0))</code>" } ?? "<span class=\"none\">—</span>"
            let deployed = row.live.map { "<code>\(text($0))</code>" } ?? "<span class=\"none\">\(row.status == .info && row.repository == nil ? "not read" : "unknown")</span>"
            let note = row.note.map { "<br><span class=\"sub\">\(prose($0))</span>" } ?? ""
            out.append("<tr class=\"\(row.status.rawValue)\"><th scope=\"row\">\(text(row.fact))</th><td data-label=\"Repository\">\(repo)</td><td data-label=\"Deployed\">\(deployed)\(note)</td><td data-label=\"Status\">\(status)</td></tr>")
        }
        out.append("</tbody></table>")
        return out
    }

    // MARK: - Findings

    func findings() -> [String] {
        var out = ["<section id=\"findings\" aria-labelledby=\"findings-title\">", "<h2 id=\"findings-title\">Findings</h2>"]
        guard !report.findings.isEmpty else {
            out.append("<p>No findings\(report.hidden.isEmpty ? "" : " shown"): \(text(Counting.summaryLine(report))).</p>")
            out += dismissed()
            out.append("</section>")
            return out
        }
        out.append("<p>\(text(Counting.summaryLine(report))).</p>")
        var index = 0
        for (n, group) in Counting.groupedByFile(report.findings).enumerated() {
            out.append("<section class=\"file\" id=\"file-\(n + 1)\" aria-label=\"\(text(group.path.isEmpty ? "." : group.path))\">")
            out.append("<h3><code>\(text(group.path.isEmpty ? "." : group.path))</code> <span class=\"sub\">\(Counting.severityList(group.findings))</span></h3>")
            for f in group.findings {
                index += 1
                out += finding(f, anchor: "f\(index)")
            }
            out.append("</section>")
        }
        out += dismissed()
        out.append("</section>")
        return out
    }

    /// The suppressed and baselined findings, one line each with the reason, when asked for
    /// (`--show-suppressed`); the summary line counts them either way.
    func dismissed() -> [String] {
        guard options.showSuppressed, let counts = Counting.dismissedPhrase(report) else { return [] }
        var out = ["<section class=\"dismissed\" aria-labelledby=\"dismissed-title\">",
                   "<h3 id=\"dismissed-title\">Suppressed and baselined (\(text(counts)))</h3>", "<ul>"]
        for d in report.dismissed {
            let f = d.finding
            out.append("<li><span class=\"loc\">\(text(location(f.location)))</span> \(f.severity.rawValue) <span class=\"rule\">\(text(f.ruleId))</span> \(prose(f.message)) <span class=\"sub\">(\(text(Counting.dismissal(d))))</span></li>")
        }
        out += ["</ul>", "</section>"]
        return out
    }

    func finding(_ f: Finding, anchor id: String) -> [String] {
        var out = ["<article class=\"finding \(Self.severityClass(f.severity))\" id=\"\(id)\">"]
        let title = report.rules.first { $0.id == f.ruleId }?.title
        out.append("<h4><span class=\"badge \(Self.severityClass(f.severity))\">\(f.severity.rawValue)</span> <span class=\"rule\">\(text(f.ruleId))</span>\(title.map { " <span class=\"title\">\(text($0))</span>" } ?? "") <a class=\"loc\" href=\"#\(id)\">\(text(location(f.location)))</a></h4>")
        out.append("<p class=\"msg\">\(prose(f.message))</p>")
        if let snippet = snippet(f.location) { out.append(snippet) }
        if let detail = f.detail, !detail.isEmpty { out.append("<div class=\"detail\">\(paragraphs(detail))</div>") }
        if !f.related.isEmpty {
            out.append("<ul class=\"related\">")
            for note in f.related {
                // A probe finding's note at a repository finding links to it.
                let loc = text(location(note.location))
                let place = id.hasPrefix("p") ? staticAnchor(for: note).map { "<a class=\"loc\" href=\"#\($0)\">\(loc)</a>" } : nil
                out.append("<li>\(place ?? "<span class=\"loc\">\(loc)</span>") \(prose(note.message))</li>")
            }
            out.append("</ul>")
        }
        let answers = id.hasPrefix("f") ? probeFindings(about: f) : []
        if !answers.isEmpty {
            out.append("<ul class=\"related answered\">")
            for (anchor, p) in answers {
                out.append("<li>The probe on the live fleet: <a href=\"#\(anchor)\">\(p.severity.rawValue) <span class=\"rule\">\(text(p.ruleId))</span></a> \(prose(p.message))</li>")
            }
            out.append("</ul>")
        }
        if let fix = f.fix {
            out.append("<div class=\"fix\"><p><strong>Fix:</strong> \(prose(fix.description))</p>")
            out += diff(fix.edits, findingPath: f.location.path)
            out.append("</div>")
        }
        out.append("</article>")
        return out
    }

    func location(_ r: SourceRange) -> String {
        "\(r.path.isEmpty ? "." : r.path):\(r.start.line):\(r.start.column)"
    }

    /// The range's lines (at most 8, with one line of context either side) with the range marked.
    func snippet(_ range: SourceRange) -> String? {
        guard let file = options.sources[range.path], range.start.line >= 1, range.start.line <= file.lineCount else { return nil }
        let lastMarked = min(max(range.start.line, range.end.column == 1 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line), file.lineCount)
        let shownLast = min(lastMarked, range.start.line + 7)
        let first = max(1, range.start.line - 1)
        let last = min(file.lineCount, shownLast + 1)
        let width = String(last).count
        var lines: [String] = []
        for n in first...last {
            // Sources come redacted from the audit; masking the line again costs one pass. Masking
            // keeps columns unless it meets a scalar outside the BMP: then the line is shown unmarked.
            let raw = file.lineText(n), masked = Secrets.mask(raw)
            let columnsKept = masked.unicodeScalars.count == raw.unicodeScalars.count
            let scalars = Array(masked.unicodeScalars)
            if n == file.lineCount && scalars.isEmpty && n > range.start.line { continue }
            var from = 0, to = 0
            if n >= range.start.line && n <= lastMarked && !range.isEmpty && columnsKept {
                from = n == range.start.line ? min(max(range.start.column - 1, 0), scalars.count) : 0
                to = n == range.end.line ? min(max(range.end.column - 1, from), scalars.count) : scalars.count
            }
            func part(_ a: Int, _ b: Int) -> String {
                var s = String.UnicodeScalarView()
                s.append(contentsOf: scalars[a..<b])
                return Self.escape(String(s))
            }
            let number = String(repeating: " ", count: width - String(n).count) + String(n)
            var line = "<span class=\"ln\" aria-hidden=\"true\">\(number)</span> "
            if to > from {
                line += part(0, from) + "<mark>" + part(from, to) + "</mark>" + part(to, scalars.count)
            } else {
                line += part(0, scalars.count)
            }
            lines.append(line)
        }
        if shownLast < lastMarked { lines.append("<span class=\"ln\" aria-hidden=\"true\">\(String(repeating: " ", count: width))</span> …") }
        return "<pre class=\"src\" tabindex=\"0\" aria-label=\"\(text("source of " + location(range)))\"><code>" + lines.joined(separator: "\n") + "</code></pre>"
    }

    /// The fix's edits as a diff of whole lines, or described when the file is not at hand.
    func diff(_ edits: [TextEdit], findingPath: String) -> [String] {
        var out: [String] = []
        for (path, fileEdits) in FixPreview.byFile(edits) {
            if path != findingPath { out.append("<p>In <code>\(text(path))</code>:</p>") }
            if let file = options.sources[path], let hunks = FixPreview.hunks(fileEdits, in: file) {
                var lines: [String] = []
                for hunk in hunks {
                    lines.append("<span class=\"hunk\">@@ line \(hunk.firstLine) @@</span>")
                    lines += hunk.removed.map { "<del>-" + text($0) + "</del>" }
                    lines += hunk.added.map { "<ins>+" + text($0) + "</ins>" }
                }
                out.append("<pre class=\"diff\" tabindex=\"0\" aria-label=\"\(text("fix for " + path))\"><code>" + lines.joined(separator: "\n") + "</code></pre>")
            } else {
                out.append("<ul class=\"edits\">" + fileEdits.map { e in
                    let r = e.range
                    let what = r.isEmpty ? "insert" : (e.newText.isEmpty ? "delete" : "replace with")
                    return "<li><span class=\"loc\">\(text(location(r)))</span> \(what)\(e.newText.isEmpty ? "" : " <code>\(text(e.newText))</code>")</li>"
                }.joined() + "</ul>")
            }
        }
        return out
    }

    // MARK: - Checklist

    func checklist() -> [String] {
        guard let plan = report.checklist?.keeping(report.findings) else { return [] }
        var out = ["<section id=\"checklist\" aria-labelledby=\"checklist-title\">", "<h2 id=\"checklist-title\">\(plan.pinned == true ? "Checklist" : "Upgrade checklist") \(text(plan.heading))</h2>"]
        if plan.pinned == true {
            let releases = plan.from.map { from in "v" + from + (plan.newest.map { " to v" + $0 } ?? "") }
            out.append("<p>" + (releases.map { "Each module call at the release it pins (\(text($0))): what is wrong today, before any upgrade." }
                ?? "No module call with a known release was found: nothing could be compared with a pinned release.") + "</p>")
        } else if let from = plan.from {
            out.append("<p>From v\(text(from))\(plan.newest.map { " (newest call: v\(text($0)))" } ?? "") to v\(text(plan.target)).</p>")
        } else {
            out.append("<p>No module call with a known release was found; the steps assume the whole path to v\(text(plan.target)).</p>")
        }
        var first: [String: Int] = [:]
        for (i, f) in report.findings.enumerated() where first[f.fingerprint] == nil { first[f.fingerprint] = i + 1 }
        func step(_ item: UpgradeChecklist.Item) -> String {
            let link = first[item.fingerprint].map { "#f\($0)" } ?? "#findings"
            var li = "<li><a href=\"\(link)\"><strong>\(text(item.ruleId))</strong></a> \(text(item.title)): \(prose(item.message)) <span class=\"loc\">\(text("\(item.location.path):\(item.location.start.line)"))</span>"
            if let fix = item.fix { li += "<br>Fix: \(prose(fix))\(item.fixApplies ? " (<code>ghr-audit fix</code> applies it)" : "")" }
            return li + "</li>"
        }
        for section in plan.sections {
            out.append("<h3>\(text(section.title))</h3>")
            if section.items.isEmpty {
                out.append("<p>\(text(section.emptyNote ?? ""))</p>")
                continue
            }
            out.append("<ul class=\"steps\">")
            out += section.items.map(step)
            out.append("</ul>")
        }
        if plan.pinned == true && plan.coupledPins.isEmpty && plan.everyUpgrade.isEmpty {
            // No upgrade, no step of every upgrade.
        } else if plan.coupledPins.isEmpty {
            out.append("<h3>Every upgrade</h3>")
            out.append("<ul class=\"steps\">" + plan.everyUpgrade.map { "<li>\(prose($0))</li>" }.joined() + "</ul>")
        } else {
            out.append("<h3>Every upgrade</h3>")
            out.append("<ul class=\"steps\">")
            out += plan.coupledPins.map(step)
            out.append(plan.everyUpgrade.map { "<li>\(prose($0))</li>" }.joined() + "</ul>")
        }
        out.append("</section>")
        return out
    }

    // MARK: - Style

    static let contentSecurityPolicy: String = {
        // The stylesheet is allowed by its hash; nothing else may load, run, connect or submit.
        let hash = Fingerprint.sha256Base64(Data(css.utf8))
        return "default-src 'none'; style-src 'sha256-\(hash)'; img-src 'none'; font-src 'none'; connect-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'"
    }()

    static let css = """

:root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;--link:#0550ae;--focus:#bf8700;\
--err:#cf222e;--err-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--note:#0969da;--note-bg:#ddf4ff;--ok:#1a7f37;--ok-bg:#eef6ee;\
--mark:#ffd8b5;--del:#ffebe9;--ins:#dafbe1;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--panel:#151b23;--link:#4493f8;--focus:#e3b341;\
--err:#ff7b72;--err-bg:#3c1618;--warn:#e3b341;--warn-bg:#3a2e0a;--note:#79c0ff;--note-bg:#0c2d4d;--ok:#56d364;--ok-bg:#12261e;\
--mark:#5a3e1b;--del:#3c1618;--ins:#12261e}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:68rem;padding:0 1rem 2rem;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;overflow-wrap:anywhere}
a{color:var(--link)}
a:focus-visible,pre:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.25rem .5rem}
h1{font-size:1.6rem;margin:1rem 0 .5rem}
h2{font-size:1.3rem;border-bottom:1px solid var(--line);padding-bottom:.25rem;margin-top:2rem}
h3{font-size:1.1rem}
h4{font-size:1rem;margin:0 0 .25rem;font-weight:600}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875em}
.verdict{padding:.5rem .75rem;border-radius:6px;border:1px solid}
.verdict.fail{background:var(--err-bg);border-color:var(--err)}
.verdict.pass{background:var(--ok-bg);border-color:var(--ok)}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.25rem 1rem;margin:1rem 0}
.facts dt{font-weight:600;color:var(--muted);font-size:.85rem}
.facts dd{margin:0}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.map{border:1px solid var(--line);border-radius:6px;background:var(--panel);padding:.25rem}
.map svg{display:block;width:100%;height:auto}
svg .col{font-size:13px;font-weight:600;fill:var(--muted)}
svg .edge{fill:none;stroke:var(--muted);stroke-width:1.5}
svg .node rect{fill:var(--bg);stroke:var(--line);stroke-width:2}
svg .node .t{font-size:13px;font-weight:600;fill:var(--fg)}
svg .node .s{font-size:11px;fill:var(--muted)}
svg .node .n{font-size:12px;font-weight:600;fill:var(--fg);text-anchor:end}
svg .node:focus{outline:none}
svg .node:focus rect,svg .node:hover rect{stroke:var(--focus);stroke-width:4}
svg .sev-error rect{fill:var(--err-bg);stroke:var(--err)}
svg .sev-warning rect{fill:var(--warn-bg);stroke:var(--warn)}
svg .sev-note rect{fill:var(--note-bg);stroke:var(--note)}
svg .sev-none rect{fill:var(--ok-bg);stroke:var(--ok)}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.875rem}
.key{display:inline-block;width:.9rem;height:.9rem;border:2px solid;border-radius:3px;margin-right:.3rem;vertical-align:-.1rem}
.key.sev-error{background:var(--err-bg);border-color:var(--err)}
.key.sev-warning{background:var(--warn-bg);border-color:var(--warn)}
.key.sev-note{background:var(--note-bg);border-color:var(--note)}
.key.sev-none{background:var(--ok-bg);border-color:var(--ok)}
.nodes{padding-left:1.5rem}
.nodes>li{margin:.35rem 0}
.nodes>li:target,.finding:target{outline:3px solid var(--focus);outline-offset:2px}
.kind,.sub,.loc,.none{color:var(--muted);font-size:.875rem}
.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{display:inline-block;padding:0 .4rem;border-radius:1rem;font-size:.8rem;font-weight:600;border:1px solid}
.badge.sev-error{color:var(--err);background:var(--err-bg)}
.badge.sev-warning{color:var(--warn);background:var(--warn-bg)}
.badge.sev-note{color:var(--note);background:var(--note-bg)}
.file{margin-top:1.5rem}
.finding{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:6px;padding:.75rem;margin:.75rem 0}
.finding.sev-error{border-left-color:var(--err)}
.finding.sev-warning{border-left-color:var(--warn)}
.finding.sev-note{border-left-color:var(--note)}
.finding .title{font-weight:400}
.msg{margin:.25rem 0;font-weight:500}
.detail p{margin:.4rem 0}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.5rem;overflow-x:auto;overflow-wrap:normal;white-space:pre;tab-size:4}
.ln{color:var(--muted);user-select:none}
mark{background:var(--mark);color:inherit;text-decoration:underline wavy var(--err)}
del,ins{text-decoration:none;display:inline-block;min-width:100%}
del{background:var(--del)}
ins{background:var(--ins)}
.hunk{color:var(--muted)}
.related{font-size:.9rem;padding-left:1.25rem}
.steps li{margin:.35rem 0}
.live-fleet{border:1px solid var(--line);border-left:4px solid var(--ok);border-radius:6px;padding:.75rem;margin:1rem 0}
.live-fleet.has-mismatch{border-left-color:var(--err)}
.live-fleet h3{margin:0 0 .5rem}
.cmp{width:100%;border-collapse:collapse;font-size:.9rem}
.cmp th,.cmp td{border-top:1px solid var(--line);padding:.3rem .4rem;text-align:left;vertical-align:top}
.cmp thead th{color:var(--muted);font-size:.8rem;border-top:0}
.cmp tr.mismatch{background:var(--err-bg)}
.cmp tr.mismatch th{box-shadow:inset 4px 0 var(--err)}
.cmp .ok{color:var(--ok);font-weight:600}
.live-findings{margin:1rem 0 .25rem}
@media (max-width:40rem){.cmp thead{display:none}.cmp tr,.cmp th,.cmp td{display:block}.cmp td{border-top:0;padding-top:0}\
.cmp td::before{content:attr(data-label) ": ";color:var(--muted);font-size:.8rem}.cmp td:empty{display:none}}
footer{margin-top:3rem;color:var(--muted);font-size:.875rem}
@media print{body{max-width:none;font-size:11pt}nav,.skip{display:none}a{color:inherit;text-decoration:none}\
pre{white-space:pre-wrap;overflow:visible}.finding,.nodes>li,.cmp tr{break-inside:avoid}.map{break-inside:avoid}}

"""
}
