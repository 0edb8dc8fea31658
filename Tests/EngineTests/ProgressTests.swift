import AuditCore
import Engine
import Foundation
import Knowledge
import Testing

/// The progress line of issue 20 §1: on a terminal after a second, never on a pipe or a file,
/// never under `--quiet`; the counts are the run's own.
@Suite("progress: a terminal after one second, never a pipe, never --quiet")
struct ProgressTests {
    /// A clock that advances `step` seconds each time it is read (a slow run, without waiting).
    final class SlowClock: @unchecked Sendable {
        private let lock = NSLock()
        private var t = 100.0
        let step: Double
        init(step: Double) { self.step = step }
        func now() -> Double { lock.lock(); defer { lock.unlock() }; t += step; return t }
    }

    /// What the display wrote to "stderr".
    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var parts: [String] = []
        func write(_ s: String) { lock.lock(); parts.append(s); lock.unlock() }
        var writes: [String] { lock.lock(); defer { lock.unlock() }; return parts }
    }

    static func display(terminal: Bool, quiet: Bool = false, step: Double, _ out: Captured) -> ProgressDisplay {
        let clock = SlowClock(step: step)
        return ProgressDisplay(isTerminal: terminal, quiet: quiet, now: { clock.now() }, write: { out.write($0) })
    }

    static let host = MemoryHostFiles([
        "a/main.tf": InvocationTests.main,
        "a/start.sh": "#!/bin/bash\necho hi\n",
        "b/main.tf": InvocationTests.main,
    ])

    @Test("the decision: terminal, not quiet, at least a second")
    func decision() {
        #expect(ProgressDisplay.shows(isTerminal: true, quiet: false, elapsed: 1.0))
        #expect(ProgressDisplay.shows(isTerminal: true, quiet: false, elapsed: 30))
        #expect(!ProgressDisplay.shows(isTerminal: true, quiet: false, elapsed: 0.99))
        #expect(!ProgressDisplay.shows(isTerminal: false, quiet: false, elapsed: 30))
        #expect(!ProgressDisplay.shows(isTerminal: true, quiet: true, elapsed: 30))
    }

    @Test("a fake terminal and a slow clock: the line shows the run's counts and is erased at the end")
    func terminalShowsCounts() throws {
        let out = Captured()
        let display = Self.display(terminal: true, step: 1.5, out)
        var request = AuditRequest(paths: ["a", "b"], target: .version(ModuleVersion(6, 0, 0)))
        request.progress = display.progress
        let run = try Invocation.audit(request, knowledge: try KnowledgeBase.load(), host: Self.host)
        display.tick()
        display.finish()
        display.tick()   // after the end: nothing more
        let s = display.progress.snapshot
        #expect(s.rootsTotal == 2 && s.root == 2)
        #expect(s.filesParsed == run.result.report.filesScanned)
        #expect(s.moduleCalls == 2)
        #expect(out.writes == [
            "\r\u{1B}[K" + "ghr-audit: root 2/2, \(s.filesParsed) files parsed, 2 module calls (checking)",
            "\r\u{1B}[K",
        ])
    }

    @Test("the timer thread draws while the body runs, and nothing stays on the line")
    func timerDraws() throws {
        let out = Captured()
        let display = Self.display(terminal: true, step: 0.6, out)
        display.around(interval: 0.005) {
            display.progress.update { $0.filesParsed = 3; $0.step = "parsing" }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let writes = out.writes
        #expect(writes.count >= 2)
        #expect(writes.dropLast().allSatisfy { $0 == "\r\u{1B}[Kghr-audit: 3 files parsed, 0 module calls (parsing)" })
        #expect(writes.last == "\r\u{1B}[K")
    }

    @Test("within the first second nothing is drawn, even on a terminal")
    func fastRunDrawsNothing() {
        let out = Captured()
        let display = Self.display(terminal: true, step: 0.1, out)
        display.tick()
        display.tick()
        display.finish()
        #expect(out.writes.isEmpty)
    }

    @Test("a pipe or a file never gets the line, however slow the run; --quiet neither", arguments: [(false, false), (true, true), (false, true)])
    func neverOnPipeOrQuiet(terminal: Bool, quiet: Bool) throws {
        let out = Captured()
        let display = Self.display(terminal: terminal, quiet: quiet, step: 5, out)
        var request = AuditRequest(paths: ["a"], target: .version(ModuleVersion(6, 0, 0)))
        request.progress = display.progress
        _ = try display.around(interval: 0.001) {
            let run = try Invocation.audit(request, knowledge: try KnowledgeBase.load(), host: Self.host)
            Thread.sleep(forTimeInterval: 0.05)
            return run
        }
        for _ in 0..<3 { display.tick() }
        display.finish()
        #expect(out.writes.isEmpty)
        #expect(display.progress.snapshot.filesParsed > 0)   // counted all the same
    }

    @Test("the line: one root or several, singular and plural")
    func lineText() {
        var s = AuditProgress.Snapshot()
        s.rootsTotal = 1
        s.root = 1
        s.filesParsed = 1
        s.moduleCalls = 1
        #expect(ProgressDisplay.line(s) == "ghr-audit: 1 file parsed, 1 module call")
        s.rootsTotal = 3
        s.filesParsed = 1204
        s.moduleCalls = 7
        s.step = "rehearsing"
        #expect(ProgressDisplay.line(s) == "ghr-audit: root 1/3, 1204 files parsed, 7 module calls (rehearsing)")
    }
}
