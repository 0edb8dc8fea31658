/// The `=` alignment `terraform fmt` gives a group of one-line arguments (consecutive lines at
/// the same indentation, each `name = value` on one line): every `=` one space after the widest
/// name. Fixes rename and insert arguments; the groups they touch are realigned, nothing else.
public enum HCLAlignment {
    /// `text` with every group that holds one of `lines` (0-based) realigned.
    public static func realign(_ text: String, touching lines: Set<Int>) -> String {
        guard !lines.isEmpty else { return text }
        var all = UnifiedDiff.lines(text)
        let parsed = argumentLines(all)
        var i = 0
        while i < all.count {
            guard let first = parsed[i] else { i += 1; continue }
            var end = i + 1
            while end < all.count, let next = parsed[end], next.indent == first.indent { end += 1 }
            if (i..<end).contains(where: lines.contains) {
                let width = (i..<end).map { parsed[$0]!.name.count }.max()!
                for k in i..<end {
                    let a = parsed[k]!
                    all[k] = a.indent + a.name + String(repeating: " ", count: width - a.name.count) + " = " + a.value + a.eol
                }
            }
            i = end
        }
        return all.joined()
    }

    struct Argument { var indent: String; var name: String; var value: String; var eol: String }

    /// For each line: the argument it holds when it is a whole `name = value` on one line (not in
    /// a heredoc, brackets balanced), else nil.
    static func argumentLines(_ lines: [String]) -> [Argument?] {
        var out: [Argument?] = []
        var heredoc: String?
        for raw in lines {
            var line = Substring(raw), eol = ""
            if line.hasSuffix("\r\n") { eol = "\r\n"; line = line.dropLast() } else if line.hasSuffix("\n") { eol = "\n"; line = line.dropLast() }
            if let marker = heredoc {
                if line.trimmingCharacters(in: " \t") == marker { heredoc = nil }
                out.append(nil)
                continue
            }
            if let r = line.range(of: "<<") {
                let tag = line[r.upperBound...].drop { $0 == "-" }.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !tag.isEmpty { heredoc = String(tag) }
                out.append(nil)
                continue
            }
            out.append(argument(line, eol: eol))
        }
        return out
    }

    static func argument(_ line: Substring, eol: String) -> Argument? {
        let indent = line.prefix { $0 == " " || $0 == "\t" }
        let rest = line.dropFirst(indent.count)
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        guard let c = name.first, c.isLetter || c == "_" else { return nil }
        let afterName = rest.dropFirst(name.count)
        let spaces = afterName.prefix { $0 == " " || $0 == "\t" }
        let eq = afterName.dropFirst(spaces.count)
        guard eq.first == "=", eq.dropFirst().first != "=" else { return nil }
        let value = eq.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard !value.isEmpty, balanced(value) else { return nil }
        return Argument(indent: String(indent), name: String(name), value: String(value), eol: eol)
    }

    /// Whether brackets outside strings open and close on this line (a one-line value).
    static func balanced(_ value: Substring) -> Bool {
        var depth = 0, inString = false, escaped = false
        for ch in value {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            switch ch {
            case "\"": inString = true
            case "#": return depth == 0
            case "/": continue
            case "{", "[", "(": depth += 1
            case "}", "]", ")": depth -= 1
            default: break
            }
            if depth < 0 { return false }
        }
        return depth == 0 && !inString
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
