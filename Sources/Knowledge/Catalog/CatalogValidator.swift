import AuditCore

/// Checks the whole `rules/` tree and returns every problem at once, sorted by file and position:
/// file layout, each entry's schema (missing and unknown keys, id format, severities, tags,
/// examples and their markers), ids and aliases unique across the catalogue, and every release
/// a rule mentions (`relies_on`, `facts`, example `target`) being a known release.
public enum CatalogValidator {
    /// Validates `files` (paths relative to `rules/` → text).
    ///
    /// - Parameter releases: the releases to check versions against. When nil, they are read from
    ///   `knowledge/releases.yaml` in `files`, and the knowledge data files are validated too.
    public static func validate(files: [String: String], releases: [Release]? = nil) -> [CatalogProblem] {
        var problems: [CatalogProblem] = []
        var known = releases ?? []
        if releases == nil {
            let (data, dataProblems) = KnowledgeFiles.decode(files: files)
            problems += dataProblems
            known = data.releases
            problems += checkData(data)
        }

        problems += checkLayout(files.keys)
        let (rules, ruleProblems) = RuleCatalogLoader.load(files: files)
        problems += ruleProblems

        // Ids and aliases unique across the catalogue (an alias may never reuse a live id).
        var owner: [String: RuleMetadata] = [:]
        for rule in rules.sorted(by: { $0.sourcePath < $1.sourcePath }) {
            for key in [rule.id] + rule.deprecatedAliases {
                if let other = owner[key] {
                    let what = key == rule.id ? "rule id" : "deprecated alias"
                    problems.append(CatalogProblem(path: "rules/" + rule.sourcePath,
                        "\(what) \(Wording.quoted(key)) is already used by \(Wording.quoted(other.id)) in \(Wording.quoted("rules/" + other.sourcePath)); ids are never reused, pick the next free number"))
                } else {
                    owner[key] = rule
                }
            }
        }

        // One id prefix per domain folder, one folder per prefix.
        func prefix(_ id: String) -> String { String(id.prefix { $0 != "-" }) }
        let byFolder = Dictionary(grouping: rules, by: \.domain)
        let byPrefix = Dictionary(grouping: rules, by: { prefix($0.id) })
        for (folder, members) in byFolder {
            let prefixes = Set(members.map { prefix($0.id) })
            guard prefixes.count > 1 else { continue }
            for rule in members {
                problems.append(CatalogProblem(path: "rules/" + rule.sourcePath,
                    "folder `rules/\(folder)/` mixes id prefixes \(Wording.quotedList(prefixes, conjunction: "and")); keep one domain prefix per folder"))
            }
        }
        for (p, members) in byPrefix {
            let folders = Set(members.map(\.domain))
            guard folders.count > 1 else { continue }
            for rule in members {
                problems.append(CatalogProblem(path: "rules/" + rule.sourcePath,
                    "id prefix \(Wording.quoted(p)) is used in \(Wording.quotedList(folders.map { "rules/\($0)/" }, conjunction: "and")); a prefix belongs to one domain folder"))
            }
        }

        // Versions must be releases.
        if !known.isEmpty {
            let versions = Set(known.map(\.version))
            let tags = Set(known.map(\.tag))
            let names = known.map(\.version.description)
            func unknown(_ v: ModuleVersion) -> String {
                "\(Wording.quoted(v.description)) is not a release of the module (\(known.first!.version)…\(known.last!.version))\(Quote.didYouMean(v.description, among: names))"
            }
            for rule in rules {
                let path = "rules/" + rule.sourcePath
                for v in rule.reliesOn where !versions.contains(v) {
                    problems.append(CatalogProblem(path: path, "`relies_on`: " + unknown(v)))
                }
                for f in rule.facts where !tags.contains(f.tag) {
                    problems.append(CatalogProblem(path: path, "fact \(Wording.quoted(f.description)): tag \(Wording.quoted(f.tag)) is not a release tag\(Quote.didYouMean(f.tag, among: tags))"))
                }
                for e in rule.examples {
                    if let t = e.target, !versions.contains(t) {
                        problems.append(CatalogProblem(path: path, "example \(Wording.quoted(e.name)) `target`: " + unknown(t)))
                    }
                }
            }
        }
        return problems.sorted()
    }

