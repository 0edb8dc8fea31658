// ghr-audit-bench: how the auditor scales with the size of the repository it reads (not shipped).
//
//   swift run -c release ghr-audit-bench [--scales 1,2,4,8] [--fleets 40] [--copies 100] [--runs 3]
//                                        [--only monorepo,roots,frontend,large,hostile,startup,checkov]
//                                        [--fixtures DIR] [--keep]
//
// Sections (each can be chosen with --only):
// - monorepo: for each scale k a synthetic infrastructure repository with k × --fleets runner
//   fleets (root modules calling the runner module directly with typed variables, tfvars and a
//   start script each; a wrapper module instantiated with `for_each`; a multi-runner call whose
//   fleets come from YAML files read with `fileset`/`yamldecode`; Packer templates; workflow
//   files). Median time, CPU time over wall time (2.0 = both cores busy), time over `cat` of the
//   same files, peak RSS, and the ratio of each scale's time to the smallest one's.
// - roots: many small Terraform roots (issue 20 §1): --copies and twice as many copies of five
//   fixture repositories under one scan root; the time and peak-RSS ratios of 2N to N (linear:
//   about 2) and peak RSS against the goal of twice the input plus 50 MB.
// - frontend: single-core throughput of the HCL lexer and parser and of secret masking, in MB/s.
// - large: one 25 MB `.tf` (read and parsed, linear time) and a repository with a sparse file
//   over the 64 MiB size limit (a CORE-002 finding, never read).
// - hostile: the whole hostile tree of the tests (`HostileTree`: invalid UTF-8, 20,000-deep
//   nesting, unterminated strings and heredocs, broken YAML and JSON, an alias bomb, a link loop,
//   a FIFO, a link out of the root, 100,000 small files, a 2,500-level folder chain) with a 25 MB
//   generated `.tf`, in one scan root: time against the goal of 5 s.
// - startup: `ghr-audit version` (the binary next to this one), against spawning `true`.
// - checkov: checkov on the same generated repository, side by side (skipped when not installed).
//
// Every audit runs in a child process (this executable with --measure), so each peak RSS is that
// audit's own. The child does what `check` does: the audit, then the text report rendered (and
// thrown away) after the parsed files and the model are let go. Times are medians of --runs runs.

import AuditCore
import Engine
import Foundation
import HCL
import Knowledge
import Reporters
import Rules
import Terraform
import TestSupport

struct UsageError: Error, CustomStringConvertible { var description: String }

struct Options {
    static let sections = ["monorepo", "roots", "frontend", "large", "hostile", "startup", "checkov"]
    var scales: [Int] = [1, 2, 4, 8]
    var fleets = 40
    var copies = 100
    var runs = 3
    var keep = false
    var only: Set<String> = Set(sections)
    var fixtures: URL?
    /// Child mode: audit this folder --runs times and print one `RESULT` line.
    var measure: URL?
    /// Child mode: threads the audit uses (nil: one per core).
    var workers: Int?
    /// Child mode: evaluate every local, as the audit did before locals were evaluated on demand.
    var eager = false

    init(_ arguments: [String]) throws {
        var i = 0
        func value() throws -> String {
            guard i + 1 < arguments.count else { throw UsageError(description: "\(arguments[i]) needs a value") }
            i += 1
            return arguments[i]
        }
        func positive(_ name: String, minimum: Int = 1) throws -> Int {
            guard let n = Int(try value()), n >= minimum else { throw UsageError(description: "\(name) takes an integer of at least \(minimum)") }
            return n
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--scales":
                let list = try value().split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !list.isEmpty, list.allSatisfy({ $0 > 0 }) else { throw UsageError(description: "--scales takes positive integers, e.g. 1,2,4") }
                scales = list.sorted()
            case "--fleets": fleets = try positive("--fleets", minimum: 4)
            case "--copies": copies = try positive("--copies")
            case "--runs": runs = try positive("--runs")
            case "--keep": keep = true
            case "--fixtures": fixtures = URL(fileURLWithPath: try value())
            case "--measure": measure = URL(fileURLWithPath: try value())
            case "--workers": workers = try positive("--workers")
            case "--eager": eager = true
            case "--only":
                let list = Set(try value().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                guard !list.isEmpty, list.isSubset(of: Options.sections) else {
                    throw UsageError(description: "--only takes a comma-separated list of \(Options.sections.joined(separator: ", "))")
                }
                only = list
            case "-h", "--help":
                print("usage: ghr-audit-bench [--scales 1,2,4,8] [--fleets 40] [--copies 100] [--runs 3] [--only \(Options.sections.joined(separator: ","))] [--fixtures DIR] [--keep]")
                exit(0)
            default:
                throw UsageError(description: "unknown argument `\(arguments[i])`; expected --scales, --fleets, --copies, --runs, --only, --fixtures, --keep")
            }
            i += 1
        }
    }
}

