import ArgumentParser
import AuditCore
import Engine
import Foundation
import Probe

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The AWS half's options of `ghr-audit probe`.
struct AWSProbeOptions: ParsableArguments {
    @Option(name: .customLong("prefix"), help: "The module's `prefix` of a fleet to probe (repeatable). Required without PATH; with PATH, added to the prefixes of the deployment model.")
    var prefixes: [String] = []

    @Option(help: "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`).")
    var region: String?

    @Option(help: "AWS profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, else the standard credential chain).")
    var profile: String?

    @Option(name: .customLong("ssm-root"), help: "The module's SSM root path (`ssm_paths.root`).")
    var ssmRoot: String = "/github-action-runners"

    @Option(name: .customLong("aws-timeout"), help: "Seconds before an AWS call times out (each call is retried on throttling, 5xx and timeouts).")
    var awsTimeout: Double = 20

    @Option(name: .customLong("token-age"), help: "Token parameters older than this are runners that never started (for example 24h, 2d).")
    var tokenAge: String = "24h"

    var arguments: AWSProbeArguments {
        AWSProbeArguments(prefixes: prefixes, region: region, profile: profile, ssmRoot: ssmRoot, awsTimeout: awsTimeout, tokenAge: tokenAge)
    }

    func validate() throws {
        do { try arguments.validate() } catch { throw ValidationError(error.description) }
    }
}

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Verify the deployed fleet read-only: the AWS account (Describe/Get/List calls) and GitHub or GHES (the App, the server version, the runners).",
        discussion: """
        Without PATH, `--prefix` names the fleets; with PATH, the prefixes, multi-runner keys and pinned \
        releases come from the repository and live resources are related to the module call that created them. \
        AWS credentials are found as the AWS CLI finds them (environment, web identity, profiles with \
        role_arn/source_profile or credential_process, container, instance metadata); AWS_ENDPOINT_URL and \
        AWS_ENDPOINT_URL_<SERVICE> point the probe at another endpoint. Findings use the same formats, \
        baseline and exit codes as `check`. The GitHub half authenticates as the GitHub App (`--github-app-id`, \
        `--github-app-key-file`): it reads only, apart from one installation-token request (read-only \
        permissions) and, with --jit-roundtrip, one JIT runner that is deleted at once. Keys, JWTs, tokens \
        and JIT configs are never printed.

        EXIT STATUS:
          0  nothing at or above the threshold
          1  findings at or above `--fail-on` (default: error)
          2  the probe could not run (unreachable API, refused credentials, bad options)

        EXAMPLES:
          ghr-audit probe infra/ --region eu-west-1
          ghr-audit probe --prefix my-runners --since 24h --format sarif -o probe.sarif
        """)

    @Argument(help: "The infrastructure repository (optional).")
    var path: String?

    @OptionGroup(title: "AWS") var aws: AWSProbeOptions

    @OptionGroup(title: "GitHub") var github: GitHubProbeOptions

    @OptionGroup var flags: AuditFlags

    @Option(help: "Also check what to watch after an upgrade over this window: lambda errors and throttles, failure signatures in the logs (for example 24h, 3d).")
    var since: String?

    @Flag(name: .customLong("skip-aws"), help: "Do not probe AWS.")
    var skipAWS = false

    @Flag(name: .customLong("skip-github"), help: "Do not probe GitHub.")
    var skipGitHub = false

    @OptionGroup var reporting: ReportFlags

    var arguments: ProbeArguments {
        ProbeArguments(path: path, aws: aws.arguments, github: github.arguments, audit: flags.arguments, since: since, skipAWS: skipAWS, skipGitHub: skipGitHub)
    }

    func validate() throws {
        do { try arguments.validate() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let plan = try reporting.outputPlan()
        let knowledge = try loadKnowledge()
        let filter = try reporting.filter(knowledge)
        let audit = try path.map { try flags.audit(paths: [$0], knowledge: knowledge).result }
        // The probe's own progress (what it asks AWS, what it found) on a terminal, unless `--quiet`.
        let interactive = isatty(STDERR_FILENO) == 1 && !flags.quiet
        let quiet = flags.quiet
        let messages = ProbeMessages(progress: { if interactive { writeStderr($0 + "\n") } },
                                     note: { if !quiet { writeStderr($0 + "\n") } },
                                     always: { writeStderr($0 + "\n") })
        let probe = ProbeRun(arguments: arguments, knowledge: knowledge, environment: ProcessInfo.processInfo.environment, host: LocalHostFiles(),
                             audit: audit, baseline: try reporting.baseline.map { try Invocation.baselineInUse($0, host: LocalHostFiles()) },
                             failOn: reporting.failOn, messages: messages)
        let (result, interrupted) = ProbeRun.runInterruptibly(probe)
        if interrupted {
            let (lines, status) = ProbeRun.interruption(result)
            for line in lines { writeStderr(line + "\n") }
            throw ExitCode(status)
        }
        let outcome = try result.get()
        try reporting.finish(outcome.gate, plan: plan, filter: filter, sources: outcome.sources, quiet: flags.quiet)
    }
}
