import Foundation
import Testing
@testable import Gate

/// Runs `tool arguments…` in `directory`; returns the exit status and the combined output.
private func run(_ tool: String, _ arguments: [String], in directory: URL) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    process.currentDirectoryURL = directory
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

private func toolAvailable(_ tool: String) -> Bool {
    ["/usr/bin/\(tool)", "/bin/\(tool)", "/usr/local/bin/\(tool)"].contains { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Deterministic pseudo-random numbers (a linear congruential generator) for the property test.
private struct LCG {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }
}

private func lcsLength(_ a: [String], _ b: [String]) -> Int {
    var dp = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
        for j in stride(from: b.count - 1, through: 0, by: -1) {
            dp[i][j] = a[i] == b[j] ? dp[i + 1][j + 1] + 1 : max(dp[i + 1][j], dp[i][j + 1])
        }
    }
    return dp[0][0]
}

private func numbered(_ range: ClosedRange<Int>) -> String {
    range.map { "line \($0)\n" }.joined()
}

@Suite("Unified diffs")
struct UnifiedDiffTests {
    @Test func exactFormatOfASmallChange() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n"
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n"
        #expect(UnifiedDiff.render(path: "main.tf", old: old, new: new) == """
        --- a/main.tf
        +++ b/main.tf
        @@ -2,7 +2,7 @@
         b
         c
         d
        -e
        +E
         f
         g
         h

        """)
    }

    @Test func equalTextsGiveNoDiff() {
        #expect(UnifiedDiff.render(path: "x", old: "a\n", new: "a\n") == "")
    }

    @Test func missingFinalNewlineIsMarked() {
        #expect(UnifiedDiff.render(path: "f", old: "a\nb", new: "a\nb\n") == """
        --- a/f
        +++ b/f
        @@ -1,2 +1,2 @@
         a
        -b
        \\ No newline at end of file
        +b

