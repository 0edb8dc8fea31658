import AuditCore
import HCL
import Knowledge

/// A module input as a fleet sees it: its value and where it was written.
public struct FleetInput: Sendable {
    public var name: String
    public var value: Value
    /// The exact place the value was written (a `.tf` attribute, a YAML value, a tfvars entry).
    public var range: SourceRange
    /// The name where the input is set (the attribute name or YAML key), when known.
    public var nameRange: SourceRange?

    public init(name: String, value: Value, range: SourceRange, nameRange: SourceRange? = nil) {
        self.name = name
        self.value = value
        self.range = range
        self.nameRange = nameRange
    }

    /// Where the value itself was written: its origin when it came through variables or files,
    /// else the argument expression.
    public var valueRange: SourceRange { value.origin ?? range }
}

/// Where a fleet's runner inputs are written, so a fix can add one.
public enum InputContainer: Sendable {
    /// The attributes of a `module` block.
    case moduleBlock(Block, file: String)
    /// An HCL object constructor (a `runner_config = { ... }` written in a `.tf` file).
    case hclObject(SourceRange)
    /// A YAML mapping (a multi-runner config file read with `yamldecode(file(...))`).
    case yamlMapping(SourceRange)
    /// Not known (built by functions from several places).
    case unknown

    public var range: SourceRange? {
        switch self {
        case .moduleBlock(let b, _): b.range
        case .hclObject(let r), .yamlMapping(let r): r
        case .unknown: nil
        }
    }
}

/// One runner configuration: a root-module instance, a `runners` submodule call, or one
/// `multi_runner_config` entry (in a copy-on-write box, as `RunnerModuleCall`: 280 bytes inline).
public struct Fleet: Sendable {
    private struct Fields: Sendable {
        var name: String
        var configKey: String?
        var inputs: [String: FleetInput]
        var moduleInputs: [String: FleetInput]
        var container: InputContainer
        var anchor: SourceRange
        var isPlaceholder: Bool
        var template: ForTemplate?
        var callInstance: Int
    }

    private var storage: Shared<Fields>

    public var name: String {
        get { storage.fields.name }
        _modify { yield &storage.fields.name }
    }
    /// The `multi_runner_config` key, for multi-runner fleets.
    public var configKey: String? {
        get { storage.fields.configKey }
        _modify { yield &storage.fields.configKey }
    }
    /// The runner inputs (the module's inputs for a root call; `runner_config` for multi-runner).
    public var inputs: [String: FleetInput] {
        get { storage.fields.inputs }
        _modify { yield &storage.fields.inputs }
    }
    /// The module call's own inputs (`ghes_url` lives here for multi-runner).
    public var moduleInputs: [String: FleetInput] {
        get { storage.fields.moduleInputs }
        _modify { yield &storage.fields.moduleInputs }
    }
    public var container: InputContainer {
        get { storage.fields.container }
        _modify { yield &storage.fields.container }
    }
    /// The range that names the fleet: the module label, or the multi-runner key.
    public var anchor: SourceRange {
        get { storage.fields.anchor }
        _modify { yield &storage.fields.anchor }
    }
    /// Whether the multi-runner config entry itself could not be read (unknown map).
    public var isPlaceholder: Bool {
        get { storage.fields.isPlaceholder }
        _modify { yield &storage.fields.isPlaceholder }
    }
    /// For the one fleet that stands for every fleet a `for` over an unknown collection builds:
    /// that `for`'s template (what its body writes for every fleet).
    public var template: ForTemplate? {
        get { storage.fields.template }
        _modify { yield &storage.fields.template }
    }
    /// Which instance (`count`/`for_each`) of its module call the fleet belongs to, in the call's
    /// order: the fleets of one instance share one `moduleInputs`.
    public var callInstance: Int {
        get { storage.fields.callInstance }
        _modify { yield &storage.fields.callInstance }
    }

