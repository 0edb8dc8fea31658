import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Testing

/// Issue 18 §1: the audit speaks about the runner deployment, not about every file of the tree.
@Suite("Audited scope")
struct ScopeTests {
    /// Every file below `fixtures/<name>/repo`, by relative path.
    static func tree(_ fixture: String, under prefix: String = "") throws -> [String: Data] {
        let root = packageRoot.appendingPathComponent("fixtures/\(fixture)/repo")
        var out: [String: Data] = [:]
        let walker = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let rel = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            if rel.hasPrefix(prefix) { out[rel] = try Data(contentsOf: url) }
        }
        return out
    }

    static func audit(_ files: [String: Data], target: String) throws -> AuditResult {
        let knowledge = try KnowledgeBase.load()
        let selection = try #require(TargetSelection(target))
        return Auditor(knowledge: knowledge).audit(fileSystem: MemoryFileSystem(data: files), options: AuditOptions(target: selection))
    }

    static func key(_ f: Finding) -> String {
        "\(f.ruleId) \(f.severity) \(f.location.path):\(f.location.start.line):\(f.location.start.column) \(f.message)"
    }

    @Test("a monorepo with broken CloudFormation, a Helm chart and Kubernetes manifests gives exactly the deployment's findings")
    func monorepoGivesTheDeploymentsFindings() throws {
        let whole = try Self.tree("monorepo-scope")
        let deployment = whole.filter { $0.key.hasPrefix("runners/") }
        #expect(deployment.count == 4 && whole.count > deployment.count + 6)
        let all = try Self.audit(whole, target: "5.0.0")
        let alone = try Self.audit(deployment, target: "5.0.0")
        #expect(!alone.report.findings.isEmpty, "the deployment alone has something to say")
        // The legacy root's parse error is a note; nothing else differs.
        let failing = all.report.findings.filter { $0.severity >= .warning }
        #expect(failing.map(Self.key) == alone.report.findings.map(Self.key))
        let notes = all.report.findings.filter { $0.severity == .note }
        #expect(notes.allSatisfy { $0.ruleId == "CORE-001" && $0.location.path == "legacy/gcp/main.tf" }, "\(notes.map(Self.key))")
        #expect(!notes.isEmpty, "a broken Terraform root is still mentioned, as a note")
        // What was not reached is counted, not read.
        #expect(all.report.filesByKind == alone.report.filesByKind.merging(["terraform": 1], uniquingKeysWith: +))
        #expect(all.report.filesNotReached == ["yaml": 4, "json": 1, "template": 1, "bash": 1])
        #expect(!all.workspace.files.keys.contains { $0.hasPrefix("cloudformation/") || $0.hasPrefix("charts/") || $0.hasPrefix("k8s/") })
        #expect(all.model.calls.count == 1)
    }

    @Test("a Terraform parse error in the deployment's root or a module it uses is an error")
    func parseErrorInTheDeploymentIsAnError() throws {
        let files: [String: Data] = [
            "infra/main.tf": """
            module "runners" {
              source  = "github-aws-runners/github-runner/aws"
              version = "7.2.0"
              lambda_event_source_mapping_batch_size = 1
            }
            module "net" {
              source = "../modules/net"
            }
            """,
            "infra/broken.tf": "locals {\n  a = 1\n",
            "modules/net/main.tf": "resource \"aws_vpc\" \"v\" {\n",
            "other/main.tf": "resource \"aws_s3_bucket\" \"b\" {\n",
        ].mapValues { Data($0.utf8) }
        let result = try Self.audit(files, target: "7.2.0")
        let parse = result.report.findings.filter { $0.ruleId == "CORE-001" }
        #expect(parse.filter { $0.severity == .error }.map(\.location.path).sorted() == ["infra/broken.tf", "modules/net/main.tf"],
                "\(parse.map(Self.key))")
        #expect(parse.filter { $0.severity == .note }.map(\.location.path) == ["other/main.tf"], "\(parse.map(Self.key))")
    }

    @Test("a broken file that names the module stays an error when no call could be read")
    func brokenDeploymentWithoutCallStaysAnError() throws {
        let files: [String: Data] = [
            "main.tf": "module \"runners\" {\n  source = \"github-aws-runners/github-runner/aws\"\n  version = \"7.2.0\"\n  prefix = \"x\n",
        ].mapValues { Data($0.utf8) }
        let result = try Self.audit(files, target: "7.2.0")
        #expect(result.report.findings.contains { $0.ruleId == "CORE-001" && $0.severity == .error },
                "\(result.report.findings.map(Self.key))")
    }

    @Test("files reached through a fleet's YAML, a Packer provisioner and a literal path are read; others are not")
    func reachedFilesAreRead() throws {
        let files: [String: Data] = [
            "main.tf": """
            module "runners" {
              source            = "github-aws-runners/github-runner/aws"
              version           = "7.2.0"
              userdata_template = "${path.module}/templates/start-${var.os}.sh"
              lambda_event_source_mapping_batch_size = 1
            }
            variable "os" {
              type = string
            }
            """,
            "templates/start-linux.sh": "#!/bin/bash\necho linux\n",
            "templates/notes.yaml": "a: [\n",
            "packer/ami.pkr.hcl": """
            build {
              sources = ["source.amazon-ebs.runner"]
              provisioner "file" {
                source      = "./files"
                destination = "/tmp/files"
              }
              provisioner "shell" {
                script = "./scripts/install.sh"
              }
            }
            """,
            "packer/files/runner.json": "{\"a\": 1}",
            "packer/scripts/install.sh": "#!/bin/bash\necho install\n",
            "packer/scripts/unused.sh": "#!/bin/bash\necho unused\n",
            "docs/example.json": "{ broken",
        ].mapValues { Data($0.utf8) }
        let result = try Self.audit(files, target: "7.2.0")
        let read = Set(result.workspace.files.keys)
        #expect(read.isSuperset(of: ["templates/start-linux.sh", "packer/files/runner.json", "packer/scripts/install.sh"]), "\(read.sorted())")
        #expect(read.isDisjoint(with: ["templates/notes.yaml", "packer/scripts/unused.sh", "docs/example.json"]), "\(read.sorted())")
        #expect(!result.report.findings.contains { $0.ruleId == "CORE-001" }, "\(result.report.findings.map(Self.key))")
        #expect(result.report.filesNotReached == ["yaml": 1, "bash": 1, "json": 1])
    }
}

