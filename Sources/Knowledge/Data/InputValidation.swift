import AuditCore

/// One `validation` block of a module variable, over the consecutive releases that declare it with
/// the same condition and message (`rules/knowledge/validations.yaml`). The condition is kept as
/// text and evaluated at run time against the value a configuration gives.
public struct InputValidation: ReleaseRun, Sendable, Hashable {
    /// A variable scope (`root`, `multi-runner`, `runners`).
    public var scope: InputScope
    /// The variable the block belongs to.
    public var input: String
    /// The `condition` expression as written (lines trimmed, joined with line feeds).
    public var condition: String
    /// The `error_message`, as Terraform prints it (a heredoc's lines trimmed).
    public var message: String
    /// The file declaring the variable, relative to the repository root.
    public var file: String
    /// The first and last release with this block.
    public var first: ModuleVersion
    public var last: ModuleVersion

    public init(scope: InputScope, input: String, condition: String, message: String, file: String,
                first: ModuleVersion, last: ModuleVersion) {
        self.scope = scope
        self.input = input
        self.condition = condition
        self.message = message
        self.file = file
        self.first = first
        self.last = last
    }

    /// Whether the condition only holds for a null value (`var.environment == null`, also written
    /// `anytrue([var.enabled_userdata == null])`): the module rejects every value given.
    public var rejectsEveryValue: Bool {
        var compact = condition.filter { !$0.isWhitespace }
        if compact.hasPrefix("anytrue(["), compact.hasSuffix("])") { compact = String(compact.dropFirst(9).dropLast(2)) }
        return compact == "var.\(input)==null" || compact == "null==var.\(input)"
    }
}

extension KnowledgeFiles {
    package static let validationsPath = "knowledge/validations.yaml"

    package struct ValidationRow: Sendable {
        package var scope: String
        package var input: String
        package var file: String
        package var first: String
        package var last: String
        package var condition: String
        package var errorMessage: String
    }

    package struct ValidationsFile: Sendable {
        package var validations: [ValidationRow]
    }
}

extension KnowledgeFiles.ValidationsFile {
    init(node r: NodeReader) throws {
        validations = try r.fields().required("validations").list().map { node in
            let f = try node.fields()
            return KnowledgeFiles.ValidationRow(
                scope: try f.required("scope").string(), input: try f.required("input").string(),
                file: try f.required("file").string(), first: try f.required("first").string(),
                last: try f.required("last").string(), condition: try f.required("condition").string(),
                errorMessage: try f.required("error_message").string())
        }
    }
}
