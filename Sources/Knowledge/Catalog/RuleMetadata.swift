import AuditCore
import Foundation

/// The tags a rule may carry (`rules/README.md` explains each).
public enum RuleTag: String, Sendable, Hashable, Codable, CaseIterable {
    case parse, config, jit, ghes, script, iam, inputs, version, security, probe, rehearsal, suppression
}

/// A citation of the module's source, `TAG:path[:lines]`, e.g. `v4.0.1:README.md:95` or
/// `v7.11.0:docs/configuration.md:365-368`.
public struct FactCitation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var tag: String
    public var path: String
    /// The line part as written (`95`, `365-368`, `44-45,150-151`), nil when absent.
    public var lines: String?
    /// What the cited place shows, from a trailing ` (note)`.
    public var note: String?

    /// Parses `TAG:path[:lines]`, optionally followed by ` (what it shows)`; nil when the text
    /// does not have that shape.
    public init?(_ written: String) {
        var text = written
        if let open = written.rangeOfBytes(" ("), written.hasSuffix(")") {
            note = String(written[open.upperBound..<written.index(before: written.endIndex)])
            text = String(written[..<open.lowerBound])
        }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0].hasPrefix("v"), ModuleVersion(parts[0]) != nil,
              parts[0].dropFirst().allSatisfy({ $0.isNumber || $0 == "." }),
              !parts[1].isEmpty, !parts[1].hasPrefix("/"), !parts[1].containsBytes(" "), !parts[1].containsBytes("..")
        else { return nil }
        tag = parts[0]
        path = parts[1]
        if parts.count == 3 {
            let spec = parts[2]
            let ranges = spec.split(separator: ",", omittingEmptySubsequences: false)
            for r in ranges {
                let ends = r.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(ends.count), ends.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0).map { $0 > 0 } == true })
                else { return nil }
            }
            lines = spec
        } else {
            lines = nil
        }
    }

    public var description: String { "\(tag):\(path)" + (lines.map { ":\($0)" } ?? "") + (note.map { " (\($0))" } ?? "") }

    /// The module repository page for the cited file at that tag, anchored at the first line range.
    public var url: String {
        var u = "https://github.com/github-aws-runners/terraform-aws-github-runner/blob/\(tag)/\(path)"
        if let first = lines?.split(separator: ",").first {
            let ends = first.split(separator: "-")
            u += "#L\(ends[0])" + (ends.count == 2 ? "-L\(ends[1])" : "")
        }
        return u
    }
}

/// One file of an example repository.
public struct ExampleFile: Sendable, Hashable, Codable {
    /// Relative path with `/` separators.
    public var path: String
    /// Contents as written in the catalogue, markers included.
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// A line and column in an example file with its markers removed (1-based; columns count
/// Unicode scalars, as findings do).
public struct ExamplePosition: Sendable, Hashable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `LINE:COLUMN`, as the catalogue writes it.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let l = Int(parts[0]), let c = Int(parts[1]), l >= 1, c >= 1 else { return nil }
        self.init(line: l, column: c)
    }

    public var description: String { "\(line):\(column)" }
}

/// What a triggering example expects at one marker: a finding that starts there. An exact
/// expectation (one with `end`) gives the finding as the tool reports it: its whole message, where
/// its range ends, and its severity; the example tests compare all three and the rule's page shows
/// them as the tool's output. Without `end`, `message` is a substring of the finding's message.
public struct ExampleExpectation: Sendable, Hashable, Codable {
    /// The marker in canonical form (`1️⃣` … `9️⃣`, `🔟`).
    public var marker: String
    /// The finding's message (exact expectations), or a substring of it.
    public var message: String
    /// Where the finding's range ends; nil for an expectation that is not exact.
    public var end: ExamplePosition?
    /// The finding's severity when it is not the rule's default.
    public var severity: Severity?

    public var isExact: Bool { end != nil }

    public init(marker: String, message: String, end: ExamplePosition? = nil, severity: Severity? = nil) {
        self.marker = marker
        self.message = message
        self.end = end
        self.severity = severity
    }
}

