import AuditCore
import Foundation
import Testing
@testable import Knowledge
@testable import DevTools

/// `validations.yaml`: every `validation` block of every variable, per run of releases.
@Suite struct ValidationExtractionTests {
    static let variables = #"""
    variable "mode" {
      type    = string
      default = "a"
      validation {
        # only two modes
        condition     = contains(["a", "b"], var.mode)
        error_message = "`mode` must be \"a\" or \"b\"."
      }
      validation {
        condition = alltrue([
          for c in [var.mode] : length(c) < 5
        ])
        error_message = <<EOF
          Keep it short:
            - fewer than five characters
        EOF
      }
    }

    variable "gone" {
      type    = string
      default = null
      validation {
        condition     = var.gone == null
        error_message = "No longer used, see `mode`."
      }
    }
    """#

    @Test func readsConditionsAndMessagesAsTerraformPrintsThem() throws {
        let snapshot = InputSnapshotReader.read(files: ["variables.tf": Self.variables])
        let mode = try #require(snapshot[.root]?["mode"]?.validations)
        #expect(mode.count == 2)
        #expect(mode[0] == ValidationFacts(condition: "contains([\"a\", \"b\"], var.mode)", message: "`mode` must be \"a\" or \"b\"."))
        #expect(mode[1].condition == "alltrue([\nfor c in [var.mode] : length(c) < 5\n])")
        #expect(mode[1].message == "Keep it short:\n- fewer than five characters")
        #expect(snapshot[.root]?["gone"]?.validations.map(\.condition) == ["var.gone == null"])
    }

    @Test func spansFollowConsecutiveReleasesAndBreakOnChange() throws {
        let v1 = ModuleVersion(1, 0, 0), v2 = ModuleVersion(1, 1, 0), v3 = ModuleVersion(2, 0, 0), v4 = ModuleVersion(2, 1, 0)
        let changed = Self.variables.replacingOccurrences(of: "No longer used", with: "Removed")
        let withoutGone = String(Self.variables[..<Self.variables.range(of: "variable \"gone\"")!.lowerBound])
        var snapshots: [ModuleVersion: InputSnapshot] = [:]
        snapshots[v1] = InputSnapshotReader.read(files: ["variables.tf": Self.variables])
        snapshots[v2] = InputSnapshotReader.read(files: ["variables.tf": Self.variables])
        snapshots[v3] = InputSnapshotReader.read(files: ["variables.tf": changed])
        snapshots[v4] = InputSnapshotReader.read(files: ["variables.tf": withoutGone])
        let spans = ValidationBuilder.build(releases: [v1, v2, v3, v4], snapshots: snapshots)
        let gone = spans.filter { $0.input == "gone" }
        #expect(gone.map { "\($0.first)…\($0.last) \($0.message)" } == ["1.0.0…1.1.0 No longer used, see `mode`.", "2.0.0…2.0.0 Removed, see `mode`."])
        #expect(gone.allSatisfy { $0.rejectsEveryValue })
        let mode = spans.filter { $0.input == "mode" }
        let modeSpansEverything = mode.allSatisfy { $0.first == v1 && $0.last == v4 && !$0.rejectsEveryValue }
        #expect(mode.count == 2 && modeSpansEverything)
        #expect(mode.first?.condition.hasPrefix("contains") == true, "declaration order is kept")
        #expect(ValidationBuilder.unreadable(spans).isEmpty)
        // The writer and the loader agree.
        let yaml = KnowledgeYAMLWriter.validations(spans, header: ["test"])
        var files = EmbeddedData.files
        files[KnowledgeFiles.validationsPath] = yaml
        let (decoded, problems) = KnowledgeFiles.decode(files: files)
        #expect(problems.isEmpty, "\(problems)")
        #expect(decoded.validations == spans)
    }

    @Test func theEmbeddedDataHoldsTheEnvironmentRejection() throws {
        let kb = try KnowledgeBase.load()
        for v in ["3.0.0", "4.0.0", "4.7.0"] {
            let found = kb.validations(scope: .root, input: "environment", at: ModuleVersion(v)!)
            #expect(found.count == 1 && found[0].rejectsEveryValue, "\(v)")
        }
        #expect(kb.validations(scope: .root, input: "environment", at: ModuleVersion(5, 0, 0)).isEmpty)
        #expect(kb.allValidations.count > 50)
    }

    /// The fact the rule relies on, read in the module itself: from 1.2.0 any value of
    /// `environment` fails `var.environment == null`; 1.1.0 still required it.
    @Test(.enabled(if: TestEnvironment.mirrorPath != nil, Needs.mirror))
    func environmentIsRejectedFrom1_2_0InTheModule() throws {
        let mirror = try #require(TestEnvironment.mirror())
        func validations(_ tag: String) throws -> [ValidationFacts]? {
            let text = try #require(try mirror.show(tag, "variables.tf"))
            return InputSnapshotReader.read(files: ["variables.tf": text])[.root]?["environment"]?.validations
        }
        #expect(try validations("v1.1.0") == [])
        for tag in ["v1.2.0", "v3.0.0", "v4.0.0", "v4.7.0"] {
            #expect(try validations(tag)?.map(\.condition) == ["var.environment == null"], "\(tag)")
        }
        #expect(try validations("v5.0.0") == nil)
    }
}
