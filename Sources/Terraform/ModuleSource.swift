import AuditCore
import Foundation

/// Which part of terraform-aws-github-runner a module call uses.
public enum RunnerModuleKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The repository root: one runner configuration per call.
    case root
    case multiRunner = "multi-runner"
    case runners
    case webhook
    case runnerBinariesSyncer = "runner-binaries-syncer"
    case ssm
    case downloadLambda = "download-lambda"
    case setupIAMPermissions = "setup-iam-permissions"
    case webhookGitHubApp = "webhook-github-app"
    case amiHousekeeper = "ami-housekeeper"
    case terminationWatcher = "termination-watcher"
    case lambda
    /// A submodule path this auditor does not know.
    case otherSubmodule = "other"

    init(submodule: String?) {
        guard let sub = submodule, !sub.isEmpty else { self = .root; return }
        let name = sub.splitBytes(UInt8(ascii: "/")).last.map(String.init) ?? sub
        self = RunnerModuleKind(rawValue: name) ?? .otherSubmodule
    }

    /// Kinds that describe runner fleets.
    public var hasFleets: Bool { self == .root || self == .multiRunner || self == .runners }
}

/// A `source` string of a module call, classified.
public struct ModuleSource: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        /// `NAMESPACE/NAME/PROVIDER` on a registry (`host` when written explicitly).
        case registry(host: String?, namespace: String, name: String, provider: String)
        /// A git URL (`git::https://…`, `github.com/…`, `git@github.com:…`).
        case git(url: String, ref: String?)
        /// `./…` or `../…` on disk, relative to the calling module's directory.
        case local(path: String)
        /// Anything else (S3, GCS, HTTP archives, Mercurial...).
        case other
    }

    public var text: String
    public var origin: Origin
    /// The `//subdir` part, if any.
    public var subdirectory: String?

    public init(_ text: String) {
        self.text = text
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("./") || s.hasPrefix("../") || s == "." || s == ".." {
            origin = .local(path: s)
            subdirectory = nil
            return
        }
        // Split off ?query first so that // inside it is not taken for a subdirectory.
        var query: String?
        if let q = s.utf8.firstIndex(of: UInt8(ascii: "?")) {
            query = String(s[s.utf8.index(after: q)...])
            s = String(s[..<q])
        }
        // The subdirectory marker is the first "//" that is not part of "scheme://".
        var sub: String?
        var searchStart = s.startIndex
        if let scheme = s.rangeOfBytes("://") { searchStart = scheme.upperBound }
        if let r = s.rangeOfBytes("//", from: searchStart) {
            sub = String(s[r.upperBound...])
            s = String(s[..<r.lowerBound])
        }
        subdirectory = sub.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        let ref = query.flatMap { q in
            q.split(separator: "&").compactMap { kv -> String? in
                let parts = kv.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0] == "ref" ? String(parts[1]) : nil
            }.first
        }
        if s.hasPrefix("git::") || s.hasPrefix("github.com/") || s.hasPrefix("git@") || s.hasSuffix(".git")
            || s.hasPrefix("https://github.com/") || s.hasPrefix("bitbucket.org/") {
            var url = s
            if url.hasPrefix("git::") { url.removeFirst(5) }
            origin = .git(url: url, ref: ref)
            return
        }
        let parts = s.splitBytes(UInt8(ascii: "/"), omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3, parts.allSatisfy({ !$0.isEmpty && !$0.utf8.contains(UInt8(ascii: ":")) }) {
            origin = .registry(host: nil, namespace: parts[0], name: parts[1], provider: parts[2])
        } else if parts.count == 4, parts[0].utf8.contains(UInt8(ascii: ".")), parts.dropFirst().allSatisfy({ !$0.isEmpty }) {
            origin = .registry(host: parts[0], namespace: parts[1], name: parts[2], provider: parts[3])
        } else {
            origin = .other
        }
    }

    /// The organisation that publishes the runner module under this source, when it is one of the
    /// runner module's published names: `philips-labs` or `github-aws-runners`.
    public var runnerModuleOrganisation: String? {
        switch origin {
        case .registry(_, let ns, let name, let provider):
            guard provider == "aws", ["philips-labs", "github-aws-runners"].contains(ns.lowercased()) else { return nil }
            return name == "github-runner" || name == "github-runners" ? ns.lowercased() : nil
        case .git(let url, _):
            let lower = url.lowercased()
            for org in ["philips-labs", "github-aws-runners"] where lower.containsBytes("\(org)/terraform-aws-github-runner") {
                return org
            }
            return nil
        default:
            return nil
        }
    }

    /// The plural `github-runners` registry name appears in the module's docs but is not the
    /// registry name.
    public var usesPluralRegistryName: Bool {
        if case .registry(_, _, "github-runners", _) = origin { return true }
        return false
    }

    public var isRegistry: Bool { if case .registry = origin { true } else { false } }

    public var gitRef: String? { if case .git(_, let ref) = origin { ref } else { nil } }

    public var localPath: String? { if case .local(let p) = origin { p } else { nil } }

    public var kind: RunnerModuleKind {
        if let sub = subdirectory, sub.hasPrefix("modules/") { return RunnerModuleKind(submodule: String(sub.dropFirst("modules/".count))) }
        if let sub = subdirectory, !sub.isEmpty { return .otherSubmodule }
        return .root
    }
}
