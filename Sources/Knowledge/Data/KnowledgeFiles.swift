import AuditCore
import Foundation
import Yams

/// The on-disk shape of the four data files in `rules/knowledge/` (written by
/// `ghr-audit-dev extract-knowledge`, read here). Versions are written `MAJOR.MINOR.PATCH`.
package enum KnowledgeFiles {
    package static let releasesPath = "knowledge/releases.yaml"
    package static let inputsPath = "knowledge/inputs.yaml"
    package static let renamesPath = "knowledge/renames.yaml"
    package static let fingerprintsPath = "knowledge/script-fingerprints.yaml"

    package struct ReleasesFile: Codable, Sendable {
        package var releases: [ReleaseRow]
    }

    package struct ReleaseRow: Codable, Sendable {
        package var version: String
        package var tag: String
        package var commit: String
        package var date: String
    }

    package struct InputsFile: Codable, Sendable {
        package var coverage: Coverage
        package var scopes: [String: [String: InputRow]]
    }

    package struct Coverage: Codable, Sendable {
        package var first: String
        package var last: String
        package var releases: Int
    }

    package struct InputRow: Codable, Sendable {
        package var first: String
        package var last: String
        package var inLatest: Bool
        package var type: String?
        package var `default`: String?
        package var deprecatedIn: String?
        package var removedIn: String?
        package var changes: [ChangeRow]?

        enum CodingKeys: String, CodingKey {
            case first, last, type, `default`, changes
            case inLatest = "in_latest", deprecatedIn = "deprecated_in", removedIn = "removed_in"
        }
    }

    package struct ChangeRow: Codable, Sendable {
        package var release: String
        package var from: String
        package var to: String
    }

    package struct RenamesFile: Codable, Sendable {
        package var renames: [RenameRow]
    }

    package struct RenameRow: Codable, Sendable {
        package var scope: String
        package var old: String
        package var replacement: String?
        package var deprecatedIn: String?
        package var lastRelease: String
        package var removedIn: String?
        package var note: String
        package var evidence: [String]

        enum CodingKeys: String, CodingKey {
            case scope, old, replacement, note, evidence
            case deprecatedIn = "deprecated_in", lastRelease = "last_release", removedIn = "removed_in"
        }
    }

    package struct FingerprintsFile: Codable, Sendable {
        package var fingerprints: [FingerprintRow]
    }

    package struct FingerprintRow: Codable, Sendable {
        package var sha256: String
        package var file: String
        package var form: String
        package var render: String?
        package var os: String
        package var role: String
        package var contract: String
        package var releases: [String]
        package var defects: [String]?
        package var alsoIn: [String]?

        enum CodingKeys: String, CodingKey {
            case sha256, file, form, render, os, role, contract, releases, defects
            case alsoIn = "also_in"
        }
    }

    // MARK: Decoding into the public model

    struct Decoded {
        var releases: [Release] = []
        var inputs: [InputScope: [String: InputLifespan]] = [:]
        var renames: [InputRename] = []
        var fingerprints: [ScriptFingerprintEntry] = []
    }

    /// Decodes the data files; every problem is collected (a missing file is one).
    static func decode(files: [String: String]) -> (Decoded, [CatalogProblem]) {
        var out = Decoded()
        var problems: [CatalogProblem] = []

        func load<T: Decodable>(_ type: T.Type, _ path: String) -> T? {
            guard let text = files[path] else {
                problems.append(CatalogProblem(path: "rules/" + path, "knowledge file is missing; run `swift run ghr-audit-dev extract-knowledge`"))
                return nil
            }
            do {
                return try YAMLDecoder().decode(T.self, from: text)
            } catch {
                problems.append(CatalogProblem(path: "rules/" + path, "cannot decode: \(error)"))
                return nil
            }
        }
        func version(_ s: String, _ path: String, _ what: String) -> ModuleVersion? {
            guard let v = RuleCatalogLoader.parseRelease(s) else {
                problems.append(CatalogProblem(path: "rules/" + path, "\(what): \(Quote.code(s)) is not a release number"))
                return nil
            }
            return v
        }

        if let file = load(ReleasesFile.self, releasesPath) {
            for row in file.releases {
                guard let v = version(row.version, releasesPath, "release") else { continue }
                out.releases.append(Release(version: v, tag: row.tag, commit: row.commit.lowercased(), date: row.date))
            }
            out.releases.sort()
        }

        if let file = load(InputsFile.self, inputsPath) {
            for (scopeName, rows) in file.scopes {
                guard let scope = InputScope(rawValue: scopeName) else {
                    problems.append(CatalogProblem(path: "rules/" + inputsPath, "unknown scope \(Quote.code(scopeName))"))
                    continue
                }
                var byName: [String: InputLifespan] = [:]
                for (name, row) in rows {
                    let what = "\(scopeName).\(name)"
                    guard let first = version(row.first, inputsPath, what), let last = version(row.last, inputsPath, what) else { continue }
                    var changes: [InputChange] = []
                    for c in row.changes ?? [] {
                        if let v = version(c.release, inputsPath, what) { changes.append(InputChange(release: v, from: c.from, to: c.to)) }
                    }
                    byName[name] = InputLifespan(
                        scope: scope, name: name, first: first, last: last, inLatest: row.inLatest, type: row.type,
                        defaultValue: row.default, changes: changes,
                        deprecatedIn: row.deprecatedIn.flatMap { version($0, inputsPath, what) },
                        removedIn: row.removedIn.flatMap { version($0, inputsPath, what) })
                }
                out.inputs[scope] = byName
            }
        }

        if let file = load(RenamesFile.self, renamesPath) {
            for row in file.renames {
                let what = "\(row.scope).\(row.old)"
                guard let scope = InputScope(rawValue: row.scope) else {
                    problems.append(CatalogProblem(path: "rules/" + renamesPath, "unknown scope \(Quote.code(row.scope)) of \(Quote.code(row.old))"))
                    continue
                }
                guard let last = version(row.lastRelease, renamesPath, what) else { continue }
                let removed = row.removedIn.flatMap { version($0, renamesPath, what) }
                out.renames.append(InputRename(
                    scope: scope, old: row.old, replacement: row.replacement,
                    deprecatedIn: row.deprecatedIn.flatMap { version($0, renamesPath, what) },
                    lastRelease: last, removedIn: removed, note: row.note, evidence: row.evidence))
            }
        }

        if let file = load(FingerprintsFile.self, fingerprintsPath) {
            for row in file.fingerprints {
                guard let form = ScriptForm(rawValue: row.form), let role = ScriptRole(rawValue: row.role),
                      let contract = StartContract(rawValue: row.contract) else {
                    problems.append(CatalogProblem(path: "rules/" + fingerprintsPath, "entry \(row.sha256.prefix(12)) has an unknown form, role or contract"))
                    continue
                }
                let releases = row.releases.compactMap { version($0, fingerprintsPath, "fingerprint \(row.sha256.prefix(12))") }
                out.fingerprints.append(ScriptFingerprintEntry(
                    sha256: row.sha256, file: row.file, form: form, render: row.render, os: row.os, role: role,
                    contract: contract, releases: releases, defects: row.defects ?? [], alsoIn: row.alsoIn ?? []))
            }
        }
        return (out, problems)
    }
}
