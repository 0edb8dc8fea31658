import AuditCore
import HCL
import IAM
import Knowledge
import Terraform

/// One role of one fleet at the target release, with everything the gap analysis needs: what the
/// module needs it to do, the policies that grant it, the boundary that limits it, and where
/// those are attached so findings can say so.
struct RoleSubject {
    var role: ModuleRole
    var call: RunnerModuleCall
    var fleet: Fleet
    var target: ModuleVersion
    var current: ModuleVersion?
    var features: FeatureSettings
    /// Values of the knowledge table's placeholders the audit knows for this fleet.
    var bindings: [String: String]
    /// What the role needs at the target, for the fleet's features.
    var required: [Requirement]
    /// Keys (`RoleSubject.key`) of the needs the current release does not have.
    var newlyNeeded: Set<String>
    var identity: [PolicyDocument]
    var boundary: PolicyDocument?
    /// How the policies that may fall short reach the role.
    var attachment: Attachment

    /// A requirement's identity across releases and fleets.
    static func key(_ r: Requirement) -> String { r.action.lowercased() + " " + r.resource }
}

/// How policies are attached to a role: the permission boundary the module puts on its own
/// roles, or a role the user brings in place of the module's (`iam_overrides`, 7.7.0+).
struct Attachment {
    enum Kind {
        /// `role_permissions_boundary` on a role the module creates (with its own policies).
        case moduleRole
        /// A role of the repository used instead of the module's runner role.
        case userRole(address: String)
    }

    var kind: Kind
    /// The boundary's name for messages (`aws_iam_policy.b`), when it could be read.
    var boundaryName: String?
    /// Where the boundary's document is written, to point at when it falls short as a whole.
    var boundaryAnchor: SourceRange?
    /// Where the role's own policies are defined (user roles: the role block).
    var roleAnchor: SourceRange?
    /// The module input that brings the policies in (`role_permissions_boundary`, `iam_overrides`).
    var input: FleetInput
    /// Notes that explain the attachment, and what could not be read.
    var notes: [RelatedNote]

    /// The phrase naming a layer for a role: "the permission boundary `aws_iam_policy.b`".
    func describe(_ layer: PolicyLayer) -> String {
        switch (layer, kind) {
        case (.permissionBoundary, _): return "the permission boundary" + (boundaryName.map { " \($0)" } ?? "")
        case (.identity, .userRole(let address)): return "the policies attached to `\(address)`"
        case (.identity, .moduleRole): return "the module's own policies"
        }
    }

    /// How to say that a layer does not allow something: `which` ends a finding's message ("which
    /// the permission boundary `b` does not allow"), `subject` starts the detail ("no statement of
    /// the permission boundary `b`", "no policy attached to `aws_iam_role.r`").
    func shortfall(_ layer: PolicyLayer) -> (which: String, subject: String) {
        switch (layer, kind) {
        case (.identity, .userRole(let address)):
            return ("which no policy attached to `\(address)` allows", "no policy attached to `\(address)`")
        default:
            let name = describe(layer)
            return ("which \(name) does not allow", "no statement of \(name)")
        }
    }
}

/// Builds the role subjects of the repository's module calls.
struct RoleSubjects {
    let context: RuleContext
    let table: RequiredPermissions
    let resolver: PolicyResolver

    init(context: RuleContext, table: RequiredPermissions) {
        self.context = context
        self.table = table
        self.resolver = PolicyResolver(context: context)
    }

    static let overridesRelease = ModuleVersion(7, 7, 0)

    /// The roles the runner module creates for each fleet (multi-runner: once per configuration);
    /// the others exist once per deployment.
    static let perFleetRoles: Set<ModuleRole> = [.runnerInstance, .scaleUp, .scaleDown, .pool, .ssmHousekeeper, .jobRetry]

    /// The roles a module call creates, by kind. Multi-runner and the root module create every
    /// role; the submodules theirs.
    func roles(of kind: RunnerModuleKind) -> [ModuleRole] {
        switch kind {
        case .root, .multiRunner: table.roles
        case .runners: Self.perFleetRoles.sorted()
        case .webhook: [.webhook, .dispatcher]
        case .runnerBinariesSyncer: [.binariesSyncer]
        case .amiHousekeeper: [.amiHousekeeper]
        default: []
        }
    }

    /// Features a submodule turns on by being called at all.
    static func impliedFeatures(_ kind: RunnerModuleKind) -> [String: Bool] {
        switch kind {
        case .runnerBinariesSyncer: ["binaries-syncer": true]
        case .amiHousekeeper: ["ami-housekeeper": true]
        default: [:]
        }
    }

