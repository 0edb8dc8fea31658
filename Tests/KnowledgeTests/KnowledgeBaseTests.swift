import AuditCore
import Foundation
import Testing
@testable import Knowledge
@testable import DevTools

@Suite struct KnowledgeBaseTests {
    @Test func embeddedKnowledgeLoadsWithoutProblems() throws {
        let kb = try TestEnvironment.knowledge()
        #expect(kb.problems.isEmpty, "\(kb.problems.map(\.description))")
        #expect(!kb.rules.isEmpty)
        #expect(!kb.scriptFingerprints.isEmpty)
    }

    // MARK: Releases

    @Test func releasesAreSortedStableReleasesFromV3() throws {
        let kb = try TestEnvironment.knowledge()
        let versions = kb.releases.map(\.version)
        #expect(versions == versions.sorted())
        #expect(Set(versions).count == versions.count)
        #expect(kb.releases.first?.version == .v("3.0.0"))
        #expect(kb.releases.allSatisfy { $0.version.prerelease == nil && $0.tag == "v\($0.version)" })
        #expect(kb.releases.allSatisfy { $0.commit.count == 40 && $0.date.hasSuffix("Z") })
        // Key releases of the module-facts table are all there.
        for key in ["3.6.1", "4.0.0", "4.0.1", "4.7.0", "5.0.0", "5.16.3", "5.21.0", "6.0.0", "6.10.1", "7.0.0"] {
            #expect(kb.release(version: .v(key)) != nil, "missing release \(key)")
        }
        #expect(kb.release(version: .v("4.0.3")) == nil)
        #expect(kb.latest.version >= .v("7.11.0"))
        #expect(kb.release(after: .v("4.7.0"))?.version == .v("5.0.0"))
        #expect(kb.release(after: kb.latest.version) == nil)
    }

    @Test func commitPrefixResolvesToARelease() throws {
        let kb = try TestEnvironment.knowledge()
        let r = try #require(kb.release(version: .v("4.0.1")))
        #expect(kb.release(commitPrefix: r.commit)?.version == r.version)
        #expect(kb.release(commitPrefix: String(r.commit.prefix(7)))?.version == r.version)
        #expect(kb.release(commitPrefix: String(r.commit.prefix(12)).uppercased())?.version == r.version)
        #expect(kb.release(commitPrefix: String(r.commit.prefix(6))) == nil, "six hex digits are too short")
        #expect(kb.release(commitPrefix: "v4.0.1") == nil)
        #expect(kb.release(commitPrefix: "zzzzzzzz") == nil)
        #expect(kb.release(commitPrefix: "0000000000") == nil)
        #expect(kb.release(commitPrefix: r.commit + "0") == nil, "longer than a SHA")
    }

    @Test(.enabled(if: TestEnvironment.mirrorPath != nil, Needs.mirror))
    func releaseCommitsMatchTheMirror() throws {
        let kb = try TestEnvironment.knowledge()
        let mirror = try #require(TestEnvironment.mirror())
        let sample = ["v3.6.1", "v4.0.0", "v4.0.1", "v5.16.3", "v7.0.0", kb.latest.tag]
        let commits = try mirror.peeledCommits(sample)
        for (tag, commit) in zip(sample, commits) {
            #expect(kb.release(version: ModuleVersion(tag)!)?.commit == commit, "\(tag)")
        }
    }

    @Test(arguments: [
        ("~> 5.2", "5.21.0"),
        ("~> 5.2.1", "5.2.1"),
        ("~> 4.0", "4.7.0"),
        ("~> 6", "6.10.1"),
        (">= 3.0, < 4.0.0", "3.6.1"),
        (">= 4.0.0, < 4.1.0", "4.0.2"),
        ("4.0.1", "4.0.1"),
        ("= 4.0.0", "4.0.0"),
        ("!= 7.11.0, < 7.12", "7.10.2"),
        ("< 3.0.1", "3.0.0"),
    ])
    func resolvesToNewestMatchingRelease(constraint: String, expected: String) throws {
        let kb = try TestEnvironment.knowledge()
        let c = try #require(VersionConstraint(constraint))
        #expect(kb.resolve(c) == .v(expected))
    }

