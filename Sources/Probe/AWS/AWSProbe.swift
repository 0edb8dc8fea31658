import AuditCore
import Foundation
import IAM
import Knowledge
import ProbeClient
import Rules

/// One fleet to probe: the names the module derived from its prefix, and (with a repository) the
/// release it pins and the module call that created it.
public struct AWSFleetTarget: Sendable, Hashable {
    /// `<prefix>` (root module) or `<prefix>-<key>` (multi-runner): lambdas, launch template, queues, tags.
    public var namePrefix: String
    /// `<ssm root>/<prefix>` or `<ssm root>/<prefix>/<key>`: holds `runners/config` and `runners/tokens`.
    public var ssmBase: String
    public var pinned: ModuleVersion?
    public var related: [RelatedNote]
    /// The Packer sources of the repository that name the AMIs they build (with a repository).
    public var amiBuilders: [AMIBuilder]
    /// The AMI name pattern the module call selects the fleet's image with (`ami_filter`, `ami.filter`).
    public var amiFilter: AMISelection?
    /// The full label list the repository gives the fleet's runners at its pinned release
    /// (lower case, sorted), compared with the scale-up lambda's `RUNNER_LABELS`; nil when unknown.
    public var labels: [String]?
    /// Where the repository writes the labels (`runner_extra_labels`), when it does.
    public var labelsAt: SourceRange?

    public init(namePrefix: String, ssmBase: String, pinned: ModuleVersion? = nil, related: [RelatedNote] = [],
                amiBuilders: [AMIBuilder] = [], amiFilter: AMISelection? = nil, labels: [String]? = nil, labelsAt: SourceRange? = nil) {
        self.namePrefix = namePrefix
        self.ssmBase = ssmBase
        self.pinned = pinned
        self.related = related
        self.amiBuilders = amiBuilders
        self.amiFilter = amiFilter
        self.labels = labels
        self.labelsAt = labelsAt
    }

    public var configPath: String { "\(ssmBase)/runners/config" }
    public var tokensPath: String { "\(ssmBase)/runners/tokens" }
}

/// A Packer `source` block of the repository and the AMI names it builds (`ami_name`, its
/// interpolations as `*`).
public struct AMIBuilder: Sendable, Hashable {
    /// The template file (or folder of a template split over several files).
    public var template: String
    /// `amazon-ebs.runner`.
    public var source: String
    public var namePattern: String
    /// Where `ami_name` is written.
    public var at: SourceRange
    /// The static audit found this template on the fleet's boot path (it bakes the fleet's start script).
    public var bakesFleet: Bool

    public init(template: String, source: String, namePattern: String, at: SourceRange, bakesFleet: Bool) {
        self.template = template
        self.source = source
        self.namePattern = namePattern
        self.at = at
        self.bakesFleet = bakesFleet
    }
}

/// The AMI name filter of a module call, and where it is written.
public struct AMISelection: Sendable, Hashable {
    public var pattern: String
    public var at: SourceRange?

    public init(pattern: String, at: SourceRange?) {
        self.pattern = pattern
        self.at = at
    }
}

public struct AWSProbeSettings: Sendable {
    /// Prefixes given on the command line; each may hold a root fleet and multi-runner fleets.
    public var prefixes: [String]
    /// Fleets the repository's model knows (with pins and notes); merged with what is discovered.
    public var fleets: [AWSFleetTarget]
    public var ssmRoot: String
    /// The window for the after-upgrade checks (seconds back from now); nil skips them.
    public var since: Double?
    /// The release the IAM and start-script checks judge against.
    public var target: ModuleVersion
    /// Token parameters older than this belong to runners that never started.
    public var tokenAge: Double
    public var maxConcurrent: Int
    /// The GitHub half runs too: with `since`, launches are compared with the runners registered
    /// on GitHub (`Registrations`) instead of with the token parameters left behind.
    public var registrationsFromGitHub: Bool

