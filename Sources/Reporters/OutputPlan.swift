import AuditCore

/// Where each report of one `check` run goes: `--format F [--output FILE]` pairs in command-line
/// order. An `--output` belongs to the `--format` before it, or to the default `text` when it
/// comes first; at most one format goes to standard output.
public struct OutputPlan: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var format: OutputFormat
        /// nil: standard output.
        public var file: String?

        public init(_ format: OutputFormat, _ file: String? = nil) {
            self.format = format
            self.file = file
        }
    }

    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case missingValue(flag: String)
        case unknownFormat(String)
        case unpairedOutput(String)
        case severalToStandardOutput
        case disagreesWithParse

        public var description: String {
            switch self {
            case .missingValue(let flag): "`\(flag)` needs a value"
            case .unknownFormat(let v): "`--format \(v)`: expected one of \(OutputFormat.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", "))"
            case .unpairedOutput(let v): "`--output \(v)` has no `--format` of its own; write `--format F --output FILE` pairs"
            case .severalToStandardOutput: "only one `--format` may go to standard output; give the others an `--output FILE`"
            case .disagreesWithParse: "cannot tell which `--output` belongs to which `--format`; write `--format F --output FILE` pairs"
            }
        }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry]) { self.entries = entries }

    /// Pairs the `--format`/`--output`/`-o` options of `arguments` (a subcommand's arguments;
    /// scanning stops at `--`). Option parsing proper is the argument parser's: this only recovers
    /// the order between the two options, which it does not keep.
    public static func pair(arguments: [String]) throws(Problem) -> OutputPlan {
        var entries: [Entry] = []
        var pendingFile: String?
        var i = 0
        func value(_ flag: String) throws(Problem) -> String {
            let a = arguments[i]
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") { return String(a[a.index(after: eq)...]) }
            guard i + 1 < arguments.count else { throw .missingValue(flag: flag) }
            i += 1
            return arguments[i]
        }
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { break }
            if a == "--format" || a.hasPrefix("--format=") {
                let v = try value("--format")
                guard let f = OutputFormat(rawValue: v) else { throw .unknownFormat(v) }
                entries.append(Entry(f))
            } else if a == "--output" || a.hasPrefix("--output=") || a == "-o" {
                let v = try value("--output")
                if let last = entries.indices.last, entries[last].file == nil {
                    entries[last].file = v
                } else if entries.isEmpty && pendingFile == nil {
                    pendingFile = v
                } else {
                    throw .unpairedOutput(v)
                }
            }
            i += 1
        }
        if entries.isEmpty { entries = [Entry(.text, pendingFile)] } else if let p = pendingFile { entries.insert(Entry(.text, p), at: 0) }
        if entries.filter({ $0.file == nil }).count > 1 { throw .severalToStandardOutput }
        return OutputPlan(entries)
    }

    /// `pair(arguments:)`, refused unless it `agrees` with the formats and files the argument
    /// parser read.
    public static func pair(arguments: [String], parsedFormats: [OutputFormat], outputs: [String]) throws(Problem) -> OutputPlan {
        let plan = try pair(arguments: arguments)
        guard plan.agrees(withParsedFormats: parsedFormats, outputs: outputs) else { throw .disagreesWithParse }
        return plan
    }

    /// Whether the plan holds exactly the formats and files the argument parser read (in its
    /// order), so that recovering the pairing cannot silently disagree with the parse: the same
    /// files in the same order, and the same formats after a leading implicit `text`.
    public func agrees(withParsedFormats formats: [OutputFormat], outputs: [String]) -> Bool {
        guard entries.compactMap(\.file) == outputs else { return false }
        let shown = entries.map(\.format)
        if formats.isEmpty { return shown == [.text] }
        return shown == formats || (shown.first == .text && entries.first?.file != nil && Array(shown.dropFirst()) == formats)
    }
}

extension OutputPlan {
    /// One report of the plan, rendered: its format, where it goes (nil: standard output) and its text.
    public struct Rendered: Sendable, Hashable {
        public var format: OutputFormat
        public var file: String?
        public var text: String

        public init(format: OutputFormat, file: String?, text: String) {
            self.format = format
            self.file = file
            self.text = text
        }
    }

    /// `report` rendered in every format of the plan, in the plan's order. Colour (when
    /// `options.color`) goes only to the `text` report on standard output: a report written to a
    /// file never holds escape codes.
    ///
    /// Each report is handed to `deliver` as soon as it is rendered, so only one rendered report
    /// is held at a time.
    public func render(_ report: Report, options: RenderOptions, deliver: (Rendered) throws -> Void) rethrows {
        for entry in entries {
            var entryOptions = options
            entryOptions.color = options.color && entry.format == .text && entry.file == nil
            try deliver(Rendered(format: entry.format, file: entry.file, text: Reporters.render(report, as: entry.format, options: entryOptions)))
        }
    }
}
