import AuditCore
import Testing
@testable import IAM

@Suite struct EvaluationTests {
    let paramARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/github-action-runners/ci/runners/config/run_as"

    func decide(_ identity: [String], boundary: String? = nil, action: String, resource: String,
                context: RequestContext = RequestContext(), bindings: [String: String] = [:]) -> Decision {
        let ids = identity.enumerated().map { policy($0.element, path: "identity\($0.offset).json") }
        let b = boundary.map { policy($0, path: "boundary.json") }
        return PolicyEvaluator(identity: ids, boundary: b, bindings: bindings)
            .decide(AccessRequest(action: action, resource: resource, context: context))
    }

    @Test func allowedByWildcardAction() {
        let text = document(allow(["ssm:Get*"]))
        let d = decide([text], action: "ssm:GetParameter", resource: paramARN)
        guard case .allowed(let by) = d else { Issue.record("expected allowed, got \(d)"); return }
        #expect(by.count == 1)
        #expect(by[0].layer == .identity)
        #expect(slice(text, by[0].statement.range) == allow(["ssm:Get*"]))
    }

    @Test func questionMarkMatchesExactlyOneCharacter() {
        #expect(decide([document(allow(["ec2:?eleteTags"]))], action: "ec2:DeleteTags", resource: "*").isAllowed)
        #expect(!decide([document(allow(["ec2:?eleteTags"]))], action: "ec2:CreateTags", resource: "*").isAllowed)
    }

