import AuditCore
import Documents
import Foundation
import HCL

/// What a file is, by name and (for scripts) by content.
public enum FileKind: String, Sendable, Hashable, Codable, CaseIterable {
    case terraform            // .tf
    case terraformJSON = "terraform-json"   // .tf.json
    case tfvars               // .tfvars
    case tfvarsJSON = "tfvars-json"         // .tfvars.json
    case packer               // .pkr.hcl
    case yaml                 // .yml / .yaml
    case json                 // other .json
    case bash                 // .sh, .bash, shebang, and shell templates
    case powershell           // .ps1, .psm1, PowerShell templates
    case gitmodules           // .gitmodules
    case modulesManifest = "modules-manifest"   // .terraform/modules/modules.json

    /// Classifies by name alone; nil when the name says nothing (the caller may look for a shebang).
    public static func byName(_ path: String) -> FileKind? {
        let name = Paths.fileName(of: path).lowercased()
        if path == ".terraform/modules/modules.json" || path.hasSuffix("/.terraform/modules/modules.json") { return .modulesManifest }
        if name == ".gitmodules" { return .gitmodules }
        if name.hasSuffix(".tf.json") { return .terraformJSON }
        if name.hasSuffix(".tfvars.json") { return .tfvarsJSON }
        if name.hasSuffix(".pkr.hcl") { return .packer }
        if name.hasSuffix(".tf") { return .terraform }
        if name.hasSuffix(".tfvars") { return .tfvars }
        if name.hasSuffix(".yml") || name.hasSuffix(".yaml") { return .yaml }
        if name.hasSuffix(".json") { return .json }
        if name.hasSuffix(".sh") || name.hasSuffix(".bash") { return .bash }
        if name.hasSuffix(".ps1") || name.hasSuffix(".psm1") { return .powershell }
        return nil
    }

    /// Template files (`.tftpl`, `.tpl`) hold either shell or PowerShell: decide by content.
    public static func isTemplateName(_ path: String) -> Bool {
        let name = Paths.fileName(of: path).lowercased()
        return name.hasSuffix(".tftpl") || name.hasSuffix(".tpl")
    }

    /// Guesses the script language of text with no telling extension. nil: not a script.
    public static func scriptKind(ofContent text: String, isTemplate: Bool) -> FileKind? {
        let firstLine = text.prefix(while: { $0 != "\n" })
        if firstLine.hasPrefix("#!") {
            if firstLine.contains("pwsh") || firstLine.contains("powershell") { return .powershell }
            if firstLine.contains("sh") { return .bash }
            return nil
        }
        if firstLine.lowercased().hasPrefix("<powershell>") { return .powershell }
        guard isTemplate else { return nil }
        let lower = text.lowercased()
        let psSignals = ["$env:", "write-host", "set-location", "invoke-webrequest", "<powershell>", "new-item ", "start-process"]
        if psSignals.contains(where: lower.contains) { return .powershell }
        return .bash
    }

    public var isScript: Bool { self == .bash || self == .powershell }
    public var isTerraform: Bool { self == .terraform || self == .terraformJSON }
}

/// A parsed view of one file, produced once.
public enum ParsedContent: Sendable {
    case hcl(HCLFile)
    case json(JSONNode?)
    case yaml(YAMLNode?)
    case script
    case text
}

public struct WorkspaceFile: Sendable {
    public var source: SourceFile
    public var kind: FileKind
    /// Whether the file is a Terraform template (`.tftpl`, `.tpl`, or referenced by `templatefile`).
    public var isTemplate: Bool
    public var content: ParsedContent
    public var diagnostics: [Diagnostic]
    /// For a JSON template: the parse with its template parts and the condition of each
    /// `%{ if }`/`%{ else }`/`%{ for }` region (every branch read), which the IAM policy front end
    /// reads rather than parsing the file again.
    public var template: TemplatedJSON?
    /// For YAML: how many documents the file holds and where the second starts (`yamldecode`
    /// rejects more than one; the workspace keeps only the first).
    public var yamlDocumentCount = 0
    public var yamlSecondDocument: SourceRange?

    public init(source: SourceFile, kind: FileKind, isTemplate: Bool, content: ParsedContent, diagnostics: [Diagnostic],
                template: TemplatedJSON? = nil) {
        self.source = source
        self.kind = kind
        self.isTemplate = isTemplate
        self.content = content
        self.diagnostics = diagnostics
        self.template = template
    }

    public var path: String { source.path }

    public var hcl: HCLFile? { if case .hcl(let f) = content { f } else { nil } }
    public var yaml: YAMLNode? { if case .yaml(let n) = content { n } else { nil } }
    public var json: JSONNode? { if case .json(let n) = content { n } else { nil } }

