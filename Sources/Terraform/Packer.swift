import AuditCore
import HCL

/// A file a Packer provisioner puts on the image.
public struct PackerFileReference: Sendable {
    /// The script path relative to the scan root (nil when it cannot be known).
    public var path: String?
    /// The expression that names it (`source = ...` or the `templatefile(...)` path argument).
    public var range: SourceRange
    /// Templates passed into this file's `templatefile` variables (e.g. the module's start script
    /// given as `start_runner`), by variable name.
    public var embedded: [String: PackerFileReference]
    /// `destination` of the provisioner, when known.
    public var destination: String?
}

/// One `source` block of a Packer template.
public struct PackerSource: Sendable {
    public var type: String
    public var name: String
    public var range: SourceRange
    /// `ami_name` with interpolations replaced by `*`.
    public var amiNamePattern: String?
    /// Where `ami_name` is written.
    public var amiNameRange: SourceRange?
    /// The `name` filter of `source_ami_filter`, when written.
    public var sourceAMIName: String?
    /// `windows` when the source uses WinRM or a Windows base image, else `linux`.
    public var os: String
}

/// A Packer template (`*.pkr.hcl`) as far as runner AMIs are concerned: one file that builds its own
/// sources, or a folder whose files Packer loads together (`sources.pkr.hcl`, `build.pkr.hcl`,
/// `variables.pkr.hcl`).
public struct PackerTemplate: Sendable {
    /// The template file, or the folder for a template split over several files.
    public var file: String
    /// Every `.pkr.hcl` file the template is read from.
    public var paths: [String]
    public var sources: [PackerSource]
    /// Files copied onto the image by `file` provisioners.
    public var files: [PackerFileReference]
    /// Inline shell/PowerShell lines that move a script into a boot location.
    public var bootMoves: [(text: String, range: SourceRange)]

    public var os: String { sources.first?.os ?? "linux" }

    /// Reads one parsed `.pkr.hcl` file as a template of its own.
    public init(file: HCLFile, fileSystem: any FileSystem) {
        self.init(files: [file], name: file.source.path, fileSystem: fileSystem)
    }

    /// The templates among parsed `.pkr.hcl` files. A file with a `build` block whose sources are
    /// all declared in that file is a template of its own (run as `packer build file.pkr.hcl`);
    /// a `build` that names sources declared elsewhere makes its whole folder one template (run as
    /// `packer build folder/`). Files without a `build` block only contribute to folder templates.
    public static func templates(from files: [HCLFile], fileSystem: any FileSystem) -> [PackerTemplate] {
        var byDirectory: [String: [HCLFile]] = [:]
        for f in files { byDirectory[Paths.directory(of: f.source.path), default: []].append(f) }
        var result: [PackerTemplate] = []
        for dir in byDirectory.keys.sorted() {
            let group = byDirectory[dir]!.sorted { $0.source.path < $1.source.path }
            let builders = group.filter { !$0.body.blocks(ofType: "build").isEmpty }
            if builders.contains(where: { !buildsOnlyOwnSources($0) }) {
                result.append(PackerTemplate(files: group, name: dir.isEmpty ? "." : dir, fileSystem: fileSystem))
            } else {
                result += builders.map { PackerTemplate(file: $0, fileSystem: fileSystem) }
            }
        }
        return result
    }

    /// Whether every source a file's `build` blocks name (`sources = ["source.T.N"]`, or
    /// `source "source.T.N" {}` blocks) is declared in that file.
    static func buildsOnlyOwnSources(_ file: HCLFile) -> Bool {
        let declared = Set(file.body.blocks(ofType: "source").filter { $0.labels.count >= 2 }.map { "source.\($0.labels[0].value).\($0.labels[1].value)" })
        for build in file.body.blocks(ofType: "build") {
            var named: [String] = build.body.blocks(ofType: "source").compactMap { $0.labels.first?.value }
            if let list = build.body.attribute("sources"), case .tuple(let items) = list.expression.kind {
                named += items.compactMap { (item: Expression) in item.staticString }
            }
            if named.contains(where: { !declared.contains($0) }) { return false }
        }
        return true
    }