    @Test func unsatisfiableConstraintResolvesToNil() throws {
        let kb = try TestEnvironment.knowledge()
        #expect(kb.resolve(VersionConstraint("> 99.0")!) == nil)
        #expect(kb.resolve(VersionConstraint("4.0.3")!) == nil)
        #expect(kb.resolve(VersionConstraint("~> 2.0")!) == nil)
    }

    // MARK: Inputs

    @Test func jitSwitchArrivesIn401NotIn400() throws {
        let kb = try TestEnvironment.knowledge()
        for scope in [InputScope.root, .runners, .runnerConfig] {
            #expect(!kb.inputs(scope: scope, at: .v("4.0.0")).contains("enable_jit_config"), "\(scope) at 4.0.0")
            #expect(kb.inputs(scope: scope, at: .v("4.0.1")).contains("enable_jit_config"), "\(scope) at 4.0.1")
            #expect(kb.inputs(scope: scope, at: kb.latest.version).contains("enable_jit_config"), "\(scope) latest")
        }
        let span = try #require(kb.lifespan(scope: .root, name: "enable_jit_config"))
        #expect(span.first == .v("4.0.1"))
        #expect(span.inLatest && span.removedIn == nil)
        #expect(span.type == "bool")
        #expect(span.defaultValue == "null")
    }

    @Test func deprecatedInputsDisappearInTheirMajor() throws {
        let kb = try TestEnvironment.knowledge()
        #expect(kb.inputs(scope: .root, at: .v("4.7.0")).contains("enabled_userdata"))
        #expect(!kb.inputs(scope: .root, at: .v("5.0.0")).contains("enabled_userdata"))
        #expect(kb.inputs(scope: .root, at: .v("6.10.1")).contains("ami_filter"))
        #expect(!kb.inputs(scope: .root, at: .v("7.0.0")).contains("ami_filter"))
        #expect(kb.inputs(scope: .runnerConfig, at: .v("6.10.1")).contains("ami_filter"))
        #expect(!kb.inputs(scope: .runnerConfig, at: .v("7.0.0")).contains("ami_filter"))
        #expect(kb.inputs(scope: .multiRunnerConfig, at: .v("5.21.0")).contains("fifo"))
        #expect(!kb.inputs(scope: .multiRunnerConfig, at: .v("6.0.0")).contains("fifo"))
        #expect(kb.inputs(scope: .runners, at: .v("3.6.1")).contains("runner_extra_labels"))
        #expect(kb.inputs(scope: .runners, at: .v("4.0.0")).contains("runner_labels"))
        #expect(!kb.inputs(scope: .runners, at: .v("4.0.0")).contains("runner_extra_labels"))

        let amiFilter = try #require(kb.lifespan(scope: .root, name: "ami_filter"))
        #expect(amiFilter.last == .v("6.10.1"))
        #expect(amiFilter.removedIn == .v("7.0.0"))
        #expect(amiFilter.deprecatedIn == .v("6.5.0"))
        #expect(!amiFilter.inLatest)
    }

    @Test func inputCountsMatchTheModuleFacts() throws {
        let kb = try TestEnvironment.knowledge()
        // module-facts §2.2: the root module had 109 variables at v3.6.1 and v4.0.0, one more at v4.0.1.
        #expect(kb.inputs(scope: .root, at: .v("3.6.1")).count == 109)
        #expect(kb.inputs(scope: .root, at: .v("4.0.0")).count == 109)
        #expect(kb.inputs(scope: .root, at: .v("4.0.1")).count == 110)
        // multi_runner_config entries: runner_config, matcherConfig, fifo, redrive_build_queue.
        #expect(kb.inputs(scope: .multiRunnerConfig, at: .v("3.6.1")) == ["runner_config", "matcherConfig", "fifo", "redrive_build_queue"])
    }

