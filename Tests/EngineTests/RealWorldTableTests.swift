import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Testing

/// Mistakes found while auditing public repositories that deploy the module (docs/real-world.md).
/// Every case is a small repository written for the test, not a copy of the repository that showed
/// the mistake. Each test asserts what a careful engineer expects; where ghr-audit is wrong today the
/// assertion sits in `withKnownIssue`, so the suite stays green, and it fails as soon as the mistake
/// is fixed (then drop the `withKnownIssue`).
@Suite("Real-world table")
struct RealWorldTableTests {
    static func audit(_ files: [String: String], target: String = "latest") throws -> AuditResult {
        try RealWorldRegressionTests.audit(files, target: target)
    }

    static func describe(_ findings: [Finding]) -> [String] {
        RealWorldRegressionTests.describe(findings)
    }

    /// A runner module call at a 7.x release that draws no finding at the newest release, so a test
    /// sees only what its other files cause.
    static func quietRunnerCall(extra: String = "") -> String {
        """
        module "runners" {
          source                                 = "github-aws-runners/github-runner/aws"
          version                                = "7.2.0"
          lambda_event_source_mapping_batch_size = 1
        \(extra)}
        """
    }

    /// A runner module call and a `download-lambda` call in a folder of their own, as most
    /// repositories that download the lambdas lay them out.
    static func lambdaPins(module: String, version: String, tag: String, extra: String = "") -> [String: String] {
        [
            "main.tf": """
            module "runners" {
              source             = "\(module)"
              version            = "\(version)"
              runners_lambda_zip = "lambdas/runners.zip"
            \(extra)}
            """,
            "lambdas/main.tf": """
            module "lambdas" {
              source  = "\(module)//modules/download-lambda"
              version = "\(version)"
              lambdas = [{ name = "runners", tag = "\(tag)" }, { name = "webhook", tag = "\(tag)" }]
            }
            """,
        ]
    }
}

// MARK: A. Lambda pins that move with the module are an upgrade step, not an error

extension RealWorldTableTests {
    /// Seen on 10 of the 20 repositories (compiler-explorer/ce-ci, vllm-project/ci-infra,
    /// CMSgov/cdap, tx-pts-dai/terraform-aws-ec2-actions-runners, ...): the lambdas are downloaded
    /// at the module's own release, and an audit at a newer target reports an error per lambda.
    @Test("lambdas downloaded at the module's own release are a note at a newer target")
    func lockstepLambdaPinsAreANote() throws {
        let files = Self.lambdaPins(
            module: "github-aws-runners/github-runner/aws", version: "6.2.0", tag: "v6.2.0",
            extra: "  lambda_event_source_mapping_batch_size = 1\n")
        let result = try Self.audit(files, target: "7.11.0")
        let pins = result.report.findings.filter { $0.location.path == "lambdas/main.tf" }
        #expect(!pins.isEmpty, "the coupled pin should still be named as an upgrade step")
        #expect(pins.allSatisfy { $0.severity == .note }, "\(Self.describe(pins))")
    }

    /// seemethere/runners-example, garasubo/github-action-test, ns4plabs/tf-aws-gh-runner: v3 and
    /// older deployments whose lambdas match the module; the fleets are persistent, so no JIT
    /// config is involved, yet the error says one side writes tokens and the other JIT configs.
    @Test("a lockstep lambda pin on a persistent fleet across 4.0.0 is not a JIT error")
    func lockstepAcrossJitForPersistentFleet() throws {
        let files = Self.lambdaPins(module: "philips-labs/github-runner/aws", version: "3.6.1", tag: "v3.6.1")
        let result = try Self.audit(files, target: "4.1.0")
        #expect(result.report.modules.first { $0.kind == "root" }?.fleets.first?.ephemeral == false)
        let jitErrors = result.report.findings.filter { $0.severity == .error && $0.tags.contains("jit") }
        #expect(jitErrors.isEmpty, "\(Self.describe(jitErrors))")
    }

