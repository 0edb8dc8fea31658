import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which shell `/bin/sh` is inside the sandbox: bash (Amazon Linux) or dash (Ubuntu, Debian).
public enum RehearsalShell: String, Sendable, Hashable, CaseIterable, Codable {
    case bash, dash
}

/// One script run in the sandbox and what it left behind.
public struct SandboxResult: Sendable {
    public var events: [TraceEvent]
    /// The script's output (standard output and error), the last lines, fake secrets redacted.
    public var output: String
    public var timedOut: Bool
    public var seconds: Double
}

/// Runs a start script in bubblewrap: the host file system read-only, private `/tmp`, `/var/log`,
/// `/opt/actions-runner`, `/home` and `/root`, every namespace unshared (no network), all
/// capabilities dropped, a process limit and a timeout; the stubs (the `ghr-audit` binary under
/// other names) bound over the commands a boot touches and first on `PATH`.
public struct Sandbox: Sendable {
    /// The `ghr-audit` binary that plays the stubs.
    public var stubExecutable: String
    public var timeout: Double
    /// Processes the sandbox may start (beyond those its user already has).
    public var processLimit = 128

    public init(stubExecutable: String, timeout: Double = 20) {
        self.stubExecutable = stubExecutable
        self.timeout = timeout
    }

    static let inside = "/run/ghr-rehearsal"
    static let hostTools = "/run/ghr-host"
    /// The unprivileged user a root caller runs the sandbox as (so the process limit applies).
    static let nobody: UInt32 = 65534

    // MARK: Availability

    /// Why rehearsal cannot run on this machine, or nil when it can.
    public static func unavailableReason() -> String? { availability }

    private static let availability: String? = {
        guard let bwrap = which("bwrap") else { return "bubblewrap (`bwrap`) is not installed (apt-get install bubblewrap)" }
        guard which("prlimit") != nil else { return "`prlimit` (util-linux) is not installed; it sets the sandbox's process limit" }
        if getuid() == 0, which("setpriv") == nil { return "`setpriv` (util-linux) is not installed; root runs the sandbox as nobody with it" }
        let probe = launcher(limit: 64) + [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
        let (status, err) = runQuietly(probe)
        if status != 0 {
            let why = err.trimmingCharacters(in: .whitespacesAndNewlines)
            return "bubblewrap cannot create a sandbox here (\(why.isEmpty ? "exit status \(status)" : why)); user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces) or blocked by the container"
        }
        return nil
    }()

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
            let p = "\(dir)/\(tool)"
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    /// `prlimit` (and, for root, `setpriv` to nobody) in front of bwrap.
    static func launcher(limit: Int) -> [String] {
        let uid = getuid() == 0 ? nobody : getuid()
        let nproc = processCount(uid: uid) + limit
        var l = [which("prlimit") ?? "prlimit", "--nproc=\(nproc):\(nproc)", "--"]
        if getuid() == 0 {
            l += [which("setpriv") ?? "setpriv", "--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", "--inh-caps=-all"]
        }
        return l
    }

    /// Processes `uid` owns now (RLIMIT_NPROC counts them all).
    static func processCount(uid: UInt32) -> Int {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        var n = 0
        for pid in pids {
            guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = s.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { continue }
            if line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first == Substring("\(uid)") { n += 1 }
        }
        return n
    }

    static func runQuietly(_ argv: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return (127, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data.prefix(2000), as: UTF8.self))
    }

    // MARK: Running

    public enum Failure: Error, CustomStringConvertible {
        case unavailable(String)
        case setup(String)
        public var description: String {
            switch self {
            case .unavailable(let s): "rehearsal is not available: \(s)"
            case .setup(let s): "the sandbox could not be prepared: \(s)"
            }
        }
    }

