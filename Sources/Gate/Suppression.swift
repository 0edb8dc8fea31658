import AuditCore
import Foundation

/// The reserved rule ids Gate reports under, and the tags it reads and writes.
public enum GateRules {
    /// A problem in `.ghr-audit.yml` (the engine turns `GateConfig` problems into these).
    public static let configProblem = "CORE-005"
    /// A suppression names a rule id the tool does not know.
    public static let unknownRule = "CORE-010"
    /// A suppression directive is malformed, has no reason, or names a rule that cannot be suppressed.
    public static let invalidSuppression = "CORE-011"
    /// A suppression's `exp:` date has passed; it no longer suppresses.
    public static let expiredSuppression = "CORE-012"
    /// A suppression matched no finding.
    public static let unusedSuppression = "CORE-013"

    /// Findings with this tag report unreadable input and are never suppressed.
    public static let parseTag = "parse"
    /// The tag of every finding this file generates.
    public static let suppressionTag = "suppression"

    static let own: Set<String> = [unknownRule, invalidSuppression, expiredSuppression, unusedSuppression]
}

/// One inline directive:
///
///     # ghr-audit:ignore JIT-101,JIT-104 exp:2026-12-31 -- AMI is rebuilt from the platform repo
///
/// It covers findings whose primary location starts on `line`: the line of the comment when the
/// comment ends (or shares) a line of code, otherwise the next line holding code.
public struct Suppression: Sendable, Hashable {
    public struct Rule: Sendable, Hashable {
        public var id: String
        /// Exactly the id in the directive.
        public var range: SourceRange
    }

    public var rules: [Rule]
    /// The text after ` -- `; nil when missing (the directive then suppresses nothing).
    public var reason: String?
    /// The last day the directive suppresses (UTC); nil for no expiry.
    public var expiry: CalendarDate?
    /// The directive text, from `ghr-audit:ignore` to the end of the reason.
    public var range: SourceRange
    /// The line whose findings it covers; nil when no code follows it.
    public var line: Int?
    /// Whether the directive shares its line with code (and so covers that line).
    public var isTrailing: Bool
    /// Deletes the directive: its whole line when it stands alone, otherwise just the comment.
    public var removal: TextEdit
    /// How the ids are separated in the directive (`,` or `, `), for rewriting the list.
    var separator: String

    public var path: String { range.path }

    /// A syntactic problem with a directive, found while parsing: it is reported under
    /// `CORE-011` and the directive suppresses nothing.
    public struct Problem: Sendable, Hashable {
        public var message: String
        public var detail: String
        public var range: SourceRange

        public var finding: Finding {
            Finding(ruleId: GateRules.invalidSuppression, severity: .warning, tags: [GateRules.suppressionTag],
                    message: message, detail: detail, location: range)
        }
    }
}

// MARK: - Parsing

extension Suppression {
    static let grammar = "`ghr-audit:ignore RULE-ID[,RULE-ID…] [exp:YYYY-MM-DD] -- reason`"

    /// A script inside another file, whose comments are directives too: a bash heredoc in
    /// Terraform (`userdata_pre_install = <<-EOT`), a `run: |` block in YAML. Directives there
    /// follow the script's comment syntax and, like any other, cover the next line of code.
    public struct EmbeddedScript: Sendable, Hashable {
        /// UTF-8 byte offsets of the script text in the host file.
        public var bytes: Range<Int>
        public var language: SuppressionLanguage

        public init(bytes: Range<Int>, language: SuppressionLanguage) {
            self.bytes = bytes
            self.language = language
        }
    }

