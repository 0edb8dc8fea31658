import AuditCore
import Testing
@testable import IAM

@Suite struct PatternReadingTests {
    @Test func wildcardsAndLiterals() {
        let p = PolicyPattern("s3:Get*Obj?ct")
        #expect(p.pieces == [.literal("s3:Get"), .anySequence, .literal("Obj"), .anyCharacter, .literal("ct")])
        #expect(!p.hasUnknown)
        #expect(p.hasWildcard)
    }

    @Test func policyVariablesAndEscapes() {
        let p = PolicyPattern("arn:aws:s3:::home/${aws:username}/${*}x${?}${$}")
        #expect(p.pieces == [.literal("arn:aws:s3:::home/"), .policyVariable("aws:username"), .literal("/*x?$")])
        #expect(p.dependencies == ["aws:username"])
    }

    @Test func placeholderWithoutColonIsUnknownInPolicySyntax() {
        // A leftover Terraform placeholder in a plain JSON file is not a policy variable AWS knows.
        let p = PolicyPattern("arn:${aws_partition}:iam::${account_id}:role/x")
        #expect(p.pieces == [.literal("arn:"), .unknown("aws_partition"), .literal(":iam::"), .unknown("account_id"), .literal(":role/x")])
    }

    @Test func terraformTemplateSyntax() {
        let p = PolicyPattern("*/$${aws:ResourceTag/InstanceId} ${var.x} %{ if a ~}b%{ endif } %%{", syntax: .terraformTemplate)
        #expect(p.pieces == [
            .anySequence, .literal("/"), .policyVariable("aws:ResourceTag/InstanceId"), .literal(" "), .unknown("var.x"),
            .literal(" "), .unknown("%{if a}"), .literal("b"), .unknown("%{endif}"), .literal(" %{"),
        ])
    }

    @Test func equalityIgnoresRangeAndCollapsesStars() {
        #expect(PolicyPattern("a**b") == PolicyPattern("a*b"))
        #expect(PolicyPattern("a*b").description == "a*b")
        #expect(PolicyPattern.unknown("x").description == "${x}")
    }

    @Test func bindingReplacesKnownPlaceholders() {
        let p = PolicyPattern("arn:${partition}:ssm:${region}:${account}:parameter${path}/*", syntax: .terraformTemplate)
        let b = p.binding(["partition": "aws", "path": "/github-action-runners/ci/runners/config"])
        #expect(b.dependencies == ["region", "account"])
        #expect(b.pieces.first == .literal("arn:aws:ssm:"))
        let variable = PolicyPattern("home/${aws:username}").binding([:], variables: ["aws:username": "alice"])
        #expect(variable.literalValue == "home/alice")
    }
}

@Suite struct MatchingTests {
    typealias Case = (grant: String, request: String, expected: Truth)

    static let actionCovers: [Case] = [
        ("*", "ssm:GetParameter", .yes),
        ("ssm:*", "ssm:GetParameter", .yes),
        ("SSM:getparameter", "ssm:GetParameter", .yes),
        ("ssm:Get*", "ssm:GetParameters", .yes),
        ("ssm:GetParameter", "ssm:GetParameters", .no),
        ("ssm:GetParameter?", "ssm:GetParameters", .yes),
        ("ssm:GetParameter?", "ssm:GetParameter", .no),
        ("ec2:*Tags", "ec2:DeleteTags", .yes),
        ("ec2:Describe*", "ec2:DeleteTags", .no),
        ("kms:ReEncrypt*", "kms:ReEncrypt*", .yes),
        ("kms:*", "kms:ReEncrypt*", .yes),
        ("kms:ReEncryptFrom", "kms:ReEncrypt*", .no),
        ("*:*", "iam:PassRole", .yes),
        ("${actions}", "iam:PassRole", .maybe),
        ("iam:${x}", "s3:GetObject", .no),
    ]

    @Test(arguments: actionCovers)
    func actionCoverage(_ c: Case) {
        let r = PatternMatch.actionCovers(PolicyPattern(c.grant), PolicyPattern(c.request))
        #expect(r.truth == c.expected, "\(c.grant) covers \(c.request)")
    }

    static let actionOverlaps: [Case] = [
        ("kms:ReEncryptFrom", "kms:ReEncrypt*", .yes),
        ("kms:Re*", "kms:*From", .yes),
        ("kms:Decrypt", "kms:ReEncrypt*", .no),
        ("s3:Get?", "s3:P*", .no),
        ("s3:Get?", "s3:G*t", .yes),
        ("s3:Ge?", "s3:G*t", .yes),
        ("s3:${x}", "s3:GetObject", .maybe),
    ]