    /// perftool-incubator/crucible-ci-runners (lambdas v7.4.0, module 7.6.0) and
    /// nf-core/actions-runners (lambdas v4.4.1, module 5.4.2): the lambdas drift from the module,
    /// but both releases hand out JIT configs the same way.
    @Test("lambdas of another release on the same side of every contract change are a warning")
    func driftWithoutContractChangeIsAWarning() throws {
        var files = Self.lambdaPins(module: "github-aws-runners/github-runner/aws", version: "7.6.0", tag: "v7.4.0")
        files["main.tf"] = """
        module "runners" {
          source                   = "github-aws-runners/github-runner/aws"
          version                  = "7.6.0"
          enable_ephemeral_runners = true
        }
        """
        let result = try Self.audit(files, target: "pinned")
        let pins = result.report.findings.filter { $0.location.path == "lambdas/main.tf" }
        #expect(!pins.isEmpty, "the drift itself is worth a finding")
        #expect(pins.allSatisfy { $0.severity == .warning && !$0.tags.contains("jit") }, "\(Self.describe(pins))")
    }
}

// MARK: B. No silent pass when the fleets come from a value the audit cannot know

extension RealWorldTableTests {
    /// QLI-UpstreamCI/terraform-aws-runners-infra: a wrapper passes `multi_runner_config` straight
    /// from a variable without a default; the summary lists the call with no fleet and says nothing.
    @Test("a multi-runner call whose config is an unset variable says why it has no fleet")
    func unknownFleetMapIsNamed() throws {
        let files: [String: String] = [
            "main.tf": """
            variable "fleets" {
              type = any
            }
            module "ci" {
              source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
              version             = "6.5.0"
              multi_runner_config = var.fleets
            }
            """,
        ]
        let result = try Self.audit(files, target: "pinned")
        let summary = try #require(result.report.modules.first)
        #expect(summary.kind == "multi-runner")
        #expect(summary.fleets.isEmpty)
        let explained = result.report.findings.filter {
            $0.severity >= .warning && ($0.message.contains("var.fleets") || $0.message.contains("multi_runner_config"))
        }
        #expect(!explained.isEmpty, "\(Self.describe(result.report.findings))")
    }
}

// MARK: C. A deployment kept inside a vendored copy of the module

extension RealWorldTableTests {
    /// YAwasom/project: the module was copied to a folder and the environment that deploys it lives
    /// in a subfolder of that copy (`source = "../"`). Nothing at all is audited.
    @Test("an environment folder inside a vendored copy is user code that calls the copy")
    func deploymentInsideVendoredCopy() throws {
        let files: [String: String] = [
            "infra/ghr/main.tf": """
            module "runners" {
              source = "./modules/runners"
            }
            module "webhook" {
              source = "./modules/webhook"
            }
            variable "enable_ephemeral_runners" {
              type    = bool
              default = false
            }
            """,
            "infra/ghr/modules/runners/variables.tf": "variable \"sqs_build_queue\" {}\n",
            "infra/ghr/modules/webhook/variables.tf": "variable \"webhook\" {}\n",
            "infra/ghr/prod/main.tf": """
            module "runners" {
              source                   = "../"
              enable_ephemeral_runners = true
            }
            """,
        ]
        let result = try Self.audit(files, target: "4.1.0")
        let call = result.report.modules.first { $0.path == "infra/ghr/prod/main.tf:module.runners" }
        #expect(call?.fleets.first?.ephemeral == true, "\(result.report.modules.map(\.path))")
        // The copy itself is still not user code.
        #expect(!result.report.modules.contains { $0.path.hasPrefix("infra/ghr/main.tf") }, "\(result.report.modules.map(\.path))")
    }
}

// MARK: D. The aws provider the module needed before 5.6.1

extension RealWorldTableTests {
    /// garasubo/github-action-test pins the aws provider `~> 4.0`; from 3.5.0 to 5.5.x the module
    /// requires `~> 5.2` (and `~> 5.27.0` in 5.6.0; module-facts §2.1), so `terraform init` fails
    /// at 4.1.0.
    @Test("an aws provider pin below 5.2 is reported at a 4.x target")
    func providerBelowFiveTwoAtFourX() throws {
        let files: [String: String] = [
            "main.tf": """
            terraform {
              required_providers {
                aws = {
                  source  = "hashicorp/aws"
                  version = "~> 4.0"
                }
              }
            }
            module "runners" {
              source  = "philips-labs/github-runner/aws"
              version = "3.6.1"
            }
            """,
        ]
        let result = try Self.audit(files, target: "4.1.0")
        let provider = result.report.findings.filter { $0.ruleId == "VER-206" }
        #expect(provider.count == 1, "\(Self.describe(result.report.findings))")
        #expect(provider.first?.message.contains("excludes the `~> 5.2` that module 4.1.0 requires") == true)
        // 3.6.1 already asks for `~> 5.2`: the checklist files it under the current major.
        #expect(provider.first?.changedIn == ModuleVersion(3, 6, 1))
    }
}