    public init(name: String, configKey: String?, inputs: [String: FleetInput], moduleInputs: [String: FleetInput],
                container: InputContainer, anchor: SourceRange, isPlaceholder: Bool = false) {
        storage = Shared(Fields(name: name, configKey: configKey, inputs: inputs, moduleInputs: moduleInputs, container: container, anchor: anchor,
                                isPlaceholder: isPlaceholder, template: nil, callInstance: 0))
    }

    /// A runner input, falling back to the module-level input of the same name.
    public func input(_ name: String) -> FleetInput? { inputs[name] ?? moduleInputs[name] }
}

/// How the audited-from version of a call was found.
public struct VersionEvidence: Sendable {
    public var version: ModuleVersion?
    /// Human text: "pinned in `version`", "newest release matching `~> 5.0`", "git ref `v4.0.1`".
    public var how: String
    public var range: SourceRange?
}

/// One call of terraform-aws-github-runner (or one of its submodules).
///
/// The fields live in one copy-on-write box (so does `Fleet`'s): a call is copied into every
/// fleet's facts, runner role and written input of the rules, and inline it took 672 bytes and a
/// dozen retains per copy. A copy is now one reference; a change copies the box first when
/// another value shares it.
public struct RunnerModuleCall: Sendable {
    private struct Fields: Sendable {
        var address: String
        var call: ModuleCallBlock
        var source: ModuleSource
        var sourceRange: SourceRange
        var versionConstraint: VersionConstraint?
        var evidence: VersionEvidence
        var kind: RunnerModuleKind
        var fleets: [Fleet]
        var callers: [RelatedNote]
        var scope: ModuleScope
        var vendoredRoot: String?
    }

    private var storage: Shared<Fields>

    /// `module.runners`, `module.wrapper.module.runners`.
    public var address: String {
        get { storage.fields.address }
        _modify { yield &storage.fields.address }
    }
    public var call: ModuleCallBlock {
        get { storage.fields.call }
        _modify { yield &storage.fields.call }
    }
    public var source: ModuleSource {
        get { storage.fields.source }
        _modify { yield &storage.fields.source }
    }
    public var sourceRange: SourceRange {
        get { storage.fields.sourceRange }
        _modify { yield &storage.fields.sourceRange }
    }
    public var versionConstraint: VersionConstraint? {
        get { storage.fields.versionConstraint }
        _modify { yield &storage.fields.versionConstraint }
    }
    public var evidence: VersionEvidence {
        get { storage.fields.evidence }
        _modify { yield &storage.fields.evidence }
    }
    public var kind: RunnerModuleKind {
        get { storage.fields.kind }
        _modify { yield &storage.fields.kind }
    }
    public var fleets: [Fleet] {
        get { storage.fields.fleets }
        _modify { yield &storage.fields.fleets }
    }
    /// Wrapper module calls that lead here, outermost first.
    public var callers: [RelatedNote] {
        get { storage.fields.callers }
        _modify { yield &storage.fields.callers }
    }
    /// The scope of the module that contains the call (to evaluate anything else there).
    public var scope: ModuleScope {
        get { storage.fields.scope }
        _modify { yield &storage.fields.scope }
    }
    /// For a local source: the directory of the vendored copy's root.
    public var vendoredRoot: String? {
        get { storage.fields.vendoredRoot }
        _modify { yield &storage.fields.vendoredRoot }
    }

    public init(address: String, call: ModuleCallBlock, source: ModuleSource, sourceRange: SourceRange,
                versionConstraint: VersionConstraint?, evidence: VersionEvidence, kind: RunnerModuleKind, fleets: [Fleet],
                callers: [RelatedNote], scope: ModuleScope, vendoredRoot: String?) {
        storage = Shared(Fields(address: address, call: call, source: source, sourceRange: sourceRange, versionConstraint: versionConstraint, evidence: evidence,
                                kind: kind, fleets: fleets, callers: callers, scope: scope, vendoredRoot: vendoredRoot))
    }

    public var version: ModuleVersion? { evidence.version }
}