// MARK: Measuring

/// A `VmHWM`/`VmRSS` line of /proc/self/status in MiB; nil where /proc is not available.
func memoryMiB(_ field: String) -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        let kilobytes = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Double($0) }
        return kilobytes.map { $0 / 1024 }
    }
    return nil
}

/// User plus system CPU seconds of this process so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func time(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return milliseconds(clock.now - start)
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func formatted(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }

func row(_ cells: [(String, Int)]) -> String { cells.map { pad($0.0, $0.1) }.joined(separator: " ") }

/// What one child process measured.
struct Measurement {
    var medianMs: Double
    /// CPU seconds per run over wall seconds per run: 1.0 is one core busy, 2.0 both.
    var cpuPerWall: Double
    var peakMiB: Double
    var files: Int
    var roots: Int
    var fleets: Int
    var findings: Int
    /// Evaluation steps (budget units) of one run, locals evaluated and declared.
    var steps: Int
    var localsEvaluated: Int
    var localsDeclared: Int
    /// CPU milliseconds of one run (user plus system, every thread): what a loaded machine does
    /// not inflate the way it inflates wall time.
    var cpuMs: Double { medianMs * cpuPerWall }

    init?(line: String) {
        var fields: [String: Double] = [:]
        for part in line.split(separator: " ").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let v = Double(kv[1]) { fields[String(kv[0])] = v }
        }
        guard let ms = fields["ms"], let cpu = fields["cpu"], let rss = fields["rss"] else { return nil }
        medianMs = ms
        cpuPerWall = cpu
        peakMiB = rss
        files = Int(fields["files"] ?? 0)
        roots = Int(fields["roots"] ?? 0)
        fleets = Int(fields["fleets"] ?? 0)
        findings = Int(fields["findings"] ?? 0)
        steps = Int(fields["steps"] ?? 0)
        localsEvaluated = Int(fields["locals"] ?? 0)
        localsDeclared = Int(fields["declared"] ?? 0)
    }
}

/// Child mode: audits `root` `runs` times in this process and prints one line.
func measureInProcess(_ root: URL, runs: Int, workers: Int?, eager: Bool) throws {
    let knowledge = try KnowledgeBase.load()
    let auditor = Auditor(knowledge: knowledge)
    let fileSystem = LocalFileSystem(root: root)
    var options = AuditOptions(target: .version(ModuleVersion(4, 1, 0)))
    options.workers = workers
    options.eagerLocals = eager
    var times: [Double] = []
    var cpu: [Double] = []
    var last: AuditResult?
    var roots = 0, fleets = 0, reportBytes = 0
    for _ in 0..<runs {
        // The previous run's result is let go first: a peak RSS is one audit's, not two.
        last = nil
        let before = cpuSeconds()
        times.append(time {
            // What `check` does: the audit, then its text report rendered from the findings and
            // the masked sources once the parsed files and the model are let go.
            var result = auditor.audit(fileSystem: fileSystem, options: options)
            (roots, fleets) = (result.model.roots.count, result.model.fleets.count)
            result.releaseAnalysis()
            reportBytes = Reporters.render(result.report, as: .text, options: RenderOptions(sources: result.sources)).utf8.count
            last = result
        })
        cpu.append(cpuSeconds() - before)
    }
    guard let result = last else { return }
    let ms = median(times)
    let cpuPerWall = cpu.reduce(0, +) * 1000 / times.reduce(0, +)
    print("RESULT ms=\(ms) cpu=\(cpuPerWall) rss=\(memoryMiB("VmHWM") ?? 0) files=\(result.report.filesScanned) roots=\(roots) fleets=\(fleets) findings=\(result.report.findings.count) steps=\(result.evaluationSteps) locals=\(result.localsEvaluated) declared=\(result.localsDeclared) report=\(reportBytes)")
}

