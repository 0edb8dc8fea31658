import AuditCore
import Foundation
import HCL
import Knowledge
import Terraform

/// INP-203: a default that changes under the user between the current release and the target.
public struct DefaultChangeRule: Rule {
    public let id = RuleID.inp203
    public init() {}

    /// A default that changed in one release, and the explicit setting that keeps the old behaviour.
    struct Change {
        var input: String
        var release: ModuleVersion
        var kinds: Set<RunnerModuleKind>
        var what: String
        var keep: String
        var fact: String
    }

    static let changes: [Change] = [
        Change(input: "eventbridge", release: ModuleVersion(6, 0, 0), kinds: [.root, .multiRunner],
               what: "EventBridge becomes the default: the webhook publishes to a new event bus and a dispatcher lambda routes jobs (new resources and IAM permissions)",
               keep: "{ enable = false }", fact: "v6.0.0:variables.tf (eventbridge.enable default true)"),
        Change(input: "lambda_event_source_mapping_batch_size", release: ModuleVersion(7, 0, 0), kinds: [.root, .multiRunner],
               what: "the scale-up lambda receives up to 10 queued jobs per invocation (it used to be 1)",
               keep: "1", fact: "v7.0.0:modules/runners/scale-up.tf"),
    ]

    public func check(_ context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        for call in context.model.calls where call.kind == .root || call.kind == .multiRunner {
            guard let target = context.targetVersion(for: call), let current = context.currentVersion(for: call), current < target else { continue }
            let written = Set(call.call.inputs.map(\.name))
            for change in Self.changes where change.kinds.contains(call.kind) && current < change.release && change.release <= target {
                guard !written.contains(change.input) else { continue }
                let edits = Fixes.addArgument(change.input, value: change.keep, to: call.call.block, file: call.call.file, after: nil, workspace: context.workspace)
                out.append(context.finding(
                    id,
                    "`\(change.input)` is not set: from \(change.release) \(change.what)",
                    at: call.call.block.labels.first?.range ?? call.call.block.typeRange,
                    detail: "Module `\(call.address)` moves from \(current) to \(target), across \(change.release). Set `\(change.input) = \(change.keep)` to keep today's behaviour, or adopt the new default deliberately (\(change.fact)).",
                    related: call.callers,
                    fix: Fix("Set `\(change.input) = \(change.keep)` to keep today's behaviour", edits: edits ?? []), changedIn: change.release))
            }
            // IMDSv2 required by default from 4.6.0: a boot script of the repository that reads
            // instance metadata without a token stops working unless the setting is explicit.
            if current < Self.imdsRequired, Self.imdsRequired <= target {
                out += imdsFindings(call, target: target, context: context)
            }
            // A pinned `lambda_runtime` below the target's default.
            if let a = call.call.block.body.attribute("lambda_runtime") {
                let (v, _) = call.scope.evaluate(a.expression)
                if let pinned = v.stringValue, let def = Self.defaultRuntime(at: target, context: context),
                   let p = Self.nodeMajor(pinned), let d = Self.nodeMajor(def), p < d {
                    out.append(context.finding(
                        id,
                        "`lambda_runtime` pins `\(pinned)`, older than the \(target) default `\(def)`",
                        at: v.origin ?? a.expression.range,
                        detail: "The lambdas of \(target) are built and tested for `\(def)`. Remove the pin, or set `\(def)`.",
                        related: call.callers,
                        fix: Fix("Remove `lambda_runtime` or set it to `\(def)`", edits: [TextEdit(range: v.origin ?? a.expression.range, newText: "\"\(def)\"")]),
                        changedIn: Self.runtimeChange(at: target, after: current, context: context)))
                }
            }
        }
        return out
    }

    static let imdsRequired = ModuleVersion(4, 6, 0)

    func imdsFindings(_ call: RunnerModuleCall, target: ModuleVersion, context: RuleContext) -> [Finding] {
        var out: [Finding] = []
        let resolver = BootScriptResolver(context: context)
        for fleet in call.fleets where !fleet.isPlaceholder {
            let facts = FleetFacts(call: call, fleet: fleet, target: target)
            guard facts.setInput("runner_metadata_options") == nil else { continue }
            for script in resolver.resolve(facts).scripts {
                guard case .file(let f) = script, let report = context.scripts[f.path],
                      let v1 = report.markers(.imdsV1Access).first else { continue }
                out.append(context.finding(
                    id,
                    "start script `\(f.path)` of fleet `\(fleet.name)` reads instance metadata without a token, but from 4.6.0 the module requires IMDSv2 by default",
                    at: v1.range,
                    detail: "4.6.0 changed the default of `runner_metadata_options.http_tokens` from `optional` to `required` (\(call.address) moves from \(context.currentVersion(for: call).map { "\($0)" } ?? "?") to \(target)). Requests to `169.254.169.254` without an `X-aws-ec2-metadata-token` header then fail. Fetch a token first (`PUT /latest/api/token`), or set `runner_metadata_options` with `http_tokens = \"optional\"` to keep today's behaviour.",
                    related: context.fleetNotes(facts),
                    fix: Fix("Use IMDSv2 in the script, or set `runner_metadata_options` explicitly"), changedIn: Self.imdsRequired))
            }
        }
        return out
    }

    /// The default of root `lambda_runtime` at a release, from the knowledge base.
    static func defaultRuntime(at version: ModuleVersion, context: RuleContext) -> String? {
        guard let life = context.knowledge.lifespan(scope: .root, name: "lambda_runtime") else { return nil }
        let text = life.comparedText(at: version) ?? life.defaultValue
        return text.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
    }

    /// The release after `current` whose `lambda_runtime` default is the one of `target`; nil
    /// when the recorded changes do not say (the runtime then holds at the current release too).
    static func runtimeChange(at target: ModuleVersion, after current: ModuleVersion, context: RuleContext) -> ModuleVersion? {
        guard let life = context.knowledge.lifespan(scope: .root, name: "lambda_runtime"),
              let change = life.changes.last(where: { $0.release <= target }) else { return nil }
        return change.release > current ? change.release : current
    }

    static func nodeMajor(_ runtime: String) -> Int? {
        guard runtime.hasPrefix("nodejs") else { return nil }
        return Int(runtime.dropFirst("nodejs".count).prefix { $0.isNumber })
    }
}
