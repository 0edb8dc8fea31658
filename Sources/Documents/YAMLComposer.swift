import AuditCore
import Yams

// Turns Yams' node trees (which carry only start marks) into `YAMLNode`s with exact ranges.
//
// libyaml marks are (line, column) pairs, both counted from 1 by Yams, where lines are broken by
// CR, LF, CRLF, NEL, LS and PS and columns count Unicode scalars. `MarkTable` converts them to byte
// offsets with the same rules. A leading byte order mark is not given to Yams (libyaml would read
// it as an indented character and reject the next line, where Terraform's reader strips it); the
// table starts line 1 after it. Ends are found by scanning the
// source from the start with the rules of the node's style.
//
// Aliases: Yams hands back the anchored node itself (same mark) where `*name` was written. The
// composer walks nodes in document order keeping the furthest offset reached; a node whose start
// lies before that offset can only be an alias, and the `*name` token is found by scanning forward.

struct MarkTable {
    let bytes: [UInt8]
    /// Byte offset of the first byte of each libyaml line.
    private(set) var lineStarts: [Int] = [0]

    init(_ bytes: [UInt8], start: Int = 0) {
        self.bytes = bytes
        lineStarts = [start]
        var i = start
        while i < bytes.count {
            let length = Self.breakLength(bytes, i)
            if length > 0 {
                i += length
                lineStarts.append(i)
            } else {
                i += 1
            }
        }
    }

    /// The byte length of the line break at `i` (CRLF counts as one break), or 0.
    static func breakLength(_ bytes: [UInt8], _ i: Int) -> Int {
        switch bytes[i] {
        case 0x0A: return 1
        case 0x0D: return i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1
        case 0xC2: return i + 1 < bytes.count && bytes[i + 1] == 0x85 ? 2 : 0
        case 0xE2:
            return i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9) ? 3 : 0
        default: return 0
        }
    }

    func offset(line: Int, column: Int) -> Int {
        guard line >= 1 else { return 0 }
        guard line <= lineStarts.count else { return bytes.count }
        var i = lineStarts[line - 1]
        var remaining = column - 1
        while remaining > 0, i < bytes.count {
            i += 1
            while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }
            remaining -= 1
        }
        return min(i, bytes.count)
    }

    func offset(_ mark: Mark) -> Int { offset(line: mark.line, column: mark.column) }

    /// The 0-based column of `offset` in scalars.
    func column(of offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        var column = 0
        for i in lineStarts[lo]..<min(offset, bytes.count) where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return column
    }
}

struct YAMLComposer {
    let source: SourceFile
    let bytes: [UInt8]
    let marks: MarkTable
    var diagnostics: [Diagnostic] = []
    /// The furthest byte offset any converted node reached (see the alias note above).
    private var cursor = 0
    /// Converted anchored nodes by the byte offset of their mark.
    private var anchored: [Int: YAMLNode] = [:]
    /// The size of each anchored node, aliases inside it expanded, by the offset of its mark.
    private var anchoredSize: [Int: Int] = [:]
    /// Nodes of the current document with every alias counted as the nodes it stands for.
    private var expandedCount = 0
    /// Nodes that aliases added to the current document, and nodes converted in all.
    private var aliasExpansion = 0
    private var converted = 0
    /// Set when the document's aliases expand beyond `Limits.maxYAMLAliasExpansion`.
    private var aliasLimitHit = false

    init(source: SourceFile) {
        self.source = source
        self.bytes = source.bytes
        self.byteOrderMarkLength = source.bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        self.marks = MarkTable(source.bytes, start: byteOrderMarkLength)
    }

    private let byteOrderMarkLength: Int

