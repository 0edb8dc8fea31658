import AuditCore
import Testing
import TestSupport
@testable import IAM

@Suite struct PolicyJSONTests {
    @Test func singleOrArrayNormalisationAndExactTokenRanges() {
        let text = """
        {
          "Version": "2012-10-17",
          "Statement": {
            "Sid": "ReadConfig",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": ["arn:aws:ssm:*:*:parameter/ci/*", "arn:aws:ssm:*:*:parameter/ci"]
          }
        }
        """
        let r = parse(text)
        #expect(r.diagnostics.isEmpty)
        let doc = r.document!
        #expect(doc.version?.value == "2012-10-17")
        #expect(doc.statements.count == 1)
        let s = doc.statements[0]
        #expect(s.sid?.value == "ReadConfig")
        #expect(s.effect == .allow)
        #expect(s.actions?.negated == false)
        #expect(s.actions?.patterns.map(\.text) == ["ssm:GetParameter"])
        // The range is the string token, quotes included, and nothing more.
        let action = s.actions!.patterns[0].range!
        #expect(slice(text, action) == "\"ssm:GetParameter\"")
        #expect(action.start.line == 6 && action.start.column == 15)
        #expect(slice(text, s.actions?.keyRange) == "\"Action\"")
        #expect(s.resources?.patterns.count == 2)
        #expect(slice(text, s.resources?.patterns[1].range) == "\"arn:aws:ssm:*:*:parameter/ci\"")
        #expect(slice(text, s.effectRange) == "\"Allow\"")
    }

