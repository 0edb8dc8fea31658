import AuditCore
import HCL
import Knowledge
import Scripts
import Terraform

/// What a rule needs to know about one script on a fleet's boot path.
public struct ScriptFacts: Sendable {
    public var path: String
    public var contract: StartContract
    /// `config.sh`/`config.cmd` fed with the SSM value.
    public var configCall: SourceRange?
    /// The `--jitconfig` word.
    public var jitConfigWord: SourceRange?
    /// Where `enable_jit_config` is read.
    public var jitFlagRead: SourceRange?
    /// The module release(s) whose script this is, when it is an unedited copy.
    public var knownReleases: [ModuleVersion]
    /// The known defect of that release's script, if any.
    public var knownDefect: String?

    /// The best place to point at for this script.
    public var anchor: SourceRange {
        configCall ?? jitConfigWord ?? jitFlagRead ?? .fileStart(path)
    }

    /// The facts the structural analysis found.
    public init(report: ScriptReport, path: String) {
        self.path = path
        contract = report.contract
        func first(_ role: ContractEvidence.Role) -> SourceRange? { report.evidence.first { $0.role == role }?.range }
        // Point at the `config.sh` word, not at a `sudo … --` prefix.
        configCall = first(.configCommand).map { report.programNameRanges[$0] ?? $0 }
        jitConfigWord = first(.jitConfigFlag)
        jitFlagRead = first(.jitFlagRead)
        knownReleases = []
        knownDefect = nil
    }
}

/// A fleet's boot path resolved to scripts.
public struct ResolvedBoot: Sendable {
    public enum Script: Sendable {
        /// The module's own script of the audited release.
        case module
        /// A script in the repository.
        case file(ScriptFacts)
        /// The script should be in the repository but is not (or its path is unknown).
        case missing(reason: String, at: SourceRange)
    }

    public var scripts: [Script]
    /// The chain that leads from the fleet to the script (userdata input, Packer provisioner...).
    public var chain: [RelatedNote]
    public var label: String
    /// The Packer templates whose AMIs may boot the fleet, in order.
    public var packerTemplates: [String] = []
    /// For scripts baked into an AMI: the index in `scripts` and the Packer template that bakes it.
    public var bakedBy: [Int: String] = [:]

    /// The scripts that decide registration: every file that is not a wrapper or unrelated.
    public var startScripts: [ScriptFacts] {
        scripts.compactMap { if case .file(let f) = $0, f.contract != .wrapper, f.contract != .unrelated { f } else { nil } }
    }

    public var usesModuleScript: Bool {
        scripts.contains { if case .module = $0 { true } else { false } }
    }

    public var missing: (reason: String, at: SourceRange)? {
        for s in scripts { if case .missing(let r, let at) = s { return (r, at) } }
        return nil
    }
}

/// Follows a fleet's boot path to the script files in the repository.
public struct BootScriptResolver: Sendable {
    public var context: RuleContext

    public init(context: RuleContext) { self.context = context }

    public func scriptFacts(forScript path: String) -> ScriptFacts? {
        guard let report = context.scripts[path], context.workspace.source(path) != nil else { return nil }
        var facts = ScriptFacts(report: report, path: path)
        if let known = context.scriptFingerprints[path] {
            // An unedited copy of a module file: that release's exact behaviour.
            facts.knownReleases = known.releases
            facts.knownDefect = known.defects.first
            if let contract = known.contract { facts.contract = contract }
        }
        return facts
    }

    /// The fleet's boot: the one computed for this run (`RuleContext.facts`) when the fleet is
    /// one of the run's, else resolved now.
    public func resolve(_ facts: FleetFacts) -> ResolvedBoot {
        context.facts.boot(of: facts) ?? resolveAgain(facts)
    }

    /// Follows the fleet's boot path to its scripts.
    func resolveAgain(_ facts: FleetFacts) -> ResolvedBoot {
        switch facts.bootPath {
        case .moduleDefault:
            return ResolvedBoot(scripts: [.module], chain: [], label: "module-default")
        case .userdataTemplate(let path, let input):
            let note = RelatedNote("the fleet's user data is rendered from this template", at: input.range)
            guard let path else {
                return ResolvedBoot(scripts: [.missing(reason: "the `userdata_template` path is not known statically", at: input.range)], chain: [note], label: "userdata_template:unknown")
            }
            return fromFile(path, chain: [note], at: input.range, label: "userdata_template:\(path)")
        case .userdataContent(let file, let input):
            let note = RelatedNote("the fleet's user data is set here", at: input.range)
            guard let file else {
                return ResolvedBoot(scripts: [.missing(reason: "`userdata_content` is built inline or from values ghr-audit cannot follow", at: input.range)], chain: [note], label: "userdata_content:inline")
            }
            return fromFile(file, chain: [note], at: input.range, label: "userdata_content:\(file)")
        case .ami(let input):
            return fromPacker(facts, input: input)
        }
    }

    func fromFile(_ path: String, chain: [RelatedNote], at range: SourceRange, label: String) -> ResolvedBoot {
        guard let f = scriptFacts(forScript: path) else {
            let reason = context.workspace.source(path) == nil ? "`\(path)` is not in the repository" : "`\(path)` is not a shell or PowerShell script"
            return ResolvedBoot(scripts: [.missing(reason: reason, at: range)], chain: chain, label: label)
        }
        // A wrapper embeds the module's own start script through `${start_runner}`.
        if f.contract == .wrapper { return ResolvedBoot(scripts: [.file(f), .module], chain: chain, label: label) }
        return ResolvedBoot(scripts: [.file(f)], chain: chain, label: label)
    }