    @Test func versionsOutsideTheCoveredRangeClamp() throws {
        let kb = try TestEnvironment.knowledge()
        #expect(kb.inputs(scope: .root, at: .v("2.5.0")) == kb.inputs(scope: .root, at: .v("3.0.0")))
        #expect(kb.inputs(scope: .root, at: .v("99.0.0")) == kb.inputs(scope: .root, at: kb.latest.version))
        // Between two releases: like its neighbours (4.0.3 does not exist).
        #expect(kb.inputs(scope: .root, at: .v("4.0.3")) == kb.inputs(scope: .root, at: .v("4.0.2")))
    }

    @Test func changesRecordDefaultAndTypeHistory() throws {
        let kb = try TestEnvironment.knowledge()
        let labels = try #require(kb.lifespan(scope: .root, name: "runner_extra_labels"))
        #expect(labels.changes == [InputChange(release: .v("5.0.0"), from: "\"\"", to: "[]")])
        #expect(labels.comparedText(at: .v("4.7.0")) == "\"\"")
        #expect(labels.comparedText(at: .v("5.0.0")) == "[]")
        #expect(labels.type == "list(string)")

        let fieldLabels = try #require(kb.lifespan(scope: .runnerConfig, name: "runner_extra_labels"))
        #expect(fieldLabels.comparedText(at: .v("4.7.0")) == "string")
        #expect(fieldLabels.comparedText(at: .v("5.0.0")) == "optional(list(string), [])")

        // A required variable has no default to compare; its type history is recorded instead.
        let runnerLabels = try #require(kb.lifespan(scope: .runners, name: "runner_labels"))
        #expect(runnerLabels.changes.isEmpty)
        #expect(runnerLabels.typeChanges == [InputChange(release: .v("5.0.0"), from: "string", to: "list(string)")])
        #expect(runnerLabels.typeText(at: .v("4.7.0")) == "string")
        #expect(runnerLabels.typeText(at: kb.latest.version) == "list(string)")
        #expect(kb.lifespan(scope: .root, name: "enable_jit_config")?.typeChanges.isEmpty == true)

        let runtime = try #require(kb.lifespan(scope: .multiRunner, name: "lambda_runtime"))
        #expect(runtime.comparedText(at: .v("5.8.0")) == "\"nodejs18.x\"")
        #expect(runtime.comparedText(at: .v("6.0.0")) == "\"nodejs22.x\"")
        #expect(runtime.comparedText(at: .v("7.0.0")) == "\"nodejs24.x\"")
        #expect(kb.lifespan(scope: .root, name: "no_such_input") == nil)
    }

    @Test(.enabled(if: TestEnvironment.shared != nil, Needs.shared))
    func inputsAgreeWithTheLifespansDataSet() throws {
        let kb = try TestEnvironment.knowledge()
        let url = try #require(TestEnvironment.shared).appendingPathComponent("data/variable-lifespans.json")
        let document = try LifespanDocument(json: Data(contentsOf: url))
        for scope in InputScope.allCases {
            let records = try #require(document.scopes[scope])
            for (name, record) in records {
                let span = try #require(kb.lifespan(scope: scope, name: name), "\(scope).\(name)")
                #expect(span.first == ModuleVersion(record.firstSeen), "\(scope).\(name)")
                // Only releases newer than the data set may extend a lifespan.
                if ModuleVersion(record.lastSeen)! < ModuleVersion(document.lastTag)! {
                    #expect(span.last == ModuleVersion(record.lastSeen), "\(scope).\(name)")
                }
                #expect(span.changes.count >= record.defaultOrTypeChanges.count)
            }
        }
    }

    // MARK: Renames

