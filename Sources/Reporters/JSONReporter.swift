import AuditCore

/// The machine-readable contract. Shape (keys sorted in the output):
///
///     { "tool": {name, version}, "target",
///       "summary": {files, byKind: {kind: count}, error, warning, note, suppressed, baselined,
///                   hidden?: {total, error, warning, note}},
///       "scope": {runnerModuleCalls, fleets, startScriptsResolved, unresolved: [text], filesNotReached: {kind: n}, text: [line]},
///       "modules": [{path, source, version|null, kind, fleets: [{name, os|null, ephemeral|null, jit|null, bootScript}],
///                    versionEvidence?}],   (a vendored copy's: which release it was audited as and why)
///       "findings": [{ruleId, severity, tags, message, detail|null,
///                     location: {path, startLine, startColumn, endLine, endColumn},
///                     related: [{message, location}],
///                     fix?: {description, edits: [{location, newText}]},
///                     fingerprint}],
///       "suppressed": [{…the fields of a finding…, suppression: {kind: inSource|external, justification}}],
///       "live"?: {aws: {account, callerArn, credentialSource, region, window, fleets: [{namePrefix, ssmBase, pinned,
///                  deployed: {atLeast, below, summary, evidence}, ssmConfigRead, ssmConfig: {name: value}, ssmConfigNames,
///                  tokenParameters, lambdasRead, lambdas: [{name, runtime, environment}],
///                  launchTemplate: {name, version, imageId, startScript}|null, image: {id, name, missing, owner, builtBy: [file:line]|null}|null,
///                  instances: [{id, state, imageId, legacyTags}], queues: {name: depth}, metrics: {name: sum},
///                  logSignatures: [{signature, group, count}], findings: [fingerprint]}]}|null,
///                 github: {apiRoot, server, ghesVersion, appSlug, installationID, runnerCount, offlineRunnerCount,
///                          jitRoundTrip, jitRoundTripPassed}|null} }
///
/// `live` is written by `ghr-audit probe` only (what it read from the deployed fleet; `check
/// --probe-results FILE` reads it back, see `LiveFacts`). Optional values inside it are `null`.
///
/// Columns are 1-based Unicode scalar counts, end positions exclusive. `fix` is absent when the
/// finding has none. `summary.hidden` is present when a display filter (`--min-severity`,
/// `--rule`, `--skip-rule`) hid findings: their counts (they are not listed; the gate judges them).
enum JSONReporter {
    static func render(_ report: Report) -> String {
        document(report).serialized()
    }

    static func document(_ report: Report) -> JSONValue {
        var members = base(report)
        if let live = report.live { members["live"] = self.live(live) }
        return .object(members)
    }

    static func base(_ report: Report) -> [String: JSONValue] {
        var summary: [String: JSONValue] = [
            "files": .int(report.filesScanned),
            "byKind": .object(report.filesByKind.mapValues(JSONValue.int)),
            "error": .int(report.count(.error)),
            "warning": .int(report.count(.warning)),
            "note": .int(report.count(.note)),
            "suppressed": .int(report.count(.inSource)),
            "baselined": .int(report.count(.external)),
        ]
        if let hidden = hidden(report) { summary["hidden"] = hidden }
        return [
            "tool": .object(["name": .string(report.toolName), "version": .string(report.toolVersion)]),
            "target": .string(report.target),
            "summary": .object(summary),
            "modules": .array(report.modules.map(module)),
            "scope": scope(report),
            "findings": .array(report.findings.map(finding)),
            "suppressed": .array(report.dismissed.map { d in
                guard case .object(var members) = finding(d.finding) else { return finding(d.finding) }
                members["suppression"] = .object(["kind": .string(d.kind.rawValue), "justification": .string(d.justification)])
                return .object(members)
            }),
        ]
    }

    // MARK: - Live facts (the probe)

    static func live(_ live: LiveFacts) -> JSONValue {
        .object([
            "aws": live.aws.map { aws in
                .object([
                    "account": .optional(aws.account),
                    "callerArn": .optional(aws.callerArn),
                    "credentialSource": .optional(aws.credentialSource),
                    "region": .string(aws.region),
                    "window": .optional(aws.window),
                    "fleets": .array(aws.fleets.map(liveFleet)),
                ])
            } ?? .null,
            "github": live.github.map { g in
                .object([
                    "apiRoot": .string(g.apiRoot),
                    "server": .string(g.server),
                    "ghesVersion": .optional(g.ghesVersion),
                    "appSlug": .optional(g.appSlug),
                    "installationID": g.installationID.map(JSONValue.int) ?? .null,
                    "runnerCount": g.runnerCount.map(JSONValue.int) ?? .null,
                    "offlineRunnerCount": g.offlineRunnerCount.map(JSONValue.int) ?? .null,
                    "jitRoundTrip": .optional(g.jitRoundTrip),
                    "jitRoundTripPassed": .optional(g.jitRoundTripPassed),
                ])
            } ?? .null,
        ])
    }

