import Foundation

// MARK: The synthetic repository

/// Writes the files of one repository: `fleets` fleets, split between direct root calls, wrapper
/// instances and multi-runner YAML entries.
enum SyntheticRepository {
    static func files(fleets: Int) -> [String: String] {
        var files: [String: String] = [:]
        let direct = fleets / 4, wrapped = fleets / 4, yaml = fleets - direct - wrapped

        // Root modules that call the runner module directly, one per environment.
        for i in 0..<direct {
            let dir = "environments/env-\(i)"
            let ephemeral = i % 2 == 0
            files["\(dir)/main.tf"] = """
            module "runners" {
              source  = "philips-labs/github-runner/aws"
              version = "3.6.1"

              aws_region = var.region
              vpc_id     = var.network.vpc_id
              subnet_ids = var.network.subnets
              prefix     = "env-\(i)"

              github_app = {
                key_base64     = var.github_app.key
                id             = var.github_app.id
                webhook_secret = var.github_app.secret
              }

              enable_ephemeral_runners = var.runner.ephemeral
              runner_extra_labels      = join(",", var.runner.labels)
              instance_types           = var.runner.instance_types
              userdata_template        = "./templates/start-runner.sh"
              ami_filter               = { name = ["al2023-ami-*-x86_64"], state = ["available"] }
            }
            """
            files["\(dir)/variables.tf"] = """
            variable "region" {
              type    = string
              default = "eu-west-1"
            }
            variable "network" {
              type = object({
                vpc_id  = string
                subnets = list(string)
              })
            }
            variable "github_app" {
              type = object({ key = string, id = string, secret = string })
            }
            variable "runner" {
              type = object({
                ephemeral      = optional(bool, false)
                labels         = optional(list(string), ["self-hosted"])
                instance_types = optional(list(string), ["m7a.large", "m6a.large"])
              })
              default = {}
            }
            """
            files["\(dir)/terraform.tfvars"] = """
            network    = { vpc_id = "vpc-\(i)", subnets = ["subnet-\(i)a", "subnet-\(i)b"] }
            github_app = { key = "a2V5", id = "\(1000 + i)", secret = "s" }
            runner     = { ephemeral = \(ephemeral), labels = ["self-hosted", "env-\(i)"] }
            """
            files["\(dir)/templates/start-runner.sh"] = i % 4 == 0 ? tokenOnlyScript(i) : jitAwareScript(i)
            files["\(dir)/versions.tf"] = """
            terraform {
              required_version = ">= 1.5.0"
              required_providers {
                aws = { source = "hashicorp/aws", version = "~> 5.0" }
              }
            }
            """
        }

        // A wrapper module instantiated once per team with for_each.
        files["platform/wrapper/main.tf"] = """
        variable "team" {
          type = object({
            name      = string
            ephemeral = optional(bool, true)
            jit       = optional(bool)
            os        = optional(string, "linux")
          })
        }
        module "runner" {
          source  = "github-aws-runners/github-runner/aws"
          version = "6.10.1"

          prefix                   = var.team.name
          runner_os                = var.team.os
          enable_ephemeral_runners = var.team.ephemeral
          enable_jit_config        = var.team.jit
          runner_extra_labels      = ["self-hosted", var.team.name]
        }
        """
        var teams: [String] = []
        for i in 0..<wrapped {
            teams.append("    team-\(i) = { name = \"team-\(i)\", ephemeral = \(i % 3 != 0)\(i % 5 == 0 ? ", os = \"windows\"" : "") }")
        }
        files["platform/main.tf"] = """
        locals {
          teams = {
        \(teams.joined(separator: "\n"))
          }
        }
        module "team" {
          for_each = local.teams
          source   = "./wrapper"
          team     = each.value
        }
        """

        // A multi-runner call whose fleets are YAML files.
        files["multi/main.tf"] = """
        locals {
          configs = {
            for f in fileset("${path.module}/configs", "*.yaml") :
            trimsuffix(f, ".yaml") => yamldecode(file("${path.module}/configs/${f}"))
          }
        }
        module "multi" {
          source              = "github-aws-runners/github-runner/aws//modules/multi-runner"
          version             = "5.21.0"
          prefix              = "multi"
          multi_runner_config = local.configs
        }
        """
        for i in 0..<yaml {
            files["multi/configs/fleet-\(i).yaml"] = """
            matcherConfig:
              exactMatch: true
              labelMatchers:
                - [self-hosted, linux, x64, fleet-\(i)]
            runner_config:
              runner_os: linux
              runner_architecture: x64
              runner_extra_labels: [fleet-\(i)]
              enable_ephemeral_runners: \(i % 2 == 0)
              instance_types: [m7a.large, m6a.large]
              runners_maximum_count: \(2 + i % 7)
              delay_webhook_event: 5
            \(i % 3 == 0 ? "  enable_userdata: false\n  ami_filter:\n    name: [ci-runner-\(i % 2)-*]\n" : "")
            """
        }