/// The path of this executable (to run it again as a child).
func selfExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// Runs `executable arguments`, returns its standard output (nil when it failed).
func spawn(_ executable: String, _ arguments: [String]) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 || process.terminationStatus == 1 else { return nil }
    return String(decoding: data, as: UTF8.self)
}

/// Time and peak RSS of `ghr-audit check ROOT --target 4.1.0` run as users run it (the `ghr-audit`
/// built next to this executable, its report written to /dev/null), `runs` times; the counts
/// (files, fleets, findings, evaluation steps) from one in-process child. Without that binary,
/// and for `eager` (no command-line switch), everything comes from in-process children: they
/// audit and render as `check` does.
func measure(_ root: URL, runs: Int, workers: Int? = nil, eager: Bool = false) throws -> Measurement {
    let tool = eager ? nil : toolBinary()
    let args = ["--measure", root.path, "--runs", String(tool == nil ? runs : 1)] + (workers.map { ["--workers", String($0)] } ?? []) + (eager ? ["--eager"] : [])
    guard let out = spawn(selfExecutable(), args),
          let line = out.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }),
          var m = Measurement(line: String(line)) else {
        throw UsageError(description: "the measuring child process failed for \(root.path)")
    }
    guard let tool else { return m }
    let (walls, cpus, peaks) = try timedRuns(tool, ["check", root.path, "--target", "4.1.0"] + (workers.map { ["--jobs", String($0)] } ?? []),
                                             runs: runs, exitStatuses: [0, 1])
    m.medianMs = median(walls)
    m.cpuPerWall = cpus.reduce(0, +) / walls.reduce(0, +)
    m.peakMiB = peaks.max() ?? m.peakMiB
    return m
}

/// The `ghr-audit` built next to this executable, when there is one.
func toolBinary() -> String? {
    let path = URL(fileURLWithPath: selfExecutable()).deletingLastPathComponent().appendingPathComponent("ghr-audit").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}

/// One run of a program, its output discarded: wall time, and its own CPU time and peak RSS
/// (`wait4`'s resource usage of that child alone).
/// `runs` runs of `tool` (each ending with one of `exitStatuses`): wall and CPU milliseconds and
/// peak RSS in MiB of each.
func timedRuns(_ tool: String, _ arguments: [String], runs: Int, exitStatuses: Set<Int32>) throws -> (walls: [Double], cpus: [Double], peaks: [Double]) {
    var walls: [Double] = [], cpus: [Double] = [], peaks: [Double] = []
    for _ in 0..<runs {
        guard let run = ToolRun(tool, arguments), let status = run.exitStatus, exitStatuses.contains(status) else {
            throw UsageError(description: "`\(tool) \(arguments.joined(separator: " "))` failed")
        }
        walls.append(run.wallMs)
        cpus.append(run.cpuMs)
        peaks.append(run.peakMiB)
    }
    return (walls, cpus, peaks)
}

struct ToolRun {
    var wallMs: Double
    var cpuMs: Double
    var peakMiB: Double
    /// Nil when it did not exit normally.
    var exitStatus: Int32?

    init?(_ path: String, _ arguments: [String]) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        var status: Int32 = 0
        var usage = rusage()
        let clock = ContinuousClock()
        let start = clock.now
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0, wait4(pid, &status, 0, &usage) == pid else { return nil }
        wallMs = milliseconds(clock.now - start)
        func ms(_ t: timeval) -> Double { Double(t.tv_sec) * 1000 + Double(t.tv_usec) / 1000 }
        cpuMs = ms(usage.ru_utime) + ms(usage.ru_stime)
        peakMiB = Double(usage.ru_maxrss) / 1024   // kilobytes on Linux
        exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : nil
    }
}

/// Median milliseconds of `cat` over every file below `root` (the floor any reader has).
func catMilliseconds(_ root: URL, runs: Int) -> Double? {
    guard FileManager.default.isExecutableFile(atPath: "/bin/sh") else { return nil }
    var times: [Double] = []
    for _ in 0..<runs {
        // Spawned as the audits are (`ToolRun`): Foundation's `Process` added about 50 ms to each.
        guard let run = ToolRun("/bin/sh", ["-c", "find \"$0\" -type f -print0 | xargs -0 cat > /dev/null", root.path]) else { return nil }
        times.append(run.wallMs)
    }
    return median(times)
}

func mebibytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

func writeFiles(_ files: [String: String], to root: URL) throws -> Int {
    try SyntheticRepository.write(files, to: root)
    return files.values.reduce(0) { $0 + $1.utf8.count }
}

// MARK: Sections

func monorepo(_ options: Options, base: URL) throws {
    print("== Generated monorepo: \(options.fleets) fleets per scale step, target 4.1.0, median of \(options.runs) run\(options.runs == 1 ? "" : "s")")
    print(row([("scale", 5), ("files", 6), ("MiB", 6), ("fleets", 6), ("findings", 8), ("median ms", 10), ("cpu/wall", 8), ("× cat", 6),
               ("files/s", 8), ("ms/fleet", 8), ("peak RSS MiB", 12), ("RSS goal MiB", 12)]))
    var results: [(scale: Int, m: Measurement)] = []
    var largest: (root: URL, m: Measurement, cat: Double?)?
    // What every run pays whatever the repository: start-up, the knowledge base, the IAM table.
    let empty = base.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    if let tool = toolBinary() {
        let runs = (0..<max(5, options.runs)).compactMap { _ in ToolRun(tool, ["check", empty.path, "--target", "4.1.0"]) }
        if !runs.isEmpty {
            print(" fixed cost, `check` of an empty folder: \(formatted(median(runs.map(\.wallMs)))) ms wall, \(formatted(median(runs.map(\.cpuMs)))) ms CPU, "
                  + "peak RSS \(formatted(runs.map(\.peakMiB).max()!)) MiB")
        }
    }
    for scale in options.scales {
        let root = base.appendingPathComponent("monorepo-\(scale)")
        let bytes = try writeFiles(SyntheticRepository.files(fleets: options.fleets * scale), to: root)
        let m = try measure(root, runs: options.runs)
        let cat = catMilliseconds(root, runs: options.runs)
        results.append((scale, m))
        print(row([("\(scale)x", 5), ("\(m.files)", 6), (formatted(mebibytes(bytes), 2), 6), ("\(m.fleets)", 6), ("\(m.findings)", 8),
                   (formatted(m.medianMs), 10), (formatted(m.cpuPerWall, 2), 8), (cat.map { formatted(m.medianMs / $0, 1) } ?? "n/a", 6),
                   (formatted(Double(m.files) / (m.medianMs / 1000), 0), 8), (formatted(m.medianMs / Double(max(1, m.fleets)), 2), 8),
                   (formatted(m.peakMiB), 12), (formatted(2 * mebibytes(bytes) + 50), 12)]))
        largest = (root, m, cat)
    }
    if let (root, lazy, cat) = largest {
        // The same audit on one worker, and evaluating every local as before it was lazy.
        let single = try measure(root, runs: options.runs, workers: 1)
        let eager = try measure(root, runs: options.runs, workers: 1, eager: true)
        print("largest scale, the same audit on one worker: \(formatted(single.medianMs)) ms (\(cat.map { formatted(single.medianMs / $0, 1) + "× cat" } ?? "n/a")); "
              + "all cores: \(formatted(single.medianMs / lazy.medianMs, 2))× faster")
        let saved = eager.steps > 0 ? 100 * Double(eager.steps - lazy.steps) / Double(eager.steps) : 0
        print("evaluation: \(lazy.steps) steps, \(lazy.localsEvaluated) of \(lazy.localsDeclared) locals evaluated (only what runner module calls and rules need); "
              + "every local, as before: \(eager.steps) steps, \(eager.localsEvaluated) locals, \(formatted(eager.medianMs)) ms on one worker: \(formatted(saved, 0))% of the evaluation work saved")
        if lazy.findings != eager.findings { print("  FINDINGS DIFFER: \(lazy.findings) lazily, \(eager.findings) eagerly") }
    }
    guard let first = results.first, results.count > 1 else { return }
    print("time ratio to \(first.scale)x (linear: the input ratio; quadratic: its square)")
    for (scale, m) in results.dropFirst() {
        let inputRatio = Double(m.fleets) / Double(max(1, first.m.fleets))
        print("  \(scale)x / \(first.scale)x: input \(formatted(inputRatio, 2))×, time \(formatted(m.medianMs / first.m.medianMs, 2))×, peak RSS \(formatted(m.peakMiB / first.m.peakMiB, 2))× (quadratic would be \(formatted(inputRatio * inputRatio, 1))×)")
    }
}

