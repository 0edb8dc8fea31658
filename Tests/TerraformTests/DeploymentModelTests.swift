import AuditCore
import Documents
import HCL
import Knowledge
import Terraform
import Testing

/// Parses every file of an in-memory repository the way the engine does.
func workspace(_ files: [String: String]) -> Workspace {
    var parsed: [String: WorkspaceFile] = [:]
    for (path, text) in files {
        guard let kind = FileKind.byName(path) ?? (FileKind.isTemplateName(path) ? .bash : nil) else { continue }
        parsed[path] = WorkspaceFile.parse(SourceFile(path: path, text: text), kind: kind, isTemplate: FileKind.isTemplateName(path))
    }
    return Workspace(files: parsed, fileSystem: MemoryFileSystem(files))
}

func model(_ files: [String: String], inputs: RootInputs = RootInputs()) throws -> DeploymentModel {
    DeploymentModelBuilder(workspace: workspace(files), knowledge: try KnowledgeBase.load(), rootInputs: inputs).build()
}

@Suite("Module sources")
struct ModuleSourceTests {
    @Test(arguments: [
        ("philips-labs/github-runner/aws", "philips-labs", RunnerModuleKind.root, nil as String?),
        ("github-aws-runners/github-runner/aws//modules/multi-runner", "github-aws-runners", .multiRunner, nil),
        ("registry.terraform.io/philips-labs/github-runner/aws//modules/runners", "philips-labs", .runners, nil),
        ("git::https://github.com/philips-labs/terraform-aws-github-runner.git//modules/download-lambda?ref=v4.0.1", "philips-labs", .downloadLambda, "v4.0.1"),
        ("github.com/github-aws-runners/terraform-aws-github-runner?ref=e66835bb4f4b", "github-aws-runners", .root, "e66835bb4f4b"),
        ("git@github.com:philips-labs/terraform-aws-github-runner.git?ref=v3.6.1", "philips-labs", .root, "v3.6.1"),
    ])
    func runnerModuleSources(_ text: String, _ org: String, _ kind: RunnerModuleKind, _ ref: String?) {
        let s = ModuleSource(text)
        #expect(s.runnerModuleOrganisation == org)
        #expect(s.kind == kind)
        #expect(s.gitRef == ref)
    }

    @Test func otherSources() {
        #expect(ModuleSource("terraform-aws-modules/vpc/aws").runnerModuleOrganisation == nil)
        #expect(ModuleSource("./modules/runners").localPath == "./modules/runners")
        #expect(ModuleSource("philips-labs/github-runners/aws").usesPluralRegistryName)
        #expect(ModuleSource("s3::https://bucket/module.zip").runnerModuleOrganisation == nil)
    }
}

@Suite("Deployment model")
struct DeploymentModelTests {
    @Test func versionFromEachSourceForm() throws {
        let m = try model([
            "main.tf": """
            module "pinned" {
              source  = "philips-labs/github-runner/aws"
              version = "4.0.1"
            }
            module "ranged" {
              source  = "philips-labs/github-runner/aws"
              version = "~> 4.0"
            }
            module "tag" {
              source = "git::https://github.com/philips-labs/terraform-aws-github-runner.git?ref=v3.6.1"
            }
            module "sha" {
              source = "github.com/philips-labs/terraform-aws-github-runner?ref=e66835bb4f4b"
            }
            module "branch" {
              source = "git::https://github.com/philips-labs/terraform-aws-github-runner.git?ref=main"
            }
            module "installed" {
              source  = "philips-labs/github-runner/aws"
              version = ">= 3.0"
            }
            """,
            ".terraform/modules/modules.json": #"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"installed","Source":"registry.terraform.io/philips-labs/github-runner/aws","Version":"3.6.1","Dir":".terraform/modules/installed"}]}"#,
        ])
        let versions = Dictionary(uniqueKeysWithValues: m.calls.map { ($0.call.name, $0.version?.description) })
        #expect(versions["pinned"] == "4.0.1")
        #expect(versions["ranged"] == "4.7.0", "newest 4.x")
        #expect(versions["tag"] == "3.6.1")
        #expect(versions["sha"] == "4.0.1", "e66835bb4f4b is the v4.0.1 tag commit")
        #expect(versions["branch"] == .some(nil))
        #expect(versions["installed"] == "3.6.1", "modules.json wins over the constraint")
    }

    @Test func forEachInstancesAreFleets() throws {
        let m = try model(["main.tf": """
            locals {
              fleets = {
                linux   = { os = "linux", ephemeral = true }
                windows = { os = "windows", ephemeral = false }
              }
            }
            module "runners" {
              for_each                 = local.fleets
              source                   = "philips-labs/github-runner/aws"
              version                  = "4.1.0"
              prefix                   = each.key
              runner_os                = each.value.os
              enable_ephemeral_runners = each.value.ephemeral
            }
            """])
        let fleets = m.fleets.map(\.fleet)
        #expect(fleets.map(\.name) == [#"module.runners["linux"]"#, #"module.runners["windows"]"#])
        #expect(fleets[1].inputs["runner_os"]?.value.stringValue == "windows")
        #expect(fleets[0].inputs["enable_ephemeral_runners"]?.value.boolValue == true)
        // Values keep where they were written: inside the locals.
        #expect(fleets[1].inputs["runner_os"]?.valueRange.start.line == 4)
    }

