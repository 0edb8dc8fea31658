import AuditCore
import HCL

/// The comment syntax of a file, as far as suppression directives are concerned.
public enum SuppressionLanguage: String, Sendable, Hashable, CaseIterable {
    /// Terraform, Packer, tfvars: `#`, `//` and `/* */` comments; strings with `${ }`; heredocs.
    case hcl
    /// YAML: `#` comments after whitespace; quoted and block scalars.
    case yaml
    /// bash and sh: `#` at the start of a word; quotes, `$( )`, `${ }`, heredocs.
    case bash
    /// PowerShell: `#` and `<# #>` comments; quotes with `$( )`; here-strings.
    case powershell
    /// No comments at all (JSON): nothing can be suppressed inline.
    case none

    /// The language of a file from its name, falling back to its content for script templates
    /// without a telling extension (`user-data.tftpl`).
    public static func infer(path: String, text: String) -> SuppressionLanguage {
        let name = Paths.fileName(of: path).lowercased()
        func ends(_ suffixes: String...) -> Bool { suffixes.contains { name.hasSuffix($0) } }
        if ends(".json") { return .none }
        if ends(".tf", ".tfvars", ".hcl", ".tftest.hcl", ".nomad") { return .hcl }
        if ends(".yml", ".yaml") || name == ".ghr-audit" { return .yaml }
        if ends(".ps1", ".psm1", ".psd1") { return .powershell }
        if ends(".sh", ".bash", ".ksh", ".zsh") { return .bash }
        let head = text.prefix(4096).lowercased()
        if head.contains("<powershell>") || head.contains("$env:") || head.contains("write-host") { return .powershell }
        return .bash
    }
}

/// A comment found by `CommentLexer`: byte offsets into the file.
struct LexedComment: Sendable, Hashable {
    /// The comment including its markers (`#`, `//`, `<#`…`#>`).
    var start: Int
    var end: Int
    /// The text between the markers (a line comment's content runs to the end of the line,
    /// without a `\r`).
    var contentStart: Int
    var contentEnd: Int
    var isBlock: Bool
}

/// A deliberately light lexer per language: it knows just enough (strings, interpolations,
/// heredocs, block scalars) to tell a real comment from a `#` that is data. It never fails; on
/// unterminated constructs it recovers at the end of the line (HCL) or runs to the end of file.
struct CommentLexer {
    let bytes: [UInt8]
    let language: SuppressionLanguage
    /// For a script embedded in an indented host (a YAML block scalar, an HCL `<<-` heredoc):
    /// heredoc and here-string terminators may carry the host's indentation.
    let indented: Bool

    init(bytes: [UInt8], language: SuppressionLanguage, indented: Bool = false) {
        self.bytes = bytes
        self.language = language
        self.indented = indented
    }

    /// The comments of a whole file.
    static func comments(in source: SourceFile, language: SuppressionLanguage) -> [LexedComment] {
        language == .hcl ? hcl(source) : CommentLexer(bytes: source.bytes, language: language).comments()
    }

    /// The comments of `bytes` (a script embedded in a host file). A `SourceFile` holds valid UTF-8,
    /// so a slice of one cut at a script's bounds decodes to the same bytes.
    func comments() -> [LexedComment] {
        switch language {
        case .hcl: return Self.hcl(SourceFile(path: "", text: String(decoding: bytes, as: UTF8.self)))
        case .yaml: return yaml()
        case .bash: return bash()
        case .powershell: return powershell()
        case .none: return []
        }
    }

    /// For each line (index 0 is line 1): whether it holds anything besides whitespace and comments.
    static func codeLines(bytes: [UInt8], lineStarts: [Int], comments: [LexedComment]) -> [Bool] {
        var result = [Bool](repeating: false, count: lineStarts.count)
        var c = 0
        var line = 0
        var i = 0
        while i < bytes.count {
            while line + 1 < lineStarts.count, lineStarts[line + 1] <= i { line += 1 }
            while c < comments.count, comments[c].end <= i { c += 1 }
            if c < comments.count, comments[c].start <= i {
                i = comments[c].end
                continue
            }
            if !isSpace(bytes[i]) { result[line] = true }
            i += 1
        }
        return result
    }