    mutating func compose() -> YAMLStream {
        if let (depth, offset) = YAMLDepthEstimate.exceeding(YAML.maxNestingDepth, in: bytes) {
            diagnostics.append(Diagnostic(
                .error, "YAML nested too deeply",
                detail: "Collections here nest about \(depth) levels deep, more than the \(YAML.maxNestingDepth) this tool reads; "
                    + "the file is not analysed.",
                range: source.range(from: offset, to: offset + source.scalarLength(at: offset))))
            return YAMLStream(documents: [], diagnostics: diagnostics)
        }
        var documents: [YAMLNode] = []
        do {
            let text = byteOrderMarkLength > 0 ? String(source.text.unicodeScalars.dropFirst()) : source.text
            let parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            while let root = try parser.nextRoot() {
                anchored = [:]
                anchoredSize = [:]
                (expandedCount, aliasExpansion, converted) = (0, 0, 0)
                let document = convert(root, parentIndent: -1, inFlow: false)
                if aliasLimitHit {
                    // Nothing of the document is used: a reader would expand the aliases again. What
                    // was found after the limit (placeholders) says nothing.
                    let limit = diagnostics.firstIndex { $0.code == DiagnosticCode.limit } ?? diagnostics.count - 1
                    return YAMLStream(documents: [], diagnostics: Array(diagnostics[...limit]))
                }
                documents.append(document)
            }
        } catch let error as YamlError {
            diagnostics.append(diagnostic(for: error))
        } catch {
            diagnostics.append(Diagnostic(.error, "Invalid YAML", detail: "\(error)", range: .fileStart(source.path)))
        }
        return YAMLStream(documents: documents, diagnostics: diagnostics)
    }

    // MARK: Conversion

    /// Reports aliases that expand a document beyond `Limits.maxYAMLAliasExpansion` nodes ("billion
    /// laughs"), once, at the alias that crossed the limit.
    private mutating func aliasLimitExceeded(at range: SourceRange) {
        guard !aliasLimitHit else { return }
        aliasLimitHit = true
        diagnostics.append(Diagnostic(
            .error, "YAML aliases expand too far",
            detail: "Expanding the aliases (`*name`) of this document would add more than \(Limits.maxYAMLAliasExpansion) nodes, "
                + "as a \"billion laughs\" alias bomb does; the document is not analysed.",
            range: range, code: DiagnosticCode.limit))
    }

    private mutating func convert(_ node: Node, parentIndent: Int, inFlow: Bool) -> YAMLNode {
        let markOffset = node.mark.map { marks.offset($0) } ?? cursor
        // Every written node takes at least a byte: converting more means aliases are being expanded.
        converted += 1
        if aliasLimitHit || converted > bytes.count + 1 + Limits.maxYAMLAliasExpansion {
            aliasLimitExceeded(at: source.range(from: min(markOffset, bytes.count), to: min(markOffset, bytes.count)))
            return YAMLNode(kind: .scalar(YAMLScalar(value: "", style: .plain)), range: source.range(from: cursor, to: cursor))
        }
        if markOffset < cursor, let target = anchored[markOffset], let alias = findAlias(from: cursor) {
            var copy = target
            copy.range = source.range(from: alias.start, to: alias.end)
            copy.alias = alias.name
            copy.anchor = nil
            cursor = alias.end
            let size = anchoredSize[markOffset] ?? 1
            expandedCount = min(expandedCount + size, Int.max / 4)
            aliasExpansion = min(aliasExpansion + size, Int.max / 4)
            if aliasExpansion > Limits.maxYAMLAliasExpansion { aliasLimitExceeded(at: copy.range) }
            return copy
        }
        let countBefore = expandedCount
        expandedCount += 1
        let props = readProperties(at: markOffset)
        let contentStart = props.contentStart
        var result: YAMLNode
        switch node {
        case .scalar(let scalar):
            let style = Self.style(scalar.style)
            let end = scalarEnd(start: contentStart, value: scalar.string, style: style, parentIndent: parentIndent, inFlow: inFlow)
            result = YAMLNode(kind: .scalar(YAMLScalar(value: scalar.string, style: style)),
                              range: source.range(from: contentStart, to: end))
            cursor = max(cursor, end)
        case .mapping(let mapping):
            let isFlow = contentStart < bytes.count && bytes[contentStart] == UInt8(ascii: "{")
            let indent = isFlow ? parentIndent : marks.column(of: contentStart)
            var pairs: [YAMLPair] = []
            // Kept as long as the file: sized once instead of grown (an appended array keeps up to
            // half its capacity unused).
            pairs.reserveCapacity(mapping.count)
            var seen: [String: SourceRange] = [:]
            var end = contentStart
            cursor = max(cursor, contentStart + (isFlow ? 1 : 0))
            for (k, v) in mapping {
                let key = convert(k, parentIndent: indent, inFlow: isFlow || inFlow)
                let value = convert(v, parentIndent: indent, inFlow: isFlow || inFlow)
                let pair = YAMLPair(key: key, value: value)
                if !pair.isMerge, let name = key.scalar?.value {
                    if let first = seen[name] {
                        diagnostics.append(Diagnostic(
                            .warning, "Duplicate key `\(name)`",
                            detail: "`\(name)` is already set at line \(first.start.line), column \(first.start.column) of this mapping; "
                                + "the value read last silently wins. Remove one of them.",
                            range: key.range))
                    } else {
                        seen[name] = key.range
                    }
                }
                pairs.append(pair)
                end = max(end, key.range.end.offset, value.range.end.offset)
            }
            if isFlow { end = flowEnd(open: contentStart) }
            result = YAMLNode(kind: .mapping(pairs), range: source.range(from: contentStart, to: max(end, contentStart)), isFlow: isFlow)
            cursor = max(cursor, end)
        case .sequence(let sequence):
            let isFlow = contentStart < bytes.count && bytes[contentStart] == UInt8(ascii: "[")
            let indent = isFlow ? parentIndent : marks.column(of: contentStart)
            var elements: [YAMLNode] = []
            elements.reserveCapacity(sequence.count)
            var end = contentStart + (isFlow ? 0 : 1)
            cursor = max(cursor, contentStart + 1)
            for e in sequence {
                let element = convert(e, parentIndent: indent, inFlow: isFlow || inFlow)
                elements.append(element)
                end = max(end, element.range.end.offset)
            }
            if isFlow { end = flowEnd(open: contentStart) }
            result = YAMLNode(kind: .sequence(elements), range: source.range(from: contentStart, to: end), isFlow: isFlow)
            cursor = max(cursor, end)
        }
        result.anchor = props.anchor
        if props.hasTag { result.tag = node.tag.description.isEmpty ? nil : node.tag.description }
        if props.anchor != nil {
            anchored[markOffset] = result
            anchoredSize[markOffset] = expandedCount - countBefore
        }
        return result
    }

