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
/// so a bound on them depends on the order the tests ran in.
///
/// A child spawned straight from the test process is no better: `posix_spawn` starts it with
/// `CLONE_VM | CLONE_VFORK`, and at `execve` Linux records the high-water RSS of the address space
/// it leaves (`exec_mmap` → `setmax_mm_hiwater_rss`), which is the test process's own, gigabytes
/// after the hostile-input tests. So the program is started by a small launcher (python3, a few
/// MB) that forks it (a fresh process whose peak starts from the launcher's size) and reports
/// the `wait4` rusage of that one child. Without python3 the program is spawned directly and the
/// peak is an upper bound (it may include the test process's).
public enum MeasuredChild {
    static let launcher = """
        import os, sys
        pid = os.fork()
        if pid == 0:
            try:
                null = os.open("/dev/null", os.O_WRONLY)
                os.dup2(null, 2)
                os.execv(sys.argv[1], sys.argv[1:])
            finally:
                os._exit(127)
        while True:
            try:
                _, status, usage = os.wait4(pid, 0)
                break
            except InterruptedError:
                continue
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        os.write(2, ("%d %d\\n" % (code, usage.ru_maxrss)).encode())
        """

    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    public static func run(_ executable: URL, _ arguments: [String]) throws -> MeasuredRun {
        var out: [Int32] = [0, 0], report: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&report) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, report[1], STDERR_FILENO)
        for fd in [out[0], out[1], report[0], report[1]] { posix_spawn_file_actions_addclose(&actions, fd) }

        let program = python ?? executable.path
        let args = python.map { [$0, "-c", launcher, executable.path] } ?? [executable.path]
        let argv = (args + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        close(out[1]); close(report[1])
        guard spawned == 0 else {
            close(out[0]); close(report[0])
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOEXEC)
        }
        // The launcher writes one short line to the report pipe, at the end: read stdout first.
        let output = drain(out[0])
        let reported = String(decoding: drain(report[0]), as: UTF8.self)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Date().timeIntervalSince(start)
        if python != nil {
            let fields = reported.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            guard fields.count == 2 else { throw POSIXError(.EPROTO) }
            return MeasuredRun(status: Int32(fields[0]), stdout: output, peakMB: fields[1] / 1024, seconds: seconds)
        }
        let signal = status & 0x7F
        let exit = signal == 0 ? (status >> 8) & 0xFF : -signal
        return MeasuredRun(status: exit, stdout: output, peakMB: Int(usage.ru_maxrss) / 1024, seconds: seconds)
    }

    private static func drain(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { data.append(contentsOf: buffer[0..<n]) } else if n == 0 || errno != EINTR { break }
        }
        close(fd)
        return data
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
