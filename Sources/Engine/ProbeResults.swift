import AuditCore
import Foundation

/// Reads what `ghr-audit probe --format json` wrote, for `check --probe-results FILE`: the live
/// facts (member `live`) and the probe's findings, so the HTML page shows them beside the
/// repository. The JSON report is the contract between the two commands (see `JSONReporter`).
public enum ProbeResults {
    public static func read(_ path: String, host: any HostFiles) throws(EnvironmentError) -> LiveFacts {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > Limits.maxFileSize {
            throw EnvironmentError("probe results \(path) are larger than \(Limits.maxFileSize >> 20) MiB")
        }
        guard let data = host.read(path) else { throw EnvironmentError("cannot read probe results \(path)") }
        guard data.count <= Limits.maxFileSize else {
            throw EnvironmentError("probe results \(path) are larger than \(Limits.maxFileSize >> 20) MiB")
        }
        do {
            return try decode(data)
        } catch {
            throw EnvironmentError("probe results \(path): \(error.description)")
        }
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func decode(_ data: Data) throws(Invalid) -> LiveFacts {
        let root: Document
        do {
            root = try JSONDecoder().decode(Document.self, from: data)
        } catch let e as DecodingError {
            throw Invalid(description: Self.describe(e))
        } catch {
            throw Invalid(description: "not JSON: \(error)")
        }
        guard root.tool?.name == "ghr-audit" else {
            throw Invalid(description: "not a ghr-audit JSON report (no `tool.name` \"ghr-audit\"); write it with `ghr-audit probe --format json --output FILE`")
        }
        guard var live = root.live else {
            throw Invalid(description: "a ghr-audit JSON report without probe results (no `live` member): it was written by `check`, or by a ghr-audit older than `--probe-results`; write it with `ghr-audit probe --format json --output FILE`")
        }
        live.findings = (root.findings ?? []).map(\.finding)
        return live
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [any CodingKey]) -> String {
            c.isEmpty ? "the top level" : "`" + c.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().drop { $0 == "." } + "`"
        }
        switch e {
        case let .dataCorrupted(c) where c.codingPath.isEmpty: return "not JSON (\(c.debugDescription))"
        case let .dataCorrupted(c): return "bad value at \(path(c.codingPath)): \(c.debugDescription)"
        case let .keyNotFound(key, c): return "missing `\(key.stringValue)` at \(path(c.codingPath))"
        case let .typeMismatch(type, c): return "expected \(type) at \(path(c.codingPath))"
        case let .valueNotFound(type, c): return "expected \(type) at \(path(c.codingPath)), found null"
        @unknown default: return "\(e)"
        }
    }

    // MARK: - The JSON report, as far as the page needs it

    struct Document: Decodable {
        struct Tool: Decodable { var name: String }
        var tool: Tool?
        var findings: [ReportedFinding]?
        var live: LiveFacts?
    }

    struct Location: Decodable {
        var path: String
        var startLine: Int
        var startColumn: Int
        var endLine: Int
        var endColumn: Int

        var range: SourceRange {
            SourceRange(path: path, start: SourcePosition(line: startLine, column: startColumn, offset: 0),
                        end: SourcePosition(line: endLine, column: endColumn, offset: 0))
        }
    }

    struct Note: Decodable {
        var message: String
        var location: Location
    }

    struct ReportedFinding: Decodable {
        var ruleId: String
        var severity: Severity
        var tags: [String]
        var message: String
        var detail: String?
        var location: Location
        var related: [Note]
        var fingerprint: String

        var finding: Finding {
            Finding(ruleId: ruleId, severity: severity, tags: tags, message: message, detail: detail, location: location.range,
                    related: related.map { RelatedNote($0.message, at: $0.location.range) }, fingerprint: fingerprint)
        }
    }
}
