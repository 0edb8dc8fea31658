import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters
import Rules
import Terraform
import Testing

/// Secrets in a user's repository never reach any output: not the messages, not the source
/// snippets, not the fixes, in no format.
@Suite("Secrets never reach a report")
struct SecretsTests {
    // Fake secrets, made for this test (valid shapes, no real credentials).
    static let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----\n"
    static var pemBase64: String { Data(pem.utf8).base64EncodedString() }
    static let githubToken = "ghp_R8kz3QpL0vW2xYt6NmB4cD7eF9gH1jK5sA0u"
    static let awsKey = "AKIAIOSFODNN7EXAMPLE"
    static let awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let jitConfig = Data(String(repeating: "{\"runner\":{\"id\":42,\"name\":\"i-0abc\"},\"encoded_jit_config\":\"", count: 6).utf8).base64EncodedString()

    static var secrets: [String] {
        [githubToken, awsKey, awsSecret, String(pemBase64.prefix(60)), "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", String(jitConfig.prefix(60))]
    }

    static func repository() -> MemoryFileSystem {
        MemoryFileSystem([
            "main.tf": """
            module "runners" {
              source  = "philips-labs/github-runner/aws"
              version = "3.6.1"

              ghes_url                 = "https://x-access-token:\(githubToken)@ghes.example.com"
              enable_ephemeral_runners = true
              runner_extra_labels      = "gpu,\(awsKey)"
              github_app = {
                key_base64     = "\(pemBase64)"
                id             = "1"
                webhook_secret = "\(awsSecret)"
              }
              userdata_template = "./user-data.sh"
            }
            """,
            "terraform.tfvars": "github_app_key = \"\(pemBase64)\"\nbroken = \n",
            "user-data.sh": """
            #!/bin/bash
            export AWS_ACCESS_KEY_ID=\(awsKey)
            export AWS_SECRET_ACCESS_KEY=\(awsSecret)
            cfg=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption --query Parameter.Value --output text)
            ./config.sh --unattended --token \(githubToken) $cfg
            echo '\(jitConfig)' > /tmp/jit
            """,
            "key.pem.tf": "locals {\n  key = <<EOT\n\(pem)EOT\n}\nbroken {\n",
        ])
    }

