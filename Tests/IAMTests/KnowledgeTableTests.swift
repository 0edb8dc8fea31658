import AuditCore
import Foundation
import Testing
@testable import IAM
@testable import DevTools
import TestSupport
import Yams

/// The committed table `rules/knowledge/iam-requirements.yaml`.
enum KnowledgeTable {
    static let relativePath = "rules/knowledge/iam-requirements.yaml"

    static var url: URL? { TestPaths.packageRoot.appendingPathComponent(relativePath) }

    static var text: String? { url.flatMap { try? String(contentsOf: $0, encoding: .utf8) } }

    static let loaded: RequiredPermissions? = text.flatMap { try? RequiredPermissions(yaml: $0) }
}

@Suite struct KnowledgeTableTests {
    /// Regenerates the table from the module mirror and compares it with the committed file.
    /// Skips when the mirror is not on this machine.
    @Test(.enabled(if: TestPaths.mirrorPath != nil, "needs the module's git mirror (set GHR_AUDIT_MIRROR); skipped"))
    func committedTableMatchesTheModuleTemplates() throws {
        let mirror = try GitMirror(path: try #require(TestPaths.mirrorPath))
        let yaml = try RequirementExtractor.generateYAML(from: mirror)
        let committed = try #require(KnowledgeTable.text, "\(KnowledgeTable.relativePath) is missing: run `swift run ghr-audit-dev extract-knowledge`")
        if committed != yaml {
            let a = committed.split(separator: "\n", omittingEmptySubsequences: false)
            let b = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            let line = Array(zip(a, b)).firstIndex { $0 != $1 } ?? min(a.count, b.count)
            Issue.record("""
            \(KnowledgeTable.relativePath) is out of date (first difference at line \(line + 1)); \
            run `swift run ghr-audit-dev extract-knowledge`.
            committed: \(line < a.count ? String(a[line]) : "<end>")
            derived:   \(line < b.count ? String(b[line]) : "<end>")
            """)
        }
        // What was derived also loads.
        _ = try RequiredPermissions(yaml: yaml)
    }
}

@Suite struct KnowledgeSpotChecks {
    let table: RequiredPermissions

    init() throws {
        table = try #require(KnowledgeTable.loaded, "\(KnowledgeTable.relativePath) is missing or does not load")
    }

    func find(_ role: ModuleRole, _ version: String, _ action: String, resource: String? = nil,
              features: [String: Bool]? = nil) -> [Requirement] {
        let v = ModuleVersion(version)!
        let all = features.map { table.for(role: role, at: v, features: $0) } ?? table.for(role: role, at: v)
        return all.filter { req in req.action == action && (resource.map { req.resource.contains($0) } ?? true) }
    }

    @Test func releasesCovered() {
        #expect(table.firstRelease == ModuleVersion(3, 0, 0))
        #expect(table.lastRelease >= ModuleVersion(7, 11, 0))
        #expect(table.roles.contains(.runnerInstance) && table.roles.contains(.dispatcher))
        #expect(table.for(role: .scaleUp, at: ModuleVersion(2, 9, 0)).isEmpty)
    }

    @Test func scaleDownDeleteTagsArrivesIn670() throws {
        #expect(find(.scaleDown, "6.6.0", "ec2:DeleteTags").isEmpty)
        let at670 = find(.scaleDown, "6.7.0", "ec2:DeleteTags")
        #expect(!at670.isEmpty)
        let r = try #require(at670.first)
        #expect(r.introduced == ModuleVersion(6, 7, 0))
        #expect(r.citation == "v6.7.0:modules/runners/policies/lambda-scale-down.json")
        #expect(r.need == .degraded)
        // Scale-down only deletes tags on the module's own instances.
        #expect(at670.contains { $0.conditions.contains { $0.key == "ec2:ResourceTag/ghr:Application" && $0.values == ["github-action-runner"] } })
        #expect(!find(.scaleDown, "7.11.0", "ec2:DeleteTags").isEmpty)
    }

    @Test func scaleUpTagsSSMParametersFrom5110() throws {
        #expect(find(.scaleUp, "5.10.4", "ssm:AddTagsToResource").isEmpty)
        for v in ["5.11.0", "6.0.0", "7.11.0"] {
            let r = try #require(find(.scaleUp, v, "ssm:AddTagsToResource").first, "at \(v)")
            #expect(r.introduced == ModuleVersion(5, 11, 0))
            #expect(r.need == .required)
        }
        #expect(find(.pool, "5.11.0", "ssm:AddTagsToResource", features: ["pool": true]).count == 1)
    }

    @Test func runnerTokenConditionFrom5110() throws {
        let before = find(.runnerInstance, "5.10.4", "ssm:GetParameter", resource: "${ssm_tokens_path}")
        #expect(before.map(\.resource) == ["arn:${partition}:ssm:${region}:${account}:parameter${ssm_tokens_path}*"])
        #expect(before.allSatisfy { $0.conditions.isEmpty })
        let after = try #require(find(.runnerInstance, "5.11.0", "ssm:GetParameter", resource: "${ssm_tokens_path}").first)
        #expect(after.resource.hasSuffix("${ssm_tokens_path}/*"))
        #expect(after.conditions == [RequirementCondition(op: "StringLike", key: "ec2:SourceInstanceARN", values: ["*/$${aws:ResourceTag/InstanceId}"])])
        #expect(after.introduced == ModuleVersion(5, 11, 0))
    }

