import AuditCore

/// SARIF 2.1.0, shaped for GitHub code scanning.
///
/// - `tool.driver.rules` is the report's rule catalogue; results point into it by `ruleIndex`.
/// - Regions are complete (start and end line and column); columns count Unicode code points,
///   which the run states in `columnKind`.
/// - Locations are relative URIs under `%SRCROOT%`, which `originalUriBaseIds` describes without
///   an absolute path (the upload action resolves it to the checkout).
/// - Suppressed and baselined findings are results too, with a `suppressions` entry (`inSource`
///   or `external`, the justification), so code scanning shows them as dismissed.
/// - Findings a display filter hid are not results; the run's `properties.hiddenByDisplayFilter`
///   counts them (present only when there are any).
/// - Findings tagged `parse` stay results (the reader must see them next to the code) and are
///   repeated as `invocations[0].toolExecutionNotifications`; a parse error makes
///   `executionSuccessful` false.
enum SARIFReporter {
    static let schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    static let srcRoot = "%SRCROOT%"
    static let fingerprintKey = "ghrAudit/v2"

    static func render(_ report: Report, informationURI: String? = nil) -> String {
        document(report, informationURI: informationURI).serialized()
    }

    static func document(_ report: Report, informationURI: String?) -> JSONValue {
        // Rule ids are unique in `tool.driver.rules`: the first descriptor of an id wins.
        var rules: [RuleDescriptor] = []
        var ruleIndex: [String: Int] = [:]
        for rule in report.rules where ruleIndex[rule.id] == nil {
            ruleIndex[rule.id] = rules.count
            rules.append(rule)
        }

        var driver: [String: JSONValue] = [
            "name": .string(report.toolName),
            "version": .string(report.toolVersion),
            "rules": .array(rules.map(rule)),
        ]
        if let informationURI, !informationURI.isEmpty { driver["informationUri"] = .string(informationURI) }

        let toolProblems = report.findings.filter(\.isToolProblem)
        var invocation: [String: JSONValue] = [
            "executionSuccessful": .bool(!toolProblems.contains { $0.severity == .error })
        ]
        if !toolProblems.isEmpty {
            invocation["toolExecutionNotifications"] = .array(toolProblems.map { notification($0, ruleIndex: ruleIndex) })
        }

        let run: [String: JSONValue] = [
            "tool": .object(["driver": .object(driver)]),
            "columnKind": .string("unicodeCodePoints"),
            "originalUriBaseIds": .object([
                srcRoot: .object(["description": .object(["text": .string("The root of the audited repository; result paths are relative to it.")])])
            ]),
            "invocations": .array([.object(invocation)]),
            "properties": .object(["auditedScope": JSONReporter.scope(report)].merging(
                JSONReporter.hidden(report).map { ["hiddenByDisplayFilter": $0] } ?? [:], uniquingKeysWith: { a, _ in a })),
            "results": .array(report.findings.map { result($0, ruleIndex: ruleIndex) } + report.dismissed.map { d in
                // Dismissed findings are results with a suppression, which code scanning shows as dismissed.
                guard case .object(var members) = result(d.finding, ruleIndex: ruleIndex) else { return result(d.finding, ruleIndex: ruleIndex) }
                members["suppressions"] = .array([.object(["kind": .string(d.kind.rawValue), "status": .string("accepted"),
                                                           "justification": .string(d.justification)])])
                return .object(members)
            }),
        ]
        return .object([
            "$schema": .string(schema),
            "version": .string("2.1.0"),
            "runs": .array([.object(run)]),
        ])
    }

    // MARK: - Rules

