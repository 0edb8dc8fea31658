/// Unified diffs of whole files, in the form `git apply` and `patch -p1` accept.
///
/// Lines are compared with their terminators, so a change of line ending or of the final newline
/// is a change; a last line without a newline is followed by `\ No newline at end of file`.
/// The diff is minimal (Myers) unless the two versions differ in more than `maxEditDistance`
/// lines past their common head and tail, when the differing middle is replaced as a block.
public enum UnifiedDiff {
    /// Beyond this many differing lines the diff stops searching for the shortest edit script;
    /// bounds memory at roughly its square, in machine words.
    static let maxEditDistance = 2000

    /// `--- a/path`, `+++ b/path` (`path` relative to the scan root, with `/`), then hunks with `context` lines around each change; "" when
    /// the texts are equal.
    public static func render(path: String, old: String, new: String, context: Int = 3) -> String {
        let a = lines(old), b = lines(new)
        guard a != b else { return "" }
        let ops = script(a, b)
        // A name with a space ends at a tab, as in GNU diff output (where a timestamp follows),
        // so that `patch` does not cut it at the space; `git apply` accepts both forms.
        let end = path.contains(" ") ? "\t\n" : "\n"
        var out = "--- a/\(path)\(end)+++ b/\(path)\(end)"
        for hunk in hunks(ops, context: context) {
            let oldLines = hunk.filter { $0.kind != .insert }
            let newLines = hunk.filter { $0.kind != .delete }
            // A range with no lines names the line before it (0 at the start of the file).
            let oldStart = oldLines.first.map { $0.old + 1 } ?? hunk.first!.old
            let newStart = newLines.first.map { $0.new + 1 } ?? hunk.first!.new
            out += "@@ -\(oldStart),\(oldLines.count) +\(newStart),\(newLines.count) @@\n"
            for op in hunk {
                let (prefix, line) = switch op.kind {
                case .equal: (" ", a[op.old])
                case .delete: ("-", a[op.old])
                case .insert: ("+", b[op.new])
                }
                out += prefix + line
                if line.utf8.last != 0x0A { out += "\n\\ No newline at end of file\n" }   // not hasSuffix: "\r\n" is one Character
            }
        }
        return out
    }

    /// The 0-based indexes of the lines of `new` that the shortest edit script inserts (the
    /// lines a change of `old` wrote).
    public static func insertedLines(old: String, new: String) -> Set<Int> {
        let a = lines(old), b = lines(new)
        guard a != b else { return [] }
        return Set(script(a, b).filter { $0.kind == .insert }.map(\.new))
    }

    /// The lines of `text`, each with its `\n` (the last one may lack it).
    public static func lines(_ text: String) -> [String] {
        var result: [String] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let next = utf8.index(after: i)
            if utf8[i] == 0x0A {
                result.append(String(text[start..<next]))
                start = next
            }
            i = next
        }
        if start != utf8.endIndex { result.append(String(text[start...])) }
        return result
    }

    enum Kind { case equal, delete, insert }

    /// One line of the edit script; `old`/`new` are 0-based indexes of the line in each version
    /// (for an insertion `old` is where it goes, for a deletion `new` likewise).
    struct Op {
        var kind: Kind
        var old: Int
        var new: Int
    }

    /// The shortest edit script from `a` to `b` (Myers' greedy algorithm on the part between the
    /// common head and tail).
    static func script(_ a: [String], _ b: [String]) -> [Op] {
        var ids: [String: Int] = [:]
        for line in a + b where ids[line] == nil { ids[line] = ids.count }
        let x = a.map { ids[$0]! }, y = b.map { ids[$0]! }

        var head = 0
        while head < x.count, head < y.count, x[head] == y[head] { head += 1 }
        var tail = 0
        while tail < x.count - head, tail < y.count - head, x[x.count - 1 - tail] == y[y.count - 1 - tail] { tail += 1 }
        let xm = Array(x[head..<(x.count - tail)]), ym = Array(y[head..<(y.count - tail)])

        var ops: [Op] = (0..<head).map { Op(kind: .equal, old: $0, new: $0) }
        for op in middle(xm, ym) {
            ops.append(Op(kind: op.kind, old: op.old + head, new: op.new + head))
        }
        for k in 0..<tail {
            ops.append(Op(kind: .equal, old: x.count - tail + k, new: y.count - tail + k))
        }
        return ops
    }

    private static func middle(_ x: [Int], _ y: [Int]) -> [Op] {
        let n = x.count, m = y.count
        func replaceAll() -> [Op] {
            (0..<n).map { Op(kind: .delete, old: $0, new: 0) } + (0..<m).map { Op(kind: .insert, old: n, new: $0) }
        }
        if n == 0 || m == 0 { return replaceAll() }
        let maxD = min(n + m, maxEditDistance)
        let offset = maxD + 1
        var v = [Int](repeating: 0, count: 2 * maxD + 3)
        var trace: [[Int]] = []
        var found = false
        search: for d in 0...maxD {
            trace.append(Array(v[(offset - d)...(offset + d)]))
            for k in stride(from: -d, through: d, by: 2) {
                var i: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    i = v[offset + k + 1]                           // down: an insertion
                } else {
                    i = v[offset + k - 1] + 1                       // right: a deletion
                }
                var j = i - k
                while i < n, j < m, x[i] == y[j] { i += 1; j += 1 }
                v[offset + k] = i
                if i >= n, j >= m { found = true; break search }
            }
        }
        guard found else { return replaceAll() }

        // Walk back through the saved frontiers.
        var ops: [Op] = []
        var i = n, j = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let saved = trace[d]
            func at(_ k: Int) -> Int { saved[k + d] }               // saved covers k in -d...d
            let k = i - j
            let prevK: Int
            if d == 0 {
                prevK = 0
            } else if k == -d || (k != d && at(k - 1) < at(k + 1)) {
                prevK = k + 1
            } else {
                prevK = k - 1
            }
            let prevI = d == 0 ? 0 : at(prevK)
            let prevJ = prevI - prevK
            while i > prevI, j > prevJ {
                i -= 1; j -= 1
                ops.append(Op(kind: .equal, old: i, new: j))
            }
            if d > 0 {
                if prevK == k + 1 {
                    j -= 1
                    ops.append(Op(kind: .insert, old: i, new: j))
                } else {
                    i -= 1
                    ops.append(Op(kind: .delete, old: i, new: j))
                }
            }
        }
        return ops.reversed()
    }

    /// Groups the script into hunks: each change with `context` equal lines around it, hunks
    /// merged when their contexts would touch.
    static func hunks(_ ops: [Op], context: Int) -> [[Op]] {
        let changed = ops.indices.filter { ops[$0].kind != .equal }
        guard !changed.isEmpty else { return [] }
        var result: [[Op]] = []
        var start = max(0, changed[0] - context)
        var end = min(ops.count - 1, changed[0] + context)
        for c in changed.dropFirst() {
            if c - context <= end + 1 {
                end = min(ops.count - 1, c + context)
            } else {
                result.append(Array(ops[start...end]))
                start = c - context
                end = min(ops.count - 1, c + context)
            }
        }
        result.append(Array(ops[start...end]))
        return result
    }
}