    /// The fleets of a call; a submodule without fleets (the webhook, the syncer) is one
    /// configuration made of its own inputs.
    func fleets(of call: RunnerModuleCall) -> [Fleet] {
        if call.kind.hasFleets { return call.fleets.filter { !$0.isPlaceholder } }
        var inputs: [String: FleetInput] = [:]
        for a in call.call.inputs {
            inputs[a.name] = FleetInput(name: a.name, value: call.scope.evaluate(a.expression).0, range: a.expression.range, nameRange: a.nameRange)
        }
        let block = call.call.block
        return [Fleet(name: call.address, configKey: nil, inputs: inputs, moduleInputs: inputs,
                      container: .moduleBlock(block, file: call.call.file), anchor: block.labels.first?.range ?? block.typeRange)]
    }

    /// Every role of every fleet whose policies the repository shows falling short or not: roles
    /// under a permission boundary and roles the user brings. Fleets without either are left out
    /// (the module's own policies are what the module needs).
    /// `knownOverrides`: the runner roles already worked out for fleets of the model (`RoleFacts`),
    /// by position; the others are worked out here.
    func all(knownOverrides: [FleetIndex: RunnerOverride?] = [:]) -> [RoleSubject] {
        RoleFacts.onBuild.get()?()
        var out: [RoleSubject] = []
        var shared: [NeedsKey: Needs] = [:]
        for (c, call) in context.model.calls.enumerated() where !roles(of: call.kind).isEmpty {
            guard let target = context.targetVersion(for: call), target >= table.firstRelease else { continue }
            let current = context.currentVersion(for: call)
            for (f, fleet) in fleets(of: call).enumerated() {
                let index = FleetIndex(call: c, fleet: f)
                let runnerOverride: RunnerOverride?
                if target < Self.overridesRelease {
                    runnerOverride = nil
                } else if call.kind.hasFleets, let known = knownOverrides[index] {
                    runnerOverride = known
                } else {
                    runnerOverride = self.runnerOverride(fleet, call: call)
                }
                out += subjects(call: call, fleet: fleet, target: target, current: current, runnerOverride: runnerOverride, shared: &shared)
            }
        }
        return out
    }

    /// What a role needs, for the fleets whose role, releases and features are the same.
    struct NeedsKey: Hashable {
        var role: ModuleRole
        var target: ModuleVersion
        var current: ModuleVersion?
        var enabled: [String: Bool]
        var unknown: Set<String>
    }

    /// A role's requirements at the target, those the current release lacks, and the module's own
    /// policy granting them: worked out once for each `NeedsKey` and shared (not copied) by the
    /// subjects of every fleet with that key, so a monorepo of many similar fleets holds each once.
    struct Needs {
        var required: [Requirement]
        var newlyNeeded: Set<String>
        var modulePolicy: PolicyDocument
    }

    /// A fleet's position: its call's index in the model's calls, its index among `fleets(of:)`.
    struct FleetIndex: Hashable {
        var call: Int
        var fleet: Int
    }

    func subjects(call: RunnerModuleCall, fleet: Fleet, target: ModuleVersion, current: ModuleVersion?,
                  runnerOverride: RunnerOverride?, shared: inout [NeedsKey: Needs]) -> [RoleSubject] {
        var features = FeatureSettings(fleet: fleet)
        features.enabled.merge(Self.impliedFeatures(call.kind)) { _, implied in implied }
        let boundaryInput = fleet.input("role_permissions_boundary").flatMap { $0.value.isNull ? nil : $0 }
        guard boundaryInput != nil || runnerOverride != nil else { return [] }

        var moduleAttachment: Attachment?
        var moduleBoundary: PolicyDocument?
        if let input = boundaryInput, let (doc, attachment) = boundary(input, call: call) {
            moduleBoundary = doc
            moduleAttachment = attachment
        }

        let bindings = self.bindings(fleet, call: call, target: target, runnerRoleOverridden: runnerOverride != nil)
        var out: [RoleSubject] = []
        for role in roles(of: call.kind) {
            let key = NeedsKey(role: role, target: target, current: current, enabled: features.enabled, unknown: Set(features.unknown.keys))
            let needs: Needs
            if let known = shared[key] {
                needs = known
            } else {
                let required = features.requirements(table, role: role, at: target)
                var newly = Set<String>()
                if !required.isEmpty, let current, current < target {
                    newly = Set(table.newlyNeeded(role: role, from: current, to: target, features: features.enabled).map(RoleSubject.key))
                }
                needs = Needs(required: required, newlyNeeded: newly, modulePolicy: .granting(required))
                shared[key] = needs
            }
            let required = needs.required, newly = needs.newlyNeeded
            guard !required.isEmpty else { continue }
            if role == .runnerInstance, let runnerOverride {
                guard case .visible(let user) = runnerOverride else { continue }
                out.append(RoleSubject(role: role, call: call, fleet: fleet, target: target, current: current, features: features,
                                       bindings: bindings, required: required, newlyNeeded: newly,
                                       identity: user.identity, boundary: user.boundary, attachment: user.attachment))
                continue
            }
            guard let attachment = moduleAttachment else { continue }
            out.append(RoleSubject(role: role, call: call, fleet: fleet, target: target, current: current, features: features,
                                   bindings: bindings, required: required, newlyNeeded: newly,
                                   identity: [needs.modulePolicy], boundary: moduleBoundary, attachment: attachment))
        }
        return out
    }

