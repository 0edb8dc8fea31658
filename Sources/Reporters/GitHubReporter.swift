import AuditCore

/// GitHub Actions workflow commands, one line per finding, which the runner turns into
/// annotations on the pull request's changed files and the run summary:
///
///     ::error file=main.tf,line=3,col=3,endLine=3,endColumn=6,title=TF-101::input `foo` was removed
///
/// `notice` stands for notes. The message carries the detail, the related notes and the fix as
/// further lines (`%0A`), because the annotation is often the only place the reader sees the
/// finding. All
/// values are escaped, so text quoted from a scanned file can never end the command or start
/// another one.
enum GitHubReporter {
    static func render(_ report: Report) -> String {
        var lines = report.findings.map(command)
        if let counts = Counting.dismissedPhrase(report) {
            lines.append("::notice title=\(escapeProperty(report.toolName))::\(escapeData(counts + " finding(s) not annotated"))")
        }
        if let hidden = Counting.hiddenPhrase(report) {
            lines.append("::notice title=\(escapeProperty(report.toolName))::\(escapeData(hidden + ", not annotated"))")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    static func command(_ f: Finding) -> String {
        let name =
            switch f.severity {
            case .error: "error"
            case .warning: "warning"
            case .note: "notice"
            }
        var properties: [(String, String)] = []
        if !f.location.path.isEmpty {
            properties += [
                ("file", f.location.path),
                ("line", String(f.location.start.line)),
                ("col", String(f.location.start.column)),
                ("endLine", String(f.location.end.line)),
                ("endColumn", String(f.location.end.column)),
            ]
        }
        properties.append(("title", f.ruleId))
        let list = properties.map { "\($0.0)=\(escapeProperty($0.1))" }.joined(separator: ",")
        return "::\(name) \(list)::\(escapeData(message(f)))"
    }

    static func message(_ f: Finding) -> String {
        var parts = [f.message]
        if let detail = f.detail, !detail.isEmpty { parts.append(detail) }
        if !f.related.isEmpty {
            parts.append(f.related.map { "note: \($0.location.path):\($0.location.start.line):\($0.location.start.column): \($0.message)" }.joined(separator: "\n"))
        }
        if let fix = f.fix, !fix.description.isEmpty { parts.append("Fix: " + fix.description) }
        return parts.joined(separator: "\n\n")
    }

    /// The escaping of a command's message: `%`, CR and LF.
    static func escapeData(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The escaping of a property value: as data, plus `:` and `,`, which end the value.
    static func escapeProperty(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case ":": out += "%3A"
            case ",": out += "%2C"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
