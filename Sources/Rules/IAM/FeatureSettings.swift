import AuditCore
import HCL
import IAM
import Terraform

/// Which optional parts of the module a fleet turns on, read from its inputs: the features of the
/// knowledge table (`kms`, `eventbridge`, `pool`...). A feature whose input is not written takes the
/// module's default at the release asked about; a feature whose input cannot be known statically is
/// `unknown`, and the permissions that depend on it are not checked.
struct FeatureSettings {
    /// Features set explicitly to a known value.
    var enabled: [String: Bool] = [:]
    /// Features set to a value the audit cannot know, with the input that sets them.
    var unknown: [String: FleetInput] = [:]

    init(fleet: Fleet) {
        func set(_ feature: String, _ setting: Setting, _ input: FleetInput?) {
            switch setting {
            case .byDefault: break
            case .value(let b): enabled[feature] = b
            case .unknown: if let input { unknown[feature] = input }
            }
        }
        /// `feature` as the input `name` sets it (the input looked up once).
        func set(_ feature: String, from name: String, _ read: (Value?) -> Setting) {
            let written = fleet.input(name)
            set(feature, read(written?.value), written)
        }

        for (feature, name) in [("ami-housekeeper", "enable_ami_housekeeper"), ("binaries-syncer", "enable_runner_binaries_syncer"),
                                ("cloudwatch-agent", "enable_cloudwatch_agent"), ("spot-service-linked-role", "create_service_linked_role_spot"),
                                ("ssm-on-runners", "enable_ssm_on_runners")] {
            set(feature, from: name, Self.bool)
        }
        for (feature, name) in [("eventbridge", "eventbridge"), ("job-retry", "job_retry"), ("termination-watcher", "instance_termination_watcher")] {
            set(feature, from: name) { Self.field("enable", of: $0) }
        }
        set("kms", from: "kms_key_arn") { Self.present($0) }
        // `ami_kms_key_arn`, or from 6.5.0 `ami = { kms_key_arn = ... }`.
        let amiKMSInput = fleet.input("ami_kms_key_arn")
        let amiKMS = Self.present(amiKMSInput?.value)
        if case .byDefault = amiKMS, let ami = fleet.input("ami") {
            set("ami-kms", Self.present(ami.value, field: "kms_key_arn"), ami)
        } else {
            set("ami-kms", amiKMS, amiKMSInput)
        }
        set("pool", from: "pool_config", Self.nonEmptyList)
    }

    enum Setting {
        case byDefault
        case value(Bool)
        case unknown

        /// The value, or `fallback` when unset; nil when unknown.
        func known(default fallback: Bool) -> Bool? {
            switch self {
            case .byDefault: fallback
            case .value(let b): b
            case .unknown: nil
            }
        }
    }

    /// A bool input: unset or null takes the default.
    static func bool(_ v: Value?) -> Setting {
        guard let v, !v.isNull else { return .byDefault }
        if v.isUnknown { return .unknown }
        return v.boolValue.map(Setting.value) ?? .unknown
    }

    /// `{ enable = ... }` objects: an unset object or field takes the default.
    static func field(_ name: String, of v: Value?) -> Setting {
        guard let v, !v.isNull else { return .byDefault }
        if v.isUnknown { return .unknown }
        guard let object = v.objectValue else { return .unknown }
        return bool(object[name])
    }

    /// An optional ARN: on when set to a non-empty string.
    static func present(_ v: Value?, field: String? = nil) -> Setting {
        guard var v, !v.isNull else { return .byDefault }
        if let field {
            if v.isUnknown { return .unknown }
            guard let inner = v.objectValue?[field] else { return .byDefault }
            v = inner
            if v.isNull { return .value(false) }
        }
        if case .unknown(let reason) = v.kind {
            // `aws_kms_key.runners.arn`: a managed resource always has its ARN, so the input is set
            // even though its value is known only after apply.
            let parts = PolicyResolver.referenceParts(reason)
            if parts.count == 3, parts[0].hasPrefix("aws_"), ["arn", "id", "key_id"].contains(parts[2]) { return .value(true) }
            return .unknown
        }
        guard let s = v.stringValue else { return .unknown }
        return .value(!s.isEmpty)
    }

    /// `pool_config`: on when the list has an entry.
    static func nonEmptyList(_ v: Value?) -> Setting {
        guard let v, !v.isNull else { return .byDefault }
        if v.isUnknown { return .unknown }
        guard let list = v.listValue else { return .unknown }
        return .value(!list.isEmpty)
    }

    /// What a role needs at a release for these settings. Needs that depend on a feature whose
    /// setting is unknown are left out: the audit cannot tell whether they exist.
    func requirements(_ table: RequiredPermissions, role: ModuleRole, at version: ModuleVersion) -> [Requirement] {
        table.for(role: role, at: version, features: enabled).filter { r in
            !r.features.contains { term in unknown[term.hasPrefix("!") ? String(term.dropFirst()) : term] != nil }
        }
    }
}
