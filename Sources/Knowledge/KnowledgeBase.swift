import AuditCore

/// Everything the audit knows about the module and about its own rules: releases, the inputs of
/// every release, renames, fingerprints of the module's boot scripts, and the rule catalogue.
///
/// A value: load it once (`KnowledgeBase.load()`) and pass it on; it is immutable and `Sendable`.
public struct KnowledgeBase: Sendable {
    /// Every release covered, oldest first (no pre-releases).
    public let releases: [Release]
    /// The catalogue, sorted by id.
    public let rules: [RuleMetadata]
    /// Every fingerprinted text of the module's boot-path files.
    public let scriptFingerprints: [ScriptFingerprintEntry]
    /// The releases at which lambda artefacts and the module stop working together, oldest first
    /// (`rules/knowledge/lambda-contracts.yaml`).
    public private(set) var lambdaContracts: [LambdaContractChange] = []
    /// The first actions/runner release each way of starting a runner needs
    /// (`rules/knowledge/runner-versions.yaml`).
    public private(set) var runnerRequirements: [RunnerRequirement] = []
    /// What each lambda release asset zips per run of releases, oldest first
    /// (`rules/knowledge/lambda-packages.yaml`).
    public private(set) var lambdaPackages: [LambdaPackageRun] = []
    /// Problems that did not prevent loading (a rule with a missing example, say). The catalogue
    /// test keeps this empty; the CLI may print it in a debug mode.
    public let problems: [CatalogProblem]

    private let inputsByScope: [InputScope: [String: InputLifespan]]
    private struct ValidationKey: Hashable { var scope: InputScope; var input: String }
    private var validationsByInput: [ValidationKey: [InputValidation]] = [:]
    /// `rules/knowledge/provider-requirements.yaml` by module directory, runs in release order.
    private var providerRequirementsByModule: [String: [ModuleProviderRequirement]] = [:]
    private let renamesByScope: [InputScope: [InputRename]]
    private let fingerprintIndex: [String: Int]
    private let ruleIndex: [String: Int]

    /// Loads the knowledge base compiled into the binary from `rules/`.
    public static func load() throws -> KnowledgeBase {
        try load(files: EmbeddedData.files, packed: EmbeddedData.packed)
    }

    /// The newest release compiled into the binary: what `ghr-audit version` prints, without
    /// decoding the rest of the knowledge base (about 650 KB of YAML and the rule catalogue, most
    /// of that command's run). `knowledge/releases.yaml` is generated with one flow mapping per
    /// release (`- {version: "X.Y.Z", ...}`), so its versions are read line by line; a file that
    /// does not have that shape is decoded as YAML instead. Throws as `load()` does when the file
    /// is missing, malformed or lists no release.
    public static func latestEmbeddedVersion() throws -> ModuleVersion {
        let path = KnowledgeFiles.releasesPath
        if let text = EmbeddedData.files[path], let newest = KnowledgeFiles.newestListedVersion(in: text) { return newest }
        let (data, problems) = KnowledgeFiles.decode(files: EmbeddedData.files[path].map { [path: $0] } ?? [:])
        if let latest = data.releases.last { return latest.version }
        let own = problems.filter { $0.path == "rules/" + path }
        throw KnowledgeBaseError(problems: own.isEmpty ? [CatalogProblem(path: "rules/" + path, "no releases")] : own)
    }

    /// Loads a knowledge base from `rules/`-relative paths and their texts.
    ///
    /// Throws `KnowledgeBaseError` when a data file in `knowledge/` is missing or malformed, when
    /// there is no release, when a rule file cannot be read as a rule at all (YAML syntax error,
    /// not a mapping, missing or malformed `id`), or when two rules claim the same id or alias.
    /// Lesser problems are kept in `problems`.
    ///
    /// `packed` holds the data files' packed forms by path (`EmbeddedData.packed`, which
    /// `ghr-audit-dev generate` writes from the same texts): those are read instead of composing
    /// their YAML.
    public static func load(files: [String: String], packed: [String: String] = [:]) throws -> KnowledgeBase {
        var kb = try loadCatalogue(files: files, packed: packed)
        kb.iamRequirementsSource = files[KnowledgeFiles.iamRequirementsPath].map { ($0, packed[KnowledgeFiles.iamRequirementsPath]) }
        return kb
    }

    /// `rules/knowledge/iam-requirements.yaml` (read by the IAM target) as text and packed form,
    /// if present.
    package private(set) var iamRequirementsSource: (yaml: String, packed: String?)?

    /// The IAM requirements table's document, for `RequiredPermissions`.
    package func iamRequirementsDocument() throws(NodeReader.Failure) -> NodeReader? {
        guard let source = iamRequirementsSource else { return nil }
        return try NodeReader(yaml: source.yaml, packed: source.packed)
    }

    /// What other modules work out from this base, once (see `DerivedKnowledge`).
    public let derived = DerivedKnowledge()

