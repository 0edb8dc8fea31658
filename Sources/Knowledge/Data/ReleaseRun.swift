import AuditCore

/// Something the module declares over a run of releases, `first` through `last` (an input, a
/// validation block, a provider constraint).
public protocol ReleaseRun {
    var first: ModuleVersion { get }
    var last: ModuleVersion { get }
}

extension ReleaseRun {
    /// Whether the run covers `version` (ordering only: a version between two releases answers
    /// like its neighbours).
    public func exists(at version: ModuleVersion) -> Bool { first <= version && version <= last }
}
