import AuditCore
import Testing
@testable import IAM

/// Gap analysis against the committed knowledge table, with boundaries written for these tests.
@Suite struct GapAnalysisTests {
    let table: RequiredPermissions

    init() throws {
        table = try #require(KnowledgeTable.loaded, "\(KnowledgeTable.relativePath) is missing or does not load")
    }

    /// What the audit would know about a deployment with prefix `ci` in eu-west-1.
    static let deployment: [String: String] = [
        "partition": "aws", "region": "eu-west-1", "account": "123456789012", "prefix": "ci",
        "ssm_app_path": "/github-action-runners/ci/app",
        "ssm_config_path": "/github-action-runners/ci/runners/config",
        "ssm_tokens_path": "/github-action-runners/ci/runners/tokens",
        "ssm_webhook_path": "/github-action-runners/ci/webhook",
        "build_queue_name": "ci-queued-builds", "event_bus_name": "ci-runners",
        "runner_role_path": "/ci/", "runner_role_name": "ci-runner-role",
        "log_group_name": "/aws/lambda/ci-scale-up",
        "ami_id_ssm_parameter_name": "/github-action-runners/ci/runners/config/ami_id",
        "distribution_bucket": "ci-dist", "runner_distribution_key": "actions-runner-linux.tar.gz",
    ]

    func gaps(_ role: ModuleRole, at version: String, boundary: String, syntax: PolicyPattern.Syntax = .policy,
              features: [String: Bool] = [:], bindings: [String: String] = deployment) -> [Gap] {
        let required = table.for(role: role, at: ModuleVersion(version)!, features: features)
        let b = policy(boundary, path: "iam/boundary.json", syntax: syntax)
        return IAMAnalysis.missing(required: required, identity: [.granting(required)], boundary: b, bindings: bindings)
    }

    /// A boundary written for 3.x: SSM reads scoped to the app parameters, writes to the tokens.
    static let preJITBoundary = """
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Sid": "Compute", "Effect": "Allow", "Action": ["ec2:*", "sqs:*", "logs:*"], "Resource": "*"},
        {"Sid": "PassRunnerRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/ci/*"},
        {"Sid": "AppSecrets", "Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": "arn:aws:ssm:eu-west-1:123456789012:parameter/github-action-runners/ci/app/*"},
        {"Sid": "Tokens", "Effect": "Allow", "Action": "ssm:PutParameter",
         "Resource": "arn:aws:ssm:eu-west-1:123456789012:parameter/github-action-runners/ci/runners/tokens/*"}
      ]
    }
    """

    @Test func boundaryThatLacksWhat401Needs() throws {
        // At 3.6.1 it was enough, except that PutParameter is granted on `*` by the module.
        let before = gaps(.scaleUp, at: "3.6.1", boundary: Self.preJITBoundary)
        #expect(before.filter(\.isDefinite).isEmpty, "\(before.map(\.action))")

        let after = gaps(.scaleUp, at: "4.0.1", boundary: Self.preJITBoundary)
        let definite = after.filter(\.isDefinite)
        #expect(definite.map(\.action) == ["ssm:GetParameter"])
        let jit = try #require(definite.first)
        #expect(jit.resource == "arn:${partition}:ssm:${region}:${account}:parameter${ssm_config_path}/*")
        #expect(jit.introduced == ModuleVersion(4, 0, 0))
        #expect(jit.need == .degraded)
        guard case .notAllowed(.permissionBoundary, let closest) = jit.shortfall else {
            Issue.record("expected the boundary to fall short, got \(jit.shortfall)"); return
        }
        // The nearest statement is the one allowing the action on other parameters, with its range.
        #expect(closest.map(\.statement.sid?.value) == ["AppSecrets"])
        #expect(closest.first?.statement.range?.start.line == 6)
        #expect(jit.explanation.hasPrefix("The permission boundary does not allow `ssm:GetParameter`"))

        // PutParameter: the module grants it on `*`, the boundary on the tokens: not called missing.
        let put = try #require(after.first { $0.action == "ssm:PutParameter" })
        #expect(!put.isDefinite)
        guard case .unknown(let reason, let statements) = put.shortfall else { Issue.record("expected unknown"); return }
        #expect(reason.contains("only on `arn:aws:ssm:eu-west-1:123456789012:parameter/github-action-runners/ci/runners/tokens/*`"))
        #expect(statements.map(\.statement.sid?.value) == ["Tokens"])
    }

