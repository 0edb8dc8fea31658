import AuditCore
import Foundation
import ProbeClient

/// After the upgrade (`--since`), with both halves: the instances each fleet launched in the window
/// against the runners registered on GitHub. The module names a runner after its instance
/// (`<runner_name_prefix><instance id>`) and, from 6.7.0, tags the instance with the runner's id
/// (`ghr:github_runner_id`). Instances still starting (launched less than `startup` ago) are not
/// counted, nor terminated ones (ephemeral runners deregister with their instance).
public enum Registrations {
    public static func findings(fleets: [AWSFleetFacts], runners: [GitHubRunner], owner: GitHubOwner, region: String,
                                since: Double, now: Date, startup: Double = 600) -> [Finding] {
        let from = now.addingTimeInterval(-since)
        let ids = Set(runners.map { String($0.id) })
        var out: [Finding] = []
        for f in fleets {
            let launched = f.instances.filter { i in
                guard let t = i.launchTime else { return false }
                return t >= from && now.timeIntervalSince(t) >= startup
            }
            let registered = launched.filter { i in
                runners.contains { $0.name.contains(i.id) } || i.tags["ghr:github_runner_id"].map(ids.contains) == true
            }
            let missing = launched.filter { i in !registered.contains(i) }
            // Clearly more launches than registrations: at least two without a runner, and at
            // least half of the launches.
            guard missing.count >= 2, missing.count * 2 >= launched.count else { continue }
            let window = "\(LiveResource.age(since))"
            let iso = ISO8601DateFormatter()
            out.append(LiveResource.finding(
                FleetChecks.leftoverTokensId, registered.isEmpty ? .error : .warning, domain: AWSProbe.domain,
                message: "fleet `\(f.fleet.namePrefix)` launched \(launched.count) instance(s) in the last \(window) but only \(registered.count) registered a runner with \(owner)",
                detail: "Instances launched between \(iso.string(from: from)) and \(iso.string(from: now.addingTimeInterval(-startup))) (those younger than \(LiveResource.age(startup)) are still starting) that are still up, against the \(runners.count) runner(s) GitHub lists for \(owner): " +
                    missing.prefix(10).map { "`\($0.id)`" }.joined(separator: ", ") + (missing.count > 10 ? ", …" : "") +
                    " have no runner named after them. They booted but never registered: the start script failed before `config.sh`/`run.sh` (a token/JIT mismatch, a denied SSM read), or they registered with another owner. The runner log groups of the fleet say why.",
                at: LiveResource.location("aws/\(region)/ec2/instances/ghr:environment=\(f.fleet.namePrefix)"), related: f.fleet.related))
        }
        return out
    }
}
