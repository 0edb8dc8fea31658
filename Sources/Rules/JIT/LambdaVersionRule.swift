import AuditCore
import Foundation
import HCL
import Knowledge
import Terraform

/// JIT-109: lambda artefacts against the release of the module call they run with. In lockstep at
/// another target they are an upgrade step (a note with the fix that bumps every coupled pin);
/// drifted from the module's current release they are an error across a lambda contract change
/// (`rules/knowledge/lambda-contracts.yaml`), else a warning.
public struct LambdaVersionRule: Rule {
    public let id = RuleID.jit109
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

    /// The start of the message of the upgrade step (lockstep pins at another target); the
    /// checklist lists these findings with the steps of every upgrade.
    public static let lockstepMessagePrefix = "lambda pins move with the module"

    struct Artefact {
        var version: ModuleVersion
        var range: SourceRange
        /// The lambda name (`runners`) or the input that names the zip (`runners_lambda_zip`).
        var name: String
        /// The lambda release asset (`runners`, `webhook`, `runner-binaries-syncer`), nil when unknown.
        var lambda: String?
        var downloaded: Bool
        /// The release as written (`v3.6.1`).
        var written: String
        /// The runner module call whose input names the zip (nil for `download-lambda` tags).
        var owner: RunnerModuleCall?
    }

    /// The release asset an input names: `runners_lambda_zip` → `runners`, `syncer_lambda_s3_key` →
    /// `runner-binaries-syncer`.
    static func lambdaAsset(ofInput name: String) -> String? {
        var base = name
        for suffix in ["_lambda_zip", "_lambda_s3_key"] where base.hasSuffix(suffix) { base = String(base.dropLast(suffix.count)) }
        switch base {
        case "runners", "webhook", "ami_housekeeper", "termination_watcher": return base.replacingOccurrences(of: "_", with: "-")
        case "runner_binaries_syncer", "syncer": return "runner-binaries-syncer"
        default: return nil
        }
    }

    /// A lambda pin whose release cannot be read: a committed zip (`lambdas/runners.zip`), a
    /// `download-lambda` tag or zip path from a value the audit cannot know.
    struct UnreadPin {
        /// `runners_lambda_zip` or the lambda's name.
        var name: String
        /// What is written (`lambdas/runners.zip`), nil when unknown.
        var written: String?
        var range: SourceRange
        var owner: RunnerModuleCall?
    }

    /// Pins whose release cannot be read. A zip path without a release next to a `download-lambda`
    /// call is that call's download, whose tags are the pins.
    func unreadPins(_ context: RuleContext) -> [UnreadPin] {
        var found: [UnreadPin] = []
        let downloads = context.model.calls.contains { $0.kind == .downloadLambda }
        for call in context.model.calls {
            if call.kind == .downloadLambda, let lambdas = call.fleetsInputs(named: "lambdas") {
                for item in lambdas.value.listValue ?? [] {
                    guard let tag = item["tag"], tag.stringValue.map({ Self.releaseNamed(in: $0) == nil }) ?? tag.containsUnknown else { continue }
                    found.append(UnreadPin(name: item["name"]?.stringValue ?? "lambda", written: tag.stringValue,
                                           range: tag.origin ?? lambdas.range, owner: nil))
                }
            }
            guard call.kind.hasFleets, !downloads else { continue }
            for a in call.call.inputs where a.name.hasSuffix("_lambda_zip") || a.name.hasSuffix("_lambda_s3_key") {
                let (v, _) = call.scope.evaluate(a.expression)
                guard v.stringValue.map({ Self.releaseNamed(in: $0) == nil }) ?? v.containsUnknown else { continue }
                found.append(UnreadPin(name: a.name, written: v.stringValue, range: v.origin ?? a.expression.range, owner: call))
            }
        }
        return found
    }

