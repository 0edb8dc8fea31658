import AuditCore
import HCL
import Knowledge
import Terraform

/// JIT-110: GovCloud or China regions on releases whose scale-up policy hard-codes `arn:aws:`.
public struct PartitionRule: Rule {
    public let id = RuleID.jit110
    public static let fixed = ModuleVersion(4, 3, 0)
    public init() {}

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        for facts in context.fleetFacts {
            guard facts.jit == true, let target = facts.target, target >= FleetFacts.jitRelease, target < Self.fixed else { continue }
            // The JIT runner-group cache is used for organisation runners.
            guard facts.setInput("enable_organization_runners")?.value.boolValue == true else { continue }
            guard let (partition, range) = Self.partition(facts, context: context) else { continue }
            out.append(context.finding(
                id,
                "scale-up for fleet `\(facts.fleet.name)` cannot use the JIT runner-group cache in partition `\(partition)` at \(target); fixed in 4.3.0",
                at: range,
                detail: "Releases 4.0.0 to 4.2.3 grant the scale-up lambda access to `<config>/*` with an `arn:aws:` ARN, which does not match in `\(partition)`: every scale-up of an organisation runner with JIT is denied. Target 4.3.0 or later.",
                related: context.fleetNotes(facts),
                fix: Fix("Target 4.3.0 or later")))
        }
        return out
    }

    static func partition(_ facts: FleetFacts, context: RuleContext) -> (String, SourceRange)? {
        func of(_ region: String) -> String? {
            if region.hasPrefix("us-gov-") { return "aws-us-gov" }
            if region.hasPrefix("cn-") { return "aws-cn" }
            return nil
        }
        if let r = facts.setInput("aws_region"), let s = r.value.stringValue, let p = of(s) { return (p, r.valueRange) }
        // A provider block of the calling module.
        for file in facts.call.scope.module.files {
            for b in file.body.blocks(ofType: "provider") where b.labels.first?.value == "aws" {
                guard let a = b.body.attribute("region") else { continue }
                let (v, _) = facts.call.scope.evaluate(a.expression)
                if let s = v.stringValue, let p = of(s) { return (p, v.origin ?? a.expression.range) }
            }
        }
        return nil
    }
}