// MARK: J. Provider constraints that overlap the module's

extension RealWorldTableTests {
    /// Getdzidon/philips-labs-runner pins the aws provider `~> 5.77`; module 4.1.0 asks for `~> 5.2`.
    /// Both allow 5.77 and above below 6.0, so `terraform init` succeeds; VER-206 said the
    /// constraint excluded the requirement (it tried only 5.2 to 5.62 against the user's side).
    @Test("a provider pin inside the module's range is not reported")
    func providerPinInsideTheModulesRange() throws {
        func files(_ pin: String) -> [String: String] {
            ["main.tf": """
            terraform {
              required_providers {
                aws = { source = "hashicorp/aws", version = "\(pin)" }
              }
            }
            module "runners" {
              source  = "philips-labs/github-runner/aws"
              version = "3.6.1"
            }
            """]
        }
        for pin in ["~> 5.77", "~> 5.99.0", ">= 5.60, < 5.90", "5.9.0"] {
            let result = try Self.audit(files(pin), target: "4.1.0")
            #expect(!result.report.findings.contains { $0.ruleId == "VER-206" }, "\(pin): \(Self.describe(result.report.findings))")
        }
        // The control: outside the range on either side.
        for pin in ["~> 4.67", ">= 6.0"] {
            let result = try Self.audit(files(pin), target: "4.1.0")
            #expect(result.report.findings.filter { $0.ruleId == "VER-206" }.count == 1, "\(pin): \(Self.describe(result.report.findings))")
        }
    }
}

// MARK: E. Inputs set per instance of a `for_each` module call

extension RealWorldTableTests {
    /// ns4plabs/tf-aws-gh-runner: one root module call per fleet with `for_each`, the labels come
    /// from `each.value` as comma strings; from 5.0.0 Terraform rejects them.
    @Test("string labels set through each.value are reported at 5.x")
    func stringLabelsThroughEachValue() throws {
        let files: [String: String] = [
            "main.tf": """
            locals {
              fleets = {
                small = { labels = "small" }
                big   = { labels = "big,heavy" }
              }
            }
            module "ci" {
              for_each            = local.fleets
              source              = "philips-labs/github-runner/aws"
              version             = "3.6.1"
              prefix              = each.key
              runner_extra_labels = each.value.labels
            }
            """,
        ]
        let result = try Self.audit(files, target: "5.21.0")
        #expect(result.report.modules.first?.fleets.count == 2)
        let labels = result.report.findings.filter { $0.ruleId == "INP-202" }
        // One per instance, at the string each instance gets.
        #expect(labels.count == 2, "\(Self.describe(result.report.findings))")
        #expect(Set(labels.map(\.message)).count == 2, "\(Self.describe(labels))")
        #expect(labels.allSatisfy { $0.location.path == "main.tf" && $0.location.start.line <= 4 }, "\(Self.describe(labels))")
    }

    /// The same argument written as a plain local is found today: the control for the case above.
    @Test("string labels from a local are reported at 5.x")
    func stringLabelsThroughLocal() throws {
        let files: [String: String] = [
            "main.tf": """
            locals { labels = "small" }
            module "ci" {
              source              = "philips-labs/github-runner/aws"
              version             = "3.6.1"
              runner_extra_labels = local.labels
            }
            """,
        ]
        let result = try Self.audit(files, target: "5.21.0")
        #expect(result.report.findings.map(\.ruleId) == ["INP-202"], "\(Self.describe(result.report.findings))")
    }
}

// MARK: F. Files of other tools