    public init(prefixes: [String] = [], fleets: [AWSFleetTarget] = [], ssmRoot: String = "/github-action-runners", since: Double? = nil,
                target: ModuleVersion, tokenAge: Double = 86_400, maxConcurrent: Int = 4, registrationsFromGitHub: Bool = false) {
        self.registrationsFromGitHub = registrationsFromGitHub
        self.prefixes = prefixes
        self.fleets = fleets
        self.ssmRoot = ssmRoot.hasSuffix("/") ? String(ssmRoot.dropLast()) : ssmRoot
        self.since = since
        self.target = target
        self.tokenAge = tokenAge
        self.maxConcurrent = maxConcurrent
    }
}

/// What the AWS half of the probe found.
public struct AWSProbeResult: Sendable {
    public var findings: [Finding]
    public var fleets: [AWSFleetFacts]
    public var account: String?
    public var callerArn: String?
    /// The link of the credential chain that answered.
    public var credentialSource: String?
    public var region: String
    /// Texts findings point into (decoded user data, policy documents), for the reporters' snippets.
    public var sources: [String: SourceFile]
}

/// A problem that stops the whole AWS probe (exit code 2): no credentials, wrong keys, endpoint unreachable.
public struct AWSProbeError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The AWS half of `ghr-audit probe`: reads the fleet (Describe/Get/List only) and turns the facts
/// into findings.
public enum AWSProbe {
    public static let domain = "aws"

    public static func run(client: AWSClient, settings options: AWSProbeSettings, knowledge: KnowledgeBase?,
                           progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> AWSProbeResult {
        let now = client.clock.now
        progress("AWS: who am I (sts:GetCallerIdentity)")
        let identity: (account: String, arn: String)
        do { identity = try await client.callerIdentity() } catch {
            throw fatal(error, doing: "sts:GetCallerIdentity")
        }
        var source: String?
        if let chain = client.credentials as? CredentialChain { source = await chain.answeredBy }

        let reader = Reader(client: client)
        let fleets = try await discover(options, reader: reader, progress: progress)
        let context = FleetChecks.Context(region: client.region, account: identity.account, now: now, options: options,
                                          requirements: knowledge?.iamRequirements)
        let results = try await fleets.concurrentMap(maxConcurrent: options.maxConcurrent) { fleet -> (AWSFleetFacts, [Finding], [String: SourceFile]) in
            progress("AWS: fleet \(fleet.namePrefix)")
            let fleetReader = Reader(client: client)
            let facts = try await FleetReader(reader: fleetReader, fleet: fleet, options: options, now: now).read()
            var checks = FleetChecks(facts: facts, fleet: fleet, context: context)
            let findings = checks.all() + fleetReader.findings
            var facts_ = checks.facts
            facts_.findingFingerprints = findings.map(\.fingerprint)
            return (facts_, findings, checks.sources)
        }
        var findings = reader.findings + results.flatMap(\.1)
        if fleets.isEmpty {
            let where_ = options.prefixes.map { "`\(options.ssmRoot)/\($0)`" }.joined(separator: ", ")
            findings.append(LiveResource.finding(
                FleetChecks.noFleetId, .warning, domain: domain,
                message: "no runner fleet found under \(where_) in \(client.region)",
                detail: "No SSM runner configuration (`…/runners/config`) exists under the prefix. Check `--prefix`, `--ssm-root` and `--region`.",
                at: LiveResource.location("aws/\(client.region)/ssm\(options.ssmRoot)")))
        }
        var sources: [String: SourceFile] = [:]
        for r in results { sources.merge(r.2) { a, _ in a } }
        var seen = Set<String>()
        findings = findings.filter { seen.insert($0.fingerprint + $0.location.description).inserted }.sorted(by: Finding.ordered)
        return AWSProbeResult(findings: findings, fleets: results.map(\.0), account: identity.account, callerArn: identity.arn,
                              credentialSource: source, region: client.region, sources: sources)
    }

    /// Fleets: those the repository names, plus every `…/runners/config` under each prefix (root
    /// fleet `<root>/<prefix>/runners/config`, multi-runner `<root>/<prefix>/<key>/runners/config`).
    static func discover(_ options: AWSProbeSettings, reader: Reader, progress: @Sendable (String) -> Void) async throws -> [AWSFleetTarget] {
        var fleets = options.fleets
        var known = Set(fleets.map(\.ssmBase))
        let prefixes = Array(Set(options.prefixes + fleets.map { p in
            String(p.ssmBase.dropFirst(options.ssmRoot.count + 1).split(separator: "/").first ?? "")
        }).filter { !$0.isEmpty }).sorted()
        for prefix in prefixes {
            progress("AWS: SSM parameters under \(options.ssmRoot)/\(prefix)")
            let base = "\(options.ssmRoot)/\(prefix)"
            guard let params = try await reader.read("ssm:DescribeParameters", on: "aws/\(reader.client.region)/ssm\(base)", {
                try await reader.client.ssmDescribeParameters(under: base)
            }) else { continue }
            var bases = Set<String>()
            for p in params {
                guard let r = p.name.range(of: "/runners/config/") else { continue }
                bases.insert(String(p.name[..<r.lowerBound]))
            }
            for b in bases.sorted() where !known.contains(b) {
                let rest = b.dropFirst(base.count).split(separator: "/")
                let name = rest.isEmpty ? prefix : "\(prefix)-\(rest.joined(separator: "-"))"
                fleets.append(AWSFleetTarget(namePrefix: name, ssmBase: b))
                known.insert(b)
            }
        }
        return fleets.sorted { $0.namePrefix < $1.namePrefix }
    }

    static func fatal(_ error: any Error, doing action: String) -> AWSProbeError {
        switch error {
        case let e as AWSServiceError where e.isCredentialProblem:
            return AWSProbeError("AWS rejected the credentials (\(e.code) on \(e.action)); check the access key, secret and session token")
        case let e as AWSServiceError: return AWSProbeError("\(e)")
        case let e as TransportError: return AWSProbeError("the AWS endpoint is unreachable: \(e)")
        case let e as CredentialError: return AWSProbeError(e.description)
        default: return AWSProbeError("\(action): \(error)")
        }
    }
}

/// Runs reads; an access denial or a failed read becomes a finding that names the action and the
/// resource, and the probe goes on. Credential problems and an unreachable endpoint stop it.
final class Reader: @unchecked Sendable {
    let client: AWSClient
    private let lock = NSLock()
    private var collected: [Finding] = []

