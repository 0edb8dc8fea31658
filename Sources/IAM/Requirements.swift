import AuditCore
import Foundation
import Knowledge

/// A role the module creates (or, from 7.7.0, lets the user bring).
public struct ModuleRole: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ id: String) { self.rawValue = id }

    public static let runnerInstance = ModuleRole("runner-instance")
    public static let scaleUp = ModuleRole("scale-up")
    public static let scaleDown = ModuleRole("scale-down")
    public static let pool = ModuleRole("pool")
    public static let webhook = ModuleRole("webhook")
    public static let dispatcher = ModuleRole("dispatcher")
    public static let ssmHousekeeper = ModuleRole("ssm-housekeeper")
    public static let jobRetry = ModuleRole("job-retry")
    public static let terminationWatcher = ModuleRole("termination-watcher")
    public static let amiHousekeeper = ModuleRole("ami-housekeeper")
    public static let binariesSyncer = ModuleRole("binaries-syncer")

    public static func < (a: ModuleRole, b: ModuleRole) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// Whether the module breaks without a permission or keeps working in a degraded way.
public enum Need: String, Sendable, Hashable, Codable, CaseIterable {
    /// The role's job fails (runners never start, jobs are never picked up...).
    case required
    /// The job still gets done, something around it does not (logs, clean-up, metrics, a cache).
    case degraded
}

/// A condition the module attaches to its own grant (so its requests satisfy it).
public struct RequirementCondition: Sendable, Hashable, Codable {
    public var op: String
    public var key: String
    public var values: [String]

    public init(op: String, key: String, values: [String]) {
        self.op = op
        self.key = key
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case op = "operator", key, values }

    /// As a policy condition (values read as template text: `${x}` unknown, `$${v}` a policy variable).
    public var policyCondition: PolicyCondition {
        PolicyCondition(op: ConditionOperator(op), key: key, values: values.map { PolicyPattern($0, syntax: .terraformTemplate) })
    }
}

/// One permission a module role needs at a release.
public struct Requirement: Sendable, Hashable {
    public var role: ModuleRole
    /// `service:Action`, possibly with wildcards (`kms:ReEncrypt*`).
    public var action: String
    /// The resource as a pattern in template syntax: `*`, or an ARN whose deployment-specific
    /// parts are placeholders (`arn:${partition}:ssm:${region}:${account}:parameter${ssm_config_path}/*`).
    public var resource: String
    public var need: Need
    /// The first release of the run of releases, up to the one asked about, that needs it.
    public var introduced: ModuleVersion
    /// Module features that must be on for the need to exist (`kms`, `eventbridge`...); `!x`
    /// means feature `x` must be off (`!eventbridge`: the direct webhook mode).
    public var features: [String]
    /// Conditions the module puts on its own grant.
    public var conditions: [RequirementCondition]
    /// What breaks or degrades without it.
    public var why: String?
    /// `TAG:path` of the policy the need was read from.
    public var citation: String

    public init(role: ModuleRole, action: String, resource: String, need: Need, introduced: ModuleVersion,
                features: [String] = [], conditions: [RequirementCondition] = [], why: String? = nil, citation: String) {
        self.role = role
        self.action = action
        self.resource = resource
        self.need = need
        self.introduced = introduced
        self.features = features
        self.conditions = conditions
        self.why = why
        self.citation = citation
    }

    public var actionPattern: PolicyPattern { PolicyPattern(action) }
    public var resourcePattern: PolicyPattern { PolicyPattern(resource, syntax: .terraformTemplate) }

    /// The request the role makes, with what its own conditions say about the request context.
    public func request(bindings: [String: String] = [:]) -> AccessRequest {
        var values: [String: [String]] = [:]
        // Exact-value conditions say what the request carries (`ForAllValues:StringEquals` on
        // `aws:TagKeys`: the module sends exactly those keys).
        for c in conditions where ["StringEquals", "Bool", "ArnEquals", "ForAllValues:StringEquals"].contains(c.op) {
            let literal = c.values.map { PolicyPattern($0, syntax: .terraformTemplate).binding(bindings) }
            if literal.allSatisfy({ $0.literalValue != nil }) { values[c.key] = literal.compactMap(\.literalValue) }
        }
        let satisfied = conditions.map { c -> PolicyCondition in
            var p = c.policyCondition
            p.values = p.values.map { $0.binding(bindings) }
            return p
        }
        let context = RequestContext(values: values, satisfied: satisfied)
        return AccessRequest(action: actionPattern, resource: resourcePattern.binding(bindings), context: context)
    }
}

