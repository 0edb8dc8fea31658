import AuditCore
import Documents

/// A setting together with where it was written, so the engine can point at it later
/// ("`target` names no release", "`var_files` entry not found").
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var range: SourceRange

    public init(_ value: Value, at range: SourceRange) {
        self.value = value
        self.range = range
    }
}

/// The lowest severity that fails the gate (`none`: never fail).
public enum FailThreshold: String, Sendable, Hashable, CaseIterable {
    case error, warning, note, none

    /// Whether a finding of `severity` fails the gate.
    public func fails(on severity: Severity) -> Bool {
        switch self {
        case .none: false
        case .error: severity >= .error
        case .warning: severity >= .warning
        case .note: true
        }
    }
}

/// A value under `vars`, as written in YAML (YAML 1.2 core schema: `yes`/`no` are strings).
/// Numbers keep their text so nothing is lost before the engine converts them.
public indirect enum ConfigValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case list([ConfigValue])
    case map([String: ConfigValue])
}

/// `.ghr-audit.yml`: what to audit against, which rules, which files, and the gate's policy.
///
///     target: 4.1.0
///     rules:
///       disable: [JIT-104]
///       enable: [TF-130]
///       severity: { JIT-102: warning }
///     include: ["**/*.tf", "runner-configs/"]
///     exclude: [".terraform/", "examples/"]
///     var_files: [prod.tfvars]
///     vars: { enable_jit_config: false }
///     fail_on: warning
///     baseline: .ghr-audit-baseline.json
///
/// Rule ids are stored in their current form (a deprecated alias becomes the id that replaced
/// it); each `Located` range points at the text as written.
public struct GateConfig: Sendable, Hashable {
    public static let fileName = ".ghr-audit.yml"
    public static let keys = ["baseline", "exclude", "fail_on", "include", "require_module", "rules", "target", "var_files", "vars"]
    public static let ruleKeys = ["disable", "enable", "severity"]

    /// The module release to audit against, as written (`4.1.0`, `latest`…).
    public var target: Located<String>?
    /// Rules turned on in addition to the catalogue's defaults.
    public var enable: [Located<String>] = []
    /// Rules turned off; wins over `enable`.
    public var disable: [Located<String>] = []
    /// Severity overrides by rule id.
    public var severity: [String: Located<Severity>] = [:]
    /// When not empty, only files matching one of these are audited.
    public var include: [Located<Glob>] = []
    /// Files matching one of these are not audited.
    public var exclude: [Located<Glob>] = []
    /// Terraform variable files, relative to the scan root, in order.
    public var varFiles: [Located<String>] = []
    /// Variable values, applied after `varFiles`.
    public var vars: [String: Located<ConfigValue>] = [:]
    public var failOn: Located<FailThreshold>?
    /// Baseline file, relative to the scan root.
    public var baseline: Located<String>?
    /// `require_module: true`: no runner module call found (CORE-008) is an error.
    public var requireModule: Located<Bool>?

    public init() {}

    /// Whether a rule runs: `disable` wins, then `enable`, then the catalogue's default.
    public func isEnabled(_ ruleId: String, byDefault: Bool) -> Bool {
        if disable.contains(where: { $0.value == ruleId }) { return false }
        if enable.contains(where: { $0.value == ruleId }) { return true }
        return byDefault
    }

    /// The severity a rule reports with.
    public func severity(of ruleId: String, default defaultSeverity: Severity) -> Severity {
        severity[ruleId]?.value ?? defaultSeverity
    }

    /// Whether the file at `path` (relative to the scan root) is audited.
    public func includes(_ path: String) -> Bool {
        if !include.isEmpty, !include.contains(where: { $0.value.matches(path) }) { return false }
        return !exclude.contains { $0.value.matches(path) }
    }

    /// Reads a config file. Never fails: problems (YAML syntax, unknown keys, wrong types,
    /// unknown rule ids, bad patterns) are returned, each located at the offending text, and the
    /// setting they concern keeps its default.
    public static func parse(_ source: SourceFile, knownRuleIds: KnownRuleIds) -> (config: GateConfig, problems: [Diagnostic]) {
        if let tooLarge = entryLimitProblem(source) { return (GateConfig(), [tooLarge]) }
        var reader = ConfigReader(source: source, known: knownRuleIds)
        let config = reader.read()
        return (config, reader.problems)
    }

