import Foundation

/// Finds secrets in text so that no report, log or message ever shows them: PEM private keys
/// (also base64-encoded, as `github_app.key_base64` holds them), GitHub tokens, AWS access keys,
/// long base64 blobs (JIT runner configs are one), and literal values of settings whose name says
/// they are secret. Masking replaces each character with `*`, so lengths, offsets and columns stay.
public enum Secrets {
    private static let patterns: [NSRegularExpression] = [
        // PEM private keys, whole block.
        #"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)"#,
        // A base64-encoded PEM ("-----BEGIN" encodes to LS0tLS1CRUdJTi).
        #"LS0tLS1CRUdJTi[A-Za-z0-9+/=\\\s]*"#,
        // GitHub tokens: classic, fine-grained, app installation and user-to-server tokens.
        #"\bgh[pousr]_[A-Za-z0-9]{20,}"#,
        #"\bgithub_pat_[A-Za-z0-9_]{20,}"#,
        // AWS access key ids and the secret key that usually follows them.
        #"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"#,
        #"(?i)(aws_secret_access_key|secret_access_key|secretaccesskey)(["'\s:=]+)[A-Za-z0-9/+=]{40}"#,
        // Long base64 runs (JIT configs, encoded keys): nothing a reader needs to see.
        #"[A-Za-z0-9+/]{120,}={0,2}"#,
        // Literal values of settings named like secrets: `key_base64 = "…"`, `token: …`.
        #"(?i)\b([a-z0-9_]*(secret|token|password|passwd|private_key|key_base64|jitconfig|jit_config_value)[a-z0-9_]*)(\s*["']?\s*[:=]\s*["']?)([^\s"',}@]{8,})"#,
    ].map { try! NSRegularExpression(pattern: $0) }

    /// UTF-16 ranges of every secret in `text` (for the name=value pattern: only the value).
    static func ranges(in text: String) -> [NSRange] {
        let ns = text as NSString
        var out: [NSRange] = []
        let whole = NSRange(location: 0, length: ns.length)
        for (i, re) in patterns.enumerated() {
            for m in re.matches(in: text, range: whole) {
                if i == patterns.count - 1 {
                    let value = m.range(at: 4)
                    // `var.x`, `data.…`, `${…}` are references, not secrets.
                    let v = ns.substring(with: value)
                    if v.hasPrefix("var.") || v.hasPrefix("local.") || v.hasPrefix("data.") || v.hasPrefix("module.") || v.hasPrefix("$") || v.hasPrefix("aws_") { continue }
                    if v.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" }) && v.count < 24 { continue }
                    out.append(value)
                } else if i == 5 {
                    out.append(NSRange(location: m.range(at: 2).upperBound, length: m.range.upperBound - m.range(at: 2).upperBound))
                } else {
                    out.append(m.range)
                }
            }
        }
        return out
    }

    /// Whether `text` holds anything that looks like a secret.
    public static func contains(_ text: String) -> Bool { !ranges(in: text).isEmpty }

    /// `text` with every secret replaced by `*` characters (newlines kept), so columns stay put.
    public static func mask(_ text: String) -> String {
        let found = ranges(in: text)
        guard !found.isEmpty else { return text }
        var units = Array(text.utf16)
        let star = UInt16(UInt8(ascii: "*"))
        for r in found {
            for i in r.location..<min(units.count, r.location + r.length) {
                let u = units[i]
                if u == 10 || u == 13 { continue }
                // Keep surrogate pairs valid: mask the high half, drop the low half into a star too.
                units[i] = star
            }
        }
        return String(decoding: units, as: UTF16.self)
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
        Secrets.contains(text) ? SourceFile(path: path, text: Secrets.mask(text)) : self
    }
}