    /// Every directive in `source`, read with the comment syntax of `language` (inferred from the
    /// path and content when nil), plus those in `embedded` scripts. Never fails: directives it
    /// cannot read become problems.
    public static func parse(_ source: SourceFile, language: SuppressionLanguage? = nil, embedded: [EmbeddedScript] = [])
        -> (suppressions: [Suppression], problems: [Problem])
    {
        let lang = language ?? SuppressionLanguage.infer(path: source.path, text: source.text)
        var comments = CommentLexer.comments(in: source, language: lang)
        for script in embedded {
            let lower = max(0, min(script.bytes.lowerBound, source.bytes.count))
            let upper = max(lower, min(script.bytes.upperBound, source.bytes.count))
            // The host sees the script as data; drop any host "comment" inside it.
            comments.removeAll { $0.start >= lower && $0.start < upper }
            let inner = CommentLexer(bytes: Array(source.bytes[lower..<upper]), language: script.language, indented: true).comments()
            comments += inner.map {
                LexedComment(start: $0.start + lower, end: $0.end + lower, contentStart: $0.contentStart + lower,
                             contentEnd: $0.contentEnd + lower, isBlock: $0.isBlock)
            }
        }
        comments.sort { $0.start < $1.start }
        let codeLines = CommentLexer.codeLines(bytes: source.bytes, lineStarts: source.lineStarts, comments: comments)
        var parser = DirectiveParser(source: source, codeLines: codeLines)
        for comment in comments { parser.scan(comment) }
        return (parser.suppressions, parser.problems)
    }
}

private struct DirectiveParser {
    let source: SourceFile
    let codeLines: [Bool]
    var suppressions: [Suppression] = []
    var problems: [Suppression.Problem] = []

    init(source: SourceFile, codeLines: [Bool]) {
        self.source = source
        self.codeLines = codeLines
    }

    var bytes: [UInt8] { source.bytes }

    func text(_ a: Int, _ b: Int) -> String { source.text(from: a, to: b) }

    static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    /// Looks for a directive at the start of each line of the comment's content.
    mutating func scan(_ comment: LexedComment) {
        var s = comment.contentStart
        while s <= comment.contentEnd {
            var e = s
            while e < comment.contentEnd, bytes[e] != 0x0A { e += 1 }
            var end = e
            while end > s, Self.isBlank(bytes[end - 1]) || bytes[end - 1] == 0x0D { end -= 1 }
            var p = s
            // Decorations: `## ghr-audit`, `/// ghr-audit`, ` * ghr-audit` inside block comments.
            while p < end, Self.isBlank(bytes[p]) || bytes[p] == 0x23 || bytes[p] == 0x2F || (comment.isBlock && bytes[p] == 0x2A) { p += 1 }
            if p < end { directive(at: p, end: end, in: comment) }
            if e >= comment.contentEnd { break }
            s = e + 1
        }
    }

