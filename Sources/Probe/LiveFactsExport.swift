import AuditCore
import Foundation
import ProbeClient
import Scripts

/// The probe's facts as the report carries them (`Report.live`, the JSON report's `live`): what
/// `check --probe-results` shows beside the repository. Only what is safe to print leaves here:
/// SSM `String` configuration values, lambda variables of the non-secret list, the user data's
/// start-script verdict (never its text), token parameters as a count.
extension LiveFacts {
    public init(aws: AWSProbeResult?, github: GitHubProbeFacts?, window: Double?, findings: [Finding] = []) {
        self.init(aws: aws.map { LiveFacts.AWS($0, window: window) }, github: github.map(LiveFacts.GitHub.init), findings: findings)
    }
}

extension LiveFacts.AWS {
    init(_ result: AWSProbeResult, window: Double?) {
        self.init(account: result.account, callerArn: result.callerArn, credentialSource: result.credentialSource, region: result.region,
                  window: window.map(LiveResource.age), fleets: result.fleets.map(LiveFacts.Fleet.init))
    }
}

extension LiveFacts.Fleet {
    init(_ f: AWSFleetFacts) {
        let contract = f.launchTemplate?.userData.flatMap { text -> String? in
            guard !text.isEmpty else { return nil }
            let source = SourceFile(path: "user-data", text: text)
            let language: ScriptLanguage = text.contains("<powershell>") ? .powershell : .bash
            return ScriptAnalysis.analyze(source, language: language, template: false).contract.rawValue
        }
        self.init(
            namePrefix: f.fleet.namePrefix, ssmBase: f.fleet.ssmBase, pinned: f.fleet.pinned?.description,
            deployed: LiveFacts.Release(atLeast: f.deployed.atLeast?.description, below: f.deployed.below?.description,
                                        summary: f.deployed.summary, evidence: f.deployed.evidence),
            ssmConfigRead: f.configRead, ssmConfig: f.config, ssmConfigNames: f.configNames.sorted(), tokenParameters: f.tokens.count,
            lambdasRead: f.lambdasRead,
            lambdas: f.lambdas.map { l in
                LiveFacts.Lambda(name: l.name, runtime: l.runtime,
                                 environment: l.environment.filter { LambdaFunction.visibleEnvironment.contains($0.key) && !$0.value.isEmpty })
            },
            launchTemplate: f.launchTemplate.map { LiveFacts.LaunchTemplate(name: $0.name, version: $0.version, imageId: $0.imageId, startScript: contract) },
            image: f.image.map { i in
                LiveFacts.Image(id: i.id, name: i.name, missing: false, owner: i.ownerId,
                                builtBy: f.fleet.amiBuilders.isEmpty ? nil : f.fleet.amiBuilders.filter { b in
                                    i.name.map { LiveFacts.wildcardMatches(b.namePattern, $0) } ?? false
                                }.map { "\($0.at.path):\($0.at.start.line)" })
            }
                ?? (f.imageMissing ? f.launchTemplate?.imageId.map { LiveFacts.Image(id: $0, name: nil, missing: true) } : nil),
            instances: f.instances.map { i in
                LiveFacts.Instance(id: i.id, state: i.state, imageId: i.imageId, legacyTags: i.tags["Type"] != nil && i.tags["ghr:Type"] == nil)
            },
            queues: f.queues.mapValues { Int($0["ApproximateNumberOfMessages"] ?? "") ?? 0 },
            metrics: f.metrics.mapValues { Int($0) },
            logSignatures: f.logHits.map { LiveFacts.LogHit(signature: $0.signature, group: $0.group, count: $0.count) },
            findings: f.findingFingerprints)
    }
}

extension LiveFacts.GitHub {
    init(_ f: GitHubProbeFacts) {
        self.init(apiRoot: f.apiRoot, server: f.server, ghesVersion: f.ghesVersion, appSlug: f.appSlug, installationID: f.installationID,
                  runnerCount: f.runnerCount, offlineRunnerCount: f.offlineRunnerCount, jitRoundTrip: f.jitRoundTrip,
                  jitRoundTripPassed: f.jitRoundTripPassed)
    }
}