func manyRoots(_ options: Options, base: URL) throws {
    guard let fixturesDir = options.fixtures ?? defaultFixtures() else {
        print("== Many small roots: skipped (no fixtures/ folder found; give --fixtures DIR)")
        return
    }
    let fixtures = try FixtureCopies.load(from: fixturesDir)
    let n = options.copies
    print("== Many small roots: \(n) and \(2 * n) copies of \(FixtureCopies.names.joined(separator: ", ")) under one scan root")
    print(row([("copies", 6), ("roots", 6), ("files", 6), ("MiB", 6), ("findings", 8), ("median ms", 10), ("CPU ms", 8), ("cpu/wall", 8), ("× cat", 6),
               ("peak RSS MiB", 12), ("RSS goal MiB", 12)]))
    var results: [Measurement] = []
    for copies in [n, 2 * n] {
        let root = base.appendingPathComponent("roots-\(copies)")
        let bytes = try FixtureCopies.write(fixtures, copies: copies, to: root)
        let m = try measure(root, runs: options.runs)
        let cat = catMilliseconds(root, runs: options.runs)
        let goal = 2 * mebibytes(bytes) + 50
        results.append(m)
        print(row([("\(copies)", 6), ("\(m.roots)", 6), ("\(m.files)", 6), (formatted(mebibytes(bytes), 2), 6), ("\(m.findings)", 8),
                   (formatted(m.medianMs), 10), (formatted(m.cpuMs, 0), 8), (formatted(m.cpuPerWall, 2), 8), (cat.map { formatted(m.medianMs / $0, 1) } ?? "n/a", 6),
                   (formatted(m.peakMiB), 12), (formatted(goal), 12)]))
        if copies == 2 * n, let cat {
            let single = try measure(root, runs: options.runs, workers: 1)
            print("  \(copies) copies on one worker: \(formatted(single.medianMs)) ms (\(formatted(single.medianMs / cat, 1))× cat)")
        }
    }
    let timeRatio = results[1].medianMs / results[0].medianMs
    let cpuRatio = results[1].cpuMs / results[0].cpuMs
    let rssRatio = results[1].peakMiB / results[0].peakMiB
    func verdict(_ ok: Bool) -> String { ok ? "meets the goal" : "MISSES the goal" }
    // On a machine shared with other work wall time counts their slices too: CPU time decides.
    print("ratio \(2 * n)/\(n): CPU time \(formatted(cpuRatio, 2))× (wall \(formatted(timeRatio, 2))×), peak RSS \(formatted(rssRatio, 2))× (goal: both ≤ 2.3; \(verdict(cpuRatio <= 2.3 && rssRatio <= 2.3)))")
}

/// `fixtures/` of the working directory, else of the package this file was compiled from.
func defaultFixtures() -> URL? {
    let candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("fixtures"),
                      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures")]
    return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(FixtureCopies.names[0]).path) }
}

/// CPU milliseconds this thread has run so far. Throughput is measured in it rather than in wall
/// time: on a machine shared with other work, wall time counts the slices other processes ran.
func threadCPUMilliseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6
}

/// Runs `body` repeatedly for at least `seconds` of this thread's CPU time, returns MB/s over
/// `bytes` per call (per second of one core).
func throughput(bytes: Int, seconds: Double = 0.5, _ body: () -> Void) -> Double {
    body()  // warm-up
    var calls = 0
    var elapsed = 0.0
    while elapsed < seconds * 1000 {
        let start = threadCPUMilliseconds()
        body()
        elapsed += threadCPUMilliseconds() - start
        calls += 1
    }
    return Double(bytes * calls) / 1e6 / (elapsed / 1000)
}

