import Foundation
import Testing

/// What every command's `--help` promises and the one error prefix, run on the built binary.
@Suite("ghr-audit command line: help, error prefix, shared report options")
struct CommandLineTests {
    static let commands = ["check", "checklist", "fix", "probe", "rules", "explain", "version"]

    @Test(arguments: commands)
    func helpListsExitStatusesAndTwoExamples(command: String) throws {
        let run = try runCLI([command, "--help"])
        #expect(run.status == 0, "\(run.stderr)")
        let help = run.stdout
        #expect(help.contains("EXIT STATUS:") && help.contains("  0  "), "\(command): \(help)")
        let examples = try #require(help.components(separatedBy: "EXAMPLES:").last)
        let lines = examples.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("ghr-audit ") }
        #expect(lines.count >= 2, "\(command) shows two examples: \(examples)")
    }

    /// `check` and `probe` take the same report options (one option group).
    @Test(arguments: ["check", "probe"])
    func reportOptionsAreShared(command: String) throws {
        let help = try runCLI([command, "--help"]).stdout
        for flag in ["--format", "--output", "--fail-on", "--baseline", "--show-suppressed", "--min-severity", "--rule", "--skip-rule", "--color", "--no-color"] {
            #expect(help.contains(flag), "\(command) --help lacks \(flag)")
        }
        #expect(help.contains("compact"))
    }

    @Test func usageAndEnvironmentErrorsShareOnePrefix() throws {
        let usage = try runCLI(["check", "--format", "nonesuch"])
        #expect(usage.status == 2)
        #expect(usage.stderr.hasPrefix("ghr-audit: error: "), "\(usage.stderr)")
        let unknownRule = try runCLI(["check", packageRoot.appendingPathComponent("fixtures/ghes-ephemeral/repo").path, "--rule", "NOPE-999"])
        #expect(unknownRule.status == 2)
        #expect(unknownRule.stderr.hasPrefix("ghr-audit: error: ") && unknownRule.stderr.contains("NOPE-999"), "\(unknownRule.stderr)")
        let probeFilter = try runCLI(["probe", "--prefix", "p", "--min-severity", "loud"])
        #expect(probeFilter.status == 2)
        #expect(probeFilter.stderr.hasPrefix("ghr-audit: error: "), "\(probeFilter.stderr)")
    }

    /// `check` named first is parsed as a command of its own when its arguments are valid; help,
    /// mistakes and the root's own options still go through the root, so what they print is the
    /// root's (`ghr-audit check` in the usage line), and a valid run answers as before.
    @Test func checkNamedFirstAnswersAsThroughTheRoot() throws {
        let mistake = try runCLI(["check", "--no-such-option"])
        #expect(mistake.status == 2)
        #expect(mistake.stderr.hasPrefix("ghr-audit: error: ") && mistake.stderr.contains("ghr-audit check"), "\(mistake.stderr)")
        let help = try runCLI(["check", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: ghr-audit check"), "\(help.stdout)")
        let version = try runCLI(["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
        let fixture = packageRoot.appendingPathComponent("fixtures/jit-token-only-ami/repo").path
        let named = try runCLI(["check", fixture, "--target", "4.1.0", "--format", "json"])
        let implied = try runCLI([fixture, "--target", "4.1.0", "--format", "json"])
        #expect(named.status == 1 && implied.status == 1, "\(named.stderr)\(implied.stderr)")
        #expect(named.stdout == implied.stdout && named.stdout.contains("\"ruleId\""), "the default subcommand and `check` report alike")
    }
}