    static func liveFleet(_ f: LiveFacts.Fleet) -> JSONValue {
        .object([
            "namePrefix": .string(f.namePrefix),
            "ssmBase": .string(f.ssmBase),
            "pinned": .optional(f.pinned),
            "deployed": .object([
                "atLeast": .optional(f.deployed.atLeast),
                "below": .optional(f.deployed.below),
                "summary": .string(f.deployed.summary),
                "evidence": .strings(f.deployed.evidence),
            ]),
            "ssmConfigRead": .bool(f.ssmConfigRead),
            "ssmConfig": .object(f.ssmConfig.mapValues(JSONValue.string)),
            "ssmConfigNames": .strings(f.ssmConfigNames),
            "tokenParameters": .int(f.tokenParameters),
            "lambdasRead": .bool(f.lambdasRead),
            "lambdas": .array(f.lambdas.map { l in
                .object(["name": .string(l.name), "runtime": .optional(l.runtime), "environment": .object(l.environment.mapValues(JSONValue.string))])
            }),
            "launchTemplate": f.launchTemplate.map { lt in
                .object(["name": .string(lt.name), "version": .int(lt.version), "imageId": .optional(lt.imageId), "startScript": .optional(lt.startScript)])
            } ?? .null,
            "image": f.image.map { i in
                .object(["id": .string(i.id), "name": .optional(i.name), "missing": .bool(i.missing), "owner": .optional(i.owner),
                         "builtBy": i.builtBy.map(JSONValue.strings) ?? .null])
            } ?? .null,
            "instances": .array(f.instances.map { i in
                .object(["id": .string(i.id), "state": .string(i.state), "imageId": .optional(i.imageId), "legacyTags": .bool(i.legacyTags)])
            }),
            "queues": .object(f.queues.mapValues(JSONValue.int)),
            "metrics": .object(f.metrics.mapValues(JSONValue.int)),
            "logSignatures": .array(f.logSignatures.map { h in
                .object(["signature": .string(h.signature), "group": .string(h.group), "count": .int(h.count)])
            }),
            "findings": .strings(f.findings),
        ])
    }

    /// What was audited (the same data the text format prints after the findings).
    /// The counts of the findings a display filter hid, nil when it hid none.
    static func hidden(_ report: Report) -> JSONValue? {
        guard !report.hidden.isEmpty else { return nil }
        var counts: [String: JSONValue] = ["total": .int(report.hidden.count)]
        for severity in [Severity.error, .warning, .note] { counts[severity.rawValue] = .int(report.hidden.filter { $0.severity == severity }.count) }
        return .object(counts)
    }

    static func scope(_ report: Report) -> JSONValue {
        .object([
            "runnerModuleCalls": .int(report.runnerCalls.count),
            "fleets": .int(report.fleetCount),
            "startScriptsResolved": .int(report.startScriptsResolved),
            "unresolved": .strings(report.unresolved),
            "filesNotReached": .object(report.filesNotReached.mapValues(JSONValue.int)),
            "text": .strings(report.scopeLines),
        ])
    }

    static func module(_ m: ModuleSummary) -> JSONValue {
        var members = moduleMembers(m)
        if let evidence = m.versionEvidence { members["versionEvidence"] = .string(evidence) }
        return .object(members)
    }

    static func moduleMembers(_ m: ModuleSummary) -> [String: JSONValue] {
        [
            "path": .string(m.path),
            "source": .string(m.source),
            "version": .optional(m.version),
            "kind": .string(m.kind),
            "fleets": .array(m.fleets.map { fleet in
                .object([
                    "name": .string(fleet.name),
                    "os": .optional(fleet.os),
                    "ephemeral": .optional(fleet.ephemeral),
                    "jit": .optional(fleet.jit),
                    "bootScript": .string(fleet.bootScript),
                ])
            }),
        ]
    }

    static func finding(_ f: Finding) -> JSONValue {
        var members: [String: JSONValue] = [
            "ruleId": .string(f.ruleId),
            "severity": .string(f.severity.rawValue),
            "tags": .strings(f.tags),
            "message": .string(f.message),
            "detail": .optional(f.detail),
            "location": location(f.location),
            "related": .array(f.related.map { .object(["message": .string($0.message), "location": location($0.location)]) }),
            "fingerprint": .string(f.fingerprint),
        ]
        if let fix = f.fix {
            members["fix"] = .object([
                "description": .string(fix.description),
                "edits": .array(fix.edits.map { .object(["location": location($0.range), "newText": .string($0.newText)]) }),
            ])
        }
        return .object(members)
    }

    static func location(_ r: SourceRange) -> JSONValue {
        .object([
            "path": .string(r.path),
            "startLine": .int(r.start.line),
            "startColumn": .int(r.start.column),
            "endLine": .int(r.end.line),
            "endColumn": .int(r.end.column),
        ])
    }
}
