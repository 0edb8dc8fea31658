import Knowledge
import AuditCore

/// Writes the four data files of `rules/knowledge/` in a fixed, diff-friendly layout: keys in a
/// fixed order, names sorted, every string double-quoted.
package enum KnowledgeYAMLWriter {
    /// A YAML double-quoted scalar (the shared quoter).
    package static func quoted(_ s: String) -> String { Wording.yamlQuoted(s) }

    private static func comment(_ lines: [String]) -> String {
        lines.map { $0.isEmpty ? "#" : "# " + $0 }.joined(separator: "\n") + "\n"
    }

    private static func versionList(_ versions: [ModuleVersion]) -> String {
        "[" + versions.map { quoted($0.description) }.joined(separator: ", ") + "]"
    }

    package static func releases(_ releases: [Release], header: [String]) -> String {
        var out = comment(header)
        out += "releases:\n"
        for r in releases.sorted() {
            out += "  - {version: \(quoted(r.version.description)), tag: \(quoted(r.tag)), commit: \(quoted(r.commit)), date: \(quoted(r.date))}\n"
        }
        return out
    }

    package static func inputs(_ lifespans: [InputScope: [InputLifespan]], coverage: (first: ModuleVersion, last: ModuleVersion, releases: Int),
                               header: [String]) -> String {
        var out = comment(header)
        out += "coverage: {first: \(quoted(coverage.first.description)), last: \(quoted(coverage.last.description)), releases: \(coverage.releases)}\n"
        out += "scopes:\n"
        for scope in InputScope.allCases {
            let spans = (lifespans[scope] ?? []).sorted { $0.name < $1.name }
            out += "  \(scope.rawValue):\n"
            if spans.isEmpty { out += "    {}\n" }
            for s in spans {
                out += "    \(quoted(s.name)):\n"
                out += "      first: \(quoted(s.first.description))\n"
                out += "      last: \(quoted(s.last.description))\n"
                out += "      in_latest: \(s.inLatest)\n"
                if let r = s.removedIn { out += "      removed_in: \(quoted(r.description))\n" }
                if let d = s.deprecatedIn { out += "      deprecated_in: \(quoted(d.description))\n" }
                if let t = s.type { out += "      type: \(quoted(t))\n" }
                if let d = s.defaultValue { out += "      default: \(quoted(d))\n" }
                for (key, changes) in [("changes", s.changes), ("type_changes", s.typeChanges)] where !changes.isEmpty {
                    out += "      \(key):\n"
                    for c in changes {
                        out += "        - {release: \(quoted(c.release.description)), from: \(quoted(c.from)), to: \(quoted(c.to))}\n"
                    }
                }
            }
        }
        return out
    }

    package static func renames(_ renames: [InputRename], header: [String]) -> String {
        var out = comment(header)
        out += "renames:\n"
        let order = InputScope.allCases
        let sorted = renames.sorted {
            let a = order.firstIndex(of: $0.scope)!, b = order.firstIndex(of: $1.scope)!
            let never = ModuleVersion(Int.max, 0, 0)
            return (a, $0.removedIn ?? never, $0.old) < (b, $1.removedIn ?? never, $1.old)
        }
        for r in sorted {
            out += "  - scope: \(quoted(r.scope.rawValue))\n"
            out += "    old: \(quoted(r.old))\n"
            out += "    replacement: \(r.replacement.map(quoted) ?? "null")\n"
            if let d = r.deprecatedIn { out += "    deprecated_in: \(quoted(d.description))\n" }
            out += "    last_release: \(quoted(r.lastRelease.description))\n"
            if let removed = r.removedIn { out += "    removed_in: \(quoted(removed.description))\n" }
            out += "    note: \(quoted(r.note))\n"
            out += "    evidence: [" + r.evidence.map(quoted).joined(separator: ", ") + "]\n"
        }
        return out
    }

    package static func fingerprints(_ entries: [ScriptFingerprintEntry], header: [String]) -> String {
        var out = comment(header)
        out += "fingerprints:\n"
        let sorted = entries.sorted {
            ($0.file, $0.form.rawValue, $0.render ?? "", $0.releases.first ?? ModuleVersion(0, 0, 0))
                < ($1.file, $1.form.rawValue, $1.render ?? "", $1.releases.first ?? ModuleVersion(0, 0, 0))
        }
        for e in sorted {
            out += "  - sha256: \(quoted(e.sha256))\n"
            out += "    file: \(quoted(e.file))\n"
            out += "    form: \(quoted(e.form.rawValue))\n"
            if let r = e.render { out += "    render: \(quoted(r))\n" }
            out += "    os: \(quoted(e.os))\n"
            out += "    role: \(quoted(e.role.rawValue))\n"
            out += "    contract: \(quoted(e.contract?.rawValue ?? "none"))\n"
            out += "    releases: \(versionList(e.releases))\n"
            if !e.alsoIn.isEmpty { out += "    also_in: [" + e.alsoIn.map(quoted).joined(separator: ", ") + "]\n" }
            if !e.defects.isEmpty {
                out += "    defects:\n"
                for d in e.defects { out += "      - \(quoted(d))\n" }
            }
        }
        return out
    }

    package static func validations(_ validations: [InputValidation], header: [String]) -> String {
        var out = comment(header)
        out += "validations:\n"
        for v in validations {
            out += "  - scope: \(quoted(v.scope.rawValue))\n"
            out += "    input: \(quoted(v.input))\n"
            out += "    file: \(quoted(v.file))\n"
            out += "    first: \(quoted(v.first.description))\n"
            out += "    last: \(quoted(v.last.description))\n"
            out += "    condition: \(quoted(v.condition))\n"
            out += "    error_message: \(quoted(v.message))\n"
        }
        return out
    }
}