    @Test func notActionAllowsEverythingElse() {
        let doc = document(#"{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}"#)
        #expect(decide([doc], action: "ssm:GetParameter", resource: paramARN).isAllowed)
        guard case .notAllowed(.identity, _) = decide([doc], action: "iam:PassRole", resource: "*") else {
            Issue.record("NotAction iam:* must not allow iam:PassRole"); return
        }
    }

    @Test func notResourceExcludesResources() {
        let doc = document(#"{"Effect": "Allow", "Action": "ssm:*", "NotResource": "arn:aws:ssm:*:*:parameter/secret/*"}"#)
        #expect(decide([doc], action: "ssm:GetParameter", resource: paramARN).isAllowed)
        #expect(!decide([doc], action: "ssm:GetParameter", resource: "arn:aws:ssm:eu-west-1:1:parameter/secret/key").isAllowed)
        // A request for a pattern that reaches into the excluded part is not fully allowed.
        #expect(!decide([doc], action: "ssm:GetParameter", resource: "arn:aws:ssm:eu-west-1:1:parameter/*").isAllowed)
    }

    @Test func explicitDenyWinsOverAllow() {
        let doc = document(allow(["ssm:*"]), deny(["ssm:DeleteParameter"], sid: "NoDelete"))
        guard case .denied(let by) = decide([doc], action: "ssm:DeleteParameter", resource: paramARN) else {
            Issue.record("expected denied"); return
        }
        #expect(by.statement.sid?.value == "NoDelete")
        #expect(by.layer == .identity)
        #expect(decide([doc], action: "ssm:GetParameter", resource: paramARN).isAllowed)
    }

    @Test func denyInTheBoundaryWinsToo() {
        let boundary = document(allow(["*"]), deny(["events:*"], sid: "NoEvents"))
        guard case .denied(let by) = decide([document(allow(["events:PutEvents"]))], boundary: boundary,
                                              action: "events:PutEvents", resource: "*") else {
            Issue.record("expected denied"); return
        }
        #expect(by.layer == .permissionBoundary)
    }

    /// A Deny scoped to part of the resources a need ranges over denies that part, not the need.
    @Test func denyOfPartOfTheResourcesIsAPartialDeny() {
        let doc = document(allow(["ssm:*"]), deny(["ssm:GetParameter"], ["arn:aws:ssm:*:*:parameter/github-action-runners/ci/runners/config/*"], sid: "NoConfig"))
        let wide = "arn:aws:ssm:eu-west-1:123456789012:parameter/github-action-runners/ci/*"
        guard case .partlyDenied(let by) = decide([doc], action: "ssm:GetParameter", resource: wide) else {
            Issue.record("expected partly denied, got \(decide([doc], action: "ssm:GetParameter", resource: wide))"); return
        }
        #expect(by.statement.sid?.value == "NoConfig")
        // Covering what is needed, a scoped Deny denies it like a Deny on `*`.
        guard case .denied = decide([doc], action: "ssm:GetParameter", resource: paramARN) else {
            Issue.record("a Deny covering the resource must deny it"); return
        }
        guard case .denied = decide([doc], action: "ssm:GetParameter", resource: "arn:aws:ssm:eu-west-1:123456789012:parameter/github-action-runners/ci/runners/config/*") else {
            Issue.record("a Deny covering the needed pattern must deny it"); return
        }
        // Elsewhere it does not apply at all.
        #expect(decide([doc], action: "ssm:GetParameter", resource: "arn:aws:ssm:eu-west-1:123456789012:parameter/other/x").isAllowed)
        // Not allowed stays not allowed (the partial Deny does not hide a missing Allow).
        guard case .notAllowed = decide([document(allow(["ssm:PutParameter"]), deny(["ssm:GetParameter"], ["arn:aws:ssm:*:*:parameter/github-action-runners/ci/runners/config/*"]))],
                                        action: "ssm:GetParameter", resource: wide) else {
            Issue.record("expected not allowed"); return
        }
    }

    @Test func denyOfEveryResourceOfATypeDeniesANeedOnStar() {
        // Guard rails are written per type: every instance in every region and account. The need on
        // `*` acts only on instances, so nothing is left allowed.
        let doc = document(allow(["ec2:*"]), deny(["ec2:TerminateInstances"], ["arn:aws:ec2:*:*:instance/*"], sid: "NoTermination"))
        guard case .denied(let by) = decide([doc], action: "ec2:TerminateInstances", resource: "*") else {
            Issue.record("expected denied, got \(decide([doc], action: "ec2:TerminateInstances", resource: "*"))"); return
        }
        #expect(by.statement.sid?.value == "NoTermination")
        // Pinned to one account or a name prefix, it is only part of the range.
        for scoped in ["arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:*:*:instance/i-0abc*"] {
            let d = document(allow(["ec2:*"]), deny(["ec2:TerminateInstances"], [scoped]))
            guard case .partlyDenied = decide([d], action: "ec2:TerminateInstances", resource: "*") else {
                Issue.record("\(scoped) should deny only part of `*`"); continue
            }
        }
        // Another service's type does not take in the action's resources: never a full denial.
        let other = document(allow(["ec2:*"]), deny(["ec2:TerminateInstances"], ["arn:aws:ssm:*:*:parameter/*"]))
        if case .denied = decide([other], action: "ec2:TerminateInstances", resource: "*") {
            Issue.record("a Deny on another service's resources must not deny the need")
        }
    }

    @Test func denyOfPartOfARequestedPatternDenies() {
        let doc = document(allow(["kms:*"]), deny(["kms:ReEncryptFrom"]))
        guard case .denied = decide([doc], action: "kms:ReEncrypt*", resource: "*") else {
            Issue.record("a deny of one of the actions must deny the pattern"); return
        }
    }

    @Test func boundaryMustAllowToo() {
        let identity = document(allow(["ssm:GetParameter", "events:PutEvents"]))
        let boundary = document(allow(["ssm:*", "sqs:*"], sid: "ServiceBoundaries"))
        #expect(decide([identity], boundary: boundary, action: "ssm:GetParameter", resource: paramARN).isAllowed)
        guard case .notAllowed(.permissionBoundary, let closest) = decide([identity], boundary: boundary, action: "events:PutEvents", resource: "*") else {
            Issue.record("expected the boundary to fall short"); return
        }
        #expect(closest.isEmpty)
    }

    @Test func identityMustAllowEvenWithBroadBoundary() {
        guard case .notAllowed(.identity, _) = decide([document(allow(["s3:*"]))], boundary: document(allow(["*"])),
                                                      action: "ssm:GetParameter", resource: paramARN) else {
            Issue.record("expected the identity policies to fall short"); return
        }
    }

    @Test func closestStatementsPointAtTheNearMiss() {
        let doc = document(allow(["ssm:GetParameter"], ["arn:aws:ssm:*:*:parameter/other/*"], sid: "Other"),
                           allow(["ssm:PutParameter"], sid: "Put"), allow(["s3:GetObject"]))
        guard case .notAllowed(_, let closest) = decide([doc], action: "ssm:GetParameter", resource: paramARN) else {
            Issue.record("expected not allowed"); return
        }
        #expect(closest.map(\.statement.sid?.value) == ["Other"])
    }

    @Test func conditionsMakeTheAllowConditional() {
        let doc = document(allow(["ec2:TerminateInstances"], condition: #"{"StringEquals": {"ec2:ResourceTag/ghr:Application": "github-action-runner"}}"#))
        guard case .conditional(let grants) = decide([doc], action: "ec2:TerminateInstances", resource: "*") else {
            Issue.record("expected conditional"); return
        }
        #expect(grants.count == 1)
        #expect(grants[0].effect == .allow)
        #expect(grants[0].conditions.map(\.key) == ["ec2:ResourceTag/ghr:Application"])

        // Known context decides it.
        let tagged = RequestContext(values: ["EC2:ResourceTag/ghr:Application": ["github-action-runner"]])
        #expect(decide([doc], action: "ec2:TerminateInstances", resource: "*", context: tagged).isAllowed)
        let other = RequestContext(values: ["ec2:ResourceTag/ghr:Application": ["something-else"]])
        guard case .notAllowed = decide([doc], action: "ec2:TerminateInstances", resource: "*", context: other) else {
            Issue.record("a failing condition means no allow"); return
        }
        // An absent key fails a positive operator and passes an IfExists one.
        let absent = RequestContext(absent: ["ec2:ResourceTag/ghr:Application"])
        #expect(!decide([doc], action: "ec2:TerminateInstances", resource: "*", context: absent).isAllowed)
        let ifExists = document(allow(["ec2:TerminateInstances"], condition: #"{"StringEqualsIfExists": {"ec2:ResourceTag/ghr:Application": "x"}}"#))
        #expect(decide([ifExists], action: "ec2:TerminateInstances", resource: "*", context: absent).isAllowed)
    }

    @Test func conditionalDenyIsReportedAsUnless() {
        let doc = document(allow(["*"]), deny(["*"], condition: #"{"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}"#))
        guard case .conditional(let grants) = decide([doc], action: "ssm:GetParameter", resource: paramARN) else {
            Issue.record("expected conditional"); return
        }
        #expect(grants.map(\.effect) == [.deny])
        let inRegion = RequestContext(values: ["aws:RequestedRegion": ["eu-west-1"]])
        #expect(decide([doc], action: "ssm:GetParameter", resource: paramARN, context: inRegion).isAllowed)
        let elsewhere = RequestContext(values: ["aws:RequestedRegion": ["us-east-1"]])
        guard case .denied = decide([doc], action: "ssm:GetParameter", resource: paramARN, context: elsewhere) else {
            Issue.record("expected denied outside the region"); return
        }
    }

    @Test func conditionTheRequestIsKnownToSatisfy() {
        let condition = #"{"StringLike": {"ec2:SourceInstanceARN": "*/${aws:ResourceTag/InstanceId}"}}"#
        let boundary = document(allow(["ssm:GetParameter"], condition: condition))
        let own = policy(document(allow(["ssm:GetParameter"], condition: condition))).statements[0].conditions
        let d = decide([document(allow(["ssm:*"]))], boundary: boundary, action: "ssm:GetParameter", resource: paramARN,
                       context: RequestContext(satisfied: own))
        #expect(d.isAllowed)
    }

    @Test func stringLikeAndArnLikeConditions() {
        let doc = document(allow(["sts:AssumeRole"], condition: #"{"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:ci-*"}, "StringLike": {"aws:username": "ci-?"}}"#))
        let ok = RequestContext(values: ["aws:SourceArn": ["arn:aws:lambda:eu-west-1:1:function:ci-scale-up"], "aws:username": ["ci-1"]])
        #expect(decide([doc], action: "sts:AssumeRole", resource: "*", context: ok).isAllowed)
        let bad = RequestContext(values: ["aws:SourceArn": ["arn:aws:lambda:eu-west-1:1:function:other"], "aws:username": ["ci-1"]])
        #expect(!decide([doc], action: "sts:AssumeRole", resource: "*", context: bad).isAllowed)
    }

    @Test func unknownPlaceholdersGiveUnknownNotAGuess() {
        let boundary = document(allow(["iam:PassRole"], ["arn:${aws_partition}:iam::${account_id}:role/${role_namespace}/*"], sid: "RoleInNamespace"))
        let d = decide([document(allow(["iam:PassRole"]))], boundary: boundary, action: "iam:PassRole",
                       resource: "arn:aws:iam::123456789012:role/ci/ci-runner-role")
        guard case .unknown(let reason, let statements) = d else { Issue.record("expected unknown, got \(d)"); return }
        #expect(reason.contains("`aws_partition`"))
        #expect(statements.map(\.statement.sid?.value) == ["RoleInNamespace"])

        // Once the caller knows the values, the answer is definite.
        let bound = decide([document(allow(["iam:PassRole"]))], boundary: boundary, action: "iam:PassRole",
                           resource: "arn:aws:iam::123456789012:role/ci/ci-runner-role",
                           bindings: ["aws_partition": "aws", "account_id": "123456789012", "role_namespace": "ci"])
        #expect(bound.isAllowed)
        let elsewhere = decide([document(allow(["iam:PassRole"]))], boundary: boundary, action: "iam:PassRole",
                               resource: "arn:aws:iam::123456789012:role/other/x",
                               bindings: ["aws_partition": "aws", "account_id": "123456789012", "role_namespace": "ci"])
        guard case .notAllowed(.permissionBoundary, let closest) = elsewhere else { Issue.record("expected not allowed"); return }
        #expect(closest.map(\.statement.sid?.value) == ["RoleInNamespace"])
    }

    @Test func partitions() {
        let boundary = document(allow(["sqs:SendMessage"], ["arn:aws:sqs:*:*:*"]))
        let request = "arn:${partition}:sqs:${region}:${account}:ci-queued-builds"
        guard case .unknown(let reason, _) = decide([document(allow(["sqs:*"]))], boundary: boundary, action: "sqs:SendMessage", resource: request) else {
            Issue.record("partition unknown must give unknown"); return
        }
        #expect(reason.contains("`partition`"))
        #expect(decide([document(allow(["sqs:*"]))], boundary: boundary, action: "sqs:SendMessage", resource: request,
                       bindings: ["partition": "aws", "region": "eu-west-1", "account": "1"]).isAllowed)
        guard case .notAllowed = decide([document(allow(["sqs:*"]))], boundary: boundary, action: "sqs:SendMessage", resource: request,
                                        bindings: ["partition": "aws-us-gov", "region": "us-gov-west-1", "account": "1"]) else {
            Issue.record("a GovCloud ARN is not covered by an `aws` pattern"); return
        }
    }

    @Test func unreadablePartsTurnNotAllowedIntoUnknown() {
        let template = """
        {"Version": "2012-10-17", "Statement": ${statements}}
        """
        let boundary = policy(template, path: "b.json", syntax: .terraformTemplate)
        #expect(!boundary.isComplete)
        let d = PolicyEvaluator(identity: [policy(document(allow(["*"])))], boundary: boundary)
            .decide(AccessRequest(action: "ssm:GetParameter", resource: paramARN))
        guard case .unknown(let reason, _) = d else { Issue.record("expected unknown, got \(d)"); return }
        #expect(reason.contains("`statements`"))
    }

    @Test func noIdentityPoliciesMeansNotAllowed() {
        guard case .notAllowed(.identity, let closest) = decide([], action: "ssm:GetParameter", resource: paramARN) else {
            Issue.record("expected not allowed"); return
        }
        #expect(closest.isEmpty)
    }
}
