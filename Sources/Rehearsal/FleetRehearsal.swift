import AuditCore
import Foundation
import HCL
import Knowledge
import Rules
import Scripts
import Terraform

/// Which `/bin/sh` to rehearse with: the fleet's (dash for Ubuntu fleets, else bash), or a forced one.
public enum ShellChoice: String, Sendable, CaseIterable {
    case auto, bash, dash, both
}

/// The rehearsals of one fleet's start script.
public struct FleetRehearsal: Sendable {
    public var fleet: String
    public var call: String
    public var target: ModuleVersion?
    /// The script rehearsed (nil when none could be).
    public var script: String?
    /// The static analysis's reading of the script.
    public var staticContract: StartContract?
    public var runs: [ScriptRehearsal]
    /// Why nothing was run for this fleet (the module's own script, Windows, no script found).
    public var skipped: String?
}

/// Follows every fleet of an audit to its start script and rehearses it in the situations the
/// target release creates for the fleet.
public struct FleetRehearsals: Sendable {
    public var rehearser: Rehearser
    public var shells: ShellChoice

    public init(rehearser: Rehearser, shells: ShellChoice = .auto) {
        self.rehearser = rehearser
        self.shells = shells
    }

    /// The template variables the module passes to a `userdata_template` (module-facts 3.8) and to
    /// the start script (`metadata_tags`), with values that keep the boot offline.
    public static let templateVariables: [String: Value] = [
        "enable_debug_logging": .bool(false), "s3_location_runner_distribution": .string(""), "pre_install": .string(""),
        "install_runner": .string(""), "post_install": .string(""), "start_runner": .string(""), "ghes_url": .string(""),
        "ghes_ssl_verify": .bool(true), "environment": .string("rehearsal"), "enable_cloudwatch_agent": .bool(false),
        "ssm_key_cloudwatch_agent_config": .string(""), "hook_job_started": .string(""), "hook_job_completed": .string(""),
        "metadata_tags": .string("enabled"),
    ]

    /// The situations `facts`' target creates; unknown settings give every value they may have.
    public static func situations(_ facts: FleetFacts) -> [Situation] {
        guard let target = facts.target else { return [] }
        let ephemerals: [Bool] = facts.ephemeral.map { [$0] } ?? [false, true]
        let jitSettings: [Bool?]
        switch facts.jitSetting {
        case nil: jitSettings = [nil]
        case .some(nil): jitSettings = [true, false]
        case .some(.some(let b)): jitSettings = [b]
        }
        var out: [Situation] = []
        for e in ephemerals {
            for j in jitSettings {
                let s = Situation.at(target, ephemeral: e, jitSetting: j)
                if !out.contains(s) { out.append(s) }
            }
        }
        return out
    }

    public func rehearse(_ context: RuleContext) -> (fleets: [FleetRehearsal], findings: [Finding]) {
        var fleets: [FleetRehearsal] = []
        var findings: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for facts in context.fleetFacts {
            var result = FleetRehearsal(fleet: facts.fleet.name, call: facts.call.address, target: facts.target, runs: [])
            guard let target = facts.target else {
                result.skipped = "the target release of the module call is not known"
                fleets.append(result)
                continue
            }
            _ = target
            guard (facts.os ?? "linux") == "linux" else {
                result.skipped = "a \(facts.os ?? "non-Linux") fleet: rehearsal runs Linux start scripts only (PowerShell is not rehearsed)"
                fleets.append(result)
                continue
            }
            let boot = resolver.resolve(facts)
            let files: [ScriptFacts] = boot.scripts.compactMap { if case .file(let f) = $0 { f } else { nil } }
            if files.isEmpty {
                if boot.usesModuleScript {
                    result.skipped = "the fleet boots the module's own start script, which is not in the repository"
                } else if let missing = boot.missing {
                    result.skipped = missing.reason
                    findings.append(notRehearsable(context, facts, boot: boot, why: missing.reason, at: missing.at))
                } else {
                    result.skipped = "no start script found"
                }
                fleets.append(result)
                continue
            }
            for script in files {
                var r = result
                r.script = script.path
                r.staticContract = script.contract
                // A helper file another boot script sources runs as part of that script.
                if let user = Self.sourcingScript(of: script.path, among: files.map(\.path), context: context) {
                    r.skipped = "`\(user)` sources this file; it is rehearsed as part of that script"
                    fleets.append(r)
                    continue
                }
                switch prepare(script, context: context, facts: facts, boot: boot) {
                case .failure(let why):
                    r.skipped = why.message
                    findings.append(notRehearsable(context, facts, boot: boot, why: why.message, at: script.anchor))
                case .success(let prepared):
                    for situation in Self.situations(facts) {
                        for shell in shellsFor(facts) {
                            r.runs.append(rehearser.rehearse(script: prepared.text, name: prepared.name,
                                                             siblings: prepared.siblings, situation: situation, shell: shell))
                        }
                    }
                    findings += self.findings(r, script: script, prepared: prepared, facts: facts, boot: boot, context: context)
                }
                fleets.append(r)
            }
        }
        return (fleets, findings)
    }