    /// One note for every lambda pin whose release cannot be read: moving the module leaves them
    /// behind unless someone replaces them.
    func unreadPinsFinding(_ pins: [UnreadPin], context: RuleContext) -> Finding? {
        guard let first = pins.first else { return nil }
        let runnerCalls = context.model.calls.filter { $0.kind.hasFleets }
        var calls: [RunnerModuleCall] = []
        for p in pins { for c in p.owner.map({ [$0] }) ?? runnerCalls where !calls.contains(where: { $0.address == c.address && $0.call.file == c.call.file }) { calls.append(c) } }
        guard !calls.isEmpty else { return nil }
        let list = pins.map { p in "`\(p.name)`" + (p.written.map { " (`\($0)`)" } ?? " (unknown value)") }.joined(separator: ", ")
        let currents = Set(calls.compactMap { context.currentVersion(for: $0) })
        let targets = Set(calls.compactMap { context.targetVersion(for: $0) })
        var detail = "Lambda artefacts must come from the release the module runs; no release can be read from these, so the audit cannot compare them"
        if currents.count == 1, let current = currents.first { detail += " with \(current), the module's current release" }
        detail += "."
        if targets.count == 1, let target = targets.first, currents != [target] {
            detail += " Upgrading the module to \(target) leaves them behind: replace them with the artefacts of release v\(target) in the same change."
        }
        var finding = context.finding(
            id, "the release of the lambda \(pins.count == 1 ? "artefact" : "artefacts") \(list) cannot be read, so \(pins.count == 1 ? "it" : "they") cannot be compared with the module's release",
            at: first.range, detail: detail, severity: .note,
            related: pins.dropFirst().map { RelatedNote("lambda pin `\($0.name)`", at: $0.range) }
                + calls.map { RelatedNote("module call `\($0.address)` (\($0.evidence.how))", at: $0.evidence.range ?? $0.call.block.typeRange) },
            fix: Fix("Name the release in the pins (download the artefacts of the module's release with `download-lambda`, or keep them under a path holding the release)"))
        finding.tags = ["version"]
        return finding
    }

    func artefacts(_ context: RuleContext) -> [Artefact] {
        var found: [Artefact] = []
        for call in context.model.calls {
            if call.kind == .downloadLambda, let lambdas = call.fleetsInputs(named: "lambdas") {
                for item in lambdas.value.listValue ?? [] {
                    guard let tag = item["tag"], let text = tag.stringValue, let v = Self.releaseNamed(in: text) else { continue }
                    let name = item["name"]?.stringValue
                    found.append(Artefact(version: v, range: tag.origin ?? lambdas.range, name: name ?? "lambda", lambda: name,
                                          downloaded: true, written: text, owner: nil))
                }
            }
            if call.kind.hasFleets {
                for a in call.call.inputs where a.name.hasSuffix("_lambda_zip") || a.name.hasSuffix("_lambda_s3_key") {
                    let (v, _) = call.scope.evaluate(a.expression)
                    guard let text = v.stringValue, let version = Self.releaseNamed(in: text) else { continue }
                    found.append(Artefact(version: version, range: v.origin ?? a.expression.range, name: a.name, lambda: Self.lambdaAsset(ofInput: a.name),
                                          downloaded: false, written: version.description, owner: call))
                }
            }
        }
        return found
    }

    /// How the artefacts written at one place relate to the module release they run with.
    enum Verdict {
        /// The current release of the module call(s) is not known.
        case unknown(calls: [RunnerModuleCall])
        /// Same release as the calls; `target` is where the upgrade takes them.
        case lockstep(current: ModuleVersion, target: ModuleVersion, calls: [RunnerModuleCall])
        /// Another release than the calls run today; `crossed` are the contract changes between them.
        case drift(current: ModuleVersion, calls: [RunnerModuleCall], crossed: [LambdaContractChange])
    }

    func verdict(_ group: [Artefact], runnerCalls: [RunnerModuleCall], context: RuleContext) -> Verdict? {
        let a = group[0]
        let calls = a.owner.map { [$0] } ?? runnerCalls
        guard !calls.isEmpty else { return nil }
        let unknown = calls.filter { context.currentVersion(for: $0) == nil }
        if !unknown.isEmpty { return .unknown(calls: unknown) }
        let currents = Set(calls.compactMap { context.currentVersion(for: $0) })
        if currents.contains(a.version) {
            let mine = calls.filter { context.currentVersion(for: $0) == a.version }
            let targets = Set(mine.compactMap { context.targetVersion(for: $0) })
            guard targets.count == 1, let target = targets.first else { return nil }
            return .lockstep(current: a.version, target: target, calls: mine)
        }
        // Drift: against the release the calls run today (the nearest when they differ).
        let current = currents.min { $0.distance(to: a.version) < $1.distance(to: a.version) }!
        let lambdas = Set(group.map(\.lambda))
        let crossed = context.knowledge.lambdaContracts.filter { change in
            change.separates(a.version, current) && lambdas.contains { change.concerns(lambda: $0) }
        }
        return .drift(current: current, calls: calls.filter { context.currentVersion(for: $0) == current }, crossed: crossed)
    }

