import AuditCore
import Foundation
import Testing
@testable import Knowledge
@testable import DevTools

@Suite struct HCLTextScannerTests {
    static let variables = #"""
    # leading comment with a { brace
    variable "plain" {
      description = "Has a } brace, an escaped \" quote and ${var.x} template"
      type        = string
      default     = "x" # trailing comment
    }

    variable "heredoc" {
      description = <<-EOT
        Text with } and " and ) inside.
          EOT
      type = object({
        a = optional(string, "}")  // comment
        b = optional(object({ c = number, d = list(string) }), { c = 1, d = [] })
      })
      default = {
        a = "x"
      }
      validation {
        condition     = var.heredoc == null
        error_message = "DEPRECATED: use something else."
      }
    }

    variable "required" {
      type = map(list(string))
    }
    """#

    @Test func readsVariableBlocksThroughStringsHeredocsAndComments() throws {
        let s = HCLTextScanner(Self.variables)
        let blocks = s.items(in: s.all).compactMap { item -> (String, Range<Int>)? in
            guard item.name == "variable", case let .block(labels, body) = item.kind else { return nil }
            return (labels[0], body)
        }
        #expect(blocks.map(\.0) == ["plain", "heredoc", "required"])

        let plain = blocks[0].1
        #expect(s.attribute("type", in: plain).map { s.text($0) } == "string")
        #expect(s.attribute("default", in: plain).map { s.text($0) } == "\"x\"")

        let heredoc = blocks[1].1
        let type = try #require(s.attribute("type", in: heredoc))
        #expect(s.collapsedText(type, stripComments: true)
            == #"object({ a = optional(string, "}") b = optional(object({ c = number, d = list(string) }), { c = 1, d = [] }) })"#)
        let fields = s.objectTypeFields(in: type)?.map(\.name)
        #expect(fields == ["a", "b"])
        #expect(s.attribute("default", in: heredoc).map { s.collapsedText($0) } == "{ a = \"x\" }")
        #expect(s.attribute("default", in: blocks[2].1) == nil)
    }

    @Test func snapshotReaderFindsFieldsAndDeprecation() {
        let snapshot = InputSnapshotReader.read(files: ["variables.tf": Self.variables, "main.tf": "variable \"ignored\" {}"])
        let root = snapshot[.root] ?? [:]
        #expect(Set(root.keys) == ["plain", "heredoc", "required"])
        #expect(root["plain"]?.compared == "\"x\"")
        #expect(root["plain"]?.defaultValue == "\"x\"")
        #expect(root["required"]?.compared == "<REQUIRED>")
        #expect(root["required"]?.defaultValue == nil)
        #expect(root["heredoc"]?.deprecated == true)
        #expect(root["plain"]?.deprecated == false)
        #expect(root["heredoc"]?.fieldPaths == ["a", "b", "b.c", "b.d"])
        // The type in normal form: one line, comments dropped, attributes separated by commas.
        #expect(root["heredoc"]?.type
            == #"object({ a = optional(string, "}"), b = optional(object({ c = number, d = list(string) }), { c = 1, d = [] }) })"#)
        #expect(root["required"]?.type == "map(list(string))")
        #expect(InputSnapshotReader.startsDeprecated("[DEPRECATED: Use ami.filter] Map of lists"))
        #expect(InputSnapshotReader.startsDeprecated("(Deprecated, no longer used), allow"))
        #expect(!InputSnapshotReader.startsDeprecated("Filter deprecated AMIs"))
    }

    @Test func multiRunnerConfigFieldsBecomeScopes() {
        let text = #"""
        variable "multi_runner_config" {
          description = <<EOT
            multi_runner_config = {
              runner_config: {
                old_field: "DEPRECATED: use new_field."
              }
            }
          EOT
          type = map(object({
            runner_config = object({
              runner_os = string
              old_field = optional(bool, false)
              ami = optional(object({
                owners = optional(list(string), ["amazon"])
              }), null)
            })
            matcherConfig = object({
              labelMatchers = list(list(string))
            })
            fifo = optional(bool, false)
          }))
        }
        """#
        let snapshot = InputSnapshotReader.read(files: ["modules/multi-runner/variables.tf": text])
        #expect(Set(snapshot[.multiRunnerConfig]?.keys ?? [:].keys) == ["runner_config", "matcherConfig", "fifo"])
        #expect(Set(snapshot[.runnerConfig]?.keys ?? [:].keys) == ["runner_os", "old_field", "ami"])
        #expect(snapshot[.runnerConfig]?["old_field"]?.deprecated == true)
        #expect(snapshot[.runnerConfig]?["runner_os"]?.deprecated == false)
        #expect(snapshot[.runnerConfig]?["ami"]?.fieldPaths == ["owners"])
        #expect(snapshot[.runnerConfig]?["ami"]?.type == #"optional(object({ owners = optional(list(string), ["amazon"]) }), null)"#)
        #expect(snapshot[.matcherConfig]?["labelMatchers"]?.compared == "list(list(string))")
        #expect(snapshot[.multiRunner]?["multi_runner_config"] != nil)
    }

    @Test(.enabled(if: TestEnvironment.mirrorPath != nil, Needs.mirror))
    func snapshotOfARealReleaseFindsTheJitSwitch() throws {
        let mirror = try #require(TestEnvironment.mirror())
        func snapshot(_ tag: String) throws -> InputSnapshot {
            var files: [String: String] = [:]
            for (path, sha) in try mirror.tree(tag) where InputSnapshotReader.isVariablesFile(path) { files[path] = try mirror.text(sha) }
            return InputSnapshotReader.read(files: files)
        }
        let before = try snapshot("v4.0.0"), after = try snapshot("v4.0.1")
        for scope in [InputScope.root, .runners, .runnerConfig] {
            #expect(before[scope]?["enable_jit_config"] == nil, "\(scope)")
            #expect(after[scope]?["enable_jit_config"] != nil, "\(scope)")
        }
        #expect(after[.root]?.count == 110)
    }
}

@Suite struct TemplateRendererTests {
    @Test func rendersConditionalsEscapesAndVariables() {
        let template = """
        a=$${keep}
        %{ if metadata_tags == "enabled" }
        tags=imds
        %{ else }
        tags=api
        %{ endif }
        pct=%%{ x }
        name=${name}
        """
        #expect(TemplateRenderer.render(template, variables: ["metadata_tags": "enabled", "name": "n"])
            == "a=${keep}\n\ntags=imds\n\npct=%{ x }\nname=n")
        #expect(TemplateRenderer.render(template, variables: ["metadata_tags": "disabled", "name": "n"])
            == "a=${keep}\n\ntags=api\n\npct=%{ x }\nname=n")
    }

    @Test func stripMarkersAndNegation() {
        let template = "x\n%{~ if v != \"a\" ~}\n  y\n%{~ endif ~}\nz"
        #expect(TemplateRenderer.render(template, variables: ["v": "b"]) == "xyz")
        #expect(TemplateRenderer.render(template, variables: ["v": "a"]) == "xz")
    }

    @Test func refusesWhatItDoesNotUnderstand() {
        #expect(TemplateRenderer.render("${unknown}", variables: [:]) == nil)
        #expect(TemplateRenderer.render("${upper(x)}", variables: ["x": "a"]) == nil)
        #expect(TemplateRenderer.render("%{ for x in y }%{ endfor }", variables: [:]) == nil)
        #expect(TemplateRenderer.render("%{ if a == \"b\" }unclosed", variables: ["a": "b"]) == nil)
        #expect(TemplateRenderer.render("%{ endif }", variables: [:]) == nil)
        #expect(TemplateRenderer.render("plain $ and % and {}", variables: [:]) == "plain $ and % and {}")
    }
}

@Suite struct LifespanBuilderTests {
    typealias Record = LifespanDocument.Record

    static func facts(_ compared: String, deprecated: Bool = false, type: String? = "string") -> InputFacts {
        InputFacts(type: type, defaultValue: compared, compared: compared, deprecated: deprecated, fieldPaths: [], file: "variables.tf")
    }

    /// A document covering 1.0.0…1.1.0 and snapshots up to 1.3.0.
    static func fixture() -> (LifespanDocument, [ModuleVersion], [ModuleVersion: InputSnapshot]) {
        let doc = LifespanDocument(firstTag: "v1.0.0", lastTag: "v1.1.0", tagCount: 2, scopes: [
            .root: [
                "kept": Record(firstSeen: "v1.0.0", lastSeen: "v1.1.0", presentInLatest: true, defaultOrTypeChanges: [
                    .init(tag: "v1.1.0", from: "1", to: "2"),
                ]),
                "gone": Record(firstSeen: "v1.0.0", lastSeen: "v1.0.0", presentInLatest: false, defaultOrTypeChanges: []),
            ],
        ])
        let versions = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"].map { ModuleVersion($0)! }
        let snapshots: [ModuleVersion: InputSnapshot] = [
            versions[0]: [.root: ["kept": facts("1"), "gone": facts("x")]],
            versions[1]: [.root: ["kept": facts("2")]],
            versions[2]: [.root: ["kept": facts("3", deprecated: true), "new": facts("n")]],
            versions[3]: [.root: ["new": facts("n", type: "bool")]],
        ]
        return (doc, versions, snapshots)
    }

    @Test func extendsTheDocumentWithNewerReleases() {
        let (doc, versions, snapshots) = Self.fixture()
        let result = LifespanBuilder.build(document: doc, releases: versions, snapshots: snapshots)
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        let root = Dictionary(uniqueKeysWithValues: (result.lifespans[.root] ?? []).map { ($0.name, $0) })

        let kept = root["kept"]
        #expect(kept?.first == .v("1.0.0") && kept?.last == .v("1.2.0"))
        #expect(kept?.changes == [InputChange(release: .v("1.1.0"), from: "1", to: "2"), InputChange(release: .v("1.2.0"), from: "2", to: "3")])
        #expect(kept?.removedIn == .v("1.3.0") && kept?.inLatest == false)
        #expect(kept?.deprecatedIn == .v("1.2.0"))
        #expect(kept?.defaultValue == "3")

        #expect(root["gone"]?.removedIn == .v("1.1.0"))
        let new = root["new"]
        #expect(new?.first == .v("1.2.0") && new?.last == .v("1.3.0") && new?.inLatest == true && new?.type == "bool")
    }

    @Test func reportsDisagreementsWithTheDocument() {
        var (doc, versions, snapshots) = Self.fixture()
        snapshots[versions[1]]?[.root]?["stray"] = Self.facts("s")
        snapshots[versions[1]]?[.root]?["kept"] = Self.facts("22")
        doc.tagCount = 5
        let warnings = LifespanBuilder.build(document: doc, releases: versions, snapshots: snapshots).warnings
        #expect(warnings.contains { $0.contains("root at 1.1.0: scanner disagrees") && $0.contains("extra [\"stray\"]") })
        #expect(warnings.contains { $0.contains("root.kept at 1.1.0: compared text differs") })
        #expect(warnings.contains { $0.contains("scanned 5 tags") })
    }

    @Test func renameBuilderComputesReleasesAndChecksFacts() {
        let (doc, versions, snapshots) = Self.fixture()
        let lifespans = LifespanBuilder.build(document: doc, releases: versions, snapshots: snapshots).lifespans
        let facts: [KnownFacts.RenameFact] = [
            .init(.root, "gone", "kept", "note"),
            .init(.root, "kept", "new", "note"),
            .init(.root, "new", nil, "still there, not deprecated"),
            .init(.root, "gone", "missing", "bad replacement"),
            .init(.root, "never", nil, "unknown"),
        ]
        let result = RenameBuilder.build(facts: facts, lifespans: lifespans, releases: versions, snapshots: snapshots,
                                         changelogLines: [.v("1.1.0"): 7], changelogTag: "v1.3.0")
        let first = result.renames.first
        #expect(first?.old == "gone" && first?.lastRelease == .v("1.0.0") && first?.removedIn == .v("1.1.0"))
        #expect(first?.evidence == ["v1.0.0:variables.tf", "v1.3.0:CHANGELOG.md:7"])
        #expect(result.renames.contains { $0.old == "kept" && $0.removedIn == .v("1.3.0") && $0.deprecatedIn == .v("1.2.0") })
        #expect(result.problems.contains("root.new: still in the newest release 1.3.0 and not marked deprecated there; not a rename"))
        #expect(result.problems.contains("root.gone: replacement `missing` does not exist at 1.1.0"))
        #expect(result.problems.contains("root.never: not an input of that scope in any release"))
    }

    @Test func typeChangesIgnoreLayoutOnly() throws {
        // Layout, comments and separators are gone once the texts are in normal form.
        let one = try #require(TypeText.normalized("object({ a = string, b = number })"))
        let perLine = try #require(TypeText.normalized("object({\n  a = string # the name\n  b = number\n})"))
        let more = try #require(TypeText.normalized("object({\n  a = string\n  b = number\n  c = bool\n})"))
        #expect(perLine == "object({ a = string, b = number })")
        let changes = LifespanBuilder.typeChanges([(.v("1.0.0"), one), (.v("1.1.0"), perLine), (.v("1.2.0"), more)])
        #expect(changes == [InputChange(release: .v("1.2.0"), from: perLine, to: "object({ a = string, b = number, c = bool })")])
    }

    @Test func normalFormReadsBackAsTheSameExpression() throws {
        let texts = [
            #"object({ a = optional(string, "x\"y${"$"}{z}"), b = optional(list(object({ Name = string, Values = list(string) })), [{ Name = "state", Values = ["available"] }]) })"#,
            "tuple([string, number, bool])",
            "map(any)",
            #"optional(number, -1.5)"#,
            "object({ \"quoted key\" = string, n = optional(number, 30) })",
            "<<EOT\nline one\n  \"two\" ${x}\nEOT\n",
        ]
        for text in texts {
            let once = try #require(TypeText.normalized(text), "\(text)")
            #expect(!once.contains("\n"), "\(once)")
            #expect(TypeText.normalized(once) == once, "\(text) → \(once)")
        }
        #expect(TypeText.normalized("<<EOT\nline one\nEOT\n") == #""line one\n""#)
        #expect(TypeText.normalized("object({ a = string b = number })") == nil)
    }

    @Test func changelogSectionsAreFound() {
        let text = "# Changelog\n\n## [5.0.0](https://x) (2024-01-01)\n\n### Bug Fixes\n\n### [4.7.0](https://y)\n"
        #expect(RenameBuilder.changelogSections(text) == [.v("5.0.0"): 3, .v("4.7.0"): 7])
    }
}

@Suite struct FingerprintBuilderTests {
    @Test func groupsReleasesByTextAndDerivesForms() {
        let v3 = "#!/bin/bash\n%{ if metadata_tags == \"enabled\" }\nimds\n%{ endif }\n./config.sh $${config}\n"
        let v4 = "#!/bin/bash\n./run.sh --jitconfig $${config}\n"
        let wrapper = "#!/bin/bash -e\n${start_runner}\n"
        let releases: [(version: ModuleVersion, files: [String: String])] = [
            (.v("1.0.0"), ["modules/runners/templates/start-runner.sh": v3, "images/start-runner.sh": wrapper, "README.md": "x"]),
            (.v("1.0.1"), ["modules/runners/templates/start-runner.sh": v3 + "\n\n", "images/start-runner.sh": wrapper]),
            (.v("2.0.0"), ["modules/runners/templates/start-runner.sh": v4, "images/start-runner.sh": wrapper]),
        ]
        let defect = KnownFacts.DefectFact(file: "modules/runners/templates/start-runner.sh", releases: [.v("2.0.0")], description: "broken")
        let result = FingerprintBuilder.build(releases: releases, defects: [defect])
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        let script = result.entries.filter { $0.file == "modules/runners/templates/start-runner.sh" }
        let templates = script.filter { $0.form == .template }
        #expect(templates.map(\.releases) == [[.v("1.0.0"), .v("1.0.1")], [.v("2.0.0")]], "blank lines do not split a text")
        #expect(templates.map(\.contract) == [.tokenOnly, .jitOnly])
        #expect(Set(script.filter { $0.form == .rendered }.compactMap(\.render)) == ["metadata_tags=enabled", "metadata_tags=disabled"])
        let packer = result.entries.filter { $0.form == .packer }
        #expect(packer.count == 2 && packer.allSatisfy { $0.file == "images/start-runner.sh" && $0.os == "linux" })
        #expect(packer.last?.contract == .jitOnly && packer.last?.defects == ["broken"])
        #expect(!result.entries.contains { $0.file == "README.md" })
        // The rendered 2.0.0 script (`$${` unescaped) is a distinct, defective text.
        let renderedV4 = TemplateRenderer.render(v4, variables: [:])!
        #expect(result.entries.first { $0.sha256 == ScriptFingerprint.sha256(of: renderedV4) }?.defects == ["broken"])
    }

    @Test func bootPathSelection() {
        #expect(FingerprintBuilder.isBootPathFile("modules/runners/templates/user-data.ps1"))
        #expect(FingerprintBuilder.isBootPathFile("images/install-runner.sh"))
        #expect(FingerprintBuilder.isBootPathFile("examples/ubuntu/templates/user-data.sh"))
        #expect(!FingerprintBuilder.isBootPathFile("images/windows-core-2022/bootstrap_win.ps1"))
        #expect(!FingerprintBuilder.isBootPathFile(".ci/build.sh"))
        #expect(!FingerprintBuilder.isBootPathFile("modules/runners/templates/cloudwatch_config.json"))
    }
}
