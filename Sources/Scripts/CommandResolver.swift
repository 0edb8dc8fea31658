/// Finds the program a command really runs, looking through wrappers (`sudo … --`, `env X=1`,
/// `nohup`, `timeout 5`, PowerShell `&`, `Start-Process -FilePath`), and the words that hold an
/// embedded script (`bash -c '…'`, `su -c "…"`, `eval`, `trap`, `Invoke-Expression`, `cmd /c`).
enum CommandResolver {
    struct Resolution {
        var nameIndex: Int?
        var name: String?
        var arguments: [ScriptWord] = []
        /// Indices of words whose content is a script run by this command.
        var embedded: [Int] = []
    }

    static let shells: Set<String> = ["bash", "sh", "zsh", "dash", "ksh", "ash"]
    private static let maxWrapperHops = 16

    static func resolve(_ words: [ScriptWord], language: ScriptLanguage) -> Resolution {
        language == .bash ? resolveBash(words) : resolvePowerShell(words)
    }

    // MARK: bash

    private static func resolveBash(_ words: [ScriptWord]) -> Resolution {
        var i = 0
        var hops = 0
        while i < words.count, hops < maxWrapperHops {
            hops += 1
            let name = ScriptCommand.basename(words[i].value)
            switch name {
            case "sudo", "doas":
                i += 1
                while i < words.count {
                    let v = words[i].value
                    if v == "--" { i += 1; break }
                    guard v.hasPrefix("-"), v.count > 1 else { break }
                    // `-u user`, and combined flags ending in a valued one: `-iu user`, `-Eu user`.
                    let valued: Set<Character> = ["u", "g", "C", "D", "h", "p", "r", "t", "U", "T"]
                    if !v.hasPrefix("--"), let last = v.last, valued.contains(last) { i += 2 } else { i += 1 }
                }
            case "env":
                i += 1
                while i < words.count {
                    let v = words[i].value
                    if v == "--" { i += 1; break }
                    if v == "-u" || v == "-C" || v == "-S" { i += 2; continue }
                    if v.hasPrefix("-") || isAssignmentWord(v) { i += 1; continue }
                    break
                }
            case "nohup", "exec", "command", "builtin", "setsid", "time", "nice", "ionice", "stdbuf", "chronic":
                // Options that take a separate value, per wrapper.
                let valued: Set<String> = switch name {
                case "exec": ["-a"]
                case "nice": ["-n"]
                case "ionice": ["-c", "-n", "-p"]
                case "stdbuf": ["-i", "-o", "-e"]
                case "time": ["-f", "-o"]
                default: []
                }
                i += 1
                while i < words.count, words[i].value.hasPrefix("-"), words[i].value != "--" {
                    i += valued.contains(words[i].value) ? 2 : 1
                }
                if i < words.count, words[i].value == "--" { i += 1 }
            case "timeout":
                i += 1
                while i < words.count, words[i].value.hasPrefix("-") {
                    i += ["-s", "-k", "--signal", "--kill-after"].contains(words[i].value) ? 2 : 1
                }
                i += 1 // the duration
            case "runuser":
                // `runuser -u user -- cmd` runs cmd; `runuser -l user -c 'cmd'` runs a string.
                if let c = flagValueIndex(words, from: i + 1, flags: ["-c", "--command"]) {
                    return Resolution(nameIndex: i, name: words[i].value, arguments: Array(words[(i + 1)...]), embedded: [c])
                }
                i += 1
                while i < words.count {
                    let v = words[i].value
                    if v == "--" { i += 1; break }
                    guard v.hasPrefix("-") else { break }
                    i += ["-u", "-g", "-G", "-l", "-s", "--user", "--group", "--shell"].contains(v) ? 2 : 1
                }
            default:
                var r = Resolution(nameIndex: i, name: words[i].value, arguments: Array(words[(i + 1)...]))
                if shells.contains(name) {
                    if let c = shellCommandIndex(words, from: i + 1) { r.embedded = [c] }
                } else if name == "su" {
                    if let c = flagValueIndex(words, from: i + 1, flags: ["-c", "--command"]) { r.embedded = [c] }
                } else if name == "eval" {
                    r.embedded = Array((i + 1)..<words.count)
                } else if name == "trap", i + 2 < words.count {
                    if words[i + 1].value != "-", !words[i + 1].value.hasPrefix("-") { r.embedded = [i + 1] }
                }
                return r
            }
        }
        return Resolution()
    }

