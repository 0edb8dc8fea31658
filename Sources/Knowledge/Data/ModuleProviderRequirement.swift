import AuditCore

/// The aws provider versions one directory of the runner module accepts over a run of releases:
/// the `version` of `required_providers.aws` in its `versions.tf`
/// (`rules/knowledge/provider-requirements.yaml`).
public struct ModuleProviderRequirement: ReleaseRun, Sendable, Hashable {
    /// The module directory, relative to the repository root: `""` for the root module,
    /// `modules/multi-runner`, `modules/runners`...
    public var module: String
    /// The first and last release of the run declaring `constraint` unchanged.
    public var first: ModuleVersion
    public var last: ModuleVersion
    /// The constraint as written (`~> 5.2`, `>= 6.21`).
    public var constraint: String

    public init(module: String, first: ModuleVersion, last: ModuleVersion, constraint: String) {
        self.module = module
        self.first = first
        self.last = last
        self.constraint = constraint
    }

    /// `v7.0.0:modules/multi-runner/versions.tf`: where the constraint is declared at the release
    /// tagged `tag`.
    public func citation(tag: String) -> String {
        "\(tag):\(module.isEmpty ? "" : module + "/")versions.tf"
    }
}

extension KnowledgeFiles {
    package static let providerRequirementsPath = "knowledge/provider-requirements.yaml"

    package struct ProviderRequirementRow: Sendable, Equatable {
        package var module: String
        package var first: String
        package var last: String
        package var constraint: String

        package init(module: String, first: String, last: String, constraint: String) {
            self.module = module
            self.first = first
            self.last = last
            self.constraint = constraint
        }
    }

    package struct ProviderRequirementsFile: Sendable {
        package var requirements: [ProviderRequirementRow]
    }
}

extension KnowledgeFiles.ProviderRequirementsFile {
    init(node r: NodeReader) throws {
        requirements = try r.fields().required("requirements").list().map { node in
            let f = try node.fields()
            return KnowledgeFiles.ProviderRequirementRow(
                module: try f.required("module").string(), first: try f.required("first").string(),
                last: try f.required("last").string(), constraint: try f.required("constraint").string())
        }
    }
}