    @Test func yamlFleetsPointIntoTheYAML() throws {
        let m = try model([
            "main.tf": """
            module "multi" {
              source              = "philips-labs/github-runner/aws//modules/multi-runner"
              version             = "4.1.0"
              multi_runner_config = { for f in fileset("${path.module}/configs", "*.yaml") : trimsuffix(f, ".yaml") => yamldecode(file("${path.module}/configs/${f}")) }
            }
            """,
            "configs/a.yaml": "runner_config:\n  runner_os: linux\n  enable_ephemeral_runners: true\n",
            "configs/b.yaml": "runner_config:\n  runner_os: windows\n",
        ])
        let fleets = m.fleets.map(\.fleet)
        #expect(fleets.map(\.configKey) == ["a", "b"])
        let eph = try #require(fleets[0].inputs["enable_ephemeral_runners"])
        #expect(eph.valueRange.path == "configs/a.yaml" && eph.valueRange.start.line == 3 && eph.valueRange.start.column == 29)
        #expect(eph.nameRange?.start.column == 3)
        guard case .yamlMapping = fleets[0].container else { Issue.record("container should be the YAML mapping"); return }
    }

    @Test func tfvarsPrecedence() throws {
        let files = [
            "main.tf": """
            variable "os" { default = "linux" }
            module "r" {
              source    = "philips-labs/github-runner/aws"
              version   = "4.1.0"
              runner_os = var.os
            }
            """,
            "terraform.tfvars": "os = \"from-tfvars\"\n",
            "b.auto.tfvars": "os = \"from-b-auto\"\n",
            "a.auto.tfvars": "os = \"from-a-auto\"\n",
        ]
        func os(_ inputs: RootInputs) throws -> String? {
            try model(files, inputs: inputs).fleets.first?.fleet.inputs["runner_os"]?.value.stringValue
        }
        #expect(try os(RootInputs()) == "from-b-auto", "auto files in lexical order, after terraform.tfvars")
        #expect(try os(RootInputs(environment: ["TF_VAR_os": "from-env"])) == "from-b-auto", "files win over the environment")
        let varFile = HCLParser.parse(SourceFile(path: "prod.tfvars", text: "os = \"from-var-file\"\n"))
        #expect(try os(RootInputs(varFiles: [varFile])) == "from-var-file")
        #expect(try os(RootInputs(varFiles: [varFile], vars: [("os", "from-cli")])) == "from-cli")
        var noFiles = files
        noFiles["terraform.tfvars"] = nil; noFiles["a.auto.tfvars"] = nil; noFiles["b.auto.tfvars"] = nil
        #expect(try model(noFiles, inputs: RootInputs(environment: ["TF_VAR_os": "from-env"])).fleets.first?.fleet.inputs["runner_os"]?.value.stringValue == "from-env")
        #expect(try model(noFiles).fleets.first?.fleet.inputs["runner_os"]?.value.stringValue == "linux")
    }

    @Test func wrapperModulesAreFollowedAndValuesKeepTheirOrigin() throws {
        let m = try model([
            "modules/wrap/main.tf": """
            variable "ghes" { default = null }
            module "inner" {
              source   = "philips-labs/github-runner/aws"
              version  = "4.1.0"
              ghes_url = var.ghes
            }
            """,
            "live/main.tf": """
            module "wrap" {
              source = "../modules/wrap"
              ghes   = "https://ghes.example.com"
            }
            """,
        ])
        #expect(m.roots == ["live"])
        let call = try #require(m.calls.first)
        #expect(call.address == "module.wrap.module.inner")
        let ghes = try #require(call.fleets.first?.inputs["ghes_url"])
        #expect(ghes.value.stringValue == "https://ghes.example.com")
        #expect(ghes.valueRange.path == "live/main.tf")
        #expect(call.callers.count == 1)
    }

    /// A `count` far beyond the 64 instances followed (or below zero) is clamped, not converted to
    /// an integer first (that trapped on `1e300`).
    @Test func hugeCountsAreClampedNotFatal() throws {
        func fleets(_ count: String) throws -> Int {
            let m = try model(["main.tf": """
                module "r" {
                  count   = \(count)
                  source  = "philips-labs/github-runner/aws"
                  version = "4.1.0"
                }
                """])
            return try #require(m.calls.first).fleets.count
        }
        #expect(try fleets("64") == 64)
        #expect(try fleets("1e300") == 64)
        #expect(try fleets("12345678901234567890123") == 64)
        #expect(try fleets("-1e300") == fleets("0"))
        #expect(try fleets("2.5") == 2)
    }

