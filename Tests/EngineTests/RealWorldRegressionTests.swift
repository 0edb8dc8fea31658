import AuditCore
import Engine
import Foundation
import Knowledge
import Rules
import Testing

/// Regressions found by running ghr-audit on the module's own releases and on public
/// repositories that deploy it. Every case is a small hand-written repository.
@Suite("Real-world regressions")
struct RealWorldRegressionTests {
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    static func audit(_ files: [String: String], target: String = "latest") throws -> AuditResult {
        let selection = try #require(TargetSelection(target))
        return Auditor(knowledge: knowledge).audit(fileSystem: MemoryFileSystem(files), options: AuditOptions(target: selection))
    }

    static func describe(_ findings: [Finding]) -> [String] {
        findings.map { "\($0.ruleId) \($0.location.path):\($0.location.start.line): \($0.message)" }
    }

    // MARK: The module's own repository

    /// A skeleton of the module's repository layout: the root module, the submodules the root calls,
    /// a release-please changelog, and `examples/` that call the root with `source = "../../"`.
    static func moduleRepository(release: String, extra: [String: String] = [:]) -> [String: String] {
        var files: [String: String] = [
            "CHANGELOG.md": "# Changelog\n\n## [\(release)](https://example.invalid/compare) (2024-01-01)\n\n* a change\n",
            "main.tf": """
            module "runners" {
              source = "./modules/runners"
              enable_ephemeral_runners = var.enable_ephemeral_runners
            }
            """,
            "variables.tf": """
            variable "enable_ephemeral_runners" {
              type    = bool
              default = false
            }
            """,
            "modules/runners/main.tf": "resource \"null_resource\" \"runner\" {}\n",
            "modules/runners/variables.tf": "variable \"sqs_build_queue\" {}\n",
            "modules/multi-runner/main.tf": "resource \"null_resource\" \"multi\" {}\n",
            "examples/ephemeral/main.tf": """
            module "runners" {
              source                   = "../../"
              github_app               = { id = "1", key_base64 = "a2V5", webhook_secret = "s" }
              enable_ephemeral_runners = true
            }
            """,
        ]
        files.merge(extra) { _, new in new }
        return files
    }

    @Test("the examples of the module's own repository are audited as callers of the copy at the root")
    func moduleRepositoryExamplesAreCallers() throws {
        let result = try Self.audit(Self.moduleRepository(release: "4.1.0"), target: "pinned")
        let summary = try #require(result.report.modules.first { $0.path.hasPrefix("examples/ephemeral/") })
        #expect(summary.version == "4.1.0")
        let fleet = try #require(summary.fleets.first)
        #expect(fleet.ephemeral == true)
        #expect(fleet.jit == true)
        // The module's own scripts at its own release handle JIT configs: nothing to say.
        let jit = result.report.findings.filter { $0.tags.contains("jit") }
        #expect(jit.isEmpty, "\(Self.describe(jit))")
        // The module's internal calls (`./modules/runners` from the root) are not user code.
        #expect(!result.report.modules.contains { $0.path.hasPrefix("main.tf") })
    }

    @Test("the examples of a copy vendored below the scan root stay part of the copy")
    func nestedVendoredExamplesAreNotAudited() throws {
        var files: [String: String] = [:]
        for (path, text) in Self.moduleRepository(release: "4.1.0") { files["vendor/ghr/" + path] = text }
        files["main.tf"] = """
        module "runners" {
          source                   = "./vendor/ghr"
          enable_ephemeral_runners = true
        }
        """
        let result = try Self.audit(files, target: "pinned")
        #expect(result.report.modules.map(\.path) == ["main.tf:module.runners"])
        #expect(result.report.modules.first?.version == "4.1.0")
    }
}

// MARK: What counts as a copy of the module

extension RealWorldRegressionTests {
    @Test("a repository that copied only the module's `modules/` folder keeps its own code")
    func copiedSubmodulesFolderIsNotTheWholeRepository() throws {
        let files: [String: String] = [
            "modules/runners/variables.tf": "variable \"sqs_build_queue\" {}\n",
            "modules/multi-runner/main.tf": "resource \"null_resource\" \"multi\" {}\n",
            "modules/download-lambda/main.tf": "variable \"lambdas\" {}\n",
            "deploy/lambdas.tf": "module \"lambdas\" {\n  source  = \"../modules/download-lambda\"\n  lambdas = []\n}\n",
            "deploy/main.tf": """
            module "runners" {
              source                   = "github-aws-runners/github-runner/aws"
              version                  = "6.1.0"
              enable_ephemeral_runners = true
            }
            """,
        ]
        let result = try Self.audit(files, target: "pinned")
        #expect(result.report.modules.map(\.path) == ["deploy/lambdas.tf:module.lambdas", "deploy/main.tf:module.runners"])
        #expect(result.report.modules.last?.fleets.first?.jit == true)
        let unknown = result.report.findings.filter { $0.ruleId == "CORE-004" }.map(\.message)
        #expect(unknown.count == 1 && unknown[0].hasPrefix("version could not be determined for module `module.lambdas`: vendored copy in `modules` whose release could not be read: "), "\(unknown)")
        #expect(unknown.first?.contains("its inputs match none closely") == true, "says why: \(unknown)")
    }

