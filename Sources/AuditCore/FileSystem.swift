import Foundation

/// What the audit needs from a file system. Paths are relative to the scan root, `/`-separated;
/// the root itself is "". Implementations never leave the root.
public protocol FileSystem: Sendable {
    /// The bytes of a file, or nil when it does not exist or is not a regular file.
    func read(_ path: String) -> Data?
    /// The entries of a directory (names only), sorted; nil when it is not a directory.
    func list(_ path: String) -> [DirectoryEntry]?
    /// The size in bytes of a regular file, found without reading it (`stat`); nil when it is not
    /// a regular file.
    func size(_ path: String) -> Int?
    /// What tells a directory from every other (device and inode on a real file system), so a walk
    /// enters each once whatever links lead to it; nil when paths already tell them apart.
    func identity(_ path: String) -> FileIdentity?
    /// The absolute path of the scan root on disk, when there is one: `abspath()` and absolute
    /// paths under it given to `file()` resolve against it, as in Terraform.
    var absoluteRoot: String? { get }
    /// The bytes of a regular file of at most `Limits.maxFileSize` bytes, or why not: what the
    /// loader needs in one call (a real file system answers with one `open` and one `fstat`).
    func load(_ path: String) -> FileLoad
}

/// What reading a file for the audit gave.
public enum FileLoad: Sendable {
    case data(Data)
    /// A regular file larger than `Limits.maxFileSize` (its size): never read.
    case tooLarge(Int)
    /// Not there, not a regular file, outside the root, or it could not be read.
    case unreadable
}

extension FileSystem {
    public func load(_ path: String) -> FileLoad {
        if let size = size(path), size > Limits.maxFileSize { return .tooLarge(size) }
        guard let data = read(path) else { return .unreadable }
        return data.count > Limits.maxFileSize ? .tooLarge(data.count) : .data(data)
    }
    public func size(_ path: String) -> Int? { read(path)?.count }
    public func identity(_ path: String) -> FileIdentity? { nil }
    public var absoluteRoot: String? { nil }
}

/// A directory's device and inode.
public struct FileIdentity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}

public struct DirectoryEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case file, directory, symlinkOutside
        /// A symbolic link that cannot be resolved: it leads back to itself (`ELOOP`) or to
        /// nothing. Never followed.
        case linkLoop, danglingLink
        /// Neither a regular file nor a directory (a FIFO, a socket, a device): never read.
        case special
        /// Anything else (an entry gone before it could be examined).
        case other
        /// A name that is not valid UTF-8: it cannot be named in a report, nor opened by the
        /// repaired name it is shown with. Whether it is a folder, when the directory says so.
        case invalidName(directory: Bool)
    }
    public var name: String
    public var kind: Kind
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

public enum Paths {
    /// Joins and normalises `/`-separated relative paths, resolving `.` and `..`. Returns nil when
    /// the result would climb above the root.
    public static func join(_ base: String, _ rel: String) -> String? {
        // Two plain paths (the common case: a folder and a name) join as they are written.
        if isPlain(rel), base.isEmpty || isPlain(base) { return base.isEmpty ? rel : base + "/" + rel }
        return normalisingJoin(base, rel)
    }

