import Knowledge
import AuditCore
import Foundation

/// The lifespans data set (`variable-lifespans.json`): for each scope, each name's first and last
/// tag and the tags where its compared text changed.
package struct LifespanDocument: Sendable {
    package struct Change: Sendable, Hashable, Decodable {
        package var tag: String
        package var from: String
        package var to: String
    }

    package struct Record: Sendable, Hashable, Decodable {
        package var firstSeen: String
        package var lastSeen: String
        package var presentInLatest: Bool
        package var defaultOrTypeChanges: [Change]

        enum CodingKeys: String, CodingKey {
            case firstSeen = "first_seen", lastSeen = "last_seen", presentInLatest = "present_in_latest"
            case defaultOrTypeChanges = "default_or_type_changes"
        }
    }

    /// The section names of the JSON file, by scope.
    package static let sectionNames: [InputScope: String] = [
        .root: "root (variables*.tf)",
        .multiRunner: "modules/multi-runner",
        .runners: "modules/runners",
        .runnerConfig: "multi_runner_config[*].runner_config fields",
        .matcherConfig: "multi_runner_config[*].matcherConfig fields",
        .multiRunnerConfig: "multi_runner_config[*] top-level fields",
    ]

    package var firstTag: String
    package var lastTag: String
    package var tagCount: Int
    package var scopes: [InputScope: [String: Record]]

    package init(firstTag: String, lastTag: String, tagCount: Int, scopes: [InputScope: [String: Record]]) {
        self.firstTag = firstTag
        self.lastTag = lastTag
        self.tagCount = tagCount
        self.scopes = scopes
    }

    package enum DecodeError: Error, CustomStringConvertible {
        case shape(String)
        package var description: String {
            switch self { case let .shape(s): "variable lifespans: \(s)" }
        }
    }

    package init(json: Data) throws {
        struct Raw: Decodable {
            var tags_scanned: [TagsScannedElement]
            var modules: [String: [String: Record]]
        }
        enum TagsScannedElement: Decodable {
            case string(String), number(Int)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .string(s) } else { self = .number(try c.decode(Int.self)) }
            }
        }
        let raw = try JSONDecoder().decode(Raw.self, from: json)
        guard raw.tags_scanned.count == 3, case let .string(first) = raw.tags_scanned[0], case let .string(last) = raw.tags_scanned[1],
              case let .number(count) = raw.tags_scanned[2] else {
            throw DecodeError.shape("`tags_scanned` must be [first tag, last tag, count]")
        }
        var scopes: [InputScope: [String: Record]] = [:]
        for (scope, section) in Self.sectionNames {
            guard let records = raw.modules[section] else { throw DecodeError.shape("missing section \"\(section)\"") }
            scopes[scope] = records
        }
        let unknown = Set(raw.modules.keys).subtracting(Self.sectionNames.values)
        if !unknown.isEmpty { throw DecodeError.shape("unknown sections \(unknown.sorted())") }
        self.init(firstTag: first, lastTag: last, tagCount: count, scopes: scopes)
    }
}

