// ghr-audit-bench: how the auditor scales with the size of the repository it reads (not shipped).
//
//   swift run -c release ghr-audit-bench [--scales 1,2,4,8] [--fleets 40] [--runs 3] [--keep]
//
// For each scale k it writes a synthetic infrastructure repository with k × --fleets runner fleets
// into a temporary folder: root modules that call the runner module directly (typed variables,
// tfvars, a start script each), a wrapper module instantiated with `for_each`, a multi-runner call
// whose fleets come from YAML files read with `fileset`/`yamldecode`, Packer templates and
// workflow files. It audits each repository --runs times at target 4.1.0 and prints the median
// time, files per second, milliseconds per fleet and peak resident memory, then the ratio of each
// scale's time to the smallest one's. A linear auditor shows ratios close to k (4× the input, ~4×
// the time), not k².

import AuditCore
import Engine
import Foundation
import Knowledge
import Rules
import Terraform

struct UsageError: Error, CustomStringConvertible { var description: String }

struct Options {
    var scales: [Int] = [1, 2, 4, 8]
    var fleets = 40
    var runs = 3
    var keep = false

    init(_ arguments: [String]) throws {
        var i = 0
        func value() throws -> String {
            guard i + 1 < arguments.count else { throw UsageError(description: "\(arguments[i]) needs a value") }
            i += 1
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--scales":
                let list = try value().split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !list.isEmpty, list.allSatisfy({ $0 > 0 }) else { throw UsageError(description: "--scales takes positive integers, e.g. 1,2,4") }
                scales = list.sorted()
            case "--fleets":
                guard let n = Int(try value()), n >= 4 else { throw UsageError(description: "--fleets takes an integer of at least 4") }
                fleets = n
            case "--runs":
                guard let n = Int(try value()), n >= 1 else { throw UsageError(description: "--runs takes a positive integer") }
                runs = n
            case "--keep":
                keep = true
            case "-h", "--help":
                print("usage: ghr-audit-bench [--scales 1,2,4,8] [--fleets 40] [--runs 3] [--keep]")
                exit(0)
            default:
                throw UsageError(description: "unknown argument `\(arguments[i])`; expected --scales, --fleets, --runs, --keep")
            }
            i += 1
        }
    }
}

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

// MARK: Measuring

/// A `VmHWM`/`VmRSS` line of /proc/self/status in MiB; nil where /proc is not available.
func memoryMiB(_ field: String) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        let kilobytes = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Double($0) }
        return kilobytes.map { $0 / 1024 }
    }
    return nil
}

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func formatted(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }

struct Measurement {
    var scale: Int
    var files: Int
    var fleets: Int
    var findings: Int
    var medianMs: Double
    var peakMiB: Double?
}

func run() throws {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let knowledge = try KnowledgeBase.load()
    let auditor = Auditor(knowledge: knowledge)
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-bench-\(ProcessInfo.processInfo.processIdentifier)")
    defer { if !options.keep { try? FileManager.default.removeItem(at: base) } }

    print("ghr-audit-bench: \(options.fleets) fleets per scale step, scales \(options.scales.map(String.init).joined(separator: ", ")), median of \(options.runs) run\(options.runs == 1 ? "" : "s"), target 4.1.0")
    print("\(pad("scale", 5)) \(pad("files", 6)) \(pad("fleets", 6)) \(pad("findings", 8)) \(pad("median ms", 10)) \(pad("files/s", 9)) \(pad("ms/fleet", 9)) \(pad("peak RSS MiB", 12))")
    var results: [Measurement] = []
    for scale in options.scales {
        let root = base.appendingPathComponent("scale-\(scale)")
        try SyntheticRepository.write(SyntheticRepository.files(fleets: options.fleets * scale), to: root)
        let fileSystem = LocalFileSystem(root: root)
        var times: [Double] = []
        var last: AuditResult?
        for _ in 0..<options.runs {
            let clock = ContinuousClock()
            let start = clock.now
            last = auditor.audit(fileSystem: fileSystem, options: AuditOptions(target: .version(ModuleVersion(4, 1, 0))))
            times.append(milliseconds(clock.now - start))
        }
        guard let result = last else { continue }
        let median = times.sorted()[times.count / 2]
        let fleets = result.model.fleets.count
        let m = Measurement(scale: scale, files: result.report.filesScanned, fleets: fleets,
                            findings: result.report.findings.count, medianMs: median, peakMiB: memoryMiB("VmHWM"))
        results.append(m)
        print("\(pad("\(scale)x", 5)) \(pad("\(m.files)", 6)) \(pad("\(m.fleets)", 6)) \(pad("\(m.findings)", 8)) \(pad(formatted(median), 10)) \(pad(formatted(Double(m.files) / (median / 1000), 0), 9)) \(pad(formatted(median / Double(max(1, fleets)), 2), 9)) \(pad(m.peakMiB.map { formatted($0) } ?? "n/a", 12))")
    }
    guard let first = results.first, results.count > 1 else { return }
    print("")
    print("time ratio to \(first.scale)x (linear: the input ratio; quadratic: its square)")
    for m in results.dropFirst() {
        let inputRatio = Double(m.fleets) / Double(max(1, first.fleets))
        let timeRatio = m.medianMs / first.medianMs
        print("  \(m.scale)x / \(first.scale)x: input \(formatted(inputRatio, 2))×, time \(formatted(timeRatio, 2))× (quadratic would be \(formatted(inputRatio * inputRatio, 1))×)")
    }
    if options.keep { print("\nrepositories kept in \(base.path)") }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("ghr-audit-bench: \(error)\n".utf8))
    exit(2)
}