public struct DeploymentModel: Sendable {
    public var calls: [RunnerModuleCall]
    /// Root modules evaluated, by directory.
    public var roots: [String]
    /// Directories that hold a vendored copy of the runner module (not audited as user code).
    public var vendoredRoots: [String: VendoredCopy]
    /// Every module scope evaluated (roots and wrappers), for rules that look beyond module calls.
    public var scopes: [ModuleScope]
    public var diagnostics: [Diagnostic]

    /// A model of nothing: what a run holds between building one model and the next.
    public static let empty = DeploymentModel(calls: [], roots: [], vendoredRoots: [:], scopes: [], diagnostics: [])

    public var fleets: [(call: RunnerModuleCall, fleet: Fleet)] {
        calls.flatMap { c in c.fleets.map { (c, $0) } }
    }

    /// Whether `path` lies inside a vendored copy of the runner module.
    public func isVendored(_ path: String) -> Bool {
        vendoredRoots.values.contains { $0.contains(path) }
    }
}

/// A copy of the runner module inside the repository (vendored or a git submodule).
public struct VendoredCopy: Sendable {
    public var directory: String
    public var version: ModuleVersion?
    /// How the version was found ("CHANGELOG.md", "git submodule").
    public var how: String
    /// Whether the copy holds the module's root (Terraform files in `directory`), or only its
    /// `modules/` folder was copied.
    public var hasRootModule: Bool

    /// A git submodule of the module's repository whose folder is empty (not checked out).
    public var isMissingSubmodule: Bool

    public init(directory: String, version: ModuleVersion?, how: String, hasRootModule: Bool = true, isMissingSubmodule: Bool = false) {
        self.directory = directory
        self.version = version
        self.how = how
        self.hasRootModule = hasRootModule
        self.isMissingSubmodule = isMissingSubmodule
    }

    /// The copy's folder for messages: "`vendor/ghr`", "the repository root", or "`modules`" when only
    /// the module's `modules/` folder was copied.
    public var displayName: String {
        if !hasRootModule { return "`" + (directory.isEmpty ? "modules" : directory + "/modules") + "`" }
        return directory.isEmpty ? "the repository root" : "`\(directory)`"
    }

    /// The folder of a copy at the scan root (the module's own repository) whose Terraform calls the
    /// copy as a user would (`source = "../../"`).
    public static let examplesDirectory = "examples"

    /// Whether `path` (a file or directory relative to the scan root) belongs to this copy. When only
    /// the module's `modules/` folder was copied, the copy is that folder and nothing else around it.
    /// A whole copy at the scan root is the module's own repository: its `examples/` are callers of
    /// the copy, audited like user code; a whole copy deeper in the repository is vendored whole,
    /// examples included.
    ///
    /// Inside a whole copy deeper in the repository, a folder whose first part is not one of the
    /// module's own folders (`ownFolders`) is the user's: an environment kept inside the copy that
    /// deploys it with `source = "../"` is audited like any other caller.
    public func contains(_ path: String) -> Bool {
        func isWithin(_ dir: String) -> Bool { dir.isEmpty || path == dir || path.hasPrefix(dir + "/") }
        if !hasRootModule { return isWithin(directory.isEmpty ? "modules" : directory + "/modules") }
        if directory.isEmpty { return !isWithin(Self.examplesDirectory) }
        guard isWithin(directory) else { return false }
        guard path != directory else { return true }
        let rest = path.dropFirst(directory.count + 1)
        let first = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        // A file of the copy's root (`main.tf`, `CHANGELOG.md`) belongs to it; so does anything in its own folders.
        if Self.ownFolders.contains(first) { return true }
        return !rest.contains("/") && first.contains(".")
    }

    /// The folders of the module's repository at every release from 0.x to 7.x (read at the tags:
    /// its Terraform is only at the root, in `modules/` and in `examples/`).
    public static let ownFolders: Set<String> = [
        "modules", "examples", "policies", "templates", "lambdas", "images", "docs",
        ".github", ".ci", ".vscode", ".devcontainer", ".release",
    ]
}
