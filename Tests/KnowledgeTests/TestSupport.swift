import AuditCore
import Foundation
import Testing
@testable import Knowledge
import DevTools
import TestSupport

/// Where the package and the optional reference material are.
enum TestEnvironment {
    static var packageRoot: URL { TestPaths.packageRoot }
    static var shared: URL? { TestPaths.shared }
    static var mirrorPath: String? { TestPaths.mirrorPath }

    static func mirror() -> GitMirror? {
        guard let path = mirrorPath else { return nil }
        return try? GitMirror(path: path)
    }

    /// The files `select` picks at every release v3.0.0 and newer of the mirror, in release order,
    /// and the range as the extractor's headers write it (`v3.0.0…v7.11.0 (153 releases)`).
    static func releaseFiles(_ mirror: GitMirror, where select: (String) -> Bool) throws
        -> (releases: [(version: ModuleVersion, files: [String: Data])], range: String) {
        let tags = try mirror.releaseTags().filter { $0.version.major >= 3 }
        let commits = try mirror.peeledCommits(tags.map(\.tag))
        var releases: [(version: ModuleVersion, files: [String: Data])] = []
        for (i, t) in tags.enumerated() {
            var files: [String: Data] = [:]
            for (path, sha) in try mirror.tree(commits[i]) where select(path) { files[path] = try mirror.blob(sha) }
            releases.append((t.version, files))
        }
        return (releases, "\(tags.first!.tag)…\(tags.last!.tag) (\(tags.count) releases)")
    }

    /// The embedded knowledge base, loaded once per test process (an immutable value).
    private static let loaded: Result<KnowledgeBase, KnowledgeBaseError> = {
        do { return .success(try KnowledgeBase.load()) } catch let e as KnowledgeBaseError { return .failure(e) } catch {
            return .failure(KnowledgeBaseError(problems: [CatalogProblem(path: "rules", "\(error)")]))
        }
    }()

    static func knowledge() throws -> KnowledgeBase { try loaded.get() }
}

/// Trait messages for tests that need material outside the package; Swift Testing reports them
/// as skipped with this comment when it is absent.
enum Needs {
    static let mirror: Comment = "needs the module's git mirror (set GHR_AUDIT_MIRROR); skipped"
    static let shared: Comment = "needs ../shared (reference material) next to the package; skipped"
}

extension ModuleVersion {
    /// Test shorthand: `v("4.0.1")`.
    static func v(_ s: String) -> ModuleVersion { ModuleVersion(s)! }
}
