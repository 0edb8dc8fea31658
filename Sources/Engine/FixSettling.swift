import AuditCore
import Foundation
import Gate

extension FixPlan {
    /// The plan of `result` plus what its own fixes make necessary, so that `fix` run again on the
    /// fixed files has nothing left to write: the fixed files are audited again (in memory, through
    /// `reaudit`, which gets the changed files by path and audits the scan root with them in place
    /// of the originals) and the new audit's fixes join the plan, until a round adds nothing or
    /// after `maxRounds` rounds. The case this is for: a fix that removes the cause of a finding an
    /// inline suppression covered leaves that suppression unused (CORE-013), and its removal
    /// belongs in the same diff.
    ///
    /// Each file keeps the text the first audit read as its original (what `apply` checks before
    /// writing); what the user must do by hand and the findings not fixed stay those of the first
    /// audit, which is what the user asked about.
    /// With a `filter`, each round plans only the findings the filter shows (`fix --rule`).
    public static func settled(_ result: AuditResult, filter: FindingFilter? = nil, maxRounds: Int = 3,
                               reaudit: ([String: Data]) throws -> AuditResult) rethrows -> FixPlan {
        func planned(_ result: AuditResult) -> FixPlan { filter.map { FixPlan(result, filter: $0) } ?? FixPlan(result) }
        var plan = planned(result)
        for _ in 0..<maxRounds where !plan.files.isEmpty {
            var changed: [String: Data] = [:]
            for file in plan.files {
                changed[file.path] = FixApplier.encode(file.newText, likeOriginal: Data(file.original.bytes))
            }
            let next = planned(try reaudit(changed))
            guard !next.files.isEmpty else { break }
            plan.absorb(next)
        }
        return plan
    }

    /// Adds a later round's files: a file both rounds change keeps this plan's original and takes
    /// the later text.
    mutating func absorb(_ later: FixPlan) {
        var byPath = Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0) })
        for file in later.files {
            if var known = byPath[file.path] {
                known.newText = file.newText
                known.descriptions += file.descriptions.filter { !known.descriptions.contains($0) }
                known.overlapping += file.overlapping
                byPath[file.path] = known
            } else {
                byPath[file.path] = file
            }
        }
        files = byPath.values.filter { $0.newText != $0.original.text }.sorted { $0.path < $1.path }
        for path in later.unaudited where !unaudited.contains(path) { unaudited.append(path) }
    }
}

/// A scan root with some files replaced: what the audit of a fix plan's second round reads.
public struct OverlayFileSystem: FileSystem {
    public var base: any FileSystem
    public var replaced: [String: Data]

    public init(base: any FileSystem, replaced: [String: Data]) {
        self.base = base
        self.replaced = replaced
    }

    public func read(_ path: String) -> Data? { replaced[path] ?? base.read(path) }
    public func load(_ path: String) -> FileLoad {
        guard let data = replaced[path] else { return base.load(path) }
        return data.count > Limits.maxFileSize ? .tooLarge(data.count) : .data(data)
    }
    public func list(_ path: String) -> [DirectoryEntry]? { base.list(path) }
    public func size(_ path: String) -> Int? { replaced[path]?.count ?? base.size(path) }
    public func identity(_ path: String) -> FileIdentity? { base.identity(path) }
    public var absoluteRoot: String? { base.absoluteRoot }
}

/// The host's files with the scan root at `root` seen through an `OverlayFileSystem`.
public struct OverlayHostFiles: HostFiles {
    public var base: any HostFiles
    public var root: String
    public var replaced: [String: Data]

    public init(base: any HostFiles, root: String, replaced: [String: Data]) {
        self.base = base
        self.root = root
        self.replaced = replaced
    }

    public func read(_ path: String) -> Data? { base.read(path) }

    public func scanRoot(_ path: String) -> (any FileSystem)? {
        guard let fs = base.scanRoot(path) else { return nil }
        return path == root ? OverlayFileSystem(base: fs, replaced: replaced) : fs
    }
}
