/// The bounds every audit works within. The scanned repository is untrusted input (ghr-audit runs
/// on pull requests): whatever it holds, a run takes bounded time and memory. Each limit is far
/// above what a real configuration reaches; crossing one is a located finding (`CORE-007`, or
/// `CORE-002` for a file not read), never a crash and never a silent pass.
public enum Limits {
    /// Files larger than this are reported, not read (checked with `stat` before reading).
    public static let maxFileSize = 64 << 20
    /// The longest string an expression may build, in UTF-8 bytes.
    public static let maxStringBytes = 8 << 20
    /// The most elements a list, set, map or object built by an expression may hold.
    public static let maxCollectionElements = 100_000
    /// Evaluation work per run: one unit per expression node evaluated, plus one per element and
    /// per 64 bytes of string a function or template builds.
    public static let maxEvaluationSteps = 2_000_000
    /// YAML nodes that aliases (`*name`) may add to one document once expanded (billion laughs).
    public static let maxYAMLAliasExpansion = 100_000
    /// Entries a configuration file (`.ghr-audit.yml`) may hold, counted over all its collections,
    /// and its size: larger files are refused before they are parsed (or, over the size, read).
    public static let maxConfigEntries = 10_000
    public static let maxConfigBytes = 1 << 20
    /// Directories a walk enters.
    public static let maxDirectories = 200_000
    /// How deep a walk goes below the scan root. A chain of thousands of folders would otherwise
    /// cost time growing with the cube of its depth (each path is resolved component by component)
    /// and end in paths longer than the system accepts.
    public static let maxDirectoryDepth = 256
}

/// Tells whether a diagnostic reports an exceeded limit (`CORE-007`) or a cycle (`CORE-006`).
public enum DiagnosticCode {
    public static let cycle = "CORE-006"
    public static let limit = "CORE-007"
}