    /// `join` without the plain-path shortcut: every component of `rel` read in turn (`base`'s
    /// components are taken as written). Built on the bytes, one component at a time: splitting
    /// into `Substring`s and joining them again cost 8,500 instructions a call (1.3% of a
    /// monorepo's audit, which joins `../modules/...` sources for every root).
    public static func normalisingJoin(_ base: String, _ rel: String) -> String? {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var out: [UInt8] = []
        out.reserveCapacity(base.utf8.count + rel.utf8.count + 1)
        var starts: [Int] = []  // where each component of `out` starts
        // Appends the components of `bytes`; with `interpreting`, `.` is skipped and `..` removes
        // the last component (false when there is none: the path climbs above the root).
        func add(_ bytes: [UInt8], interpreting: Bool) -> Bool {
            var i = 0
            while i < bytes.count {
                if bytes[i] == slash { i += 1; continue }
                var j = i + 1
                while j < bytes.count, bytes[j] != slash { j += 1 }
                if interpreting, bytes[i] == dot, j - i <= 2, j - i == 1 || bytes[i + 1] == dot {
                    if j - i == 2 {
                        guard let last = starts.popLast() else { return false }
                        out.removeSubrange(max(0, last - 1)...)
                    }
                } else {
                    if !out.isEmpty { out.append(slash) }
                    starts.append(out.count)
                    out.append(contentsOf: bytes[i..<j])
                }
                i = j
            }
            return true
        }
        if !rel.hasPrefix("/") { _ = add(Array(base.utf8), interpreting: false) }
        guard add(Array(rel.utf8), interpreting: true) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// `to` expressed relative to `from` (both root-relative directories), as Terraform shows
    /// `path.module` relative to the working directory: `.` for the same directory. A plain `to`
    /// below a plain `from` (a module in its root's own tree) is the rest of its path, read on the
    /// bytes without splitting either.
    public static func relative(from: String, to: String) -> String {
        if from.utf8.elementsEqual(to.utf8) { return "." }
        if isPlain(to), from.isEmpty || isPlain(from) {
            if from.isEmpty { return to }
            let f = from.utf8, t = to.utf8
            if t.count > f.count, t.starts(with: f), t[t.index(t.startIndex, offsetBy: f.count)] == UInt8(ascii: "/") {
                return String(to.utf8.dropFirst(f.count + 1))!
            }
        }
        return componentRelative(from: from, to: to)
    }

    /// `relative` by components: the common prefix, a `..` for each of `from`'s other components.
    static func componentRelative(from: String, to: String) -> String {
        let a = from.splitBytes(UInt8(ascii: "/")), b = to.splitBytes(UInt8(ascii: "/"))
        var common = 0
        while common < a.count, common < b.count, a[common].utf8.elementsEqual(b[common].utf8) { common += 1 }
        let ups = Array(repeating: "..", count: a.count - common)
        let rest = b[common...].map(String.init)
        let parts = ups + rest
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// Whether `path` is relative, not empty, and has no empty, `.` or `..` component: it then
    /// names what it says, with nothing to normalise.
    public static func isPlain(_ path: String) -> Bool {
        var componentLength = 0, dots = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                if componentLength == 0 || componentLength == dots && dots <= 2 { return false }
                componentLength = 0
                dots = 0
            } else {
                componentLength += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return componentLength > 0 && !(componentLength == dots && dots <= 2)
    }

    /// Everything before the last `/` (empty when there is none). Split on the byte, as the file
    /// system splits: searching the `Character`s walked grapheme boundaries backwards from the end
    /// (3,600 instructions a call, 2% of a monorepo's audit), and a combining mark written after a
    /// `/` hid that slash from it.
    public static func directory(of path: String) -> String {
        let utf8 = path.utf8
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(path[..<slash])
    }

    /// Everything after the last `/` (the whole path when there is none), split on the byte.
    public static func fileName(of path: String) -> String {
        let utf8 = path.utf8
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[utf8.index(after: slash)...])
    }
}

/// The real file system below `root`. Symbolic links are followed only when they resolve inside
/// the root.
public struct LocalFileSystem: FileSystem {
    public let root: URL
    /// What each folder resolves to (inside the root or not), so a file's check resolves only its
    /// own name: resolving every component of every path was a tenth of a monorepo's audit.
    private let folders = FolderResolutions()

    /// `root`'s path, and that path with a trailing `/` (what every path below it starts with).
    private let rootPath: String
    private let rootPrefix: String

    public init(root: URL) {
        self.root = root.standardizedFileURL.resolvingSymlinksInPath()
        rootPath = self.root.path
        rootPrefix = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
    }

    /// The absolute path of a relative one (string concatenation: building a `URL` for every
    /// path was a sixteenth of a monorepo's audit).
    private func absolute(_ path: String) -> String {
        path.isEmpty ? rootPath : rootPrefix + path
    }

    /// Whether an absolute path resolves (every symbolic link along it) inside the root.
    private func resolvesInside(_ absolutePath: String) -> Bool {
        let resolved = URL(fileURLWithPath: absolutePath).resolvingSymlinksInPath().path
        return resolved == rootPath || resolved.hasPrefix(rootPrefix)
    }

