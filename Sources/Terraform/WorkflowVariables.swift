import AuditCore
import Documents
import Foundation
import HCL

/// A `TF_VAR_<name>` that a GitHub Actions workflow of the repository sets in `env:` (at workflow,
/// job or step level): Terraform run by that workflow gets it as the variable `<name>`.
public struct WorkflowVariable: Sendable {
    /// The Terraform variable (`ghes_url` for `TF_VAR_ghes_url`).
    public var name: String
    /// The literal value, or nil when it comes from an expression (`${{ secrets.X }}`).
    public var literal: String?
    /// The value as written.
    public var text: String
    /// The value's place in the workflow.
    public var range: SourceRange
    /// The workflow file.
    public var workflow: String
    /// The folders (relative to the scan root) the Terraform steps in the variable's scope run in;
    /// empty when none could be read.
    public var directories: Set<String>
}

/// Reads `TF_VAR_*` from `.github/workflows/*.yml` and matches them to the Terraform root
/// modules the jobs run in (`working-directory`, `defaults.run.working-directory`, `-chdir=`, `cd`).
public enum WorkflowVariables {
    public static let prefix = "TF_VAR_"

    public static func collect(_ workspace: Workspace) -> [WorkflowVariable] {
        var out: [WorkflowVariable] = []
        for file in workspace.files(ofKind: .yaml) {
            guard let base = Self.repositoryBase(of: file.path), let root = file.yaml, let jobs = root["jobs"]?.pairs else { continue }
            let workflowDefault = root["defaults"]?["run"]?["working-directory"]
            var workflowDirs = Set<String>()
            for job in jobs {
                let jobDefault = job.value["defaults"]?["run"]?["working-directory"] ?? workflowDefault
                var jobDirs = Set<String>()
                for step in job.value["steps"]?.elements ?? [] {
                    let dirs = directories(of: step, default: jobDefault, base: base)
                    jobDirs.formUnion(dirs)
                    out += variables(in: step["env"], workflow: file.path, directories: dirs)
                }
                out += variables(in: job.value["env"], workflow: file.path, directories: jobDirs)
                workflowDirs.formUnion(jobDirs)
            }
            out += variables(in: root["env"], workflow: file.path, directories: workflowDirs)
        }
        return out
    }

    /// The folder a workflow's paths are relative to: the scan root for `.github/workflows/x.yml`,
    /// `sub` for `sub/.github/workflows/x.yml`; nil for a file that is not a workflow.
    public static func isWorkflow(_ path: String) -> Bool { repositoryBase(of: path) != nil }

    static func repositoryBase(of path: String) -> String? {
        let marker = ".github/workflows/"
        guard path.hasSuffix(".yml") || path.hasSuffix(".yaml") else { return nil }
        if path.hasPrefix(marker) { return path.utf8.dropFirst(marker.utf8.count).contains(UInt8(ascii: "/")) ? nil : "" }
        guard let r = path.rangeOfBytes("/" + marker), !path[r.upperBound...].utf8.contains(UInt8(ascii: "/")) else { return nil }
        return String(path[..<r.lowerBound])
    }

    static func variables(in env: YAMLNode?, workflow: String, directories: Set<String>) -> [WorkflowVariable] {
        guard let pairs = env?.pairs else { return [] }
        return pairs.compactMap { pair in
            guard let key = pair.key.string, key.hasPrefix(prefix), key.count > prefix.count,
                  let text = pair.value.string else { return nil }
            let literal = text.containsBytes("${{") ? nil : text
            return WorkflowVariable(name: String(key.dropFirst(prefix.count)), literal: literal, text: text,
                                    range: pair.value.range, workflow: workflow, directories: directories)
        }
    }