    /// The data files and the rule files, each read on whichever core is free (the data files,
    /// largest first, are most of the bytes; read on one worker they were the whole load's
    /// critical path), then assembled. Every run pays this before it reads the repository, so on
    /// a small repository it is a large part of the time.
    private enum Part: Sendable {
        case data(String, KnowledgeFiles.ReadFile)
        case rule(RuleMetadata?, [CatalogProblem])
    }

    private static func loadCatalogue(files: [String: String], packed: [String: String]) throws -> KnowledgeBase {
        let rulePaths = files.keys.sorted().filter(RuleCatalogLoader.isRuleFile)
        let readers = KnowledgeFiles.readers
        let parts = Parallel.map(readers.count + rulePaths.count) { i -> Part in
            if i < readers.count {
                return .data(readers[i].path, KnowledgeFiles.read(readers[i].path, files: files, packed: packed, with: readers[i].read))
            }
            let path = rulePaths[i - readers.count]
            let (rule, problems) = RuleCatalogLoader.parseRule(path: path, text: files[path]!, packed: packed[path])
            return .rule(rule, problems)
        }
        var read: [String: KnowledgeFiles.ReadFile] = [:]
        for case .data(let path, let file) in parts { read[path] = file }
        let (data, dataProblems) = KnowledgeFiles.decode(files: files, read: read)
        let (rules, ruleProblems) = RuleCatalogLoader.collect(parts.compactMap { part in
            if case .rule(let rule, let problems) = part { (rule, problems) } else { nil }
        })
        var fatal = dataProblems
        if data.releases.isEmpty, !fatal.contains(where: { $0.path.hasSuffix(KnowledgeFiles.releasesPath) }) {
            fatal.append(CatalogProblem(path: "rules/" + KnowledgeFiles.releasesPath, "no releases"))
        }
        let unreadable = Set(files.keys.filter(RuleCatalogLoader.isRuleFile)).subtracting(rules.map(\.sourcePath))
        fatal += ruleProblems.filter { p in unreadable.contains { "rules/" + $0 == p.path } }

        var ruleIndex: [String: Int] = [:]
        for (i, rule) in rules.enumerated() {
            for key in [rule.id] + rule.deprecatedAliases {
                if let other = ruleIndex[key] {
                    fatal.append(CatalogProblem(path: "rules/" + rule.sourcePath, "\(Wording.quoted(key)) is already used by \(Wording.quoted(rules[other].id)) in \(Wording.quoted("rules/" + rules[other].sourcePath))"))
                } else {
                    ruleIndex[key] = i
                }
            }
        }
        guard fatal.isEmpty else { throw KnowledgeBaseError(problems: fatal) }

        var fingerprintIndex: [String: Int] = [:]
        for (i, entry) in data.fingerprints.enumerated() where fingerprintIndex[entry.sha256] == nil {
            fingerprintIndex[entry.sha256] = i
        }
        var renames: [InputScope: [InputRename]] = [:]
        for rename in data.renames { renames[rename.scope, default: []].append(rename) }
        let never = ModuleVersion(Int.max, 0, 0)
        for key in renames.keys { renames[key]!.sort { ($0.removedIn ?? never, $0.old) < ($1.removedIn ?? never, $1.old) } }

        var kb = KnowledgeBase(
            releases: data.releases, rules: rules, scriptFingerprints: data.fingerprints,
            problems: ruleProblems.filter { p in !unreadable.contains { "rules/" + $0 == p.path } }.sorted(),
            inputsByScope: data.inputs, renamesByScope: renames, fingerprintIndex: fingerprintIndex, ruleIndex: ruleIndex)
        kb.lambdaContracts = data.lambdaContracts
        for v in data.validations { kb.validationsByInput[ValidationKey(scope: v.scope, input: v.input), default: []].append(v) }
        kb.runnerRequirements = data.runnerRequirements
        kb.lambdaPackages = data.lambdaPackages
        for r in data.providerRequirements { kb.providerRequirementsByModule[r.module, default: []].append(r) }
        return kb
    }

    private init(releases: [Release], rules: [RuleMetadata], scriptFingerprints: [ScriptFingerprintEntry], problems: [CatalogProblem],
                 inputsByScope: [InputScope: [String: InputLifespan]], renamesByScope: [InputScope: [InputRename]],
                 fingerprintIndex: [String: Int], ruleIndex: [String: Int]) {
        self.releases = releases
        self.rules = rules
        self.scriptFingerprints = scriptFingerprints
        self.problems = problems
        self.inputsByScope = inputsByScope
        self.renamesByScope = renamesByScope
        self.fingerprintIndex = fingerprintIndex
        self.ruleIndex = ruleIndex
    }

    /// The aws provider constraint the module directory `module` (`""` for the root module,
    /// `modules/multi-runner`...) declares at `version`; nil when it declares none or the release
    /// is not covered.
    public func awsProviderRequirement(module: String, at version: ModuleVersion) -> ModuleProviderRequirement? {
        providerRequirementsByModule[module]?.first { $0.exists(at: version) }
    }

    /// The runner requirement named `name` (`jitconfig`).
    public func runnerRequirement(_ name: String) -> RunnerRequirement? {
        runnerRequirements.first { $0.name == name }
    }

