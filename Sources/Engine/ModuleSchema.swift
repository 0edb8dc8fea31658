import AuditCore
import HCL

/// `schema extract`: the inputs (type and default, as written) of a terraform-aws-github-runner
/// checkout, read with ghr-audit's own HCL parser, as YAML.
public enum ModuleSchema {
    /// The module's folders whose `variables*.tf` are read, with the YAML key of each.
    static let scopes = [("root", ""), ("multi-runner", "modules/multi-runner"), ("runners", "modules/runners")]

    /// `schema extract DIR`: the checkout at `directory` of `host` read; an environment error when
    /// it is not a folder. The YAML is complete only when `problems` is empty (the command then
    /// exits 2 after printing both).
    public static func extract(directory: String, host: any HostFiles) throws(EnvironmentError) -> (yaml: String, problems: [String]) {
        guard let fs = host.scanRoot(directory) else { throw EnvironmentError("`\(directory)` is not a directory") }
        return extract(fs, name: directory)
    }

    /// What ends `schema extract` after printing: nil, or the error for the parse problems.
    public static func failure(_ problems: [String]) -> EnvironmentError? {
        problems.isEmpty ? nil : EnvironmentError("\(problems.count) parse problem(s) in the module's variables")
    }

    /// The YAML text, and the parse errors found in the variables files (`path:line:col: summary`).
    public static func extract(_ fileSystem: any FileSystem, name: String) -> (yaml: String, problems: [String]) {
        var out = "# Inputs of \(name), read by ghr-audit schema extract\n"
        var problems: [String] = []
        for (scope, dir) in scopes {
            let names = (fileSystem.list(dir) ?? []).map(\.name).filter { $0.hasPrefix("variables") && $0.hasSuffix(".tf") }
            guard !names.isEmpty else { continue }
            var rows: [(name: String, type: String?, value: String?)] = []
            for fileName in names {
                let path = dir.isEmpty ? fileName : dir + "/" + fileName
                guard let data = fileSystem.read(path), let source = SourceFile(path: path, data: data) else { continue }
                let file = HCLParser.parse(source)
                for d in file.diagnostics where d.severity == .error {
                    problems.append("\(path):\(d.range.start.line):\(d.range.start.column): \(d.summary)")
                }
                for block in file.body.blocks(ofType: "variable") {
                    guard let label = block.labels.first?.value else { continue }
                    func text(_ attribute: String) -> String? {
                        block.body.attribute(attribute).map { source.text(of: $0.expression.range).split(whereSeparator: \.isWhitespace).joined(separator: " ") }
                    }
                    rows.append((label, text("type"), text("default")))
                }
            }
            out += "\(scope):\n"
            for row in rows.sorted(by: { $0.name < $1.name }) {
                out += "  \(row.name):\n"
                out += "    type: \(doubleQuoted(row.type ?? "any"))\n"
                out += "    default: " + (row.value.map(doubleQuoted) ?? "required") + "\n"
            }
        }
        return (out, problems)
    }

    /// A YAML double-quoted scalar (the expression text is one line: whitespace was collapsed).
    static func doubleQuoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