    @Test func columnsCountScalarsAfterMultibyteText() {
        let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Ünïcode\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}"
        let doc = parse(text).document!
        let r = doc.statements[0].actions!.patterns[0].range!
        #expect(slice(text, r) == "\"s3:GetObject\"")
        // Two scalars are two bytes each: the byte offset runs ahead of the column.
        #expect(r.start.offset == r.start.column - 1 + 2)
    }

    @Test func notActionAndNotResource() {
        let doc = parse(#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b/*"}]}"#).document!
        #expect(doc.statements[0].actions?.negated == true)
        #expect(doc.statements[0].resources?.negated == true)
        #expect(doc.statements[0].effect == .deny)
    }

    @Test func conditionsPrincipalsAndOperators() {
        let text = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["ghr:github_runner_id"]},"BoolIfExists":{"aws:ViaAWSService":true}}}]}"#
        let r = parse(text)
        #expect(r.diagnostics.isEmpty)
        let s = r.document!.statements[0]
        #expect(s.principals.map(\.type.value) == ["Service"])
        #expect(s.principals[0].identifiers.map(\.text) == ["ec2.amazonaws.com"])
        #expect(s.conditions.count == 2)
        #expect(s.conditions[0].op.qualifier == .forAllValues && s.conditions[0].op.base == "StringEquals")
        #expect(s.conditions[1].op.ifExists && s.conditions[1].op.base == "Bool")
        #expect(s.conditions[1].values.map(\.text) == ["true"])
        #expect(slice(text, s.conditions[0].keyRange) == "\"aws:TagKeys\"")
    }

    @Test func missingAndOldVersion() {
        let missing = parse(#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)
        #expect(missing.diagnostics.map(\.summary) == ["policy document has no `Version`"])
        #expect(missing.diagnostics[0].severity == .warning)
        #expect(missing.diagnostics[0].range.start.offset == 0)

        let old = #"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        let r = parse(old)
        #expect(r.diagnostics.map(\.summary) == ["policy uses the old version `2008-10-17`"])
        #expect(slice(old, r.diagnostics[0].range) == "\"2008-10-17\"")

        let bad = #"{"Version":"2012-10-18","Statement":[]}"#
        #expect(parse(bad).diagnostics.contains { $0.summary == "unsupported policy version `2012-10-18`" && $0.severity == .error })
    }

    @Test func wrongCaseKeysSuggestTheRightName() {
        let text = #"{"Version":"2012-10-17","statement":[],"Statement":[{"effect":"Allow","Action":"s3:*","Resourse":"*"}]}"#
        let r = parse(text)
        let byText = Dictionary(r.diagnostics.map { (slice(text, $0.range)!, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byText["\"statement\""]?.summary == "`statement` should be written `Statement`")
        #expect(byText["\"effect\""]?.detail?.contains("Did you mean `Effect`?") == true)
        #expect(byText["\"Resourse\""]?.summary == "unknown element `Resourse` in statement")
        #expect(byText["\"Resourse\""]?.detail?.contains("Did you mean `Resource`?") == true)
        // The missing Effect and Resource are reported at the statement's opening brace.
        #expect(r.diagnostics.contains { $0.summary == "statement has no `Effect`" && slice(text, $0.range) == "{" })
    }

    @Test func invalidEffectAndActions() {
        let text = #"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":["s3GetObject","ssm:","s3:Get Object"],"Resource":"bucket"}]}"#
        let r = parse(text)
        let summaries = r.diagnostics.map(\.summary)
        #expect(summaries.contains("invalid effect `allow`"))
        #expect(r.diagnostics.first { $0.summary == "invalid effect `allow`" }?.detail?.contains("Did you mean `Allow`?") == true)
        #expect(summaries.contains("invalid action `s3GetObject`"))
        #expect(summaries.contains("invalid action `ssm:`"))
        #expect(summaries.contains("invalid action `s3:Get Object`"))
        #expect(summaries.contains("resource `bucket` is neither `*` nor an ARN"))
        let action = r.diagnostics.first { $0.summary == "invalid action `ssm:`" }!
        #expect(slice(text, action.range) == "\"ssm:\"")
    }

    @Test func conflictingElementsAndDuplicates() {
        let text = #"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*","Resource":"*"}]}"#
        let r = parse(text)
        #expect(r.diagnostics.contains { $0.summary == "statement has both `Action` and `NotAction`" && slice(text, $0.range) == "\"NotAction\"" })
        #expect(r.diagnostics.contains { $0.summary == "duplicate `Sid` `A`" })
        #expect(r.diagnostics.contains { $0.summary == "Duplicate key `Resource`" && $0.severity == .warning })
        #expect(!r.diagnostics.contains { $0.summary == "statement has both `Resource` and `NotResource`" })
        #expect(r.diagnostics.count == 3)
    }

    @Test func syntaxErrorsAreLocatedAndPartialResultsKept() {
        let unterminated = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*}]}"
        let r = parse(unterminated)
        #expect(r.diagnostics.first?.summary == "Unterminated string")
        #expect(slice(unterminated, r.diagnostics.first?.range) == "\"")
        #expect(r.diagnostics.first?.range.start.offset == unterminated.utf8.count - "\"s3:*}]}".utf8.count)

        let trailing = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",}]}"#
        let t = parse(trailing)
        #expect(t.diagnostics.map(\.summary) == ["Trailing comma"])
        #expect(t.document?.statements.count == 1)

        let notObject = parse("[1, 2]")
        #expect(notObject.document == nil)
        #expect(notObject.diagnostics.map(\.summary) == ["policy document is not a JSON object"])

        #expect(parse("").diagnostics.map(\.summary) == ["Empty JSON document"])
        // The reader recovers (reads `"a" 1` as the member `a`), so the element is checked too.
        #expect(parse("{\"a\" 1}").diagnostics.map(\.summary) == ["Missing `:` after key `a`", "unknown element `a` in policy document"])

        // Statements after a syntax error are still read.
        let missingComma = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow" "Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#
        let m = parse(missingComma)
        #expect(m.diagnostics.map(\.summary) == ["Missing comma"])
        #expect(m.document?.statements.map(\.effect) == [.allow, .deny])
    }

    @Test func deepNestingIsBounded() {
        let text = String(repeating: "[", count: 10_000)
        let r = parse(text)
        #expect(r.diagnostics.first?.summary == "JSON nested too deeply")
        #expect(r.diagnostics.filter { $0.summary == "JSON nested too deeply" }.count == 1)
        #expect(r.document == nil)
    }

    @Test func arbitraryBytesNeverCrash() {
        var rng = SeededGenerator(seed: 42)
        let alphabet = Array("{}[]\":,\\ aA1$%*?-\n\t/ü".unicodeScalars)
        for _ in 0..<2_000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 60) { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let text = String(s)
            for syntax in [PolicyPattern.Syntax.policy, .terraformTemplate] {
                let r = parse(text, syntax: syntax)
                for d in r.diagnostics {
                    #expect(d.range.start.offset <= text.utf8.count && d.range.end.offset <= text.utf8.count)
                }
            }
        }
    }
}