    /// The placeholders of the knowledge table whose value the fleet's inputs give, built as the
    /// module builds them: the partition (`aws_partition`, which the module writes into its own
    /// ARNs), the region, the prefix, the KMS keys, the SSM paths, the event bus and build queue
    /// names and the runner role's path (and name before 6.7.7). Inputs left unset take the
    /// module's default at the target; anything not known statically stays open.
    func bindings(_ fleet: Fleet, call: RunnerModuleCall, target: ModuleVersion, runnerRoleOverridden: Bool = false) -> [String: String] {
        var out: [String: String] = [:]
        for (placeholder, input) in [("partition", "aws_partition"), ("region", "aws_region"), ("prefix", "prefix")] {
            if let i = fleet.input(input), !i.value.isNull {
                if let s = i.value.stringValue { out[placeholder] = s }
            } else if let scope = call.kind.inputScope, let life = context.knowledge.lifespan(scope: scope, name: input),
                      let text = life.comparedText(at: target) ?? life.defaultValue,
                      text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\""), !text.dropFirst().dropLast().contains("\"") {
                out[placeholder] = String(text.dropFirst().dropLast())
            }
        }
        for (placeholder, input) in [("kms_key_arn", "kms_key_arn"), ("ami_kms_key_arn", "ami_kms_key_arn")] {
            if let s = fleet.input(input)?.value.stringValue, !s.isEmpty { out[placeholder] = s }
        }
        out.merge(ssmPaths(fleet, call: call, prefix: out["prefix"])) { a, _ in a }
        if let prefix = out["prefix"], call.kind == .root || call.kind == .multiRunner {
            // The webhook's event bus (5.18.0+, `modules/webhook/eventbridge/main.tf`).
            out["event_bus_name"] = "\(prefix)-runners"
            // The build queue (`main.tf`, multi-runner `queues.tf`); before 6.0.0 it may be FIFO.
            let name = call.kind == .root ? "\(prefix)-queued-builds" : fleet.configKey.map { "\(prefix)-\($0)-queued-builds" }
            if let name {
                if target >= ModuleVersion(6, 0, 0) {
                    out["build_queue_name"] = name
                } else if call.kind == .root, let fifo = FeatureSettings.bool(fleet.input("enable_fifo_build_queue")?.value).known(default: false) {
                    out["build_queue_name"] = name + (fifo ? ".fifo" : "")
                }
            }
        }
        // The module's runner role (`modules/runners/main.tf` `role_path`, `policies-runner.tf`
        // `name`; multi-runner prefixes each fleet with its key). From 6.7.7 the name ends in a
        // hash and is left open. A role brought with `iam_overrides` has an ARN of its own.
        if !runnerRoleOverridden, let prefix = out["prefix"] {
            let runnerPrefix = call.kind == .multiRunner ? fleet.configKey.map { "\(prefix)-\($0)" } : prefix
            if let runnerPrefix {
                if let i = fleet.input("role_path"), !i.value.isNull {
                    if let path = i.value.stringValue { out["runner_role_path"] = path }
                } else {
                    out["runner_role_path"] = "/\(runnerPrefix)/"
                }
                if target < ModuleVersion(6, 7, 7) { out["runner_role_name"] = "\(runnerPrefix)-runner-role" }
            }
        }
        return out
    }

    /// The SSM paths the module builds from `ssm_paths` and the prefix (the same formula from 3.0.0
    /// to 7.11.0, `main.tf` `ssm_root_path`): `/<root>/<prefix>` (without the prefix when
    /// `use_prefix` is false; multi-runner always uses it) then `app`, `webhook`, and
    /// `runners/{config,tokens}` (multi-runner: below `/<config key>`). Nothing when a part is not
    /// known, nor the app path when the GitHub App parameters are existing SSM parameters.
    func ssmPaths(_ fleet: Fleet, call: RunnerModuleCall, prefix: String?) -> [String: String] {
        var out: [String: String] = [:]
        let written = fleet.moduleInputs["ssm_paths"]?.value
        if let written, !written.isNull, written.objectValue == nil { return [:] }
        func part(_ name: String, _ fallback: String) -> String? {
            guard let v = written?[name], !v.isNull else { return fallback }
            return v.stringValue
        }
        switch call.kind {
        case .root, .multiRunner:
            guard let prefix, let root = part("root", "github-action-runners"), let app = part("app", "app"),
                  let runners = part("runners", "runners"), let webhook = part("webhook", "webhook") else { return [:] }
            var usePrefix = true
            if call.kind == .root, let u = written?["use_prefix"], !u.isNull {
                guard let b = u.boolValue else { return [:] }
                usePrefix = b
            }
            let base = usePrefix ? "/\(root)/\(prefix)" : "/\(root)"
            let app_ = fleet.moduleInputs["github_app"]?.value
            let existing = app_?.objectValue?.contains { $0.key.hasSuffix("_ssm") && !$0.value.isNull } ?? false
            if !existing && !(app_?.isUnknown ?? false) { out["ssm_app_path"] = "\(base)/\(app)" }
            out["ssm_webhook_path"] = "\(base)/\(webhook)"
            let runnerBase = call.kind == .root ? base : fleet.configKey.map { "\(base)/\($0)" }
            if let runnerBase {
                out["ssm_config_path"] = "\(runnerBase)/\(runners)/config"
                out["ssm_tokens_path"] = "\(runnerBase)/\(runners)/tokens"
            }
        case .runners:
            guard let root = written?["root"]?.stringValue else { return [:] }
            if let c = written?["config"]?.stringValue { out["ssm_config_path"] = "\(root)/\(c)" }
            if let t = written?["tokens"]?.stringValue { out["ssm_tokens_path"] = "\(root)/\(t)" }
        default:
            break
        }
        return out
    }

    // MARK: The module's roles under a boundary

    /// The boundary `role_permissions_boundary` puts on the module's roles. A boundary that cannot be
    /// read becomes a document of one unknown part: nothing it lacks is then reported. Nil when
    /// the input attaches nothing (an empty ARN).
    func boundary(_ input: FleetInput, call: RunnerModuleCall) -> (PolicyDocument, Attachment)? {
        var attachment = Attachment(kind: .moduleRole, input: input, notes: [])
        switch resolver.policy(arn: input.value, in: call.scope) {
        case .resolved(let r):
            attachment.boundaryName = r.name
            attachment.boundaryAnchor = r.anchor
            attachment.notes.append(RelatedNote("`role_permissions_boundary` puts \(r.name) on every role the module creates", at: input.range))
            attachment.notes += Self.partialNotes(r.document)
            return (r.document, attachment)
        case .unreadable(let why):
            return (Self.unreadable(why, at: input.range), attachment)
        case .none:
            return nil
        }
    }

    /// A document standing for policies that exist but cannot be read.
    static func unreadable(_ why: String, at range: SourceRange?) -> PolicyDocument {
        PolicyDocument(statements: [], unknownParts: [UnknownPolicyPart(why, range: range)], origin: .synthesized(why))
    }

    /// Related notes saying which parts of a document could not be read, so a finding about it is
    /// known to rest on a partial analysis.
    static func partialNotes(_ doc: PolicyDocument) -> [RelatedNote] {
        var notes: [RelatedNote] = []
        for part in doc.unknownParts {
            guard let r = part.range else { continue }
            notes.append(RelatedNote("not read statically (\(part.reason)): the analysis of this policy is partial", at: r))
        }
        for s in doc.statements {
            let patterns = (s.actions?.patterns ?? []) + (s.resources?.patterns ?? []) + s.conditions.flatMap(\.values)
            // The deployment's account, partition and region, and policy variables, are not gaps.
            let open = Set(patterns.flatMap(\.dependencies)).filter { !["account", "partition", "region"].contains($0) && !$0.contains(":") }
            guard !open.isEmpty, let r = s.location else { continue }
            notes.append(RelatedNote("this statement depends on \(Wording.quotedList(open.sorted(), conjunction: "and")), not known statically: the analysis of this policy is partial", at: r))
        }
        return Array(notes.prefix(4))
    }
}
