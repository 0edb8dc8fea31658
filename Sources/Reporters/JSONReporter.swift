import AuditCore

/// The machine-readable contract. Shape (keys sorted in the output):
///
///     { "tool": {name, version}, "target",
///       "summary": {files, byKind: {kind: count}, error, warning, note, suppressed, baselined},
///       "scope": {runnerModuleCalls, fleets, startScriptsResolved, unresolved: [text], filesNotReached: {kind: n}, text: [line]},
///       "modules": [{path, source, version|null, kind, fleets: [{name, os|null, ephemeral|null, jit|null, bootScript}]}],
///       "findings": [{ruleId, severity, tags, message, detail|null,
///                     location: {path, startLine, startColumn, endLine, endColumn},
///                     related: [{message, location}],
///                     fix?: {description, edits: [{location, newText}]},
///                     fingerprint}],
///       "suppressed": [{…the fields of a finding…, suppression: {kind: inSource|external, justification}}] }
///
/// Columns are 1-based Unicode scalar counts, end positions exclusive. `fix` is absent when the
/// finding has none.
enum JSONReporter {
    static func render(_ report: Report) -> String {
        document(report).serialized()
    }

    static func document(_ report: Report) -> JSONValue {
        .object([
            "tool": .object(["name": .string(report.toolName), "version": .string(report.toolVersion)]),
            "target": .string(report.target),
            "summary": .object([
                "files": .int(report.filesScanned),
                "byKind": .object(report.filesByKind.mapValues(JSONValue.int)),
                "error": .int(report.count(.error)),
                "warning": .int(report.count(.warning)),
                "note": .int(report.count(.note)),
                "suppressed": .int(report.count(.inSource)),
                "baselined": .int(report.count(.external)),
            ]),
            "modules": .array(report.modules.map(module)),
            "scope": scope(report),
            "findings": .array(report.findings.map(finding)),
            "suppressed": .array(report.dismissed.map { d in
                guard case .object(var members) = finding(d.finding) else { return finding(d.finding) }
                members["suppression"] = .object(["kind": .string(d.kind.rawValue), "justification": .string(d.justification)])
                return .object(members)
            }),
        ])
    }

    /// What was audited (the same data the text format prints after the findings).
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
        .object([
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
        ])
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
