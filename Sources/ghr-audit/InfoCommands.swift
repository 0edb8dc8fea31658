import ArgumentParser
import AuditCore
import Engine
import Foundation
import Knowledge
import Reporters

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The commands that read the knowledge base only: `rules`, `explain`, `schema extract`, `version`.

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "List the rule catalogue.",
        discussion: """
        EXIT STATUS:
          0  the catalogue was printed
          2  a usage error

        EXAMPLES:
          ghr-audit rules
          ghr-audit rules --format json
        """)

    @Option(help: "text or json")
    var format: String = "text"

    func run() throws {
        guard let listing = Catalogue.ListingFormat(rawValue: format) else { throw ValidationError("`--format \(format)`: expected `text` or `json`") }
        writeStdout(Catalogue.listing(try loadKnowledge(), format: listing))
    }
}

enum ExplainFormat: String, ExpressibleByArgument, CaseIterable {
    case text, markdown
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Print a rule's documentation.",
        discussion: """
        EXIT STATUS:
          0  the page was printed
          2  an unknown rule id

        EXAMPLES:
          ghr-audit explain JIT-101
          ghr-audit explain inp-201 --format markdown > INP-201.md
        """)

    @Argument(help: "A rule id such as JIT-101.")
    var ruleId: String

    @Option(help: "text (wrapped to the terminal, default) or markdown (the raw page, as docs/rules/RULE-ID.md holds it).")
    var format: ExplainFormat = .text

    func run() throws {
        let page = try Catalogue.explain(ruleId, knowledge: try loadKnowledge())
        switch format {
        case .markdown: writeStdout(page)
        case .text:
            var size = winsize()
            let columns = isatty(STDOUT_FILENO) == 1 && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 ? Int(size.ws_col) : nil
            writeStdout(MarkdownTerminal.render(page, width: MarkdownTerminal.width(terminalColumns: columns, environment: ProcessInfo.processInfo.environment)))
        }
    }
}

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Inputs of a module checkout.", subcommands: [Extract.self])

    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the inputs (type and default) of a terraform-aws-github-runner checkout as YAML, read with ghr-audit's HCL parser.")

        @Argument(help: "The module checkout (for example `.terraform/modules/runners`).")
        var moduleDirectory: String

        func run() throws {
            let (yaml, problems) = try ModuleSchema.extract(directory: moduleDirectory, host: LocalHostFiles())
            for p in problems { writeStderr(p + "\n") }
            writeStdout(yaml)
            if let failure = ModuleSchema.failure(problems) { throw failure }
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and the newest module release known.",
        discussion: """
        EXIT STATUS:
          0  always

        EXAMPLES:
          ghr-audit version
          ghr-audit --version
        """)

    func run() throws {
        // Only the release list: decoding the whole knowledge base would be most of the run.
        let latest: ModuleVersion
        do { latest = try KnowledgeBase.latestEmbeddedVersion() } catch { throw EnvironmentError("the embedded knowledge base could not be loaded: \(error)") }
        writeStdout("ghr-audit \(ToolInfo.version) (knows terraform-aws-github-runner up to v\(latest))\n")
    }
}

