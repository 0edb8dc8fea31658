import AuditCore
import HCL
import Testing
@testable import IAM

@Suite struct PolicyHCLTests {
    static let boundaryText = """
    data "aws_iam_policy_document" "boundary" {
      statement {
        sid       = "Parameters"
        actions   = ["ssm:GetParameter", "ssm:GetParameters"]
        resources = ["arn:${data.aws_partition.current.partition}:ssm:*:*:parameter/${var.prefix}/*"]
        condition {
          test     = "StringEquals"
          variable = "aws:RequestedRegion"
          values   = ["eu-west-1"]
        }
      }
      statement {
        effect      = "Deny"
        not_actions = ["iam:PassRole"]
        resources   = ["*"]
        principals {
          type        = "AWS"
          identifiers = ["*"]
        }
      }
    }
    """

    func boundary() -> (HCLBuilder, Block) {
        var b = HCLBuilder(Self.boundaryText)
        let block = b.block("data", ["aws_iam_policy_document", "boundary"]) { b in
            [
                .block(b.block("statement") { b in
                    [
                        b.attribute("sid") { $0.str("Parameters") },
                        b.attribute("actions") { $0.list(["ssm:GetParameter", "ssm:GetParameters"]) },
                        b.attribute("resources") { b in
                            b.tuple { b in [b.template("arn:", "data.aws_partition.current.partition", ":ssm:*:*:parameter/", "var.prefix", "/*")] }
                        },
                        .block(b.block("condition") { b in
                            [
                                b.attribute("test") { $0.str("StringEquals") },
                                b.attribute("variable") { $0.str("aws:RequestedRegion") },
                                b.attribute("values") { $0.list(["eu-west-1"]) },
                            ]
                        }),
                    ]
                }),
                .block(b.block("statement") { b in
                    [
                        b.attribute("effect") { $0.str("Deny") },
                        b.attribute("not_actions") { $0.list(["iam:PassRole"]) },
                        b.attribute("resources") { $0.list(["*"]) },
                        .block(b.block("principals") { b in
                            [b.attribute("type") { $0.str("AWS") }, b.attribute("identifiers") { $0.list(["*"]) }]
                        }),
                    ]
                }),
            ]
        }
        return (b, block)
    }

