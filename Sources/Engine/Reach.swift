import AuditCore
import Foundation
import HCL
import Terraform

/// Which files the runner deployment reaches (issue 18 §1). ghr-audit is not a linter for every
/// YAML, JSON or script file of a monorepo: Terraform, tfvars, Packer, module manifests and GitHub
/// Actions workflows are always read; any other file is read only when the deployment reaches it
/// (Terraform reads it with `file`/`templatefile`/`yamldecode`/`fileset`, or a Terraform or Packer
/// file names it), and otherwise only counted.
enum Reach {
    /// Read whatever references them: the deployment is described by these.
    static func alwaysRead(_ file: DiscoveredFile) -> Bool {
        switch file.kind {
        case .terraform?, .terraformJSON?, .tfvars?, .tfvarsJSON?, .packer?, .gitmodules?, .modulesManifest?: return true
        case .yaml?: return isWorkflow(file.path)
        default: return false
        }
    }

    static func isWorkflow(_ path: String) -> Bool {
        path.hasPrefix(".github/workflows/") || path.containsBytes("/.github/workflows/")
    }

    /// The name a file not reached is counted under.
    static func countedKind(_ file: DiscoveredFile) -> String? {
        if let kind = file.kind { return kind.rawValue }
        return file.isTemplate ? "template" : nil
    }

    /// Candidate files named by a string literal of a Terraform or Packer file: the literal, with
    /// `${path.module}`/`${path.root}`/`${path.cwd}` removed and any other interpolation taken as
    /// `*`, resolved against the file's folder and each folder above it. A literal that names a
    /// folder reaches what is in it (a Packer `file` provisioner copying a folder).
    static func literalReferences(in workspace: Workspace, candidates: [String], workers: Int? = nil) -> Set<String> {
        var byDirectory: [String: [String]] = [:]
        let candidateSet = Set(candidates)
        for path in candidates { byDirectory[Paths.directory(of: path), default: []].append(path) }
        let readers = workspace.paths(ofKinds: [.terraform, .terraformJSON, .packer, .tfvars])
        // Each file's literals on its own (every core); the union does not depend on the order.
        let candidateNames = Set(candidates.map { Paths.fileName(of: $0) })
        let perFile = Parallel.map(readers, workers: workers) { [byDirectory] path -> Set<String> in
            let file = workspace[path]!
            var reached: Set<String> = []
            var bases: [String] = []
            var dir = Paths.directory(of: path)
            while true {
                bases.append(dir)
                if dir.isEmpty { break }
                dir = Paths.directory(of: dir)
            }
            // Each distinct literal once: generated files repeat the same few ("String", tags).
            var seen: Set<String> = []
            for literal in file.source.bytes.withUnsafeBufferPointer({ stringLiterals(bytes: $0) }) where seen.insert(literal).inserted {
                // A plain literal (no interpolation, no glob) outside Packer reaches a candidate only
                // through its last component, which the join keeps: unless it is a candidate's file
                // name, nothing below can match (most literals of a generated file are skipped here).
                if file.kind != .packer, let name = plainLastComponent(literal), !candidateNames.contains(name) { continue }
                guard let pattern = pathPattern(literal) else { continue }
                for base in bases {
                    guard let joined = Paths.join(base, pattern) else { continue }
                    if pattern.utf8.contains(UInt8(ascii: "*")) {
                        // Only the candidates of the pattern's folder can match: with none there,
                        // no glob is compiled (compiling one for every base was 1% of a monorepo).
                        guard let inFolder = byDirectory[Paths.directory(of: joined)],
                              let glob = try? Glob(joined, syntax: .fileset) else { continue }
                        for c in inFolder where glob.matches(c) { reached.insert(c) }
                    } else if candidateSet.contains(joined) {
                        reached.insert(joined)
                    } else if file.kind == .packer, !joined.isEmpty, !Paths.fileName(of: joined).utf8.contains(UInt8(ascii: ".")) {
                        // A folder a Packer provisioner copies: everything below it.
                        for (d, paths) in byDirectory where d == joined || d.hasPrefix(joined + "/") { reached.formUnion(paths) }
                    }
                }
            }
            return reached
        }
        return perFile.reduce(into: Set<String>()) { $0.formUnion($1) }
    }

