import AuditCore
import Engine
import Foundation
import Reporters
import Terraform
import Testing

/// `TF_VAR_*` set in the repository's GitHub Actions workflows feed the variables they name, for
/// the Terraform folders the jobs run in, with the workflow line as the value's origin.
@Suite struct WorkflowVariablesTests {
    static func run(_ files: [String: String], target: String) throws -> AuditResult {
        try audit(MemoryFileSystem(data: files.mapValues { Data($0.utf8) }), target: target)
    }

    static let ghesRoot = """
    variable "ghes_url" {
      type = string
    }
    variable "ephemeral" {
      type = bool
    }
    module "runners" {
      source                   = "github-aws-runners/github-runner/aws"
      version                  = "4.7.0"
      enable_ephemeral_runners = var.ephemeral
      ghes_url                 = var.ghes_url
    }

    """

    @Test func aSecretFromCIIsSetButUnknownAndPointsAtTheWorkflow() throws {
        let workflow = """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            env:
              TF_VAR_ghes_url: ${{ secrets.GHES_URL }}
              TF_VAR_ephemeral: "true"
            defaults:
              run:
                working-directory: infra
            steps:
              - run: terraform apply -auto-approve

        """
        let result = try Self.run(["infra/main.tf": Self.ghesRoot, ".github/workflows/deploy.yml": workflow], target: "4.7.0")
        let f = try #require(result.report.findings.first { $0.ruleId == "JIT-106" }, "\(result.report.findings.map(\.message))")
        #expect(f.severity == .warning)
        // The fleet is known to be ephemeral only through the workflow's literal.
        #expect(f.message.contains("`TF_VAR_ghes_url` is set by workflow `.github/workflows/deploy.yml` from `${{ secrets.GHES_URL }}`"), "\(f.message)")
        #expect(f.location.path == "infra/main.tf")
        #expect(f.related.contains { $0.location.path == ".github/workflows/deploy.yml" && $0.location.start.line == 6 && $0.message.contains("`ghes_url`") },
                "\(f.related.map(\.message))")
        #expect(f.related.contains { $0.location.path == ".github/workflows/deploy.yml" && $0.location.start.line == 7 && $0.message.contains("`enable_ephemeral_runners`") },
                "\(f.related.map(\.message))")
    }

    @Test func aLiteralIsAKnownValue() throws {
        let workflow = """
        on: push
        env:
          TF_VAR_ghes_url: https://ghes.example.com
        jobs:
          plan:
            runs-on: ubuntu-latest
            steps:
              - run: terraform -chdir=infra plan
                env:
                  TF_VAR_ephemeral: true

        """
        let result = try Self.run(["infra/main.tf": Self.ghesRoot, ".github/workflows/plan.yaml": workflow], target: "4.7.0")
        let f = try #require(result.report.findings.first { $0.ruleId == "JIT-106" }, "\(result.report.findings.map(\.message))")
        #expect(f.message.contains("on GHES `https://ghes.example.com`"), "\(f.message)")
    }

    /// Each job's values go to the folder it runs Terraform in; a root no job can be matched to
    /// gets every value that names one of its variables.
    @Test func valuesFollowTheFolderTheJobRunsIn() throws {
        let workflow = """
        on: push
        jobs:
          staging:
            runs-on: ubuntu-latest
            env:
              TF_VAR_ghes_url: https://staging.example.com
            steps:
              - run: |
                  cd envs/staging
                  terraform apply
          production:
            runs-on: ubuntu-latest
            steps:
              - working-directory: ./envs/production
                env:
                  TF_VAR_ghes_url: ${{ vars.PROD_GHES }}
                run: terraform apply

        """
        let files = [
            "envs/staging/main.tf": Self.ghesRoot, "envs/production/main.tf": Self.ghesRoot, "other/main.tf": Self.ghesRoot,
            ".github/workflows/deploy.yml": workflow,
        ]
        let ws = try Self.workspace(files)
        let variables = WorkflowVariables.collect(ws)
        #expect(Set(variables.map(\.directories)) == [["envs/staging"], ["envs/production"]])
        let modules = ws.terraformModules()
        func ghes(_ dir: String) -> String {
            RootInputs().values(for: modules[dir]!, workspace: ws).values["ghes_url"]?.value.description ?? "none"
        }
        #expect(ghes("envs/staging") == "\"https://staging.example.com\"")
        #expect(ghes("envs/production").contains("from `${{ vars.PROD_GHES }}`"))
        // `other` runs in no job: both values could reach it, and they differ.
        #expect(ghes("other").contains("set to different values by the workflows"), "\(ghes("other"))")
    }

    @Test func theAuditsOwnEnvironmentAndTfvarsWin() throws {
        let workflow = """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            env:
              TF_VAR_ghes_url: https://ci.example.com
            steps:
              - run: terraform apply

        """
        let files = ["main.tf": Self.ghesRoot, "terraform.tfvars": "ghes_url = \"https://tfvars.example.com\"\n", ".github/workflows/d.yml": workflow]
        let ws = try Self.workspace(files)
        let module = ws.terraformModules()[""]!
        #expect(RootInputs().values(for: module, workspace: ws).values["ghes_url"]?.value.stringValue == "https://tfvars.example.com")
        let ws2 = try Self.workspace(files.filter { $0.key != "terraform.tfvars" })
        let module2 = ws2.terraformModules()[""]!
        #expect(RootInputs().values(for: module2, workspace: ws2).values["ghes_url"]?.value.stringValue == "https://ci.example.com")
        let env = RootInputs(environment: ["TF_VAR_ghes_url": "https://env.example.com"])
        #expect(env.values(for: module2, workspace: ws2).values["ghes_url"]?.value.stringValue == "https://env.example.com")
    }

    @Test func aSecretLiteralInAWorkflowNeverReachesOutput() throws {
        let token = "ghp_" + String(repeating: "A1b2C3", count: 6)
        let workflow = """
        on: push
        env:
          TF_VAR_ghes_url: ${{ secrets.GHES_URL }}
          TF_VAR_github_token: \(token)
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: terraform apply

        """
        let root = Self.ghesRoot.replacingOccurrences(of: "variable \"ephemeral\" {\n  type = bool\n}", with: "variable \"ephemeral\" {\n  default = true\n}\nvariable \"github_token\" {\n  type = string\n}")
        let result = try Self.run(["main.tf": root, ".github/workflows/deploy.yml": workflow], target: "4.7.0")
        let f = try #require(result.report.findings.first { $0.ruleId == "JIT-106" })
        #expect(f.related.contains { $0.location.path == ".github/workflows/deploy.yml" })
        for format in OutputFormat.allCases {
            let text = render(result.report, as: format, options: RenderOptions(color: false, sources: result.sources))
            #expect(!text.contains(token), "\(format) output shows the token")
        }
    }

    static func workspace(_ files: [String: String]) throws -> Workspace {
        try run(files, target: "pinned").workspace
    }
}