    public func check(_ context: RuleContext) -> [Finding] {
        // Pins without a release that name a zip of the scan tree are read from the zip itself.
        var pins = unreadPins(context)
        let zips = committedZips(context).filter { z in pins.contains { $0.range == z.range } }
        pins.removeAll { p in zips.contains { $0.range == p.range } }
        let unread = unreadPinsFinding(pins, context: context)
        return check(artefacts(context), context: context) + zips.compactMap { committedZipFinding($0, context: context) }
            + (unread.map { [$0] } ?? [])
    }

    func check(_ artefacts: [Artefact], context: RuleContext) -> [Finding] {
        guard !artefacts.isEmpty else { return [] }
        let runnerCalls = context.model.calls.filter { $0.kind.hasFleets }
        // One verdict per place a release is written (a shared `local` names several lambdas).
        var byPlace: [SourceRange: [Artefact]] = [:]
        for a in artefacts { byPlace[a.range, default: []].append(a) }
        let places = byPlace.keys.sorted { ($0.path, $0.start) < ($1.path, $1.start) }

        var out: [Finding] = []
        var unknownPins: [(SourceRange, [Artefact], [RunnerModuleCall])] = []
        var lockstep: [String: (current: ModuleVersion, target: ModuleVersion, pins: [(SourceRange, [Artefact])], calls: [RunnerModuleCall])] = [:]
        for range in places {
            let group = byPlace[range]!.sorted { $0.name < $1.name }
            switch verdict(group, runnerCalls: runnerCalls, context: context) {
            case nil:
                continue
            case .unknown(let calls):
                unknownPins.append((range, group, calls))
            case .lockstep(let current, let target, let calls):
                guard current != target else { continue }
                let key = "\(current)>\(target)"
                var entry = lockstep[key] ?? (current, target, [], [])
                entry.pins.append((range, group))
                for c in calls where !entry.calls.contains(where: { $0.address == c.address && $0.call.file == c.call.file }) { entry.calls.append(c) }
                lockstep[key] = entry
            case .drift(let current, let calls, let crossed):
                out.append(driftFinding(group, range: range, current: current, calls: calls, crossed: crossed, context: context))
            }
        }
        for key in lockstep.keys.sorted() {
            let e = lockstep[key]!
            out.append(lockstepFinding(current: e.current, target: e.target, pins: e.pins, calls: e.calls, context: context))
        }
        if let first = unknownPins.first {
            let pins = unknownPins.map { describe($0.1) }.joined(separator: "; ")
            var calls: [RunnerModuleCall] = []
            for (_, _, cs) in unknownPins { for c in cs where !calls.contains(where: { $0.address == c.address && $0.call.file == c.call.file }) { calls.append(c) } }
            let why = calls.map { "`\($0.address)` (\($0.evidence.how))" }.joined(separator: ", ")
            var related = unknownPins.dropFirst().map { RelatedNote("lambda pin \(describe($0.1))", at: $0.0) }
            related += calls.map { RelatedNote("module call `\($0.address)`: \($0.evidence.how)", at: $0.evidence.range ?? $0.call.block.typeRange) }
            out.append(context.finding(
                id, "the lambda \(unknownPins.count == 1 ? "pin" : "pins") \(pins) could not be compared with the module's current release",
                at: first.0,
                detail: "The release the module call runs today is not known: \(why). Lambda artefacts must come from the same release as the module; confirm that they do, or pin the module to a release.",
                severity: .note, related: related))
        }
        return out
    }

    /// `lambdas \`runners\`, \`webhook\` (v3.6.1)` or `\`runners_lambda_zip\` (4.1.0)`.
    func describe(_ group: [Artefact]) -> String {
        let names = group.map { "`\($0.name)`" }.joined(separator: ", ")
        return group[0].downloaded ? "\(group.count == 1 ? "lambda" : "lambdas") \(names) (\(group[0].written))" : "\(names) (\(group[0].version))"
    }