    /// The folders one step runs Terraform in.
    static func directories(of step: YAMLNode, default jobDefault: YAMLNode?, base: String) -> Set<String> {
        var dirs = Set<String>()
        let workingDirectory = (step["working-directory"] ?? jobDefault)?.string
        let run = step["run"]?.string ?? ""
        var cwd = workingDirectory.flatMap { normalise($0, base: base) } ?? base
        if workingDirectory != nil, run.isEmpty { dirs.insert(cwd) }
        for line in run.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ";" || $0 == "&" }).map(String.init)
            for (i, word) in words.enumerated() {
                if word == "cd", i + 1 < words.count, let d = normalise(words[i + 1], base: cwd) { cwd = d }
                if word.hasPrefix("-chdir="), let d = normalise(String(word.dropFirst("-chdir=".count)), base: cwd) { dirs.insert(d) }
                if word == "terraform" || word == "terragrunt" || word == "tofu" { dirs.insert(cwd) }
            }
        }
        if workingDirectory != nil, !run.isEmpty, dirs.isEmpty { dirs.insert(cwd) }
        return dirs
    }

    /// A folder as written in a workflow, relative to the scan root; nil when it depends on an
    /// expression or leaves the root.
    static func normalise(_ raw: String, base: String) -> String? {
        var s = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        for prefix in ["${{ github.workspace }}/", "${{github.workspace}}/", "$GITHUB_WORKSPACE/", "${GITHUB_WORKSPACE}/"] where s.hasPrefix(prefix) {
            s = String(s.dropFirst(prefix.count))
        }
        guard !s.utf8.contains(UInt8(ascii: "$")), !s.hasPrefix("/") else { return nil }
        if s == "." || s.isEmpty { return base }
        return Paths.join(base, s)
    }

    /// The values a root module in `directory` gets from the workflows: a variable goes to the roots
    /// its steps run in; when its steps name no folder, or no workflow step can be matched to this
    /// root, to every root that declares it.
    public static func values(for module: TerraformModule, from variables: [WorkflowVariable]) -> [String: (WorkflowVariable, VariableValue)] {
        let matchesSomeJob = variables.contains { $0.directories.contains(module.directory) }
        var out: [String: (WorkflowVariable, VariableValue)] = [:]
        for v in variables where module.variables[v.name] != nil {
            guard v.directories.contains(module.directory) || v.directories.isEmpty || !matchesSomeJob else { continue }
            let value: Value
            if let literal = v.literal {
                value = literalValue(literal, declaration: module.variables[v.name]!, at: v.range)
            } else {
                value = .unknown("`\(prefix)\(v.name)` is set by workflow `\(v.workflow)` from `\(v.text)`", origin: v.range)
            }
            // The first is the most specific (a step's, then its job's, then the workflow's); two
            // different values for one root (a staging and a production job) are not one value.
            if let (first, _) = out[v.name] {
                if first.text != v.text {
                    out[v.name] = (first, VariableValue(
                        value: .unknown("`\(prefix)\(v.name)` is set to different values by the workflows (`\(first.text)` in `\(first.workflow)`, `\(v.text)` in `\(v.workflow)`)", origin: first.range),
                        range: first.range, source: .workflow))
                }
                continue
            }
            out[v.name] = (v, VariableValue(value: value, range: v.range, source: .workflow))
        }
        return out
    }

    /// A literal as Terraform reads `TF_VAR_*`: a string for string variables, an HCL expression
    /// otherwise; the value's origin is the workflow line.
    static func literalValue(_ text: String, declaration: VariableDeclaration, at range: SourceRange) -> Value {
        guard declaration.takesExpressionFromCLI else { return .string(text, origin: range) }
        let (expr, diags) = HCLParser.parseExpression(SourceFile(path: range.path, text: text))
        guard diags.isEmpty else { return .unknown("`\(prefix)…` in `\(range.path)` is not a valid expression: \(text)", origin: range) }
        let (v, _) = Evaluator.evaluate(expr, in: EvalContext(variables: [:]))
        return relocate(v, to: range)
    }

    static func relocate(_ v: Value, to range: SourceRange) -> Value {
        switch v.kind {
        case .list(let l): return Value(.list(l.map { relocate($0, to: range) }), origin: range)
        case .object(let o): return Value(.object(o.mapValues { relocate($0, to: range) }), origin: range)
        default: return v.relocated(to: range)
        }
    }
}