    @Test func dataSourceStatementsWithExactRanges() throws {
        let (b, block) = boundary()
        let context = PolicyHCLContext(source: b.file, evaluate: evaluator(["var.prefix": .string("ci")]))
        let r = PolicyHCL.document(fromDataBlock: block, context: context)
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        let doc = try #require(r.document)
        #expect(doc.origin == .terraform("data.aws_iam_policy_document.boundary"))
        #expect(doc.version?.value == "2012-10-17")
        #expect(doc.statements.count == 2)

        let first = doc.statements[0]
        #expect(first.sid?.value == "Parameters")
        #expect(first.effect == .allow)
        #expect(first.effectRange == nil)
        #expect(first.actions?.patterns.map(\.text) == ["ssm:GetParameter", "ssm:GetParameters"])
        #expect(slice(Self.boundaryText, first.actions?.patterns[1].range) == "\"ssm:GetParameters\"")
        #expect(slice(Self.boundaryText, first.actions?.keyRange) == "actions")
        let resource = try #require(first.resources?.patterns.first)
        #expect(resource.pieces == [.literal("arn:"), .unknown("data.aws_partition.current.partition"),
                                    .literal(":ssm:"), .anySequence, .literal(":"), .anySequence, .literal(":parameter/ci/"), .anySequence])
        #expect(resource.range?.start.line == 5)
        #expect(first.conditions.map(\.description) == ["StringEquals `aws:RequestedRegion` \"eu-west-1\""])

        let second = doc.statements[1]
        #expect(second.effect == .deny)
        #expect(slice(Self.boundaryText, second.effectRange) == "\"Deny\"")
        #expect(second.actions?.negated == true)
        #expect(second.principals.map(\.type.value) == ["AWS"])
        #expect(slice(Self.boundaryText, second.range).map { $0.hasPrefix("statement {") && $0.hasSuffix("}") } == true)
    }

    @Test func dataSourceDocumentsEvaluate() {
        let (b, block) = boundary()
        let context = PolicyHCLContext(source: b.file, evaluate: evaluator(["var.prefix": .string("ci")]))
        var doc = PolicyHCL.document(fromDataBlock: block, context: context).document!
        let inRegion = RequestContext(values: ["aws:RequestedRegion": ["eu-west-1"]])
        let bindings = ["data.aws_partition.current.partition": "aws"]
        // The second statement denies everything but `iam:PassRole`.
        guard case .denied(let by) = PolicyEvaluator(identity: [doc], bindings: bindings)
            .decide(AccessRequest(action: "ssm:GetParameter", resource: "arn:aws:ssm:eu-west-1:1:parameter/ci/x", context: inRegion)) else {
            Issue.record("expected the NotAction deny to apply"); return
        }
        #expect(by.index == 1)
        doc.statements.removeLast()
        let evaluator = PolicyEvaluator(identity: [doc], bindings: bindings)
        #expect(evaluator.decide(AccessRequest(action: "ssm:GetParameter", resource: "arn:aws:ssm:eu-west-1:1:parameter/ci/x", context: inRegion)).isAllowed)
        guard case .conditional = evaluator.decide(AccessRequest(action: "ssm:GetParameter", resource: "arn:aws:ssm:eu-west-1:1:parameter/ci/x")) else {
            Issue.record("without the region the allow is conditional"); return
        }
    }

    @Test func misspelledArgumentsAndBadEffect() {
        let text = """
        data "aws_iam_policy_document" "x" {
          statement {
            effect = "allow"
            action = ["s3:GetObject"]
          }
        }
        """
        var b = HCLBuilder(text)
        let block = b.block("data", ["aws_iam_policy_document", "x"]) { b in
            [.block(b.block("statement") { b in
                [b.attribute("effect") { $0.str("allow") }, b.attribute("action") { $0.list(["s3:GetObject"]) }]
            })]
        }
        let r = PolicyHCL.document(fromDataBlock: block, context: PolicyHCLContext(source: b.file, evaluate: evaluator([:])))
        let byToken = Dictionary(r.diagnostics.map { (slice(text, $0.range)!, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byToken["\"allow\""]?.summary == "invalid effect `allow`")
        #expect(byToken["\"allow\""]?.detail?.contains("Did you mean `Allow`?") == true)
        #expect(byToken["action"]?.summary == "unknown argument `action` in `statement`")
        #expect(byToken["action"]?.detail?.contains("Did you mean `actions`?") == true)
        #expect(byToken["statement"]?.summary == "statement has no `actions` or `not_actions`")
    }

    /// Terraform's merge: sources, then the document's statements, then overrides; a statement
    /// with a Sid replaces the earlier one with that Sid in place.
    @Test func sourceAndOverrideDocumentsMergeBySid() throws {
        let text = """
        data "aws_iam_policy_document" "merged" {
          source_policy_documents   = [data.aws_iam_policy_document.base.json]
          override_policy_documents = [data.aws_iam_policy_document.strict.json]
          statement {
            sid     = "B"
            actions = ["ssm:GetParameter"]
          }
          statement {
            actions = ["logs:PutLogEvents"]
          }
        }
        """
        var b = HCLBuilder(text)
        let block = b.block("data", ["aws_iam_policy_document", "merged"]) { b in
            [
                b.attribute("source_policy_documents") { b in b.tuple { [$0.ref("data.aws_iam_policy_document.base.json")] } },
                b.attribute("override_policy_documents") { b in b.tuple { [$0.ref("data.aws_iam_policy_document.strict.json")] } },
                .block(b.block("statement") { b in [b.attribute("sid") { $0.str("B") }, b.attribute("actions") { $0.list(["ssm:GetParameter"]) }] }),
                .block(b.block("statement") { b in [b.attribute("actions") { $0.list(["logs:PutLogEvents"]) }] }),
            ]
        }
        let base = policy(document(allow(["s3:*"], sid: "A"), allow(["sqs:*"], sid: "B")), path: "base.json")
        let strict = policy(document(deny(["s3:DeleteObject"], sid: "A"), allow(["events:PutEvents"], sid: "C")), path: "strict.json")
        let context = PolicyHCLContext(source: b.file, evaluate: evaluator([:])) { e in
            switch e.traversalPath?.joined(separator: ".") {
            case "data.aws_iam_policy_document.base.json": base
            case "data.aws_iam_policy_document.strict.json": strict
            default: nil
            }
        }
        let doc = try #require(PolicyHCL.document(fromDataBlock: block, context: context).document)
        #expect(doc.statements.map { $0.sid?.value ?? "-" } == ["A", "B", "-", "C"])
        #expect(doc.statements[0].effect == .deny)
        #expect(doc.statements[0].range?.path == "strict.json")
        #expect(doc.statements[1].actions?.patterns.map(\.text) == ["ssm:GetParameter"])
        #expect(doc.statements[1].range?.path == "iam.tf")
        #expect(doc.isComplete)
    }

    @Test func unresolvableSourcesAndDynamicStatementsAreUnknownParts() throws {
        let text = """
        data "aws_iam_policy_document" "x" {
          source_policy_documents = var.extra_policies
          dynamic "statement" {
          }
        }
        """
        var b = HCLBuilder(text)
        let block = b.block("data", ["aws_iam_policy_document", "x"]) { b in
            [
                b.attribute("source_policy_documents") { $0.ref("var.extra_policies") },
                .block(b.block("dynamic", ["statement"]) { _ in [] }),
            ]
        }
        let doc = try #require(PolicyHCL.document(fromDataBlock: block, context: PolicyHCLContext(source: b.file, evaluate: evaluator([:]))).document)
        #expect(doc.unknownParts.count == 2)
        #expect(slice(text, doc.unknownParts[0].range) == "var.extra_policies")
        #expect(slice(text, doc.unknownParts[1].range) == "dynamic")
        let d = PolicyEvaluator(identity: [doc]).decide(AccessRequest(action: "s3:GetObject", resource: "*"))
        guard case .unknown(let reason, _) = d else { Issue.record("expected unknown, got \(d)"); return }
        #expect(reason.contains("dynamic \"statement\""))
    }

    @Test func jsonencodePolicyPointsAtHCLTokens() throws {
        let text = """
        resource "aws_iam_role_policy" "webhook" {
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Effect   = "Allow"
              Action   = ["events:PutEvents"]
              Resource = var.event_bus_arn
            }, {
              Effect   = "Allow"
              Action   = "ssm:GetParameter"
              Resource = "arn:aws:ssm:*:*:parameter/${var.prefix}/$${aws:username}"
            }]
          })
        }
        """
        var b = HCLBuilder(text)
        let block = b.block("resource", ["aws_iam_role_policy", "webhook"]) { b in
            [b.attribute("policy") { b in
                b.call("jsonencode") { b in
                    b.object([
                        ("Version", { $0.str("2012-10-17") }),
                        ("Statement", { b in b.tuple { b in [
                            b.object([("Effect", { $0.str("Allow") }), ("Action", { $0.list(["events:PutEvents"]) }), ("Resource", { $0.ref("var.event_bus_arn") })]),
                            b.object([("Effect", { $0.str("Allow") }), ("Action", { $0.str("ssm:GetParameter") }),
                                      ("Resource", { b in
                                          // The parser unescapes `$${` to a literal `${`.
                                          let e = b.template("arn:aws:ssm:*:*:parameter/", "var.prefix", "/$${aws:username}")
                                          guard case .template(var parts) = e.kind, case .literal(_, let r) = parts[2] else { return e }
                                          parts[2] = .literal("/${aws:username}", r)
                                          return Expression(.template(parts), e.range)
                                      })]),
                        ] } }),
                    ])
                }
            }]
        }
        let results = PolicyHCL.policies(ofResource: block, context: PolicyHCLContext(source: b.file, evaluate: evaluator(["var.prefix": .string("ci")])))
        #expect(results.count == 1)
        #expect(results[0].diagnostics.isEmpty, "\(results[0].diagnostics)")
        let doc = try #require(results[0].document)
        #expect(doc.origin == .terraform("aws_iam_role_policy.webhook"))
        #expect(doc.version?.value == "2012-10-17")
        #expect(doc.statements.count == 2)
        #expect(slice(text, doc.statements[0].actions?.patterns.first?.range) == "\"events:PutEvents\"")
        #expect(slice(text, doc.statements[0].actions?.keyRange) == "Action")
        #expect(doc.statements[0].resources?.patterns.first?.pieces == [.unknown("var.event_bus_arn")])
        #expect(slice(text, doc.statements[0].resources?.patterns.first?.range) == "var.event_bus_arn")
        #expect(doc.statements[1].resources?.patterns.first?.pieces ==
                [.literal("arn:aws:ssm:"), .anySequence, .literal(":"), .anySequence, .literal(":parameter/ci/"), .policyVariable("aws:username")])
    }

    @Test func heredocJSONIsReadInPlace() throws {
        let text = """
        resource "aws_iam_role" "runner" {
          inline_policy {
            policy = <<EOF
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Effect": "Allow",
              "Action": ["ssm:GetParameter"],
              "Resource": "arn:aws:ssm:*:*:parameter/${var.prefix}/*"
            }
          ]
        }
        EOF
          }
        }
        """
        var b = HCLBuilder(text)
        let block = b.block("resource", ["aws_iam_role", "runner"]) { b in
            [.block(b.block("inline_policy") { b in [b.attribute("policy") { $0.heredoc(interpolations: ["var.prefix"]) }] })]
        }
        let results = PolicyHCL.policies(ofResource: block, context: PolicyHCLContext(source: b.file, evaluate: evaluator(["var.prefix": .string("ci")])))
        #expect(results.count == 1)
        #expect(results[0].diagnostics.isEmpty, "\(results[0].diagnostics)")
        let doc = try #require(results[0].document)
        #expect(doc.origin == .terraform("aws_iam_role.runner.inline_policy[0]"))
        let action = try #require(doc.statements.first?.actions?.patterns.first)
        #expect(slice(text, action.range) == "\"ssm:GetParameter\"")
        #expect(action.range?.start.line == 9 && action.range?.path == "iam.tf")
        let resource = try #require(doc.statements.first?.resources?.patterns.first)
        #expect(resource.literalValue == nil)
        #expect(resource.pieces == [.literal("arn:aws:ssm:"), .anySequence, .literal(":"), .anySequence, .literal(":parameter/ci/"), .anySequence])
    }
}