    /// Files that do not belong in `rules/`.
    static func checkLayout(_ paths: some Collection<String>) -> [CatalogProblem] {
        var problems: [CatalogProblem] = []
        let dataFiles = [KnowledgeFiles.releasesPath, KnowledgeFiles.inputsPath, KnowledgeFiles.renamesPath, KnowledgeFiles.fingerprintsPath, KnowledgeFiles.iamRequirementsPath,
                         KnowledgeFiles.lambdaContractsPath, KnowledgeFiles.validationsPath,
                         KnowledgeFiles.runnerVersionsPath, KnowledgeFiles.providerRequirementsPath,
                         KnowledgeFiles.lambdaPackagesPath]
        for path in paths.sorted() {
            if path == "README.md" || dataFiles.contains(path) || RuleCatalogLoader.isRuleFile(path) { continue }
            let parts = path.split(separator: "/")
            let message: String
            if path.hasSuffix(".yml") {
                message = "rule files end in `.yaml`; rename to \(Wording.quoted(String(path.dropLast(4)) + ".yaml"))"
            } else if parts.first == Substring(RuleCatalogLoader.knowledgeFolder) {
                message = "unexpected file in `rules/knowledge/` (it holds only \(Wording.quotedList(dataFiles.map { Paths.fileName(of: $0) })))"
            } else if parts.count != 2, path.hasSuffix(".yaml") {
                message = "rule entries live exactly one folder deep: `rules/<domain>/<RULE-ID>.yaml`"
            } else {
                message = "unexpected file in `rules/`; it holds rule entries `<domain>/<RULE-ID>.yaml`, `knowledge/` data and `README.md`"
            }
            problems.append(CatalogProblem(path: "rules/" + path, message))
        }
        return problems
    }

    /// Consistency of the knowledge data.
    static func checkData(_ data: KnowledgeFiles.Decoded) -> [CatalogProblem] {
        var problems: [CatalogProblem] = []
        let releases = data.releases
        guard let newest = releases.last?.version else { return problems }
        var seenCommits: [String: Release] = [:]
        for r in releases {
            if r.tag != "v" + r.version.description {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.releasesPath, "release \(r.version) has tag \(Wording.quoted(r.tag)); expected `v\(r.version)`"))
            }
            if r.commit.count != 40 || !r.commit.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.releasesPath, "release \(r.version): commit \(Wording.quoted(r.commit)) is not a full 40-hex SHA"))
            }
            if let other = seenCommits[r.commit] {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.releasesPath, "releases \(other.version) and \(r.version) share commit \(r.commit)"))
            }
            seenCommits[r.commit] = r
        }
        let versions = Set(releases.map(\.version))
        let lambdaAssets: Set<String> = ["runners", "webhook", "runner-binaries-syncer", "ami-housekeeper", "termination-watcher"]
        for change in data.lambdaContracts {
            if !versions.contains(change.release) {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.lambdaContractsPath, "contract change \(change.release) is not a release"))
            }
            for name in change.lambdas where !lambdaAssets.contains(name) {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.lambdaContractsPath, "contract change \(change.release): \(Wording.quoted(name)) is not a lambda release asset (\(Wording.quotedList(lambdaAssets)))"))
            }
        }
        for (scope, inputs) in data.inputs {
            for (name, span) in inputs {
                let what = "\(scope).\(name)"
                if !versions.contains(span.first) || !versions.contains(span.last) || span.first > span.last {
                    problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.inputsPath, "\(what): lifespan \(span.first)…\(span.last) is not a range of releases"))
                }
                if span.inLatest != (span.last == newest) {
                    problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.inputsPath, "\(what): `in_latest` disagrees with `last`"))
                }
            }
        }
        for v in data.validations {
            let what = "validation of \(v.scope).\(v.input)"
            if !versions.contains(v.first) || !versions.contains(v.last) || v.first > v.last {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.validationsPath, "\(what): \(v.first)…\(v.last) is not a range of releases"))
            }
            guard let span = data.inputs[v.scope]?[v.input] else {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.validationsPath, "\(what): no such input in inputs.yaml"))
                continue
            }
            if !(span.exists(at: v.first) && span.exists(at: v.last)) {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.validationsPath, "\(what): \(v.first)…\(v.last) lies outside the input's lifespan \(span.first)…\(span.last)"))
            }
            if !v.condition.contains("var.\(v.input)") {
                problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.validationsPath, "\(what): the condition does not refer to `var.\(v.input)`"))
            }
        }
        var seenSha: Set<String> = []
        for f in data.fingerprints where !seenSha.insert(f.sha256).inserted {
            problems.append(CatalogProblem(path: "rules/" + KnowledgeFiles.fingerprintsPath, "fingerprint \(f.sha256) is listed twice"))
        }
        return problems
    }
}
