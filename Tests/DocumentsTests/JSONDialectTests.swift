import AuditCore
import Documents
import Testing

/// JSON with comments: the configuration files of VS Code, dev containers and TypeScript.
@Suite struct JSONDialectTests {
    @Test(arguments: [
        ("tsconfig.json", JSONDialect.withComments),
        ("lambdas/tsconfig.build.json", .withComments),
        ("web/jsconfig.json", .withComments),
        (".vscode/settings.json", .withComments),
        ("lambdas/.vscode/launch.json", .withComments),
        (".devcontainer/devcontainer.json", .withComments),
        ("devcontainer.json", .withComments),
        (".eslintrc.json", .withComments),
        ("policies/lambda-scale-up.json", .strict),
        ("package.json", .strict),
        ("tsconfig.yaml", .strict),
        ("vscode/settings.json", .strict),
    ])
    func dialectFollowsTheToolThatReadsTheFile(_ path: String, _ expected: JSONDialect) {
        #expect(JSONDialect.of(path: path) == expected)
    }

    @Test func commentsAndTrailingCommasAreJSONC() throws {
        let source = SourceFile(path: "tsconfig.json", text: """
        {
          // the compiler options
          "compilerOptions": {
            "strict": true, /* always */
            "lib": ["es2022",],
          },
        }
        """)
        let (root, diagnostics) = JSON.parse(source, dialect: .withComments)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.summary))")
        #expect(root?["compilerOptions"]?["lib"]?.elements?.map(\.stringValue) == ["es2022"])
        #expect(root?["compilerOptions"]?["strict"]?.boolValue == true)
        // Strict JSON still reports both habits.
        let (_, strict) = JSON.parse(source)
        #expect(strict.contains { $0.summary == "Comments are not allowed in JSON" })
        #expect(strict.contains { $0.summary == "Trailing comma" })
    }

    @Test func otherMistakesAreStillReportedInJSONC() throws {
        let source = SourceFile(path: ".vscode/settings.json", text: "{\n  // ok\n  \"a\": 1\n  \"b\": 2\n}\n")
        let (_, diagnostics) = JSON.parse(source, dialect: .withComments)
        let missing = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(missing.summary == "Missing comma")
        #expect(missing.range.start.line == 4 && missing.range.start.column == 3)
    }

    @Test func unterminatedCommentIsReportedInJSONC() throws {
        let source = SourceFile(path: "tsconfig.json", text: "{ \"a\": 1 } /* open")
        let (_, diagnostics) = JSON.parse(source, dialect: .withComments)
        let d = try #require(diagnostics.first)
        #expect(d.summary == "Unterminated comment")
        #expect(d.range.start.column == 12)
        #expect(d.detail?.contains("JSON has no comments") == false)
    }
}