    /// The Packer templates of the repository whose images may boot this fleet: same OS, and an
    /// AMI name that the fleet's AMI name filter matches when both are known.
    func fromPacker(_ facts: FleetFacts, input: FleetInput) -> ResolvedBoot {
        let os = facts.os ?? "linux"
        let filter = Self.amiNameFilter(facts)
        func matches(_ t: PackerTemplate) -> Bool {
            guard t.os == os else { return false }
            if let filter, let pattern = t.sources.first?.amiNamePattern, !Self.namesMayOverlap(filter: filter, amiName: pattern) { return false }
            return true
        }
        let candidates = Self.nearest(context.packerTemplates, under: context.packerTemplatesUnder, matching: matches,
                                      to: [facts.call.scope.rootDirectory, facts.call.scope.module.directory])
        let baseNote = RelatedNote("`enable_userdata = false`: the start script is baked into the AMI", at: input.range)
        guard !candidates.isEmpty else {
            return ResolvedBoot(scripts: [.missing(reason: "no Packer template in the repository builds this fleet's AMI", at: input.range)], chain: [baseNote], label: "ami:unknown")
        }
        var scripts: [ResolvedBoot.Script] = []
        var chain = [baseNote]
        var bakedBy: [Int: String] = [:]
        for t in candidates {
            for ref in t.files {
                guard let path = ref.path else { continue }
                // A file provisioner whose content embeds other templates: follow `start_runner`.
                if let embedded = ref.embedded["start_runner"] {
                    chain.append(RelatedNote("Packer template `\(t.file)` embeds this start script in the AMI", at: embedded.range))
                    bakedBy[scripts.count] = t.file
                    if let inner = embedded.path, let f = scriptFacts(forScript: inner) {
                        scripts.append(.file(f))
                    } else {
                        scripts.append(.missing(reason: "the start script the Packer template embeds (`\(embedded.path ?? "unknown")`) is not in the repository", at: embedded.range))
                    }
                    continue
                }
                guard let f = scriptFacts(forScript: path) else { continue }
                if f.contract == .unrelated && !Self.isBootDestination(ref.destination) { continue }
                chain.append(RelatedNote("Packer template `\(t.file)` copies this script into the AMI", at: ref.range))
                bakedBy[scripts.count] = t.file
                scripts.append(.file(f))
            }
        }
        let templates = candidates.map(\.file)
        if scripts.isEmpty {
            return ResolvedBoot(scripts: [.missing(reason: "the Packer template\(candidates.count > 1 ? "s" : "") \(candidates.map { "`\($0.file)`" }.joined(separator: ", ")) copy no start script ghr-audit can read", at: input.range)],
                                chain: chain, label: "ami:" + templates.joined(separator: ","), packerTemplates: templates)
        }
        return ResolvedBoot(scripts: scripts, chain: chain, label: "ami:" + templates.joined(separator: ","), packerTemplates: templates, bakedBy: bakedBy)
    }

    /// The matching templates closest to the fleet's configuration: those sharing the deepest
    /// folder with its root module or with the module that calls the runner module. A monorepo
    /// holding several projects, each with its own images, matches each fleet with its own
    /// project's templates (and stays linear in the number of projects); templates in one shared
    /// `images/` folder are equally close to every root and all stay candidates. In the order of
    /// `templates`.
    static func nearest(_ templates: [PackerTemplate], under index: [String: [Int]], matching: (PackerTemplate) -> Bool,
                        to directories: [String]) -> [PackerTemplate] {
        var bestDepth = -1
        var chosen = Set<Int>()
        for directory in directories {
            // The deepest folder above `directory` (itself included) with a matching template below it.
            var parts = directory.split(separator: "/")
            while parts.count >= bestDepth {
                let found = (index[parts.joined(separator: "/")] ?? []).filter { matching(templates[$0]) }
                if !found.isEmpty {
                    if parts.count > bestDepth { chosen = [] }
                    bestDepth = parts.count
                    chosen.formUnion(found)
                    break
                }
                if parts.isEmpty { break }
                parts.removeLast()
            }
        }
        return chosen.sorted().map { templates[$0] }
    }

    static func isBootDestination(_ d: String?) -> Bool {
        guard let d = d?.lowercased() else { return false }
        return d.contains("per-boot") || d.contains("start-runner") || d.contains("user-data") || d.contains("userdata")
    }

    /// The first `name` value of the fleet's AMI filter (`ami_filter` or `ami.filter`).
    public static func amiNameFilter(_ facts: FleetFacts) -> String? {
        if let f = facts.setInput("ami_filter")?.value, let name = f["name"] {
            return name.listValue?.first?.stringValue ?? name.stringValue
        }
        if let a = facts.setInput("ami")?.value, let name = a["filter"]?["name"] {
            return name.listValue?.first?.stringValue ?? name.stringValue
        }
        return nil
    }

    /// Whether an AMI filter pattern and an AMI name pattern (both with `*`) can name the same
    /// image: their literal prefixes must agree.
    static func namesMayOverlap(filter: String, amiName: String) -> Bool {
        let a = filter.prefix { $0 != "*" && $0 != "?" }
        let b = amiName.prefix { $0 != "*" && $0 != "?" }
        return a.hasPrefix(b) || b.hasPrefix(a)
    }
}