    /// The last `/`-separated component of a literal with no `$`, `%` or `*` (so `pathPattern`
    /// keeps it as written), when it is a name a joined path ends with: not empty, `.` or `..`.
    static func plainLastComponent(_ literal: String) -> String? {
        let utf8 = literal.utf8
        guard !utf8.contains(where: { $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "*") }) else { return nil }
        let name = utf8.lastIndex(of: UInt8(ascii: "/")).map { literal[utf8.index(after: $0)...] } ?? literal[...]
        guard !name.isEmpty, name != ".", name != ".." else { return nil }
        return String(name)
    }

    /// The literal as a relative path pattern, or nil when it cannot name a file.
    static func pathPattern(_ literal: String) -> String? {
        var s = literal
        if s.utf8.contains(UInt8(ascii: "$")) {
            for prefix in ["${path.module}", "${path.root}", "${path.cwd}", "${abspath(path.module)}", "${abspath(path.root)}"] {
                s = s.replacingBytes(prefix, with: ".")
            }
        }
        // Any other interpolation is unknown text within one path segment. Read on UTF-8 bytes
        // (every byte this looks for is ASCII); the checks on letters and length below read the
        // short result as characters.
        let bytes = Array(s.utf8)
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "$") || bytes[i] == UInt8(ascii: "%"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") {
                guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")) else { return nil }
                kept.append(UInt8(ascii: "*"))
                i = close + 1
                continue
            }
            kept.append(bytes[i])
            i += 1
        }
        guard kept.contains(UInt8(ascii: "/")) || kept.contains(UInt8(ascii: ".")), !kept.contains(UInt8(ascii: " ")),
              kept.first != UInt8(ascii: "/") else { return nil }
        let out = String(decoding: kept, as: UTF8.self)
        guard !out.containsBytes("://"), plausibleName(out) else { return nil }
        return out
    }

    /// Under 300 Characters and holding a letter or a digit. ASCII text is read on its bytes (a
    /// byte is a Character but for "\r\n"; a letter or a digit is [A-Za-z0-9]): the Character
    /// reading was a fifth of the literal references' time.
    static func plausibleName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return plausibleNameByCharacters(s) }
        var characters = bytes.count
        for k in bytes.indices.dropFirst() where bytes[k] == UInt8(ascii: "\n") && bytes[k - 1] == UInt8(ascii: "\r") { characters -= 1 }
        return characters < 300 && bytes.contains {
            ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
        }
    }

    static func plausibleNameByCharacters(_ s: String) -> Bool {
        s.count < 300 && s.contains(where: { $0.isLetter || $0.isNumber })
    }

    /// The contents of double-quoted strings (without escapes resolved, each escaped character
    /// kept, the backslash dropped), heredocs excluded; a string ends at a line break. Read on
    /// UTF-8 bytes: every byte that matters is ASCII.
    static func stringLiterals(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { stringLiterals(bytes: $0) }
    }

    /// `stringLiterals` of a file's bytes, which are valid UTF-8 (not decoded into a `String` first).
    static func stringLiterals(bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var out: [String] = []
        var current: [UInt8] = []
        var inString = false
        var depth = 0
        var escaped = false
        for b in bytes {
            if inString {
                if escaped { current.append(b); escaped = false; continue }
                switch b {
                case UInt8(ascii: "\\"): escaped = true; continue
                case UInt8(ascii: "{") where current.last == UInt8(ascii: "$") || current.last == UInt8(ascii: "%"): depth += 1
                case UInt8(ascii: "}") where depth > 0: depth -= 1
                case UInt8(ascii: "\"") where depth == 0:
                    out.append(String(decoding: current, as: UTF8.self))
                    inString = false
                    continue
                case UInt8(ascii: "\n"):
                    inString = false
                    continue
                default: break
                }
                current.append(b)
            } else if b == UInt8(ascii: "\"") {
                inString = true
                current.removeAll(keepingCapacity: true)
                depth = 0
            }
        }
        return out
    }
}

/// A file system that remembers which files were read, to learn what Terraform evaluation reaches.
final class RecordingFileSystem: FileSystem, @unchecked Sendable {
    let base: any FileSystem
    private let lock = NSLock()
    private var readPaths: Set<String> = []

    init(base: any FileSystem) { self.base = base }