    private static func style(_ style: Node.Scalar.Style) -> YAMLScalar.Style {
        switch style {
        case .singleQuoted: .singleQuoted
        case .doubleQuoted: .doubleQuoted
        case .literal: .literal
        case .folded: .folded
        case .plain, .any: .plain
        }
    }

    // MARK: Source scanning

    private func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    private func isBreak(_ i: Int) -> Bool { i < bytes.count && MarkTable.breakLength(bytes, i) > 0 }
    private func isFlowIndicator(_ b: UInt8) -> Bool {
        b == UInt8(ascii: ",") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]") || b == UInt8(ascii: "{") || b == UInt8(ascii: "}")
    }

    /// Skips `&anchor` and `!tag` properties (and the space, line breaks and comments after them).
    private func readProperties(at start: Int) -> (contentStart: Int, anchor: String?, hasTag: Bool) {
        var i = start, anchor: String?, hasTag = false
        while i < bytes.count, bytes[i] == UInt8(ascii: "&") || bytes[i] == UInt8(ascii: "!") {
            let isAnchor = bytes[i] == UInt8(ascii: "&")
            var j = i + 1
            if !isAnchor, j < bytes.count, bytes[j] == UInt8(ascii: "<") {
                while j < bytes.count, bytes[j] != UInt8(ascii: ">"), !isBreak(j) { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: ">") { j += 1 }
            } else {
                while j < bytes.count, !isBlank(bytes[j]), !isBreak(j), !isFlowIndicator(bytes[j]) { j += 1 }
            }
            if isAnchor { anchor = String(decoding: bytes[(i + 1)..<j], as: UTF8.self) } else { hasTag = true }
            i = skipSpace(from: j, acrossLines: true)
        }
        return (i, anchor, hasTag)
    }

    /// Skips blanks (and, when asked, line breaks and `#` comments).
    private func skipSpace(from start: Int, acrossLines: Bool) -> Int {
        var i = start
        while i < bytes.count {
            if isBlank(bytes[i]) { i += 1; continue }
            if acrossLines, isBreak(i) { i += MarkTable.breakLength(bytes, i); continue }
            if acrossLines, bytes[i] == UInt8(ascii: "#") {
                while i < bytes.count, !isBreak(i) { i += 1 }
                continue
            }
            break
        }
        return i
    }

    /// Finds the `*name` token at or after `from`, skipping blanks, breaks, comments and indicators.
    private func findAlias(from: Int) -> (start: Int, end: Int, name: String)? {
        var i = from
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "*") {
                var j = i + 1
                while j < bytes.count, !isBlank(bytes[j]), !isBreak(j), !isFlowIndicator(bytes[j]) { j += 1 }
                return (i, j, String(decoding: bytes[(i + 1)..<j], as: UTF8.self))
            }
            if isBlank(b) || isBreak(i) || b == UInt8(ascii: "-") || b == UInt8(ascii: ":") || b == UInt8(ascii: "?") || isFlowIndicator(b) {
                i += 1
            } else if b == UInt8(ascii: "#") {
                while i < bytes.count, !isBreak(i) { i += 1 }
            } else {
                return nil
            }
        }
        return nil
    }

    private func scalarEnd(start: Int, value: String, style: YAMLScalar.Style, parentIndent: Int, inFlow: Bool) -> Int {
        guard start < bytes.count else { return start }
        switch style {
        case .doubleQuoted:
            var i = start + 1
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                if bytes[i] == UInt8(ascii: "\"") { return i + 1 }
                i += 1
            }
            return bytes.count
        case .singleQuoted:
            var i = start + 1
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "'") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "'") { i += 2; continue }
                    return i + 1
                }
                i += 1
            }
            return bytes.count
        case .literal, .folded:
            return blockScalarEnd(start: start, parentIndent: parentIndent)
        case .plain:
            if value.isEmpty { return start }
            return plainEnd(start: start, value: value, inFlow: inFlow)
        }
    }

    /// The end of a plain scalar: its first line, extended over continuation lines until the folded
    /// text accounts for the whole value.
    private func plainEnd(start: Int, value: String, inFlow: Bool) -> Int {
        let target = Array(value.utf8)
        var folded: [UInt8] = []
        var lineStart = start
        var end = start
        var pendingBreaks = 0
        for _ in 0..<10_000 {
            // Scan one line segment.
            var i = lineStart, segmentEnd = lineStart
            while i < bytes.count, !isBreak(i) {
                let b = bytes[i]
                if b == UInt8(ascii: "#"), i > lineStart, isBlank(bytes[i - 1]) { break }
                if b == UInt8(ascii: ":") {
                    let next = i + 1
                    if next >= bytes.count || isBlank(bytes[next]) || isBreak(next) || (inFlow && isFlowIndicator(bytes[next])) { break }
                }
                if inFlow, isFlowIndicator(b) { break }
                i += 1
                if !isBlank(b) { segmentEnd = i }
            }
            if segmentEnd > lineStart {
                if !folded.isEmpty {
                    if pendingBreaks <= 1 { folded.append(0x20) } else { folded.append(contentsOf: [UInt8](repeating: 0x0A, count: pendingBreaks - 1)) }
                }
                folded.append(contentsOf: bytes[lineStart..<segmentEnd])
                end = segmentEnd
                pendingBreaks = 0
            }
            if folded.count >= target.count || i < bytes.count && !isBreak(i) { break }
            // Next line.
            guard i < bytes.count else { break }
            pendingBreaks += 1
            var next = i + MarkTable.breakLength(bytes, i)
            while next < bytes.count, isBlank(bytes[next]) { next += 1 }
            if next >= bytes.count || bytes[next] == UInt8(ascii: "#") { break }
            if bytes[next...].starts(with: Array("---".utf8)) || bytes[next...].starts(with: Array("...".utf8)) { break }
            lineStart = next
        }
        return end
    }

    /// The end of a `|` or `>` block scalar whose indicator is at `start`: the end of its last
    /// non-empty content line (or of the header when the scalar is empty).
    private func blockScalarEnd(start: Int, parentIndent: Int) -> Int {
        var i = start + 1
        var explicitIndent: Int?
        while i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") || (bytes[i] >= 0x31 && bytes[i] <= 0x39) {
            if bytes[i] >= 0x31 && bytes[i] <= 0x39 { explicitIndent = Int(bytes[i] - 0x30) }
            i += 1
        }
        var end = i
        while i < bytes.count, !isBreak(i) { i += 1 }
        var contentIndent = explicitIndent.map { max(parentIndent, 0) + $0 }
        while i < bytes.count {
            i += MarkTable.breakLength(bytes, i)
            var indent = 0, j = i
            while j < bytes.count, bytes[j] == 0x20 { j += 1; indent += 1 }
            var k = j
            while k < bytes.count, isBlank(bytes[k]) { k += 1 }
            if k >= bytes.count || isBreak(k) {
                i = k
                if k >= bytes.count { break }
                continue
            }
            if contentIndent == nil {
                guard indent > parentIndent else { break }
                contentIndent = indent
            }
            guard indent >= contentIndent! else { break }
            var lineEnd = k
            while lineEnd < bytes.count, !isBreak(lineEnd) { lineEnd += 1 }
            var trimmed = lineEnd
            while trimmed > j, isBlank(bytes[trimmed - 1]) { trimmed -= 1 }
            end = max(end, trimmed)
            i = lineEnd
        }
        return end
    }

    /// Past the bracket closing the flow collection opened at `open`.
    private func flowEnd(open: Int) -> Int {
        var i = open, nesting = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "["), UInt8(ascii: "{"): nesting += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                nesting -= 1
                if nesting == 0 { return i + 1 }
            case UInt8(ascii: "\""):
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            case UInt8(ascii: "'"):
                // Only a quote that starts a scalar opens a quoted string.
                let prev = i > open ? bytes[i - 1] : 0x20
                if isBlank(prev) || isFlowIndicator(prev) || prev == UInt8(ascii: ":") || isBreak(i - 1) {
                    i += 1
                    while i < bytes.count {
                        if bytes[i] == UInt8(ascii: "'") {
                            if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "'") { i += 2; continue }
                            break
                        }
                        i += 1
                    }
                }
            case UInt8(ascii: "#"):
                if i > open, isBlank(bytes[i - 1]) || isBreak(i - 1) {
                    while i < bytes.count, !isBreak(i) { i += 1 }
                    continue
                }
            default: break
            }
            i += 1
        }
        return bytes.count
    }

    // MARK: Errors

    private func diagnostic(for error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var offset = marks.offset(mark)
            // An unterminated quoted or block scalar is best shown where it starts.
            if problem.contains("end of stream"), let context, context.text.contains("scalar") {
                offset = marks.offset(context.mark)
            }
            let length = offset < bytes.count && !isBreak(offset) ? source.scalarLength(at: offset) : 0
            return Diagnostic(.error, "Invalid YAML: \(problem)",
                              detail: explanation(problem: problem, context: context, offset: offset),
                              range: source.range(from: offset, to: offset + length))
        case .reader(let problem, let characterOffset, _, _):
            var offset = 0
            if let characterOffset {
                let text = byteOrderMarkLength > 0 ? String(source.text.unicodeScalars.dropFirst()) : source.text
                let index = text.index(text.startIndex, offsetBy: characterOffset, limitedBy: text.endIndex) ?? text.endIndex
                offset = text.utf8.distance(from: text.startIndex, to: index) + byteOrderMarkLength
            }
            return Diagnostic(.error, "Invalid YAML: \(problem)",
                              detail: "The YAML reader cannot read the character here; YAML files must be UTF-8 text without control characters.",
                              range: source.range(from: offset, to: offset + source.scalarLength(at: offset)))
        default:
            return Diagnostic(.error, "Invalid YAML", detail: "\(error)", range: .fileStart(source.path))
        }
    }

    private func explanation(problem: String, context: YamlError.Context?, offset: Int) -> String {
        var parts: [String] = []
        if let context, marks.offset(context.mark) != offset {
            let p = source.position(ofOffset: marks.offset(context.mark))
            parts.append("The parser stopped \(context.text) that starts at line \(p.line), column \(p.column).")
        }
        let atTab = offset < bytes.count && bytes[offset] == 0x09
        if atTab || problem.contains("tab") {
            parts.append("YAML does not allow tabs for indentation; indent with spaces.")
        } else if problem.contains("mapping values are not allowed") {
            parts.append("A `: ` inside a plain value starts a new key: quote the value (`key: \"a: b\"`), put a nested mapping on its own "
                + "indented line, or, if this line is a key of its own, align it with the keys around it.")
        } else if problem.contains("did not find expected key") {
            parts.append("Check the indentation of this line: it must line up with the other keys of its mapping.")
        } else if problem.contains("did not find expected '-' indicator") {
            parts.append("Check the indentation: every item of a sequence starts with `- ` in the same column.")
        } else if problem.contains("could not find expected ':'") {
            parts.append("A key must be followed by `: `, or a multi-line value must be indented under its key.")
        } else if problem.contains("undefined alias") {
            parts.append("Define the anchor (`&name`) before the alias (`*name`) that uses it, in the same document.")
        } else if problem.contains("end of stream") {
            parts.append("A quoted value, bracket or block is not closed before the end of the file.")
        } else if problem.contains("cannot start any token") {
            parts.append("Characters such as `@` and `` ` `` are reserved in YAML; quote the value.")
        } else if problem.contains("expected ',' or") {
            parts.append("A flow collection (`[...]` or `{...}`) is not closed, or two of its items have no `,` between them.")
        } else if problem.contains("<document start>") {
            parts.append("This line cannot continue the document above it: check its indentation, or start a new document with `---`.")
        } else if problem.contains("expected node content") {
            parts.append("A value is missing here: a bracket may be left open, or an indicator (`-`, `:`, `?`) is not followed by a value.")
        } else {
            parts.append("Fix the YAML syntax at this position.")
        }
        return parts.joined(separator: " ")
    }
}

