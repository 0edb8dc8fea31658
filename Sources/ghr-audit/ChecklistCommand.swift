import ArgumentParser
import Engine
import Foundation

struct ChecklistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "checklist", abstract: "Write a Markdown upgrade checklist tailored to the repository.",
        discussion: """
        EXIT STATUS:
          0  the checklist was written
          2  a usage or environment error

        EXAMPLES:
          ghr-audit checklist infra/ --target 7.11.0
          ghr-audit checklist . --target 6.0.0 --rule jit --output UPGRADE.md
        """)

    @Argument(help: "The repository to plan for.")
    var path: String = "."

    @OptionGroup var flags: AuditFlags

    @Option(name: [.customLong("output"), .customShort("o")], help: "Write the checklist to FILE instead of standard output.")
    var output: String?

    @OptionGroup var filterFlags: FilterFlags

    func run() throws {
        let knowledge = try loadKnowledge()
        let filter = try filterFlags.filter(knowledge)
        let result = try flags.audit(paths: [path], knowledge: knowledge).result
        let text = Checklist.render(result, filter: filter, arguments: flags.arguments, knowledge: knowledge)
        if let output { try writeUserFile(Data(text.utf8), to: output) } else { writeStdout(text) }
    }
}