    func shellsFor(_ facts: FleetFacts) -> [RehearsalShell] {
        switch shells {
        case .bash: [.bash]
        case .dash: [.dash]
        case .both: [.bash, .dash]
        case .auto: facts.ubuntuEvidence != nil ? [.dash] : [.bash]
        }
    }

    public struct Why: Error { public var message: String }

    /// What the sandbox runs for one script of a fleet.
    struct Prepared {
        /// The script as the instance gets it.
        var text: String
        /// Its file name in the sandbox.
        var name: String
        /// The files next to it (a script may source them), by name.
        var siblings: [String: Data]
        /// The files of the repository whose commands run: the script started, the start script
        /// inlined into it, the helper files it sources.
        var parts: [RehearsedPart]
    }

    /// The script as the instance gets it (rendered as Terraform's `templatefile` would when it is
    /// a template, with the start script a `${start_runner}` wrapper inlines), and the files next to
    /// it (a script may source them).
    func prepare(_ script: ScriptFacts, context: RuleContext, facts: FleetFacts, boot: ResolvedBoot) -> Result<Prepared, Why> {
        if script.path.lowercased().hasSuffix(".ps1") { return .failure(Why(message: "a PowerShell script; rehearsal runs Linux start scripts only")) }
        guard let source = context.workspace.source(script.path) else { return .failure(Why(message: "`\(script.path)` could not be read")) }
        var variables = Self.templateVariables
        // The fleet's own pre- and post-install commands, as the module passes them to the template.
        for (input, name) in [("userdata_pre_install", "pre_install"), ("userdata_post_install", "post_install")] {
            if let text = facts.fleet.input(input)?.value.stringValue { variables[name] = .string(text) }
        }
        // A `userdata_template` is always rendered; a script baked by Packer or read by `file()` only
        // when it reads as a template and renders (else it is used as written).
        var mustRender: Bool = { if case .userdataTemplate = facts.bootPath { return true } else { return false } }()
        var started = source
        var parts = [RehearsedPart(path: script.path)]
        var inner: SourceFile?
        if let wrapper = packerWrapper(of: script, boot: boot, context: context) {
            // Packer renders the wrapper with this start script as `start_runner`: run the two as one.
            guard let outer = context.workspace.source(wrapper) else { return .failure(Why(message: "the Packer wrapper `\(wrapper)` could not be read")) }
            inner = source
            started = outer
            mustRender = true
        } else if script.contract == .wrapper {
            // A template around the module's start script: the copy of the module in the repository.
            guard let path = moduleStartScript(facts, context: context), let found = context.workspace.source(path) else {
                return .failure(Why(message: "the template embeds the module's own start script through `${start_runner}`, and no copy of the module in the repository holds it"))
            }
            inner = found
        }
        if let inner {
            switch Self.render(inner, variables: variables) {
            case .success(let text): variables["start_runner"] = .string(text)
            case .failure(let why): return .failure(why)
            }
            let placeholder = Self.scanned(started.path, context: context)?.placeholders.first { $0.name == "start_runner" }?.range ?? .fileStart(started.path)
            parts = [RehearsedPart(path: started.path),
                     RehearsedPart(path: inner.path, via: RelatedNote("`\(inner.path)`, which holds the runner call, is inlined here through `${start_runner}`", at: placeholder))]
        }
        var text = started.text
        if mustRender || TemplateDetection.looksLikeTemplate(started.text) {
            switch Self.render(started, variables: variables) {
            case .success(let rendered): text = rendered
            case .failure(let why): if mustRender { return .failure(why) }
            }
        }
        var siblings: [String: Data] = [:]
        let dir = (started.path as NSString).deletingLastPathComponent
        let startedScan = Self.scanned(started.path, context: context)
        var total = 0
        for entry in context.workspace.fileSystem.list(dir) ?? [] where entry.kind == .file {
            let path = dir.isEmpty ? entry.name : dir + "/" + entry.name
            guard path != started.path, let size = context.workspace.fileSystem.size(path), size <= 1 << 20, total + size <= 8 << 20,
                  let data = context.workspace.fileSystem.read(path) else { continue }
            total += size
            siblings[entry.name] = data
            if path != inner?.path, let startedScan, let note = RunnerCallLocator.inclusionNote(in: startedScan, of: entry.name) {
                parts.append(RehearsedPart(path: path, via: note))
            }
        }
        return .success(Prepared(text: text, name: (started.path as NSString).lastPathComponent, siblings: siblings, parts: parts))
    }

