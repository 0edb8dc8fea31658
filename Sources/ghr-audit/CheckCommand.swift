import ArgumentParser
import AuditCore
import Engine
import Foundation
import Rehearsal

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Audit one or more repositories (default: the current directory).",
        discussion: """
        EXIT STATUS:
          0  nothing at or above the threshold
          1  findings at or above `--fail-on` (default: error)
          2  a usage or environment error

        EXAMPLES:
          ghr-audit check infra/ --target 7.11.0
          ghr-audit check . --format sarif -o audit.sarif --baseline base.json
        """)

    @Argument(help: "Repositories or folders to audit.")
    var paths: [String] = ["."]

    @OptionGroup var flags: AuditFlags

    @OptionGroup var reporting: ReportFlags

    @Option(name: .customLong("write-baseline"), help: "Record the current findings (by fingerprint) in FILE.")
    var writeBaseline: String?

    @Option(name: .customLong("probe-results"), help: "The JSON report of `ghr-audit probe` (`--format json`): the `html` page shows the live fleet beside the repository.")
    var probeResults: String?

    @Flag(name: .customLong("update-baseline"), help: "Rewrite the baseline in use (`--baseline`, else the config's) with the current fingerprints of the findings it still accepts, dropping the entries nothing matches; migrates baselines written by older versions.")
    var updateBaseline = false

    @Flag(help: "Also run each Linux fleet's start script in a bubblewrap sandbox (see `rehearse`) and report what breaks (one path only).")
    var rehearse = false

    func validate() throws {
        do {
            try CheckRequest.validate(probeResults: probeResults != nil, html: reporting.format.contains(.html), rehearse: rehearse, pathCount: paths.count)
        } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let plan = try reporting.outputPlan()
        let knowledge = try loadKnowledge()
        let filter = try reporting.filter(knowledge)
        let live = try probeResults.map { path throws in try ProbeResults.read(path, host: LocalHostFiles()) }
        // The rehearsal runs as one more rule, so that suppressions and baselines apply to it.
        let rehearsal = rehearse ? rehearsalRule(shell: .auto, timeout: 20, quiet: flags.quiet) : nil
        var run = try flags.audit(paths: paths, knowledge: knowledge, extraRules: rehearsal.map { [$0] } ?? [])
        let request = CheckRequest(paths: paths, baseline: reporting.baseline, writeBaseline: writeBaseline, updateBaseline: updateBaseline,
                                   failOn: reporting.failOn, live: live)
        let outcome = try run.check(request, host: LocalHostFiles(), write: { try writeUserFile($0, to: $1, what: "baseline ") },
                                    note: { flags.note($0 + "\n") })
        // The reports need the findings and the masked sources only: the rest is freed on
        // another core while they render.
        run.result.releaseAnalysisInBackground()
        try reporting.finish(outcome, plan: plan, filter: filter, sources: run.result.sources, quiet: flags.quiet)
    }
}