    /// A boundary that fits the module from 3.x to 7.x.
    static let sufficientBoundary = """
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Sid": "Services", "Effect": "Allow", "Action": ["ec2:*", "sqs:*", "logs:*", "events:PutEvents", "cloudwatch:PutMetricData"], "Resource": "*"},
        {"Sid": "RunnerParameters", "Effect": "Allow", "Action": "ssm:*", "Resource": "arn:aws:ssm:*:*:parameter/github-action-runners/ci/*"},
        {"Sid": "WriteParameters", "Effect": "Allow", "Action": ["ssm:PutParameter", "ssm:AddTagsToResource"], "Resource": "*"},
        {"Sid": "Binaries", "Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::*"},
        {"Sid": "PassRunnerRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/ci/*"}
      ]
    }
    """

    @Test(arguments: ["3.6.1", "4.0.1", "5.11.0", "5.21.0", "6.0.0", "6.7.0", "7.11.0"])
    func sufficientBoundaryLeavesNoGap(_ version: String) {
        for role in [ModuleRole.runnerInstance, .scaleUp, .scaleDown, .webhook, .dispatcher] {
            let found = gaps(role, at: version, boundary: Self.sufficientBoundary)
            #expect(found.isEmpty, "\(role) at \(version): \(found.map { "\($0.action) on \($0.resource): \($0.explanation)" })")
        }
    }

    @Test func explicitDenyIsNamedWithItsRange() throws {
        let text = """
        {
          "Version": "2012-10-17",
          "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "KeepParameters", "Effect": "Deny", "Action": ["ssm:DeleteParameter*"], "Resource": "*"}
          ]
        }
        """
        let found = gaps(.runnerInstance, at: "5.11.0", boundary: text)
        #expect(found.map(\.action) == ["ssm:DeleteParameter"])
        let gap = try #require(found.first)
        #expect(gap.need == .required)
        #expect(gap.isDefinite)
        guard case .denied(let by) = gap.shortfall else { Issue.record("expected denied"); return }
        #expect(by.layer == .permissionBoundary)
        #expect(by.statement.sid?.value == "KeepParameters")
        #expect(slice(text, by.statement.actions?.patterns.first?.range) == "\"ssm:DeleteParameter*\"")
        #expect(by.statement.range?.start.line == 5)
        #expect(gap.explanation == "`KeepParameters` in the permission boundary explicitly denies `ssm:DeleteParameter`; an explicit Deny wins over any Allow.")
    }

    /// The boundary of a deployment that never used EventBridge.
    static let directModeBoundary = """
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": ["ec2:*", "sqs:*", "ssm:*", "logs:*", "lambda:*", "kms:Decrypt"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/ci/*"}
      ]
    }
    """

    @Test func upgradeFrom5210To600TurnsEventBridgeOn() throws {
        #expect(gaps(.webhook, at: "5.21.0", boundary: Self.directModeBoundary).isEmpty)
        #expect(gaps(.dispatcher, at: "5.21.0", boundary: Self.directModeBoundary).isEmpty)

        let after = gaps(.webhook, at: "6.0.0", boundary: Self.directModeBoundary)
        #expect(after.map(\.action) == ["events:PutEvents"])
        let gap = try #require(after.first)
        #expect(gap.isDefinite && gap.need == .required)
        #expect(gap.introduced == ModuleVersion(5, 18, 0))
        guard case .notAllowed(.permissionBoundary, let closest) = gap.shortfall else { Issue.record("expected not allowed"); return }
        #expect(closest.isEmpty)

        // The upgrade is what brings the need: EventBridge becomes the default.
        let new = table.newlyNeeded(role: .webhook, from: ModuleVersion(5, 21, 0), to: ModuleVersion(6, 0, 0))
        #expect(new.map(\.action) == ["events:PutEvents"])
        #expect(!table.newlyNeeded(role: .dispatcher, from: ModuleVersion(5, 21, 0), to: ModuleVersion(6, 0, 0)).isEmpty)
        // Keeping the old mode avoids it.
        #expect(gaps(.webhook, at: "6.0.0", boundary: Self.directModeBoundary, features: ["eventbridge": false]).isEmpty)
    }