/// An optional part of the module whose permissions exist only when it is on.
public struct ModuleFeature: Sendable, Hashable, Codable {
    public struct Default: Sendable, Hashable, Codable {
        public var from: String
        public var value: Bool

        package init(from: String, value: Bool) {
            self.from = from
            self.value = value
        }
    }

    public var id: String
    public var description: String
    /// The module input that turns it on (`kms_key_arn`, `eventbridge.enable`).
    public var input: String
    /// The default, per release it changed at (sorted by `from`).
    public var defaults: [Default]

    package init(id: String, description: String, input: String, defaults: [Default]) {
        self.id = id
        self.description = description
        self.input = input
        self.defaults = defaults
    }

    /// The default at a release.
    public func defaultValue(at version: ModuleVersion) -> Bool {
        defaults.last { ModuleVersion($0.from).map { $0 <= version } ?? false }?.value ?? false
    }
}

/// Problems loading the knowledge table (it ships with the tool, so these are bugs, not user errors).
public struct RequiredPermissionsError: Error, CustomStringConvertible {
    public var description: String
}

/// The knowledge table `rules/knowledge/iam-requirements.yaml`: what each module role needs at
/// each release, derived from the module's policy templates.
public struct RequiredPermissions: Sendable {
    public let firstRelease: ModuleVersion
    public let lastRelease: ModuleVersion
    public let placeholders: [String: String]
    public let features: [ModuleFeature]
    private let table: [ModuleRole: [Range]]
    private let descriptions: [ModuleRole: String]

    struct Range: Sendable {
        var from: ModuleVersion
        var through: ModuleVersion
        var requirements: [Requirement]
    }

    public init(yaml: String) throws {
        let document: NodeReader
        do { document = try NodeReader(yaml: yaml) } catch { throw RequiredPermissionsError(description: "iam-requirements.yaml does not decode: \(error)") }
        try self.init(document: document)
    }

    /// The table from its composed (or unpacked) document.
    package init(document: NodeReader) throws {
        let file: KnowledgeFile
        do {
            file = try KnowledgeFile(document)
        } catch {
            throw RequiredPermissionsError(description: "iam-requirements.yaml does not decode: \(error)")
        }
        guard file.schema == 1 else { throw RequiredPermissionsError(description: "unsupported schema \(file.schema)") }
        func version(_ s: String, _ what: String) throws -> ModuleVersion {
            guard let v = ModuleVersion(s) else { throw RequiredPermissionsError(description: "\(what): `\(s)` is not a version") }
            return v
        }
        firstRelease = try version(file.releases.first, "releases.first")
        lastRelease = try version(file.releases.last, "releases.last")
        placeholders = file.placeholders
        features = file.features
        let featureIds = Set(file.features.map(\.id))
        var table: [ModuleRole: [Range]] = [:]
        var descriptions: [ModuleRole: String] = [:]
        for role in file.roles {
            descriptions[role.id] = role.description
            var ranges: [Range] = []
            for r in role.ranges {
                let from = try version(r.from, "\(role.id) range"), through = try version(r.through, "\(role.id) range")
                let reqs = try r.permissions.map { p -> Requirement in
                    for f in p.when ?? [] where !featureIds.contains(f.hasPrefix("!") ? String(f.dropFirst()) : f) {
                        throw RequiredPermissionsError(description: "\(role.id): unknown feature `\(f)`")
                    }
                    return Requirement(role: role.id, action: p.action, resource: p.resource, need: p.need,
                                       introduced: try version(p.since, "\(role.id) \(p.action)"), features: p.when ?? [],
                                       conditions: p.conditions ?? [], why: p.why, citation: p.cite)
                }
                ranges.append(Range(from: from, through: through, requirements: reqs))
            }
            table[role.id] = ranges.sorted { $0.from < $1.from }
        }
        self.table = table
        self.descriptions = descriptions
    }

    public var roles: [ModuleRole] { table.keys.sorted() }

    public func description(of role: ModuleRole) -> String? { descriptions[role] }

    public func feature(_ id: String) -> ModuleFeature? { features.first { $0.id == id } }

    /// Everything `role` needs at `version`, whatever the features. Releases after the last one
    /// the table knows get the last known set (check `lastRelease` to warn); releases before the
    /// first get nothing.
    public func `for`(role: ModuleRole, at version: ModuleVersion) -> [Requirement] {
        guard let ranges = table[role], let range = ranges.last(where: { $0.from <= version }) else { return [] }
        return range.requirements
    }

    /// What `role` needs at `version` for a deployment with these features on or off; features
    /// not mentioned take their default at that release.
    public func `for`(role: ModuleRole, at version: ModuleVersion, features enabled: [String: Bool]) -> [Requirement] {
        self.for(role: role, at: version).filter { r in
            r.features.allSatisfy { isEnabled($0, at: version, given: enabled) }
        }
    }