    /// Reads the files Packer loads together as one template.
    public init(files group: [HCLFile], name: String, fileSystem: any FileSystem) {
        self.file = name
        self.paths = group.map(\.source.path)
        let dir = Paths.directory(of: group.first?.source.path ?? name)
        var varDefaults: [String: Value] = [:]
        for b in group.flatMap({ $0.body.blocks(ofType: "variable") }) {
            guard let name = b.labels.first?.value, let def = b.body.attribute("default") else { continue }
            varDefaults[name] = Evaluator.evaluate(def.expression, in: EvalContext(variables: [:], fileSystem: fileSystem, moduleDirectory: dir)).0
        }
        let ctx = EvalContext(variables: [
            "var": .object(varDefaults),
            // Packer runs in the template's folder: relative paths and `path.root` start there.
            "path": .object(["root": .string("."), "cwd": .string(".")]),
        ], fileSystem: fileSystem, moduleDirectory: dir)

        var sources: [PackerSource] = []
        for file in group {
        for b in file.body.blocks(ofType: "source") where b.labels.count >= 2 {
            let text = file.source.text(of: b.range).lowercased()
            let amiNameAttribute = b.body.attribute("ami_name")
            let amiName = amiNameAttribute.map { Self.pattern(of: $0.expression, ctx: ctx) }
            var filterName: String?
            for f in b.body.blocks(ofType: "source_ami_filter") {
                if let filters = f.body.attribute("filters") {
                    let v = Evaluator.evaluate(filters.expression, in: ctx).0
                    filterName = v["name"]?.asString
                }
            }
            let windows = text.contains("winrm") || (filterName?.lowercased().contains("windows") ?? false)
            sources.append(PackerSource(type: b.labels[0].value, name: b.labels[1].value, range: b.range,
                                        amiNamePattern: amiName, amiNameRange: amiNameAttribute?.range, sourceAMIName: filterName, os: windows ? "windows" : "linux"))
        }
        }
        self.sources = sources

        var files: [PackerFileReference] = []
        var moves: [(String, SourceRange)] = []
        for build in group.flatMap({ $0.body.blocks(ofType: "build") }) {
            for p in build.body.blocks(ofType: "provisioner") {
                let type = p.labels.first?.value ?? ""
                let destination = p.body.attribute("destination").flatMap { Evaluator.evaluate($0.expression, in: ctx).0.stringValue }
                if type == "file" {
                    if let src = p.body.attribute("source") {
                        let v = Evaluator.evaluate(src.expression, in: ctx).0
                        files.append(PackerFileReference(path: v.stringValue.flatMap { Paths.join(dir, $0) }, range: src.expression.range, embedded: [:], destination: destination))
                    }
                    if let content = p.body.attribute("content") {
                        files += Self.templateFiles(in: content.expression, ctx: ctx, destination: destination)
                    }
                } else if type == "shell" || type == "powershell" || type == "windows-shell" {
                    if let inline = p.body.attribute("inline"), case .tuple(let items) = inline.expression.kind {
                        for item in items {
                            guard let s = item.staticString ?? Evaluator.evaluate(item, in: ctx).0.stringValue else { continue }
                            let lower = s.lowercased()
                            if lower.contains("/var/lib/cloud/scripts/per-boot") || lower.contains("start-runner") {
                                moves.append((s, item.range))
                            }
                        }
                    }
                }
            }
        }
        self.files = files
        self.bootMoves = moves.map { (text: $0.0, range: $0.1) }
    }

    /// `templatefile(path, { var = templatefile(...) })` and `file(path)` calls inside an expression.
    static func templateFiles(in e: Expression, ctx: EvalContext, destination: String?) -> [PackerFileReference] {
        switch e.kind {
        case .functionCall(let name, _, let args, _) where (name == "templatefile" || name == "file") && !args.isEmpty:
            let path = Evaluator.evaluate(args[0], in: ctx).0.stringValue.flatMap { Paths.join(ctx.moduleDirectory, $0) }
            var embedded: [String: PackerFileReference] = [:]
            if name == "templatefile", args.count > 1, case .object(let items) = args[1].kind {
                for item in items {
                    guard let key = item.key.staticString ?? item.key.traversalPath?.first else { continue }
                    if let inner = templateFiles(in: item.value, ctx: ctx, destination: nil).first { embedded[key] = inner }
                }
            }
            return [PackerFileReference(path: path, range: args[0].range, embedded: embedded, destination: destination)]
        case .functionCall(_, _, let args, _):
            return args.flatMap { templateFiles(in: $0, ctx: ctx, destination: destination) }
        case .parenthesized(let inner):
            return templateFiles(in: inner, ctx: ctx, destination: destination)
        default:
            return []
        }
    }

    /// A name pattern: literal text kept, interpolations become `*`.
    static func pattern(of e: Expression, ctx: EvalContext) -> String {
        if let s = Evaluator.evaluate(e, in: ctx).0.stringValue { return s }
        guard case .template(let parts) = e.kind else { return "*" }
        return parts.map { part -> String in
            if case .literal(let s, _) = part { return s }
            return "*"
        }.joined()
    }
}
