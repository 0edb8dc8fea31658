import AuditCore
import Foundation

/// Makes a Terraform template of a JSON policy readable as JSON without moving a byte.
///
/// Outside JSON strings, `%{ … }` directives become spaces and a bare placeholder such as
/// `${github_app_parameter_arns}` (a value Terraform substitutes, typically a `jsonencode`d list)
/// becomes a blank JSON string of the same length, remembered so the front end reads it as an
/// unknown value. Inside strings, template sequences stay as text (the pattern reader turns them
/// into unknown parts); quotes inside them are replaced so they do not end the JSON string.
/// `%{ if c }…%{ else }…%{ endif }` regions are recorded so statements inside carry their condition.
struct TemplateMask {
    struct Placeholder {
        var name: String
        var start: Int
        var end: Int
    }

    struct Region {
        var condition: String
        var start: Int
        var end: Int
    }

    var bytes: [UInt8]
    /// Bare placeholders, by start offset.
    var placeholders: [Int: Placeholder] = [:]
    /// Conditional regions, outermost first.
    var regions: [Region] = []
    var diagnostics: [Diagnostic] = []

    init(_ file: SourceFile, start: Int = 0, end: Int? = nil) {
        let src = file.bytes
        bytes = src
        let stop = min(end ?? src.count, src.count)
        var open: [(condition: String, start: Int, directive: SourceRange)] = []
        var i = max(0, start)
        var inString = false

        /// Index just past the `}` closing the `{` at `brace`, skipping nested braces and quoted text.
        func close(_ brace: Int) -> Int? {
            var depth = 0, k = brace, quoted = false
            while k < stop {
                let c = src[k]
                if quoted {
                    if c == UInt8(ascii: "\\") { k += 2; continue }
                    if c == UInt8(ascii: "\"") { quoted = false }
                } else if c == UInt8(ascii: "\"") {
                    quoted = true
                } else if c == UInt8(ascii: "{") {
                    depth += 1
                } else if c == UInt8(ascii: "}") {
                    depth -= 1
                    if depth == 0 { return k + 1 }
                }
                k += 1
            }
            return nil
        }

        while i < stop {
            let c = src[i]
            let isTemplateStart = (c == UInt8(ascii: "$") || c == UInt8(ascii: "%")) && i + 1 < stop && src[i + 1] == UInt8(ascii: "{")
            let escaped = isTemplateStart && i > start && src[i - 1] == c
            if isTemplateStart && !escaped {
                guard let after = close(i + 1) else {
                    diagnostics.append(Diagnostic(.error, "unclosed template sequence", detail: "This `\(c == UInt8(ascii: "$") ? "${" : "%{")` has no matching `}`.", range: file.range(from: i, to: i + 2)))
                    i += 2
                    continue
                }
                let inner = file.text(from: i + 2, to: after - 1)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                    .trimmingCharacters(in: CharacterSet(charactersIn: "~"))
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if inString {
                    for k in i..<after where src[k] == UInt8(ascii: "\"") || src[k] == UInt8(ascii: "\\") { bytes[k] = UInt8(ascii: "'") }
                } else if c == UInt8(ascii: "$") {
                    bytes[i] = UInt8(ascii: "\"")
                    for k in (i + 1)..<(after - 1) { bytes[k] = UInt8(ascii: " ") }
                    bytes[after - 1] = UInt8(ascii: "\"")
                    placeholders[i] = Placeholder(name: inner, start: i, end: after)
                } else {
                    for k in i..<after where src[k] != 0x0A { bytes[k] = UInt8(ascii: " ") }
                    let directive = file.range(from: i, to: after)
                    let words = inner.split(separator: " ", maxSplits: 1).map(String.init)
                    switch words.first {
                    case "if":
                        open.append((words.count > 1 ? words[1] : "", after, directive))
                    case "else":
                        if let top = open.popLast() {
                            regions.append(Region(condition: top.condition, start: top.start, end: i))
                            open.append(("!(\(top.condition))", after, directive))
                            // Both branches are read; where the two would touch (`{…} {…}`),
                            // the directive stands in for the comma that separates them.
                            if TemplateMask.needsSeparator(bytes, before: i, after: after, stop: stop) {
                                bytes[i] = UInt8(ascii: ",")
                            }
                        } else {
                            diagnostics.append(Diagnostic(.error, "`else` without `if`", detail: "This template directive has no matching `%{ if … }`.", range: directive))
                        }
                    case "endif":
                        if let top = open.popLast() {
                            regions.append(Region(condition: top.condition, start: top.start, end: i))
                        } else {
                            diagnostics.append(Diagnostic(.error, "`endif` without `if`", detail: "This template directive has no matching `%{ if … }`.", range: directive))
                        }
                    case "for":
                        open.append(("for " + (words.count > 1 ? words[1] : ""), after, directive))
                    case "endfor":
                        if let top = open.popLast() {
                            regions.append(Region(condition: top.condition, start: top.start, end: i))
                        }
                    default:
                        break
                    }
                }
                i = after
                continue
            }
            if c == UInt8(ascii: "\"") {
                inString.toggle()
            } else if inString && c == UInt8(ascii: "\\") {
                i += 2
                continue
            } else if inString && c == 0x0A {
                inString = false
            }
            i += 1
        }
        for unclosed in open {
            diagnostics.append(Diagnostic(.error, "unclosed template directive", detail: "`%{ \(unclosed.condition) }` has no matching `%{ endif }` or `%{ endfor }`.", range: unclosed.directive))
        }
        regions.sort { ($0.start, -$0.end) < ($1.start, -$1.end) }
    }

    /// True when the last non-blank byte before `before` ends a value and the first after `after`
    /// starts one.
    static func needsSeparator(_ bytes: [UInt8], before: Int, after: Int, stop: Int) -> Bool {
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var k = before - 1
        while k >= 0 && blank(bytes[k]) { k -= 1 }
        var n = after
        while n < stop && blank(bytes[n]) { n += 1 }
        guard k >= 0, n < stop else { return false }
        let endsValue = [UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: "\"")].contains(bytes[k]) || bytes[k].isASCIIDigit
            || bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "l")
        let startsValue = [UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "$")].contains(bytes[n])
        return endsValue && startsValue
    }

    /// The conditions of every region containing `offset`, outermost first, joined with `&&`.
    func condition(at offset: Int) -> String? {
        let conds = regions.filter { $0.start <= offset && offset < $0.end }.map(\.condition)
        return conds.isEmpty ? nil : conds.joined(separator: " && ")
    }
}