    // MARK: - Shared scanning helpers

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }

    func at(_ i: Int) -> UInt8 { i >= 0 && i < bytes.count ? bytes[i] : 0 }

    /// The offset of the `\n` ending the line containing `i`, or the end of file.
    func lineEnd(from i: Int) -> Int {
        var j = i
        while j < bytes.count, bytes[j] != 0x0A { j += 1 }
        return j
    }

    /// A line comment from `start` (the marker, `markerLength` bytes) to the end of the line.
    func lineComment(at start: Int, markerLength: Int) -> LexedComment {
        let eol = lineEnd(from: start)
        var contentEnd = eol
        if contentEnd > start + markerLength, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
        return LexedComment(start: start, end: contentEnd, contentStart: start + markerLength, contentEnd: contentEnd, isBlock: false)
    }

    /// A block comment opened at `start` by `open.count` bytes and closed by `close`.
    func blockComment(at start: Int, openLength: Int, close: [UInt8]) -> LexedComment {
        var j = start + openLength
        while j < bytes.count {
            if bytes[j] == close[0], j + close.count <= bytes.count, Array(bytes[j..<(j + close.count)]) == close {
                return LexedComment(start: start, end: j + close.count, contentStart: start + openLength, contentEnd: j, isBlock: true)
            }
            j += 1
        }
        return LexedComment(start: start, end: bytes.count, contentStart: start + openLength, contentEnd: bytes.count, isBlock: true)
    }

    static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
    }

    /// The bytes of line `[s, e)` with leading whitespace (and, when `tabsOnly`, only tabs)
    /// removed and a trailing `\r` dropped.
    func trimmedLine(_ s: Int, _ e: Int, leadingTabsOnly: Bool = false, trailing: Bool = true) -> ArraySlice<UInt8> {
        var a = s, b = e
        if b > a, bytes[b - 1] == 0x0D { b -= 1 }
        if leadingTabsOnly {
            while a < b, bytes[a] == 0x09 { a += 1 }
        } else {
            while a < b, bytes[a] == 0x20 || bytes[a] == 0x09 { a += 1 }
        }
        if trailing { while b > a, bytes[b - 1] == 0x20 || bytes[b - 1] == 0x09 { b -= 1 } }
        return bytes[a..<b]
    }

    // MARK: - HCL

    /// The comments of an HCL file, as HCL's own lexer reads them (strings, interpolations and
    /// heredocs hide a `#`), in this lexer's shape.
    static func hcl(_ source: SourceFile) -> [LexedComment] {
        let bytes = source.bytes
        return HCLLexer.comments(in: source).map { range in
            let start = range.start.offset, end = range.end.offset
            if bytes[start] == 0x2F, start + 1 < end, bytes[start + 1] == 0x2A {        // /* */
                let closed = end - start >= 4 && bytes[end - 2] == 0x2A && bytes[end - 1] == 0x2F
                return LexedComment(start: start, end: end, contentStart: start + 2, contentEnd: closed ? end - 2 : end, isBlock: true)
            }
            let marker = bytes[start] == 0x23 ? 1 : 2                                   // # or //
            return LexedComment(start: start, end: end, contentStart: min(start + marker, end), contentEnd: end, isBlock: false)
        }
    }

    // MARK: - YAML

    private func yaml() -> [LexedComment] {
        var out: [LexedComment] = []
        var s = 0
        var blockParent: Int?            // inside a block scalar whose parent sits at this column
        var quote: UInt8 = 0             // inside a quoted scalar that spans lines
        while s < bytes.count {
            let e = lineEnd(from: s)
            defer { s = e + 1 }
            var indent = 0
            while s + indent < e, bytes[s + indent] == 0x20 { indent += 1 }
            if let parent = blockParent {
                let blank = trimmedLine(s, e).isEmpty
                if blank || indent > parent { continue }
                blockParent = nil
            }
            var j = s
            var commentAt: Int?
            while j < e {
                let b = bytes[j]
                if quote == 0x22 {
                    if b == 0x5C { j += 2; continue }
                    if b == 0x22 { quote = 0 }
                    j += 1
                    continue
                }
                if quote == 0x27 {
                    if b == 0x27, at(j + 1) == 0x27 { j += 2; continue }
                    if b == 0x27 { quote = 0 }
                    j += 1
                    continue
                }
                if b == 0x23, j == s || bytes[j - 1] == 0x20 || bytes[j - 1] == 0x09 {
                    commentAt = j
                    break
                }
                if (b == 0x22 || b == 0x27), yamlQuoteCanStart(at: j, lineStart: s) { quote = b }
                j += 1
            }
            if let c = commentAt { out.append(lineComment(at: c, markerLength: 1)) }
            if quote == 0, let parent = yamlBlockScalarParent(lineStart: s, codeEnd: commentAt ?? e) { blockParent = parent }
        }
        return out
    }

    /// A quote opens a quoted scalar only where a scalar can start: at the start of the line's
    /// content, after `[`, `{`, `,`, after `: `, `- `, `? `, or after a tag or anchor.
    private func yamlQuoteCanStart(at j: Int, lineStart s: Int) -> Bool {
        var k = j - 1
        var sawSpace = false
        while k >= s, bytes[k] == 0x20 || bytes[k] == 0x09 { k -= 1; sawSpace = true }
        if k < s { return true }
        switch bytes[k] {
        case 0x5B, 0x7B, 0x2C: return true
        case 0x3A, 0x2D, 0x3F: return sawSpace && (k == s || bytes[k - 1] == 0x20 || bytes[k - 1] == 0x09 || bytes[k] == 0x3A)
        default:
            guard sawSpace else { return false }
            var w = k
            while w > s, bytes[w - 1] != 0x20, bytes[w - 1] != 0x09 { w -= 1 }
            return bytes[w] == 0x21 || bytes[w] == 0x26          // !tag or &anchor
        }
    }

    /// When the line `[s, codeEnd)` ends with a block scalar indicator (`|`, `>-`, `|+2`…), the
    /// column its content must be indented beyond.
    private func yamlBlockScalarParent(lineStart s: Int, codeEnd: Int) -> Int? {
        var e = codeEnd
        while e > s, Self.isSpace(bytes[e - 1]) { e -= 1 }
        var w = e
        while w > s, !Self.isSpace(bytes[w - 1]) { w -= 1 }
        guard w < e, bytes[w] == 0x7C || bytes[w] == 0x3E else { return nil }
        for b in bytes[(w + 1)..<e] where !(b == 0x2D || b == 0x2B || (b >= 0x31 && b <= 0x39)) { return nil }
        // The token before the indicator: `key:`, `-`, a tag/anchor, or nothing.
        var p = w
        while p > s, bytes[p - 1] == 0x20 || bytes[p - 1] == 0x09 { p -= 1 }
        var q = p
        while q > s, !Self.isSpace(bytes[q - 1]) { q -= 1 }
        let previous = bytes[q..<p]
        let isDashItem = previous.elementsEqual([0x2D])
        guard q == p || previous.last == 0x3A || isDashItem || previous.first == 0x21 || previous.first == 0x26 else { return nil }
        if isDashItem { return q - s }
        // The key's column: skip the indentation and any `- ` sequence markers.
        var c = s
        while c < w {
            if bytes[c] == 0x20 { c += 1; continue }
            if bytes[c] == 0x2D, c + 1 < w, bytes[c + 1] == 0x20 { c += 2; continue }
            break
        }
        return c - s
    }

    // MARK: - bash

    private enum BashFrame: Equatable {
        case code(depth: Int, substitution: Bool)
        case doubleQuote
        case brace(depth: Int)
        case backtick
    }

    private func bash() -> [LexedComment] {
        var out: [LexedComment] = []
        var stack: [BashFrame] = [.code(depth: 0, substitution: false)]
        var pending: [(word: [UInt8], stripTabs: Bool)] = []
        var i = 0
        func wordStart(_ i: Int) -> Bool {
            guard i > 0 else { return true }
            let p = bytes[i - 1]
            return Self.isSpace(p) || p == 0x3B || p == 0x26 || p == 0x7C || p == 0x28 || p == 0x29 || p == 0x3C || p == 0x3E
        }
        while i < bytes.count {
            let b = bytes[i]
            let frame = stack.last!
            // Expansions are shared by every frame but the backtick-free single quote.
            if b == 0x24 {                                              // $
                let n = at(i + 1)
                if n == 0x28 { stack.append(.code(depth: 0, substitution: true)); i += 2; continue }
                if n == 0x7B { stack.append(.brace(depth: 0)); i += 2; continue }
                if n == 0x27, frame != .doubleQuote { i = skipSingleQuoted(from: i + 2, ansiC: true); continue }
                if n == 0x22 { i += 1; continue }
                if n != 0 && !Self.isSpace(n) && n != 0x22 { i += 2; continue } // $# $$ $? $1 $x
                i += 1
                continue
            }
            if b == 0x5C { i += 2; continue }                           // \x
            if b == 0x60 {                                              // `
                if frame == .backtick { stack.removeLast() } else { stack.append(.backtick) }
                i += 1
                continue
            }
            switch frame {
            case .doubleQuote:
                if b == 0x22 { stack.removeLast() }
                i += 1
            case .brace(let depth):
                if b == 0x27 { i = skipSingleQuoted(from: i + 1, ansiC: false); continue }
                if b == 0x22 { stack.append(.doubleQuote) }
                if b == 0x7B { stack[stack.count - 1] = .brace(depth: depth + 1) }
                if b == 0x7D { if depth == 0 { stack.removeLast() } else { stack[stack.count - 1] = .brace(depth: depth - 1) } }
                i += 1
            case .backtick, .code:
                if b == 0x27 { i = skipSingleQuoted(from: i + 1, ansiC: false); continue }
                if b == 0x22 { stack.append(.doubleQuote); i += 1; continue }
                if case .code(let depth, let substitution) = frame {
                    if b == 0x23, wordStart(i) {
                        let c = lineComment(at: i, markerLength: 1)
                        out.append(c)
                        i = c.end
                        continue
                    }
                    if b == 0x28 { stack[stack.count - 1] = .code(depth: depth + 1, substitution: substitution) }
                    if b == 0x29 {
                        if depth == 0 { if substitution { stack.removeLast() } }
                        else { stack[stack.count - 1] = .code(depth: depth - 1, substitution: substitution) }
                    }
                }
                if b == 0x3C, at(i + 1) == 0x3C {
                    if at(i + 2) == 0x3C { i += 3; continue }          // <<< here-string
                    if let (word, strip, next) = bashHeredocWord(at: i) {
                        pending.append((word, strip))
                        i = next
                        continue
                    }
                    i += 2
                    continue
                }
                if b == 0x0A, !pending.isEmpty {
                    i = skipBashHeredocs(from: i + 1, pending)
                    pending.removeAll()
                    continue
                }
                i += 1
            }
        }
        return out
    }

    /// Skips a `'…'` (or `$'…'` with backslash escapes) body starting at `i`; returns the offset
    /// after the closing quote (end of file when unterminated).
    private func skipSingleQuoted(from i: Int, ansiC: Bool) -> Int {
        var j = i
        while j < bytes.count {
            if ansiC, bytes[j] == 0x5C { j += 2; continue }
            if bytes[j] == 0x27 { return j + 1 }
            j += 1
        }
        return bytes.count
    }

    /// The delimiter of a heredoc at `<<` (quotes removed), whether `<<-` strips tabs, and the
    /// offset after the delimiter. Arithmetic shifts (`1<<2`) are not heredocs.
    private func bashHeredocWord(at i: Int) -> ([UInt8], Bool, Int)? {
        var j = i + 2
        var strip = false
        if at(j) == 0x2D { strip = true; j += 1 }
        while at(j) == 0x20 || at(j) == 0x09 { j += 1 }
        let first = at(j)
        let isLetter = (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A) || first == 0x5F
        guard isLetter || first == 0x27 || first == 0x22 || first == 0x5C else { return nil }
        var word: [UInt8] = []
        var quote: UInt8 = 0
        while j < bytes.count {
            let c = bytes[j]
            if quote != 0 {
                if c == quote { quote = 0 } else if c == 0x0A { break } else { word.append(c) }
                j += 1
                continue
            }
            if c == 0x27 || c == 0x22 { quote = c; j += 1; continue }
            if c == 0x5C { j += 1; continue }
            if Self.isSpace(c) || c == 0x3B || c == 0x26 || c == 0x7C || c == 0x3C || c == 0x3E || c == 0x28 || c == 0x29 { break }
            word.append(c)
            j += 1
        }
        return word.isEmpty ? nil : (word, strip, j)
    }

    private func skipBashHeredocs(from start: Int, _ pending: [(word: [UInt8], stripTabs: Bool)]) -> Int {
        var s = start
        for doc in pending {
            while s < bytes.count {
                let e = lineEnd(from: s)
                let line = trimmedLine(s, e, leadingTabsOnly: !indented, trailing: false)
                let content = doc.stripTabs || indented ? line : bytes[s..<(line.endIndex)]
                s = e + 1
                if content.elementsEqual(doc.word) { break }
            }
        }
        return min(s, bytes.count)
    }

    // MARK: - PowerShell

    private enum PSFrame: Equatable {
        case code(depth: Int, subexpression: Bool)
        case doubleQuote
    }

    private func powershell() -> [LexedComment] {
        var out: [LexedComment] = []
        var stack: [PSFrame] = [.code(depth: 0, subexpression: false)]
        var i = 0
        func tokenStart(_ i: Int) -> Bool {
            guard i > 0 else { return true }
            let p = bytes[i - 1]
            return Self.isSpace(p) || p == 0x3B || p == 0x28 || p == 0x29 || p == 0x7B || p == 0x7D || p == 0x7C || p == 0x3D || p == 0x2C || p == 0x3E
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x60 { i += 2; continue }                          // ` escape
            if b == 0x24, at(i + 1) == 0x28 { stack.append(.code(depth: 0, subexpression: true)); i += 2; continue }
            if b == 0x24, at(i + 1) == 0x7B {                          // ${braced variable}
                var j = i + 2
                while j < bytes.count, bytes[j] != 0x7D, bytes[j] != 0x0A { j += 1 }
                i = j + 1
                continue
            }
            switch stack.last! {
            case .doubleQuote:
                if b == 0x22 {
                    if at(i + 1) == 0x22 { i += 2; continue }          // "" escape
                    stack.removeLast()
                }
                i += 1
            case .code(let depth, let subexpression):
                if b == 0x3C, at(i + 1) == 0x23 {
                    let c = blockComment(at: i, openLength: 2, close: [0x23, 0x3E])
                    out.append(c)
                    i = c.end
                    continue
                }
                if b == 0x23, tokenStart(i) {
                    let c = lineComment(at: i, markerLength: 1)
                    out.append(c)
                    i = c.end
                    continue
                }
                if b == 0x40, at(i + 1) == 0x22 || at(i + 1) == 0x27, let end = psHereStringEnd(at: i) { i = end; continue }
                if b == 0x27 {
                    var j = i + 1
                    while j < bytes.count {
                        if bytes[j] == 0x27 { if at(j + 1) == 0x27 { j += 2; continue } else { break } }
                        j += 1
                    }
                    i = j + 1
                    continue
                }
                if b == 0x22 { stack.append(.doubleQuote); i += 1; continue }
                if b == 0x28 { stack[stack.count - 1] = .code(depth: depth + 1, subexpression: subexpression) }
                if b == 0x29 {
                    if depth == 0 { if subexpression { stack.removeLast() } }
                    else { stack[stack.count - 1] = .code(depth: depth - 1, subexpression: subexpression) }
                }
                i += 1
            }
        }
        return out
    }

    /// `@"`/`@'` at the end of a line opens a here-string closed by `"@`/`'@` at the start of a
    /// line; returns the offset after the closer.
    private func psHereStringEnd(at i: Int) -> Int? {
        let q = bytes[i + 1]
        var j = i + 2
        while at(j) == 0x20 || at(j) == 0x09 || at(j) == 0x0D { j += 1 }
        guard j >= bytes.count || bytes[j] == 0x0A else { return nil }
        var s = j + 1
        while s < bytes.count {
            let e = lineEnd(from: s)
            var c = s
            if indented { while at(c) == 0x20 || at(c) == 0x09 { c += 1 } }
            if at(c) == q, at(c + 1) == 0x40 { return c + 2 }
            s = e + 1
        }
        return bytes.count
    }
}