    @Test("a user's own wrapper in `modules/runners` is not mistaken for a copy of the module")
    func userWrapperNamedRunners() throws {
        let files: [String: String] = [
            "main.tf": """
            module "ci" {
              source    = "./modules/runners"
              ephemeral = true
            }
            """,
            "modules/runners/main.tf": """
            variable "ephemeral" { type = bool }
            module "runner" {
              source                   = "github-aws-runners/github-runner/aws"
              version                  = "6.1.0"
              enable_ephemeral_runners = var.ephemeral
            }
            """,
            "modules/multi-runner/main.tf": "resource \"null_resource\" \"other\" {}\n",
        ]
        let result = try Self.audit(files, target: "pinned")
        let summary = try #require(result.report.modules.first)
        #expect(result.report.modules.count == 1)
        #expect(summary.path == "modules/runners/main.tf:module.ci.module.runner")
        #expect(summary.fleets.first?.ephemeral == true)
    }
}

// MARK: Git submodules

extension RealWorldRegressionTests {
    @Test("a call into a git submodule of the module that is not checked out is still a runner module call")
    func uncheckedOutSubmodule() throws {
        let files: [String: String] = [
            ".gitmodules": """
            [submodule "vendor/ghr"]
            \tpath = vendor/ghr
            \turl = https://github.com/github-aws-runners/terraform-aws-github-runner.git
            """,
            "infra/main.tf": """
            module "runners" {
              source = "../vendor/ghr/modules/multi-runner"
              multi_runner_config = {
                linux = {
                  matcherConfig = { labelMatchers = [["self-hosted"]] }
                  runner_config = { runner_os = "linux", enable_ephemeral_runners = true }
                }
              }
            }
            """,
        ]
        let result = try Self.audit(files)
        let summary = try #require(result.report.modules.first)
        #expect(summary.kind == "multi-runner")
        #expect(summary.version == nil)
        #expect(summary.fleets.map(\.name) == ["module.runners[\"linux\"]"])
        #expect(summary.fleets.first?.jit == true)
        let unknown = result.report.findings.filter { $0.ruleId == "CORE-004" }.map(\.message)
        #expect(unknown == ["version could not be determined for module `module.runners`: git submodule `vendor/ghr` is not checked out (`git submodule update --init` fetches it)"])
    }

    @Test("a submodule of another repository is not a runner module")
    func otherSubmoduleIsIgnored() throws {
        let files: [String: String] = [
            ".gitmodules": "[submodule \"x\"]\n\tpath = vendor/x\n\turl = https://github.com/example/x.git\n",
            "main.tf": "module \"x\" {\n  source = \"./vendor/x\"\n}\n",
        ]
        let result = try Self.audit(files)
        #expect(result.report.modules.isEmpty)
    }
}

// MARK: Variable types

extension RealWorldRegressionTests {
    @Test("optional attributes of a wrapper's object variable are filled in, so the fleet is read")
    func optionalAttributesOfWrapperVariables() throws {
        let files: [String: String] = [
            "main.tf": """
            module "ci" {
              source = "./runner"
              runner = { labels = ["ci"] }
            }
            """,
            "runner/main.tf": """
            variable "runner" {
              type = object({
                labels    = list(string)
                ephemeral = optional(bool, true)
                jit       = optional(bool)
              })
              default = {}
            }
            module "runners" {
              source                   = "github-aws-runners/github-runner/aws"
              version                  = "6.1.0"
              enable_ephemeral_runners = var.runner.ephemeral
              enable_jit_config        = var.runner.jit
            }
            """,
        ]
        let result = try Self.audit(files, target: "pinned")
        let unreadable = result.report.findings.filter { $0.ruleId == "CORE-003" }
        #expect(unreadable.isEmpty, "\(Self.describe(unreadable))")
        let fleet = try #require(result.model.fleets.first?.fleet)
        #expect(fleet.input("enable_ephemeral_runners")?.value == .bool(true))
        // The value was written as the default inside the type.
        let origin = try #require(fleet.input("enable_ephemeral_runners")?.valueRange)
        #expect(origin.path == "runner/main.tf" && origin.start.line == 4 && origin.start.column == 32, "\(origin)")
        #expect(result.report.modules.first?.fleets.first?.jit == true)
    }
}