/// Issue 18 §2: a run with nothing to audit says so; `--require-module` makes it an error.
extension ScopeTests {
    @Test("no runner module call: CORE-008 names what was scanned and the lookalike; require_module makes it an error")
    func noRunnerModule() throws {
        var files = try Self.tree("no-runner-module")
        let warned = try Self.audit(files, target: "7.11.0")
        let found = try #require(warned.report.findings.first { $0.ruleId == "CORE-008" })
        #expect(found.severity == .warning)
        #expect(found.message.contains("scanned 2 Terraform files"))
        #expect(found.detail?.contains("../vendor/github-runner-fork") == true)
        #expect(warned.report.scopeLines == ["audited: no runner module call found"])
        var options = AuditOptions(target: TargetSelection("7.11.0"))
        options.requireModule = true
        let knowledge = try KnowledgeBase.load()
        let strict = Auditor(knowledge: knowledge).audit(fileSystem: MemoryFileSystem(data: files), options: options)
        #expect(strict.report.findings.first { $0.ruleId == "CORE-008" }?.severity == .error)
        files[".ghr-audit.yml"] = Data("require_module: true\n".utf8)
        let configured = try Self.audit(files, target: "7.11.0")
        #expect(configured.report.findings.first { $0.ruleId == "CORE-008" }?.severity == .error)
    }

    @Test("every format carries what was audited, including what was not resolved")
    func everyFormatCarriesTheScope() throws {
        let files = try Self.tree("prebuilt-ami-unknown")
        let result = try Self.audit(files, target: "5.0.0")
        #expect(result.report.unresolved.contains { $0.hasPrefix("start script of `module.runners`") }, "\(result.report.unresolved)")
        let lines = result.report.scopeLines
        #expect(lines.count == 2 && lines[0].contains("main.tf:module.runners") && lines[1].hasPrefix("not resolved: "))
        for format in [OutputFormat.text, .json, .sarif, .junit, .markdown] {
            let out = render(result.report, as: format, options: RenderOptions(color: false, sources: result.sources))
            #expect(out.contains("main.tf:module.runners"), "\(format)")
            #expect(out.contains("no Packer template in the repository builds this fleet"), "\(format)")
        }
    }
}