extension RealWorldTableTests {
    /// kent8192/reinhardt keeps Cargo.toml templates (`.tpl`) for its project generator; the ones
    /// that start with `[package]` are read as JSON and each gives two errors.
    @Test("a TOML template that starts with a table header is not parsed as JSON")
    func tomlTemplateIsNotJson() throws {
        let files: [String: String] = [
            "main.tf": Self.quietRunnerCall(),
            "templates/app.toml.tpl": "[server]\nname = \"{{ name }}\"\nport = 8080\n",
        ]
        let result = try Self.audit(files)
        #expect(!result.report.findings.contains { $0.location.path == "main.tf" }, "\(Self.describe(result.report.findings))")
        let parse = result.report.findings.filter { $0.location.path == "templates/app.toml.tpl" }
        #expect(parse.isEmpty, "\(Self.describe(parse))")
        // Nothing of the deployment reaches it: counted, not read.
        #expect(result.report.filesNotReached["template"] == 1)
    }
}

// MARK: G. Runners registered outside the module

extension RealWorldTableTests {
    /// kent8192/reinhardt runs one always-on runner from an instance of its own (user data calls
    /// `config.sh --labels ...`) next to the module's fleet; workflows that ask for that runner's
    /// label get GHA-208 although the label is served.
    @Test("a label registered by a runner the repository starts itself is not reported as unserved")
    func labelServedByOwnRunner() throws {
        let files: [String: String] = [
            "main.tf": Self.quietRunnerCall(extra: "  runner_extra_labels = [\"ci\"]\n") + """

            resource "aws_instance" "always_on" {
              ami           = "ami-123"
              instance_type = "t4g.micro"
              user_data     = file("${path.module}/always-on.sh")
            }
            """,
            "always-on.sh": """
            #!/bin/bash
            cd /opt/actions-runner
            ./config.sh --url https://github.com/example/repo --token "$TOKEN" --labels "self-hosted,linux,x64,always-on" --unattended
            ./svc.sh install && ./svc.sh start
            """,
            ".github/workflows/ci.yml": """
            on: push
            jobs:
              small:
                runs-on: [self-hosted, linux, x64, always-on]
                steps:
                  - run: echo small
              build:
                runs-on: [self-hosted, linux, x64, ci]
                steps:
                  - run: echo build
            """,
        ]
        let result = try Self.audit(files)
        let unserved = result.report.findings.filter { $0.ruleId == "GHA-208" }
        // The module's own fleet serves `build`.
        #expect(!unserved.contains { $0.message.contains("`build`") }, "\(Self.describe(unserved))")
        #expect(unserved.isEmpty, "\(Self.describe(unserved))")
    }
}

extension RealWorldTableTests {
    /// The shape of kent8192/reinhardt: the own runner's user data is a `templatefile` whose extra
    /// label is a template variable, next to variables without a value (the owner): the script
    /// cannot be rendered whole, the label is read with the known variables put in.
    @Test("a label registered through a templatefile variable is served; other labels are still checked")
    func labelServedByOwnRunnerThroughTemplate() throws {
        let unserved = try Self.ownTemplateRunner(
            template: "#!/bin/bash\n./config.sh --url https://github.com/${owner}/repo --token \"$TOKEN\" --labels \"self-hosted,linux,arm64,${label}\" --unattended\n",
            variables: "label = \"warm-pool\"", jobs: Self.trainAndQuickJobs)
        #expect(unserved.count == 1 && unserved.first?.message.contains("`train`") == true, "\(Self.describe(unserved))")
    }

    /// The own runner's template as the HCL evaluator renders it when some variables are unknown:
    /// `${ label }` with spaces, `$${` escapes and `%{ if }` directives are Terraform's template
    /// syntax, not text to replace (issue 11 review of GHA-208).
    static func ownTemplateRunner(template: String, variables: String, jobs: String) throws -> [Finding] {
        let files: [String: String] = [
            "main.tf": Self.quietRunnerCall(extra: "  runner_extra_labels = [\"ci\"]\n") + """

            resource "aws_launch_template" "warm" {
              name_prefix = "warm"
              user_data   = base64encode(templatefile("${path.module}/warm.sh.tpl", { \(variables), owner = var.owner }))
            }
            variable "owner" {
              type = string
            }
            """,
            "warm.sh.tpl": template,
            ".github/workflows/ci.yml": "on: push\njobs:\n" + jobs,
        ]
        return try Self.audit(files).report.findings.filter { $0.ruleId == "GHA-208" }
    }