    @Test func jitReadsOfTheConfigPathFrom400() throws {
        #expect(find(.scaleUp, "3.6.1", "ssm:GetParameter", resource: "${ssm_config_path}").isEmpty)
        let scaleUp = try #require(find(.scaleUp, "4.0.1", "ssm:GetParameter", resource: "${ssm_config_path}/*").first)
        #expect(scaleUp.introduced == ModuleVersion(4, 0, 0))
        #expect(scaleUp.need == .degraded)
        #expect(scaleUp.citation == "v4.0.0:modules/runners/policies/lambda-scale-up.json")

        #expect(find(.pool, "3.6.1", "ssm:GetParametersByPath", features: ["pool": true]).isEmpty)
        let pool = find(.pool, "4.0.1", "ssm:GetParametersByPath", features: ["pool": true])
        #expect(Set(pool.map(\.resource)) == ["arn:${partition}:ssm:${region}:${account}:parameter${ssm_config_path}",
                                             "arn:${partition}:ssm:${region}:${account}:parameter${ssm_config_path}/*"])
        #expect(pool.allSatisfy { $0.introduced == ModuleVersion(4, 0, 0) && $0.features == ["pool"] })
        // Without a pool there is no pool lambda.
        #expect(find(.pool, "4.0.1", "ssm:GetParametersByPath", features: [:]).isEmpty)
        // JIT added nothing to the runner instance role.
        #expect(Set(table.for(role: .runnerInstance, at: ModuleVersion(3, 6, 1)).map(\.action))
                == Set(table.for(role: .runnerInstance, at: ModuleVersion(4, 0, 1)).map(\.action)))
    }

    @Test func eventBridgeWebhookAndDispatcher() throws {
        // 5.21.0: EventBridge exists but is off by default.
        #expect(find(.webhook, "5.21.0", "events:PutEvents", features: [:]).isEmpty)
        #expect(!find(.webhook, "5.21.0", "sqs:SendMessage", features: [:]).isEmpty)
        let opted = try #require(find(.webhook, "5.21.0", "events:PutEvents", features: ["eventbridge": true]).first)
        #expect(opted.introduced == ModuleVersion(5, 18, 0))
        #expect(opted.resource == "arn:${partition}:events:${region}:${account}:event-bus/${event_bus_name}")
        // 6.0.0: on by default.
        #expect(table.feature("eventbridge")?.defaultValue(at: ModuleVersion(6, 0, 0)) == true)
        #expect(table.feature("eventbridge")?.defaultValue(at: ModuleVersion(5, 21, 0)) == false)
        #expect(find(.webhook, "6.0.0", "events:PutEvents", features: [:]).count == 1)
        #expect(find(.webhook, "6.0.0", "sqs:SendMessage", features: [:]).isEmpty)
        #expect(!find(.webhook, "6.0.0", "sqs:SendMessage", features: ["eventbridge": false]).isEmpty)
        // The dispatcher needs the queues and the matcher configuration.
        #expect(!find(.dispatcher, "6.0.0", "sqs:SendMessage", features: [:]).isEmpty)
        #expect(!find(.dispatcher, "6.0.0", "ssm:GetParameter", resource: "runner-matcher-config", features: [:]).isEmpty)
        #expect(find(.dispatcher, "6.0.0", "sqs:SendMessage", features: ["eventbridge": false]).isEmpty)
        // Before 5.18 neither exists.
        #expect(find(.webhook, "5.17.3", "events:PutEvents", features: ["eventbridge": true]).isEmpty)
        #expect(table.for(role: .dispatcher, at: ModuleVersion(5, 17, 3)).isEmpty)
    }

    @Test func runnerCreateTagsFrom670AndScaleUpTerminateFrom770() throws {
        #expect(find(.runnerInstance, "6.6.2", "ec2:CreateTags").isEmpty)
        let tag = try #require(find(.runnerInstance, "6.7.0", "ec2:CreateTags").first)
        #expect(tag.introduced == ModuleVersion(6, 7, 0))
        #expect(tag.resource == "arn:*:ec2:*:*:instance/*")
        #expect(tag.conditions.contains { $0.op == "ForAllValues:StringEquals" && $0.values == ["ghr:github_runner_id"] })

        #expect(find(.scaleUp, "7.6.1", "ec2:TerminateInstances").isEmpty)
        let terminate = find(.scaleUp, "7.7.0", "ec2:TerminateInstances")
        #expect(terminate.count == 2)
        #expect(terminate.allSatisfy { $0.introduced == ModuleVersion(7, 7, 0) && $0.need == .degraded })
    }

    @Test func runnerInstanceRoleAtEveryRelease() {
        let releases = ["3.0.0", "3.6.1", "4.0.0", "4.0.1", "4.7.0", "5.0.0", "5.11.0", "5.21.0", "6.0.0", "6.7.0", "6.10.1", "7.0.0", "7.7.0", "7.11.0"]
        for v in releases {
            let actions = Set(table.for(role: .runnerInstance, at: ModuleVersion(v)!, features: [:]).map(\.action))
            #expect(actions.isSuperset(of: ["ec2:DescribeTags", "ssm:GetParameter", "ssm:DeleteParameter", "ssm:GetParametersByPath", "ec2:TerminateInstances"]), "at \(v)")
            // The binaries syncer and the CloudWatch agent are on by default.
            #expect(actions.contains("s3:GetObject") && actions.contains("logs:PutLogEvents"), "at \(v)")
        }
        #expect(!table.for(role: .runnerInstance, at: ModuleVersion(7, 11, 0), features: ["binaries-syncer": false])
            .contains { $0.action == "s3:GetObject" })
    }

    @Test func everyCitationPointsAtTheReleaseThatIntroducedIt() {
        for role in table.roles {
            for v in [ModuleVersion(4, 0, 1), ModuleVersion(6, 0, 0), ModuleVersion(7, 11, 0)] {
                for r in table.for(role: role, at: v) {
                    #expect(r.citation.hasPrefix("v\(r.introduced):"), "\(role) \(r.action) \(r.citation)")
                    #expect(r.introduced <= v)
                    #expect(r.why?.isEmpty == false)
                }
            }
        }
    }
}

