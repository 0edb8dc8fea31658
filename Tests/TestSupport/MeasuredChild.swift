import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one child process did: its exit status, what it wrote to standard output, and its own
/// peak resident set size.
public struct MeasuredRun: Sendable {
    /// The exit status, or the negated signal number when a signal ended it.
    public var status: Int32
    public var stdout: Data
    public var peakMB: Int
    public var seconds: Double
}

/// Runs a program in a child process and measures that child alone. Memory bounds must be
/// checked this way: the test process's own peak (`getrusage(RUSAGE_SELF)`) and the children's
/// (`RUSAGE_CHILDREN`) are high-water marks over every test that ran before in the same process,
/// so a bound on them depends on the order the tests ran in. `wait4` returns the rusage of the
/// one child it waited for.
public enum MeasuredChild {
    public static func run(_ executable: URL, _ arguments: [String]) throws -> MeasuredRun {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)

        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, executable.path, &actions, nil, argv, environ)
        close(pipe[1])
        guard spawned == 0 else {
            close(pipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOEXEC)
        }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(pipe[0], &buffer, buffer.count)
            if n > 0 { output.append(contentsOf: buffer[0..<n]) } else if n == 0 || errno != EINTR { break }
        }
        close(pipe[0])
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Date().timeIntervalSince(start)
        let signal = status & 0x7F
        let exit = signal == 0 ? (status >> 8) & 0xFF : -signal
        return MeasuredRun(status: exit, stdout: output, peakMB: Int(usage.ru_maxrss) / 1024, seconds: seconds)
    }
}

extension TestPaths {
    /// A product of this build (`ghr-audit`), next to the test bundle or in `.build/debug`.
    public static func builtProduct(_ name: String) -> URL? {
        var dirs = [packageRoot.appendingPathComponent(".build/debug")]
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") { dirs.insert(bundle.bundleURL.deletingLastPathComponent(), at: 0) }
        return dirs.map { $0.appendingPathComponent(name) }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