    static let trainAndQuickJobs = """
          quick:
            runs-on: [self-hosted, arm64, warm-pool]
            steps:
              - run: echo quick
          train:
            runs-on: [self-hosted, linux, gpu]
            steps:
              - run: echo train

        """

    @Test("a templatefile label written `${ label }` (with spaces) is read with its value")
    func ownRunnerTemplateInterpolationWithSpaces() throws {
        let unserved = try Self.ownTemplateRunner(
            template: "#!/bin/bash\n./config.sh --url https://github.com/${ owner }/repo --token \"$TOKEN\" --labels \"self-hosted,linux,arm64,${ label }\" --unattended\n",
            variables: "label = \"warm-pool\"", jobs: Self.trainAndQuickJobs)
        // Read as `${ label }` text, the label would be unknown and the rule silent about `train`.
        #expect(unserved.map(\.message).count == 1 && unserved.first?.message.contains("`train`") == true, "\(Self.describe(unserved))")
    }

    @Test("a `$${` escape is a shell variable known only at boot, never the template variable of that name")
    func ownRunnerTemplateEscape() throws {
        let unserved = try Self.ownTemplateRunner(
            template: "#!/bin/bash\n./config.sh --url https://github.com/${owner}/repo --token \"$TOKEN\" --labels \"self-hosted,linux,arm64,$${label}\" --unattended\n",
            variables: "label = \"warm-pool\"", jobs: Self.trainAndQuickJobs)
        // `$${label}` renders as the shell's `${label}`: any label at boot, so the check stays silent.
        #expect(unserved.isEmpty, "\(Self.describe(unserved))")
    }

    @Test("an `%{ if }` directive of the template picks the branch its known condition selects")
    func ownRunnerTemplateDirective() throws {
        let template = """
            #!/bin/bash
            %{ if warm ~}
            ./config.sh --url https://github.com/${owner}/repo --token "$TOKEN" --labels "self-hosted,linux,arm64,warm-pool" --unattended
            %{ else ~}
            ./config.sh --url https://github.com/${owner}/repo --token "$TOKEN" --labels "self-hosted,linux,gpu" --unattended
            %{ endif ~}

            """
        let warm = try Self.ownTemplateRunner(template: template, variables: "warm = true", jobs: Self.trainAndQuickJobs)
        #expect(warm.count == 1 && warm.first?.message.contains("`train`") == true, "\(Self.describe(warm))")
        let gpu = try Self.ownTemplateRunner(template: template, variables: "warm = false", jobs: Self.trainAndQuickJobs)
        #expect(gpu.count == 1 && gpu.first?.message.contains("`quick`") == true, "\(Self.describe(gpu))")
    }

    /// A label only known when the instance boots (a shell variable) could be any label: the rule
    /// does not guess, as it does not for a fleet whose labels are unknown.
    @Test("a runner registered with labels known only at boot silences the label check")
    func ownRunnerWithBootTimeLabels() throws {
        let files: [String: String] = [
            "main.tf": Self.quietRunnerCall(extra: "  runner_extra_labels = [\"ci\"]\n") + """

            resource "aws_instance" "own" {
              ami       = "ami-123"
              user_data = file("${path.module}/own.sh")
            }
            """,
            "own.sh": "#!/bin/bash\n./config.sh --token \"$T\" --labels \"self-hosted,$EXTRA_LABELS\" --unattended\n",
            ".github/workflows/ci.yml": "on: push\njobs:\n  train:\n    runs-on: [self-hosted, gpu]\n    steps:\n      - run: echo\n",
        ]
        let result = try Self.audit(files)
        #expect(!result.report.findings.contains { $0.ruleId == "GHA-208" }, "\(Self.describe(result.report.findings))")
    }
}

// MARK: H. Lambda zips committed to the repository

