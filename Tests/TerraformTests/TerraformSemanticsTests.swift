import AuditCore
import Documents
import HCL
import Terraform
import Testing

/// Terraform's variable semantics, as `terraform console` shows them (see TerraformDifferentialTests).
@Suite struct TerraformSemanticsTests {
    @Test func nonNullableVariableGivenNullTakesItsDefault() throws {
        let m = try model([
            "main.tf": """
            module "wrapper" {
              source = "./wrapper"
              create = null
              label  = null
            }
            """,
            "wrapper/main.tf": """
            variable "create" {
              type     = bool
              default  = true
              nullable = false
            }
            variable "label" {
              type    = string
              default = "kept-null"
            }
            locals {
              decision = var.create ? "create" : "skip"
              label    = var.label == null ? "null" : var.label
            }
            """,
        ])
        let scope = try #require(m.scopes.first { $0.module.directory == "wrapper" })
        #expect(scope.locals["decision"] == .string("create"), "a non-nullable variable given null takes its default")
        #expect(scope.locals["label"] == .string("null"), "a nullable variable given null stays null")
    }

    @Test func setVariablesHoldEachElementOnceInOrder() throws {
        let m = try model([
            "main.tf": """
            variable "names" {
              type    = set(string)
              default = ["b", "a", "b"]
            }
            locals { n = length(var.names) }
            """,
        ])
        let scope = try #require(m.scopes.first { $0.module.directory == "" })
        #expect(scope.variables["names"]?.value.listValue?.compactMap(\.stringValue) == ["a", "b"])
        #expect(scope.locals["n"] == .number(2))
    }

    @Test func conditionalResultsShareOneType() {
        func eval(_ text: String) -> (Value, [Diagnostic]) {
            Evaluator.evaluate(HCLParser.parseExpression(SourceFile(path: "t.tf", text: text)).0, in: EvalContext())
        }
        #expect(eval(#"true ? 1 : "two""#).0 == .string("1"))
        #expect(eval(#"false ? "a" : true"#).0 == .string("true"))
        let (v, d) = eval("true ? 1 : false")
        #expect(v.isUnknown && d.first?.summary == "Inconsistent conditional result types")
        // The branch not taken lends only its type: its errors do not count.
        let (w, e) = eval(#"true ? 1 : [][0]"#)
        #expect(w == .number(1) && e.isEmpty)
    }
}

/// A JSON template is parsed once, by the workspace, with what the IAM policy front end needs.
@Suite struct WorkspaceTemplateTests {
    @Test func aJSONTemplateKeepsEveryBranchAndItsCondition() throws {
        let text = """
        {"Statement": [
          %{ if kms_key_arn != "" }{"Action": "kms:Decrypt", "Resource": "${kms_key_arn}"}
          %{ else }{"Action": "s3:GetObject", "Resource": "*"}%{ endif }
        ]}
        """
        let file = WorkspaceFile.parse(SourceFile(path: "policies/runner.json", text: text), kind: .json, isTemplate: false)
        #expect(file.isTemplate)
        #expect(file.diagnostics.isEmpty)
        let template = try #require(file.template)
        let statements = try #require(file.json?["Statement"]?.elements)
        #expect(statements.count == 2)
        // The parse the policy front end reads is the workspace's own tree.
        #expect(template.root == file.json)
        #expect(statements.map { template.condition(at: $0.range.start.offset) } == ["kms_key_arn != \"\"", "!(kms_key_arn != \"\")"])
        #expect(template.isTemplated(try #require(statements[0]["Resource"]).range))
    }

    @Test func plainJSONHasNoTemplateParse() {
        let file = WorkspaceFile.parse(SourceFile(path: "p.json", text: #"{"Version": "2012-10-17"}"#), kind: .json, isTemplate: false)
        #expect(!file.isTemplate)
        #expect(file.template == nil)
    }
}
