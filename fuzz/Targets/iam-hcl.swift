import AuditCore
import HCL
import IAM

/// The HCL policy reader: `data "aws_iam_policy_document"` blocks and the policy-valued
/// arguments of IAM resources, with the HCL evaluator giving values, then the policy evaluator.
let context = EvalContext(variables: [
    "var": .object(["prefix": .string("ci"), "actions": .list([.string("s3:GetObject"), .string("ec2:*")]), "arn": .unknown("arn")]),
    "local": .object(["account": .string("123456789012"), "statements": .list([])]),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: "iam.tf")
    let parsed = HCLParser.parse(file)
    let policyContext = PolicyHCLContext(source: file, evaluate: { HCL.evaluate($0, in: context).0 })
    var documents: [PolicyDocument] = []
    for block in parsed.body.blocks {
        var results: [PolicyParseResult] = []
        if block.type == "data", block.labels.first?.value == "aws_iam_policy_document" {
            results.append(PolicyHCL.document(fromDataBlock: block, context: policyContext))
        }
        results += PolicyHCL.policies(ofResource: block, context: policyContext)
        for attribute in block.body.attributes {
            results.append(PolicyHCL.document(fromExpression: attribute.expression, origin: .terraform("x"), context: policyContext))
        }
        for r in results {
            checkDiagnostics(r.diagnostics, in: file)
            if let d = r.document { documents.append(d) }
        }
    }
    for document in documents { _ = IAMAnalysis.overBroad(document) }
    if !documents.isEmpty {
        _ = PolicyEvaluator(identity: documents).decide(AccessRequest(action: "s3:GetObject", resource: "arn:aws:s3:::b/k"))
    }
    return 0
}