    /// The wrapper a Packer template of the fleet renders around `script` (`templatefile(wrapper,
    /// { start_runner = templatefile(script, …) })`), when the script reaches the AMI that way.
    func packerWrapper(of script: ScriptFacts, boot: ResolvedBoot, context: RuleContext) -> String? {
        for template in context.packerTemplates where boot.packerTemplates.contains(template.file) {
            for ref in template.files where ref.embedded["start_runner"]?.path == script.path {
                if let path = ref.path { return path }
            }
        }
        return nil
    }

    /// The module's start script in the repository's copy of the module, when the fleet's module
    /// call uses one (`modules/runners/templates/start-runner.sh`).
    func moduleStartScript(_ facts: FleetFacts, context: RuleContext) -> String? {
        guard let root = facts.call.vendoredRoot else { return nil }
        for relative in ["modules/runners/templates/start-runner.sh", "templates/start-runner.sh"] {
            let path = root.isEmpty ? relative : root + "/" + relative
            if context.workspace.source(path) != nil { return path }
        }
        return nil
    }

    /// The script among `paths`, in the same folder, that sources or runs `path`.
    static func sourcingScript(of path: String, among paths: [String], context: RuleContext) -> String? {
        let dir = (path as NSString).deletingLastPathComponent, name = (path as NSString).lastPathComponent
        for other in paths where other != path && (other as NSString).deletingLastPathComponent == dir {
            if let scan = scanned(other, context: context), RunnerCallLocator.inclusionNote(in: scan, of: name) != nil { return other }
        }
        return nil
    }

    /// The scan of a script of the repository (the audit's, else scanned now).
    static func scanned(_ path: String, context: RuleContext) -> ScannedScript? {
        if let report = context.scripts[path] {
            if let scan = report.scanned { return scan }
            // The audit kept only the analysis' conclusions: scan the file again as it was scanned.
            return context.workspace.source(path).map { ScriptScanner.scan($0, language: report.language, template: report.isTemplate) }
        }
        return context.workspace.source(path).flatMap(ScriptAnalysis.analyze)?.script
    }

    /// `source` rendered as Terraform's `templatefile` renders a start script or user-data template
    /// of the module (its variables set so that the boot stays offline).
    public static func render(_ source: SourceFile, variables: [String: Value] = templateVariables) -> Result<String, Why> {
        let (parts, problems) = HCLParser.parseTemplate(source)
        let (value, diagnostics) = problems.isEmpty
            ? Evaluator.render(parts, variables: variables, in: EvalContext(), range: .fileStart(source.path))
            : (Value.null, problems)
        guard let rendered = value.stringValue else {
            return .failure(Why(message: "the template could not be rendered as Terraform would\(diagnostics.first.map { ": " + $0.summary } ?? "")"))
        }
        return .success(rendered)
    }

    func notRehearsable(_ context: RuleContext, _ facts: FleetFacts, boot: ResolvedBoot, why: String, at: SourceRange) -> Finding {
        context.finding(.rhs502, "the start script of fleet `\(facts.fleet.name)` could not be rehearsed: \(why)", at: at,
                        detail: "The boot rehearsal runs Linux start scripts from the repository in a sandbox. This one could not be judged; the static analysis of the script still applies.",
                        related: boot.chain + context.fleetNotes(facts))
    }