    // MARK: Releases

    /// The newest release.
    public var latest: Release { releases[releases.count - 1] }

    /// The release with exactly this version.
    public func release(version: ModuleVersion) -> Release? {
        var lo = 0, hi = releases.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if releases[mid].version == version { return releases[mid] }
            if releases[mid].version < version { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    /// The release whose tagged commit starts with `commitPrefix` (at least 7 hex digits, any
    /// case), as in `?ref=<sha>`. Nil when nothing matches, when the prefix is too short or not
    /// hex, or when it is ambiguous.
    public func release(commitPrefix: String) -> Release? {
        let prefix = commitPrefix.lowercased()
        guard prefix.count >= 7, prefix.count <= 40, prefix.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) })
        else { return nil }
        let matches = releases.filter { $0.commit.hasPrefix(prefix) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The newest release that satisfies the constraint.
    public func resolve(_ constraint: VersionConstraint) -> ModuleVersion? {
        constraint.newest(in: releases.map(\.version))
    }

    /// The release after `version` in release order (the one that "removes" an input last seen
    /// at `version`), nil for the newest.
    public func release(after version: ModuleVersion) -> Release? {
        releases.first { $0.version > version }
    }

    // MARK: Inputs

    /// The inputs of `scope` at `version`. Versions between releases answer like their
    /// neighbours; versions older than the first covered release answer as that release; newer
    /// than the newest, as the newest.
    public func inputs(scope: InputScope, at version: ModuleVersion) -> Set<String> {
        guard let first = releases.first?.version else { return [] }
        let v = min(max(version, first), latest.version)
        return Set((inputsByScope[scope] ?? [:]).values.filter { $0.exists(at: v) }.map(\.name))
    }

    /// Whether `scope` has the input `name` at `version` (answered like `inputs(scope:at:)`,
    /// without building the whole set).
    public func hasInput(_ name: String, scope: InputScope, at version: ModuleVersion) -> Bool {
        guard let first = releases.first?.version else { return false }
        return inputsByScope[scope]?[name]?.exists(at: min(max(version, first), latest.version)) ?? false
    }

    /// Every input `scope` has had in any covered release.
    public func allInputs(scope: InputScope) -> Set<String> {
        Set((inputsByScope[scope] ?? [:]).keys)
    }

    /// The history of one input.
    public func lifespan(scope: InputScope, name: String) -> InputLifespan? {
        inputsByScope[scope]?[name]
    }

    /// The removed or deprecated inputs of a scope with their replacements, by removal release
    /// (deprecated inputs that are still accepted last).
    public func renames(scope: InputScope) -> [InputRename] {
        renamesByScope[scope] ?? []
    }

    /// The rename entry for an old name, if any.
    public func rename(scope: InputScope, old: String) -> InputRename? {
        renamesByScope[scope]?.first { $0.old == old }
    }

    /// The `validation` blocks of a variable at `version`, in the order the module declares them
    /// (`rules/knowledge/validations.yaml`); empty when it has none or the version is not covered.
    public func validations(scope: InputScope, input: String, at version: ModuleVersion) -> [InputValidation] {
        (validationsByInput[ValidationKey(scope: scope, input: input)] ?? []).filter { $0.exists(at: version) }
    }

    /// Every validation block of every release (for the catalogue's own checks).
    public var allValidations: [InputValidation] { validationsByInput.values.flatMap { $0 } }

    /// This knowledge base with `validations` added: validation blocks a release could declare
    /// but none in the data does yet (conditions reading other variables, Terraform 1.9), so
    /// tests can drive INP-209 through them.
    package func adding(_ validations: [InputValidation]) -> KnowledgeBase {
        var copy = self
        for v in validations { copy.validationsByInput[ValidationKey(scope: v.scope, input: v.input), default: []].append(v) }
        return copy
    }

    // MARK: Scripts

    /// The module file and releases whose text this is (after `ScriptFingerprint.normalise`),
    /// or nil when the text is not an unedited copy of a known module file.
    public func fingerprint(ofScript text: String) -> ScriptFingerprintEntry? {
        fingerprintIndex[ScriptFingerprint.sha256(of: text)].map { scriptFingerprints[$0] }
    }

    // MARK: Rules

    /// The rule with this id or deprecated alias.
    public func rule(id: String) -> RuleMetadata? {
        ruleIndex[id].map { rules[$0] }
    }

    /// The reporter view of every rule, sorted by id.
    public var descriptors: [RuleDescriptor] { rules.map(\.descriptor) }

    /// "Did you mean": the nearest candidate within edit distance 2 (see `Wording.suggestions`).
    public func suggestion(for name: String, among candidates: some Collection<String>) -> String? {
        Wording.suggestion(for: name, among: candidates)
    }

    /// "Did you mean": the nearest candidate within edit distance 2 (see `Wording.suggestions`).
    public static func suggestion(for name: String, among candidates: some Collection<String>) -> String? {
        Wording.suggestion(for: name, among: candidates)
    }
}
