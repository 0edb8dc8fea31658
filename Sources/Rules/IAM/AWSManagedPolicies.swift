import IAM

/// AWS-managed policies the audit knows by name, as far as it needs them: the broad ones users
/// attach to runner roles (`AdministratorAccess`, `PowerUserAccess`, `IAMFullAccess`) and the
/// usual companions of a runner role (Session Manager, CloudWatch agent, X-Ray, S3). Any other
/// AWS-managed policy is unknown to the audit, and analysed as such.
///
/// AWS revises these policies now and then; what matters here (which services and whether the
/// grant is `*`) has been stable for years.
enum AWSManagedPolicies {
    struct Grant {
        var actions: [String]
        var notActions = false
        var resources: [String] = ["*"]
    }

    static let table: [String: [Grant]] = [
        "AdministratorAccess": [Grant(actions: ["*"])],
        "PowerUserAccess": [
            Grant(actions: ["iam:*", "organizations:*", "account:*"], notActions: true),
            Grant(actions: ["account:GetAccountInformation", "account:GetPrimaryEmail", "account:ListRegions",
                            "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                            "organizations:DescribeOrganization"]),
        ],
        "IAMFullAccess": [
            Grant(actions: ["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization",
                            "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy",
                            "organizations:ListChildren", "organizations:ListParents", "organizations:ListPolicies",
                            "organizations:ListPoliciesForTarget", "organizations:ListRoots", "organizations:ListTargetsForPolicy"]),
        ],
        "AmazonSSMManagedInstanceCore": [
            Grant(actions: ["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
                            "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters",
                            "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory",
                            "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus",
                            "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"]),
            Grant(actions: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                            "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]),
            Grant(actions: ["ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
                            "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"]),
        ],
        "CloudWatchAgentServerPolicy": [
            Grant(actions: ["cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags",
                            "logs:PutLogEvents", "logs:PutRetentionPolicy", "logs:DescribeLogStreams",
                            "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup",
                            "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                            "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]),
            Grant(actions: ["ssm:GetParameter"], resources: ["arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"]),
        ],
        "AWSXRayDaemonWriteAccess": [
            Grant(actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                            "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]),
        ],
        "AmazonS3FullAccess": [Grant(actions: ["s3:*", "s3-object-lambda:*"])],
        "AmazonS3ReadOnlyAccess": [
            Grant(actions: ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"]),
        ],
    ]

    /// The name of an AWS-managed policy ARN (`arn:aws:iam::aws:policy/job-function/X` gives `X`),
    /// nil for any other ARN.
    static func name(ofARN arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[4] == "aws", parts[5].hasPrefix("policy/") else { return nil }
        return parts[5].split(separator: "/").last.map(String.init)
    }

    /// The document of a known AWS-managed policy, without source ranges (it is not in the
    /// repository); nil when the audit does not know the policy.
    static func document(arn: String) -> PolicyDocument? {
        guard let name = name(ofARN: arn), let grants = table[name] else { return nil }
        let statements = grants.map { g in
            PolicyStatement(effect: .allow,
                            actions: PatternList(negated: g.notActions, patterns: g.actions.map { PolicyPattern($0) }),
                            resources: PatternList(patterns: g.resources.map { PolicyPattern($0) }))
        }
        return PolicyDocument(version: Located(PolicyJSON.currentVersion, range: nil), statements: statements, origin: .aws(arn))
    }
}
