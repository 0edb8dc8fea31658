import AuditCore

/// The first actions/runner release that supports one way the module starts a runner
/// (`rules/knowledge/runner-versions.yaml`).
public struct RunnerRequirement: Sendable, Hashable {
    /// What the runner must support (`jitconfig`).
    public var name: String
    /// The first actions/runner release that supports it.
    public var minimum: ModuleVersion
    public var summary: String
    /// `AR TAG:path[:line]` citations.
    public var evidence: [String]

    public init(name: String, minimum: ModuleVersion, summary: String, evidence: [String]) {
        self.name = name
        self.minimum = minimum
        self.summary = summary
        self.evidence = evidence
    }

    /// The table's path below `rules/`, for citations.
    public static let source = "rules/" + KnowledgeFiles.runnerVersionsPath
}

extension KnowledgeFiles {
    package static let runnerVersionsPath = "knowledge/runner-versions.yaml"

    package struct RunnerVersionsFile: Sendable {
        package var features: [(name: String, minimum: String, summary: String, evidence: [String])]
    }
}

extension KnowledgeFiles.RunnerVersionsFile {
    init(node r: NodeReader) throws {
        features = try r.fields().required("features").list().map { node in
            let f = try node.fields()
            return (name: try f.required("name").string(), minimum: try f.required("minimum").string(),
                    summary: try f.required("summary").string(), evidence: try f.required("evidence").list().map { try $0.string() })
        }
    }
}