    @Test(arguments: actionOverlaps)
    func actionOverlap(_ c: Case) {
        let r = PatternMatch.actionOverlaps(PolicyPattern(c.grant), PolicyPattern(c.request))
        #expect(r.truth == c.expected, "\(c.grant) overlaps \(c.request)")
    }

    static let resourceCovers: [Case] = [
        ("*", "arn:aws:ssm:eu-west-1:123456789012:parameter/x", .yes),
        ("arn:aws:ssm:*:*:parameter/github-action-runners/*", "arn:aws:ssm:eu-west-1:123456789012:parameter/github-action-runners/ci/runners/config/run_as", .yes),
        ("arn:aws:ssm:*:*:parameter/github-action-runners/*", "arn:aws:ssm:eu-west-1:123456789012:parameter/other/x", .no),
        // A wildcard does not cross from the region into the account segment.
        ("arn:aws:ssm:*:parameter/x:*", "arn:aws:ssm:eu-west-1:123456789012:parameter/x:y", .no),
        // In the resource part it may cross `/` and `:`.
        ("arn:aws:logs:*:*:log-group:/aws/lambda/ci-*", "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/ci-scale-up:log-stream:abc", .yes),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/actions-runner-linux.tar.gz", .yes),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", .no),
        // Partitions.
        ("arn:aws:sqs:*:*:*", "arn:${partition}:sqs:${region}:${account}:${queue}", .maybe),
        ("arn:aws:sqs:*:*:*", "arn:aws-us-gov:sqs:us-gov-west-1:1:q", .no),
        ("arn:*:sqs:*:*:*", "arn:${partition}:sqs:${region}:${account}:${queue}", .yes),
        ("arn:aws-cn:sqs:*:*:*", "arn:aws:sqs:cn-north-1:1:q", .no),
        // A request for every resource is covered only by `*`.
        ("arn:aws:ec2:*:*:instance/*", "*", .no),
        // A whole-ARN placeholder.
        ("arn:aws:iam::*:role/*", "${runner_role_arn}", .maybe),
        ("*", "${runner_role_arn}", .yes),
        // The grant's own placeholders.
        ("arn:${aws_partition}:iam::${account_id}:role/${role_namespace}/*", "arn:aws:iam::1:role/ci/runner", .maybe),
        ("arn:${aws_partition}:iam::${account_id}:role/${role_namespace}/*", "arn:aws:s3:::b", .no),
        // The same placeholder on both sides is the same text.
        ("arn:${partition}:s3:::${bucket}/*", "arn:${partition}:s3:::${bucket}/key", .yes),
        ("arn:${partition}:s3:::${bucket}/*", "arn:${partition}:s3:::${other}/key", .maybe),
        // Policy variables resolve per request: unknown here.
        ("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/f", .maybe),
        // Not an ARN and not `*`: never a definite yes.
        ("arn:aws:ssm:*", "arn:aws:ssm:eu-west-1:1:parameter/x", .maybe),
    ]

    @Test(arguments: resourceCovers)
    func resourceCoverage(_ c: Case) {
        let r = PatternMatch.resourceCovers(PolicyPattern(c.grant), PolicyPattern(c.request, syntax: .terraformTemplate))
        #expect(r.truth == c.expected, "\(c.grant) covers \(c.request)")
        if r.truth == .maybe { #expect(!r.dependencies.isEmpty || c.grant == "arn:aws:ssm:*") }
    }

    @Test func maybeNamesWhatItDependsOn() {
        let r = PatternMatch.resourceCovers(PolicyPattern("arn:aws:sqs:*:*:*"), PolicyPattern("arn:${partition}:sqs:${region}:${account}:${queue}", syntax: .terraformTemplate))
        #expect(r.dependencies == ["partition", "region", "account", "queue"])
    }

    /// Coverage is sound: whenever it says `yes`, every concrete string tried against both patterns
    /// agrees; and overlap finds the shared strings.
    @Test func coverageAgreesWithConcreteStrings() {
        let grants = ["a*", "*b", "a?c", "a*c", "?", "*", "ab", "a*b*c"]
        let requests = ["a*", "ab", "a?", "abc", "a*c", "a?c", "abbc", "ac", "*", "b"]
        let alphabet = ["a", "b", "c"]
        var samples = [""]
        for _ in 0..<4 { samples += samples.flatMap { s in alphabet.map { s + $0 } } }
        samples = Array(Set(samples))
        func concrete(_ pattern: String, _ s: String) -> Bool {
            PatternMatch.covers(PatternMatch.atoms(PolicyPattern(pattern), folding: false), PatternMatch.atoms(PolicyPattern(s), folding: false)) == .yes
        }
        for g in grants {
            for r in requests {
                let covers = PatternMatch.covers(PatternMatch.atoms(PolicyPattern(g), folding: false), PatternMatch.atoms(PolicyPattern(r), folding: false))
                let overlaps = PatternMatch.overlaps(PatternMatch.atoms(PolicyPattern(g), folding: false), PatternMatch.atoms(PolicyPattern(r), folding: false))
                let matchedByRequest = samples.filter { concrete(r, $0) }
                if covers == .yes {
                    #expect(matchedByRequest.allSatisfy { concrete(g, $0) }, "\(g) claims to cover \(r)")
                }
                let shared = matchedByRequest.contains { concrete(g, $0) }
                #expect((overlaps == .yes) == shared, "\(g) overlaps \(r): \(overlaps), shared sample: \(shared)")
            }
        }
    }

    /// A plain request is matched without the table or the search: the answer is theirs for every
    /// grant of characters, `?` and `*` (and neither answers for unknowns or wildcard requests).
    @Test func plainMatchIsTheTablesAndTheSearchs() {
        let alphabet = ["a", "b", "?", "*"]
        var grants = [""]
        for _ in 0..<4 { grants += grants.flatMap { g in alphabet.map { g + $0 } } }
        var requests = [""]
        for _ in 0..<5 { requests += requests.flatMap { r in ["a", "b"].map { r + $0 } } }
        var compared = 0
        for g in Set(grants) {
            let p = PatternMatch.atoms(PolicyPattern(g), folding: false)
            for r in Set(requests) {
                let a = PatternMatch.atoms(PolicyPattern(r), folding: false)
                let plain = PatternMatch.plainMatch(p, a)
                #expect(plain != nil)
                #expect(plain == PatternMatch.coversTable(p, a), "\(g) covers \(r)")
                #expect(plain == PatternMatch.overlapsSearch(p, a), "\(g) overlaps \(r)")
                compared += 1
            }
        }
        #expect(compared > 5_000)
        let unknown = PatternMatch.atoms(PolicyPattern("arn:${partition}:x", syntax: .terraformTemplate), folding: false)
        #expect(PatternMatch.plainMatch(unknown, PatternMatch.atoms(PolicyPattern("arn:aws:x"), folding: false)) == nil)
        #expect(PatternMatch.plainMatch(PatternMatch.atoms(PolicyPattern("a*"), folding: false), PatternMatch.atoms(PolicyPattern("a*"), folding: false)) == nil)
    }

    /// Actions in ASCII are matched on bytes: the answer is the atoms' for every mix of case,
    /// wildcards and services.
    @Test func asciiActionMatchIsTheAtomsMatch() {
        let grants = ["ssm:GetParameter", "SSM:getparameter", "ssm:Get*", "ssm:*", "*", "s?m:Get*r", "ec2:Describe*", "ssm:GetParameters", "*:GetParameter", "ssm:*Param*", ""]
        let requests = ["ssm:GetParameter", "ssm:getparameters", "EC2:DescribeInstances", "ssm:PutParameter", "sqs:GetParameter", ""]
        for g in grants {
            for r in requests {
                let (gp, rp) = (PolicyPattern(g), PolicyPattern(r))
                let fast = PatternMatch.asciiActionMatch(gp, rp)
                #expect(fast != nil)
                #expect(fast == PatternMatch.covers(PatternMatch.atoms(gp, folding: true), PatternMatch.atoms(rp, folding: true)), "\(g) covers \(r)")
                #expect(fast == PatternMatch.overlaps(PatternMatch.atoms(gp, folding: true), PatternMatch.atoms(rp, folding: true)), "\(g) overlaps \(r)")
            }
        }
        #expect(PatternMatch.asciiActionMatch(PolicyPattern("ssm:Get*"), PolicyPattern("ssm:Get*")) == nil, "a wildcard request")
        #expect(PatternMatch.asciiActionMatch(PolicyPattern("ssm:Gét"), PolicyPattern("ssm:Gét")) == nil, "not ASCII")
        #expect(PatternMatch.actionCovers(PolicyPattern("ssm:Get*"), PolicyPattern("SSM:GetParameter")).truth == .yes)
        #expect(PatternMatch.actionCovers(PolicyPattern("ssm:Put*"), PolicyPattern("ssm:GetParameter")).truth == .no)
    }
}
