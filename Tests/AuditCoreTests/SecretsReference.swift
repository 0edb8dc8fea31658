import Foundation

/// The regular expressions and masking the byte-level secret scanners replace (ICU, through
/// `NSRegularExpression`), kept as the reference `SecretsScannerTests` and the `secrets` fuzz target
/// (which compiles this file with its own) compare the scanners with. Foundation only.
enum SecretsReference {
    static let patterns: [NSRegularExpression] = [
        #"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)"#,
        #"LS0tLS1CRUdJTi[A-Za-z0-9+/=\\\s]*"#,
        #"\bgh[pousr]_[A-Za-z0-9]{20,}"#,
        #"\bgithub_pat_[A-Za-z0-9_]{20,}"#,
        #"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"#,
        #"(?i)(aws_secret_access_key|secret_access_key|secretaccesskey)(["'\s:=]+)[A-Za-z0-9/+=]{40}"#,
        #"[A-Za-z0-9+/]{120,}={0,2}"#,
        #"(?i)\b([a-z0-9_]*(secret|token|password|passwd|private_key|key_base64|jitconfig|jit_config_value)[a-z0-9_]*)(\s*["']?\s*[:=]\s*["']?)([^\s"',}@]{8,})"#,
    ].map { try! NSRegularExpression(pattern: $0) }

    static func ranges(in text: String) -> [NSRange] {
        let ns = text as NSString
        var out: [NSRange] = []
        let whole = NSRange(location: 0, length: ns.length)
        for (i, re) in patterns.enumerated() {
            for m in re.matches(in: text, range: whole) {
                if i == patterns.count - 1 {
                    let value = m.range(at: 4)
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

    static func mask(_ text: String) -> String {
        let found = ranges(in: text)
        guard !found.isEmpty else { return text }
        var units = Array(text.utf16)
        for r in found {
            for i in r.location..<min(units.count, r.location + r.length) where units[i] != 10 && units[i] != 13 {
                units[i] = UInt16(UInt8(ascii: "*"))
            }
        }
        return String(decoding: units, as: UTF16.self)
    }
}