// MARK: Packer templates split over several files

extension RealWorldRegressionTests {
    static let tokenOnlyBoot = """
    #!/bin/bash -e
    id=$(curl -sf http://169.254.169.254/latest/meta-data/instance-id)
    path=$(aws ssm get-parameter --name /ci/token_path --query Parameter.Value --output text)
    value=$(aws ssm get-parameter --name "$path/$id" --with-decryption --query Parameter.Value --output text)
    cd /opt/actions-runner
    ./config.sh --unattended --name "ci-$id" $value
    ./run.sh
    """

    /// A template split like `packer build folder/` expects: sources, build and variables apart.
    static func splitTemplate(_ dir: String, amiName: String, script: String) -> [String: String] {
        [
            "\(dir)/variables.pkr.hcl": "variable \"region\" {\n  type    = string\n  default = \"eu-west-1\"\n}\n",
            "\(dir)/sources.pkr.hcl": """
            source "amazon-ebs" "runner" {
              ami_name      = "\(amiName)-${formatdate("YYYYMMDD", timestamp())}"
              instance_type = "t3.medium"
              region        = var.region
              ssh_username  = "ec2-user"
            }
            """,
            "\(dir)/build.pkr.hcl": """
            build {
              sources = ["source.amazon-ebs.runner"]
              provisioner "file" {
                source      = "${path.root}/boot.sh"
                destination = "/tmp/boot.sh"
              }
              provisioner "shell" {
                inline = ["sudo mv /tmp/boot.sh /var/lib/cloud/scripts/per-boot/boot.sh"]
              }
            }
            """,
            "\(dir)/boot.sh": script,
        ]
    }

    @Test("a Packer template split over a folder is one template, matched by the AMI name its sources build")
    func splitPackerTemplates() throws {
        var files: [String: String] = [
            "main.tf": """
            module "runners" {
              source                   = "philips-labs/github-runner/aws"
              version                  = "3.6.1"
              enable_ephemeral_runners = true
              enable_userdata          = false
              ami_filter               = { name = ["ci-gpu-*"], state = ["available"] }
            }
            """,
        ]
        // The GPU image boots a token-only script; the general image is not this fleet's.
        files.merge(Self.splitTemplate("packer/gpu", amiName: "ci-gpu", script: Self.tokenOnlyBoot)) { $1 }
        files.merge(Self.splitTemplate("packer/general", amiName: "ci-general", script: "#!/bin/bash\necho unrelated\n")) { $1 }
        let result = try Self.audit(files, target: "4.1.0")
        #expect(result.report.modules.first?.fleets.first?.bootScript == "ami:packer/gpu")
        let jit = result.report.findings.filter { $0.ruleId == "JIT-101" }
        #expect(jit.map(\.location.path) == ["packer/gpu/boot.sh"])
        #expect(jit.first?.related.contains { $0.message.contains("Packer template `packer/gpu` copies this script") } == true)

        // The same fleet looking for the general image: the GPU script is not on its boot path.
        files["main.tf"] = files["main.tf"]!.replacingOccurrences(of: "ci-gpu-*", with: "ci-general-*")
        let other = try Self.audit(files, target: "4.1.0")
        #expect(other.report.modules.first?.fleets.first?.bootScript == "ami:packer/general")
        #expect(other.report.findings.filter { $0.ruleId == "JIT-101" }.isEmpty)
    }

    @Test("single-file Packer templates that share a folder stay separate templates")
    func singleFilePackerTemplatesInOneFolder() throws {
        let template = { (name: String, script: String) in """
            source "amazon-ebs" "\(name)" {
              ami_name = "ci-\(name)-${timestamp()}"
            }
            build {
              sources = ["source.amazon-ebs.\(name)"]
              provisioner "file" {
                source      = "\(script)"
                destination = "/var/lib/cloud/scripts/per-boot/start.sh"
              }
            }
            """ }
        let files: [String: String] = [
            "main.tf": """
            module "runners" {
              source                   = "philips-labs/github-runner/aws"
              version                  = "3.6.1"
              enable_ephemeral_runners = true
              enable_userdata          = false
              ami_filter               = { name = ["ci-arm-*"] }
            }
            """,
            "packer/arm.pkr.hcl": template("arm", "arm-start.sh"),
            "packer/x86.pkr.hcl": template("x86", "x86-start.sh"),
            "packer/arm-start.sh": "#!/bin/bash\necho unrelated\n",
            "packer/x86-start.sh": Self.tokenOnlyBoot,
        ]
        let result = try Self.audit(files, target: "4.1.0")
        #expect(result.report.modules.first?.fleets.first?.bootScript == "ami:packer/arm.pkr.hcl")
        #expect(result.report.findings.filter { $0.ruleId == "JIT-101" }.isEmpty)
    }
}

