import Foundation
import Testing
import Yams

/// What ships around the binary: the GitHub Action's metadata and shell, the pre-commit hook, and
/// (when `.ci/run` has built it) the portable package.
@Suite("Shipping: action, pre-commit hook, portable package")
struct PackagingTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { url = url.deletingLastPathComponent() }
        return url
    }()

    /// The `ghr-audit` the test build made (this target depends on it), next to the test bundle.
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") { dir = bundle.bundleURL.deletingLastPathComponent() }
        let candidate = dir.appendingPathComponent("ghr-audit")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return Self.root.appendingPathComponent(".build/debug/ghr-audit")
    }

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: URL = root) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-packaging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    // MARK: The GitHub Action

    @Test("the action's run step writes annotations, the job summary, SARIF and step outputs")
    func actionRunStep() throws {
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let summary = tmp.appendingPathComponent("summary.md"), outputs = tmp.appendingPathComponent("outputs")
        let sarif = tmp.appendingPathComponent("out.sarif")
        let r = try Self.run("/bin/bash", ["scripts/action-run.sh", "run"], environment: [
            "GHR_BIN": Self.binary.path, "GHR_PATHS": "fixtures/jit-token-only-ami/repo", "GHR_TARGET": "4.1.0",
            "GHR_FAIL_ON": "error", "GHR_SARIF": sarif.path,
            "GITHUB_STEP_SUMMARY": summary.path, "GITHUB_OUTPUT": outputs.path,
        ])
        #expect(r.status == 0, "the run step must not fail before SARIF upload: \(r.stderr)")
        #expect(r.stdout.contains("::error file=images/linux/boot-runner.sh,line=25"), "annotations on stdout: \(r.stdout)")
        let out = try String(contentsOf: outputs, encoding: .utf8)
        #expect(out.contains("exit-code=1\n"))
        #expect(out.contains("errors=1\n"))
        #expect(out.contains("warnings=0\n"))
        #expect(out.contains("sarif=\(sarif.path)\n"))
        let md = try String(contentsOf: summary, encoding: .utf8)
        #expect(md.contains("JIT-101"))
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: sarif)) as? [String: Any]
        #expect(doc?["version"] as? String == "2.1.0")

        let finish = try Self.run("/bin/bash", ["scripts/action-run.sh", "finish", "1"])
        #expect(finish.status == 1)
        #expect(try Self.run("/bin/bash", ["scripts/action-run.sh", "finish", "0"]).status == 0)
    }

    @Test("a clean run passes the gate and says so in the outputs")
    func actionRunClean() throws {
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let outputs = tmp.appendingPathComponent("outputs")
        let r = try Self.run("/bin/bash", ["scripts/action-run.sh", "run"], environment: [
            "GHR_BIN": Self.binary.path, "GHR_PATHS": "fixtures/jit-opted-out/repo", "GHR_TARGET": "4.1.0",
            "GHR_SARIF": tmp.appendingPathComponent("x.sarif").path, "GITHUB_OUTPUT": outputs.path,
            "GITHUB_STEP_SUMMARY": tmp.appendingPathComponent("s.md").path,
        ])
        #expect(r.status == 0)
        let out = try String(contentsOf: outputs, encoding: .utf8)
        #expect(out.contains("exit-code=0\n"), "\(out)")
        #expect(out.contains("errors=0\n"))
    }

    @Test("the cache key names the tool version and the machine")
    func cacheKey() throws {
        let r = try Self.run("/bin/bash", ["scripts/action-run.sh", "cache-key"])
        #expect(r.status == 0)
        let version = try Self.run(Self.binary.path, ["version"]).stdout.split(separator: " ")[1]
        #expect(r.stdout.hasPrefix("ghr-audit-\(version)-Linux-"), "\(r.stdout)")
        #expect(r.stdout.split(separator: "-").last?.count == 16 + 1, "a 16-hex source hash ends the key: \(r.stdout)")
    }

    /// action.yml against GitHub's metadata syntax for composite actions: the required keys, a
    /// shell on every `run` step, every `inputs.X` and `steps.X` it references declared, every
    /// `uses` pinned to a version.
    @Test("action.yml follows the metadata syntax of a composite action")
    func actionMetadata() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("action.yml"), encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        let allowedTop: Set<String> = ["name", "description", "author", "inputs", "outputs", "runs", "branding"]
        #expect(Set(doc.keys).isSubset(of: allowedTop), "unknown top-level keys: \(Set(doc.keys).subtracting(allowedTop))")
        #expect((doc["name"] as? String)?.isEmpty == false)
        #expect((doc["description"] as? String)?.isEmpty == false)
        let inputs = try #require(doc["inputs"] as? [String: [String: Any]])
        for (name, spec) in inputs {
            #expect((spec["description"] as? String)?.isEmpty == false, "input \(name) needs a description")
            #expect(Set(spec.keys).isSubset(of: ["description", "required", "default", "deprecationMessage"]), "input \(name)")
        }
        let runs = try #require(doc["runs"] as? [String: Any])
        #expect(runs["using"] as? String == "composite")
        let steps = try #require(runs["steps"] as? [[String: Any]])
        let ids = Set(steps.compactMap { $0["id"] as? String })
        for (i, step) in steps.enumerated() {
            let hasRun = step["run"] != nil, hasUses = step["uses"] != nil
            #expect(hasRun != hasUses, "step \(i) needs exactly one of run and uses")
            if hasRun { #expect(step["shell"] is String, "step \(i): a composite run step needs a shell") }
            if let uses = step["uses"] as? String {
                #expect(uses.range(of: #"^[\w.-]+/[\w./-]+@v\d+$"#, options: .regularExpression) != nil, "step \(i): pin `\(uses)` to a major version")
            }
        }
        let outputs = try #require(doc["outputs"] as? [String: [String: Any]])
        for (name, spec) in outputs {
            #expect(spec["value"] is String, "a composite action's output \(name) needs a value")
        }
        for ref in Self.references(in: text, prefix: "inputs.") { #expect(inputs[ref] != nil, "inputs.\(ref) is not declared") }
        for ref in Self.references(in: text, prefix: "steps.") { #expect(ids.contains(ref), "steps.\(ref) names no step id") }
        // Every env var the run step reads is set by the action.
        let script = try String(contentsOf: Self.root.appendingPathComponent("scripts/action-run.sh"), encoding: .utf8)
        for variable in Self.references(in: script, prefix: "${GHR_", terminator: ":}") {
            #expect(text.contains("GHR_\(variable):"), "action.yml does not set GHR_\(variable)")
        }
    }

    static func references(in text: String, prefix: String, terminator: String = ".} ") -> Set<String> {
        var out: Set<String> = []
        var rest = text[...]
        while let r = rest.range(of: prefix) {
            let tail = rest[r.upperBound...]
            let name = tail.prefix { !terminator.contains($0) && !$0.isWhitespace && $0 != "'" && $0 != "\"" }
            if !name.isEmpty { out.insert(String(name)) }
            rest = tail
        }
        return out
    }

    // MARK: pre-commit

    @Test("the pre-commit hook runs on every kind of file ghr-audit reads", arguments: [
        "main.tf", "infra/runners.tf.json", "prod.tfvars", "prod.auto.tfvars.json", "configs/linux.yaml",
        "configs/win.yml", "scripts/start-runner.sh", "scripts/start-runner.ps1", "templates/user-data.tftpl",
        "templates/start.tpl", "images/runner.pkr.hcl", "images/runner.pkr.json", "policies/boundary.json",
        ".github/workflows/plan.yml", ".ghr-audit.yml",
    ])
    func preCommitFiles(_ path: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(".pre-commit-hooks.yaml"), encoding: .utf8)
        let hooks = try #require(try Yams.load(yaml: text) as? [[String: Any]])
        for hook in hooks {
            let pattern = try #require(hook["files"] as? String)
            let re = try NSRegularExpression(pattern: pattern)
            #expect(re.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil, "hook \(hook["id"] ?? "?") skips \(path)")
            #expect(hook["pass_filenames"] as? Bool == false, "the audit reads the whole repository, not the changed files")
        }
    }

    // MARK: The portable package

    /// Runs only where `.ci/run` (or a developer) built the package: `GHR_AUDIT_PACKAGE` names the
    /// tarball that `scripts/package.sh` wrote.
    @Test("the packaged binary runs without the Swift toolchain's libraries")
    func portablePackage() throws {
        guard let tarball = ProcessInfo.processInfo.environment["GHR_AUDIT_PACKAGE"], !tarball.isEmpty else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("CI must build the package (scripts/package.sh) and set GHR_AUDIT_PACKAGE")
            } else {
                print("skipped: GHR_AUDIT_PACKAGE is not set (run scripts/package.sh and set it to the tarball)")
            }
            return
        }
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let untar = try Self.run("/bin/tar", ["-xzf", tarball, "-C", tmp.path, "--strip-components=1"])
        try #require(untar.status == 0, "\(untar.stderr)")
        let bin = tmp.appendingPathComponent("bin/ghr-audit").path
        for file in ["share/man/man1/ghr-audit.1", "share/bash-completion/completions/ghr-audit", "share/zsh/site-functions/_ghr-audit", "share/fish/vendor_completions.d/ghr-audit.fish"] {
            #expect(FileManager.default.fileExists(atPath: tmp.appendingPathComponent(file).path), "\(file) is missing from the package")
        }
        let ldd = try Self.run("/usr/bin/ldd", [bin])
        // The Swift runtime, Foundation (with its own ICU) and Dispatch are linked in. What remains are
        // the system's C libraries: glibc and libstdc++ (`probe` loads libcurl when it runs).
        for library in ["libswiftCore", "libswift_Concurrency", "libFoundation", "lib_FoundationICU", "libdispatch", "libBlocksRuntime", "libcurl", "libxml2"] {
            #expect(!ldd.stdout.contains(library), "the packaged binary still needs \(library):\n\(ldd.stdout)")
        }
        let toolchain = ldd.stdout.split(separator: "\n").filter { $0.contains("/opt/swift") || $0.contains("not found") }
        #expect(toolchain.isEmpty, "libraries from the toolchain or missing: \(toolchain)")
        // Hide the toolchain: a private mount namespace with an empty /opt/swift (root can; where
        // unshare is refused, the ldd check above is the proof).
        let fixture = Self.root.appendingPathComponent("fixtures/jit-token-only-ami/repo").path
        let command = "mount -t tmpfs none /opt/swift && exec \"$0\" check \"$1\" --target 4.1.0 --no-color"
        var r = try Self.run("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", command, bin, fixture], environment: ["LD_LIBRARY_PATH": ""])
        if r.status != 1 && r.stderr.contains("unshare") {
            print("note: unshare refused (\(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); running without hiding /opt/swift")
            r = try Self.run(bin, ["check", fixture, "--target", "4.1.0", "--no-color"], environment: ["LD_LIBRARY_PATH": ""])
        }
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("error[JIT-101]"), "\(r.stdout)")
        let started = Date()
        let v = try Self.run(bin, ["version"])
        let ms = Date().timeIntervalSince(started) * 1000
        #expect(v.status == 0)
        print("packaged binary: `ghr-audit version` took \(Int(ms)) ms")
    }

    // MARK: --quiet and the progress line (issue 20 §1)

    @Test("--quiet prints the findings and nothing else; on a pipe no progress line ever appears")
    func quietPrintsFindingsOnly() throws {
        let repo = Self.root.appendingPathComponent("fixtures/suppressions/repo").path
        let bin = Self.binary.path
        let loud = try Self.run(bin, ["check", repo, "--format", "compact"])
        let quiet = try Self.run(bin, ["check", repo, "--format", "compact", "--quiet"])
        #expect(loud.status == quiet.status)
        #expect(loud.stdout.hasSuffix("1 suppressed (`--show-suppressed` lists them)\n"), "\(loud.stdout)")
        #expect(quiet.stdout + "1 suppressed (`--show-suppressed` lists them)\n" == loud.stdout)
        let lines = quiet.stdout.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.wholeMatch(of: /[^:]+:\d+:\d+: (error|warning|note)\[[A-Z]+-\d+\] .+/) != nil }, "\(quiet.stdout)")
        // stderr is a pipe here: no progress line, however long the run took.
        #expect(loud.stderr.isEmpty && quiet.stderr.isEmpty, "\(loud.stderr)")

        let text = try Self.run(bin, ["check", repo, "--no-color", "-q"])
        #expect(!text.stdout.contains("scanned") && !text.stdout.contains("audited:") && !text.stdout.contains("suppressed"), "\(text.stdout)")
        let firstLines = text.stdout.split(separator: "\n").filter { $0.wholeMatch(of: /\S+:\d+:\d+: (error|warning|note)\[.+/) != nil }
        #expect(firstLines.count == lines.count)

        // `fix` keeps what it cannot fix (findings) and drops its notes.
        let noModule = Self.root.appendingPathComponent("fixtures/no-runner-module").path
        let fixLoud = try Self.run(bin, ["fix", noModule])
        let fixQuiet = try Self.run(bin, ["fix", noModule, "--quiet"])
        #expect(fixLoud.stderr.contains("no machine-applicable fix") && !fixQuiet.stderr.contains("no machine-applicable fix"))
        #expect(fixQuiet.stderr.contains("warning[CORE-008]"), "\(fixQuiet.stderr)")
    }

    @Test("`version` (run without the argument parser) prints the tool version and the newest release known, exit 0")
    func versionPrintsToolAndNewestRelease() throws {
        let bin = Self.binary.path
        let fast = try Self.run(bin, ["version"])
        #expect(fast.status == 0 && fast.stderr.isEmpty, "\(fast.stderr)")
        #expect(fast.stdout.wholeMatch(of: /ghr-audit \S+ \(knows terraform-aws-github-runner up to v\d+\.\d+\.\d+\)\n/) != nil, "\(fast.stdout)")
        let flag = try Self.run(bin, ["--version"])
        #expect(flag.status == 0 && fast.stdout.hasPrefix("ghr-audit " + flag.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + " "), "\(flag.stdout)")
    }

    @Test("the binary links no networking or XML library: `check` does not pay for the probe's libcurl at start-up")
    func noNetworkingAtStartUp() throws {
        let ldd = try Self.run("/usr/bin/ldd", [Self.binary.path])
        try #require(ldd.status == 0, "\(ldd.stderr)")
        for library in ["libFoundationNetworking", "libFoundationXML", "libcurl", "libxml2"] {
            #expect(!ldd.stdout.contains(library), "ghr-audit links \(library):\n\(ldd.stdout)")
        }
    }
}