        """)
    }

    @Test func emptyRangesNameTheLineBefore() {
        #expect(UnifiedDiff.render(path: "f", old: "", new: "a\n").contains("@@ -0,0 +1,1 @@\n+a\n"))
        #expect(UnifiedDiff.render(path: "f", old: "a\n", new: "").contains("@@ -1,1 +0,0 @@\n-a\n"))
        let inserted = UnifiedDiff.render(path: "f", old: "a\nb\n", new: "a\nb\nc\n", context: 0)
        #expect(inserted.contains("@@ -2,0 +3,1 @@\n+c\n"))
    }

    @Test func distantChangesMakeSeparateHunksAndNearOnesMerge() {
        let old = numbered(1...30)
        var lines = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[2] = "changed 3"; lines[24] = "changed 25"
        let far = UnifiedDiff.render(path: "f", old: old, new: lines.joined(separator: "\n"))
        #expect(far.split(separator: "@@ -").count == 3)
        #expect(far.contains("@@ -1,6 +1,6 @@") && far.contains("@@ -22,7 +22,7 @@"))
        lines = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[9] = "changed 10"; lines[15] = "changed 16"
        let near = UnifiedDiff.render(path: "f", old: old, new: lines.joined(separator: "\n"))
        #expect(near.split(separator: "@@ -").count == 2)
        #expect(near.contains("@@ -7,13 +7,13 @@"))
    }

    @Test func editScriptIsMinimal() {
        var rng = LCG(state: 42)
        for _ in 0..<300 {
            let a = (0..<rng.next(12)).map { _ in ["x", "y", "z", "w"][rng.next(4)] }
            let b = (0..<rng.next(12)).map { _ in ["x", "y", "z", "w"][rng.next(4)] }
            let ops = UnifiedDiff.script(a, b)
            let changes = ops.filter { $0.kind != .equal }.count
            #expect(changes == a.count + b.count - 2 * lcsLength(a, b), "\(a) -> \(b)")
            // And the script really turns a into b.
            var rebuilt: [String] = []
            for op in ops where op.kind != .delete { rebuilt.append(op.kind == .insert ? b[op.new] : a[op.old]) }
            #expect(rebuilt == b)
            #expect(ops.filter { $0.kind != .insert }.map { a[$0.old] } == a)
        }
    }

    static let gitCases: [(name: String, old: String, new: String)] = [
        ("middle", numbered(1...20), numbered(1...9) + "inserted\n" + numbered(11...20)),
        ("start", "module \"r\" {\n  version = \"3.6.1\"\n}\n", "# ghr-audit:ignore JIT-101 -- r\nmodule \"r\" {\n  version = \"4.1.0\"\n}\n"),
        ("end", numbered(1...8), numbered(1...7) + "line 8 changed\nline 9\n"),
        ("two hunks", numbered(1...40), numbered(1...4) + numbered(6...33) + "new 34\n" + numbered(35...40)),
        ("add final newline", "a\nb", "a\nb\n"),
        ("drop final newline", "a\nb\n", "a\nc"),
        ("no newline either side", "a\nb\nc", "a\nB\nc"),
        ("crlf", "a = 1\r\nb = 2\r\nc = 3\r\n", "a = 1\r\nb = 20\r\nc = 3\r\n"),
        ("unicode", "name = \"é\"\n# ✓\n", "name = \"ü\"\n# ✓\n"),
        ("to empty", "a\nb\n", ""),
        ("from empty", "", "a\nb\n"),
        ("everything differs", numbered(1...5), "x\ny\n"),
    ]

    @Test(arguments: gitCases)
    func acceptedByGitApplyAndPatch(_ c: (name: String, old: String, new: String)) throws {
        try checkWithGitAndPatch(c, path: "modules/runner/main.tf")
    }

    @Test func pathsWithSpacesAndNonASCIINames() throws {
        #expect(UnifiedDiff.render(path: "my dir/a.tf", old: "a\n", new: "b\n").hasPrefix("--- a/my dir/a.tf\t\n+++ b/my dir/a.tf\t\n"))
        try checkWithGitAndPatch(("spaces", "a\nb\n", "a\nc\n"), path: "runner configs/linux build.yaml")
        try checkWithGitAndPatch(("non-ASCII", "a\nb\n", "a\nc\n"), path: "vorlagen/übersicht.tf")
    }

    private func checkWithGitAndPatch(_ c: (name: String, old: String, new: String), path: String) throws {
        guard toolAvailable("git") else {
            print("skipped: git is not installed")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gate-diff-\(UUID().uuidString)")
        let file = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let patch = UnifiedDiff.render(path: path, old: c.old, new: c.new)
        try Data(patch.utf8).write(to: dir.appendingPathComponent("fix.patch"))

        try Data(c.old.utf8).write(to: file)
        let (check, checkOutput) = try run("git", ["apply", "--check", "fix.patch"], in: dir)
        #expect(check == 0, "git apply --check rejected the \(c.name) patch: \(checkOutput)\n\(patch)")
        let (applied, applyOutput) = try run("git", ["apply", "fix.patch"], in: dir)
        #expect(applied == 0, "\(applyOutput)")
        #expect(try Data(contentsOf: file) == Data(c.new.utf8), "git apply produced different text for \(c.name)")

        guard toolAvailable("patch") else { return }
        try Data(c.old.utf8).write(to: file)
        let (patched, patchOutput) = try run("patch", ["-p1", "--quiet", "--force", "-i", "fix.patch"], in: dir)
        #expect(patched == 0, "patch -p1 rejected the \(c.name) patch: \(patchOutput)")
        if FileManager.default.fileExists(atPath: file.path) {
            #expect(try Data(contentsOf: file) == Data(c.new.utf8), "patch produced different text for \(c.name)")
        } else {
            #expect(c.new.isEmpty)   // patch removes a file that becomes empty
        }
    }
}
