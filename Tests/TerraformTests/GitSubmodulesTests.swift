import AuditCore
import Testing
@testable import Terraform

@Suite struct GitSubmodulesTests {
    @Test func readsSectionsWithQuotesCommentsAndCRLF() throws {
        let text = """
        # third-party code\r
        [submodule "3rdparty/terraform-aws-github-runner"]\r
        \tpath = 3rdparty/terraform-aws-github-runner\r
        \turl = https://github.com/github-aws-runners/terraform-aws-github-runner.git\r
        ; a second one\r
        [submodule "tools"]\r
        \tpath = "tools/"\r
        \turl = git@github.com:example/tools.git\r
        [core]\r
        \tpath = not-a-submodule\r
        """
        let subs = GitSubmodules.parse(SourceFile(path: "infra/.gitmodules", text: text))
        #expect(subs.map(\.path) == ["infra/3rdparty/terraform-aws-github-runner", "infra/tools"])
        #expect(subs.map(\.isRunnerModule) == [true, false])
        let first = try #require(subs.first)
        #expect(first.name == "3rdparty/terraform-aws-github-runner")
        #expect(first.range.start.line == 2)
        #expect(first.range.end.line == 4)
        #expect(first.range.end.column == 77)
    }

    @Test(arguments: [
        ("https://github.com/philips-labs/terraform-aws-github-runner", true),
        ("git@github.com:github-aws-runners/terraform-aws-github-runner.git", true),
        ("https://github.com/example/terraform-aws-github-runner-fork.git", false),
        ("https://github.com/example/other.git", false),
    ])
    func recognisesTheRunnerRepository(_ url: String, _ expected: Bool) {
        let sub = GitSubmodule(name: "m", path: "m", url: url, range: .fileStart(".gitmodules"))
        #expect(sub.isRunnerModule == expected)
    }

    @Test func sectionWithoutPathOrURLIsSkipped() {
        let text = "[submodule \"a\"]\n\turl = https://github.com/philips-labs/terraform-aws-github-runner\n[submodule \"b\"]\n\tpath = b\n"
        #expect(GitSubmodules.parse(SourceFile(path: ".gitmodules", text: text)).isEmpty)
    }
}