/// A small repository that shows (and tests) a rule.
public struct RuleExample: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case triggering
        case nonTriggering = "non_triggering"
    }

    public var name: String
    public var kind: Kind
    /// The `--target` release to audit against; nil means the newest release (or `targetKeyword`).
    public var target: ModuleVersion?
    /// `pinned` (each call at the release it pins) or `latest`, when the example says so.
    public var targetKeyword: String?

    public static let targetKeywords: Set<String> = ["pinned", "latest"]

    /// The example's `--target` as the command line takes it.
    public var targetText: String? { target?.description ?? targetKeyword }
    /// Whether documentation shows this example.
    public var doc: Bool
    /// False for examples the example runner cannot execute (checked by the engine later).
    public var runnable: Bool
    /// In catalogue order.
    public var files: [ExampleFile]
    /// One entry per marker for triggering examples; empty for non-triggering ones.
    public var expect: [ExampleExpectation]

    public init(name: String, kind: Kind, target: ModuleVersion? = nil, targetKeyword: String? = nil, doc: Bool = true, runnable: Bool = true,
                files: [ExampleFile], expect: [ExampleExpectation] = []) {
        self.name = name
        self.kind = kind
        self.target = target
        self.targetKeyword = targetKeyword
        self.doc = doc
        self.runnable = runnable
        self.files = files
        self.expect = expect
    }

    /// The example repository with its markers removed, and where each marker was: the position
    /// (1-based line, 1-based column in Unicode scalars, 0-based UTF-8 offset) in the stripped
    /// file. A marker written twice keeps its first position (the validator reports the repeat).
    /// Whether every expectation is exact (and there is at least one): the example's output is known.
    public var hasExactOutput: Bool { !expect.isEmpty && expect.allSatisfy(\.isExact) }

    public func materialise() -> (files: [String: String], markers: [String: (path: String, line: Int, column: Int, offset: Int)]) {
        var files: [String: String] = [:]
        var markers: [String: (path: String, line: Int, column: Int, offset: Int)] = [:]
        for file in self.files {
            let stripped = ExampleMarkers.strip(file.contents)
            files[file.path] = stripped.text
            for m in stripped.markers where markers[m.marker] == nil {
                markers[m.marker] = (file.path, m.line, m.column, m.offset)
            }
        }
        return (files, markers)
    }
}

/// A rule's catalogue entry: everything except its detection logic.
public struct RuleMetadata: Sendable, Hashable, Codable {
    /// `^[A-Z]{2,5}-[0-9]{3}$`, e.g. `JIT-101`.
    public var id: String
    public var title: String
    /// The default severity.
    public var severity: Severity
    public var tags: [RuleTag]
    /// One line, no trailing period.
    public var summary: String
    /// Module releases whose behaviour the rule encodes.
    public var reliesOn: [ModuleVersion]
    public var facts: [FactCitation]
    /// Markdown: what the rule detects.
    public var description: String
    /// Markdown: why it matters.
    public var rationale: String
    /// Markdown: how to fix it.
    public var remediation: String
    /// Markdown: when suppressing is fine; nil when never.
    public var suppressWhen: String?
    /// Former ids, still accepted in configuration and suppressions.
    public var deprecatedAliases: [String]
    /// Further reading (URLs or short citations).
    public var references: [String]
    public var examples: [RuleExample]
    /// Where the entry lives, relative to `rules/`, e.g. `core/CORE-001.yaml`.
    public var sourcePath: String

    public init(id: String, title: String, severity: Severity, tags: [RuleTag], summary: String, reliesOn: [ModuleVersion],
                facts: [FactCitation], description: String, rationale: String, remediation: String, suppressWhen: String?,
                deprecatedAliases: [String], references: [String], examples: [RuleExample], sourcePath: String) {
        self.id = id
        self.title = title
        self.severity = severity
        self.tags = tags
        self.summary = summary
        self.reliesOn = reliesOn
        self.facts = facts
        self.description = description
        self.rationale = rationale
        self.remediation = remediation
        self.suppressWhen = suppressWhen
        self.deprecatedAliases = deprecatedAliases
        self.references = references
        self.examples = examples
        self.sourcePath = sourcePath
    }

    /// The domain folder under `rules/`.
    public var domain: String { Paths.directory(of: sourcePath) }

    public static let helpBaseURI = "https://github.com/ghr-audit/ghr-audit/blob/main/docs/rules/"

    public var helpURI: String { Self.helpBaseURI + id + ".md" }

    /// The reporter's view of the rule.
    public var descriptor: RuleDescriptor {
        let help = [rationale, remediation]
            .map(\.trimmingWhitespace)
            .filter { !$0.isEmpty }
            .joined(separator: "\n\n")
        return RuleDescriptor(id: id, title: title, severity: severity, tags: tags.map(\.rawValue), summary: summary,
                              help: help, helpURI: helpURI)
    }
}