    @Test func unknownValuesStayUnknown() throws {
        let m = try model(["main.tf": """
            data "aws_ssm_parameter" "flag" { name = "/x" }
            module "r" {
              source                   = "philips-labs/github-runner/aws"
              version                  = "4.1.0"
              enable_ephemeral_runners = data.aws_ssm_parameter.flag.value == "true"
            }
            """])
        let v = try #require(m.fleets.first?.fleet.inputs["enable_ephemeral_runners"]?.value)
        #expect(v.isUnknown)
    }

    @Test func vendoredCopyVersionFromChangelogAndSubmodule() throws {
        let base: [String: String] = [
            "vendor/ghr/main.tf": "variable \"x\" {}\n",
            "vendor/ghr/modules/runners/main.tf": "variable \"sqs_build_queue\" {}\n",
            "vendor/ghr/modules/multi-runner/main.tf": "variable \"y\" {}\n",
            "main.tf": "module \"r\" {\n  source = \"./vendor/ghr\"\n}\n",
        ]
        var withChangelog = base
        withChangelog["vendor/ghr/CHANGELOG.md"] = "# Changelog\n\n## [5.4.0](https://example.invalid/compare) (2024-01-01)\n"
        #expect(try model(withChangelog).calls.first?.version?.description == "5.4.0")
        #expect(try model(withChangelog).vendoredRoots.keys.sorted() == ["vendor/ghr"])

        var submodule = base
        submodule[".gitmodules"] = "[submodule \"ghr\"]\n\tpath = vendor/ghr\n\turl = https://github.com/philips-labs/terraform-aws-github-runner.git\n"
        submodule[".git/modules/ghr/HEAD"] = "e66835bb4f4b449a1a5367e4d79725849ec97b38\n"
        #expect(try model(submodule).calls.first?.version?.description == "4.0.1")
        // Three made-up variables are no release's inputs: no release is assumed.
        let bare = try model(base)
        #expect(bare.calls.first?.version == nil)
        #expect(bare.calls.first?.evidence.how.contains("its inputs match none closely") == true, "\(bare.calls.first?.evidence.how ?? "")")
    }

    /// A copy of the module's files at `release`: the root's and `modules/runners`' variables
    /// exactly as the knowledge base records them (without CHANGELOG or submodule).
    static func copy(of release: ModuleVersion, kb: KnowledgeBase, adding extra: [String] = [], removing gone: Set<String> = []) -> [String: String] {
        func variables(_ scope: InputScope) -> String {
            (kb.inputs(scope: scope, at: release).subtracting(gone).sorted() + (scope == .root ? extra : []))
                .map { "variable \"\($0)\" {}\n" }.joined()
        }
        return [
            "vendor/ghr/variables.tf": variables(.root),
            "vendor/ghr/modules/runners/variables.tf": variables(.runners),
            "main.tf": "module \"r\" {\n  source = \"./vendor/ghr\"\n}\n",
        ]
    }

    @Test func vendoredCopyWithoutChangelogIsNamedByItsInputs() throws {
        let kb = try KnowledgeBase.load()
        let release = ModuleVersion(5, 2, 0)
        let m = try model(Self.copy(of: release, kb: kb))
        let call = try #require(m.calls.first)
        let found = try #require(call.version)
        // Releases with the same inputs cannot be told apart; the oldest of them is assumed.
        func same(_ v: ModuleVersion) -> Bool {
            [InputScope.root, .runners].allSatisfy { kb.inputs(scope: $0, at: v) == kb.inputs(scope: $0, at: release) }
        }
        #expect(same(found) && found <= release, "\(found)")
        #expect(!kb.releases.map(\.version).contains { $0 < found && same($0) }, "the oldest indistinguishable release")
        #expect(call.evidence.how.contains("its inputs match release"), "\(call.evidence.how)")
        #expect(call.evidence.how.contains("\(found) is assumed") || call.evidence.how.contains("the oldest, \(found), is assumed"), "\(call.evidence.how)")

        // One input added and one gone: the nearest release, with the differences named.
        let dropped = try #require(kb.inputs(scope: .root, at: release).sorted().first)
        let near = try model(Self.copy(of: release, kb: kb, adding: ["our_own_input"], removing: [dropped]))
        let nearCall = try #require(near.calls.first)
        #expect(nearCall.version.map(same) == true, "\(String(describing: nearCall.version))")
        #expect(nearCall.evidence.how.contains("match no release exactly; nearest release"), "\(nearCall.evidence.how)")
        #expect(nearCall.evidence.how.contains("declares `our_own_input` that"), "\(nearCall.evidence.how)")
        #expect(nearCall.evidence.how.contains("lacks `\(dropped)`"), "\(nearCall.evidence.how)")
    }

    @Test func vendoredCopiesOfDifferentReleasesAreToldApart() throws {
        let kb = try KnowledgeBase.load()
        for release in [ModuleVersion(3, 6, 1), ModuleVersion(4, 7, 0), ModuleVersion(6, 0, 0), ModuleVersion(7, 11, 0)] {
            let found = try #require(try model(Self.copy(of: release, kb: kb)).calls.first?.version, "\(release)")
            #expect(found.major == release.major && kb.inputs(scope: .root, at: found) == kb.inputs(scope: .root, at: release), "\(release): \(found)")
        }
    }
}