func frontEnd(_ options: Options) {
    print("== Front ends, one core (MB of input per second of this thread's CPU time; 1 MB = 10^6 bytes)")
    let repository = SyntheticRepository.files(fleets: options.fleets * (options.scales.last ?? 1))
    let hclSources = repository.keys.sorted().filter { $0.hasSuffix(".tf") || $0.hasSuffix(".tfvars") || $0.hasSuffix(".pkr.hcl") }
        .map { SourceFile(path: $0, text: repository[$0]!) }
    let large = SourceFile(path: "large.tf", text: LargeFile.terraform(bytes: 4 << 20))
    let hclBytes = hclSources.reduce(0) { $0 + $1.bytes.count }
    let sets: [(String, [SourceFile], Int)] = [
        ("\(hclSources.count) small HCL files", hclSources, hclBytes),
        ("one \(large.bytes.count >> 20) MiB .tf", [large], large.bytes.count),
    ]
    print(row([("input", 24), ("decode+index", 12), ("lex", 8), ("lex+parse", 9), ("mask secrets", 12)]))
    var parseRates: [Double] = []
    for (name, files, bytes) in sets {
        let texts = files.map(\.text)
        let paths = files.map(\.path)
        let decode = throughput(bytes: bytes) { for (p, t) in zip(paths, texts) { _ = SourceFile(path: p, data: Data(t.utf8)) } }
        let lex = throughput(bytes: bytes) { for f in files { _ = HCLLexer.tokenize(f) } }
        let parse = throughput(bytes: bytes) { for f in files { _ = HCLParser.parse(f) } }
        let mask = throughput(bytes: bytes) { for f in files { _ = f.redacted } }
        print(row([(name, 24), (formatted(decode, 0), 12), (formatted(lex, 0), 8), (formatted(parse, 0), 9), (formatted(mask, 0), 12)]))
        parseRates.append(parse)
    }
    print("HCL lex+parse on one core: \(parseRates.map { formatted($0, 0) }.joined(separator: " and ")) MB/s (goal ≥ 100 MB/s; \(parseRates.allSatisfy { $0 >= 100 } ? "met" : "NOT met"))")
}

func largeFiles(_ options: Options, base: URL) throws {
    print("== Large files")
    let parsed = base.appendingPathComponent("large-parsed")
    let size = 25 << 20
    let text = LargeFile.terraform(bytes: size)
    let fits = text.utf8.count <= Limits.maxFileSize
    _ = try writeFiles(["main.tf": text, "runner.tf": SyntheticRepository.files(fleets: 4)["environments/env-0/main.tf"]!], to: parsed)
    let m = try measure(parsed, runs: options.runs)
    print("  a \(formatted(mebibytes(text.utf8.count))) MiB .tf \(fits ? "(parsed)" : "(over the \(Limits.maxFileSize >> 20) MiB limit: reported unread)"): \(formatted(m.medianMs)) ms, peak RSS \(formatted(m.peakMiB)) MiB, \(m.findings) findings")
    // Over the limit: a sparse file (no disk used) that the audit must report without reading.
    let over = base.appendingPathComponent("large-over-limit")
    _ = try writeFiles(["runner.tf": SyntheticRepository.files(fleets: 4)["environments/env-0/main.tf"]!], to: over)
    let huge = over.appendingPathComponent("generated.tf.json")
    guard FileManager.default.createFile(atPath: huge.path, contents: nil), let handle = try? FileHandle(forWritingTo: huge) else {
        throw UsageError(description: "cannot create \(huge.path)")
    }
    try handle.truncate(atOffset: UInt64(Limits.maxFileSize + (1 << 20)))
    try handle.close()
    let o = try measure(over, runs: options.runs)
    print("  a \(Limits.maxFileSize >> 20 + 1) MiB .tf.json (over the \(Limits.maxFileSize >> 20) MiB limit: a CORE-002 finding, not read): \(formatted(o.medianMs)) ms, peak RSS \(formatted(o.peakMiB)) MiB, \(o.findings) findings")
}