    /// A config with more than `Limits.maxConfigEntries` entries is refused before it is parsed: the
    /// entries are counted from the bytes (every line with content, every `,`, `[` and `{` may start
    /// one), so the count is an upper bound found in one pass.
    static func entryLimitProblem(_ source: SourceFile) -> Diagnostic? {
        var entries = 0
        var lineHasContent = false, inComment = false
        for (offset, byte) in source.bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "\n"):
                if lineHasContent { entries += 1 }
                (lineHasContent, inComment) = (false, false)
            case UInt8(ascii: "#") where !lineHasContent: inComment = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): break
            case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "{"):
                if !inComment { entries += 1; lineHasContent = true }
            default:
                if !inComment { lineHasContent = true }
            }
            if entries > Limits.maxConfigEntries {
                return Diagnostic(.error, "Configuration file has too many entries",
                                  detail: "It holds more than \(Limits.maxConfigEntries) entries (counted up to here), more than any configuration needs; "
                                      + "it is not read and every setting keeps its default. Use glob patterns (`modules/**`) instead of listing paths one by one.",
                                  range: source.range(from: offset, to: offset))
            }
        }
        return nil
    }

    /// `parse` with a membership test instead of the catalogue's list.
    public static func parse(_ source: SourceFile, knownRuleIds: @escaping @Sendable (String) -> Bool) -> (config: GateConfig, problems: [Diagnostic]) {
        parse(source, knownRuleIds: KnownRuleIds(contains: knownRuleIds))
    }
}

/// What a YAML value is, by the YAML 1.2 core schema (so `yes`, `no`, `on` and `off` are strings),
/// named for the configuration's messages.
enum ConfigValueKind: Equatable {
    case null, bool(Bool), number, string, sequence, mapping

    init(_ node: YAMLNode) {
        switch node.kind {
        case .mapping: self = .mapping
        case .sequence: self = .sequence
        case .scalar:
            switch node.resolved(schema: .core) {
            case .success(.null)?: self = .null
            case .success(.bool(let b))?: self = .bool(b)
            case .success(.number)?: self = .number
            default: self = .string
            }
        }
    }

