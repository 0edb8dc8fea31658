import AuditCore
import Foundation
import Testing
@testable import IAM

/// The committed table `rules/knowledge/iam-requirements.yaml`.
enum KnowledgeTable {
    static let relativePath = "rules/knowledge/iam-requirements.yaml"
    static let mirror = "/work/.mirror/github-aws-runners+terraform-aws-github-runner/repo"

    static var url: URL? { packageRoot()?.appendingPathComponent(relativePath) }

    static var text: String? { url.flatMap { try? String(contentsOf: $0, encoding: .utf8) } }

    static let loaded: RequiredPermissions? = text.flatMap { try? RequiredPermissions(yaml: $0) }
}

@Suite struct KnowledgeTableTests {
    /// Regenerates the table from the module mirror and compares it with the committed file
    /// (records it when `RECORD_IAM_REQUIREMENTS=1`). Skips when the mirror is not on this machine.
    @Test func committedTableMatchesTheModuleTemplates() throws {
        let mirror = GitMirror(gitDirectory: ProcessInfo.processInfo.environment["GHR_MODULE_MIRROR"] ?? KnowledgeTable.mirror)
        guard mirror.exists else {
            print("skipped: the module mirror \(mirror.gitDirectory) is not on this machine; the committed table is not re-derived")
            return
        }
        let yaml = try RequirementExtractor.generateYAML(from: mirror)
        let url = try #require(KnowledgeTable.url)
        if ProcessInfo.processInfo.environment["RECORD_IAM_REQUIREMENTS"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(yaml.utf8).write(to: url)
            return
        }
        let committed = try #require(KnowledgeTable.text, "\(KnowledgeTable.relativePath) is missing: run `RECORD_IAM_REQUIREMENTS=1 swift test --filter KnowledgeTableTests`")
        if committed != yaml {
            let a = committed.split(separator: "\n", omittingEmptySubsequences: false)
            let b = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            let line = Array(zip(a, b)).firstIndex { $0 != $1 } ?? min(a.count, b.count)
            Issue.record("""
            \(KnowledgeTable.relativePath) is out of date (first difference at line \(line + 1)); \
            run `RECORD_IAM_REQUIREMENTS=1 swift test --filter KnowledgeTableTests`.
            committed: \(line < a.count ? String(a[line]) : "<end>")
            derived:   \(line < b.count ? String(b[line]) : "<end>")
            """)
        }
        // What was derived also loads.
        _ = try RequiredPermissions(yaml: yaml)
    }
}