    private static func isAssignmentWord(_ v: String) -> Bool {
        guard let eq = v.firstIndex(of: "="), eq != v.startIndex else { return false }
        return v[..<eq].utf8.allSatisfy(\.isIdentifierByte)
    }

    /// `bash -c 'script'`, `bash -ec 'script'`, `sh -xc …`.
    private static func shellCommandIndex(_ words: [ScriptWord], from: Int) -> Int? {
        var i = from
        while i < words.count {
            let v = words[i].value
            guard v.hasPrefix("-"), v != "--", !v.hasPrefix("--") else { return nil }
            if v.dropFirst().contains("c") { return i + 1 < words.count ? i + 1 : nil }
            i += v == "-o" ? 2 : 1
        }
        return nil
    }

    private static func flagValueIndex(_ words: [ScriptWord], from: Int, flags: Set<String>) -> Int? {
        var i = from
        while i < words.count {
            if flags.contains(words[i].value) { return i + 1 < words.count ? i + 1 : nil }
            i += 1
        }
        return nil
    }

    // MARK: PowerShell

    private static func isParameter(_ w: ScriptWord) -> Bool {
        w.value.hasPrefix("-") && w.value.count > 1 && !w.isQuoted && w.value.dropFirst().first.map { $0.isLetter } == true
    }

    private static func resolvePowerShell(_ words: [ScriptWord]) -> Resolution {
        guard !words.isEmpty else { return Resolution() }
        var i = 0
        if words[0].value == "&" || words[0].value == "." { i = 1 }
        guard i < words.count else { return Resolution() }
        let name = ScriptCommand.basename(words[i].value).lowercased()
        let rest = Array(words[(i + 1)...])
        switch name {
        case "start-process", "saps", "start":
            var file: Int?
            var args: [ScriptWord] = []
            var j = i + 1
            var positional: [Int] = []
            while j < words.count {
                let w = words[j]
                let lower = w.value.lowercased()
                if isParameter(w) {
                    if ["-filepath", "-file", "-path", "-pspath"].contains(lower) {
                        file = j + 1 < words.count ? j + 1 : nil
                        j += 2
                        continue
                    }
                    if ["-argumentlist", "-args", "-arguments"].contains(lower) {
                        j += 1
                        while j < words.count, !isParameter(words[j]) {
                            if words[j].value != "," { args.append(words[j]) }
                            j += 1
                        }
                        continue
                    }
                    let switches: Set<String> = ["-wait", "-nonewwindow", "-passthru", "-usenewenvironment", "-loaduserprofile"]
                    j += switches.contains(lower) ? 1 : 2
                    continue
                }
                positional.append(j)
                j += 1
            }
            if file == nil, let first = positional.first {
                file = first
                if args.isEmpty { args = positional.dropFirst().map { words[$0] } }
            }
            guard let f = file else { return Resolution(nameIndex: i, name: words[i].value, arguments: rest) }
            return Resolution(nameIndex: f, name: words[f].value, arguments: args)
        case "invoke-expression", "iex":
            var r = Resolution(nameIndex: i, name: words[i].value, arguments: rest)
            if let c = (i + 1..<words.count).first(where: { !isParameter(words[$0]) }) { r.embedded = [c] }
            return r
        case "cmd", "cmd.exe":
            var r = Resolution(nameIndex: i, name: words[i].value, arguments: rest)
            if let c = (i + 1..<words.count).first(where: { ["/c", "/k"].contains(words[$0].value.lowercased()) }) {
                r.embedded = Array((c + 1)..<words.count)
            }
            return r
        case "powershell", "powershell.exe", "pwsh", "pwsh.exe":
            var r = Resolution(nameIndex: i, name: words[i].value, arguments: rest)
            if let c = (i + 1..<words.count).first(where: { ["-command", "-c"].contains(words[$0].value.lowercased()) }),
               c + 1 < words.count {
                r.embedded = [c + 1]
            }
            return r
        default:
            return Resolution(nameIndex: i, name: words[i].value, arguments: rest)
        }
    }
}