    func lowerASCII(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

    func word(from i: Int, end: Int) -> Int {
        var j = i
        while j < end, CommentLexer.isIdentifierByte(bytes[j]) { j += 1 }
        return j
    }

    mutating func directive(at p: Int, end: Int, in comment: LexedComment) {
        let prefix = Array("ghr-audit".utf8)
        guard end - p >= prefix.count else { return }
        for k in prefix.indices {
            let b = lowerASCII(bytes[p + k])
            guard b == prefix[k] || (k == 3 && b == 0x5F) else { return }   // ghr-audit or ghr_audit
        }
        let q = p + prefix.count
        let whole = source.range(from: p, to: end)
        let found = text(p, end)
        let exactPrefix = bytes[p..<q].elementsEqual(prefix)
        let verbs: Set<String> = ["ignore", "disable", "skip", "suppress", "nolint", "ignore-file", "disable-file"]

        if q < end, bytes[q] == 0x3A {                                   // ghr-audit:
            var v = q + 1
            let spaced = v < end && Self.isBlank(bytes[v])
            while v < end, Self.isBlank(bytes[v]) { v += 1 }
            let ve = word(from: v, end: end)
            let verb = text(v, ve)
            if verb == "ignore", exactPrefix, !spaced {
                if ve < end, !Self.isBlank(bytes[ve]) {
                    problem("Malformed suppression: expected a space after `ghr-audit:ignore`",
                            "Found `\(found)`. Separate the rule ids from the directive with a space: \(Suppression.grammar).",
                            whole)
                    return
                }
                rest(from: ve, end: end, directiveStart: p, comment: comment)
                return
            }
            if verb.lowercased() == "ignore" {
                problem("Malformed suppression: write `ghr-audit:ignore`",
                        "Found `\(text(p, ve))`; the directive is spelled exactly `ghr-audit:ignore` (lower case, no space after the colon): \(Suppression.grammar).",
                        source.range(from: p, to: ve))
                return
            }
            let lower = verb.lowercased()
            var detail = "ghr-audit knows one directive: \(Suppression.grammar)."
            if lower.hasSuffix("-file") {
                detail += " File-wide suppressions are not supported, so that every exception stays next to the line it excuses; put a directive above each flagged line, or exclude the file in `.ghr-audit.yml`."
            } else if lower == "disable" || lower == "skip" || lower == "suppress" || lower == "nolint" {
                detail += " Did you mean `ghr-audit:ignore`?"
            }
            problem("Unknown directive `ghr-audit:\(verb)`", detail, source.range(from: p, to: max(ve, q + 1)))
            return
        }
        // `ghr-audit ignore`, `ghr-audit-ignore`, `ghr_audit ignore`: the likely slips. Anything
        // else (`ghr-audit runs in CI`) is prose, not a directive.
        var v = q
        if v < end, bytes[v] == 0x2D || bytes[v] == 0x5F { v += 1 } else { while v < end, Self.isBlank(bytes[v]) { v += 1 } }
        guard v > q else { return }
        let ve = word(from: v, end: end)
        let verb = text(v, ve).lowercased()
        guard verbs.contains(verb) else { return }
        problem("Malformed suppression: write `ghr-audit:ignore`",
                "Found `\(text(p, ve))`; the directive is spelled `ghr-audit:ignore`, with a colon: \(Suppression.grammar).",
                source.range(from: p, to: ve))
    }

    mutating func problem(_ message: String, _ detail: String, _ range: SourceRange) {
        problems.append(Suppression.Problem(message: message, detail: detail, range: range))
    }

    private enum Token {
        case word(String, Int, Int)
        case comma(Int)
    }

    /// Parses `RULE-ID[,RULE-ID…] [exp:DATE] [-- reason]` in `[i, end)`.
    mutating func rest(from i: Int, end: Int, directiveStart p: Int, comment: LexedComment) {
        let whole = source.range(from: p, to: end)
        // Split off the reason at the first `--` token.
        var tokens: [Token] = []
        var reasonStart: Int?
        var j = i
        while j < end {
            let b = bytes[j]
            if Self.isBlank(b) { j += 1; continue }
            if b == 0x2C { tokens.append(.comma(j)); j += 1; continue }
            let s = j
            while j < end, !Self.isBlank(bytes[j]), bytes[j] != 0x2C { j += 1 }
            let w = text(s, j)
            if w.hasPrefix("--") {
                reasonStart = s + 2
                break
            }
            if w == "—" || w == "–" || w.hasPrefix("—") || w.hasPrefix("–") {
                problem("Malformed suppression: write `--` before the reason",
                        "Found `\(w.prefix(1))` where two hyphens were expected (editors sometimes turn `--` into a dash). The directive reads \(Suppression.grammar).",
                        source.range(from: s, to: s + String(w.prefix(1)).utf8.count))
                return
            }
            tokens.append(.word(w, s, j))
        }

        var rules: [Suppression.Rule] = []
        var expiry: CalendarDate?
        var expectId = true
        var lastComma: Int?
        var spacedCommas = false
        for token in tokens {
            switch token {
            case .comma(let at):
                if expectId {
                    let what = rules.isEmpty ? "before" : "after"
                    problem("Malformed suppression: expected a rule id \(what) `,`",
                            "Found `\(text(p, end))`. List rule ids separated by commas: \(Suppression.grammar).",
                            source.range(from: at, to: at + 1))
                    return
                }
                expectId = true
                lastComma = at
                if at + 1 < end, Self.isBlank(bytes[at + 1]) { spacedCommas = true }
            case .word(let w, let s, let e):
                let range = source.range(from: s, to: e)
                if w.hasPrefix("exp:") || w.hasPrefix("EXP:") {
                    if rules.isEmpty || expectId {
                        problem("Malformed suppression: expected a rule id before `\(w)`",
                                "The rule ids come first, then the optional expiry: \(Suppression.grammar).", range)
                        return
                    }
                    if expiry != nil {
                        problem("Malformed suppression: more than one `exp:`",
                                "A directive has at most one expiry date: \(Suppression.grammar).", range)
                        return
                    }
                    guard let date = CalendarDate(String(w.dropFirst(4))) else {
                        problem("Malformed suppression: `\(w)` is not a date",
                                "Write the expiry as `exp:YYYY-MM-DD` with a date that exists (for example `exp:2026-12-31`), before the ` -- `.",
                                range)
                        return
                    }
                    expiry = date
                    continue
                }
                if ["expires:", "expiry:", "until:", "expire:"].contains(where: { w.lowercased().hasPrefix($0) }) {
                    problem("Malformed suppression: write the expiry as `exp:YYYY-MM-DD`",
                            "Found `\(w)`. The expiry is written `exp:` followed by the date, before the ` -- `: \(Suppression.grammar).", range)
                    return
                }
                if !expectId || expiry != nil {
                    if RuleId.isWellFormed(w), expiry == nil {
                        problem("Malformed suppression: separate rule ids with `,`",
                                "Found `\(w)` after another rule id without a comma. Write `\(rules.map(\.id).joined(separator: ","))\(rules.isEmpty ? "" : ",")\(w)`.",
                                range)
                    } else {
                        problem("Malformed suppression: expected `--` before the reason",
                                "Found `\(text(s, end))` after the rule ids. A reason is separated by ` -- `, for example `ghr-audit:ignore \(rules.map(\.id).joined(separator: ",")) -- \(text(s, end))`.",
                                source.range(from: s, to: end))
                    }
                    return
                }
                if ["all", "*", "ALL"].contains(w) || w.contains("*") {
                    problem("Malformed suppression: `\(w)` is not accepted",
                            "A directive names the rules it suppresses, so that rules added later are not silenced unseen. List the ids, for example `ghr-audit:ignore JIT-101,JIT-104 -- reason`.",
                            range)
                    return
                }
                guard RuleId.isWellFormed(w) else {
                    let upper = w.uppercased()
                    let hint = RuleId.isWellFormed(upper) ? " Did you mean `\(upper)`?" : ""
                    problem("Malformed suppression: `\(w)` is not a rule id",
                            "Rule ids are 2 to 5 capital letters, a dash and three digits, like `JIT-101`.\(hint)", range)
                    return
                }
                if !rules.contains(where: { $0.id == w }) { rules.append(Suppression.Rule(id: w, range: range)) }
                expectId = false
                lastComma = nil
            }
        }
        if rules.isEmpty {
            problem("Malformed suppression: no rule ids",
                    "Name the rules to suppress after `ghr-audit:ignore`: \(Suppression.grammar).", whole)
            return
        }
        if expectId, let c = lastComma {
            problem("Malformed suppression: expected a rule id after `,`",
                    "Found `\(text(p, end))`. Remove the trailing comma or add the missing id: \(Suppression.grammar).",
                    source.range(from: c, to: c + 1))
            return
        }
        var reason: String?
        if let r = reasonStart {
            let text = text(r, end).trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("exp:") {
                let e = text.split(separator: " ").first.map(String.init) ?? text
                problem("Malformed suppression: `exp:` must come before ` -- `",
                        "Everything after ` -- ` is the reason, so `\(e)` would not set an expiry. Move it before the ` -- `: \(Suppression.grammar).",
                        whole)
                return
            }
            reason = text.isEmpty ? nil : text
        }

        let line = source.line(ofOffset: p)
        let trailing = codeLines[line - 1]
        var target: Int? = trailing ? line : nil
        if !trailing {
            var l = line + 1
            while l <= codeLines.count, !codeLines[l - 1] { l += 1 }
            if l <= codeLines.count { target = l }
        }
        suppressions.append(Suppression(
            rules: rules, reason: reason, expiry: expiry, range: whole, line: target, isTrailing: trailing,
            removal: removal(directive: p, end: end, comment: comment, line: line),
            separator: spacedCommas ? ", " : ","))
    }

    /// The edit that deletes a directive; see `Suppression.removal`.
    func removal(directive p: Int, end: Int, comment: LexedComment, line: Int) -> TextEdit {
        let fileLineStart = source.lineStarts[line - 1]
        let nextLineStart = line < source.lineStarts.count ? source.lineStarts[line] : bytes.count
        let singleLine = source.line(ofOffset: comment.start) == source.line(ofOffset: max(comment.start, comment.end - 1))
        func edit(_ a: Int, _ b: Int) -> TextEdit { TextEdit(range: source.range(from: a, to: b), newText: "") }
        if singleLine {
            if !codeLines[line - 1] { return edit(fileLineStart, nextLineStart) }
            var a = comment.start
            while a > fileLineStart, Self.isBlank(bytes[a - 1]) { a -= 1 }
            if a > fileLineStart { return edit(a, comment.end) }
            var z = comment.end
            while z < bytes.count, Self.isBlank(bytes[z]) { z += 1 }
            return edit(comment.start, z)
        }
        // A line of a larger block comment: drop the line when it holds only the directive.
        let firstLine = source.line(ofOffset: comment.start), lastLine = source.line(ofOffset: comment.end - 1)
        if line != firstLine, line != lastLine {
            return edit(fileLineStart, nextLineStart)
        }
        return edit(p, end)
    }
}

// MARK: - Applying

extension Suppression {
    /// Splits `findings` into those kept and those suppressed, and reports the directives that
    /// are wrong (`CORE-010`, `CORE-011`), stale (`CORE-012`) or useless (`CORE-013`).
    ///
    /// - A directive without a reason, past its expiry, or naming an id that is unknown or cannot
    ///   be suppressed does not suppress (for that id, or at all).
    /// - Findings tagged `parse` (and Gate's own) are never suppressed; a directive naming their
    ///   rule, or one `unsuppressible` says yes to, is reported.
    /// - Unused directives are not reported in files with a `parse` finding (rules may not have
    ///   seen the whole file), nor for rules `isEnabled` says are off.
    /// - `problems` from `parse` are turned into findings and returned among `generated`.
    ///
    /// `kept` and `suppressed` keep the order of `findings`; `generated` is sorted; `reasons[i]` is
    /// the reason of the directive that suppressed `suppressed[i]`.
    public static func apply(
        findings: [Finding],
        suppressions: [Suppression],
        problems: [Problem] = [],
        knownRuleIds: KnownRuleIds,
        today: Date,
        unsuppressible: (String) -> Bool = { _ in false },
        isEnabled: (String) -> Bool = { _ in true }
    ) -> (kept: [Finding], suppressed: [Finding], generated: [Finding], reasons: [String]) {
        let day = CalendarDate(today)
        var neverSuppressed = GateRules.own
        var filesWithParseProblems = Set<String>()
        for f in findings where f.tags.contains(GateRules.parseTag) {
            neverSuppressed.insert(f.ruleId)
            filesWithParseProblems.insert(f.location.path)
        }
        func isProtected(_ f: Finding) -> Bool {
            f.tags.contains(GateRules.parseTag) || f.tags.contains(GateRules.suppressionTag) || GateRules.own.contains(f.ruleId)
        }

        var generated: [Finding] = problems.map(\.finding)
        func report(_ id: String, _ severity: Severity, _ message: String, _ detail: String, _ at: SourceRange, fix: Fix? = nil) {
            generated.append(Finding(ruleId: id, severity: severity, tags: [GateRules.suppressionTag],
                                     message: message, detail: detail, location: at, fix: fix))
        }

        struct Key: Hashable { var path: String; var line: Int }
        var index: [Key: [(suppression: Int, rule: Int)]] = [:]
        var active = [Bool](repeating: false, count: suppressions.count)
        var valid = [[Bool]]()
        for (k, s) in suppressions.enumerated() {
            let ids = Wording.quotedList(s.rules.map(\.id), conjunction: "and")
            var ok = true
            if s.reason == nil {
                ok = false
                report(GateRules.invalidSuppression, .warning, "Suppression of \(ids) without a reason",
                       "A `ghr-audit:ignore` directive must say why the finding is acceptable here, so this one suppresses nothing. Add the reason after ` -- `, for example `ghr-audit:ignore \(s.rules.map(\.id).joined(separator: ",")) -- <why this is safe>`.",
                       s.range)
            } else if let exp = s.expiry, exp < day {
                ok = false
                report(GateRules.expiredSuppression, .warning, "Suppression of \(ids) expired on \(exp)",
                       "The directive's `exp:\(exp)` has passed, so it no longer suppresses findings and they are reported again. Fix what the rule reports and remove the directive or, if the exception still holds, set a new `exp:` date.",
                       s.range)
            }
            active[k] = ok
            var validRules: [Bool] = []
            for (r, rule) in s.rules.enumerated() {
                let canonical = knownRuleIds.canonical(rule.id)
                if neverSuppressed.contains(rule.id) || neverSuppressed.contains(canonical) || unsuppressible(rule.id) || unsuppressible(canonical) {
                    report(GateRules.invalidSuppression, .warning, "`\(rule.id)` cannot be suppressed",
                           "`\(rule.id)` reports a problem with the audit's own input (a file that could not be read, a configuration or suppression error); such findings are never suppressed because the rest of the audit depends on them. Fix the input and remove `\(rule.id)` from the directive.",
                           rule.range)
                    validRules.append(false)
                } else if !knownRuleIds.contains(rule.id) {
                    report(GateRules.unknownRule, .warning, "Suppression names unknown rule `\(rule.id)`",
                           "`\(rule.id)` is not a rule of this version of ghr-audit, so the directive suppresses nothing for it.\(Wording.didYouMean(knownRuleIds.suggestions(for: rule.id))) Correct the id or remove it from the directive.",
                           rule.range)
                    validRules.append(false)
                } else {
                    validRules.append(true)
                    if ok, let line = s.line { index[Key(path: s.path, line: line), default: []].append((k, r)) }
                }
            }
            valid.append(validRules)
        }

        var used = Set<[Int]>()
        var kept: [Finding] = [], suppressed: [Finding] = [], reasons: [String] = []
        for f in findings {
            guard !isProtected(f), let candidates = index[Key(path: f.location.path, line: f.location.start.line)] else {
                kept.append(f)
                continue
            }
            let id = knownRuleIds.canonical(f.ruleId)
            if let hit = candidates.first(where: { knownRuleIds.canonical(suppressions[$0.suppression].rules[$0.rule].id) == id }) {
                suppressed.append(f)
                reasons.append(suppressions[hit.suppression].reason ?? "")
                used.insert([hit.suppression, hit.rule])
            } else {
                kept.append(f)
            }
        }

        for (k, s) in suppressions.enumerated() where active[k] && !filesWithParseProblems.contains(s.path) {
            var unused: [Suppression.Rule] = []
            var remaining: [Suppression.Rule] = []
            for (r, rule) in s.rules.enumerated() {
                if valid[k][r], !used.contains([k, r]), isEnabled(knownRuleIds.canonical(rule.id)) {
                    unused.append(rule)
                } else {
                    remaining.append(rule)
                }
            }
            guard !unused.isEmpty else { continue }
            let ids = Wording.quotedList(unused.map(\.id), conjunction: "and")
            let finding = unused.count == 1 ? "finding" : "findings"
            let whereText = s.line.map { "starts on line \($0), the line this directive applies to" } ?? "can match: no code follows the directive in this file"
            if remaining.isEmpty {
                report(GateRules.unusedSuppression, .note, "Unused suppression of \(ids)",
                       "No \(ids) \(finding) \(whereText), so the directive has no effect. Remove it.",
                       s.range, fix: Fix("Remove the unused suppression", edits: [s.removal]))
            } else {
                let first = s.rules.first!.range, last = s.rules.last!.range
                let span = SourceRange(path: s.path, start: first.start, end: last.end)
                let rewritten = remaining.map(\.id).joined(separator: s.separator)
                let at = unused.count == 1 ? unused[0].range : SourceRange(path: s.path, start: unused.first!.range.start, end: unused.last!.range.end)
                report(GateRules.unusedSuppression, .note, "Unused suppression of \(ids)",
                       "No \(ids) \(finding) \(whereText), while the directive's other rules are in use. Remove \(ids) from the directive.",
                       at, fix: Fix("Remove \(ids) from the directive", edits: [TextEdit(range: span, newText: rewritten)]))
            }
        }
        return (kept, suppressed, generated.sorted(by: Finding.ordered), reasons)
    }

    /// `apply` with a membership test instead of the catalogue's list (suggestions for unknown
    /// ids are then one edit away at most).
    public static func apply(
        findings: [Finding],
        suppressions: [Suppression],
        problems: [Problem] = [],
        knownRuleIds: @escaping @Sendable (String) -> Bool,
        today: Date
    ) -> (kept: [Finding], suppressed: [Finding], generated: [Finding], reasons: [String]) {
        apply(findings: findings, suppressions: suppressions, problems: problems,
              knownRuleIds: KnownRuleIds(contains: knownRuleIds), today: today)
    }
}
