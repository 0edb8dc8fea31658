import AuditCore
import HCL
import Terraform
import Testing

/// Which `.pkr.hcl` files make one Packer template (`PackerTemplate.templates(from:)`): a template split
/// over a folder is read as one, single-file templates that share a folder stay apart.
@Suite struct PackerTemplateTests {
    static func templates(_ files: [String: String]) -> [PackerTemplate] {
        let ws = workspace(files)
        return PackerTemplate.templates(from: ws.files(ofKind: .packer).compactMap(\.hcl), fileSystem: ws.fileSystem)
    }

    /// A template split the way `packer build folder/` expects: variables, sources and build apart.
    static let split: [String: String] = [
        "images/gpu/variables.pkr.hcl": """
        variable "prefix" {
          type    = string
          default = "ci-gpu"
        }
        variable "boot_dir" {
          default = "/var/lib/cloud/scripts/per-boot"
        }
        """,
        "images/gpu/sources.pkr.hcl": """
        source "amazon-ebs" "runner" {
          ami_name     = "${var.prefix}-runner"
          ssh_username = "ec2-user"
        }
        """,
        "images/gpu/build.pkr.hcl": """
        build {
          sources = ["source.amazon-ebs.runner"]
          provisioner "file" {
            source      = "${path.root}/boot.sh"
            destination = "${var.boot_dir}/boot.sh"
          }
        }
        """,
    ]

    @Test func aTemplateSplitOverAFolderIsOneTemplate() throws {
        let found = Self.templates(Self.split)
        #expect(found.map(\.file) == ["images/gpu"])
        let t = try #require(found.first)
        #expect(t.paths == ["images/gpu/build.pkr.hcl", "images/gpu/sources.pkr.hcl", "images/gpu/variables.pkr.hcl"])
        // The source declared in one file, with a name built from a variable declared in another.
        #expect(t.sources.map(\.name) == ["runner"])
        #expect(t.sources.first?.amiNamePattern == "ci-gpu-runner")
        // The build's file provisioner, relative to the folder, with the destination from a variable.
        #expect(t.files.map(\.path) == ["images/gpu/boot.sh"])
        #expect(t.files.first?.destination == "/var/lib/cloud/scripts/per-boot/boot.sh")
    }

    @Test func aBuildLevelSourceBlockNamingAnotherFilesSourceJoinsTheFolder() {
        var files = Self.split
        files["images/gpu/build.pkr.hcl"] = """
        build {
          source "source.amazon-ebs.runner" {
            name = "gpu"
          }
          provisioner "shell" {
            inline = ["sudo mv /tmp/boot.sh /var/lib/cloud/scripts/per-boot/boot.sh"]
          }
        }
        """
        let found = Self.templates(files)
        #expect(found.map(\.file) == ["images/gpu"])
        #expect(found.first?.sources.first?.amiNamePattern == "ci-gpu-runner")
        #expect(found.first?.bootMoves.map { $0.text } == ["sudo mv /tmp/boot.sh /var/lib/cloud/scripts/per-boot/boot.sh"])
    }

    static func singleFile(_ name: String, script: String, sourceBlock: Bool = false) -> String {
        let uses = sourceBlock ? "source \"source.amazon-ebs.\(name)\" {}" : "sources = [\"source.amazon-ebs.\(name)\"]"
        return """
        variable "prefix" {
          default = "ci-\(name)"
        }
        source "amazon-ebs" "\(name)" {
          ami_name = "${var.prefix}-runner"
        }
        build {
          \(uses)
          provisioner "file" {
            source      = "\(script)"
            destination = "/var/lib/cloud/scripts/per-boot/start.sh"
          }
        }
        """
    }

    @Test(arguments: [false, true])
    func singleFileTemplatesSharingAFolderStaySeparate(sourceBlock: Bool) {
        let found = Self.templates([
            "packer/arm.pkr.hcl": Self.singleFile("arm", script: "arm-start.sh", sourceBlock: sourceBlock),
            "packer/x86.pkr.hcl": Self.singleFile("x86", script: "x86-start.sh", sourceBlock: sourceBlock),
            // Variables alone build nothing: not a template, and not read into the single-file ones.
            "packer/shared.pkr.hcl": "variable \"prefix\" {\n  default = \"ci-shared\"\n}\n",
        ])
        #expect(found.map(\.file) == ["packer/arm.pkr.hcl", "packer/x86.pkr.hcl"])
        #expect(found.map(\.paths) == [["packer/arm.pkr.hcl"], ["packer/x86.pkr.hcl"]])
        #expect(found.map { $0.sources.map(\.name) } == [["arm"], ["x86"]])
        #expect(found.map { $0.sources.first?.amiNamePattern } == ["ci-arm-runner", "ci-x86-runner"])
        #expect(found.map { $0.files.map(\.path) } == [["packer/arm-start.sh"], ["packer/x86-start.sh"]])
    }

    @Test func foldersAreTemplatesOfTheirOwnAndTheRootIsNamedDot() {
        var files = Self.split
        for (path, text) in Self.split { files[String(path.dropFirst("images/gpu/".count))] = text.replacingOccurrences(of: "ci-gpu", with: "ci-root") }
        files["images/arm.pkr.hcl"] = Self.singleFile("arm", script: "arm-start.sh")
        let found = Self.templates(files)
        #expect(found.map(\.file) == [".", "images/arm.pkr.hcl", "images/gpu"])
        #expect(found.map { $0.sources.first?.amiNamePattern } == ["ci-root-runner", "ci-arm-runner", "ci-gpu-runner"])
        #expect(found.first?.files.map(\.path) == ["boot.sh"])
    }
}