    @Test("no secret in any format, message, snippet or fix")
    func noSecretInAnyOutput() throws {
        let knowledge = try KnowledgeBase.load()
        var options = AuditOptions(target: .version(ModuleVersion(4, 1, 0)))
        options.rootInputs.environment = ["TF_VAR_github_app_key": Self.pemBase64]
        let result = Auditor(knowledge: knowledge).audit(fileSystem: Self.repository(), options: options)
        // The audit did look at the secret-bearing lines (otherwise the test proves nothing).
        #expect(result.report.findings.contains { $0.ruleId == "JIT-106" }, "\(result.report.findings.map(\.ruleId))")
        #expect(result.report.findings.contains { $0.ruleId == "JIT-101" && $0.location.path == "user-data.sh" })
        #expect(result.report.findings.contains { $0.tags.contains("parse") })
        for format in OutputFormat.allCases {
            for color in [false, true] {
                let text = render(result.report, as: format, options: RenderOptions(color: color, sources: result.sources))
                for secret in Self.secrets {
                    #expect(!text.contains(secret), "\(format) output shows a secret: \(secret.prefix(12))…")
                }
            }
        }
        for f in result.report.findings {
            let all = [f.message, f.detail ?? "", f.fix?.description ?? ""] + f.related.map(\.message) + (f.fix?.edits.map(\.newText) ?? [])
            for secret in Self.secrets { #expect(!all.joined().contains(secret), "\(f.ruleId) carries a secret") }
        }
    }

    /// The HTML page shows what no other format does (module sources, the text of IAM inputs,
    /// scanned paths in the fleet map and header): secrets there are masked too, and escaping
    /// cannot hide one (the check reads the page with its entities decoded).
    @Test("the HTML page masks secrets, also where only it shows repository text")
    func htmlPageMasksSecrets() throws {
        let knowledge = try KnowledgeBase.load()
        var fs = Self.repository()
        fs.files["extra.tf"] = Data("""
            module "extra" {
              source = "git::https://x-access-token:\(Self.githubToken)@github.com/github-aws-runners/terraform-aws-github-runner.git?ref=v4.1.0"

              enable_ephemeral_runners  = true
              role_permissions_boundary = "arn:aws:iam::123456789012:policy/boundary-\(Self.awsKey)"
            }
            """.utf8)
        var result = Auditor(knowledge: knowledge).audit(fileSystem: fs, options: AuditOptions(target: .version(ModuleVersion(4, 1, 0))))
        result.report.scannedPaths = ["infra-\(Self.githubToken)"]
        let html = render(result.report, as: .html, options: RenderOptions(sources: result.sources))
        let decoded = ["&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&amp;": "&"].reduce(html) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        // The repository text did reach the page (otherwise this proves nothing).
        #expect(decoded.contains("github.com/github-aws-runners/terraform-aws-github-runner.git"))
        #expect(decoded.contains("arn:aws:iam::123456789012:policy/boundary-"))
        for secret in Self.secrets {
            #expect(!decoded.contains(secret), "the HTML page shows a secret: \(secret.prefix(12))…")
        }
    }

    /// Probe results on the page: every string of a real probe report (the committed fixture)
    /// carries a secret, and none reaches the page.
    @Test("the HTML page masks secrets in probe results")
    func htmlPageMasksSecretsInProbeResults() throws {
        let fixture = packageRoot.appendingPathComponent("Tests/ProbeTests/Fixtures/live/probe.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture))
        // As the probe would meet them: a token, a key id, a secret key in its variable, a PEM block
        // and its base64, a JIT config (a bare random string without context is not recognisable).
        let secrets = [Self.githubToken, Self.awsKey, "AWS_SECRET_ACCESS_KEY=\(Self.awsSecret)", Self.pemBase64, Self.pem, Self.jitConfig]
        func poison(_ value: Any, key: String) -> Any {
            switch value {
            case let s as String where !["severity", "startScript"].contains(key):
                return s + " " + secrets[s.utf8.count % secrets.count]
            case let a as [Any]: return a.map { poison($0, key: key) }
            case let o as [String: Any]: return Dictionary(uniqueKeysWithValues: o.map { ($0.key, poison($0.value, key: $0.key)) })
            default: return value
            }
        }
        var document = try #require(poison(json, key: "") as? [String: Any])
        document["tool"] = ["name": "ghr-audit", "version": "0"]
        let live = try ProbeResults.decode(JSONSerialization.data(withJSONObject: document))
        let knowledge = try KnowledgeBase.load()
        var result = Auditor(knowledge: knowledge).audit(fileSystem: LocalFileSystem(root: fixture.deletingLastPathComponent().appendingPathComponent("repo")),
                                                         options: AuditOptions(target: .version(ModuleVersion(6, 5, 0))))
        result.report.live = live
        let html = render(result.report, as: .html, options: RenderOptions(sources: result.sources))
        let decoded = ["&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&amp;": "&"].reduce(html) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        // The probe's text did reach the page (otherwise this proves nothing).
        #expect(decoded.contains("<section id=\"live\""))
        #expect(decoded.contains("legacy-action-runner"))
        #expect(live.findings.count > 5 && decoded.contains("id=\"p\(live.findings.count)\""))
        for secret in Self.secrets {
            #expect(!decoded.contains(secret), "the HTML page shows a secret from the probe results: \(secret.prefix(12))…")
        }
    }

    @Test("masking keeps columns and leaves ordinary configuration alone")
    func maskingIsPrecise() {
        let line = #"  ghes_url = "https://x-access-token:\#(Self.githubToken)@ghes.example.com""#
        let masked = Secrets.mask(line)
        #expect(masked.utf8.count == line.utf8.count)
        #expect(!masked.contains(Self.githubToken) && masked.contains("@ghes.example.com"))
        for ordinary in [#"enable_jit_config = false"#, #"token_path=$(aws ssm get-parameter --name "$cfg/token_path")"#,
                         #"webhook_secret = var.webhook_secret"#, #"runner_extra_labels = ["docker", "gpu"]"#] {
            #expect(Secrets.mask(ordinary) == ordinary, "\(ordinary)")
        }
    }
}
