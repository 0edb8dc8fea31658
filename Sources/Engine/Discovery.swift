import AuditCore
import Foundation
import Terraform

/// A file found by the walk, classified, not yet read.
public struct DiscoveredFile: Sendable, Hashable {
    public var path: String
    /// nil: not a kind the audit reads by name (a shebang may still make it a script).
    public var kind: FileKind?
    public var isTemplate: Bool
}

/// Something the walk could not enter or read.
public struct DiscoveryProblem: Sendable, Hashable {
    public var path: String
    public var message: String
    /// A problem that loses nothing the audit could read (a link out of the root): a warning.
    public var isWarning = false
}

/// Walks the scan root once.
public struct Discovery: Sendable {
    /// Directories never entered. `.terraform` is entered only for `modules/modules.json`.
    public static let skippedDirectories: Set<String> = [".git", ".hg", ".svn", "node_modules", ".build", ".venv", "__pycache__", ".idea"]
    /// Files larger than this are reported, not read (a data dump is not configuration).
    public static let maxFileSize = Limits.maxFileSize

    public var fileSystem: any FileSystem

    /// Which files are audited is the config file's `include`/`exclude` (Gate's `Glob`), applied
    /// to what the walk finds.
    public init(fileSystem: any FileSystem) {
        self.fileSystem = fileSystem
    }

    public func walk(workers: Int? = nil) -> (files: [DiscoveredFile], problems: [DiscoveryProblem]) {
        var files: [DiscoveredFile] = []
        var problems: [DiscoveryProblem] = []
        var stack: [String] = [""]
        var visited = 0
        // Directories already entered, by device and inode: a link back to a parent (or two links
        // to each other) never makes the walk enter a directory twice.
        var entered = Set<FileIdentity>()
        var listings = prefetch(workers: workers)
        while let dir = stack.popLast() {
            let prefetched = listings.removeValue(forKey: dir)
            if let identity = prefetched.map({ $0.identity }) ?? fileSystem.identity(dir), !entered.insert(identity).inserted { continue }
            visited += 1
            if visited > Limits.maxDirectories { problems.append(DiscoveryProblem(path: dir, message: "more than \(Limits.maxDirectories) directories; the walk stopped here and the rest of the tree is not audited")); break }
            guard let entries = prefetched.map({ $0.entries }) ?? fileSystem.list(dir) else {
                problems.append(DiscoveryProblem(path: dir.isEmpty ? "." : dir, message: "directory could not be read"))
                continue
            }
            for entry in entries.reversed() {
                let path = dir.isEmpty ? entry.name : dir + "/" + entry.name
                switch entry.kind {
                case .directory:
                    if Self.skippedDirectories.contains(entry.name) { continue }
                    if path.utf8.lazy.filter({ $0 == UInt8(ascii: "/") }).count >= Limits.maxDirectoryDepth {
                        problems.append(DiscoveryProblem(path: path, message: "folders nest more than \(Limits.maxDirectoryDepth) levels deep here; the walk did not enter this one and nothing below it is audited"))
                        continue
                    }
                    if entry.name == ".terraform" {
                        let manifest = path + "/modules/modules.json"
                        if fileSystem.read(manifest) != nil {
                            files.append(DiscoveredFile(path: manifest, kind: .modulesManifest, isTemplate: false))
                        }
                        continue
                    }
                    stack.append(path)
                case .file:
                    let kind = FileKind.byName(path)
                    let template = FileKind.isTemplateName(path)
                    // A file whose name says nothing is a candidate only when it may be a script
                    // with a shebang: no extension at all.
                    if kind == nil && !template && entry.name.contains(".") { continue }
                    files.append(DiscoveredFile(path: path, kind: kind, isTemplate: template))
                case .symlinkOutside:
                    // Never followed: it would leave the scan root. Said once per link (the walk
                    // enters each directory once).
                    problems.append(DiscoveryProblem(path: path, message: "symbolic link points outside the scan root and was not followed", isWarning: true))
                case .linkLoop:
                    problems.append(DiscoveryProblem(path: path, message: "symbolic link loops back on itself and was not followed", isWarning: true))
                case .danglingLink:
                    problems.append(DiscoveryProblem(path: path, message: "symbolic link points to a file that does not exist", isWarning: true))
                case .special:
                    // A FIFO named `main.tf` would block a reader: never opened, but said when its
                    // name says the audit would read it.
                    if FileKind.byName(path) != nil || FileKind.isTemplateName(path) {
                        problems.append(DiscoveryProblem(path: path, message: "not a regular file (a FIFO, socket or device) and was not read", isWarning: true))
                    }
                case .invalidName(let directory):
                    // Said for a folder, and for a file whose name says the audit would read it.
                    guard directory || FileKind.byName(path) != nil || FileKind.isTemplateName(path) || !entry.name.contains(".") else { continue }
                    problems.append(DiscoveryProblem(path: path, message: "the name is not valid UTF-8 (shown here with its invalid bytes replaced); it is not audited. Rename it"))
                case .other:
                    // Listed, but its type could not be read: a path longer than the system allows
                    // (a folder chain thousands deep) or an entry removed meanwhile.
                    problems.append(DiscoveryProblem(path: path, message: "could not be examined (its path is too long, or it vanished during the scan); it is not audited"))
                }
            }
        }
        files.sort { $0.path < $1.path }
        return (files, problems)
    }

    /// What the walk will ask of the file system (each folder's identity and listing), asked
    /// ahead on every core, a level of the tree at a time: the walk is a chain of system calls
    /// (a directory read and a `stat` or two a folder), the longest stretch of a monorepo's audit
    /// on one core. The walk reads the answers in its own order and decides as before; a folder
    /// not fetched here (one below a link, or past the limits) it asks itself.
    private func prefetch(workers: Int?) -> [String: (identity: FileIdentity?, entries: [DirectoryEntry]?)] {
        let threads = workers ?? Parallel.defaultWorkers
        guard threads > 1 else { return [:] }
        var out: [String: (identity: FileIdentity?, entries: [DirectoryEntry]?)] = [:]
        var seen = Set<FileIdentity>()
        var level = [""]
        var depth = 0
        while !level.isEmpty, out.count + level.count <= Limits.maxDirectories, depth < Limits.maxDirectoryDepth {
            let fileSystem = fileSystem
            let answers = Parallel.map(level, workers: threads) { dir in (identity: fileSystem.identity(dir), entries: fileSystem.list(dir)) }
            var next: [String] = []
            for (dir, answer) in zip(level, answers) {
                out[dir] = answer
                // Each folder's children once, whatever path reached it.
                if let identity = answer.identity, !seen.insert(identity).inserted { continue }
                for entry in answer.entries ?? [] where entry.kind == .directory {
                    guard !Self.skippedDirectories.contains(entry.name), entry.name != ".terraform" else { continue }
                    next.append(dir.isEmpty ? entry.name : dir + "/" + entry.name)
                }
            }
            level = next
            depth += 1
        }
        return out
    }
}