    /// Parses `source` according to `kind`.
    public static func parse(_ source: SourceFile, kind: FileKind, isTemplate: Bool) -> WorkspaceFile {
        switch kind {
        case .terraform, .tfvars, .packer:
            let f = HCLParser.parse(source)
            return WorkspaceFile(source: source, kind: kind, isTemplate: isTemplate, content: .hcl(f), diagnostics: f.diagnostics)
        case .terraformJSON, .tfvarsJSON:
            let f = HCLJSONParser.parse(source)
            return WorkspaceFile(source: source, kind: kind, isTemplate: isTemplate, content: .hcl(f), diagnostics: f.diagnostics)
        case .json, .modulesManifest:
            if kind == .json, source.text.allSatisfy(\.isWhitespace) {
                // An empty `.json` file (a test stub, a placeholder) is no document anyone reads as
                // configuration; a `jsondecode(file(...))` of it is reported at the call.
                return WorkspaceFile(source: source, kind: kind, isTemplate: isTemplate, content: .json(nil), diagnostics: [])
            }
            let dialect = kind == .json ? JSONDialect.of(path: source.path) : .strict
            let template = isTemplate || (kind == .json && dialect == .strict && Self.looksLikeTemplate(source.text))
            if template {
                // Every branch read, so the tree holds what any rendering may contain.
                let t = JSON.parseTemplated(source, from: 0, to: source.bytes.count, readingElseBranches: true)
                return WorkspaceFile(source: source, kind: kind, isTemplate: true, content: .json(t.root), diagnostics: t.diagnostics, template: t)
            }
            let (node, diags) = JSON.parse(source, dialect: dialect)
            return WorkspaceFile(source: source, kind: kind, isTemplate: false, content: .json(node), diagnostics: diags)
        case .yaml:
            // Configuration files hold one document; the first one is what `yamldecode` would read.
            let stream = YAML.parse(source)
            var file = WorkspaceFile(source: source, kind: kind, isTemplate: isTemplate, content: .yaml(stream.documents.first), diagnostics: stream.diagnostics)
            file.yamlDocumentCount = stream.documents.count
            file.yamlSecondDocument = stream.documents.count > 1 ? stream.documents[1].range : nil
            return file
        case .bash, .powershell:
            return WorkspaceFile(source: source, kind: kind, isTemplate: isTemplate, content: .script, diagnostics: [])
        case .gitmodules:
            return WorkspaceFile(source: source, kind: kind, isTemplate: isTemplate, content: .text, diagnostics: [])
        }
    }
}

extension WorkspaceFile {
    /// Whether a `.json` file is a Terraform template (a policy or document rendered with
    /// `templatefile()`): it holds a `${...}` interpolation or a `%{...}` directive.
    static func looksLikeTemplate(_ text: String) -> Bool {
        text.containsBytes("${") || text.containsBytes("%{")
    }
}

/// Every file of the scan, read and parsed once, plus the file system for anything a configuration
/// reads that discovery did not classify (a `file("x.txt")`).
public struct Workspace: Sendable {
    public var files: [String: WorkspaceFile] {
        didSet { index = Index(files) }
    }
    public var fileSystem: any FileSystem
    /// Paths by kind and by folder, sorted, so that rules asking per fleet stay linear.
    private var index: Index

    private struct Index: Sendable {
        var sortedPaths: [String]
        var byKind: [FileKind: [String]]
        var byDirectory: [String: [String]]

        init(_ files: [String: WorkspaceFile]) {
            sortedPaths = files.keys.sorted()
            var byKind: [FileKind: [String]] = [:]
            var byDirectory: [String: [String]] = [:]
            for path in sortedPaths {
                byKind[files[path]!.kind, default: []].append(path)
                byDirectory[Paths.directory(of: path), default: []].append(path)
            }
            self.byKind = byKind
            self.byDirectory = byDirectory
        }
    }

    public init(files: [String: WorkspaceFile], fileSystem: any FileSystem) {
        self.files = files
        self.fileSystem = fileSystem
        self.index = Index(files)
    }

    /// The parse of the YAML file at `path` when `text` is its whole text (what `file(path)`
    /// gives): `yamldecode` takes it rather than parsing the file again.
    public func parsedYAML(_ path: String, text: String) -> Functions.ParsedYAML? {
        guard let file = files[path], file.kind == .yaml, case .yaml(let first) = file.content, file.source.text == text else { return nil }
        return Functions.ParsedYAML(first: first, documentCount: file.yamlDocumentCount, secondDocument: file.yamlSecondDocument,
                                    diagnostics: file.diagnostics)
    }

    /// The functions evaluations in this workspace use instead of the table's: `yamldecode` that
    /// takes the workspace's parse of a file it reads whole.
    public var functions: [String: Function] {
        let workspace = self
        return ["yamldecode": Functions.yamldecode(reusing: { workspace.parsedYAML($0, text: $1) })]
    }

    public subscript(path: String) -> WorkspaceFile? { files[path] }

    public var sortedPaths: [String] { index.sortedPaths }

    /// The paths of the files of these kinds, sorted (from the index: no file is looked up).
    public func paths(ofKinds kinds: [FileKind]) -> [String] {
        let paths = kinds.flatMap { index.byKind[$0] ?? [] }
        return kinds.count > 1 ? paths.sorted() : paths
    }

    public func files(ofKind kind: FileKind) -> [WorkspaceFile] {
        (index.byKind[kind] ?? []).map { files[$0]! }
    }

    /// The paths of the files directly in `directory` ("" for the scan root), sorted.
    public func paths(inDirectory directory: String) -> [String] {
        index.byDirectory[directory] ?? []
    }

    /// The text of any file below the root, from the parsed set when present.
    public func source(_ path: String) -> SourceFile? {
        if let f = files[path] { return f.source }
        guard let data = fileSystem.read(path) else { return nil }
        return SourceFile(path: path, data: data)
    }

    /// The text written at `range`, on one line (the first line and `…` when it spans more, cut
    /// at 80 characters), for messages that name an expression.
    public func text(of range: SourceRange) -> String? {
        guard let t = source(range.path)?.text(from: range.start.offset, to: range.end.offset) else { return nil }
        let line = t.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? t
        return line.count > 80 || line.count < t.count ? String(line.prefix(80)) + "…" : line
    }
}
