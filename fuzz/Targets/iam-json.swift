import AuditCore
import IAM

/// The JSON policy reader (as a policy and as a Terraform template), then the evaluator and the
/// over-broad analysis on what it read, with a requirement set of patterns and conditions.
let requests = [
    AccessRequest(action: "ssm:PutParameter", resource: "arn:aws:ssm:eu-west-1:123456789012:parameter/github/runners/x"),
    AccessRequest(action: "ec2:RunInstances", resource: "*",
                  context: RequestContext(values: ["aws:requestedregion": ["eu-west-1"], "ec2:resourcetag/owner": ["ci"]])),
    AccessRequest(action: "iam:PassRole", resource: "arn:aws:iam::*:role/*"),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: "policy.json")
    for syntax in [PolicyPattern.Syntax.policy, .terraformTemplate] {
        let result = PolicyJSON.parse(file, syntax: syntax)
        checkDiagnostics(result.diagnostics, in: file)
        guard let document = result.document else { continue }
        _ = IAMAnalysis.overBroad(document)
        let evaluator = PolicyEvaluator(identity: [document], boundary: document, bindings: ["partition": "aws", "account": "123456789012"])
        for request in requests { _ = evaluator.decide(request) }
    }
    return 0
}