    /// Whether the folder of the plain relative `path` resolves inside the root (remembered).
    private func folderIsInside(_ path: String) -> Bool {
        resolvedInside(folder: Paths.directory(of: path))
    }

    /// Whether the plain relative `folder` resolves inside the root (remembered): inside when its
    /// parent is and its own name is not a symbolic link (one `lstat`), a link being resolved in
    /// full. Resolving every component of every folder afresh was seven `stat`s a folder and most
    /// of the walk of a monorepo.
    private func resolvedInside(folder: String) -> Bool {
        if folder.isEmpty { return true }
        if let known = folders.answer(folder) { return known }
        var inside = resolvedInside(folder: Paths.directory(of: folder))
        if inside {
            let full = absolute(folder)
            var st = stat()
            // A name that is not there resolves to itself, inside a folder that is inside.
            if lstat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK { inside = resolvesInside(full) }
        }
        folders.remember(folder, inside: inside)
        return inside
    }

    /// Whether the relative `path` resolves inside the root: its folder's answer (remembered),
    /// then its last component with `lstat` (a symbolic link is resolved in full). Paths with
    /// `.`, `..` or empty components take the full resolution.
    private func isInside(_ path: String) -> Bool {
        if path.isEmpty { return true }
        guard Paths.isPlain(path) else { return resolvesInside(absolute(path)) }
        guard folderIsInside(path) else { return false }
        var st = stat()
        // A name that is not there resolves to itself, inside a folder that is inside.
        let full = absolute(path)
        guard lstat(full, &st) == 0 else { return true }
        return (st.st_mode & S_IFMT) == S_IFLNK ? resolvesInside(full) : true
    }

    /// Opens `path` for reading if it resolves inside the root. A plain path in a folder that is
    /// inside is opened without following a link in its last name (`O_NOFOLLOW`): a regular file
    /// needs no `lstat` first, and a link (`ELOOP`) is resolved in full before it is opened.
    private func openInside(_ path: String) -> Int32? {
        let flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC
        let full = absolute(path)
        if !path.isEmpty, Paths.isPlain(path) {
            guard folderIsInside(path) else { return nil }
            let fd = open(full, flags | O_NOFOLLOW)
            if fd >= 0 { return fd }
            guard errno == ELOOP, resolvesInside(full) else { return nil }
        } else if !resolvesInside(full) {
            return nil
        }
        let fd = open(full, flags)
        return fd >= 0 ? fd : nil
    }

    /// Reads a regular file of at most `Limits.maxFileSize` bytes. The size and type are checked on
    /// the open descriptor before reading (a sparse 3 GB file or a FIFO is never read), and no more
    /// than the limit is read even if the file grows meanwhile.
    public func read(_ path: String) -> Data? {
        guard case .data(let data) = load(path) else { return nil }
        return data
    }

