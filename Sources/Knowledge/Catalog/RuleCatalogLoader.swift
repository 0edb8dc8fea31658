import AuditCore
import Foundation

/// Reads rule entries (`rules/<domain>/<RULE-ID>.yaml`) into `RuleMetadata`, collecting every
/// problem with its position instead of stopping at the first one.
package enum RuleCatalogLoader {
    package static let ruleKeys = [
        "id", "title", "severity", "tags", "summary", "relies_on", "facts", "description", "rationale",
        "remediation", "suppress_when", "deprecated_aliases", "references", "examples",
    ]
    package static let requiredRuleKeys = ["id", "title", "severity", "tags", "summary", "description", "rationale", "remediation", "examples"]
    package static let exampleKeys = ["name", "kind", "target", "doc", "runnable", "files", "expect"]
    package static let expectKeys = ["marker", "message", "end", "severity"]

    /// The folder under `rules/` that holds data, not rules.
    package static let knowledgeFolder = "knowledge"

    /// Whether a path relative to `rules/` names a rule entry (`<domain>/<file>.yaml`, not data).
    package static func isRuleFile(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        return parts.count == 2 && parts[0] != knowledgeFolder && path.hasSuffix(".yaml")
    }

    package static func isValidId(_ id: String) -> Bool {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let prefix = parts[0].unicodeScalars, number = parts[1].unicodeScalars
        return (2...5).contains(prefix.count) && prefix.allSatisfy { ("A"..."Z").contains($0) }
            && number.count == 3 && number.allSatisfy { ("0"..."9").contains($0) }
    }

    /// Parses a release number written `MAJOR.MINOR.PATCH` (no `v`, no pre-release).
    package static func parseRelease(_ text: String) -> ModuleVersion? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        return ModuleVersion(text)
    }

    /// Every rule file in `files` (keys relative to `rules/`), sorted by id.
    package static func load(files: [String: String]) -> (rules: [RuleMetadata], problems: [CatalogProblem]) {
        collect(files.keys.sorted().filter(isRuleFile).map { parseRule(path: $0, text: files[$0]!) })
    }

    /// The rules of parsed rule files (in path order) sorted by id, and their problems in path order.
    package static func collect(_ parsed: [(RuleMetadata?, [CatalogProblem])]) -> (rules: [RuleMetadata], problems: [CatalogProblem]) {
        var rules: [RuleMetadata] = []
        var problems: [CatalogProblem] = []
        for (rule, p) in parsed {
            problems += p
            if let rule { rules.append(rule) }
        }
        rules.sort { $0.id < $1.id }
        return (rules, problems)
    }

    /// One rule entry. Returns a rule whenever the file is a mapping with a well-formed id (other
    /// fields fall back to empty values and are reported), nil otherwise.
    package static func parseRule(path: String, text: String, packed: String? = nil) -> (RuleMetadata?, [CatalogProblem]) {
        var r = YAMLReading(path: "rules/" + path)
        guard let root = r.compose(text, packed: packed), let map = r.mapping(root, what: "a rule entry", allowed: ruleKeys) else {
            return (nil, r.problems)
        }
        for key in requiredRuleKeys where map[key] == nil {
            r.report(root, "missing required key \(Wording.quoted(key))")
        }

        // id
        var id: String?
        if let node = map["id"]?.value, let s = r.string(node, what: "`id`") {
            if !isValidId(s) {
                r.report(node, "rule id \(Wording.quoted(s)) does not match `^[A-Z]{2,5}-[0-9]{3}$` (a 2–5 letter domain prefix, a dash, three digits, e.g. `JIT-101`)")
            } else {
                id = s
                let expected = s + ".yaml"
                if Paths.fileName(of: path) != expected {
                    r.report(node, "rule \(Wording.quoted(s)) is in \(Wording.quoted(Paths.fileName(of: path))); name the file \(Wording.quoted(expected))")
                }
            }
        }

        func prose(_ key: String, singleLine: Bool) -> String {
            guard let node = map[key]?.value, let s = r.string(node, what: Wording.quoted(key)) else { return "" }
            let trimmed = s.trimmingWhitespace
            if trimmed.isEmpty {
                r.report(node, "\(Wording.quoted(key)) is empty")
            } else if singleLine {
                if trimmed.contains("\n") { r.report(node, "\(Wording.quoted(key)) must be one line") }
                if trimmed.hasSuffix(".") { r.report(node, "\(Wording.quoted(key)) must not end with a period") }
            }
            return singleLine ? trimmed : s
        }
        let title = prose("title", singleLine: true)
        let summary = prose("summary", singleLine: true)
        let description = prose("description", singleLine: false)
        let rationale = prose("rationale", singleLine: false)
        let remediation = prose("remediation", singleLine: false)
        var suppressWhen: String?
        if let node = map["suppress_when"]?.value, !node.isNull {
            suppressWhen = r.string(node, what: "`suppress_when`")
            if suppressWhen?.trimmingWhitespace.isEmpty == true {
                r.report(node, "`suppress_when` is empty; remove the key when suppressing is never fine")
                suppressWhen = nil
            }
        }

        // severity
        var severity = Severity.warning
        if let node = map["severity"]?.value, let s = r.string(node, what: "`severity`") {
            if let sev = Severity(rawValue: s) {
                severity = sev
            } else {
                let names = Severity.allCases.map(\.rawValue)
                r.report(node, "unknown severity \(Wording.quoted(s))\(Quote.didYouMean(s.lowercased(), among: names)); expected \(Wording.quotedList(names))")
            }
        }

        // tags
        var tags: [RuleTag] = []
        if let entry = map["tags"], let list = r.strings(entry.value, what: "`tags`") {
            let names = RuleTag.allCases.map(\.rawValue)
            for (s, node) in list {
                guard let tag = RuleTag(rawValue: s) else {
                    r.report(node, "unknown tag \(Wording.quoted(s))\(Quote.didYouMean(s, among: names)); expected one of \(Wording.quotedList(names))")
                    continue
                }
                if tags.contains(tag) { r.report(node, "tag \(Wording.quoted(s)) is listed twice") } else { tags.append(tag) }
            }
            if list.isEmpty { r.report(entry.value, "`tags` is empty; give at least one of \(Wording.quotedList(names))") }
        }

        // relies_on
        var reliesOn: [ModuleVersion] = []
        if let entry = map["relies_on"], let list = r.strings(entry.value, what: "`relies_on`") {
            for (s, node) in list {
                if let v = parseRelease(s) {
                    if reliesOn.contains(v) { r.report(node, "release \(Wording.quoted(s)) is listed twice in `relies_on`") } else { reliesOn.append(v) }
                } else if s.hasPrefix("v"), parseRelease(String(s.dropFirst())) != nil {
                    r.report(node, "write releases without the `v`: \(Wording.quoted(String(s.dropFirst()))) instead of \(Wording.quoted(s))")
                } else {
                    r.report(node, "\(Wording.quoted(s)) in `relies_on` is not a release number `MAJOR.MINOR.PATCH`; quote it so YAML keeps it a string, e.g. `\"4.0.1\"`")
                }
            }
        }

        // facts
        var facts: [FactCitation] = []
        if let entry = map["facts"], let list = r.strings(entry.value, what: "`facts`") {
            for (s, node) in list {
                if let f = FactCitation(s) { facts.append(f) } else {
                    r.report(node, "fact \(Wording.quoted(s)) is not a citation `TAG:path[:line]`, e.g. `v4.0.1:modules/runners/templates/start-runner.sh:112`")
                }
            }
        }

        // deprecated_aliases
        var aliases: [String] = []
        if let entry = map["deprecated_aliases"], let list = r.strings(entry.value, what: "`deprecated_aliases`") {
            for (s, node) in list {
                if !isValidId(s) {
                    r.report(node, "deprecated alias \(Wording.quoted(s)) is not a rule id (`^[A-Z]{2,5}-[0-9]{3}$`)")
                } else if s == id {
                    r.report(node, "deprecated alias \(Wording.quoted(s)) is the rule's own id")
                } else if aliases.contains(s) {
                    r.report(node, "deprecated alias \(Wording.quoted(s)) is listed twice")
                } else {
                    aliases.append(s)
                }
            }
        }

        var references: [String] = []
        if let entry = map["references"], let list = r.strings(entry.value, what: "`references`") {
            references = list.map(\.0)
        }

        // examples
        var examples: [RuleExample] = []
        if let entry = map["examples"] {
            if let seq = entry.value.sequence {
                if seq.isEmpty { r.report(entry.value, "`examples` is empty; give at least one triggering and one non-triggering example") }
                var names: Set<String> = []
                for item in seq {
                    guard let example = parseExample(item, reader: &r) else { continue }
                    if !names.insert(example.name).inserted {
                        r.report(item, "example name \(Wording.quoted(example.name)) is used twice in this rule")
                    }
                    examples.append(example)
                }
                if !examples.isEmpty, !examples.allSatisfy({ !$0.runnable }) {
                    if !examples.contains(where: { $0.kind == .triggering }) {
                        r.report(entry.value, "no triggering example; add one with `kind: triggering` (or mark every example `runnable: false`)")
                    }
                    if !examples.contains(where: { $0.kind == .nonTriggering }) {
                        r.report(entry.value, "no non-triggering example; add one with `kind: non_triggering` (or mark every example `runnable: false`)")
                    }
                }
            } else {
                r.report(entry.value, "`examples` must be a list of examples")
            }
        }

        guard let id else { return (nil, r.problems) }
        let rule = RuleMetadata(
            id: id, title: title, severity: severity, tags: tags, summary: summary, reliesOn: reliesOn, facts: facts,
            description: description, rationale: rationale, remediation: remediation, suppressWhen: suppressWhen,
            deprecatedAliases: aliases, references: references, examples: examples, sourcePath: path)
        return (rule, r.problems)
    }

    private static func parseExample(_ node: DataNode, reader r: inout YAMLReading) -> RuleExample? {
        guard let map = r.mapping(node, what: "an example", allowed: exampleKeys) else { return nil }
        for key in ["name", "kind", "files"] where map[key] == nil {
            r.report(node, "example is missing required key \(Wording.quoted(key))")
        }
        var name = ""
        if let n = map["name"]?.value, let s = r.string(n, what: "example `name`") {
            name = s
            let ok = !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            if !ok { r.report(n, "example name \(Wording.quoted(s)) must be lower-case words joined by `-`, e.g. `token-script-on-ephemeral-fleet`") }
        }
        let label = name.isEmpty ? "example" : "example \(Wording.quoted(name))"

        var kind = RuleExample.Kind.triggering
        var kindKnown = false
        if let n = map["kind"]?.value, let s = r.string(n, what: "`kind` of \(label)") {
            if let k = RuleExample.Kind(rawValue: s) {
                kind = k
                kindKnown = true
            } else {
                let names = RuleExample.Kind.allCases.map(\.rawValue)
                let hint = s == "non-triggering" || s == "nontriggering" ? "; did you mean `non_triggering`?" : Quote.didYouMean(s, among: names)
                r.report(n, "unknown example kind \(Wording.quoted(s))\(hint); expected \(Wording.quotedList(names))")
            }
        }

        var target: ModuleVersion?
        var targetKeyword: String?
        if let n = map["target"]?.value, !n.isNull, let s = r.string(n, what: "`target` of \(label)") {
            if let v = parseRelease(s) {
                target = v
            } else if RuleExample.targetKeywords.contains(s) {
                targetKeyword = s
            } else {
                r.report(n, "`target` \(Wording.quoted(s)) of \(label) is not a release number `MAJOR.MINOR.PATCH`, `pinned` or `latest`; quote a release, e.g. `\"4.1.0\"`")
            }
        }
        var doc = true
        if let n = map["doc"]?.value, let b = r.bool(n, what: "`doc` of \(label)") { doc = b }
        var runnable = true
        if let n = map["runnable"]?.value, let b = r.bool(n, what: "`runnable` of \(label)") { runnable = b }

        // files
        var files: [ExampleFile] = []
        var markerSeen: [String: String] = [:]  // marker -> file path
        if let entry = map["files"] {
            if let m = entry.value.pairs {
                if m.isEmpty { r.report(entry.value, "\(label) has no files; give at least one `path: contents`") }
                var paths: Set<String> = []
                for (k, v) in m {
                    guard let path = r.string(k, what: "a file path of \(label)") else { continue }
                    if !paths.insert(path).inserted {
                        r.report(k, "file \(Wording.quoted(path)) is listed twice in \(label)")
                        continue
                    }
                    if path.isEmpty || path.hasPrefix("/") || path.contains("\\") || Paths.join("", path) != path {
                        r.report(k, "file path \(Wording.quoted(path)) of \(label) must be relative, normalised and `/`-separated, e.g. `modules/runners/main.tf`")
                    }
                    guard let s = v.scalar else {
                        r.report(v, "contents of \(Wording.quoted(path)) in \(label) must be a string; use a block scalar `|`")
                        continue
                    }
                    let contents = v.isNull ? "" : s
                    for occurrence in ExampleMarkers.strip(contents).markers {
                        if let other = markerSeen[occurrence.marker] {
                            r.report(k, "marker \(occurrence.marker) appears more than once in \(label) (again in \(Wording.quoted(path)), line \(occurrence.line); first in \(Wording.quoted(other))); each marker marks one finding")
                        } else {
                            markerSeen[occurrence.marker] = path
                        }
                    }
                    files.append(ExampleFile(path: path, contents: contents))
                }
            } else {
                r.report(entry.value, "`files` of \(label) must be a mapping `path: contents`")
            }
        }

        // expect
        var expect: [ExampleExpectation] = []
        if let entry = map["expect"], !entry.value.isNull {
            if let seq = entry.value.sequence {
                var seen: Set<String> = []
                for item in seq {
                    guard let em = r.mapping(item, what: "an expectation of \(label)", allowed: expectKeys) else { continue }
                    var marker: String?
                    if let n = em["marker"]?.value, let s = r.string(n, what: "`marker`") {
                        if let c = ExampleMarkers.canonical(s) { marker = c } else {
                            r.report(n, "\(Wording.quoted(s)) is not a marker; use one of the keycap emoji 1️⃣ … 9️⃣ or 🔟")
                        }
                    } else if em["marker"] == nil {
                        r.report(item, "expectation of \(label) is missing `marker`")
                    }
                    var message: String?
                    if let n = em["message"]?.value, let s = r.string(n, what: "`message`") {
                        if s.trimmingCharacters(in: .whitespaces).isEmpty { r.report(n, "expected `message` is empty; give a substring of the finding's message") } else { message = s }
                    } else if em["message"] == nil {
                        r.report(item, "expectation of \(label) is missing `message`")
                    }
                    var end: ExamplePosition?
                    if let n = em["end"]?.value, let s = r.string(n, what: "`end`") {
                        if let p = ExamplePosition(s) { end = p } else {
                            r.report(n, "`end` \(Wording.quoted(s)) is not `LINE:COLUMN` (where the finding's range ends, markers removed)")
                        }
                    }
                    var severity: Severity?
                    if let n = em["severity"]?.value, let s = r.string(n, what: "`severity`") {
                        if let v = Severity(rawValue: s) { severity = v } else {
                            r.report(n, "`severity` \(Wording.quoted(s)) is not note, warning or error")
                        }
                    }
                    guard let marker, let message else { continue }
                    if !seen.insert(marker).inserted {
                        r.report(item, "marker \(marker) has two expectations in \(label)")
                        continue
                    }
                    if markerSeen[marker] == nil {
                        r.report(item, "marker \(marker) is expected but not placed in any file of \(label); put it where the finding starts")
                    }
                    expect.append(ExampleExpectation(marker: marker, message: message, end: end, severity: severity))
                }
            } else {
                r.report(entry.value, "`expect` of \(label) must be a list of `{marker, message}`")
            }
        }

        if kindKnown {
            switch kind {
            case .triggering:
                let expected = Set(expect.map(\.marker))
                for marker in ExampleMarkers.all where markerSeen[marker] != nil && !expected.contains(marker) {
                    r.report(map["files"]?.key ?? node, "marker \(marker) in \(Wording.quoted(markerSeen[marker]!)) of \(label) has no expectation; add `- marker: \(marker)` with a `message` under `expect`")
                }
                if markerSeen.isEmpty, !files.isEmpty {
                    r.report(map["files"]?.key ?? node, "triggering \(label) marks no finding; put a marker (1️⃣) where the expected finding starts and describe it under `expect`")
                }
            case .nonTriggering:
                if !markerSeen.isEmpty {
                    r.report(map["files"]?.key ?? node, "non-triggering \(label) contains markers (\(markerSeen.keys.sorted().joined(separator: " "))); non-triggering examples expect no finding")
                }
                if map["expect"].map({ !$0.value.isNull }) == true {
                    r.report(map["expect"]!.key, "non-triggering \(label) must not have `expect`")
                }
            }
        }
        return RuleExample(name: name, kind: kind, target: target, targetKeyword: targetKeyword, doc: doc, runnable: runnable, files: files, expect: expect)
    }
}
