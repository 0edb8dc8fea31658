import AuditCore
import Foundation
import Testing
@testable import Knowledge

/// Where the package and the optional reference material are.
enum TestEnvironment {
    /// The folder holding `Package.swift`, found by walking up from this file.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `../shared` relative to the package root, when present.
    static var shared: URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The module's bare git mirror (`GHR_AUDIT_MIRROR` or the conventional path), when present.
    static var mirrorPath: String? {
        let path = ProcessInfo.processInfo.environment["GHR_AUDIT_MIRROR"]
            ?? "/work/.mirror/github-aws-runners+terraform-aws-github-runner/repo"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static func mirror() -> GitMirror? {
        guard let path = mirrorPath else { return nil }
        return try? GitMirror(path: path)
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
