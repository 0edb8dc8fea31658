import AuditCore
import HCL
import IAM
import Terraform

/// A role of the repository that the runners use instead of the module's runner role
/// (`iam_overrides`, 7.7.0+), with the policies the repository attaches to it.
struct UserRole {
    var address: String
    var block: Block
    /// Every readable policy attached to the role in the repository.
    var documents: [PolicyResolver.Resolved]
    var identity: [PolicyDocument]
    var boundary: PolicyDocument?
    var attachment: Attachment
}

/// Whether the runner role is the user's, and whether the audit can see it.
enum RunnerOverride {
    /// Boxed: a `UserRole` is large, and every fleet's runner role carries an override.
    indirect case visible(UserRole)
    /// The runners use a role whose policies the audit cannot see; the reason says why.
    case hidden(String)
}

extension RoleSubjects {
    /// The role `iam_overrides` makes the runners use: `runner_role_arn` when `override_runner_role`
    /// is on, else the role of the instance profile `instance_profile_name` when
    /// `override_instance_profile` is on. Nil when the module's own runner role is used.
    func runnerOverride(_ fleet: Fleet, call: RunnerModuleCall) -> RunnerOverride? {
        RoleFacts.onBuild.get()?()
        guard let input = fleet.input("iam_overrides"), !input.value.isNull else { return nil }
        guard let o = input.value.objectValue else {
            return input.value.isUnknown ? .hidden("`iam_overrides` is not known statically") : nil
        }
        func flag(_ name: String) -> Bool?? {
            guard let v = o[name], !v.isNull else { return .some(false) }
            return v.isUnknown ? .some(nil) : .some(v.boolValue)
        }
        let scope = resolver.scope(holding: input.valueRange.path, fallback: call.scope)
        switch (flag("override_runner_role"), flag("override_instance_profile")) {
        case (.some(nil), _), (_, .some(nil)):
            return .hidden("whether `iam_overrides` replaces the runner role is not known statically")
        case (.some(true), _):
            guard let arn = o["runner_role_arn"] else { return .hidden("`runner_role_arn` is not set") }
            return userRole(role(arn, in: scope), input: input)
        case (_, .some(true)):
            guard let name = o["instance_profile_name"] else { return .hidden("`instance_profile_name` is not set") }
            return userRole(profileRole(name, in: scope), input: input)
        default:
            return nil
        }
    }

    typealias Found = Result<(address: String, block: Block, scope: ModuleScope), Hidden>
    struct Hidden: Error { var reason: String }

    /// `aws_iam_role.x.arn`/`.name`/`.id`, or a role ARN or name defined in the repository.
    func role(_ value: Value, in scope: ModuleScope) -> Found {
        find("aws_iam_role", value, in: scope, nameFromString: { s in
            s.hasPrefix("arn:") ? (s.split(separator: "/").last.map(String.init) ?? s) : s
        })
    }

    /// The role of an instance profile given by reference or name.
    func profileRole(_ value: Value, in scope: ModuleScope) -> Found {
        switch find("aws_iam_instance_profile", value, in: scope, nameFromString: { $0 }) {
        case .failure(let h): return .failure(h)
        case .success(let profile):
            guard let a = profile.block.body.attribute("role") else {
                return .failure(Hidden(reason: "`\(profile.address)` has no `role`"))
            }
            return role(profile.scope.evaluate(a.expression).0, in: profile.scope)
        }
    }

    func find(_ type: String, _ value: Value, in scope: ModuleScope, nameFromString: (String) -> String) -> Found {
        switch value.kind {
        case .unknown(let reason):
            let parts = PolicyResolver.referenceParts(reason)
            if let (output, child) = resolver.moduleOutput(parts, from: resolver.scope(holding: value.origin?.path, fallback: scope)),
               output != value {
                return find(type, output, in: child, nameFromString: nameFromString)
            }
            guard parts.count >= 3, parts[0] == type else {
                return .failure(Hidden(reason: "`\(reason)` is not a `\(type)` of this repository"))
            }
            let home = resolver.scope(holding: value.origin?.path, fallback: scope)
            let address = "\(type).\(parts[1])"
            guard let block = home.module.resources[address] else { return .failure(Hidden(reason: "there is no `\(address)`")) }
            return .success((address, block, home))
        case .string(let s):
            let name = nameFromString(s)
            for candidate in context.model.scopes {
                for (address, block) in candidate.module.resources.sorted(by: { $0.key < $1.key }) where address.hasPrefix(type + ".") {
                    if let n = block.body.attribute("name"), candidate.evaluate(n.expression).0.stringValue == name {
                        return .success((address, block, candidate))
                    }
                }
            }
            return .failure(Hidden(reason: "no `\(type)` named `\(name)` is defined in this repository"))
        default:
            return .failure(Hidden(reason: "the value is not a `\(type)` reference"))
        }
    }