    /// One finding per distinct outcome that breaks the fleet, at the runner call the static analysis
    /// located; one note per reason a run could not be judged.
    func findings(_ r: FleetRehearsal, script: ScriptFacts, prepared: Prepared, facts: FleetFacts, boot: ResolvedBoot, context: RuleContext) -> [Finding] {
        let locator = RunnerCallLocator(parts: prepared.parts) { Self.scanned($0, context: context) }
        var out: [Finding] = []
        var seen: Set<String> = []
        let target = facts.target.map { "\($0)" } ?? "the target"
        for run in r.runs {
            if case .notRehearsable(let why) = run.verdict {
                guard seen.insert("502:" + why).inserted else { continue }
                out.append(notRehearsable(context, facts, boot: boot, why: why, at: script.anchor))
                continue
            }
            guard run.verdict.breaks, seen.insert(run.verdict.key).inserted else { continue }
            let same = r.runs.filter { $0.verdict.key == run.verdict.key }
            let situations = same.map { "\($0.situation.label); /bin/sh is \($0.shell.rawValue)" }
            // The runner call that got the wrong value, in the file that holds it (a sourced helper, a
            // function, the start script inlined into a wrapper); else where the static reading points.
            var location: SourceRange
            switch run.verdict {
            case .jitToConfig: location = script.configCall ?? script.anchor
            case .tokenToJitconfig: location = script.jitConfigWord ?? script.anchor
            default: location = script.anchor
            }
            var callNotes: [RelatedNote] = []
            if let event = run.decisive, let found = locator.locate(event, preferring: location) {
                location = found.range
                callNotes = found.notes
            }
            var detail = "Rehearsed in a sandbox with what \(target) gives an instance of this fleet (\(situations.joined(separator: " | "))). "
            switch run.verdict {
            case .jitToConfig: detail += "The scale-up lambda stores a JIT config, and the script passed it to `config.sh`, which rejects it: the runner never registers."
            case .tokenToJitconfig: detail += "The scale-up lambda stores the registration-token argument string, and the script passed it to `run.sh --jitconfig`, which rejects it."
            case .runWithoutRegistration: detail += "Neither `config.sh` nor `run.sh --jitconfig` received the value: `run.sh` starts unconfigured and exits."
            default: detail += "No runner was started."
            }
            let staticBreaks = script.contract.failsWithJIT
            let verdictIsJIT = run.situation.secret == .jit
            if script.contract == .undetermined {
                detail += " The static analysis could not tell which contract the script follows (`undetermined`: the value travels through functions or files it does not follow); the rehearsal shows it."
            } else if verdictIsJIT && !staticBreaks {
                detail += " The static analysis reads the script as `\(script.contract.rawValue)`, which would work with JIT configs; the rehearsal shows otherwise (a shell difference, a sourced file or a function the reading cannot follow)."
            } else {
                detail += " The static analysis reads the script as `\(script.contract.rawValue)`."
            }
            var related = boot.chain + callNotes
            let anchor = location
            for line in run.runnerTrace.prefix(12) { related.append(RelatedNote("rehearsal: " + line, at: anchor)) }
            let lastLines = run.output.split(separator: "\n").suffix(3).map(String.init)
            for line in lastLines where !line.isEmpty { related.append(RelatedNote("script output: " + String(line.prefix(200)), at: anchor)) }
            related += context.fleetNotes(facts)
            out.append(context.finding(
                .rhs501,
                "boot rehearsal of fleet `\(facts.fleet.name)` at \(target) (\(run.situation.label); /bin/sh is \(run.shell.rawValue)): \(run.verdict.text)",
                at: location, detail: detail, related: related,
                fix: Fix("Update the start script to the 4.0.1 contract (`enable_jit_config`, `run.sh --jitconfig`), or set `enable_jit_config = false`")))
        }
        return out
    }
}

/// The text output of `ghr-audit rehearse`: per fleet, one line per run, the runner trace of each
/// failing run (fake secrets redacted). Deterministic (no timings), so the README can show it.
public enum RehearsalText {
    public static func render(_ fleets: [FleetRehearsal]) -> String {
        var out = ""
        if fleets.isEmpty { out += "No fleet found.\n" }
        for f in fleets {
            out += "fleet \(f.fleet)" + (f.call == f.fleet ? "" : " (\(f.call))")
            out += " at \(f.target.map { "\($0)" } ?? "an unknown release")"
            if let s = f.script { out += ", script \(s) (static: \(f.staticContract?.rawValue ?? "unknown"))" }
            out += "\n"
            if let why = f.skipped { out += "  not rehearsed: \(why)\n" }
            for r in f.runs {
                out += "  \(r.verdict.breaks ? "FAIL" : "ok  ")  \(r.situation.label); /bin/sh is \(r.shell.rawValue)\n"
                out += "        \(r.verdict.text)\n"
                if r.verdict.breaks { for line in r.runnerTrace { out += "          \(line)\n" } }
            }
        }
        let runs = fleets.flatMap(\.runs)
        out += "\(runs.count) run\(runs.count == 1 ? "" : "s"), \(runs.filter(\.verdict.breaks).count) failing.\n"
        return out
    }
}