    /// "a string", "a list"…, for messages.
    var noun: String {
        switch self {
        case .null: "nothing (null)"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

private struct ConfigReader {
    let source: SourceFile
    let known: KnownRuleIds
    var problems: [Diagnostic] = []

    init(source: SourceFile, known: KnownRuleIds) {
        self.source = source
        self.known = known
    }

    mutating func problem(_ summary: String, _ detail: String, _ node: YAMLNode, _ severity: Diagnostic.Severity = .error) {
        problems.append(Diagnostic(severity, summary, detail: detail, range: node.range))
    }

    /// A short quotation of a node's text for messages.
    func quote(_ node: YAMLNode) -> String {
        var text = source.text(of: node.range)
        if let newline = text.firstIndex(of: "\n") { text = String(text[..<newline]) + " …" }
        if text.count > 40 { text = String(text.prefix(37)) + "…" }
        return "`\(text)`"
    }

    /// The one document of the file, read with `Documents`' positioned YAML; nil (after reporting
    /// why) when the file holds a syntax error or more than one document.
    mutating func document() -> YAMLNode? {
        let stream = YAML.parse(source)
        // Duplicate keys (the reader's only warning) are reported by `mapping`, as errors.
        if let syntax = stream.diagnostics.first(where: { $0.severity == .error }) {
            problems.append(syntax)
            return nil
        }
        if stream.documents.count > 1 {
            let second = stream.documents[1].range
            problems.append(Diagnostic(.error, "Invalid YAML: expected a single document in the stream",
                                       detail: "`\(GateConfig.fileName)` holds one YAML document; this one holds \(stream.documents.count) (separated by `---`). Merge them into one.",
                                       range: second))
            return nil
        }
        return stream.documents.first
    }

    mutating func read() -> GateConfig {
        var config = GateConfig()
        guard let root = document(), ConfigValueKind(root) != .null else { return config }
        guard let pairs = mapping(root, "the configuration file", example: "target: 4.1.0") else { return config }
        for (key, value) in pairs {
            guard ConfigValueKind(value) != .null else { continue }
            switch key.string ?? "" {
            case "target":
                if let s = scalarText(value, "target", example: "target: 4.1.0", allowNumbers: true) { config.target = Located(s, at: value.range) }
            case "rules":
                readRules(value, into: &config)
            case "include":
                config.include = globs(value, "include")
            case "exclude":
                config.exclude = globs(value, "exclude")
            case "var_files":
                config.varFiles = strings(value, "var_files", example: "var_files: [prod.tfvars]")
            case "vars":
                config.vars = variables(value)
            case "fail_on":
                if let s = scalarText(value, "fail_on", example: "fail_on: warning") {
                    if let t = FailThreshold(rawValue: s) { config.failOn = Located(t, at: value.range) }
                    else { badChoice(s, for: "`fail_on`", choices: FailThreshold.allCases.map(\.rawValue), synonyms: failSynonyms, value) }
                }
            case "require_module":
                if case .bool(let b) = ConfigValueKind(value) {
                    config.requireModule = Located(b, at: value.range)
                } else {
                    problem("Expected `true` or `false` for `require_module`", "Found \(ConfigValueKind(value).noun) (\(quote(value))). Write `require_module: true`.", value)
                }
            case "baseline":
                if let s = scalarText(value, "baseline", example: "baseline: .ghr-audit-baseline.json") {
                    config.baseline = Located(s, at: value.range)
                }
            default:
                unknownKey(key, valid: GateConfig.keys, in: nil)
            }
        }
        crossCheck(config)
        return config
    }

    // MARK: Structure

    /// The pairs of a mapping, reporting duplicate and non-scalar keys; nil (with a problem)
    /// when `node` is not a mapping.
    mutating func mapping(_ node: YAMLNode, _ what: String, example: String) -> [(YAMLNode, YAMLNode)]? {
        guard case .mapping(let m) = node.kind else {
            problem("Expected a mapping for \(what)", "Found \(ConfigValueKind(node).noun) (\(quote(node))). Write `key: value` pairs, for example `\(example)`.", node)
            return nil
        }
        var seen: [String: YAMLNode] = [:]
        var pairs: [(YAMLNode, YAMLNode)] = []
        for pair in m {
            let (k, v) = (pair.key, pair.value)
            guard let s = k.scalar else {
                problem("Expected a plain key", "Keys in \(what) are names; found \(ConfigValueKind(k).noun).", k)
                continue
            }
            if let first = seen[s.value] {
                let line = first.range.start.line
                problem("Duplicate key `\(s.value)`", "`\(s.value)` is already set on line \(line), and YAML keeps only one of the two. Merge them into one entry.", k)
                continue
            }
            seen[s.value] = k
            pairs.append((k, v))
        }
        return pairs
    }

    /// The text of a scalar setting; numbers are accepted as text when `allowNumbers`.
    mutating func scalarText(_ node: YAMLNode, _ key: String, example: String, allowNumbers: Bool = false) -> String? {
        let kind = ConfigValueKind(node)
        switch kind {
        case .string: return node.string
        case .number where allowNumbers: return node.string
        default:
            var detail = "Found \(kind.noun) (\(quote(node))), expected a string, for example `\(example)`."
            if case .bool = kind { detail += " Quote the value if you meant the word." }
            problem("Expected a string for `\(key)`", detail, node)
            return nil
        }
    }

    /// A list of strings; a lone string is reported with the list form to write instead.
    mutating func stringNodes(_ node: YAMLNode, _ key: String, example: String) -> [YAMLNode] {
        guard let seq = node.elements else {
            if node.scalar != nil {
                problem("Expected a list for `\(key)`",
                        "Found a single value (\(quote(node))). Write a list, even of one entry: `\(key): [\(node.string ?? "")]`.", node)
            } else {
                problem("Expected a list for `\(key)`", "Found \(ConfigValueKind(node).noun). Write a list of strings, for example `\(example)`.", node)
            }
            return []
        }
        var out: [YAMLNode] = []
        for item in seq {
            guard ConfigValueKind(item) == .string else {
                problem("Expected a string in `\(key)`", "Found \(ConfigValueKind(item).noun) (\(quote(item))). Each entry of `\(key)` is a string; quote it if needed.", item)
                continue
            }
            out.append(item)
        }
        return out
    }

    mutating func strings(_ node: YAMLNode, _ key: String, example: String) -> [Located<String>] {
        stringNodes(node, key, example: example).compactMap { item in
            let s = item.string ?? ""
            guard !s.trimmingCharacters(in: .whitespaces).isEmpty else {
                problem("Empty entry in `\(key)`", "Remove the empty entry or write the path it should name.", item)
                return nil
            }
            return Located(s, at: item.range)
        }
    }

    mutating func globs(_ node: YAMLNode, _ key: String) -> [Located<Glob>] {
        stringNodes(node, key, example: "\(key): [\"examples/\", \"**/*.tfvars\"]").compactMap { item in
            let text = item.string ?? ""
            do throws(Glob.PatternError) {
                return Located(try Glob(text), at: item.range)
            } catch {
                problem("Invalid pattern `\(text)` in `\(key)`", "In this pattern \(error.description). Patterns use `*`, `?`, `**`, `[…]` and `{a,b}`, relative to the scan root.", item)
                return nil
            }
        }
    }

    // MARK: rules

    mutating func readRules(_ node: YAMLNode, into config: inout GateConfig) {
        guard let pairs = mapping(node, "`rules`", example: "disable: [JIT-104]") else { return }
        for (key, value) in pairs {
            guard ConfigValueKind(value) != .null else { continue }
            switch key.string ?? "" {
            case "enable": config.enable = ruleIds(value, "rules.enable")
            case "disable": config.disable = ruleIds(value, "rules.disable")
            case "severity": config.severity = severities(value)
            default: unknownKey(key, valid: GateConfig.ruleKeys, in: "rules")
            }
        }
    }

    mutating func ruleIds(_ node: YAMLNode, _ key: String) -> [Located<String>] {
        var out: [Located<String>] = []
        for item in stringNodes(node, key, example: "\(key.split(separator: ".").last!): [JIT-104]") {
            guard let id = ruleId(item, in: "`\(key)`") else { continue }
            if out.contains(where: { $0.value == id }) {
                problem("`\(item.string ?? "")` is listed twice in `\(key)`", "Remove the second entry.", item, .warning)
                continue
            }
            out.append(Located(id, at: item.range))
        }
        return out
    }

    /// The current id a node names, or nil after reporting why it names none.
    mutating func ruleId(_ node: YAMLNode, in context: String) -> String? {
        let text = node.string ?? ""
        guard RuleId.isWellFormed(text) else {
            let upper = text.uppercased()
            let hint = RuleId.isWellFormed(upper) && known.contains(upper) ? " Did you mean `\(upper)`?" : ""
            problem("`\(text)` is not a rule id", "Rule ids in \(context) are 2 to 5 capital letters, a dash and three digits, like `JIT-101`.\(hint)", node)
            return nil
        }
        guard known.contains(text) else {
            problem("Unknown rule `\(text)` in \(context)",
                    "`\(text)` is not a rule of this version of ghr-audit.\(Wording.didYouMean(known.suggestions(for: text))) Correct the id or remove the entry.", node)
            return nil
        }
        return known.canonical(text)
    }

    mutating func severities(_ node: YAMLNode) -> [String: Located<Severity>] {
        guard let pairs = mapping(node, "`rules.severity`", example: "JIT-102: warning") else { return [:] }
        var out: [String: Located<Severity>] = [:]
        for (key, value) in pairs {
            guard let id = ruleId(key, in: "`rules.severity`") else { continue }
            guard let text = scalarText(value, "rules.severity.\(key.string ?? "")", example: "\(key.string ?? ""): warning") else { continue }
            guard let severity = Severity(rawValue: text) else {
                if ["off", "none", "disabled", "disable", "ignore", "false", "skip"].contains(text.lowercased()) {
                    problem("Unknown severity `\(text)` for `\(key.string ?? "")`",
                            "Severities are `error`, `note` and `warning`. To turn the rule off, list it under `rules.disable` instead.", value)
                } else {
                    badChoice(text, for: "severity of `\(key.string ?? "")`", choices: Severity.allCases.map(\.rawValue), synonyms: severitySynonyms, value)
                }
                continue
            }
            out[id] = Located(severity, at: value.range)
        }
        return out
    }

    // MARK: vars

    mutating func variables(_ node: YAMLNode) -> [String: Located<ConfigValue>] {
        guard let pairs = mapping(node, "`vars`", example: "enable_jit_config: false") else { return [:] }
        var out: [String: Located<ConfigValue>] = [:]
        for (key, value) in pairs {
            let name = key.string ?? ""
            guard name.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_-]*/) != nil else {
                problem("`\(name)` is not a Terraform variable name",
                        "Variable names start with a letter or `_` and contain letters, digits, `_` and `-`. Use the name from the `variable` block.", key)
                continue
            }
            out[name] = Located(configValue(value, depth: 0), at: value.range)
        }
        return out
    }

    mutating func configValue(_ node: YAMLNode, depth: Int) -> ConfigValue {
        guard depth < 64 else { return .null }
        switch ConfigValueKind(node) {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number: return .number(node.string ?? "0")
        case .string: return .string(node.string ?? "")
        case .sequence: return .list((node.elements ?? []).map { configValue($0, depth: depth + 1) })
        case .mapping:
            var map: [String: ConfigValue] = [:]
            for pair in node.pairs ?? [] {
                let (k, v) = (pair.key, pair.value)
                guard let key = k.string else {
                    problem("Expected a plain key", "Keys of a map value are strings; found \(ConfigValueKind(k).noun).", k)
                    continue
                }
                map[key] = configValue(v, depth: depth + 1)
            }
            return .map(map)
        }
    }

    // MARK: Messages

    let failSynonyms = ["warn": "warning", "warnings": "warning", "errors": "error", "info": "note", "notice": "note",
                        "never": "none", "off": "none", "false": "none", "no": "none", "all": "note", "any": "note"]
    let severitySynonyms = ["warn": "warning", "info": "note", "information": "note", "informational": "note", "notice": "note",
                            "err": "error", "high": "error", "critical": "error", "low": "note", "medium": "warning"]

    mutating func badChoice(_ text: String, for what: String, choices: [String], synonyms: [String: String], _ node: YAMLNode) {
        let hint: String
        if let meant = synonyms[text.lowercased()] {
            hint = " Did you mean `\(meant)`?"
        } else {
            hint = Wording.didYouMean(text.lowercased(), among: choices)
        }
        problem("Unknown value `\(text)` for \(what)", "Use \(Wording.quotedList(choices)).\(hint)", node)
    }

    mutating func unknownKey(_ key: YAMLNode, valid: [String], in parent: String?) {
        let name = key.string ?? ""
        let full = parent.map { "\($0).\(name)" } ?? name
        let listing = "Valid keys\(parent.map { " under `\($0)`" } ?? "") are \(Wording.quotedList(valid, conjunction: "and"))."
        var hint = Wording.didYouMean(name, among: valid)
        if hint.isEmpty {
            let lower = name.lowercased().replacingOccurrences(of: "-", with: "_")
            if valid.contains(lower) {
                hint = " Did you mean `\(lower)`?"
            } else if RuleId.isWellFormed(name) || RuleId.isWellFormed(name.uppercased()) {
                let how = "list `\(name)` under `rules.disable` or `rules.enable`, or set `rules.severity.\(name)`."
                hint = parent == nil ? " Rule settings go under `rules`: \(how)" : " To configure one rule, \(how)"
            } else if parent == nil, GateConfig.ruleKeys.contains(lower) {
                hint = " `\(lower)` belongs under `rules`: write `rules: { \(lower): … }`."
            } else if ["ignore", "ignores", "skip", "skip_rules", "skip_checks", "exclude_rules", "disabled"].contains(lower) {
                hint = parent == nil
                    ? " To turn rules off use `rules.disable`; to skip files use `exclude`."
                    : " Did you mean `disable`?"
            } else if parent == nil, let meant = ["variables": "vars", "tfvars": "var_files", "tfvar_files": "var_files", "version": "target",
                                                   "module_version": "target", "target_version": "target", "release": "target",
                                                   "threshold": "fail_on", "severity_threshold": "fail_on", "min_severity": "fail_on",
                                                   "baseline_file": "baseline", "paths": "include", "files": "include"][lower] {
                hint = " Did you mean `\(meant)`?"
            }
        }
        problem("Unknown key `\(full)`", "`\(GateConfig.fileName)` has no setting `\(full)`.\(hint) \(listing)", key)
    }

    mutating func crossCheck(_ config: GateConfig) {
        for d in config.disable {
            guard let e = config.enable.first(where: { $0.value == d.value }) else { continue }
            problems.append(Diagnostic(.error, "`\(d.value)` is both enabled and disabled",
                                       detail: "`\(d.value)` is listed under `rules.enable` (line \(e.range.start.line)) and `rules.disable`; `disable` wins. Remove one of the two entries.",
                                       range: d.range))
        }
    }
}