extension RealWorldTableTests {
    /// ray5273/terraform-gpu-runner commits the three lambda zips and points `*_lambda_zip` at
    /// them. Their central directories show the release assets of 6.4.3 (each `package.json` has
    /// the size and CRC-32 of the module's at v6.4.3) while the module runs `~> 5.0` (5.21.0).
    /// The zips here are our own, declaring those sizes and CRC-32s (taken from the knowledge base).
    @Test("committed lambda zips are named by the release their package.json matches")
    func committedZipsOfUnknownRelease() throws {
        var files: [String: Data] = [
            "main.tf": Data("""
            module "runners" {
              source                            = "github-aws-runners/github-runner/aws"
              version                           = "~> 5.0"
              webhook_lambda_zip                = "lambdas-download/webhook.zip"
              runners_lambda_zip                = "lambdas-download/runners.zip"
              runner_binaries_syncer_lambda_zip = "lambdas-download/runner-binaries-syncer.zip"
            }
            """.utf8),
        ]
        for asset in ["webhook", "runners", "runner-binaries-syncer"] {
            files["lambdas-download/\(asset).zip"] = try LambdaZipTests.releaseShaped(asset: asset, release: "6.4.3")
        }
        let result = try EngineTests.audit(MemoryFileSystem(data: files), target: "5.21.0")
        let pins = result.report.findings.filter { $0.ruleId == "JIT-109" }
        #expect(pins.count == 3, "\(Self.describe(result.report.findings))")
        #expect(pins.allSatisfy { $0.severity == .warning && $0.message.contains("artefact of release 6.4.3, but module `module.runners` runs release 5.21.0") },
                "\(Self.describe(pins))")
        #expect(pins.contains { $0.message.hasPrefix("`runners_lambda_zip` (`lambdas-download/runners.zip`) is the built `runners` artefact") })
    }
}

// MARK: I. Fields of object inputs at an older target

extension RealWorldTableTests {
    /// DaniilTsitavets/accenture_bootcamp gives the GitHub App as SSM parameters (`*_ssm`, 6.3.0+);
    /// at 5.21.0 `github_app` requires `key_base64`, `id` and `webhook_secret`, so Terraform
    /// rejects the value. Only a downgrade shows it, but the table audits 5.21.0 for every repository.
    @Test("github_app given only as SSM parameters is reported below 6.3.0")
    func githubAppSsmFieldsBeforeTheyExist() throws {
        let files: [String: String] = [
            "main.tf": """
            module "runners" {
              source  = "github-aws-runners/github-runner/aws"
              version = "6.4.0"
              github_app = {
                id_ssm             = { name = "/ci/app/id", arn = "arn:aws:ssm:eu-west-1:111111111111:parameter/ci/app/id" }
                key_base64_ssm     = { name = "/ci/app/key", arn = "arn:aws:ssm:eu-west-1:111111111111:parameter/ci/app/key" }
                webhook_secret_ssm = { name = "/ci/app/secret", arn = "arn:aws:ssm:eu-west-1:111111111111:parameter/ci/app/secret" }
              }
            }
            """,
        ]
        let result = try Self.audit(files, target: "5.21.0")
        let fields = result.report.findings.filter { $0.severity == .error && $0.message.contains("github_app") }
        #expect(fields.map(\.ruleId) == ["INP-210"], "\(Self.describe(result.report.findings))")
        #expect(fields.first?.message.contains("`id`, `key_base64`, `webhook_secret`") == true, "\(Self.describe(fields))")
        // At the module's own release the object is accepted.
        let pinned = try Self.audit(files, target: "pinned")
        #expect(!pinned.report.findings.contains { $0.ruleId == "INP-210" }, "\(Self.describe(pinned.report.findings))")
    }

    /// INP-210 names the attributes that are missing, never the values given beside them.
    @Test("a github_app missing one attribute is reported without the key it holds")
    func missingAttributeKeepsTheKeyOut() throws {
        let key = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB"
        let files: [String: String] = [
            "main.tf": """
            module "runners" {
              source  = "github-aws-runners/github-runner/aws"
              version = "5.21.0"
              github_app = {
                id         = "123456"
                key_base64 = "\(key)"
              }
            }
            """,
        ]
        let result = try Self.audit(files, target: "pinned")
        let missing = result.report.findings.filter { $0.ruleId == "INP-210" }
        #expect(missing.map(\.message) == ["`github_app` lacks the required attribute `webhook_secret` at 5.21.0"], "\(Self.describe(result.report.findings))")
        let json = render(result.report, as: .json, options: RenderOptions(color: false, sources: result.sources))
        let text = render(result.report, as: .text, options: RenderOptions(color: false, sources: result.sources))
        #expect(!json.contains(key) && !text.contains(key))
    }
}