    init(client: AWSClient) { self.client = client }

    var findings: [Finding] { lock.withLock { collected } }

    func read<T>(_ action: String, on resource: String, _ body: () async throws -> T) async throws -> T? {
        do {
            return try await body()
        } catch let e as AWSServiceError where e.isCredentialProblem {
            throw AWSProbe.fatal(e, doing: action)
        } catch let e as TransportError {
            if case .timedOut = e {
                add(LiveResource.finding(FleetChecks.unreadableId, .warning, domain: AWSProbe.domain,
                                         message: "could not read with `\(action)`: \(e)",
                                         detail: "The call timed out after retries; this part of the fleet was not checked.",
                                         at: LiveResource.location(resource)))
                return nil
            }
            throw AWSProbe.fatal(e, doing: action)
        } catch let e as AWSServiceError {
            let denied = e.isAccessDenied
            let message = denied
                ? "the auditor may not call `\(e.action)` on `\(resource)`"
                : "could not read with `\(e.action)`: \(e.code) (HTTP \(e.status))"
            let detail = denied
                ? "AWS denied `\(e.action)` (\(e.code)); this part of the fleet was not checked. Grant the auditor's role `\(e.action)` (the README has the whole least-privilege policy) and run the probe again."
                : "The call failed after retries (\(e.code)); this part of the fleet was not checked."
            add(LiveResource.finding(FleetChecks.unreadableId, .warning, domain: AWSProbe.domain, message: message, detail: detail,
                                     at: LiveResource.location(resource)))
            return nil
        }
    }

    private func add(_ f: Finding) { lock.withLock { collected.append(f) } }
}
