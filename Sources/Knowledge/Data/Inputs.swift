import AuditCore

/// A namespace of module inputs whose history the knowledge base records.
public enum InputScope: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// `variable` blocks of the root module (`variables*.tf`).
    case root
    /// `variable` blocks of `modules/multi-runner`.
    case multiRunner = "multi-runner"
    /// `variable` blocks of the internal `modules/runners`.
    case runners
    /// Fields of `multi_runner_config[*].runner_config`.
    case runnerConfig = "runner_config"
    /// Fields of `multi_runner_config[*].matcherConfig`.
    case matcherConfig
    /// Top-level fields of each `multi_runner_config` entry (`runner_config`, `matcherConfig`, ...).
    case multiRunnerConfig = "multi_runner_config"

    public var description: String { rawValue }

    /// Whether the scope holds Terraform variables (rather than fields of an object type).
    public var isVariableScope: Bool { self == .root || self == .multiRunner || self == .runners }

    /// How the scope is written in messages, e.g. "input of the root module".
    public var phrase: String {
        switch self {
        case .root: "input of the root module"
        case .multiRunner: "input of `modules/multi-runner`"
        case .runners: "input of `modules/runners`"
        case .runnerConfig: "field of `multi_runner_config[*].runner_config`"
        case .matcherConfig: "field of `multi_runner_config[*].matcherConfig`"
        case .multiRunnerConfig: "field of `multi_runner_config[*]`"
        }
    }
}

/// A change of an input's compared text (its `default` for variables, its type expression for
/// `multi_runner_config` fields) between two consecutive releases.
public struct InputChange: Sendable, Hashable, Codable {
    /// The first release with the new text.
    public var release: ModuleVersion
    /// Whitespace-collapsed text before the change (may be truncated; see `rules/knowledge/inputs.yaml`).
    public var from: String
    public var to: String

    public init(release: ModuleVersion, from: String, to: String) {
        self.release = release
        self.from = from
        self.to = to
    }
}

/// The history of one input: it exists in every release from `first` to `last`.
public struct InputLifespan: ReleaseRun, Sendable, Hashable, Codable {
    public var scope: InputScope
    public var name: String
    /// The oldest release with the input. The record starts at the oldest covered release, so
    /// that release means "there or earlier".
    public var first: ModuleVersion
    /// The newest release with the input; when it is not the newest release, the input was
    /// removed in the release after it (`removedIn`).
    public var last: ModuleVersion
    public var inLatest: Bool
    /// The type expression at `last`, whitespace collapsed; nil when the variable declares no type
    /// or it could not be read.
    public var type: String?
    /// Variables only: the `default` expression at `last`, whitespace collapsed; nil when required
    /// or not read.
    public var defaultValue: String?
    /// Changes of the compared text (the default for variables, the type for fields), in release order.
    public var changes: [InputChange]
    /// Variables only: changes of the declared type expression (whitespace, comments and commas
    /// ignored), in release order; `runner_labels` turning from `string` into `list(string)`, say.
    public var typeChanges: [InputChange]
    /// The first release whose source marks the input deprecated (`variables.deprecated.tf` or
    /// "deprecated" in its description), if any.
    public var deprecatedIn: ModuleVersion?
    /// The first release without the input, nil while it is in the newest release.
    public var removedIn: ModuleVersion?

    public init(scope: InputScope, name: String, first: ModuleVersion, last: ModuleVersion, inLatest: Bool,
                type: String?, defaultValue: String?, changes: [InputChange], typeChanges: [InputChange] = [],
                deprecatedIn: ModuleVersion?, removedIn: ModuleVersion?) {
        self.scope = scope
        self.name = name
        self.first = first
        self.last = last
        self.inLatest = inLatest
        self.type = type
        self.defaultValue = defaultValue
        self.changes = changes
        self.typeChanges = typeChanges
        self.deprecatedIn = deprecatedIn
        self.removedIn = removedIn
    }

    /// The declared type as of `version` (variables), from `typeChanges` and `type`.
    public func typeText(at version: ModuleVersion) -> String? {
        guard let firstChange = typeChanges.first else { return type }
        if version < firstChange.release { return firstChange.from }
        return typeChanges.last(where: { $0.release <= version })?.to
    }

    /// The compared text (default or field type) as of `version`, from the recorded changes;
    /// nil when the input never changed (then `defaultValue`/`type` hold the only text).
    public func comparedText(at version: ModuleVersion) -> String? {
        guard let firstChange = changes.first else { return nil }
        if version < firstChange.release { return firstChange.from }
        return changes.last(where: { $0.release <= version })?.to
    }
}

/// A removed or deprecated input and what replaces it.
public struct InputRename: Sendable, Hashable, Codable {
    public var scope: InputScope
    /// The old name; a dotted path for an object field (`instance_termination_watcher.enable_metric`).
    public var old: String
    /// The replacement, possibly a dotted path into an object input (`ami.id_ssm_parameter_arn`);
    /// nil when the input was dropped without a successor.
    public var replacement: String?
    /// The first release whose source marks the old input deprecated, if known.
    public var deprecatedIn: ModuleVersion?
    /// The newest release that has the old input (the newest release while it is only deprecated).
    public var lastRelease: ModuleVersion
    /// The first release without it; nil while it is deprecated but still accepted.
    public var removedIn: ModuleVersion?
    /// What else changes besides the name (value shape, semantics), one or two sentences.
    public var note: String
    /// Citations `TAG:path[:line]` or CHANGELOG references.
    public var evidence: [String]

    public init(scope: InputScope, old: String, replacement: String?, deprecatedIn: ModuleVersion?,
                lastRelease: ModuleVersion, removedIn: ModuleVersion?, note: String, evidence: [String]) {
        self.scope = scope
        self.old = old
        self.replacement = replacement
        self.deprecatedIn = deprecatedIn
        self.lastRelease = lastRelease
        self.removedIn = removedIn
        self.note = note
        self.evidence = evidence
    }
}
