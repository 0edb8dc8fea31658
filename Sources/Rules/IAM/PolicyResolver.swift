import AuditCore
import Documents
import HCL
import IAM
import Terraform

/// Finds the policy documents that the repository's Terraform stands for: a boundary given as
/// `aws_iam_policy.x.arn`, a policy read with `templatefile("policy.json", {...})` or `file()`, a
/// `data "aws_iam_policy_document"`, an AWS-managed policy by ARN. What cannot be found is said to
/// be unreadable, with the reason; nothing is guessed.
struct PolicyResolver {
    let context: RuleContext
    /// How many references deep a policy is followed (documents built from documents).
    static let maxDepth = 6

    /// A policy document and how to name and point at it.
    struct Resolved {
        var document: PolicyDocument
        /// `aws_iam_policy.boundary`, or the ARN of an AWS-managed policy.
        var name: String
        /// Where the document as a whole is written (its JSON object, its `data` block), when it is
        /// in the repository.
        var anchor: SourceRange?
    }

    enum Outcome {
        case resolved(Resolved)
        /// Known to be attached but not readable here; the reason says why.
        case unreadable(String)
        /// Nothing is attached (`null`).
        case none

        var resolved: Resolved? { if case .resolved(let r) = self { r } else { nil } }
    }

    // MARK: Scopes

    /// The evaluated module that holds `path`, else `fallback`.
    func scope(holding path: String?, fallback: ModuleScope) -> ModuleScope {
        guard let path else { return fallback }
        if fallback.module.files.contains(where: { $0.source.path == path }) { return fallback }
        return context.model.scopes.first { s in s.module.files.contains { $0.source.path == path } } ?? fallback
    }

    /// The value of `module.<name>.<output>` for a module of the repository called from `scope`,
    /// and the scope it is evaluated in. When the module is called several times with different
    /// inputs (wrapper instances), the instance whose inputs match the call's is taken.
    func moduleOutput(_ parts: [String], from scope: ModuleScope) -> (Value, ModuleScope)? {
        guard parts.count >= 3, parts[0] == "module",
              let call = scope.module.moduleCalls.first(where: { $0.name == parts[1] }),
              let source = call.sourceExpression.flatMap({ scope.evaluate($0).0.stringValue }),
              let local = ModuleSource(source).localPath, let dir = Paths.join(scope.module.directory, local) else { return nil }
        var candidates = context.model.scopes.filter { $0.module.directory == dir }
        if candidates.count > 1 {
            let given = call.inputs.map { ($0.name, scope.evaluate($0.expression).0) }
            candidates = candidates.filter { child in given.allSatisfy { child.variables[$0.0]?.value == $0.1 } }
        }
        guard let child = candidates.first, let output = child.module.outputs[parts[2]],
              let valueExpression = output.body.attribute("value")?.expression else { return nil }
        var value = child.evaluate(valueExpression).0
        // `module.x.out.attr`: an attribute of an object output.
        for key in parts.dropFirst(3) {
            guard let inner = value[key] else { return nil }
            value = inner
        }
        return (value, child)
    }

    // MARK: Policies by ARN

    /// The policy a policy-ARN value stands for: `role_permissions_boundary`, a `policy_arn`, an
    /// entry of `managed_policy_arns`.
    func policy(arn value: Value, in scope: ModuleScope, depth: Int = 0) -> Outcome {
        switch value.kind {
        case .null:
            return .none
        case .string(let arn):
            if arn.isEmpty { return .none }
            if let name = AWSManagedPolicies.name(ofARN: arn) {
                guard let doc = AWSManagedPolicies.document(arn: arn) else {
                    return .unreadable("the AWS-managed policy `\(name)` is not one ghr-audit knows")
                }
                return .resolved(Resolved(document: doc, name: "AWS-managed policy `\(name)`", anchor: nil))
            }
            return policy(namedInARN: arn, depth: depth)
        case .unknown(let reason):
            let parts = Self.referenceParts(reason)
            if let (output, child) = moduleOutput(parts, from: self.scope(holding: value.origin?.path, fallback: scope)) {
                guard depth < Self.maxDepth else { return .unreadable("`\(reason)` is passed through too many modules") }
                return policy(arn: output, in: child, depth: depth + 1)
            }
            if parts.count >= 3, parts[0] == "aws_iam_policy", ["arn", "id"].contains(parts.last!) {
                return policyResource(parts[1], in: self.scope(holding: value.origin?.path, fallback: scope), depth: depth)
            }
            if parts.count >= 4, parts[0] == "data", parts[1] == "aws_iam_policy" {
                return .unreadable("`data.aws_iam_policy.\(parts[2])` reads an existing policy from AWS")
            }
            return .unreadable("`\(reason)` is not known statically")
        default:
            return .unreadable("a policy ARN must be a string")
        }
    }