        // Application roots next to the runners (a monorepo holds far more than CI): locals that
        // feed resources and a service module, none of which any runner module call needs.
        files["modules/service/main.tf"] = """
        variable "name" { type = string }
        variable "settings" {
          type = object({ size = optional(number, 2), tags = optional(map(string), {}) })
          default = {}
        }
        locals {
          tags     = merge(var.settings.tags, { service = var.name, managed = "terraform" })
          capacity = [for i in range(var.settings.size) : { index = i, zone = element(["a", "b", "c"], i) }]
          labels   = join(",", [for k, v in local.tags : "${k}=${v}"])
        }
        resource "aws_ecs_service" "this" {
          name          = var.name
          desired_count = length(local.capacity)
          tags          = local.tags
        }
        """
        for i in 0..<max(1, fleets / 4) {
            files["apps/app-\(i)/main.tf"] = """
            locals {
              environment = "prod-\(i)"
              services    = { for s in ["api", "web", "worker", "cron"] : s => { size = \(1 + i % 4), tags = { app = "app-\(i)", tier = s } } }
              subnets     = [for z in ["a", "b", "c"] : cidrsubnet("10.\(i % 250).0.0/16", 8, index(["a", "b", "c"], z))]
              name_prefix = "${local.environment}-app-\(i)"
              alarms      = { for k, v in local.services : k => { threshold = v.size * 80, name = "${local.name_prefix}-${k}" } }
              dns_names   = [for k in keys(local.services) : format("%s.%s.example.com", k, local.environment)]
              policy      = jsonencode({ Version = "2012-10-17", Statement = [for k in keys(local.services) : { Effect = "Allow", Action = ["logs:PutLogEvents"], Resource = "arn:aws:logs:*:*:log-group:/${local.name_prefix}/${k}" }] })
            }
            module "service" {
              for_each = toset(["api", "web"])
              source   = "../../modules/service"
              name     = "app-\(i)-${each.key}"
            }
            resource "aws_route53_record" "app" {
              count   = length(local.dns_names)
              name    = local.dns_names[count.index]
              records = local.subnets
            }
            resource "aws_cloudwatch_metric_alarm" "app" {
              for_each  = local.alarms
              threshold = each.value.threshold
            }
            resource "aws_iam_policy" "logs" { policy = local.policy }
            """
        }

        // Packer templates (one per image) and workflow files that use the labels.
        for image in 0..<2 {
            files["images/runner-\(image)/runner.pkr.hcl"] = """
            source "amazon-ebs" "runner" {
              ami_name      = "ci-runner-\(image)-${formatdate("YYYYMMDDhhmm", timestamp())}"
              instance_type = "t3.medium"
              region        = "eu-west-1"
              ssh_username  = "ec2-user"
            }
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
            """
            files["images/runner-\(image)/boot.sh"] = image == 0 ? tokenOnlyScript(image) : jitAwareScript(image)
        }
        for i in 0..<max(1, fleets / 10) {
            files[".github/workflows/ci-\(i).yml"] = """
            name: ci-\(i)
            on: [push]
            jobs:
              build:
                runs-on: [self-hosted, linux, x64, fleet-\(i)]
                steps:
                  - run: make test
            """
        }
        return files
    }

    static func tokenOnlyScript(_ i: Int) -> String {
        """
        #!/bin/bash -e
        # Boot script \(i): registers with the value the scale-up lambda stored for this instance.
        id=$(curl -sf http://169.254.169.254/latest/meta-data/instance-id)
        token_path=$(aws ssm get-parameter --name "/ci/\(i)/token_path" --query Parameter.Value --output text)
        value=$(aws ssm get-parameter --name "$token_path/$id" --with-decryption --query Parameter.Value --output text)
        cd /opt/actions-runner
        ./config.sh --unattended --name "runner-$id" $value
        ./run.sh
        """
    }

    static func jitAwareScript(_ i: Int) -> String {
        """
        #!/bin/bash -e
        # Boot script \(i): follows the scale-up lambda's choice between a JIT config and a token.
        id=$(curl -sf http://169.254.169.254/latest/meta-data/instance-id)
        params=$(aws ssm get-parameters-by-path --path "/ci/\(i)" --query "Parameters[*].{Name:Name,Value:Value}")
        enable_jit_config=$(echo "$params" | jq -r '.[] | select(.Name == "/ci/\(i)/enable_jit_config") | .Value')
        agent_mode=$(echo "$params" | jq -r '.[] | select(.Name == "/ci/\(i)/agent_mode") | .Value')
        token_path=$(echo "$params" | jq -r '.[] | select(.Name == "/ci/\(i)/token_path") | .Value')
        value=$(aws ssm get-parameter --name "$token_path/$id" --with-decryption --query Parameter.Value --output text)
        cd /opt/actions-runner
        if [[ "$enable_jit_config" == "false" || "$agent_mode" != "ephemeral" ]]; then
          ./config.sh --unattended --name "runner-$id" $value
        fi
        if [[ "$agent_mode" == "ephemeral" && "$enable_jit_config" == "true" ]]; then
          ./run.sh --jitconfig "$value"
        else
          ./run.sh
        fi
        """
    }

    static func write(_ files: [String: String], to root: URL) throws {
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }
}