/// Builds the input lifespans of `rules/knowledge/inputs.yaml`: names, ranges and changes from the
/// lifespans document; extended with the snapshots for releases newer than the document covers;
/// the type/default at each input's last release and the deprecation release from the snapshots.
package enum LifespanBuilder {
    package struct Result: Sendable {
        package var lifespans: [InputScope: [InputLifespan]]
        /// Disagreements between the document and the snapshots, and anything skipped.
        package var warnings: [String]
    }

    /// - Parameters:
    ///   - releases: every release, ascending; the document's tags must be among them.
    ///   - snapshots: the inputs at each release (missing releases are tolerated for the covered
    ///     range, but needed for every release newer than the document).
    package static func build(document: LifespanDocument, releases: [ModuleVersion], snapshots: [ModuleVersion: InputSnapshot]) -> Result {
        var warnings: [String] = []
        guard let docLast = ModuleVersion(document.lastTag), let docFirst = ModuleVersion(document.firstTag) else {
            return Result(lifespans: [:], warnings: ["the document's tag range is not made of versions"])
        }
        let covered = releases.filter { $0 >= docFirst && $0 <= docLast }
        if covered.count != document.tagCount {
            warnings.append("the document says it scanned \(document.tagCount) tags, the mirror has \(covered.count) releases in \(document.firstTag)…\(document.lastTag)")
        }
        let newer = releases.filter { $0 > docLast }
        let newest = releases.last ?? docLast

        var result: [InputScope: [InputLifespan]] = [:]
        for scope in InputScope.allCases {
            var spans: [String: InputLifespan] = [:]
            for (name, record) in document.scopes[scope] ?? [:] {
                guard let first = ModuleVersion(record.firstSeen), let last = ModuleVersion(record.lastSeen) else {
                    warnings.append("\(scope).\(name): unreadable tags \(record.firstSeen)/\(record.lastSeen)")
                    continue
                }
                let changes = record.defaultOrTypeChanges.compactMap { c -> InputChange? in
                    guard let v = ModuleVersion(c.tag) else { return nil }
                    return InputChange(release: v, from: c.from, to: c.to)
                }
                spans[name] = InputLifespan(scope: scope, name: name, first: first, last: last, inLatest: false, type: nil,
                                            defaultValue: nil, changes: changes, deprecatedIn: nil, removedIn: nil)
            }

            // Cross-check the covered releases we have snapshots for.
            for v in covered {
                guard let snap = snapshots[v] else { continue }
                let fromDoc = Set(spans.values.filter { $0.exists(at: v) }.map(\.name))
                let fromSnap = Set((snap[scope] ?? [:]).keys)
                if fromDoc != fromSnap {
                    let missing = fromDoc.subtracting(fromSnap).sorted(), extra = fromSnap.subtracting(fromDoc).sorted()
                    warnings.append("\(scope) at \(v): scanner disagrees with the document (scanner lacks \(missing), has extra \(extra))")
                }
                for name in fromDoc.intersection(fromSnap) {
                    let span = spans[name]!
                    if let expected = span.comparedText(at: v), expected != snap[scope]![name]!.compared {
                        warnings.append("\(scope).\(name) at \(v): compared text differs: document \(expected.debugDescription), scanner \(snap[scope]![name]!.compared.debugDescription)")
                    }
                }
            }

            // Extend with releases newer than the document.
            var previous = docLast
            for v in newer {
                guard let snap = snapshots[v] else {
                    warnings.append("no snapshot for \(v), newer than the document; its inputs are not recorded")
                    continue
                }
                for (name, facts) in snap[scope] ?? [:] {
                    if var span = spans[name] {
                        if span.last == previous {
                            span.last = v
                            let before = snapshots[previous]?[scope]?[name]?.compared
                            if let before, before != facts.compared {
                                span.changes.append(InputChange(release: v, from: before, to: facts.compared))
                            }
                            spans[name] = span
                        } else {
                            warnings.append("\(scope).\(name) reappears at \(v) after its removal; recorded lifespan kept")
                        }
                    } else {
                        spans[name] = InputLifespan(scope: scope, name: name, first: v, last: v, inLatest: false, type: nil,
                                                    defaultValue: nil, changes: [], deprecatedIn: nil, removedIn: nil)
                    }
                }
                previous = v
            }

            // Facts at the last release, deprecation, removal.
            for name in spans.keys {
                var span = spans[name]!
                span.inLatest = span.last == newest
                span.removedIn = releases.first { $0 > span.last }
                if let facts = snapshots[span.last]?[scope]?[name] {
                    span.type = facts.type
                    span.defaultValue = facts.defaultValue
                } else {
                    warnings.append("\(scope).\(name): no snapshot at its last release \(span.last); type unknown")
                }
                span.deprecatedIn = releases.first { v in
                    span.exists(at: v) && snapshots[v]?[scope]?[name]?.deprecated == true
                }
                if scope.isVariableScope {
                    span.typeChanges = typeChanges(releases.filter(span.exists).compactMap { v in
                        snapshots[v]?[scope]?[name].map { (v, $0.type ?? "any") }
                    })
                }
                spans[name] = span
            }
            result[scope] = spans.values.sorted { $0.name < $1.name }
        }
        return Result(lifespans: result, warnings: warnings)
    }

    /// Consecutive releases whose type expressions differ (the texts are in normal form, so layout,
    /// comments and separators do not count: `object({ a = string, b = number })` and its
    /// one-field-per-line form are the same type).
    static func typeChanges(_ types: [(ModuleVersion, String)]) -> [InputChange] {
        var out: [InputChange] = []
        for (a, b) in zip(types, types.dropFirst()) where a.1 != b.1 {
            out.append(InputChange(release: b.0, from: a.1, to: b.1))
        }
        return out
    }
}