// MARK: Variable files

extension RealWorldRegressionTests {
    @Test("`*.auto.tfvars` apply to their own root module only, in lexical order")
    func autoTfvarsStayInTheirFolder() throws {
        let root = { (dir: String) in [
            "\(dir)/main.tf": """
            variable "ephemeral" {
              type    = bool
              default = false
            }
            module "runners" {
              source                   = "github-aws-runners/github-runner/aws"
              version                  = "6.1.0"
              enable_ephemeral_runners = var.ephemeral
            }
            """,
        ] }
        var files = root("prod").merging(root("staging")) { $1 }
        files["prod/a.auto.tfvars"] = "ephemeral = false\n"
        files["prod/b.auto.tfvars"] = "ephemeral = true\n"
        files["staging/nested/c.auto.tfvars"] = "ephemeral = true\n"
        let result = try Self.audit(files, target: "pinned")
        let ephemeral = Dictionary(uniqueKeysWithValues: result.report.modules.map { ($0.path, $0.fleets.first?.ephemeral) })
        #expect(ephemeral == ["prod/main.tf:module.runners": true, "staging/main.tf:module.runners": false])
    }
}

// MARK: Releases the knowledge base does not cover

extension RealWorldRegressionTests {
    @Test("inputs are not judged at a release older than the knowledge base covers")
    func noInputVerdictBeforeTheFirstCoveredRelease() throws {
        let files = [
            "main.tf": """
            module "runners" {
              source        = "philips-labs/github-runner/aws"
              version       = "0.10.0"
              instance_type = "m5.large"
            }
            """,
        ]
        let pinned = try Self.audit(files, target: "pinned")
        #expect(pinned.report.findings.filter { $0.ruleId == "INP-201" }.isEmpty)
        // At a covered release the input is judged (it became `instance_types`).
        let upgraded = try Self.audit(files, target: "4.1.0")
        #expect(upgraded.report.findings.filter { $0.ruleId == "INP-201" }.map(\.message)
            == ["`instance_type` is not an input of the root module at 4.1.0; did you mean `instance_types`?"])
    }
}

// MARK: JSON files that are not strict JSON documents

extension RealWorldRegressionTests {
    @Test("JSON templates, JSONC tool configuration and empty stubs are valid input")
    func jsonFilesOfOtherDialects() throws {
        let files: [String: String] = [
            // A policy rendered with templatefile(): an unquoted interpolation and an if directive.
            "policies/scale-up.json": """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": ["ssm:GetParameter"],
                  "Resource": ${parameter_arns}
            %{ if kms_key_arn != "" ~}
                },
                {
                  "Effect": "Allow",
                  "Action": ["kms:Decrypt"],
                  "Resource": "${kms_key_arn}"
            %{ endif ~}
                }
              ]
            }
            """,
            "lambdas/tsconfig.json": "{\n  // strict mode\n  \"compilerOptions\": { \"strict\": true, },\n}\n",
            ".vscode/extensions.json": "{\n  /* shared */\n  \"recommendations\": [\"hashicorp.terraform\",]\n}\n",
            "lambdas/test/empty-response.json": "",
            // Each is read by the deployment, so each is parsed (a file nothing reaches is not).
            "main.tf": """
            locals {
              policy   = "${path.module}/policies/scale-up.json"
              tsconfig = "${path.module}/lambdas/tsconfig.json"
              vscode   = "${path.module}/.vscode/extensions.json"
              stub     = "${path.module}/lambdas/test/empty-response.json"
            }
            """,
        ]
        let result = try Self.audit(files)
        #expect(result.report.filesByKind["json"] == 4)
        let parse = result.report.findings.filter { $0.tags.contains("parse") }
        #expect(parse.isEmpty, "\(Self.describe(parse))")
    }

    @Test("a strict JSON file the Terraform reads, with a mistake, is still reported, at the mistake")
    func brokenStrictJSONIsReported() throws {
        let result = try Self.audit([
            "config/settings.json": "{\n  \"a\": 1,\n}\n",
            "main.tf": "locals { a = file(\"${path.module}/config/settings.json\") }\n",
        ])
        let parse = result.report.findings.filter { $0.tags.contains("parse") }
        #expect(Self.describe(parse) == ["CORE-001 config/settings.json:2: Trailing comma"])
    }
}