@Suite struct TemplatePolicyTests {
    /// A template in the shape the module ships: bare placeholders as values, a KMS statement
    /// inside `%{ if }` that starts in the middle of the previous statement, escaped policy variables.
    static let template = """
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["ssm:GetParameter", "ssm:GetParameters"],
          "Resource": ${app_parameter_arns}
        },
        {
          "Effect": "Allow",
          "Action": "ssm:GetParameter",
          "Resource": "${config_arn}/*",
          "Condition": {
            "StringLike": {"ec2:SourceInstanceARN": "*/$${aws:ResourceTag/InstanceId}"}
          }
    %{ if key_arn != "" ~}
        },
        {
          "Effect": "Allow",
          "Action": ["kms:Decrypt"],
          "Resource": "${key_arn}"
    %{ endif ~}
        }
      ]
    }
    """

    @Test func placeholdersBecomeUnknownPartsNotErrors() {
        let r = parse(Self.template, path: "policies/role.json", syntax: .terraformTemplate)
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        let doc = r.document!
        #expect(doc.statements.count == 3)

        let list = doc.statements[0].resources!.patterns
        #expect(list.count == 1)
        #expect(list[0].pieces == [.unknown("app_parameter_arns")])
        #expect(slice(Self.template, list[0].range) == "${app_parameter_arns}")

        let config = doc.statements[1].resources!.patterns[0]
        #expect(config.pieces == [.unknown("config_arn"), .literal("/"), .anySequence])
        #expect(slice(Self.template, config.range) == "\"${config_arn}/*\"")
        let value = doc.statements[1].conditions[0].values[0]
        #expect(value.pieces == [.anySequence, .literal("/"), .policyVariable("aws:ResourceTag/InstanceId")])
    }

    @Test func statementsInsideDirectivesCarryTheirCondition() {
        let doc = parse(Self.template, syntax: .terraformTemplate).document!
        #expect(doc.statements.map(\.templateCondition) == [nil, nil, "key_arn != \"\""])
        #expect(doc.statements[2].actions?.patterns.map(\.text) == ["kms:Decrypt"])
    }

    @Test func elseBranchesAreNegated() {
        let text = """
        {"Version": "2012-10-17", "Statement": [
        %{ if enable }
          {"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}
        %{ else }
          {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
        %{ endif }
        ]}
        """
        let doc = parse(text, syntax: .terraformTemplate).document!
        #expect(doc.statements.map(\.templateCondition) == ["enable", "!(enable)"])
    }

    @Test func unbalancedDirectivesAreReported() {
        let text = "{\"Version\": \"2012-10-17\", \"Statement\": [] %{ endif }}"
        let r = parse(text, syntax: .terraformTemplate)
        #expect(r.diagnostics.map(\.summary) == ["`%{ endif }` without `%{ if }`", "`Statement` is empty"])
        #expect(slice(text, r.diagnostics[0].range) == "%{ endif }")
    }

    @Test func withoutTemplateSyntaxABarePlaceholderIsASyntaxError() {
        let r = parse(Self.template, syntax: .policy)
        #expect(r.diagnostics.first?.summary == "Unexpected character `$`")
    }
}

