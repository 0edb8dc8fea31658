import AuditCore
import Foundation
import Testing
import TestSupport

/// The byte-level secret scanners against the regular expressions they replace (ICU, through
/// `NSRegularExpression`): the same masked text for the repository's own files and for many
/// generated strings made of the pieces each pattern turns on (PEM headers, token prefixes,
/// separators, base64 runs, combining and format characters, `ſ` and the Kelvin sign...).
@Suite("Secret scanners agree with their regular expressions")
struct SecretsScannerTests {
    /// The regular expressions the scanners replace (in their own file: the `secrets` fuzz target uses them too).
    typealias Reference = SecretsReference

    static let pieces: [String] = [
        "-----BEGIN ", "RSA ", "EC ", "OPENSSH ", "PRIVATE KEY", "-----", "-----END ", "PUBLIC KEY", "\n", "\r\n", "\r",
        "LS0tLS1CRUdJTi", "gh", "ghp_", "gho_", "ghs_", "ghx_", "github_pat_", "AKIA", "ASIA", "AROA", "AKIB",
        "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "secret_access_key", "SecretAccessKey", "ſecret", "\u{212A}ey",
        "secret", "token", "TOKEN", "password", "passwd", "private_key", "key_base64", "jitconfig", "jit_config_value", "webhook_", "_",
        " ", "  ", "\t", "\u{A0}", "\u{85}", "\u{2028}", "\u{3000}", "\u{0B}", "\u{1C}", "=", "==", ":", "\"", "'", ",", "}", "@", "\\",
        "var.", "local.", "data.", "module.", "${", "$", "aws_", "-", ".", "/", "+",
        "é", "e\u{301}", "\u{301}", "\u{200B}", "\u{200C}", "\u{200D}", "\u{FEFF}", "\u{AD}", "İ", "ı", "ß", "Ω", "😀", "𝔸", "٣", "‿",
        "0", "7", "A", "Z", "a", "z", "Q", "x9", "K", "k", "S", "s",
    ]

    static func alphanumerics(_ count: Int, using g: inout SeededGenerator, upper: Bool = false) -> String {
        let alphabet = Array(upper ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }

    static func sample(seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)  // SplitMix64: a failure is reproducible from its seed
        var text = ""
        for _ in 0..<Int(g.next() % 24) {
            switch g.next() % 12 {
            case 10:
                let headers = ["-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
                               "-----END PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY----", "-----BEGIN PRIVATE KEY -----"]
                text += headers[Int(g.next() % UInt64(headers.count))]
            case 11:
                let prefixes = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA"]
                text += prefixes[Int(g.next() % UInt64(prefixes.count))] + alphanumerics([15, 16, 16, 17][Int(g.next() % 4)], using: &g, upper: true)
            case 0:
                // Runs around the lengths the patterns count: 16, 20, 40, 120.
                let lengths = [7, 8, 9, 15, 16, 17, 19, 20, 21, 38, 39, 40, 41, 119, 120, 121, 130]
                text += alphanumerics(lengths[Int(g.next() % UInt64(lengths.count))], using: &g, upper: g.next() % 2 == 0)
            case 1:
                text += alphanumerics(Int(g.next() % 12), using: &g)
            default:
                text += pieces[Int(g.next() % UInt64(pieces.count))]
            }
        }
        return text
    }

    @Test("generated strings: the same masked text as the regular expressions")
    func generated() {
        var differences: [String] = []
        // How many samples each pattern matched: the comparison means something only if all do.
        var matchedBy = [Int](repeating: 0, count: Reference.patterns.count)
        for seed in 0..<UInt64(20_000) {
            let text = Self.sample(seed: seed)
            for (i, re) in Reference.patterns.enumerated() where re.firstMatch(in: text, range: NSRange(location: 0, length: (text as NSString).length)) != nil {
                matchedBy[i] += 1
            }
            let expected = Reference.mask(text)
            let actual = Secrets.mask(text)
            if actual != expected || Secrets.contains(text) != !Reference.ranges(in: text).isEmpty {
                differences.append("seed \(seed): \(text.debugDescription)\n  regex:   \(expected.debugDescription)\n  scanner: \(actual.debugDescription)")
            }
        }
        #expect(differences.isEmpty, "\(differences.count) differ; first: \(differences.prefix(5).joined(separator: "\n"))")
        #expect(matchedBy.allSatisfy { $0 >= 20 }, "samples matched per pattern: \(matchedBy)")
    }

    @Test("secrets of every shape, in context", arguments: [
        "key = \"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\" rest",
        "-----BEGIN PRIVATE KEY-----\nunterminated",
        "-----BEGIN PRIVATE KEY----- a -----END PUBLIC KEY----- b -----END PRIVATE KEY----- c",
        "key_base64 = \"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=\"",
        "url = \"https://x-access-token:ghp_R8kz3QpL0vW2xYt6NmB4cD7eF9gH1jK5sA0u@ghes\"",
        "xghp_R8kz3QpL0vW2xYt6NmB4cD7eF9gH1jK5sA0u ghp_short github_pat_11ABCDEFG0123456789_abcdefghij",
        "AKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLEX éAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPL\u{301}",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "SECRET_ACCESS_KEY: ==wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEK",
        "webhook_secret = \"s3cr3t-value\" token = var.token password: \"${var.p}\" jit_config_value='short'",
        "\u{FEFF}token=abcdefgh12 \u{301}token=abcdefgh12 é_token=abcdefgh12",
    ])
    func shapes(_ text: String) {
        #expect(Secrets.mask(text) == Reference.mask(text))
    }

    @Test("the repository's own files and fixtures: the same masked text")
    func repositoryFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var checked = 0
        for folder in ["fixtures", "rules", "Tests"] {
            guard let walker = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where ["tf", "tfvars", "sh", "ps1", "yaml", "yml", "json", "hcl", "swift", "tpl", "md"].contains(url.pathExtension) {
                guard let data = try? Data(contentsOf: url), data.count < 2_000_000, let text = String(data: data, encoding: .utf8) else { continue }
                #expect(Secrets.mask(text) == Reference.mask(text), "\(url.path)")
                checked += 1
            }
        }
        #expect(checked > 100)
    }

    /// Each scanner looks a bounded distance past where a match can start: in a 4 MB upper-case run
    /// with an `AKIA` every four bytes, the access-key scanner read from each prefix to the run's
    /// end (about 2·10¹² byte tests: hours). The run holds no access key (no word boundary after
    /// any 20 of its characters; it is masked whole as a long base64 run); the key after it is
    /// masked as a key.
    @Test(.timeLimit(.minutes(1)))
    func accessKeyPrefixesInALongRunStayLinear() {
        let run = String(repeating: "AKIA", count: 1 << 20)
        let key = "AKIA" + "ABCDEFGHIJKLMNOP"
        let masked = Secrets.mask(run + " " + key + "\n")
        #expect(masked == String(repeating: "*", count: run.utf8.count) + " " + String(repeating: "*", count: key.count) + "\n")
        #expect(Secrets.byteRanges(in: run + " " + key).contains(run.utf8.count + 1 ..< run.utf8.count + 1 + key.utf8.count))
    }
}
