import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The commands a boot touches, played by the `ghr-audit` binary itself inside the sandbox: started
/// under another name (`curl`, `aws`, `config.sh`, …) with `GHR_REHEARSAL` set, it answers as that
/// command would on an EC2 instance, from the fake world of the run, and records the call as one
/// JSON line. Calls it does not model are recorded as `unmodelled`.
public enum RehearsalStub {
    /// The environment variable naming the sandbox's rehearsal folder (set only inside the sandbox).
    public static let environmentKey = "GHR_REHEARSAL"
    public static let userKey = "GHR_REHEARSAL_USER"
    /// The name the sandbox starts the script under.
    public static let initName = "ghr-rehearsal-init"

    public static let runnerNames: Set<String> = ["config.sh", "run.sh", "svc.sh", "config.cmd", "run.cmd"]
    /// Commands bound over their absolute paths and first on PATH.
    public static let systemNames: [String] = [
        "curl", "wget", "aws", "sudo", "su", "systemctl", "service", "yum", "dnf", "apt-get", "apt", "amazon-linux-extras",
        "logger", "shutdown", "reboot", "poweroff", "halt", "sleep", "amazon-cloudwatch-agent-ctl", "chown", "useradd",
        "adduser", "usermod", "groupadd", "ec2-metadata"]

    /// The stub a process started as `argv0` plays, when it runs inside a rehearsal.
    public static func name(forArgv0 argv0: String, environment: [String: String]) -> String? {
        guard environment[environmentKey] != nil else { return nil }
        let base = (argv0 as NSString).lastPathComponent
        if base == initName || runnerNames.contains(base) || systemNames.contains(base) { return base }
        return nil
    }

    /// Runs the stub `name` with `args`; returns the exit status.
    public static func main(name: String, args: [String], argv0: String) -> Int32 {
        var stub = StubProcess(name: name, args: args, argv0: argv0)
        return stub.run()
    }
}

struct StubProcess {
    let name: String
    let args: [String]
    let argv0: String
    let env = ProcessInfo.processInfo.environment
    var root: String { env[RehearsalStub.environmentKey] ?? "/run/ghr-rehearsal" }
    var user: String { env[RehearsalStub.userKey] ?? "root" }

    init(name: String, args: [String], argv0: String) {
        self.name = name
        self.args = args
        self.argv0 = argv0
    }

    func loadWorld() -> RehearsalWorld? {
        guard let d = FileManager.default.contents(atPath: root + "/world.json") else { return nil }
        return try? JSONDecoder().decode(RehearsalWorld.self, from: d)
    }