    /// A customer-managed policy given by its ARN: the `aws_iam_policy` of the repository with that
    /// name (and path, when the ARN has one).
    func policy(namedInARN arn: String, depth: Int) -> Outcome {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[5].hasPrefix("policy/") else {
            return .unreadable("`\(arn)` is not an IAM policy ARN")
        }
        let full = parts[5].dropFirst("policy".count)
        let name = String(full.split(separator: "/").last ?? "")
        let path = String(full.dropLast(name.count))
        for scope in context.model.scopes {
            for (address, block) in scope.module.resources.sorted(by: { $0.key < $1.key }) where address.hasPrefix("aws_iam_policy.") {
                guard let n = block.body.attribute("name"), scope.evaluate(n.expression).0.stringValue == name else { continue }
                // Terraform's default path is `/`.
                let written = block.body.attribute("path").map { scope.evaluate($0.expression).0.stringValue } ?? "/"
                if let written, written != path { continue }
                return policyResource(String(address.dropFirst("aws_iam_policy.".count)), in: scope, depth: depth)
            }
        }
        return .unreadable("no `aws_iam_policy` named `\(name)` is defined in this repository")
    }

    /// `aws_iam_policy.<name>` of a module.
    func policyResource(_ name: String, in scope: ModuleScope, depth: Int) -> Outcome {
        let address = "aws_iam_policy.\(name)"
        guard let block = scope.module.resources[address] else {
            let dir = scope.module.directory.isEmpty ? "the root module" : "`\(scope.module.directory)`"
            return .unreadable("there is no `\(address)` in \(dir)")
        }
        guard depth < Self.maxDepth, let hcl = hclContext(for: block, in: scope, depth: depth + 1) else {
            return .unreadable("`\(address)` is built from too many nested references")
        }
        guard let doc = PolicyHCL.policies(ofResource: block, context: hcl).first?.document else {
            return .unreadable("the policy of `\(address)` could not be read")
        }
        let anchor = doc.range ?? block.body.attribute("policy")?.range ?? block.range
        return .resolved(Resolved(document: Self.canonical(doc), name: "`\(address)`", anchor: anchor))
    }

    // MARK: Documents of expressions

    /// The front end's context for a block of `scope`: values from the scope's evaluator,
    /// referenced documents from this resolver.
    func hclContext(for block: Block, in scope: ModuleScope, depth: Int) -> PolicyHCLContext? {
        guard let source = context.workspace.source(block.range.path) else { return nil }
        return PolicyHCLContext(source: source,
                                evaluate: { scope.evaluate($0).0 },
                                document: { self.document(of: $0, in: scope, depth: depth) })
    }

    /// A whole policy document an expression stands for, when it is a reference this resolver can
    /// follow: `data.aws_iam_policy_document.x.json`, `aws_iam_policy.x.policy`, `file(...)`,
    /// `templatefile(...)`, or a variable or local holding one of those. Nil otherwise (the front
    /// end then reads `jsonencode`, heredocs and strings itself).
    func document(of e: Expression, in scope: ModuleScope, depth: Int) -> PolicyDocument? {
        guard depth < Self.maxDepth else { return nil }
        switch e.kind {
        case .parenthesized(let inner):
            return document(of: inner, in: scope, depth: depth)
        case .functionCall(let name, _, let args, _) where (name == "file" || name == "templatefile") && !args.isEmpty:
            return policyFile(name, args, in: scope)
        case .functionCall, .object, .tuple, .literal:
            return nil
        case .template(let parts):
            guard parts.count == 1, case .interpolation(let inner) = parts[0] else { return nil }
            return document(of: inner, in: scope, depth: depth)
        default:
            break
        }
        if let path = e.traversalPath, let doc = document(reference: path, in: scope, depth: depth) { return doc }
        let value = scope.evaluate(e).0
        if case .unknown(let reason) = value.kind {
            return document(reference: Self.referenceParts(reason), in: self.scope(holding: value.origin?.path, fallback: scope), depth: depth)
        }
        return nil
    }

