import Foundation

/// Finds secrets in text so that no report, log or message ever shows them: PEM private keys
/// (also base64-encoded, as `github_app.key_base64` holds them), GitHub tokens, AWS access keys,
/// long base64 blobs (JIT runner configs are one), and literal values of settings whose name says
/// they are secret. Masking replaces each character with `*`, so lengths, offsets and columns stay.
///
/// One scanner per shape works on the UTF-8 bytes in a single pass each (no regular expression
/// engine: masking runs over whole files and every message, and a regex cost seconds on large
/// ones). Each scanner finds exactly what this regular expression (ICU syntax) would, left to
/// right without overlaps; `SecretsScannerTests` checks them against the regexes:
///
/// 1. PEM private keys, whole block: `-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`
/// 2. A base64-encoded PEM ("-----BEGIN" encodes to LS0tLS1CRUdJTi): `LS0tLS1CRUdJTi[A-Za-z0-9+/=\\\s]*`
/// 3. GitHub tokens (classic, fine-grained, installation, user-to-server): `\bgh[pousr]_[A-Za-z0-9]{20,}`
/// 4. `\bgithub_pat_[A-Za-z0-9_]{20,}`
/// 5. AWS access key ids: `\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b`
/// 6. The secret key that usually follows them (only the key is masked):
///    `(?i)(aws_secret_access_key|secret_access_key|secretaccesskey)(["'\s:=]+)[A-Za-z0-9/+=]{40}`
/// 7. Long base64 runs (JIT configs, encoded keys): `[A-Za-z0-9+/]{120,}={0,2}`
/// 8. Literal values of settings named like secrets (only the value, and not when it is a
///    reference such as `var.x`, `${...}`, or a short word):
///    `(?i)\b([a-z0-9_]*(secret|token|password|passwd|private_key|key_base64|jitconfig|jit_config_value)[a-z0-9_]*)(\s*["']?\s*[:=]\s*["']?)([^\s"',}@]{8,})`
///
/// As in ICU: `\s` is Unicode White_Space; `\b` separates word characters (letters, marks,
/// decimal digits, connector punctuation, ZWNJ, ZWJ) from others, skipping back over combining
/// and format characters; `(?i)` also lets `ſ` (U+017F) stand for `s` and the Kelvin sign for `k`;
/// repetition counts characters.
public enum Secrets {
    /// Whether `text` holds anything that looks like a secret.
    public static func contains(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Scanner($0).containsAny() }
    }

    /// `text` with every secret replaced by `*` characters (newlines kept), so columns stay put:
    /// one `*` per UTF-16 unit of each masked character.
    public static func mask(_ text: String) -> String {
        masked(text) ?? text
    }

    /// `text` masked, or nil when it holds no secret.
    static func masked(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            let scanner = Scanner(bytes)
            let found = scanner.ranges()
            return found.isEmpty ? nil : scanner.masked(found)
        }
    }

    /// The UTF-8 byte ranges of every secret in `text` (for named settings: only the value), in
    /// no particular order; ranges may overlap.
    public static func byteRanges(in text: String) -> [Range<Int>] {
        var text = text
        return text.withUTF8 { Scanner($0).ranges() }
    }
}

// MARK: - The scanner

private struct Scanner {
    let b: UnsafeBufferPointer<UInt8>
    var n: Int { b.count }

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    func containsAny() -> Bool { !ranges(stopAtFirst: true).isEmpty }

