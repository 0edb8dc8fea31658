import AuditCore

/// JUnit XML, in the dialect Jenkins' JUnit plugin and GitLab's test reports both read.
///
/// - One `<testsuite>` per file with findings (`name` = the path), one `<testcase>` per finding
///   (`classname` = the rule id, `name` = `path:line:col`), so CI groups failures by rule and
///   names the place.
/// - Errors are `<failure>` (message attribute = the message, text = detail, notes and fix);
///   errors tagged `parse` are `<error>`: the tool could not read the file, which is what JUnit's
///   "error" (the test could not run) means. Both CI systems count these and fail the report.
/// - Warnings and notes are passing test cases whose `<system-out>` carries the same text.
///   Jenkins turns any failure into an UNSTABLE build and GitLab lists them as failed tests, so
///   making warnings failures would contradict the tool's own exit code; both systems show
///   `<system-out>` on the test case's page, so the warning is visible without failing CI.
/// - Suppressed and baselined findings are `<skipped>` test cases (message = the reason) in
///   their file's suite, so CI counts them without failing.
/// - A run without findings has one passing test case, so CI shows that the audit ran.
/// - Every suite carries the audited scope as `<properties>` (`audited`, and `unresolved` when
///   something was not resolved).
enum JUnitReporter {
    static func render(_ report: Report) -> String {
        var suites: [Suite] = Counting.groupedByFile(report.findings).map { group in
            Suite(name: group.path.isEmpty ? "." : group.path, cases: group.findings.map(testCase))
        }
        for group in Counting.groupedByFile(report.dismissed.map(\.finding)) {
            let name = group.path.isEmpty ? "." : group.path
            let cases = report.dismissed.filter { $0.finding.location.path == group.path }.map { d in
                Case(classname: d.finding.ruleId, name: place(d.finding), outcome: .skipped(Counting.dismissal(d)))
            }
            if let i = suites.firstIndex(where: { $0.name == name }) { suites[i].cases += cases } else { suites.append(Suite(name: name, cases: cases)) }
        }
        if suites.isEmpty {
            suites = [Suite(name: report.toolName, cases: [
                Case(classname: report.toolName, name: "no findings in \(Counting.phrase(report.filesScanned, "file")) scanned", outcome: .passed)
            ])]
        }
        let tests = suites.reduce(0) { $0 + $1.cases.count }
        let failures = suites.reduce(0) { $0 + $1.failures }
        let errors = suites.reduce(0) { $0 + $1.errors }
        let skipped = suites.reduce(0) { $0 + $1.skipped }

        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"\(XML.attribute(report.toolName))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\">\n"
        for suite in suites {
            out += "  <testsuite name=\"\(XML.attribute(suite.name))\" tests=\"\(suite.cases.count)\" failures=\"\(suite.failures)\" errors=\"\(suite.errors)\" skipped=\"\(suite.skipped)\">\n"
            // What was audited, on every suite (both CI systems show a suite's properties).
            out += "    <properties>\n"
            for (i, line) in report.scopeLines.enumerated() {
                out += "      <property name=\"\(i == 0 ? "audited" : "unresolved")\" value=\"\(XML.attribute(line))\"/>\n"
            }
            out += "    </properties>\n"
            for c in suite.cases {
                let open = "    <testcase classname=\"\(XML.attribute(c.classname))\" name=\"\(XML.attribute(c.name))\""
                switch c.outcome {
                case .passed:
                    out += open + "/>\n"
                case .skipped(let message):
                    out += open + ">\n      <skipped message=\"\(XML.attribute(message))\"/>\n    </testcase>\n"
                case .output(let text):
                    out += open + ">\n      <system-out>\(XML.text(text))</system-out>\n    </testcase>\n"
                case .failure(let message, let type, let text), .error(let message, let type, let text):
                    let element = if case .failure = c.outcome { "failure" } else { "error" }
                    out += open + ">\n      <\(element) message=\"\(XML.attribute(message))\" type=\"\(XML.attribute(type))\">"
                        + XML.text(text) + "</\(element)>\n    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    struct Suite {
        var name: String
        var cases: [Case]
        var failures: Int { cases.filter { if case .failure = $0.outcome { true } else { false } }.count }
        var errors: Int { cases.filter { if case .error = $0.outcome { true } else { false } }.count }
        var skipped: Int { cases.filter { if case .skipped = $0.outcome { true } else { false } }.count }
    }

    struct Case {
        enum Outcome {
            case passed
            case output(String)
            case skipped(String)
            case failure(message: String, type: String, text: String)
            case error(message: String, type: String, text: String)
        }
        var classname: String
        var name: String
        var outcome: Outcome
    }

    static func place(_ f: Finding) -> String { "\(f.location.path):\(f.location.start.line):\(f.location.start.column)" }

    static func testCase(_ f: Finding) -> Case {
        let place = place(f)
        let body = description(f, place: place)
        let outcome: Case.Outcome =
            switch f.severity {
            case .error where f.isToolProblem: .error(message: f.message, type: f.ruleId, text: body)
            case .error: .failure(message: f.message, type: f.ruleId, text: body)
            case .warning, .note: .output("\(f.severity.rawValue)[\(f.ruleId)]: \(f.message)\n" + body)
            }
        return Case(classname: f.ruleId, name: place, outcome: outcome)
    }

    /// The text inside `<failure>` or `<system-out>`: where, the detail, notes, fix.
    static func description(_ f: Finding, place: String) -> String {
        var lines = ["at \(place)-\(f.location.end.line):\(f.location.end.column)"]
        if let detail = f.detail, !detail.isEmpty { lines.append(detail) }
        for note in f.related {
            lines.append("note: \(note.location.path):\(note.location.start.line):\(note.location.start.column): \(note.message)")
        }
        if let fix = f.fix { lines.append("fix: " + fix.description) }
        return lines.joined(separator: "\n")
    }
}

/// XML 1.0 escaping.
enum XML {
    /// Character data: `&`, `<`, `>` as entities; characters XML 1.0 cannot carry at all (C0
    /// controls other than tab, newline and carriage return; U+FFFE, U+FFFF) as their visible
    /// Control Pictures or U+FFFD, since not even a character reference may stand for them.
    static func text(_ s: String) -> String { escape(s, attribute: false) }

    /// Attribute values, double-quoted: as `text`, plus `"` and `'`, and tab, newline and
    /// carriage return as character references so attribute normalisation keeps them.
    static func attribute(_ s: String) -> String { escape(s, attribute: true) }

    private static func escape(_ s: String, attribute: Bool) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            case "\t" where attribute: out += "&#9;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 {
                    out.unicodeScalars.append(Unicode.Scalar(0x2400 + v)!)
                } else if v == 0xFFFE || v == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