    @Test func renamesNameTheReplacementAndTheRemovalRelease() throws {
        let kb = try TestEnvironment.knowledge()
        let ssm = try #require(kb.rename(scope: .root, old: "ami_id_ssm_parameter_name"))
        #expect(ssm.replacement == "ami.id_ssm_parameter_arn")
        #expect(ssm.removedIn == .v("7.0.0"))
        #expect(ssm.lastRelease == .v("6.10.1"))
        #expect(ssm.deprecatedIn == .v("6.5.0"))
        #expect(ssm.note.contains("ARN"))

        let userdata = try #require(kb.rename(scope: .root, old: "enabled_userdata"))
        #expect(userdata.replacement == "enable_userdata")
        #expect(userdata.removedIn == .v("5.0.0"))

        let tracing = try #require(kb.rename(scope: .multiRunner, old: "lambda_tracing_mode"))
        #expect(tracing.removedIn == .v("5.4.0"), "multi-runner dropped it before the root module")
        #expect(kb.rename(scope: .root, old: "lambda_tracing_mode")?.removedIn == .v("6.0.0"))

        #expect(kb.rename(scope: .matcherConfig, old: "ec2DynamicLabelsPolicy")?.removedIn == .v("7.10.1"))
        #expect(kb.rename(scope: .multiRunnerConfig, old: "fifo")?.replacement == nil)
        #expect(kb.rename(scope: .runners, old: "runner_extra_labels")?.removedIn == .v("4.0.0"))
        #expect(kb.rename(scope: .root, old: "instance_termination_watcher.enable_metric")?.removedIn == .v("6.0.0"))

        // Deprecated but still accepted.
        let checkAll = try #require(kb.rename(scope: .root, old: "enable_runner_workflow_job_labels_check_all"))
        #expect(checkAll.removedIn == nil)
        #expect(checkAll.deprecatedIn == .v("7.9.0"))

        for scope in InputScope.allCases {
            let list = kb.renames(scope: scope)
            let never = ModuleVersion(Int.max, 0, 0)
            #expect(list.map { $0.removedIn ?? never } == list.map { $0.removedIn ?? never }.sorted())
            for r in list {
                #expect(!r.evidence.isEmpty, "\(scope).\(r.old) has no evidence")
                if let removed = r.removedIn { #expect(kb.release(after: r.lastRelease)?.version == removed) }
            }
        }
    }

    // MARK: Rules

    @Test func ruleLookupAndDescriptors() throws {
        let kb = try TestEnvironment.knowledge()
        let core = try #require(kb.rule(id: "CORE-001"))
        #expect(core.severity == .error)
        #expect(core.tags == [.parse])
        #expect(kb.rule(id: "CORE-999") == nil)
        #expect(kb.rules.map(\.id) == kb.rules.map(\.id).sorted())
        let descriptor = try #require(kb.descriptors.first { $0.id == "CORE-004" })
        #expect(descriptor.helpURI == "https://github.com/ghr-audit/ghr-audit/blob/main/docs/rules/CORE-004.md")
        #expect(descriptor.severity == .warning)
        #expect(descriptor.tags == ["version"])
        #expect(descriptor.help.contains("Pin the module"))
        #expect(kb.descriptors.count == kb.rules.count)
    }

    @Test func suggestionFindsNearMissesDeterministically() throws {
        let kb = try TestEnvironment.knowledge()
        let names = kb.inputs(scope: .root, at: kb.latest.version)
        #expect(kb.suggestion(for: "enable_jit_confg", among: names) == "enable_jit_config")
        #expect(kb.suggestion(for: "enable_ephemeral_runner", among: names) == "enable_ephemeral_runners")
        #expect(kb.suggestion(for: "enable_jit_config", among: names) == nil, "an exact name needs no suggestion")
        #expect(kb.suggestion(for: "completely_different", among: names) == nil)
        #expect(KnowledgeBase.suggestion(for: "Prefix", among: ["prefix", "prefiy"]) == "prefix", "case-only wins the tie")
        #expect(KnowledgeBase.suggestion(for: "abcd", among: ["abce", "abcf"]) == "abce")
        #expect(KnowledgeBase.suggestion(for: "abcd", among: ["abcf", "abce"]) == "abce", "independent of order")
    }

    @Test func loadingRejectsBrokenDataAndDuplicateIds() throws {
        var files = EmbeddedData.files
        files["knowledge/releases.yaml"] = "releases: [{version: 1}]"
        #expect(throws: KnowledgeBaseError.self) { try KnowledgeBase.load(files: files) }

        files = EmbeddedData.files
        files.removeValue(forKey: "knowledge/inputs.yaml")
        do {
            _ = try KnowledgeBase.load(files: files)
            Issue.record("loaded without inputs.yaml")
        } catch let error as KnowledgeBaseError {
            #expect(error.problems.contains { $0.path == "rules/knowledge/inputs.yaml" && $0.message.contains("missing") })
        }

        files = EmbeddedData.files
        files["other/CORE-001.yaml"] = EmbeddedData.files["core/CORE-001.yaml"]!
        do {
            _ = try KnowledgeBase.load(files: files)
            Issue.record("loaded with a duplicate id")
        } catch let error as KnowledgeBaseError {
            #expect(error.problems.contains { $0.message.contains("`CORE-001` is already used") })
        }

        // A lesser problem loads, and is reported.
        files = EmbeddedData.files
        files["core/CORE-001.yaml"] = EmbeddedData.files["core/CORE-001.yaml"]! + "severty: error\n"
        let kb = try KnowledgeBase.load(files: files)
        #expect(kb.problems.contains { $0.message.contains("unknown key `severty`") })
        #expect(kb.rule(id: "CORE-001") != nil)
    }

    @Test func deprecatedAliasFindsTheRule() throws {
        var files = EmbeddedData.files
        files["core/CORE-004.yaml"] = EmbeddedData.files["core/CORE-004.yaml"]!.replacingOccurrences(
            of: "tags: [version]", with: "tags: [version]\ndeprecated_aliases: [CORE-090]")
        let kb = try KnowledgeBase.load(files: files)
        #expect(kb.rule(id: "CORE-090")?.id == "CORE-004")
        #expect(kb.rule(id: "CORE-004")?.deprecatedAliases == ["CORE-090"])
    }
}

/// `ghr-audit version` reads the newest release without decoding the knowledge base; it must
/// name the release the full load names.
@Suite struct LatestEmbeddedVersionTests {
    @Test func agreesWithTheFullLoad() throws {
        let full = try KnowledgeBase.load().latest.version
        #expect(try KnowledgeBase.latestEmbeddedVersion() == full)
        let text = try #require(EmbeddedData.files[KnowledgeFiles.releasesPath])
        #expect(KnowledgeFiles.newestListedVersion(in: text) == full, "releases.yaml no longer has the one-line shape: `version` decodes YAML again")
    }

    @Test func linesOfAnotherShapeLeaveItToTheYAMLDecoder() {
        let flow = "# comment\nreleases:\n  - {version: \"4.0.0\", tag: \"v4.0.0\"}\n  - {version: \"10.1.0\", tag: \"v10.1.0\"}\n  - {version: \"9.9.9\", tag: \"v9.9.9\"}\n"
        #expect(KnowledgeFiles.newestListedVersion(in: flow) == ModuleVersion(10, 1, 0))
        #expect(KnowledgeFiles.newestListedVersion(in: "releases:\n  - version: \"4.0.0\"\n    tag: v4.0.0\n") == nil)
        #expect(KnowledgeFiles.newestListedVersion(in: "releases:\n  - {version: \"4.0\", tag: \"v4.0\"}\n") == nil)
        #expect(KnowledgeFiles.newestListedVersion(in: "releases: []\n") == nil)
        #expect(KnowledgeFiles.newestListedVersion(in: "") == nil)
    }
}
