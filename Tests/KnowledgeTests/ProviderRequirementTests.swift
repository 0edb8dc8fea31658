import AuditCore
import DevTools
import Foundation
import Knowledge
import Testing

/// `rules/knowledge/provider-requirements.yaml`: the aws provider constraint of every module
/// directory per release, which VER-206 compares with the repository's own.
@Suite("aws provider requirements of the module")
struct ProviderRequirementTests {
    @Test func constraintsAreReadFromVersionsFiles() {
        let modern = """
            terraform {
              required_version = ">= 1.3.0"
              required_providers {
                random = { source = "hashicorp/random", version = "~> 3.0" }
                aws = {
                  source  = "hashicorp/aws"
                  version = ">= 6.21"
                }
              }
            }
            """
        #expect(ProviderRequirementBuilder.awsConstraint(in: modern) == ">= 6.21")
        #expect(ProviderRequirementBuilder.awsConstraint(in: "terraform {\n  required_providers {\n    aws = \"~> 4.0\"\n  }\n}\n") == "~> 4.0")
        #expect(ProviderRequirementBuilder.awsConstraint(in: "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n") == nil)
        #expect(ProviderRequirementBuilder.isVersionsFile("modules/runners/versions.tf"))
        #expect(!ProviderRequirementBuilder.isVersionsFile("examples/default/versions.tf"))
    }

    @Test func runsEndWhereTheConstraintChangesOrTheDirectoryIsMissing() {
        func tf(_ c: String) -> String { "terraform {\n  required_providers {\n    aws = { version = \"\(c)\" }\n  }\n}\n" }
        let rows = ProviderRequirementBuilder.build([
            (ModuleVersion(1, 0, 0), ["versions.tf": tf("~> 4.0"), "modules/a/versions.tf": tf("~> 4.0")]),
            (ModuleVersion(1, 1, 0), ["versions.tf": tf("~> 4.0")]),
            (ModuleVersion(1, 2, 0), ["versions.tf": tf("~> 5.0"), "modules/a/versions.tf": tf("~> 4.0")]),
            (ModuleVersion(1, 3, 0), ["versions.tf": tf("~> 5.0"), "modules/a/versions.tf": tf("~> 4.0")]),
        ])
        #expect(rows == [
            .init(module: "", first: "1.0.0", last: "1.1.0", constraint: "~> 4.0"),
            .init(module: "", first: "1.2.0", last: "1.3.0", constraint: "~> 5.0"),
            .init(module: "modules/a", first: "1.0.0", last: "1.0.0", constraint: "~> 4.0"),
            .init(module: "modules/a", first: "1.2.0", last: "1.3.0", constraint: "~> 4.0"),
        ])
    }

    @Test func theKnowledgeBaseAnswersPerDirectoryAndRelease() throws {
        let kb = try TestEnvironment.knowledge()
        // module-facts §2.1: the root module's requirement over the releases.
        for (release, constraint) in [("3.0.0", "~> 4.41"), ("3.4.2", "~> 4.41"), ("3.5.0", "~> 5.2"), ("5.6.0", "~> 5.27.0"), ("5.6.1", "~> 5.27"),
                                      ("6.0.0", "~> 5.77"), ("6.6.0", ">= 5.77"), ("7.0.0", ">= 6.21"), ("7.6.1", ">= 6.21"), ("7.7.0", ">= 6.33")] {
            #expect(kb.awsProviderRequirement(module: "", at: .v(release))?.constraint == constraint, "\(release)")
        }
        #expect(kb.awsProviderRequirement(module: "modules/multi-runner", at: .v("3.0.0"))?.constraint == "~> 4.0")
        #expect(kb.awsProviderRequirement(module: "modules/runners", at: .v("6.0.0"))?.constraint == "~> 5.27")
        #expect(kb.awsProviderRequirement(module: "modules/webhook-github-app", at: .v("7.0.0")) == nil, "declares no aws constraint")
        #expect(kb.awsProviderRequirement(module: "", at: .v("2.0.0")) == nil, "not covered")
    }

    @Test func constraintsOverlapOnlyWhenSomeVersionSatisfiesBoth() throws {
        func overlap(_ a: String, _ b: String) throws -> Bool { try #require(VersionConstraint(a)).overlaps(try #require(VersionConstraint(b))) }
        #expect(try !overlap("~> 5.0", ">= 6.21"))
        #expect(try overlap("~> 5.0", "~> 5.77"))
        #expect(try !overlap("~> 4.0", "~> 5.2"))
        #expect(try overlap(">= 4.0, < 6.0", "~> 5.27.0"))
        #expect(try !overlap("< 5.27", "~> 5.27.0"))
        #expect(try overlap("!= 6.21.0", ">= 6.21"))
        #expect(try !overlap("= 6.21.0", "> 6.21.0"))
        #expect(try overlap("< 7.0", "< 6.0"))
    }

    /// The committed file is what the extractor writes from the module's own versions.tf files.
    @Test(.enabled(if: TestEnvironment.mirrorPath != nil, Needs.mirror))
    func theFileIsWhatTheMirrorSays() throws {
        let mirror = try #require(TestEnvironment.mirror())
        let (read, range) = try TestEnvironment.releaseFiles(mirror, where: ProviderRequirementBuilder.isVersionsFile)
        let releases = read.map { (version: $0.version, files: $0.files.mapValues { String(decoding: $0, as: UTF8.self) }) }
        let expected = ProviderRequirementBuilder.yaml(ProviderRequirementBuilder.build(releases), header: ProviderRequirementBuilder.header(range: range))
        let committed = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("rules/knowledge/provider-requirements.yaml"), encoding: .utf8)
        #expect(committed == expected)
    }
}