    func driftFinding(_ group: [Artefact], range: SourceRange, current: ModuleVersion, calls: [RunnerModuleCall],
                      crossed: [LambdaContractChange], context: RuleContext) -> Finding {
        let version = group[0].version
        let names = group.map { "`\($0.name)`" }.joined(separator: ", ")
        let what = group[0].downloaded
            ? "\(group.count == 1 ? "lambda" : "lambdas") \(names) \(group.count == 1 ? "is" : "are") downloaded from release \(group[0].written)"
            : "\(names) \(group.count == 1 ? "names" : "name") release \(version)"
        let callText = calls.map { "`\($0.address)`" }.joined(separator: ", ")
        var detail: String
        if crossed.isEmpty {
            detail = "The lambda artefacts and the module are released together; no lambda contract change the knowledge base records lies between \(min(version, current)) and \(max(version, current)), so this is likely to work, but it is not a tested combination."
        } else {
            let changes = crossed.map { "\($0.release): \($0.summary) (\($0.evidence.first ?? ""))" }.joined(separator: "; ")
            detail = "The lambda artefacts and the module sit on different sides of \(crossed.count == 1 ? "a lambda contract change" : "lambda contract changes"): \(changes)."
        }
        detail += " Use the lambda artefacts of release \(current), the release the module runs today, and move them with the module when it is upgraded."
        var finding = context.finding(
            id, "\(what), but module \(callText) runs release \(current)",
            at: range, detail: detail, severity: crossed.isEmpty ? .warning : .error,
            related: calls.map { RelatedNote("module call `\($0.address)` (\($0.evidence.how))", at: $0.call.block.typeRange) },
            fix: Fix("Use the lambda artefacts of release v\(current), the module's current release"), changedIn: current)
        finding.tags = crossed.contains(where: \.jit) ? ["jit"] : ["version"]
        return finding
    }

    func lockstepFinding(current: ModuleVersion, target: ModuleVersion, pins: [(SourceRange, [Artefact])],
                         calls: [RunnerModuleCall], context: RuleContext) -> Finding {
        let list = pins.map { describe($0.1) }.joined(separator: "; ")
        let callText = calls.map { "`\($0.address)`" }.joined(separator: ", ")
        // Every coupled pin: the lambda releases, and the module pins written as this exact release.
        var edits: [TextEdit] = []
        var editable = true
        for (range, _) in pins {
            if let e = PinMove.bump(range, from: current, to: target, workspace: context.workspace) { edits.append(e) } else { editable = false }
        }
        var moduleCalls = calls
        for c in context.model.calls where c.kind == .downloadLambda && context.currentVersion(for: c) == current { moduleCalls.append(c) }
        var seen = Set(edits.map(\.range))
        for c in moduleCalls {
            guard let range = c.evidence.range, !seen.contains(range), c.vendoredRoot == nil,
                  let e = PinMove.bump(range, from: current, to: target, workspace: context.workspace) else {
                if c.kind.hasFleets { editable = false }
                continue
            }
            seen.insert(range)
            edits.append(e)
        }
        let fix = Fix("Bump the lambda \(pins.count == 1 ? "pin" : "pins") and the module from v\(current) to v\(target) in the same change",
                      edits: editable ? edits : [])
        var related = pins.dropFirst().map { RelatedNote("lambda pin \(describe($0.1))", at: $0.0) }
        related += moduleCalls.map { RelatedNote("module call `\($0.address)` (\($0.evidence.how))", at: $0.evidence.range ?? $0.call.block.typeRange) }
        var finding = context.finding(
            id, "\(Self.lockstepMessagePrefix): \(list) \(pins.count == 1 && pins[0].1.count == 1 ? "matches" : "match") \(callText) at \(current) and must move to \(target) with it",
            at: pins[0].0,
            detail: "The lambda artefacts are in lockstep with the module today. They are pins of the same release: bump them together with the module to \(target), never one without the other.",
            severity: .note, related: related, fix: fix)
        finding.tags = ["version"]
        return finding
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
