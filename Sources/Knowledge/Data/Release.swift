import AuditCore

/// One release of the module: a `vMAJOR.MINOR.PATCH` tag of its repository.
public struct Release: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var version: ModuleVersion
    /// The git tag, e.g. `v4.0.1`.
    public var tag: String
    /// Full (40 hex) SHA of the tagged commit (annotated tags peeled).
    public var commit: String
    /// Commit date of the tagged commit, ISO 8601 in UTC (`2023-07-31T14:02:11Z`).
    public var date: String

    public init(version: ModuleVersion, tag: String, commit: String, date: String) {
        self.version = version
        self.tag = tag
        self.commit = commit
        self.date = date
    }

    public static func < (a: Release, b: Release) -> Bool { a.version < b.version }

    public var description: String { version.description }
}