    /// What `role` needs at `target` that it did not need at `current`, for a deployment with
    /// these features: the permissions an upgrade adds (new in the module, or needed because a
    /// default changed, as EventBridge in 6.0.0).
    public func newlyNeeded(role: ModuleRole, from current: ModuleVersion, to target: ModuleVersion,
                            features enabled: [String: Bool] = [:]) -> [Requirement] {
        struct Key: Hashable { var action: String, resource: String, conditions: [RequirementCondition] }
        let before = Set(self.for(role: role, at: current, features: enabled).map {
            Key(action: $0.action.lowercased(), resource: $0.resource, conditions: $0.conditions)
        })
        return self.for(role: role, at: target, features: enabled).filter {
            !before.contains(Key(action: $0.action.lowercased(), resource: $0.resource, conditions: $0.conditions))
        }
    }

    /// Whether a feature term (`kms`, or `!eventbridge` for "off") holds at a release, given the
    /// deployment's settings; features not mentioned take their default at that release.
    public func isEnabled(_ term: String, at version: ModuleVersion, given enabled: [String: Bool]) -> Bool {
        if term.hasPrefix("!") { return !isEnabled(String(term.dropFirst()), at: version, given: enabled) }
        if let v = enabled[term] { return v }
        return feature(term)?.defaultValue(at: version) ?? false
    }

    // MARK: The file

    // Read from the composed YAML tree field by field. Every run reads this file before its IAM
    // rules can start; through `YAMLDecoder` (Codable over the same tree) it took 25 ms of CPU,
    // as much as reading every other knowledge file. A missing or mistyped field is an error
    // naming it and its line, as the decoder's were.
    struct KnowledgeFile {
        struct Releases { var first: String; var last: String }
        struct Role {
            var id: ModuleRole
            var description: String
            var ranges: [RangeEntry]
        }
        struct RangeEntry {
            var from: String
            var through: String
            var permissions: [Permission]
        }
        struct Permission {
            var action: String
            var resource: String
            var need: Need
            var since: String
            var when: [String]?
            var conditions: [RequirementCondition]?
            var why: String?
            var cite: String
        }

        var schema: Int
        var releases: Releases
        var placeholders: [String: String]
        var features: [ModuleFeature]
        var roles: [Role]

        init(_ node: NodeReader) throws {
            let r = try node.fields()
            schema = try r.required("schema").int()
            let releases = try r.required("releases").fields()
            self.releases = Releases(first: try releases.required("first").string(), last: try releases.required("last").string())
            placeholders = Dictionary(try r.required("placeholders").entries().map { ($0.0, try $0.1.string()) }, uniquingKeysWith: { a, _ in a })
            features = try r.required("features").list().map { node in
                let f = try node.fields()
                return ModuleFeature(id: try f.required("id").string(), description: try f.required("description").string(), input: try f.required("input").string(),
                                     defaults: try f.required("defaults").list().map { node in
                                         let d = try node.fields()
                                         return ModuleFeature.Default(from: try d.required("from").string(), value: try d.required("value").bool())
                                     })
            }
            roles = try r.required("roles").list().map { node in
                let role = try node.fields()
                return Role(id: ModuleRole(try role.required("id").string()), description: try role.required("description").string(),
                            ranges: try role.required("ranges").list().map { node in
                                let range = try node.fields()
                                return RangeEntry(from: try range.required("from").string(), through: try range.required("through").string(),
                                                  permissions: try range.required("permissions").list().map(Permission.init))
                            })
            }
        }
    }
}

extension RequiredPermissions.KnowledgeFile.Permission {
    init(_ node: NodeReader) throws {
        let p = try node.fields()
        action = try p.required("action").string()
        resource = try p.required("resource").string()
        let needText = try p.required("need").string()
        guard let need = Need(rawValue: needText) else { throw try p.required("need").fail("`need` is `\(needText)`: expected required or degraded") }
        self.need = need
        since = try p.required("since").string()
        when = try p.optional("when").flatMap { $0.isNull ? nil : try $0.list().map { try $0.string() } }
        conditions = try p.optional("conditions").flatMap { list in
            list.isNull ? nil : try list.list().map { node in
                let c = try node.fields()
                return RequirementCondition(op: try c.required("operator").string(), key: try c.required("key").string(),
                                            values: try c.required("values").list().map { try $0.string() })
            }
        }
        why = try p.optional("why")?.optionalString()
        cite = try p.required("cite").string()
    }
}