    /// In the shape of the module's own boundary example: service wildcards, and the runner role
    /// namespace written with Terraform placeholders.
    static let namespaceBoundaryTemplate = """
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "ServicesUsedByRunners",
          "Effect": "Allow",
          "Action": ["cloudwatch:*", "ec2:*", "ec2messages:*", "lambda:*", "logs:*", "s3:*", "sqs:*", "ssm:*", "ssmmessages:*"],
          "Resource": "*"
        },
        {
          "Sid": "PassRolesOfTheNamespace",
          "Effect": "Allow",
          "Action": ["iam:PassRole"],
          "Resource": "arn:${aws_partition}:iam::${account_id}:role/${role_namespace}/*"
        },
        {"Sid": "Decrypt", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}
      ]
    }
    """

    @Test func boundaryTemplateWithPlaceholders() throws {
        // The template reads without errors; its placeholders are unknown parts.
        let parsed = parse(Self.namespaceBoundaryTemplate, path: "iam/boundary.json.tpl", syntax: .terraformTemplate)
        #expect(parsed.diagnostics.isEmpty)
        let pass = try #require(parsed.document?.statements[1].resources?.patterns.first)
        #expect(pass.dependencies == ["aws_partition", "account_id", "role_namespace"])

        // Unknown namespace: whether scale-up may pass the runner role cannot be decided.
        let found = gaps(.scaleUp, at: "6.0.0", boundary: Self.namespaceBoundaryTemplate, syntax: .terraformTemplate)
        let passRole = try #require(found.first { $0.action == "iam:PassRole" })
        guard case .unknown(let reason, let statements) = passRole.shortfall else { Issue.record("expected unknown"); return }
        #expect(reason.contains("`aws_partition`") && reason.contains("`role_namespace`"))
        #expect(statements.map(\.statement.sid?.value) == ["PassRolesOfTheNamespace"])
        #expect(found.filter(\.isDefinite).isEmpty)

        // Once the template's values are known, passing the role is allowed.
        let known = Self.deployment.merging(["aws_partition": "aws", "account_id": "123456789012", "role_namespace": "ci"]) { a, _ in a }
        #expect(gaps(.scaleUp, at: "6.0.0", boundary: Self.namespaceBoundaryTemplate, syntax: .terraformTemplate, bindings: known).isEmpty)
        // A runner role outside the namespace is not.
        var elsewhere = known
        elsewhere["runner_role_path"] = "/"
        let outside = gaps(.scaleUp, at: "6.0.0", boundary: Self.namespaceBoundaryTemplate, syntax: .terraformTemplate, bindings: elsewhere)
        #expect(outside.map(\.action) == ["iam:PassRole"])
        #expect(outside.first?.isDefinite == true)

        // This shape has no EventBridge: the 6.0 webhook cannot publish.
        let webhook = gaps(.webhook, at: "6.0.0", boundary: Self.namespaceBoundaryTemplate, syntax: .terraformTemplate, bindings: known)
        #expect(webhook.map(\.action) == ["events:PutEvents"])
        // The runner instance role gets everything it needs.
        #expect(gaps(.runnerInstance, at: "7.11.0", boundary: Self.namespaceBoundaryTemplate, syntax: .terraformTemplate, bindings: known).isEmpty)
    }