    /// Runs `script` (the rendered text) as `name`, with `siblings` (files next to it, by name)
    /// beside it, in `world`, with `/bin/sh` as `shell`.
    public func run(script: String, name: String, siblings: [String: Data] = [:], world: RehearsalWorld, shell: RehearsalShell) throws -> SandboxResult {
        if let why = Self.unavailableReason() { throw Failure.unavailable(why) }
        let fm = FileManager.default
        var template = Array((NSTemporaryDirectory() + "/ghr-rehearsal-XXXXXX").utf8CString)
        guard let dirPtr = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw Failure.setup("mkdtemp failed") }
        let work = String(cString: dirPtr)
        defer { try? fm.removeItem(atPath: work) }
        let scriptName = name.isEmpty || name.contains("/") ? "start-runner.sh" : name
        do {
            for d in ["bin", "runner", "src", "trace"] { try fm.createDirectory(atPath: "\(work)/\(d)", withIntermediateDirectories: true) }
            let stub = "\(Self.inside)/ghr-audit"
            for n in RehearsalStub.systemNames + [RehearsalStub.initName] { try fm.createSymbolicLink(atPath: "\(work)/bin/\(n)", withDestinationPath: stub) }
            for n in RehearsalStub.runnerNames { try fm.createSymbolicLink(atPath: "\(work)/runner/\(n)", withDestinationPath: stub) }
            for (n, data) in siblings where !n.contains("/") && n != scriptName && !n.hasPrefix(".") {
                fm.createFile(atPath: "\(work)/src/\(n)", contents: data, attributes: [.posixPermissions: 0o755])
            }
            fm.createFile(atPath: "\(work)/src/\(scriptName)", contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
            try JSONEncoder().encode(world).write(to: URL(fileURLWithPath: "\(work)/world.json"))
            chmod(work, 0o755)
            if getuid() == 0 {
                for d: String in ["runner", "trace"] {
                    chown("\(work)/\(d)", Self.nobody, Self.nobody)
                    for n in (try? fm.contentsOfDirectory(atPath: "\(work)/\(d)")) ?? [] { lchown("\(work)/\(d)/\(n)", Self.nobody, Self.nobody) }
                }
            }
        } catch {
            throw Failure.setup("\(error)")
        }
        let shellCandidates: [String] = ["/usr/bin/\(shell.rawValue)", "/bin/\(shell.rawValue)"]
        guard let shellPath = shellCandidates.first(where: { access($0, X_OK) == 0 }) else {
            throw Failure.unavailable("`\(shell.rawValue)` is not installed; it plays /bin/sh (apt-get install \(shell.rawValue))")
        }
        let args = bwrapArguments(work: work, scriptName: scriptName, shell: URL(fileURLWithPath: shellPath).resolvingSymlinksInPath().path)
        let argv = Self.launcher(limit: processLimit) + [Self.which("bwrap") ?? "bwrap"] + args

        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        let errPipe = Pipe()
        p.standardError = errPipe
        let start = Date()
        do { try p.run() } catch { throw Failure.setup("bwrap could not be started: \(error)") }
        var timedOut = false
        while p.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                kill(p.processIdentifier, SIGKILL)
                break
            }
            usleep(10_000)
        }
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        let bwrapErr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile().prefix(4000), as: UTF8.self)
        let events = TraceFile.read(fm.contents(atPath: "\(work)/trace/trace.jsonl") ?? Data())
        if events.isEmpty && !timedOut && p.terminationStatus != 0 {
            throw Failure.setup("bwrap failed (status \(p.terminationStatus)): \(bwrapErr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let log = fm.contents(atPath: "\(work)/trace/output.log") ?? Data()
        let tail = String(decoding: log.suffix(16_384), as: UTF8.self)
        return SandboxResult(events: events, output: FakeSecrets.redact(tail), timedOut: timedOut, seconds: seconds)
    }

    /// The bubblewrap command line (without the launcher).
    func bwrapArguments(work: String, scriptName: String, shell: String) -> [String] {
        let fm = FileManager.default
        let stub = "\(Self.inside)/ghr-audit"
        var a = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--uid", "0", "--gid", "0",
                 "--hostname", "ip-10-0-0-12",
                 "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                 "--tmpfs", "/tmp", "--tmpfs", "/var/log", "--tmpfs", "/home", "--tmpfs", "/root", "--tmpfs", "/run",
                 "--dir", Self.inside,
                 "--ro-bind", stubExecutable, stub,
                 "--ro-bind", "\(work)/bin", "\(Self.inside)/bin",
                 "--ro-bind", "\(work)/src", "\(Self.inside)/src",
                 "--ro-bind", "\(work)/world.json", "\(Self.inside)/world.json",
                 "--bind", "\(work)/trace", "\(Self.inside)/trace"]
        // /opt: private, with the host's entries (a toolchain may live there) read-only, the runner
        // folder writable, and the CloudWatch agent's control script a stub.
        a += ["--tmpfs", "/opt"]
        for entry in ((try? fm.contentsOfDirectory(atPath: "/opt")) ?? []).sorted() where entry != "actions-runner" && entry != "aws" {
            a += ["--ro-bind", "/opt/\(entry)", "/opt/\(entry)"]
        }
        a += ["--bind", "\(work)/runner", "/opt/actions-runner",
              "--dir", "/opt/aws/amazon-cloudwatch-agent/bin",
              "--ro-bind", stubExecutable, "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"]
        // Command folders: the host's commands as symbolic links, the stubs over their names, and
        // `sh` pointing to the chosen shell.
        let stubs = Set(RehearsalStub.systemNames)
        var n = 0
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"] {
            var isDir: ObjCBool = false
            guard let attrs = try? fm.attributesOfItem(atPath: dir), attrs[.type] as? FileAttributeType == .typeDirectory,
                  fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { continue }
            let host = "\(Self.hostTools)/\(n)"
            n += 1
            a += ["--ro-bind", dir, host, "--tmpfs", dir]
            let entries = Set((try? fm.contentsOfDirectory(atPath: dir)) ?? [])
            for e in entries.sorted() where !stubs.contains(e) && e != "sh" && !e.contains("\n") {
                a += ["--symlink", "\(host)/\(e)", "\(dir)/\(e)"]
            }
            for s in stubs.sorted() { a += ["--symlink", stub, "\(dir)/\(s)"] }
            if entries.contains("sh") || dir == "/usr/bin" || dir == "/bin" { a += ["--symlink", shell, "\(dir)/sh"] }
        }
        a += ["--clearenv",
              "--setenv", "PATH", "\(Self.inside)/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "--setenv", "HOME", "/root", "--setenv", "LANG", "C.UTF-8", "--setenv", "TERM", "dumb",
              "--setenv", RehearsalStub.environmentKey, Self.inside,
              "--chdir", "/",
              "\(Self.inside)/bin/\(RehearsalStub.initName)", "\(Self.inside)/src/\(scriptName)"]
        return a
    }
}
