import AuditCore
import Foundation
import HCL
import Knowledge
import Terraform

/// JIT-109: lambda artefacts of another release than the module.
public struct LambdaVersionRule: Rule {
    public let id = "JIT-109"
    public init() {}

    /// A release named in a tag, a zip path or an S3 key: `v4.1.0`, `4.1.0`, `/v3.6.1/runners.zip`.
    static func releaseNamed(in text: String) -> ModuleVersion? {
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let startsVersion = scalars[i].properties.numericType != nil
                && (i == 0 || !(scalars[i - 1].properties.isAlphabetic && scalars[i - 1] != "v") )
            if startsVersion {
                var j = i
                var dots = 0
                while j < scalars.count, scalars[j].properties.numericType != nil || (scalars[j] == "." && dots < 2) {
                    if scalars[j] == "." { dots += 1 }
                    j += 1
                }
                let token = String(String.UnicodeScalarView(scalars[i..<j])).trimmingCharacters(in: CharacterSet(charactersIn: "."))
                if token.split(separator: ".").count == 3, let v = ModuleVersion(token) { return v }
                i = j
            } else {
                i += 1
            }
        }
        return nil
    }

    struct Artefact {
        var version: ModuleVersion
        var range: SourceRange
        var what: String
    }

    func artefacts(_ context: RuleContext) -> [Artefact] {
        var found: [Artefact] = []
        for call in context.model.calls {
            if call.kind == .downloadLambda, let lambdas = call.fleetsInputs(named: "lambdas") {
                for item in lambdas.value.listValue ?? [] {
                    guard let tag = item["tag"], let text = tag.stringValue, let v = Self.releaseNamed(in: text) else { continue }
                    let name = item["name"]?.stringValue ?? "lambda"
                    found.append(Artefact(version: v, range: tag.origin ?? lambdas.range, what: "`\(name)` lambda downloaded from release \(text)"))
                }
            }
            if call.kind.hasFleets {
                for a in call.call.inputs where a.name.hasSuffix("_lambda_zip") || a.name.hasSuffix("_lambda_s3_key") {
                    let (v, _) = call.scope.evaluate(a.expression)
                    guard let text = v.stringValue, let version = Self.releaseNamed(in: text) else { continue }
                    found.append(Artefact(version: version, range: v.origin ?? a.expression.range, what: "`\(a.name)` names release \(version)"))
                }
            }
        }
        return found
    }

    public func check(_ context: RuleContext) -> [Finding] {
        let artefacts = artefacts(context)
        guard !artefacts.isEmpty else { return [] }
        var out: [Finding] = []
        let targets = Set(context.model.calls.filter { $0.kind.hasFleets }.compactMap { context.targetVersion(for: $0) })
        guard targets.count == 1, let target = targets.first else { return [] }
        let runnerCalls = context.model.calls.filter { $0.kind.hasFleets }
        for a in artefacts where a.version != target {
            let crossesJIT = (a.version < FleetFacts.jitRelease) != (target < FleetFacts.jitRelease)
            out.append(context.finding(
                id,
                "\(a.what), but the module is audited at \(target)",
                at: a.range,
                detail: "The control-plane lambdas and the start script belong to one release\(crossesJIT ? "; here one side writes registration tokens and the other expects JIT configs, so runners fail to register" : ", and their contract changes between releases"). Use the lambda artefacts of release \(target).",
                related: runnerCalls.map { RelatedNote("module call `\($0.address)`", at: $0.call.block.typeRange) },
                fix: Fix("Use the lambda artefacts of release v\(target)")))
        }
        return out
    }
}

extension RunnerModuleCall {
    /// A module input of the call (for non-fleet submodules such as `download-lambda`).
    func fleetsInputs(named name: String) -> FleetInput? {
        guard let a = call.block.body.attribute(name) else { return nil }
        let (v, _) = scope.evaluate(a.expression)
        return FleetInput(name: name, value: v, range: a.expression.range, nameRange: a.nameRange)
    }
}