    /// `data.aws_iam_policy_document.<name>.json` or `aws_iam_policy.<name>.policy`.
    func document(reference parts: [String], in scope: ModuleScope, depth: Int) -> PolicyDocument? {
        if parts.count >= 4, parts[0] == "data", parts[1] == "aws_iam_policy_document", ["json", "minified_json"].contains(parts.last!) {
            guard let block = scope.module.resources["data.aws_iam_policy_document.\(parts[2])"],
                  let hcl = hclContext(for: block, in: scope, depth: depth + 1) else { return nil }
            return PolicyHCL.document(fromDataBlock: block, context: hcl).document.map(Self.canonical)
        }
        if parts.count >= 3, parts[0] == "aws_iam_policy", parts.last == "policy" {
            return policyResource(parts[1], in: scope, depth: depth + 1).resolved?.document
        }
        return nil
    }

    /// `file("policy.json")` read as a policy, `templatefile("policy.json", {...})` read as a
    /// template whose placeholders take the values Terraform would give them when those are known.
    func policyFile(_ function: String, _ args: [Expression], in scope: ModuleScope) -> PolicyDocument? {
        guard let raw = scope.evaluate(args[0]).0.stringValue, let path = Paths.join(scope.rootDirectory, raw),
              let source = context.workspace.source(path) else { return nil }
        let syntax: PolicyPattern.Syntax = function == "templatefile" ? .terraformTemplate : .policy
        guard var doc = policyDocument(path, source, syntax: syntax) else { return nil }
        guard function == "templatefile" else { return Self.canonical(doc) }
        if args.count > 1, let vars = scope.evaluate(args[1]).0.objectValue {
            var bindings: [String: String] = [:]
            for (name, v) in vars {
                if let s = v.asString {
                    bindings[name] = s
                } else if case .unknown(let reason) = v.kind, let canonical = Self.canonicalName(of: reason) {
                    bindings[name] = "${\(canonical)}"
                }
            }
            doc = doc.binding(bindings)
        }
        return Self.canonical(doc)
    }

    /// The policy in a file, read from the tree the workspace parsed: plain JSON, or a template's
    /// tree with every `%{ if }` and `%{ else }` branch and the condition of each when the file is
    /// rendered with `templatefile`. Parsed here only when the workspace did not read the file as
    /// JSON (a `.tftpl`, say), or when `file()` reads a template's text as a literal policy.
    func policyDocument(_ path: String, _ source: SourceFile, syntax: PolicyPattern.Syntax) -> PolicyDocument? {
        if let file = context.workspace[path], case .json(let root) = file.content,
           !file.isTemplate || (file.template != nil && syntax == .terraformTemplate) {
            let parsed = file.template ?? TemplatedJSON(root: root, diagnostics: file.diagnostics)
            return PolicyJSON.document(from: parsed, source: source, syntax: syntax, origin: .file(path)).document
        }
        return PolicyJSON.parse(source, syntax: syntax, origin: .file(path)).document
    }

    // MARK: Canonical unknowns

    /// The deployment value a data source reference stands for, named as the knowledge table names
    /// it: the caller's account, partition and region are the deployment's own.
    static func canonicalName(of reference: String) -> String? {
        let parts = referenceParts(reference)
        guard parts.count == 4, parts[0] == "data" else { return nil }
        switch (parts[1], parts[3]) {
        case ("aws_caller_identity", "account_id"): return "account"
        case ("aws_partition", "partition"): return "partition"
        case ("aws_region", "name"), ("aws_region", "region"), ("aws_region", "id"): return "region"
        default: return nil
        }
    }

    /// The document with unknown parts that stand for the deployment's account, partition or
    /// region renamed to `account`, `partition`, `region`, so they match the same parts of what
    /// the module needs (and take their values where the audit knows them).
    static func canonical(_ doc: PolicyDocument) -> PolicyDocument {
        var renames: [String: String] = [:]
        for name in dependencies(of: doc) {
            if let c = canonicalName(of: name) { renames[name] = "${\(c)}" }
        }
        return doc.binding(renames)
    }

    /// Every name an unknown part of the document depends on.
    static func dependencies(of doc: PolicyDocument) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for s in doc.statements {
            let patterns = (s.actions?.patterns ?? []) + (s.resources?.patterns ?? []) + s.conditions.flatMap(\.values)
            for p in patterns {
                for d in p.dependencies where seen.insert(d).inserted { out.append(d) }
            }
        }
        return out
    }

    /// `aws_iam_policy.x[0].arn` → `["aws_iam_policy", "x", "0", "arn"]`.
    static func referenceParts(_ reference: String) -> [String] {
        reference.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: "")
            .replacingOccurrences(of: "\"", with: "")
            .split(separator: ".").map(String.init)
    }
}