    static func rule(_ r: RuleDescriptor) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(r.id),
            "name": .string(identifierName(r.title, fallback: r.id)),
            "shortDescription": .object(["text": .string(r.title.isEmpty ? r.id : r.title)]),
            "fullDescription": .object(["text": .string(r.summary.isEmpty ? r.title : r.summary)]),
            "defaultConfiguration": .object(["level": .string(level(r.severity))]),
            "properties": .object(["tags": .strings(r.tags)]),
        ]
        if !r.help.isEmpty { members["help"] = .object(["text": .string(r.help), "markdown": .string(r.help)]) }
        if !r.helpURI.isEmpty { members["helpUri"] = .string(r.helpURI) }
        return .object(members)
    }

    /// SARIF's `name` is an identifier-like form of the title: `Removed module input` →
    /// `RemovedModuleInput`.
    static func identifierName(_ title: String, fallback: String) -> String {
        let words = title.split { !($0.isLetter || $0.isNumber) }
        let name = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return name.isEmpty ? fallback.filter { $0.isLetter || $0.isNumber } : name
    }

    static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }

    // MARK: - Results

    /// The message, then the detail and the fix as further paragraphs. A period closes the
    /// message when more follows, because viewers show the first sentence as the title.
    static func messageText(_ f: Finding) -> String {
        var paragraphs: [String] = []
        if let detail = f.detail, !detail.isEmpty { paragraphs.append(detail) }
        if let fix = f.fix, !fix.description.isEmpty { paragraphs.append("Fix: " + fix.description) }
        guard !paragraphs.isEmpty else { return f.message }
        let endsSentence = f.message.last.map { ".!?".contains($0) } ?? true
        let closed = endsSentence ? f.message : f.message + "."
        return ([closed] + paragraphs).joined(separator: "\n\n")
    }

    static func result(_ f: Finding, ruleIndex: [String: Int]) -> JSONValue {
        var members: [String: JSONValue] = [
            "ruleId": .string(f.ruleId),
            "level": .string(level(f.severity)),
            "message": .object(["text": .string(messageText(f))]),
            "locations": .array([location(f.location)]),
        ]
        if let index = ruleIndex[f.ruleId] { members["ruleIndex"] = .int(index) }
        if !f.fingerprint.isEmpty { members["partialFingerprints"] = .object([fingerprintKey: .string(f.fingerprint)]) }
        if !f.related.isEmpty {
            members["relatedLocations"] = .array(f.related.enumerated().map { i, note in
                location(note.location, id: i + 1, message: note.message)
            })
        }
        if let fix = f.fix, fix.isMachineApplicable { members["fixes"] = .array([self.fix(fix)]) }
        if !f.tags.isEmpty { members["properties"] = .object(["tags": .strings(f.tags)]) }
        return .object(members)
    }

    static func notification(_ f: Finding, ruleIndex: [String: Int]) -> JSONValue {
        var rule: [String: JSONValue] = ["id": .string(f.ruleId)]
        if let index = ruleIndex[f.ruleId] { rule["index"] = .int(index) }
        return .object([
            "level": .string(level(f.severity)),
            "message": .object(["text": .string(messageText(f))]),
            "locations": .array([location(f.location)]),
            "associatedRule": .object(rule),
        ])
    }

    static func fix(_ fix: Fix) -> JSONValue {
        var paths: [String] = []
        for edit in fix.edits where !paths.contains(edit.range.path) { paths.append(edit.range.path) }
        let changes: [JSONValue] = paths.map { path in
            let edits = fix.edits.filter { $0.range.path == path }.sorted { $0.range.start < $1.range.start }
            return .object([
                "artifactLocation": artifactLocation(path),
                "replacements": .array(edits.map { edit in
                    .object(["deletedRegion": region(edit.range), "insertedContent": .object(["text": .string(edit.newText)])])
                }),
            ])
        }
        return .object(["description": .object(["text": .string(fix.description)]), "artifactChanges": .array(changes)])
    }

    // MARK: - Locations

    static func location(_ r: SourceRange, id: Int? = nil, message: String? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "physicalLocation": .object(["artifactLocation": artifactLocation(r.path), "region": region(r)])
        ]
        if let id { members["id"] = .int(id) }
        if let message { members["message"] = .object(["text": .string(message)]) }
        return .object(members)
    }

    static func artifactLocation(_ path: String) -> JSONValue {
        .object(["uri": .string(uriReference(path)), "uriBaseId": .string(srcRoot)])
    }

    /// SARIF's `endColumn` is "the column following the end", the same half-open convention as
    /// `SourceRange`, so positions are written unchanged.
    static func region(_ r: SourceRange) -> JSONValue {
        .object([
            "startLine": .int(max(1, r.start.line)),
            "startColumn": .int(max(1, r.start.column)),
            "endLine": .int(max(1, r.end.line)),
            "endColumn": .int(max(1, r.end.column)),
        ])
    }

    /// A relative path as a URI reference (RFC 3986): UTF-8 percent-encoded except unreserved
    /// characters, sub-delimiters, `@` and `/`. `:` is encoded so a first segment like `c:x`
    /// is never read as a scheme.
    static func uriReference(_ path: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=@/".utf8)
        var out = ""
        for byte in path.utf8 {
            if allowed.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