    func record(_ outcome: TraceEvent.Outcome, _ detail: String? = nil, tool: String? = nil, args: [String]? = nil, status: Int32? = nil) {
        let e = TraceEvent(tool: tool ?? name, args: args ?? self.args, user: user, outcome: outcome, detail: detail, status: status)
        guard var line = try? JSONEncoder().encode(e) else { return }
        line.append(UInt8(ascii: "\n"))
        let fd = open(root + "/trace/trace.jsonl", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func out(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
    func err(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    mutating func run() -> Int32 {
        switch name {
        case RehearsalStub.initName: return runInit()
        case "config.sh": return configSh()
        case "run.sh": return runSh()
        case "svc.sh": return svcSh()
        case "config.cmd", "run.cmd":
            record(.unmodelled, "a Windows runner command; rehearsal runs Linux start scripts only")
            err("\(name): not a Linux command\n")
            return 127
        case "curl", "wget": return http()
        case "ec2-metadata":
            record(.unmodelled, "ec2-metadata is not modelled; use curl against the instance metadata service")
            return 1
        case "aws": return aws()
        case "sudo": return sudo()
        case "su": return su()
        case "shutdown", "reboot", "poweroff", "halt":
            record(.terminated, "the instance shuts down")
            return 0
        case "logger":
            record(.ok)
            // Without a message, logger logs its standard input line by line until it ends: read it
            // all, or the writer (`exec > >(tee … | logger …)`) dies of SIGPIPE.
            if Self.loggerMessage(args) == nil { _ = FileHandle.standardInput.readDataToEndOfFile() }
            return 0
        case "sleep", "systemctl", "service", "yum", "dnf", "apt-get", "apt", "amazon-linux-extras",
             "amazon-cloudwatch-agent-ctl", "chown", "useradd", "adduser", "usermod", "groupadd":
            record(.ok)
            return 0
        default:
            record(.unmodelled, "no stub for `\(name)`")
            return 127
        }
    }

    /// The message words of a `logger` call (nil when it logs its standard input).
    static func loggerMessage(_ args: [String]) -> [String]? {
        let withValue: Set<String> = ["-t", "--tag", "-p", "--priority", "-f", "--file", "-n", "--server", "-P", "--port", "-u", "--socket",
                                      "--id", "--msgid", "--sd-id", "--sd-param", "--socket-errors", "-S", "--size"]
        var i = 0
        var words: [String] = []
        while i < args.count {
            let a = args[i]
            if a == "--" { words += args[(i + 1)...]; break }
            if a.hasPrefix("-") && a.count > 1 {
                if withValue.contains(a) { i += 1 }
                if a == "-f" || a == "--file" { return ["(from a file)"] }
            } else {
                words.append(a)
            }
            i += 1
        }
        return words.isEmpty ? nil : words
    }

    // MARK: The script runner inside the sandbox

    /// Starts the script, records its exit, then waits until every process it left (a runner
    /// started in the background) has ended.
    func runInit() -> Int32 {
        guard let script = args.first else { return 2 }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = []
        p.currentDirectoryURL = URL(fileURLWithPath: "/")
        let log = root + "/trace/output.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let h = FileHandle(forWritingAtPath: log)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        var env = env
        env.removeValue(forKey: RehearsalStub.userKey)
        p.environment = env
        do { try p.run() } catch {
            record(.exited, "the script could not be started: \(error)", tool: "script", args: [], status: 126)
            return 126
        }
        p.waitUntilExit()
        record(.exited, nil, tool: "script", args: [], status: p.terminationStatus)
        // What the script logged under /var/log (a boot script often sends its output there).
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: "/var/log")) ?? []).sorted() {
            guard let data = FileManager.default.contents(atPath: "/var/log/" + name), !data.isEmpty else { continue }
            h?.write(Data("==> /var/log/\(name) <==\n".utf8))
            h?.write(data.suffix(16_384))
        }
        // Background processes (a runner started with nohup) run to their end.
        let me = getpid()
        while true {
            let others = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init).filter { pid in
                guard pid != 1, pid != me else { return false }
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return false }
                let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
                return state != "Z" && state != "X"
            } ?? []
            if others.isEmpty { break }
            usleep(20_000)
        }
        return p.terminationStatus
    }

    // MARK: Runner stubs (actions/runner's argument handling)

    var runnerDirectory: String {
        let cwd = FileManager.default.currentDirectoryPath
        guard argv0.contains("/") else { return cwd }
        let dir = (argv0 as NSString).deletingLastPathComponent
        return dir.hasPrefix("/") ? dir : (cwd as NSString).appendingPathComponent(dir)
    }

    var runnerConfigured: Bool { FileManager.default.fileExists(atPath: runnerDirectory + "/.runner") }

    func reject(_ message: String, status: Int32 = 1) -> Int32 {
        record(.rejected, message)
        err(message + "\n")
        return status
    }

    func configSh() -> Int32 {
        if args.first == "remove" {
            try? FileManager.default.removeItem(atPath: runnerDirectory + "/.runner")
            try? FileManager.default.removeItem(atPath: runnerDirectory + "/.credentials")
            record(.ok, "runner configuration removed")
            return 0
        }
        if user == "root", (env["RUNNER_ALLOW_RUNASROOT"] ?? "").isEmpty { return reject("Must not run with sudo") }
        let cl = RunnerCommandLine(args)
        let unknown = cl.unrecognized(validFlags: RunnerCommandLine.configureFlags, validArgs: RunnerCommandLine.configureArgs)
        if !unknown.isEmpty { return reject(RunnerCommandLine.unrecognizedMessage(unknown, command: "configure")) }
        if runnerConfigured {
            return reject("Cannot configure the runner because it is already configured. To reconfigure the runner, run 'config.cmd remove' or './config.sh remove' first.")
        }
        guard cl.has("unattended") else {
            record(.unmodelled, "config.sh without --unattended prompts for its settings")
            return 1
        }
        let ignored = cl.dropped.isEmpty ? "" : " (\(cl.dropped.count) bare value\(cl.dropped.count == 1 ? "" : "s") ignored)"
        guard let url = cl.value("url"), url.hasPrefix("https://") || url.hasPrefix("http://") else {
            return reject("Invalid configuration provided for url. Terminating unattended configuration." + ignored)
        }
        guard let token = cl.value("token") ?? cl.value("pat") else {
            return reject("Invalid configuration provided for token. Terminating unattended configuration." + ignored)
        }
        guard token == FakeSecrets.token else {
            return reject("Http response code: NotFound from 'POST https://api.github.com/actions/runner-registration' (the token is not the registration token the lambda stored)")
        }
        let name = cl.value("name") ?? "rehearsal"
        let ephemeral = cl.has("ephemeral")
        let runner = #"{"agentId":4712,"agentName":"\#(name)","ephemeral":\#(ephemeral)}"#
        FileManager.default.createFile(atPath: runnerDirectory + "/.runner", contents: Data(runner.utf8))
        FileManager.default.createFile(atPath: runnerDirectory + "/.credentials", contents: Data("{}".utf8))
        record(.configured, "registered at \(url) as \(name)\(ephemeral ? ", ephemeral" : "")\(ignored)")
        out("√ Runner successfully added\n√ Runner connection is good\n")
        return 0
    }

    func runSh() -> Int32 {
        let cl = RunnerCommandLine(args)
        let unknown = cl.unrecognized(validFlags: RunnerCommandLine.runFlags, validArgs: RunnerCommandLine.runArgs)
        if !unknown.isEmpty {
            let message = RunnerCommandLine.unrecognizedMessage(unknown, command: "run")
            record(.rejected, message)
            err(message + "\nAn error occurred: Not configured. Run config.(sh/cmd) to configure the runner.\n"
                + "Runner listener exit with terminated error, stop the service, no retry needed.\nExiting runner...\n")
            return 1
        }
        if let jit = cl.value("jitconfig") {
            guard let data = Data(base64Encoded: jit),
                  let files = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], files[".runner"] != nil else {
                return reject("The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.")
            }
            record(.started, "with a JIT configuration")
            out("√ Connected to GitHub\nListening for Jobs\n")
            return 0
        }
        guard runnerConfigured else {
            return reject("An error occurred: Not configured. Run config.(sh/cmd) to configure the runner.")
        }
        record(.started, "with the registered configuration")
        out("√ Connected to GitHub\nListening for Jobs\n")
        return 0
    }

    func svcSh() -> Int32 {
        let service = runnerDirectory + "/.service"
        switch args.first {
        case "install":
            guard user == "root" else { return reject("Must run as sudo") }
            guard runnerConfigured else { return reject("Runner is not configured: run config.sh before installing the service") }
            FileManager.default.createFile(atPath: service, contents: Data("actions.runner.rehearsal.service".utf8))
            record(.serviceInstalled, "installed as a service\(args.count > 1 ? " running as \(args[1])" : "")")
            return 0
        case "start":
            guard user == "root" else { return reject("Must run as sudo") }
            guard FileManager.default.fileExists(atPath: service) else { return reject("The runner service is not installed: run svc.sh install first") }
            record(.serviceStarted, "the runner service starts the configured runner")
            return 0
        case "stop", "status", "uninstall":
            record(.ok)
            return 0
        default:
            record(.unmodelled, "svc.sh \(args.first ?? "") is not modelled")
            return 1
        }
    }

    // MARK: Instance metadata and the network

    func http() -> Int32 {
        var url: String?, output: String?, method = "GET", headers: [String] = [], fail = false, quietWget = false
        let withValue: Set<String> = ["-o", "--output", "-X", "--request", "-H", "--header", "--retry", "--retry-delay", "--retry-max-time",
                                      "--connect-timeout", "-m", "--max-time", "-w", "--write-out", "-d", "--data", "-u", "--user", "-A",
                                      "--user-agent", "-e", "-T", "-x", "--proxy", "--url", "-O", "--output-document", "--tries", "-t",
                                      "--timeout", "-T", "--wait", "--method"]
        var i = 0
        while i < args.count {
            var a = args[i]
            var value: String?
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                value = String(a[a.index(after: eq)...]); a = String(a[..<eq])
            }
            if withValue.contains(a) {
                if value == nil { i += 1; value = i < args.count ? args[i] : "" }
                switch a {
                case "-o", "--output": output = value
                case "-O", "--output-document": if name == "wget" { output = value } else { output = nil }
                case "-X", "--request", "--method": method = value ?? "GET"
                case "-H", "--header": headers.append(value ?? "")
                case "--url": url = value
                default: break
                }
            } else if a.hasPrefix("-") {
                if name == "curl", !a.hasPrefix("--"), a.contains("f") { fail = true }
                if a == "--fail" { fail = true }
                if name == "wget", a == "-q" { quietWget = true }
                if name == "wget", a.hasPrefix("--header") { headers.append(value ?? "") }
            } else {
                url = a
            }
            i += 1
        }
        _ = quietWget
        if name == "wget" { fail = true }
        guard let url, let parsed = URLComponents(string: url), let host = parsed.host else {
            record(.unmodelled, "no URL")
            return 2
        }
        guard host == "169.254.169.254" || host == "fd00:ec2::254" || host == "[fd00:ec2::254]" || host == "instance-data" else {
            record(.network, "no network in the sandbox: \(url)")
            err(name == "curl" ? "curl: (6) Could not resolve host: \(host)\n" : "wget: unable to resolve host address '\(host)'\n")
            return name == "curl" ? 6 : 4
        }
        guard let world = loadWorld() else { record(.unmodelled, "the rehearsal world is missing"); return 2 }
        let path = parsed.path
        let hasToken = headers.contains { $0.lowercased().hasPrefix("x-aws-ec2-metadata-token:") }
        func respond(_ body: String?, code: Int = 200) -> Int32 {
            guard code == 200, let body else {
                record(.ok, "HTTP \(code) for \(path)")
                if fail { err(name == "curl" ? "curl: (22) The requested URL returned error: \(code)\n" : "ERROR \(code)\n"); return name == "curl" ? 22 : 8 }
                emit(code == 401 ? "401 - Unauthorized" : "404 - Not Found")
                return 0
            }
            record(.ok, path)
            emit(body)
            return 0
        }
        func emit(_ body: String) {
            if let output, output != "-" {
                FileManager.default.createFile(atPath: output, contents: Data(body.utf8))
            } else {
                out(body)
            }
        }
        if path.hasSuffix("/latest/api/token") || path == "/latest/api/token" {
            return method.uppercased() == "PUT" ? respond("AQAEAREHEARSALIMDSTOKEN==") : respond(nil, code: 405)
        }
        if world.imdsTokenRequired && !hasToken { return respond(nil, code: 401) }
        let doc = #"{"accountId":"123456789012","architecture":"x86_64","availabilityZone":"\#(world.availabilityZone)","imageId":"\#(world.amiId)","instanceId":"\#(world.instanceId)","instanceType":"\#(world.instanceType)","region":"\#(world.region)"}"#
        let table: [String: String] = [
            "/latest/meta-data/instance-id": world.instanceId,
            "/latest/meta-data/ami-id": world.amiId,
            "/latest/meta-data/instance-type": world.instanceType,
            "/latest/meta-data/placement/availability-zone": world.availabilityZone,
            "/latest/meta-data/placement/region": world.region,
            "/latest/meta-data/local-ipv4": "10.0.0.12",
            "/latest/meta-data/hostname": "ip-10-0-0-12.\(world.region).compute.internal",
            "/latest/dynamic/instance-identity/document": doc,
            "/latest/meta-data/tags/instance": world.tags.keys.sorted().joined(separator: "\n"),
        ]
        if let body = table[path] { return respond(body) }
        if path.hasPrefix("/latest/meta-data/tags/instance/") {
            let key = String(path.dropFirst("/latest/meta-data/tags/instance/".count)).removingPercentEncoding ?? ""
            return respond(world.tags[key], code: world.tags[key] == nil ? 404 : 200)
        }
        record(.unmodelled, "instance metadata path \(path) is not modelled")
        return fail ? 22 : 0
    }

    // MARK: The AWS CLI

    /// `aws` options and their values; an option may take several values (`--names a b`).
    func awsOptions(_ a: ArraySlice<String>) -> (positional: [String], options: [String: [String]]) {
        var positional: [String] = [], options: [String: [String]] = [:]
        var current: String?
        for x in a {
            if x.hasPrefix("--") {
                var name = String(x.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    options[String(name[..<eq]), default: []].append(String(name[name.index(after: eq)...]))
                    current = nil
                    continue
                }
                if name.hasPrefix("no-") && name != "no-cli-pager" { name = String(name) }
                options[name, default: []] = options[name] ?? []
                current = name
            } else if let c = current {
                options[c, default: []].append(x)
            } else {
                positional.append(x)
            }
        }
        return (positional, options)
    }

    func aws() -> Int32 {
        let (pos, opt) = awsOptions(args[...])
        guard pos.count >= 2 else { record(.unmodelled, "aws \(pos.joined(separator: " "))"); return 255 }
        guard let world = loadWorld() else { record(.unmodelled, "the rehearsal world is missing"); return 255 }
        let service = pos[0], operation = pos[1]
        var params = world.parameters
        for name in deletedParameters() { params.removeValue(forKey: name) }

        func notFound(_ op: String) -> Int32 {
            record(.ok, "ParameterNotFound")
            err("\nAn error occurred (ParameterNotFound) when calling the \(op) operation: \n")
            return 254
        }
        func parameter(_ n: String) -> [String: Any] {
            ["Name": n, "Type": n == world.secretName ? "SecureString" : "String", "Value": params[n]!, "Version": 1,
             "ARN": "arn:aws:ssm:\(world.region):123456789012:parameter\(n.hasPrefix("/") ? "" : "/")\(n)", "DataType": "text"]
        }
        func reply(_ value: Any) -> Int32 {
            var v = value
            if let q = opt["query"]?.first {
                guard let stages = JMESPath.parse(q) else {
                    record(.unmodelled, "the --query expression `\(q)` is outside the modelled JMESPath subset")
                    return 255
                }
                v = JMESPath.evaluate(stages, v)
            }
            let format = opt["output"]?.first ?? "json"
            guard format == "json" || format == "text" else {
                record(.unmodelled, "--output \(format) is not modelled")
                return 255
            }
            record(.ok)
            out(format == "text" ? JMESPath.text(v) : JMESPath.json(v))
            return 0
        }
        switch (service, operation) {
        case ("ssm", "get-parameter"):
            guard let n = opt["name"]?.first else { break }
            guard params[n] != nil else { return notFound("GetParameter") }
            if n == world.secretName, opt["with-decryption"] == nil {
                record(.ok, "SecureString read without --with-decryption")
                return reply(["Parameter": parameter(n).merging(["Value": "AQICAHREHEARSALENCRYPTED=="]) { $1 }])
            }
            return reply(["Parameter": parameter(n)])
        case ("ssm", "get-parameters"):
            let names = opt["names"] ?? []
            return reply(["Parameters": names.filter { params[$0] != nil }.map(parameter),
                          "InvalidParameters": names.filter { params[$0] == nil }])
        case ("ssm", "get-parameters-by-path"):
            guard var p = opt["path"]?.first else { break }
            while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
            let recursive = opt["recursive"] != nil
            let found = params.keys.sorted().filter { n in
                guard n.hasPrefix(p + "/") else { return false }
                return recursive || !n.dropFirst(p.count + 1).contains("/")
            }
            return reply(["Parameters": found.map(parameter)])
        case ("ssm", "delete-parameter"):
            guard let n = opt["name"]?.first else { break }
            guard params[n] != nil else { return notFound("DeleteParameter") }
            markDeleted(n)
            record(.ok, "deleted \(n)")
            return 0
        case ("ec2", "describe-tags"):
            var keys: [String]?
            for f in opt["filters"] ?? [] where f.hasPrefix("Name=key,Values=") || f.hasPrefix("Name=key,Values:") {
                keys = f.dropFirst("Name=key,Values=".count).split(separator: ",").map(String.init)
            }
            let tags = world.tags.keys.sorted().filter { keys?.contains($0) ?? true }.map {
                ["Key": $0, "ResourceId": world.instanceId, "ResourceType": "instance", "Value": world.tags[$0]!] as [String: Any]
            }
            return reply(["Tags": tags])
        case ("ec2", "create-tags"):
            record(.ok, "tags set")
            return 0
        case ("ec2", "terminate-instances"):
            record(.terminated, "terminate-instances \((opt["instance-ids"] ?? []).joined(separator: " "))")
            out(JMESPath.json(["TerminatingInstances": [["InstanceId": world.instanceId]]]))
            return 0
        case ("sts", "get-caller-identity"):
            return reply(["Account": "123456789012", "Arn": "arn:aws:sts::123456789012:assumed-role/runner/\(world.instanceId)", "UserId": "AROAREHEARSAL"])
        case ("s3", _):
            record(.network, "no network in the sandbox: aws s3 \(operation)")
            err("fatal error: Could not connect to the endpoint URL\n")
            return 1
        default:
            break
        }
        record(.unmodelled, "aws \(service) \(operation) is not modelled")
        err("aws: the rehearsal does not model `\(service) \(operation)`\n")
        return 255
    }

    func deletedParameters() -> [String] {
        guard let t = try? String(contentsOfFile: root + "/trace/deleted", encoding: .utf8) else { return [] }
        return t.split(separator: "\n").map(String.init)
    }

    func markDeleted(_ n: String) {
        let fd = open(root + "/trace/deleted", O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        let line = Array((n + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    // MARK: Changing user

    func sudo() -> Int32 {
        var i = 0, target = "root", keepAll = false, preserve: [String] = []
        while i < args.count {
            let a = args[i]
            if a == "--" { i += 1; break }
            guard a.hasPrefix("-") else { break }
            switch a {
            case "-u", "--user": i += 1; target = i < args.count ? args[i] : "root"
            case "-E", "--preserve-env": keepAll = true
            case "-g", "--group", "-C", "-h", "-p", "-r", "-t", "-U", "-D", "--chdir": i += 1
            case "-n", "-H", "-S", "-k", "-b", "--non-interactive", "--set-home": break
            case "-i", "-s", "--login", "--shell": break
            default:
                if a.hasPrefix("--preserve-env=") { preserve += a.dropFirst("--preserve-env=".count).split(separator: ",").map(String.init) }
                else if a.hasPrefix("-u"), a.count > 2 { target = String(a.dropFirst(2)) }
                else if a.hasPrefix("--user=") { target = String(a.dropFirst(7)) }
                else { record(.unmodelled, "sudo option \(a)"); return 1 }
            }
            i += 1
        }
        let command = Array(args[min(i, args.count)...])
        guard !command.isEmpty else { record(.unmodelled, "sudo without a command"); return 1 }
        var newEnv = env
        if !keepAll {
            // sudo resets the environment except for a few variables and those named.
            let kept: Set<String> = Set(["PATH", "TERM", "LANG", "HOME", "SHELL", "LOGNAME", "USER", RehearsalStub.environmentKey] + preserve)
            newEnv = newEnv.filter { kept.contains($0.key) }
        }
        newEnv[RehearsalStub.userKey] = target
        record(.ok, "as \(target)")
        return exec(command, environment: newEnv)
    }

    func su() -> Int32 {
        var i = 0, target = "root", command: String?
        while i < args.count {
            let a = args[i]
            switch a {
            case "-", "-l", "--login", "-m", "-p": break
            case "-c", "--command": i += 1; command = i < args.count ? args[i] : nil
            case "-s", "--shell": i += 1
            default:
                if a.hasPrefix("-") { record(.unmodelled, "su option \(a)"); return 1 }
                target = a
            }
            i += 1
        }
        var newEnv = env
        newEnv[RehearsalStub.userKey] = target
        record(.ok, "as \(target)")
        guard let command else { record(.unmodelled, "su without -c opens an interactive shell"); return 1 }
        return exec(["/bin/sh", "-c", command], environment: newEnv)
    }

    func exec(_ command: [String], environment: [String: String]) -> Int32 {
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        for (k, _) in env { unsetenv(k) }
        for (k, v) in environment { setenv(k, v, 1) }
        execvp(command[0], argv)
        _ = envp
        err("\(name): \(command[0]): command not found\n")
        return 1
    }
}