/// The tests' whole hostile tree, with a 25 MB generated `.tf`, audited by the release build
/// (issue 15: "the whole hostile tree audits in under 5 s").
func hostileTree(_ options: Options, base: URL) throws {
    print("== The hostile tree (HostileTree, as HostileInputTests builds it) with a 25 MB generated .tf")
    guard let tool = toolBinary() else {
        print("  skipped: no ghr-audit next to this executable (build it: swift build -c release --product ghr-audit)")
        return
    }
    let folder = base.appendingPathComponent("hostile")
    let (root, outside) = (folder.appendingPathComponent("root"), folder.appendingPathComponent("outside"))
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
    try HostileTree.writeWhole(root: root, outside: outside, largeBytes: 25_000_000)
    // The folder chain is deeper than PATH_MAX, which Foundation's removal does not handle.
    defer { if !options.keep { _ = ToolRun("/bin/rm", ["-rf", folder.path]) } }
    let (walls, cpus, peaks) = try timedRuns(tool, ["check", root.path, "--target", "4.1.0", "--fail-on", "none"], runs: options.runs, exitStatuses: [0])
    let cat = catMilliseconds(root, runs: options.runs)
    let wall = median(walls)
    print("  \(formatted(wall)) ms wall (median of \(options.runs); \(walls.map { formatted($0) }.joined(separator: ", "))), "
          + "\(formatted(median(cpus))) ms CPU, peak RSS \(formatted(peaks.max() ?? 0)) MiB; cat of its files \(cat.map { formatted($0) } ?? "-") ms; "
          + "goal < 5 s: \(wall < 5_000 ? "met" : "NOT met")")
}

func startup(_ options: Options) {
    print("== Startup: `ghr-audit version`")
    guard let binary = toolBinary() else {
        print("  skipped: no ghr-audit next to this executable (build it: swift build -c release --product ghr-audit)")
        return
    }
    let runs = max(11, options.runs * 5)
    func measured(_ path: String, _ arguments: [String]) -> (wall: Double, cpu: Double) {
        let measured = (0..<runs).compactMap { _ in ToolRun(path, arguments) }
        return (median(measured.map(\.wallMs)), median(measured.map(\.cpuMs)))
    }
    let floor = measured("/bin/true", [])
    let version = measured(binary, ["version"])
    print("  \(binary): median \(formatted(version.wall)) ms wall, \(formatted(version.cpu)) ms CPU over \(runs) runs "
          + "(spawning /bin/true: \(formatted(floor.wall)) ms wall; goal < 20 ms)")
}

func checkov(_ options: Options, base: URL) throws {
    print("== checkov side by side")
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    guard let checkov = path.split(separator: ":").map({ "\($0)/checkov" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        print("  skipped: checkov is not installed (pip install checkov)")
        return
    }
    let root = base.appendingPathComponent("checkov-monorepo")
    _ = try writeFiles(SyntheticRepository.files(fleets: options.fleets), to: root)
    let ours = try measure(root, runs: options.runs)
    let theirs = ToolRun(checkov, ["-d", root.path, "--quiet", "--compact", "--skip-download", "-o", "json"])?.wallMs ?? .nan
    print("  \(ours.files) files: ghr-audit \(formatted(ours.medianMs)) ms, checkov \(formatted(theirs)) ms (one run): ghr-audit is \(formatted(theirs / ours.medianMs, 0))× faster (goal ≥ 100×)")
}

func run() throws {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    if let root = options.measure {
        // As `ghr-audit` does, so the peak RSS measured is the tool's.
        Allocator.limitArenas()
        try measureInProcess(root, runs: options.runs, workers: options.workers, eager: options.eager)
        return
    }
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ghr-audit-bench-\(ProcessInfo.processInfo.processIdentifier)")
    defer { if !options.keep { try? FileManager.default.removeItem(at: base) } }
    print("ghr-audit-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores; every audit at target 4.1.0 in its own process")
    if let tool = toolBinary() {
        print("times and peak RSS: `\(tool) check DIR --target 4.1.0`, report to /dev/null (the tool's own process)")
    } else {
        print("times and peak RSS: in-process children (no ghr-audit next to this executable: build it with `swift build -c release --product ghr-audit`)")
    }
    if options.only.contains("monorepo") { try monorepo(options, base: base); print("") }
    if options.only.contains("roots") { try manyRoots(options, base: base); print("") }
    if options.only.contains("frontend") { frontEnd(options); print("") }
    if options.only.contains("large") { try largeFiles(options, base: base); print("") }
    if options.only.contains("hostile") { try hostileTree(options, base: base); print("") }
    if options.only.contains("startup") { startup(options); print("") }
    if options.only.contains("checkov") { try checkov(options, base: base) }
    if options.keep { print("\nrepositories kept in \(base.path)") }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("ghr-audit-bench: \(error)\n".utf8))
    exit(2)
}
