import ArgumentParser
import Engine
import Foundation
import Gate

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fix", abstract: "Print a unified diff of every machine-applicable fix; `--apply` writes the files.",
        discussion: """
        EXIT STATUS:
          0  the diff was printed, or every file was written
          2  a usage or environment error, or a file left unwritten by --apply

        EXAMPLES:
          ghr-audit fix infra/ --target 7.11.0 | git apply
          ghr-audit fix . --rule INP-202 --apply
        """)

    @Argument(help: "The repository to fix.")
    var path: String = "."

    @OptionGroup var flags: AuditFlags

    @Flag(help: "Write the fixed files (atomically, keeping line endings, encoding, owner and mode; only files unchanged since the audit, never through a symbolic link) instead of printing the diff.")
    var apply = false

    @OptionGroup var filterFlags: FilterFlags

    func run() throws {
        let knowledge = try loadKnowledge()
        let filter = try filterFlags.filter(knowledge)
        let result = try flags.audit(paths: [path], knowledge: knowledge).result
        // The fixed files audited again in memory: what the fixes themselves make necessary (a
        // suppression they leave unused) joins the same diff.
        let plan = try FixPlan.settled(result, filter: filter) { changed in
            try flags.audit(paths: [path], knowledge: knowledge, host: OverlayHostFiles(base: LocalHostFiles(), root: path, replaced: changed)).result
        }
        let output = plan.output(applyingWith: apply ? LocalScanRootWriter(root: URL(fileURLWithPath: path)) : nil, quiet: flags.quiet)
        for line in output.lines {
            switch line.stream {
            case .standardOutput: writeStdout(line.text)
            case .standardError: writeStderr(line.text)
            }
        }
        if output.status != .clean { throw ExitCode(output.status.rawValue) }
    }
}
