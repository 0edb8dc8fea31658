import AuditCore
import Foundation

/// The on-disk shape of the four data files in `rules/knowledge/` (written by
/// `ghr-audit-dev extract-knowledge`, read here). Versions are written `MAJOR.MINOR.PATCH`.
package enum KnowledgeFiles {
    package static let releasesPath = "knowledge/releases.yaml"
    package static let inputsPath = "knowledge/inputs.yaml"
    package static let renamesPath = "knowledge/renames.yaml"
    package static let fingerprintsPath = "knowledge/script-fingerprints.yaml"
    /// What each module role needs per release; loaded by the IAM target (`RequiredPermissions`).
    package static let iamRequirementsPath = "knowledge/iam-requirements.yaml"

    package struct ReleasesFile: Sendable {
        package var releases: [ReleaseRow]
    }

    package struct ReleaseRow: Sendable {
        package var version: String
        package var tag: String
        package var commit: String
        package var date: String
    }

    package struct InputsFile: Sendable {
        package var coverage: Coverage
        package var scopes: [String: [String: InputRow]]
    }

    package struct Coverage: Sendable {
        package var first: String
        package var last: String
        package var releases: Int
    }

    package struct InputRow: Sendable {
        package var first: String
        package var last: String
        package var inLatest: Bool
        package var type: String?
        package var `default`: String?
        package var deprecatedIn: String?
        package var removedIn: String?
        package var changes: [ChangeRow]?
        package var typeChanges: [ChangeRow]?
    }

    package struct ChangeRow: Sendable {
        package var release: String
        package var from: String
        package var to: String
    }

    package struct RenamesFile: Sendable {
        package var renames: [RenameRow]
    }

    package struct RenameRow: Sendable {
        package var scope: String
        package var old: String
        package var replacement: String?
        package var deprecatedIn: String?
        package var lastRelease: String
        package var removedIn: String?
        package var note: String
        package var evidence: [String]
    }

    package struct FingerprintsFile: Sendable {
        package var fingerprints: [FingerprintRow]
    }

    package struct FingerprintRow: Sendable {
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
    }

    // MARK: Decoding into the public model

    struct Decoded {
        var releases: [Release] = []
        var inputs: [InputScope: [String: InputLifespan]] = [:]
        var renames: [InputRename] = []
        var fingerprints: [ScriptFingerprintEntry] = []
        var lambdaContracts: [LambdaContractChange] = []
        var validations: [InputValidation] = []
        var runnerRequirements: [RunnerRequirement] = []
        var providerRequirements: [ModuleProviderRequirement] = []
        var lambdaPackages: [LambdaPackageRun] = []
    }

    /// The newest version `releases.yaml` lists, read without a YAML parser: every line is empty,
    /// a comment, `releases:` or one release written `- {version: "X.Y.Z", ...}` (the shape
    /// `extract-knowledge` writes). Nil when a line is anything else or no release is listed:
    /// then only a YAML decode can tell.
    package static func newestListedVersion(in text: String) -> ModuleVersion? {
        // Bytes, not Foundation's trimming: this runs on every `ghr-audit version`.
        let prefix = Array("- {version: \"".utf8), header = Array("releases:".utf8)
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        var newest: ModuleVersion?
        for raw in text.utf8.split(separator: 0x0A) {
            var line = raw[...]
            while let first = line.first, isBlank(first) { line = line.dropFirst() }
            while let last = line.last, isBlank(last) { line = line.dropLast() }
            if line.isEmpty || line.first == 0x23 || line.elementsEqual(header) { continue }
            guard line.starts(with: prefix), line.last == 0x7D else { return nil }
            let rest = line.dropFirst(prefix.count)
            guard let quote = rest.firstIndex(of: 0x22),
                  let version = RuleCatalogLoader.parseRelease(String(decoding: rest[..<quote], as: UTF8.self)) else { return nil }
            newest = max(newest ?? version, version)
        }
        return newest
    }

    /// A data file composed and read into its rows, or why it could not be.
    package enum ReadFile: Sendable {
        case rows(any Sendable)
        case problem(CatalogProblem)
        case missing
    }

    /// Every data file with the reader of its rows, largest first (`inputs.yaml` is two thirds of
    /// their bytes): each can be read on a core of its own (`read`), before `decode` assembles them.
    static let readers: [(path: String, read: @Sendable (NodeReader) throws -> any Sendable)] = [
        (inputsPath, { try InputsFile(node: $0) }),
        (fingerprintsPath, { try FingerprintsFile(node: $0) }),
        (lambdaPackagesPath, { try LambdaPackagesFile(node: $0) }),
        (validationsPath, { try ValidationsFile(node: $0) }),
        (releasesPath, { try ReleasesFile(node: $0) }),
        (renamesPath, { try RenamesFile(node: $0) }),
        (providerRequirementsPath, { try ProviderRequirementsFile(node: $0) }),
        (lambdaContractsPath, { try LambdaContractsFile(node: $0) }),
        (runnerVersionsPath, { try RunnerVersionsFile(node: $0) }),
    ]

    /// `path` of `files` read into its rows by `reader`: from its packed form when `packed` has
    /// one (the embedded knowledge), else composed from the YAML.
    static func read(_ path: String, files: [String: String], packed: [String: String] = [:],
                     with reader: (NodeReader) throws -> any Sendable) -> ReadFile {
        guard let text = files[path] else { return .missing }
        do {
            return .rows(try reader(NodeReader(yaml: text, packed: packed[path])))
        } catch let failure as NodeReader.Failure {
            return .problem(CatalogProblem(path: "rules/" + path, line: failure.line, column: failure.column, "cannot decode: \(failure.message)"))
        } catch {
            return .problem(CatalogProblem(path: "rules/" + path, "cannot decode: \(error)"))
        }
    }

    /// Decodes the data files, taking those already read from `read` (by path) and reading the
    /// others here; every problem is collected (a missing file is one).
    ///
    /// Reads the composed trees (`DataNode`) directly rather than through `YAMLDecoder`: it is
    /// several times faster and keeps a quoted `"null"` (a default written `null`) a string.
    static func decode(files: [String: String], read alreadyRead: [String: ReadFile] = [:]) -> (Decoded, [CatalogProblem]) {
        var out = Decoded()
        var problems: [CatalogProblem] = []

        func load<T: Sendable>(_ build: @escaping (NodeReader) throws -> T, _ path: String) -> T? {
            switch alreadyRead[path] ?? read(path, files: files, with: { try build($0) }) {
            case .rows(let rows):
                if let rows = rows as? T { return rows }
                // `readers` pairs this path with another type: a defect, said rather than skipped.
                problems.append(CatalogProblem(path: "rules/" + path, "read as \(type(of: rows)), decoded as \(T.self)"))
            case .problem(let problem):
                problems.append(problem)
            case .missing:
                problems.append(CatalogProblem(path: "rules/" + path, "knowledge file is missing; run `swift run ghr-audit-dev extract-knowledge`"))
            }
            return nil
        }
        var versionCache: [String: ModuleVersion] = [:]  // the same few hundred strings recur thousands of times
        func version(_ s: String, _ path: String, _ what: String) -> ModuleVersion? {
            if let v = versionCache[s] { return v }
            guard let v = RuleCatalogLoader.parseRelease(s) else {
                problems.append(CatalogProblem(path: "rules/" + path, "\(what): \(Wording.quoted(s)) is not a release number"))
                return nil
            }
            versionCache[s] = v
            return v
        }

        if let file = load(ReleasesFile.init(node:), releasesPath) {
            for row in file.releases {
                guard let v = version(row.version, releasesPath, "release") else { continue }
                out.releases.append(Release(version: v, tag: row.tag, commit: row.commit.lowercased(), date: row.date))
            }
            out.releases.sort()
        }

        if let file = load(InputsFile.init(node:), inputsPath) {
            for (scopeName, rows) in file.scopes {
                guard let scope = InputScope(rawValue: scopeName) else {
                    problems.append(CatalogProblem(path: "rules/" + inputsPath, "unknown scope \(Wording.quoted(scopeName))"))
                    continue
                }
                var byName: [String: InputLifespan] = [:]
                for (name, row) in rows {
                    let what = "\(scopeName).\(name)"
                    guard let first = version(row.first, inputsPath, what), let last = version(row.last, inputsPath, what) else { continue }
                    func changes(_ rows: [ChangeRow]?) -> [InputChange] {
                        (rows ?? []).compactMap { c in version(c.release, inputsPath, what).map { InputChange(release: $0, from: c.from, to: c.to) } }
                    }
                    byName[name] = InputLifespan(
                        scope: scope, name: name, first: first, last: last, inLatest: row.inLatest, type: row.type,
                        defaultValue: row.default, changes: changes(row.changes), typeChanges: changes(row.typeChanges),
                        deprecatedIn: row.deprecatedIn.flatMap { version($0, inputsPath, what) },
                        removedIn: row.removedIn.flatMap { version($0, inputsPath, what) })
                }
                out.inputs[scope] = byName
            }
        }

        if let file = load(RenamesFile.init(node:), renamesPath) {
            for row in file.renames {
                let what = "\(row.scope).\(row.old)"
                guard let scope = InputScope(rawValue: row.scope) else {
                    problems.append(CatalogProblem(path: "rules/" + renamesPath, "unknown scope \(Wording.quoted(row.scope)) of \(Wording.quoted(row.old))"))
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

        if let file = load(FingerprintsFile.init(node:), fingerprintsPath) {
            for row in file.fingerprints {
                let contract = StartContract(rawValue: row.contract)
                guard let form = ScriptForm(rawValue: row.form), let role = ScriptRole(rawValue: row.role),
                      contract != nil || row.contract == "none" else {
                    problems.append(CatalogProblem(path: "rules/" + fingerprintsPath, "entry \(row.sha256.prefix(12)) has an unknown form, role or contract"))
                    continue
                }
                let releases = row.releases.compactMap { version($0, fingerprintsPath, "fingerprint \(row.sha256.prefix(12))") }
                out.fingerprints.append(ScriptFingerprintEntry(
                    sha256: row.sha256, file: row.file, form: form, render: row.render, os: row.os, role: role,
                    contract: contract, releases: releases, defects: row.defects ?? [], alsoIn: row.alsoIn ?? []))
            }
        }
        if let file = load(LambdaContractsFile.init(node:), lambdaContractsPath) {
            for row in file.changes {
                guard let v = version(row.release, lambdaContractsPath, "contract change") else { continue }
                if row.evidence.isEmpty {
                    problems.append(CatalogProblem(path: "rules/" + lambdaContractsPath, "contract change \(row.release) cites no evidence"))
                }
                out.lambdaContracts.append(LambdaContractChange(release: v, lambdas: row.lambdas, jit: row.jit, summary: row.summary, evidence: row.evidence))
            }
            out.lambdaContracts.sort { $0.release < $1.release }
        }
        if let file = load(ValidationsFile.init(node:), validationsPath) {
            for row in file.validations {
                let what = "validation of \(row.scope).\(row.input)"
                guard let scope = InputScope(rawValue: row.scope), scope.isVariableScope else {
                    problems.append(CatalogProblem(path: "rules/" + validationsPath, "\(what): \(Wording.quoted(row.scope)) is not a variable scope"))
                    continue
                }
                guard let first = version(row.first, validationsPath, what), let last = version(row.last, validationsPath, what) else { continue }
                out.validations.append(InputValidation(scope: scope, input: row.input, condition: row.condition, message: row.errorMessage,
                                                       file: row.file, first: first, last: last))
            }
        }
        if let file = load(RunnerVersionsFile.init(node:), runnerVersionsPath) {
            for row in file.features {
                // actions/runner versions, not module releases: parsed as plain versions.
                guard let v = ModuleVersion(row.minimum) else {
                    problems.append(CatalogProblem(path: "rules/" + runnerVersionsPath, "runner feature \(Wording.quoted(row.name)): \(Wording.quoted(row.minimum)) is not a version"))
                    continue
                }
                if row.evidence.isEmpty {
                    problems.append(CatalogProblem(path: "rules/" + runnerVersionsPath, "runner feature \(Wording.quoted(row.name)) cites no evidence"))
                }
                out.runnerRequirements.append(RunnerRequirement(name: row.name, minimum: v, summary: row.summary, evidence: row.evidence))
            }
        }
        if let file = load(ProviderRequirementsFile.init(node:), providerRequirementsPath) {
            for row in file.requirements {
                let what = "aws provider requirement of `\(row.module.isEmpty ? "." : row.module)`"
                guard let first = version(row.first, providerRequirementsPath, what), let last = version(row.last, providerRequirementsPath, what) else { continue }
                guard VersionConstraint(row.constraint) != nil else {
                    problems.append(CatalogProblem(path: "rules/" + providerRequirementsPath, "\(what): \(Wording.quoted(row.constraint)) is not a version constraint"))
                    continue
                }
                out.providerRequirements.append(ModuleProviderRequirement(module: row.module, first: first, last: last, constraint: row.constraint))
            }
        }
        if let file = load(LambdaPackagesFile.init(node:), lambdaPackagesPath) {
            for row in file.packages {
                let what = "lambda package `\(row.asset)`"
                guard let first = version(row.first, lambdaPackagesPath, what), let last = version(row.last, lambdaPackagesPath, what) else { continue }
                var sum: LambdaPackageRun.FileSum?
                if let size = row.packageJSONSize, let hex = row.packageJSONCRC32 {
                    guard size >= 0, hex.count == 8, let crc = UInt32(hex, radix: 16) else {
                        problems.append(CatalogProblem(path: "rules/" + lambdaPackagesPath, "\(what) \(row.first): \(Wording.quoted(hex)) is not a CRC-32"))
                        continue
                    }
                    sum = LambdaPackageRun.FileSum(size: UInt64(size), crc32: crc)
                }
                out.lambdaPackages.append(LambdaPackageRun(asset: row.asset, source: row.source, first: first, last: last,
                                                           entries: row.entries, packageJSON: sum))
            }
            out.lambdaPackages.sort { ($0.first, $0.asset) < ($1.first, $1.asset) }
        }
        return (out, problems)
    }
}

/// Strict typed access to a composed YAML document; throws at the first mismatch with its place.
/// The knowledge files and the IAM requirements table (`RequiredPermissions`) are read with it.
package struct NodeReader {
    package struct Failure: Error, CustomStringConvertible {
        package var message: String
        package var line: Int?
        package var column: Int?

        package init(message: String, line: Int? = nil, column: Int? = nil) {
            self.message = message
            self.line = line
            self.column = column
        }

        /// `line L, column C: message` (the message alone when it has no place).
        package var description: String { line.map { "line \($0), column \(column ?? 0): \(message)" } ?? message }
    }

    package let node: DataNode

    package init(_ node: DataNode) { self.node = node }

    /// The document in `text`: its packed form when there is one (see `DataNode.unpack`), else
    /// the YAML composed.
    package init(yaml text: String, packed: String? = nil) throws(Failure) {
        if let packed {
            node = try DataNode.unpack(packed)
            return
        }
        let composed: DataNode?
        do { composed = try DataNode.compose(yaml: text) } catch { throw Failure(message: "\(error)") }
        guard let composed else { throw Failure(message: "the file is empty") }
        node = composed
    }

    package func fail(_ message: String) -> Failure {
        node.line > 0 ? Failure(message: message, line: node.line, column: node.column) : Failure(message: message)
    }

    package var isNull: Bool { node.isNull }

    package func string() throws -> String {
        guard let s = node.scalar, !node.isNull else { throw fail("expected a string") }
        return s
    }

    package func optionalString() throws -> String? { isNull ? nil : try string() }

    package func bool() throws -> Bool {
        switch try string() {
        case "true": return true
        case "false": return false
        case let other: throw fail("expected true or false, not \(other)")
        }
    }

    package func int() throws -> Int {
        guard let n = Int(try string()) else { throw fail("expected an integer") }
        return n
    }

    package func list() throws -> [NodeReader] {
        if isNull { return [] }
        guard let items = node.sequence else { throw fail("expected a list") }
        return items.map(NodeReader.init)
    }

    package func entries() throws -> [(String, NodeReader)] {
        guard case let .mapping(items) = node.value else { throw fail("expected a mapping") }
        return try stride(from: 0, to: items.count, by: 2).map { (try NodeReader(items[$0]).string(), NodeReader(items[$0 + 1])) }
    }

    /// The entries of a mapping by key.
    package func fields() throws -> Fields {
        guard case let .mapping(items) = node.value else { throw fail("expected a mapping") }
        var values: [String: NodeReader] = [:]
        values.reserveCapacity(items.count / 2)
        for k in stride(from: 0, to: items.count, by: 2) {
            guard case let .scalar(key, _) = items[k].value else { throw NodeReader(items[k]).fail("expected a string key") }
            values[key] = NodeReader(items[k + 1])
        }
        return Fields(owner: self, values: values)
    }

    package struct Fields {
        let owner: NodeReader
        let values: [String: NodeReader]

        package func optional(_ key: String) -> NodeReader? { values[key] }

        package func required(_ key: String) throws -> NodeReader {
            guard let v = values[key] else { throw owner.fail("missing key `\(key)`") }
            return v
        }
    }
}

extension KnowledgeFiles.ReleasesFile {
    init(node r: NodeReader) throws {
        releases = try r.fields().required("releases").list().map {
            let f = try $0.fields()
            return KnowledgeFiles.ReleaseRow(version: try f.required("version").string(), tag: try f.required("tag").string(),
                                             commit: try f.required("commit").string(), date: try f.required("date").string())
        }
    }
}

extension KnowledgeFiles.InputsFile {
    init(node r: NodeReader) throws {
        let top = try r.fields()
        let c = try top.required("coverage").fields()
        coverage = KnowledgeFiles.Coverage(first: try c.required("first").string(), last: try c.required("last").string(),
                                           releases: try c.required("releases").int())
        var scopes: [String: [String: KnowledgeFiles.InputRow]] = [:]
        for (scope, inputs) in try top.required("scopes").entries() {
            var rows: [String: KnowledgeFiles.InputRow] = [:]
            for (name, node) in try inputs.entries() {
                let row = try node.fields()
                rows[name] = KnowledgeFiles.InputRow(
                    first: try row.required("first").string(), last: try row.required("last").string(),
                    inLatest: try row.required("in_latest").bool(), type: try row.optional("type")?.optionalString(),
                    default: try row.optional("default")?.optionalString(),
                    deprecatedIn: try row.optional("deprecated_in")?.optionalString(),
                    removedIn: try row.optional("removed_in")?.optionalString(),
                    changes: try row.optional("changes")?.list().map(KnowledgeFiles.ChangeRow.init(node:)),
                    typeChanges: try row.optional("type_changes")?.list().map(KnowledgeFiles.ChangeRow.init(node:)))
            }
            scopes[scope] = rows
        }
        self.scopes = scopes
    }
}

extension KnowledgeFiles.ChangeRow {
    init(node: NodeReader) throws {
        let c = try node.fields()
        self.init(release: try c.required("release").string(), from: try c.required("from").string(), to: try c.required("to").string())
    }
}

extension KnowledgeFiles.RenamesFile {
    init(node r: NodeReader) throws {
        renames = try r.fields().required("renames").list().map { node in
            let f = try node.fields()
            return KnowledgeFiles.RenameRow(
                scope: try f.required("scope").string(), old: try f.required("old").string(),
                replacement: try f.optional("replacement")?.optionalString(),
                deprecatedIn: try f.optional("deprecated_in")?.optionalString(),
                lastRelease: try f.required("last_release").string(), removedIn: try f.optional("removed_in")?.optionalString(),
                note: try f.required("note").string(), evidence: try f.required("evidence").list().map { try $0.string() })
        }
    }
}

extension KnowledgeFiles.FingerprintsFile {
    init(node r: NodeReader) throws {
        fingerprints = try r.fields().required("fingerprints").list().map { node in
            let f = try node.fields()
            return KnowledgeFiles.FingerprintRow(
                sha256: try f.required("sha256").string(), file: try f.required("file").string(),
                form: try f.required("form").string(), render: try f.optional("render")?.optionalString(),
                os: try f.required("os").string(), role: try f.required("role").string(),
                contract: try f.required("contract").string(), releases: try f.required("releases").list().map { try $0.string() },
                defects: try f.optional("defects")?.list().map { try $0.string() },
                alsoIn: try f.optional("also_in")?.list().map { try $0.string() })
        }
    }
}