/// The table is read field by field from the composed YAML (not through `YAMLDecoder`): it gives
/// what a Codable decoding of the same file gives, and names what is wrong where it is.
@Suite struct KnowledgeTableReading {
    struct Mirror: Decodable {
        struct Role: Decodable { var id: String; var description: String; var ranges: [Range] }
        struct Range: Decodable { var from: String; var through: String; var permissions: [Permission] }
        struct Permission: Decodable {
            var action: String, resource: String, need: Need, since: String, cite: String
            var when: [String]?, conditions: [RequirementCondition]?, why: String?
        }
        var placeholders: [String: String]
        var features: [ModuleFeature]
        var roles: [Role]
    }

    @Test func readsWhatTheCodableDecodingReads() throws {
        let text = try #require(KnowledgeTable.text, "\(KnowledgeTable.relativePath) is missing")
        let table = try RequiredPermissions(yaml: text)
        let mirror = try YAMLDecoder().decode(Mirror.self, from: text)
        #expect(table.placeholders == mirror.placeholders)
        #expect(table.features == mirror.features)
        #expect(table.roles == mirror.roles.map { ModuleRole($0.id) }.sorted())
        var compared = 0
        for role in mirror.roles {
            #expect(table.description(of: ModuleRole(role.id)) == role.description)
            for range in role.ranges {
                let expected = range.permissions.map { p in
                    Requirement(role: ModuleRole(role.id), action: p.action, resource: p.resource, need: p.need,
                                introduced: ModuleVersion(p.since)!, features: p.when ?? [], conditions: p.conditions ?? [],
                                why: p.why, citation: p.cite)
                }
                #expect(table.for(role: ModuleRole(role.id), at: ModuleVersion(range.from)!) == expected, "\(role.id) from \(range.from)")
                compared += expected.count
            }
        }
        #expect(compared > 500)   // 689 when written
    }

    @Test func aMissingOrWrongFieldIsNamedWithItsLine() {
        let good = """
        schema: 1
        releases: {first: "3.0.0", last: "7.11.0"}
        placeholders: {account: "the account"}
        features:
          - {id: "kms", input: "kms_key_arn", description: "a key", defaults: [{from: "3.0.0", value: false}]}
        roles:
          - id: "webhook"
            description: "the webhook"
            ranges:
              - from: "3.0.0"
                through: "7.11.0"
                permissions:
                  - {action: "sqs:SendMessage", resource: "*", need: required, since: "3.0.0", cite: "c", when: ["kms"]}
        """
        #expect(throws: Never.self) { try RequiredPermissions(yaml: good) }
        for (broken, says) in [(good.replacingOccurrences(of: ", cite: \"c\"", with: ""), "missing key `cite`"),
                               (good.replacingOccurrences(of: "need: required", with: "need: maybe"), "`need` is `maybe`"),
                               (good.replacingOccurrences(of: "value: false", with: "value: perhaps"), "expected true or false"),
                               (good.replacingOccurrences(of: "when: [\"kms\"]", with: "when: [\"nope\"]"), "unknown feature `nope`")] {
            do {
                _ = try RequiredPermissions(yaml: broken)
                Issue.record("accepted: \(says)")
            } catch {
                #expect("\(error)".contains(says), "\(error)")
                if !says.hasPrefix("unknown") { #expect("\(error)".contains("line "), "\(error)") }
            }
        }
    }
}