// MARK: Many small roots

/// The shape of a monorepo with many small Terraform roots (issue 20 §1): `copies` copies of five
/// fixture repositories under one scan root, `copy-0001/<fixture>/…`.
enum FixtureCopies {
    /// Five fixtures that between them hold direct calls, a wrapper module, a multi-runner call fed
    /// by YAML, Packer templates, start scripts and an IAM boundary policy.
    static let names = ["multi-runner-mixed", "wrapper-ghes", "multi-fleet-packer", "iam-boundary-lacks-4-0-1", "v6-to-v7-ami-object"]

    /// The files of the five fixtures' `repo/` folders, by path relative to each folder.
    static func load(from fixtures: URL) throws -> [String: [String: Data]] {
        var out: [String: [String: Data]] = [:]
        for name in names {
            let repo = fixtures.appendingPathComponent(name).appendingPathComponent("repo")
            guard let walker = FileManager.default.enumerator(at: repo, includingPropertiesForKeys: [.isRegularFileKey]) else {
                throw UsageError(description: "fixture \(repo.path) not found")
            }
            var files: [String: Data] = [:]
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                let rel = String(url.standardizedFileURL.path.dropFirst(repo.standardizedFileURL.path.count + 1))
                files[rel] = try Data(contentsOf: url)
            }
            out[name] = files
        }
        return out
    }

    /// Writes `copies` copies under `root`; returns the number of bytes written.
    @discardableResult
    static func write(_ fixtures: [String: [String: Data]], copies: Int, to root: URL) throws -> Int {
        var bytes = 0
        for c in 1...copies {
            let copy = root.appendingPathComponent(String(format: "copy-%04d", c))
            for (name, files) in fixtures {
                for (rel, data) in files {
                    let url = copy.appendingPathComponent(name).appendingPathComponent(rel)
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try data.write(to: url)
                    bytes += data.count
                }
            }
        }
        return bytes
    }
}

// MARK: One large file

enum LargeFile {
    /// A valid Terraform file of about `bytes` bytes: locals, variables and resources with nested
    /// objects, templates and comments (a generated `.tf` as CDKTF or a script would write).
    static func terraform(bytes: Int) -> String {
        var out = ""
        out.reserveCapacity(bytes + 4096)
        var i = 0
        while out.utf8.count < bytes {
            out += """
            # Generated block \(i)
            variable "setting_\(i)" {
              type        = object({ name = string, size = optional(number, \(i % 17)), tags = optional(map(string), {}) })
              description = "Setting number \(i) for the fleet, with a description long enough to be realistic."
              default     = { name = "fleet-\(i)", tags = { team = "t\(i % 13)", env = "prod" } }
            }
            locals {
              name_\(i)   = "${var.setting_\(i).name}-${terraform.workspace}"
              labels_\(i) = [for k, v in var.setting_\(i).tags : "${k}=${v}" if v != ""]
              size_\(i)   = var.setting_\(i).size * 2 + \(i) >= 10 ? "large" : "small"
            }
            resource "aws_ssm_parameter" "p_\(i)" {
              name  = "/ci/fleet-\(i)/config"
              type  = "String"
              value = jsonencode({ labels = local.labels_\(i), size = local.size_\(i), index = \(i) })
            }

            """
            i += 1
        }
        return out
    }
}