/// An upper bound of the nesting depth of a YAML text, computed without parsing (Yams composes
/// recursively, so hostile input must be refused before it reaches the composer).
enum YAMLDepthEstimate {
    /// The estimated depth and an offset where it is reached, when it exceeds `limit`.
    static func exceeding(_ limit: Int, in bytes: [UInt8]) -> (Int, Int)? {
        var flowDepth = 0
        var i = 0
        var blockScalarParentIndent: Int?
        while i < bytes.count {
            // One line.
            let lineStart = i
            var indent = 0
            while i < bytes.count, bytes[i] == 0x20 { i += 1; indent += 1 }
            let contentStart = i
            var lineEnd = i
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0A, bytes[lineEnd] != 0x0D { lineEnd += 1 }
            defer { i = lineEnd < bytes.count ? lineEnd + 1 : lineEnd }
            let blank = contentStart == lineEnd
            if let parent = blockScalarParentIndent {
                if blank || indent > parent { continue }
                blockScalarParentIndent = nil
            }
            if blank { continue }
            // Sequence and complex-key indicators at the start of the line each open a level.
            var k = contentStart, indicators = 0
            while k + 1 < lineEnd, bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "?"), bytes[k + 1] == 0x20 {
                indicators += 1
                k += 2
                while k < lineEnd, bytes[k] == 0x20 { k += 1 }
            }
            let blockDepth = 2 * (indent + indicators + 1)
            // Flow brackets outside quotes and comments.
            var quote: UInt8 = 0
            var j = contentStart
            while j < lineEnd {
                let b = bytes[j]
                if quote != 0 {
                    if b == quote { quote = 0 } else if b == UInt8(ascii: "\\"), quote == UInt8(ascii: "\"") { j += 1 }
                } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                    if j == contentStart || [0x20, 0x09, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":")].contains(bytes[j - 1]) {
                        quote = b
                    }
                } else if b == UInt8(ascii: "#"), j == contentStart || bytes[j - 1] == 0x20 || bytes[j - 1] == 0x09 {
                    break
                } else if b == UInt8(ascii: "[") || b == UInt8(ascii: "{") {
                    flowDepth += 1
                    if flowDepth + blockDepth > limit { return (flowDepth + blockDepth, j) }
                } else if b == UInt8(ascii: "]") || b == UInt8(ascii: "}") {
                    flowDepth = max(0, flowDepth - 1)
                }
                j += 1
            }
            if flowDepth + blockDepth > limit { return (flowDepth + blockDepth, lineStart + min(indent, lineEnd - lineStart)) }
            // A block scalar header: the following more-indented lines are text.
            var t = min(j, lineEnd)
            while t > contentStart, bytes[t - 1] == 0x20 || bytes[t - 1] == 0x09 { t -= 1 }
            var h = t
            while h > contentStart, bytes[h - 1] == UInt8(ascii: "+") || bytes[h - 1] == UInt8(ascii: "-") || (bytes[h - 1] >= 0x31 && bytes[h - 1] <= 0x39) { h -= 1 }
            if h > contentStart, bytes[h - 1] == UInt8(ascii: "|") || bytes[h - 1] == UInt8(ascii: ">"),
               h - 1 == contentStart || bytes[h - 2] == 0x20 {
                blockScalarParentIndent = indent
            }
        }
        return nil
    }
}