    func read(_ path: String) -> Data? {
        record(path)
        return base.read(path)
    }

    func load(_ path: String) -> FileLoad {
        record(path)
        return base.load(path)
    }

    private func record(_ path: String) {
        lock.lock()
        readPaths.insert(path)
        lock.unlock()
    }

    func list(_ path: String) -> [DirectoryEntry]? { base.list(path) }
    // The base's own answers: its `stat` sizes (a huge file is refused unread) and its absolute
    // root (`abspath()`), not the protocol's defaults.
    func size(_ path: String) -> Int? { base.size(path) }
    func identity(_ path: String) -> FileIdentity? { base.identity(path) }
    var absoluteRoot: String? { base.absoluteRoot }

    var paths: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return readPaths
    }
}

/// The Terraform the runner deployment uses (issue 18 §1): the modules of every root that calls
/// the runner module, the vendored copies those calls use, and every folder with such a call
/// below it. A Terraform parse error there fails the audit as it would fail `terraform`; elsewhere
/// (a root with no runner module call below it) it is a note.
struct DeploymentScope {
    var directories: Set<String>
    var callDirectories: [String]
    var hasCalls: Bool

    init(model: DeploymentModel) {
        let roots = Set(model.calls.map(\.scope.rootDirectory))
        directories = Set(model.scopes.filter { roots.contains($0.rootDirectory) }.map(\.module.directory))
        directories.formUnion(roots)
        directories.formUnion(model.calls.compactMap(\.vendoredRoot))
        callDirectories = model.calls.map { Paths.directory(of: $0.call.file) }
        hasCalls = !model.calls.isEmpty
    }

    func reportsParseErrors(in file: WorkspaceFile) -> Bool {
        guard file.kind.isTerraform || file.kind == .tfvars || file.kind == .tfvarsJSON else { return true }
        let dir = Paths.directory(of: file.path)
        if directories.contains(dir) { return true }
        if callDirectories.contains(where: { dir.isEmpty || $0 == dir || $0.hasPrefix(dir + "/") }) { return true }
        // With no call found, a broken file that names the module may be the deployment itself.
        return !hasCalls && (file.source.text.containsBytes("github-runner") || file.source.text.containsBytes("github_runner"))
    }
}

extension Reach {
    /// Candidate files that a fleet's string inputs name (`userdata_template`, `*_lambda_zip`,
    /// a policy path), relative to the calling module, its root or the scan root.
    static func namedByFleets(_ model: DeploymentModel, candidates: Dictionary<String, DiscoveredFile>.Keys, workers: Int? = nil) -> Set<String> {
        @Sendable func strings(_ v: Value, into out: inout Set<String>) {
            switch v.kind {
            case .string(let s): out.insert(s)
            case .list(let l): for e in l { strings(e, into: &out) }
            case .object(let o): for e in o.values { strings(e, into: &out) }
            default: break
            }
        }
        // Per call, each distinct text once: the fleets of a multi-runner call share the call's
        // inputs (its whole `multi_runner_config`), and reading them again for every fleet made
        // this quadratic in the fleets (most of the audit's time at 1,280 fleets).
        // The calls are read on every core (a monorepo's thousand fleets made this a serial tenth
        // of the audit); the union does not depend on the order.
        let perCall = Parallel.map(model.calls, workers: workers) { call -> Set<String> in
            var reached: Set<String> = []
            // The fleets of one instance of the call share its module inputs: read them once.
            var texts: Set<String> = []
            var instancesRead: Set<Int> = []
            for fleet in call.fleets {
                for input in fleet.inputs.values { strings(input.value, into: &texts) }
                if instancesRead.insert(fleet.callInstance).inserted {
                    for input in fleet.moduleInputs.values { strings(input.value, into: &texts) }
                }
            }
            let bases = [call.scope.module.directory, call.scope.rootDirectory, Paths.directory(of: call.call.file), ""]
            for text in texts {
                guard let pattern = pathPattern(text), !pattern.utf8.contains(UInt8(ascii: "*")) else { continue }
                for base in bases {
                    if let joined = Paths.join(base, pattern), candidates.contains(joined) { reached.insert(joined) }
                }
            }
            return reached
        }
        return perCall.reduce(into: Set<String>()) { $0.formUnion($1) }
    }
}
