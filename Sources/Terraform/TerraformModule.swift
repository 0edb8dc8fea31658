import AuditCore
import HCL

/// A `variable` block.
public struct VariableDeclaration: Sendable {
    public var name: String
    public var block: Block
    public var defaultExpression: Expression?
    /// The `type` expression's source text, if any (`list(string)`, `object({...})`).
    public var typeText: String?
    public var file: String

    /// Whether a `-var`/`TF_VAR_` string must be parsed as an HCL expression (complex types) or
    /// taken literally (primitives and untyped variables), as Terraform does.
    public var takesExpressionFromCLI: Bool {
        guard let t = typeText?.trimmingCharacters(in: .whitespaces) else { return false }
        return !(t == "string" || t == "number" || t == "bool")
    }
}

/// A `module` block.
public struct ModuleCallBlock: Sendable {
    public var name: String
    public var block: Block
    public var file: String

    public var sourceExpression: Expression? { block.body.attribute("source")?.expression }
    public var versionExpression: Expression? { block.body.attribute("version")?.expression }
    public var forEach: Expression? { block.body.attribute("for_each")?.expression }
    public var count: Expression? { block.body.attribute("count")?.expression }

    /// Meta-arguments that are not inputs of the called module.
    public static let metaArguments: Set<String> = ["source", "version", "for_each", "count", "providers", "depends_on"]

    /// The input attributes, in source order.
    public var inputs: [Attribute] {
        var out: [Attribute] = []
        for item in block.body.items {
            if case .attribute(let a) = item, !Self.metaArguments.contains(a.name) { out.append(a) }
        }
        return out
    }
}

/// `terraform { required_providers { aws = { version = ... } } }` entries.
public struct ProviderRequirement: Sendable {
    public var name: String
    public var source: String?
    public var versionConstraint: String?
    /// Where the constraint (or the entry) is written.
    public var range: SourceRange
    public var file: String
}

/// One Terraform module: every `.tf` and `.tf.json` file of one directory.
public struct TerraformModule: Sendable {
    public var directory: String
    public var files: [HCLFile]
    public var variables: [String: VariableDeclaration] = [:]
    public var locals: [String: Attribute] = [:]
    public var moduleCalls: [ModuleCallBlock] = []
    public var outputs: [String: Block] = [:]
    public var providerRequirements: [ProviderRequirement] = []
    /// `resource` and `data` blocks by `type.name` (data as `data.type.name`).
    public var resources: [String: Block] = [:]

    public init(directory: String, files: [HCLFile]) {
        self.directory = directory
        self.files = files.sorted { $0.source.path < $1.source.path }
        // A module's tables live as long as the run: they are sized from a count of the blocks
        // first instead of being grown by inserts (a grown table keeps up to half its room unused).
        var counts = (variables: 0, locals: 0, calls: 0, outputs: 0, resources: 0)
        for file in self.files {
            for case .block(let block) in file.body.items {
                switch block.type {
                case "variable": counts.variables += 1
                case "locals": counts.locals += block.body.items.count
                case "module": counts.calls += 1
                case "output": counts.outputs += 1
                case "resource", "data": counts.resources += 1
                default: break
                }
            }
        }
        variables.reserveCapacity(counts.variables)
        locals.reserveCapacity(counts.locals)
        moduleCalls.reserveCapacity(counts.calls)
        outputs.reserveCapacity(counts.outputs)
        resources.reserveCapacity(counts.resources)
        for file in self.files {
            let path = file.source.path
            for block in file.body.blocks {
                switch block.type {
                case "variable":
                    guard let name = block.labels.first?.value else { continue }
                    let typeText = block.body.attribute("type").map { file.source.text(of: $0.expression.range) }
                    variables[name] = VariableDeclaration(name: name, block: block, defaultExpression: block.body.attribute("default")?.expression, typeText: typeText, file: path)
                case "locals":
                    for a in block.body.attributes { locals[a.name] = a }
                case "module":
                    guard let name = block.labels.first?.value else { continue }
                    moduleCalls.append(ModuleCallBlock(name: name, block: block, file: path))
                case "output":
                    if let name = block.labels.first?.value { outputs[name] = block }
                case "resource":
                    if block.labels.count >= 2 { resources["\(block.labels[0].value).\(block.labels[1].value)"] = block }
                case "data":
                    if block.labels.count >= 2 { resources["data.\(block.labels[0].value).\(block.labels[1].value)"] = block }
                case "terraform":
                    for rp in block.body.blocks(ofType: "required_providers") {
                        for a in rp.body.attributes {
                            var req = ProviderRequirement(name: a.name, source: nil, versionConstraint: nil, range: a.range, file: path)
                            if case .object(let items) = a.expression.kind {
                                for item in items {
                                    guard let key = item.key.staticString ?? item.key.traversalPath?.first else { continue }
                                    if key == "version" {
                                        req.versionConstraint = item.value.staticString
                                        req.range = item.value.range
                                    } else if key == "source" {
                                        req.source = item.value.staticString
                                    }
                                }
                            } else if let legacy = a.expression.staticString {
                                req.versionConstraint = legacy
                                req.range = a.expression.range
                            }
                            providerRequirements.append(req)
                        }
                    }
                default:
                    break
                }
            }
        }
    }

    /// Every module directory referenced by a local `source` of this module.
    public var localCallTargets: [String] {
        moduleCalls.compactMap { call in
            guard let src = call.sourceExpression?.staticString, let local = ModuleSource(src).localPath else { return nil }
            return Paths.join(directory, local)
        }
    }
}

extension Workspace {
    /// Groups the Terraform files by directory.
    public func terraformModules() -> [String: TerraformModule] {
        var byDir: [String: [HCLFile]] = [:]
        for f in files.values where f.kind.isTerraform {
            guard let hcl = f.hcl else { continue }
            byDir[Paths.directory(of: f.path), default: []].append(hcl)
        }
        return Dictionary(uniqueKeysWithValues: byDir.map { ($0.key, TerraformModule(directory: $0.key, files: $0.value)) })
    }
}
