import AuditCore
import HCL
import Knowledge
import Scripts
import Terraform

/// Which module release to audit against.
public enum TargetSelection: Sendable, Hashable, CustomStringConvertible {
    /// The newest release the knowledge base knows.
    case latest
    /// Each module call at the version it pins.
    case pinned
    case version(ModuleVersion)

    public init?(_ text: String) {
        switch text.lowercased() {
        case "latest": self = .latest
        case "pinned": self = .pinned
        default:
            guard let v = ModuleVersion(text) else { return nil }
            self = .version(v)
        }
    }

    public var description: String {
        switch self {
        case .latest: "latest"
        case .pinned: "pinned"
        case .version(let v): v.description
        }
    }
}

/// Everything a rule may read. Built once per run; rules are pure functions of it.
public struct RuleContext: Sendable {
    public var workspace: Workspace { didSet { facts = RunFacts(self) } }
    public var model: DeploymentModel { didSet { facts = RunFacts(self) } }
    public var knowledge: KnowledgeBase
    public var target: TargetSelection { didSet { facts = RunFacts(self) } }
    /// `--from`: overrides the detected current version of every call.
    public var fromOverride: ModuleVersion? { didSet { facts = RunFacts(self) } }
    /// The analysis of every script file, by path.
    public var scripts: [String: ScriptReport] {
        didSet {
            scriptFingerprints = Self.fingerprints(of: scripts, in: workspace, knowledge: knowledge)
            facts = RunFacts(self)
        }
    }
    /// The module release whose unedited script each script file is, by path (absent: none): read
    /// once per file, not once per fleet that boots it.
    public private(set) var scriptFingerprints: [String: ScriptFingerprintEntry] = [:]

    /// The repository's Packer templates, read once for every fleet and rule that follows an AMI.
    public var packerTemplates: [PackerTemplate] {
        didSet {
            packerTemplatesUnder = Self.foldersIndex(packerTemplates)
            facts = RunFacts(self)
        }
    }
    /// For each folder ("" for the scan root), the indices in `packerTemplates` of the templates
    /// anywhere below it: a fleet finds the templates nearest to it without comparing with all.
    public private(set) var packerTemplatesUnder: [String: [Int]] = [:]

    /// Fleet facts, resolved boots and written inputs, computed once from the fields above.
    public private(set) var facts = RunFacts()

    /// Drops the facts once every rule has run and the model is summarised (the summary reads the
    /// fleets' boots from them): they are the largest structure the rules share, and keeping them
    /// while findings are finalised raised the run's peak memory.
    public mutating func releaseFacts() { facts = RunFacts() }

    /// `workers`: the threads the run's facts are worked out on (nil: one per core).
    public init(workspace: Workspace, model: DeploymentModel, knowledge: KnowledgeBase, target: TargetSelection,
                fromOverride: ModuleVersion?, scripts: [String: ScriptReport], workers: Int? = nil) {
        self.workspace = workspace
        self.model = model
        self.knowledge = knowledge
        self.target = target
        self.fromOverride = fromOverride
        self.scripts = scripts
        self.packerTemplates = PackerTemplate.templates(from: workspace.files(ofKind: .packer).compactMap(\.hcl), fileSystem: workspace.fileSystem)
        self.packerTemplatesUnder = Self.foldersIndex(packerTemplates)
        self.scriptFingerprints = Self.fingerprints(of: scripts, in: workspace, knowledge: knowledge)
        self.facts = RunFacts(self, workers: workers)
    }

    static func fingerprints(of scripts: [String: ScriptReport], in workspace: Workspace, knowledge: KnowledgeBase) -> [String: ScriptFingerprintEntry] {
        var out: [String: ScriptFingerprintEntry] = [:]
        for path in scripts.keys {
            if let text = workspace.source(path)?.text, let known = knowledge.fingerprint(ofScript: text) { out[path] = known }
        }
        return out
    }

    static func foldersIndex(_ templates: [PackerTemplate]) -> [String: [Int]] {
        var index: [String: [Int]] = [:]
        for (i, t) in templates.enumerated() {
            var folder = Paths.directory(of: t.file)
            while true {
                index[folder, default: []].append(i)
                if folder.isEmpty { break }
                folder = Paths.directory(of: folder)
            }
        }
        return index
    }

    /// The release a call is audited against.
    public func targetVersion(for call: RunnerModuleCall) -> ModuleVersion? {
        switch target {
        case .latest: knowledge.latest.version
        case .pinned: fromOverride ?? call.version
        case .version(let v): v
        }
    }

    /// The release a call runs today.
    public func currentVersion(for call: RunnerModuleCall) -> ModuleVersion? {
        fromOverride ?? call.version
    }

    /// A finding of `ruleId` with the catalogue's severity and tags (a rule may pass a severity when
    /// its metadata says it decides between two). An id the catalogue does not have is a bug in
    /// the rule, not a property of the input: the run stops with a message naming it rather than
    /// report the finding under a made-up severity.
    public func finding(_ ruleId: RuleID, _ message: String, at location: SourceRange, detail: String? = nil,
                        severity: Severity? = nil, related: [RelatedNote] = [], fix: Fix? = nil, changedIn: ModuleVersion? = nil) -> Finding {
        let meta = Self.metadata(ruleId, in: knowledge)
        return Finding(ruleId: ruleId.rawValue, severity: severity ?? meta.severity, tags: meta.tags.map(\.rawValue),
                       message: message, detail: detail, location: location, related: related, fix: fix, changedIn: changedIn)
    }

    /// The catalogue entry of an id a rule emits; stops the run when there is none.
    static func metadata(_ ruleId: RuleID, in knowledge: KnowledgeBase) -> RuleMetadata {
        guard let meta = knowledge.rule(id: ruleId.rawValue), meta.id == ruleId.rawValue else {
            fatalError("rule id `\(ruleId)` is not in the rule catalogue (rules/**/*.yaml); add its YAML and run `swift run ghr-audit-dev generate`")
        }
        return meta
    }
}

/// A rule: a stateless value with the catalogue id it implements. Metadata (title, severity,
/// tags, documentation, examples) lives in `rules/<domain>/<ID>.yaml`, never in code.
public protocol Rule: Sendable {
    /// The catalogue id of the rule.
    var id: RuleID { get }
    /// Every id the rule may emit (a rule may own a close variant, like JIT-102 of JIT-101).
    var emits: [RuleID] { get }
    func check(_ context: RuleContext) -> [Finding]
}

extension Rule {
    public var emits: [RuleID] { [id] }
}

extension RuleContext {
    /// Works out ahead of the rules what they derive from the knowledge base and keep with it (the
    /// IAM requirements table): the auditor starts this on another thread while it reads the
    /// repository, so a small repository's audit does not wait for it.
    public static func prepare(_ knowledge: KnowledgeBase) {
        _ = knowledge.iamRequirements
    }
}