    public func load(_ path: String) -> FileLoad {
        guard let fd = openInside(path) else { return .unreadable }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return .unreadable }
        guard Int(st.st_size) <= Limits.maxFileSize else { return .tooLarge(Int(st.st_size)) }
        var data = Data(count: Int(st.st_size))
        var total = 0
        let capacity = data.count
        let ok = data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) -> Bool in
            while total < capacity {
                let n = Foundation.read(fd, buffer.baseAddress! + total, capacity - total)
                if n < 0 { if errno == EINTR { continue }; return false }
                if n == 0 { break }
                total += n
            }
            return true
        }
        guard ok else { return .unreadable }
        if total < capacity { data.count = total }
        return .data(data)
    }

    public var absoluteRoot: String? { rootPath }

    public func size(_ path: String) -> Int? {
        guard isInside(path) else { return nil }
        var st = stat()
        guard stat(absolute(path), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    public func identity(_ path: String) -> FileIdentity? {
        var st = stat()
        guard stat(absolute(path), &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    public func list(_ path: String) -> [DirectoryEntry]? {
        let folder = absolute(path)
        let inside = path.isEmpty || (Paths.isPlain(path) ? resolvedInside(folder: path) : resolvesInside(folder))
        guard inside, let listed = Self.entries(of: folder) else { return nil }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return listed.sorted { $0.name < $1.name }.map { name, type in
            if name.unicodeScalars.contains("\u{FFFD}"), !name.isEmpty, Self.nameIsRepaired(name, in: folder) {
                return DirectoryEntry(name: name, kind: .invalidName(directory: type == UInt8(DT_DIR)))
            }
            // The type the directory itself gives (`d_type`) spares a `stat` of every regular file
            // and folder; a link, or a file system that does not say, is examined.
            switch type {
            case UInt8(DT_REG): return DirectoryEntry(name: name, kind: .file)
            case UInt8(DT_DIR): return DirectoryEntry(name: name, kind: .directory)
            case UInt8(DT_FIFO), UInt8(DT_SOCK), UInt8(DT_CHR), UInt8(DT_BLK): return DirectoryEntry(name: name, kind: .special)
            default: break
            }
            let child = prefix + name
            var st = stat()
            guard lstat(child, &st) == 0 else { return DirectoryEntry(name: name, kind: .other) }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                guard resolvesInside(child) else { return DirectoryEntry(name: name, kind: .symlinkOutside) }
                guard stat(child, &st) == 0 else { return DirectoryEntry(name: name, kind: errno == ELOOP ? .linkLoop : .danglingLink) }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: return DirectoryEntry(name: name, kind: .directory)
                case S_IFREG: return DirectoryEntry(name: name, kind: .file)
                default: return DirectoryEntry(name: name, kind: .special)
                }
            case S_IFDIR: return DirectoryEntry(name: name, kind: .directory)
            case S_IFREG: return DirectoryEntry(name: name, kind: .file)
            default: return DirectoryEntry(name: name, kind: .special)
            }
        }
    }
}

extension LocalFileSystem {
    /// Whether `name` (holding U+FFFD) is not what the directory holds: the bytes there were not
    /// valid UTF-8 and were repaired when decoded, so no entry of that exact name exists.
    static func nameIsRepaired(_ name: String, in folder: String) -> Bool {
        var st = stat()
        return lstat((folder.hasSuffix("/") ? folder : folder + "/") + name, &st) != 0
    }

    /// The names in a directory (without `.` and `..`) with the type each entry's `d_type` gives
    /// (`DT_UNKNOWN` when the file system does not say); nil when it cannot be opened.
    static func entries(of folder: String) -> [(name: String, type: UInt8)]? {
        guard let dir = opendir(folder) else { return nil }
        defer { closedir(dir) }
        var out: [(name: String, type: UInt8)] = []
        while let entry = readdir(dir) {
            let type = entry.pointee.d_type
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> String in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(decoding: bytes, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            out.append((name, type))
        }
        return out
    }
}

/// The folders a `LocalFileSystem` has resolved, shared by the threads that read through it.
private final class FolderResolutions: @unchecked Sendable {
    private let lock = NSLock()
    private var inside: [String: Bool] = [:]

    func answer(_ folder: String) -> Bool? {
        lock.lock()
        defer { lock.unlock() }
        return inside[folder]
    }

    func remember(_ folder: String, inside value: Bool) {
        lock.lock()
        inside[folder] = value
        lock.unlock()
    }
}

/// An in-memory file tree for tests: a map from relative path to contents.
public struct MemoryFileSystem: FileSystem {
    public var files: [String: Data]

    public init(_ files: [String: String]) {
        self.files = files.mapValues { Data($0.utf8) }
    }

    public init(data: [String: Data]) { self.files = data }

    public func read(_ path: String) -> Data? { files[path] }

    public func list(_ path: String) -> [DirectoryEntry]? {
        let prefix = path.isEmpty ? "" : path + "/"
        var entries: [String: DirectoryEntry.Kind] = [:]
        for key in files.keys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") {
                entries[String(rest[..<slash])] = .directory
            } else {
                entries[String(rest)] = .file
            }
        }
        if entries.isEmpty && !path.isEmpty { return nil }
        return entries.keys.sorted().map { DirectoryEntry(name: $0, kind: entries[$0]!) }
    }
}