    func ranges(stopAtFirst: Bool = false) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let scans: [(Scanner) -> (Int) -> (match: Range<Int>, masked: Range<Int>?)?] = [
            Scanner.pem, Scanner.base64PEM, Scanner.githubToken, Scanner.githubPAT, Scanner.awsKeyId,
            Scanner.awsSecretKey, Scanner.longBase64, Scanner.namedSetting,
        ]
        for scan in scans {
            var at = 0
            let next = scan(self)
            while at < n, let found = next(at) {
                if let masked = found.masked {
                    out.append(masked)
                    if stopAtFirst { return out }
                }
                at = found.match.upperBound
            }
        }
        return out
    }

    /// The text with every byte range masked.
    func masked(_ ranges: [Range<Int>]) -> String {
        // Disjoint ranges, in order.
        var merged: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !r.isEmpty {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var copied = 0
        for r in merged {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied..<r.lowerBound]))
            var i = r.lowerBound
            while i < r.upperBound {
                let length = Self.sequenceLength(b[i])
                if b[i] == 0x0A || b[i] == 0x0D {
                    out.append(b[i])
                } else {
                    // One star per UTF-16 unit: two for a character outside the BMP.
                    out.append(0x2A)
                    if length == 4 { out.append(0x2A) }
                }
                i += length
            }
            copied = min(n, i)
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied..<n]))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Characters

    static func sequenceLength(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead & 0xE0 == 0xC0 { return 2 }
        if lead & 0xF0 == 0xE0 { return 3 }
        if lead & 0xF8 == 0xF0 { return 4 }
        return 1
    }

    /// The character starting at byte `i` and its length in bytes (the text is valid UTF-8).
    func scalar(at i: Int) -> (Unicode.Scalar, Int) {
        let lead = b[i]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let length = min(Self.sequenceLength(lead), n - i)
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<max(1, length) { value = value << 6 | UInt32(b[i + k] & 0x3F) }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", max(1, length))
    }

    /// The start of the character that ends just before byte `i`.
    func start(before i: Int) -> Int {
        var j = i - 1
        while j > 0 && b[j] & 0xC0 == 0x80 { j -= 1 }
        return j
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value == 0x20 || (s.value >= 0x09 && s.value <= 0x0D) }
        return s.properties.isWhitespace
    }

    /// `\w` of ICU.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 {
            let c = UInt8(s.value)
            return isLetter(c) || isDigit(c) || c == 0x5F
        }
        if s.value == 0x200C || s.value == 0x200D { return true }
        let p = s.properties
        if p.isAlphabetic { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Characters a word boundary test looks through (combining marks, format characters).
    static func isTransparent(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return false }
        return s.properties.isGraphemeExtend || s.properties.generalCategory == .format
    }

    static func isLetter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isUpperOrDigit(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || isDigit(c) }
    static func isAlnum(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }
    static func isBase64(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x2B || c == 0x2F }

    /// Whether the character before byte `i` (looking through transparent ones) is a word character.
    func wordBefore(_ i: Int) -> Bool {
        var j = i
        while j > 0 {
            let s = start(before: j)
            let (c, _) = scalar(at: s)
            if !Self.isTransparent(c) { return Self.isWord(c) }
            j = s
        }
        return false
    }

    /// `\b` at byte `i`.
    func isBoundary(_ i: Int) -> Bool {
        var here = false
        if i < n {
            let (c, _) = scalar(at: i)
            if Self.isTransparent(c) { return false }
            here = Self.isWord(c)
        }
        return here != wordBefore(i)
    }

    /// Under `(?i)`: the ASCII letter (lower case), digit or `_` the character at `i` stands for,
    /// and its length; nil for anything else.
    func folded(at i: Int) -> (UInt8, Int)? {
        let c = b[i]
        if c < 0x80 {
            if c >= 0x41 && c <= 0x5A { return (c | 0x20, 1) }
            if (c >= 0x61 && c <= 0x7A) || Self.isDigit(c) || c == 0x5F { return (c, 1) }
            return nil
        }
        if c == 0xC5, i + 1 < n, b[i + 1] == 0xBF { return (0x73, 2) }                       // ſ
        if c == 0xE2, i + 2 < n, b[i + 1] == 0x84, b[i + 2] == 0xAA { return (0x6B, 3) }       // Kelvin sign
        return nil
    }

    /// Whether `literal` (ASCII) starts at `i`, byte for byte.
    func has(_ literal: StaticString, at i: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= n else { return false }
        let p = literal.utf8Start
        for k in 0..<count where b[i + k] != p[k] { return false }
        return true
    }

    /// The next `i >= from` where `literal` starts.
    func find(_ literal: StaticString, from: Int) -> Int? {
        let first = literal.utf8Start[0]
        var i = from
        while i < n {
            if b[i] == first && has(literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// The end of the run of bytes satisfying `test` from `i`.
    func run(from i: Int, _ test: (UInt8) -> Bool) -> Int {
        run(from: i, upTo: n, test)
    }

    /// The end of the run of bytes satisfying `test` from `i`, looking no further than `limit`.
    func run(from i: Int, upTo limit: Int, _ test: (UInt8) -> Bool) -> Int {
        var j = i
        let end = min(limit, n)
        while j < end && test(b[j]) { j += 1 }
        return j
    }

    /// The end of the whitespace from `i`.
    func skipWhitespace(from i: Int) -> Int {
        var j = i
        while j < n {
            let (c, length) = scalar(at: j)
            guard Self.isWhitespace(c) else { break }
            j += length
        }
        return j
    }

    // MARK: 1. PEM private keys

    /// `[A-Z0-9 ]*PRIVATE KEY-----` from `i`: the end of the dashes.
    func privateKeyLabel(from i: Int) -> Int? {
        let end = run(from: i) { Self.isUpperOrDigit($0) || $0 == 0x20 }
        guard end - i >= 11, has("PRIVATE KEY", at: end - 11), has("-----", at: end) else { return nil }
        return end + 5
    }

    func pem(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        var at = from
        while let start = find("-----BEGIN ", from: at) {
            guard let bodyStart = privateKeyLabel(from: start + 11) else {
                at = start + 1
                continue
            }
            var end = n
            var search = bodyStart
            while let close = find("-----END ", from: search) {
                if let e = privateKeyLabel(from: close + 9) {
                    end = e
                    break
                }
                search = close + 1
            }
            return (start..<end, start..<end)
        }
        return nil
    }

    // MARK: 2. Base64-encoded PEM

    func base64PEM(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        guard let start = find("LS0tLS1CRUdJTi", from: from) else { return nil }
        var j = start + 14
        while j < n {
            let c = b[j]
            if Self.isAlnum(c) || c == 0x2B || c == 0x2F || c == 0x3D || c == 0x5C { j += 1; continue }
            let (s, length) = scalar(at: j)
            guard Self.isWhitespace(s) else { break }
            j += length
        }
        return (start..<j, start..<j)
    }

    // MARK: 3, 4. GitHub tokens

    func githubToken(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        var i = from
        while let start = find("gh", from: i) {
            i = start + 1
            guard start + 4 <= n, [0x70, 0x6F, 0x75, 0x73, 0x72].contains(b[start + 2]), b[start + 3] == 0x5F,
                  !wordBefore(start) else { continue }
            let end = run(from: start + 4, Self.isAlnum)
            if end - (start + 4) >= 20 { return (start..<end, start..<end) }
        }
        return nil
    }

    func githubPAT(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        var i = from
        while let start = find("github_pat_", from: i) {
            i = start + 1
            guard !wordBefore(start) else { continue }
            let end = run(from: start + 11) { Self.isAlnum($0) || $0 == 0x5F }
            if end - (start + 11) >= 20 { return (start..<end, start..<end) }
        }
        return nil
    }

    // MARK: 5. AWS access key ids

    func awsKeyId(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        var i = from
        while i + 20 <= n {
            defer { i += 1 }
            guard b[i] == 0x41, has("KIA", at: i + 1) || has("SIA", at: i + 1) || has("GPA", at: i + 1)
                    || has("IDA", at: i + 1) || has("ROA", at: i + 1) || has("NPA", at: i + 1) else { continue }
            // The 16 characters after the prefix, not the whole run: in a long upper-case run with
            // an `AKIA` every few bytes, scanning each run to its end was quadratic.
            guard !wordBefore(i), run(from: i + 4, upTo: i + 20, Self.isUpperOrDigit) == i + 20, isBoundary(i + 20) else { continue }
            return (i..<i + 20, i..<i + 20)
        }
        return nil
    }

    // MARK: 6. AWS secret access keys

    /// Whether `literal` (lower-case ASCII) starts at `i` under `(?i)`; the end if so.
    func hasFolded(_ literal: StaticString, at i: Int) -> Int? {
        var j = i
        let p = literal.utf8Start
        for k in 0..<literal.utf8CodeUnitCount {
            guard j < n, let (c, length) = folded(at: j), c == p[k] else { return nil }
            j += length
        }
        return j
    }

    func awsSecretKey(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        var i = from
        while i < n {
            let c = b[i]
            // Every alternative starts with `a` or `s` (or `ſ`).
            if c == 0x61 || c == 0x41 || c == 0x73 || c == 0x53 || c == 0xC5 {
                for literal: StaticString in ["aws_secret_access_key", "secret_access_key", "secretaccesskey"] {
                    guard let afterName = hasFolded(literal, at: i) else { continue }
                    if let found = secretKeyValue(after: afterName) { return (i..<found.upperBound, found) }
                }
            }
            i += Self.sequenceLength(c)
        }
        return nil
    }

    /// `(["'\s:=]+)[A-Za-z0-9/+=]{40}` from `i` (under `(?i)`): the range of the 40 characters.
    func secretKeyValue(after i: Int) -> Range<Int>? {
        // The separator characters, by start offset.
        var separators: [Int] = []
        var j = i
        while j < n {
            let c = b[j]
            if c == 0x22 || c == 0x27 || c == 0x3A || c == 0x3D { separators.append(j); j += 1; continue }
            let (s, length) = scalar(at: j)
            guard Self.isWhitespace(s) else { break }
            separators.append(j)
            j += length
        }
        guard !separators.isEmpty else { return nil }
        // The key characters after the separators, by start offset (up to 40 are needed).
        var keys: [Int] = []
        var k = j
        while k < n && keys.count < 40 {
            let c = b[k]
            if Self.isAlnum(c) || c == 0x2F || c == 0x2B || c == 0x3D { keys.append(k); k += 1; continue }
            guard let (_, length) = folded(at: k), length > 1 else { break }
            keys.append(k)
            k += length
        }
        // Backtracking: the separators give back trailing `=` signs (which are key characters too)
        // while at least one separator stays.
        var kept = separators.count
        while true {
            let given = separators.count - kept
            if given + keys.count >= 40 {
                let start = kept < separators.count ? separators[kept] : j
                let window = Array(separators[kept...]) + keys
                let last = window[39]
                return start..<(last + Self.sequenceLength(b[last]))
            }
            guard kept > 1, b[separators[kept - 1]] == 0x3D else { return nil }
            kept -= 1
        }
    }

    // MARK: 7. Long base64 runs

    func longBase64(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        var i = from
        while i < n {
            guard Self.isBase64(b[i]) else { i += 1; continue }
            let end = run(from: i, Self.isBase64)
            if end - i >= 120 {
                var e = end
                while e < n && e - end < 2 && b[e] == 0x3D { e += 1 }
                return (i..<e, i..<e)
            }
            i = end
        }
        return nil
    }

    // MARK: 8. Settings named like secrets

    static let secretWords: [[UInt8]] = ["secret", "token", "password", "passwd", "private_key", "key_base64", "jitconfig", "jit_config_value"].map { Array($0.utf8) }

    static func containsSecretWord(_ name: [UInt8]) -> Bool {
        // Every word contains `s`, `t` or `p`: a cheap first test for the many names with none.
        guard name.contains(where: { $0 == 0x73 || $0 == 0x74 || $0 == 0x70 }) else { return false }
        for word in secretWords where name.count >= word.count {
            for s in 0...(name.count - word.count) where name[s] == word[0] {
                var k = 1
                while k < word.count && name[s + k] == word[k] { k += 1 }
                if k == word.count { return true }
            }
        }
        return false
    }

    func namedSetting(from: Int) -> (match: Range<Int>, masked: Range<Int>?)? {
        var i = from
        // One buffer for every candidate name (a fresh array per word was most of the scan's time).
        var name: [UInt8] = []
        name.reserveCapacity(64)
        while i < n {
            guard let (first, firstLength) = folded(at: i) else { i += Self.sequenceLength(b[i]); continue }
            // A name starts where a word does; inside a word no match can start.
            name.removeAll(keepingCapacity: true)
            let start = i
            var j = i + firstLength
            name.append(first)
            while j < n, let (c, length) = folded(at: j) {
                name.append(c)
                j += length
            }
            i = j
            guard !wordBefore(start), Self.containsSecretWord(name) else { continue }
            // `\s*["']?\s*[:=]\s*["']?`
            var k = skipWhitespace(from: j)
            if k < n && (b[k] == 0x22 || b[k] == 0x27) { k = skipWhitespace(from: k + 1) }
            guard k < n && (b[k] == 0x3A || b[k] == 0x3D) else { continue }
            k = skipWhitespace(from: k + 1)
            if k < n && (b[k] == 0x22 || b[k] == 0x27) { k += 1 }
            // `[^\s"',}@]{8,}`
            let valueStart = k
            var characters = 0
            while k < n {
                let c = b[k]
                if c == 0x22 || c == 0x27 || c == 0x2C || c == 0x7D || c == 0x40 { break }
                let (s, length) = scalar(at: k)
                if Self.isWhitespace(s) { break }
                characters += 1
                k += length
            }
            guard characters >= 8 else { continue }
            let value = String(decoding: UnsafeBufferPointer(rebasing: b[valueStart..<k]), as: UTF8.self)
            return (start..<k, Self.isReference(value) ? nil : valueStart..<k)
        }
        return nil
    }

    /// `var.x`, `data.…`, `${…}` are references, not secrets; nor is a short word.
    static func isReference(_ v: String) -> Bool {
        if v.hasPrefix("var.") || v.hasPrefix("local.") || v.hasPrefix("data.") || v.hasPrefix("module.") || v.hasPrefix("$") || v.hasPrefix("aws_") { return true }
        return v.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" }) && v.count < 24
    }
}

extension Finding {
    /// The finding with every secret in its text masked.
    public var redacted: Finding {
        var f = self
        f.message = Secrets.mask(message)
        f.detail = detail.map(Secrets.mask)
        f.related = related.map { RelatedNote(Secrets.mask($0.message), at: $0.location) }
        if var fix = f.fix {
            fix.description = Secrets.mask(fix.description)
            fix.edits = fix.edits.map { TextEdit(range: $0.range, newText: Secrets.mask($0.newText)) }
            f.fix = fix
        }
        return f
    }
}

extension SourceFile {
    /// The same file with secrets masked (same byte length per ASCII secret, so ranges still fit).
    public var redacted: SourceFile {
        Secrets.masked(text).map { SourceFile(path: path, text: $0) } ?? self
    }
}