    @Test func overridingRoleWithoutTheBoundary() throws {
        // 7.7+ `iam_overrides`: the user's own runner role; no boundary, its policies are the identity layer.
        let own = policy("""
        {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:DeleteParameter"],
           "Resource": "arn:aws:ssm:*:*:parameter/github-action-runners/ci/*"},
          {"Effect": "Allow", "Action": ["ec2:DescribeTags", "s3:GetObject", "s3:GetObjectAcl"], "Resource": "*"}
        ]}
        """, path: "iam/runner-role.json")
        let required = table.for(role: .runnerInstance, at: ModuleVersion(7, 11, 0), features: ["cloudwatch-agent": false])
        let found = IAMAnalysis.missing(required: required, identity: [own], boundary: nil, bindings: Self.deployment)
        #expect(Set(found.map(\.action)) == ["ec2:TerminateInstances", "ec2:CreateTags"])
        #expect(found.allSatisfy { $0.need == .degraded })
        guard case .notAllowed(.identity, _) = found[0].shortfall else { Issue.record("expected identity shortfall"); return }
        #expect(found[0].explanation.hasPrefix("No statement allows `ec2:"))
    }
}

@Suite struct OverBroadTests {
    @Test func flagsAllActionsIAMAndNotActionOnEverything() {
        let text = """
        {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": "*", "Resource": "*"},
          {"Effect": "Allow", "Action": ["s3:GetObject", "IAM:*"], "Resource": ["*"]},
          {"Effect": "Allow", "Action": "*:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
          {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
          {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"},
          {"Effect": "Deny", "Action": "*", "Resource": "*"},
          {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}
        ]}
        """
        let found = IAMAnalysis.overBroad(policy(text))
        #expect(found.map(\.kind) == [.allActions, .allIAMActions, .allActions, .allActionsExcept])
        #expect(found.map(\.statementIndex) == [0, 1, 2, 3])
        #expect(found.map { slice(text, $0.actionRange) } == ["\"*\"", "\"IAM:*\"", "\"*:*\"", "\"NotAction\""])
        #expect(found.map(\.isConditional) == [false, false, true, false])
        #expect(slice(text, found[1].resourceRange) == "\"*\"")
    }
}

@Suite struct RequirementRequestTests {
    @Test func ownConditionsDescribeTheRequest() {
        let r = Requirement(role: .runnerInstance, action: "ec2:CreateTags", resource: "arn:*:ec2:*:*:instance/*", need: .degraded,
                            introduced: ModuleVersion(6, 7, 0),
                            conditions: [RequirementCondition(op: "ForAllValues:StringEquals", key: "aws:TagKeys", values: ["ghr:github_runner_id"]),
                                         RequirementCondition(op: "StringEquals", key: "ec2:ResourceTag/gh:environment", values: ["${prefix}"]),
                                         RequirementCondition(op: "StringEquals", key: "aws:ARN", values: ["$${ec2:SourceInstanceARN}"])],
                            citation: "v6.7.0:x")
        let request = r.request(bindings: ["prefix": "ci"])
        #expect(request.context.values(of: "AWS:TagKeys") == ["ghr:github_runner_id"])
        #expect(request.context.values(of: "ec2:ResourceTag/gh:environment") == ["ci"])
        // A policy variable is not a value the audit knows.
        #expect(request.context.values(of: "aws:ARN") == nil)
        #expect(request.context.satisfied.count == 3)
        #expect(request.context.satisfied[1].values.map(\.literalValue) == ["ci"])

        // A boundary limiting tag keys lets the request through; one limiting them to others does not.
        let allowTag = policy(document(allow(["ec2:CreateTags"], condition: #"{"ForAllValues:StringEquals": {"aws:TagKeys": ["ghr:github_runner_id", "Name"]}}"#)))
        #expect(PolicyEvaluator(identity: [allowTag]).decide(request).isAllowed)
        let otherTags = policy(document(allow(["ec2:CreateTags"], condition: #"{"ForAllValues:StringEquals": {"aws:TagKeys": ["Name"]}}"#)))
        #expect(!PolicyEvaluator(identity: [otherTags]).decide(request).isAllowed)
    }
}