    func userRole(_ found: Found, input: FleetInput) -> RunnerOverride {
        switch found {
        case .failure(let h): return .hidden(h.reason)
        case .success(let (address, block, scope)):
            let policies = attachedPolicies(address: address, block: block, scope: scope)
            guard !policies.documents.isEmpty || !policies.unreadable.isEmpty else {
                return .hidden("no policy is attached to `\(address)` in this repository")
            }
            var identity = policies.documents.map(\.document)
            if !policies.unreadable.isEmpty {
                identity.append(PolicyDocument(statements: [], unknownParts: policies.unreadable, origin: .synthesized("policies of \(address)")))
            }
            let anchor = block.labels.last?.range ?? block.typeRange
            var attachment = Attachment(kind: .userRole(address: address), roleAnchor: anchor, input: input, notes: [
                RelatedNote("`iam_overrides` makes the runners use `\(address)` instead of the module's runner role; the module attaches none of its policies to it", at: input.range),
                RelatedNote("`\(address)` is defined here", at: anchor),
            ])
            var boundary: PolicyDocument?
            if let pb = block.body.attribute("permissions_boundary") {
                switch resolver.policy(arn: scope.evaluate(pb.expression).0, in: scope) {
                case .resolved(let r):
                    boundary = r.document
                    attachment.boundaryName = r.name
                    attachment.boundaryAnchor = r.anchor
                    attachment.notes += Self.partialNotes(r.document)
                case .unreadable(let why):
                    boundary = Self.unreadable(why, at: pb.expression.range)
                case .none:
                    break
                }
            }
            for d in policies.documents { attachment.notes += Self.partialNotes(d.document) }
            for part in policies.unreadable {
                if let r = part.range { attachment.notes.append(RelatedNote("this policy cannot be read (\(part.reason)): the analysis of the role is partial", at: r)) }
            }
            attachment.notes = Array(attachment.notes.prefix(6))
            return .visible(UserRole(address: address, block: block, documents: policies.documents, identity: identity,
                                     boundary: boundary, attachment: attachment))
        }
    }

    /// The policies the repository attaches to a role: inline policies, `managed_policy_arns`,
    /// `aws_iam_role_policy`, `aws_iam_role_policy_attachment` and `aws_iam_policy_attachment` of
    /// the role's module. Attached policies that cannot be read are returned as unknown parts.
    func attachedPolicies(address: String, block: Block, scope: ModuleScope) -> (documents: [PolicyResolver.Resolved], unreadable: [UnknownPolicyPart]) {
        var documents: [PolicyResolver.Resolved] = []
        var unreadable: [UnknownPolicyPart] = []
        let roleName = block.labels.count > 1 ? block.labels[1].value : address
        let nameValue = block.body.attribute("name").flatMap { scope.evaluate($0.expression).0.stringValue }

        func refersToRole(_ v: Value) -> Bool {
            if case .unknown(let reason) = v.kind {
                let parts = PolicyResolver.referenceParts(reason)
                return parts.count >= 2 && parts[0] == "aws_iam_role" && parts[1] == roleName
            }
            if let s = v.stringValue, let nameValue { return s == nameValue || s.hasSuffix(":role/" + nameValue) || s.hasSuffix("/" + nameValue) }
            return false
        }
        func addARN(_ v: Value, at range: SourceRange) {
            switch resolver.policy(arn: v, in: scope) {
            case .resolved(let r): documents.append(r)
            case .unreadable(let why): unreadable.append(UnknownPolicyPart(why, range: v.origin ?? range))
            case .none: break
            }
        }
        func addInline(_ b: Block, name: String) {
            guard let hcl = resolver.hclContext(for: b, in: scope, depth: 1) else { return }
            for r in PolicyHCL.policies(ofResource: b, context: hcl) {
                guard let d = r.document else { continue }
                documents.append(PolicyResolver.Resolved(document: PolicyResolver.canonical(d), name: name, anchor: d.range))
            }
        }

        addInline(block, name: "an inline policy of `\(address)`")
        if let a = block.body.attribute("managed_policy_arns") {
            let v = scope.evaluate(a.expression).0
            if let list = v.listValue {
                for item in list { addARN(item, at: a.expression.range) }
            } else if !v.isNull {
                unreadable.append(UnknownPolicyPart("`managed_policy_arns` is not known statically", range: a.expression.range))
            }
        }
        for (other, b) in scope.module.resources.sorted(by: { $0.key < $1.key }) where !other.hasPrefix("data.") {
            if let c = b.body.attribute("count"), scope.evaluate(c.expression).0.numberValue == 0 { continue }
            switch b.labels.first?.value {
            case "aws_iam_role_policy":
                guard let r = b.body.attribute("role"), refersToRole(scope.evaluate(r.expression).0) else { continue }
                addInline(b, name: "`\(other)`")
            case "aws_iam_role_policy_attachment":
                guard let r = b.body.attribute("role"), refersToRole(scope.evaluate(r.expression).0),
                      let p = b.body.attribute("policy_arn") else { continue }
                addARN(scope.evaluate(p.expression).0, at: p.expression.range)
            case "aws_iam_policy_attachment":
                guard let r = b.body.attribute("roles"), let roles = scope.evaluate(r.expression).0.listValue,
                      roles.contains(where: refersToRole), let p = b.body.attribute("policy_arn") else { continue }
                addARN(scope.evaluate(p.expression).0, at: p.expression.range)
            default:
                continue
            }
        }
        return (documents, unreadable)
    }
}
