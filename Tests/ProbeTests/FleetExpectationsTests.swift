import AuditCore
import Foundation
import Knowledge
import ProbeClient
import Testing
@testable import Probe

/// The fleet the GitHub half checks against: options, then the repository, then the deployed
/// fleet (the AWS half); unknown when none tells.
@Suite struct FleetExpectationsTests {
    static let knowledge = try! KnowledgeBase.load()

    static func live() -> FleetGitHubSettings {
        var live = FleetGitHubSettings()
        live.jit = true
        live.ephemeral = true
        live.labels = ["linux", "self-hosted", "x64"]
        live.runnerGroup = "fleet-group"
        live.namePrefix = "modern-"
        live.webhookURL = "https://fleet.execute-api.eu-west-1.amazonaws.com/webhook"
        return live
    }

    @Test func theDeployedFleetFillsInWhatTheRepositoryDoesNotSay() throws {
        let e = GitHubFleetExpectations(options: .init(), repository: .init(), live: Self.live(), knowledge: Self.knowledge)
        #expect(e.jit == true)
        #expect(e.runners.ephemeral == true)
        #expect(e.runners.labels == ["linux", "self-hosted", "x64"])
        #expect(e.runners.namePrefix == "modern-")
        #expect(e.runnerGroup == "fleet-group")
        #expect(e.webhookURL == "https://fleet.execute-api.eu-west-1.amazonaws.com/webhook")
        // JIT from the fleet: the table's minimum runner version for `--jitconfig`.
        #expect(e.runners.minimumVersion == ModuleVersion(2, 294, 0) && e.runners.minimumRequirement?.name == "jitconfig")

        // Offline runners without an `ephemeral` field are leftovers because the fleet is ephemeral.
        let page = try JSONDecoder().decode(GitHubRunnerPage.self, from: Data("""
            {"total_count": 2, "runners": [
              {"id": 1, "name": "modern-i-0aaa", "status": "offline", "busy": false, "labels": [{"name": "self-hosted"}, {"name": "linux"}, {"name": "x64"}], "version": "2.330.0"},
              {"id": 2, "name": "other-i-0bbb", "status": "offline", "busy": false, "labels": [{"name": "self-hosted"}], "version": "2.330.0"}]}
            """.utf8))
        let leftovers = GitHubChecks.runners(page.runners, fleet: e.runners, owner: .organization("acme")).filter { $0.message.contains("offline ephemeral") }
        #expect(leftovers.map(\.message) == ["1 offline ephemeral runner left registered: `modern-i-0aaa`"])
        // Not ephemeral (nothing says so): no leftover finding.
        let unknown = GitHubFleetExpectations(options: .init(), repository: .init(), live: nil, knowledge: Self.knowledge)
        var runners = unknown.runners
        runners.namePrefix = "modern-"
        #expect(!GitHubChecks.runners(page.runners, fleet: runners, owner: .organization("acme")).contains { $0.message.contains("offline ephemeral") })
    }

    @Test func theRepositoryWinsOverTheFleetAndOptionsWinOverBoth() {
        var repository = RepositoryGitHubSettings()
        repository.jit = false
        repository.ephemeral = false
        repository.labels = ["self-hosted", "gpu"]
        repository.runnerGroup = "repo-group"
        repository.namePrefix = "repo-"
        let fromRepository = GitHubFleetExpectations(options: .init(), repository: repository, live: Self.live(), knowledge: Self.knowledge)
        #expect(fromRepository.jit == false && fromRepository.runners.ephemeral == false)
        #expect(fromRepository.runners.labels == ["self-hosted", "gpu"] && fromRepository.runnerGroup == "repo-group" && fromRepository.runners.namePrefix == "repo-")
        #expect(fromRepository.runners.minimumVersion == nil, "no JIT: no default minimum")
        // The repository does not know the deployed gateway: the fleet's is kept.
        #expect(fromRepository.webhookURL == "https://fleet.execute-api.eu-west-1.amazonaws.com/webhook")

        let options = GitHubFleetOptions(jit: true, labels: ["self-hosted", "arm64"], runnerGroup: "given", namePrefix: "given-",
                                         webhookURL: "https://given.example/webhook", minimumVersion: ModuleVersion(2, 311, 0))
        let given = GitHubFleetExpectations(options: options, repository: repository, live: Self.live(), knowledge: Self.knowledge)
        #expect(given.jit == true && given.runners.labels == ["self-hosted", "arm64"] && given.runnerGroup == "given" && given.runners.namePrefix == "given-")
        #expect(given.webhookURL == "https://given.example/webhook")
        #expect(given.runners.minimumVersion == ModuleVersion(2, 311, 0) && given.runners.minimumRequirement == nil)
        // Ephemeral has no option: the repository's answer stands.
        #expect(given.runners.ephemeral == false)

        let nothing = GitHubFleetExpectations(options: .init(), repository: .init(), live: nil, knowledge: Self.knowledge)
        #expect(nothing.jit == nil && nothing.runners.ephemeral == nil && nothing.runners.labels.isEmpty && nothing.webhookURL == nil && nothing.runnerGroup == nil)
    }

    /// The probe's GHES finding answers the static audit's question about the version (JIT-106),
    /// on either side of 3.10: below, the failing finding relates to it; from 3.10 on, a note says
    /// the server has what JIT needs and relates to it.
    @Test func theGHESFindingRelatesToTheStaticWarningItAnswers() throws {
        let at = SourceRange(path: "main.tf", start: SourcePosition(line: 2, column: 14, offset: 20), end: SourcePosition(line: 2, column: 47, offset: 53))
        let asked = Finding(ruleId: "JIT-106", severity: .warning, tags: ["jit", "ghes"], message: "fleet `module.runners` on GHES registers with JIT configs", location: at)
        let other = Finding(ruleId: "VER-201", severity: .error, tags: ["version"], message: "something else", location: at)
        let questions = GitHubChecks.ghesQuestions(in: [asked, other, GitHubChecks.ghesVersion("3.9.4", jit: true, source: "/meta")[0]])
        #expect(questions == [asked], "only the static GHES findings are questions (not the probe's own, not other rules)")
        let note = "`check` asked about the GHES version here (JIT-106: fleet `module.runners` on GHES registers with JIT configs)"

        let failing = GitHubChecks.ghesVersion("3.9.4", jit: true, source: "/meta", asked: questions)
        let ghes = try #require(failing.first)
        #expect(failing.count == 1 && ghes.ruleId == GitHubProbeRule.ghesJIT && ghes.severity == .error)
        #expect(ghes.related.map(\.message) == [note])
        #expect(ghes.related.first?.location == at)
        #expect(ghes.fingerprint == GitHubChecks.ghesVersion("3.9.4", jit: true, source: "/meta").first?.fingerprint, "a related note does not change the identity")

        for version in ["3.10.0", "3.14.2"] {
            for jit in [true, nil] as [Bool?] {
                let answered = GitHubChecks.ghesVersion(version, jit: jit, source: "/meta", asked: questions)
                #expect(answered.count == 1, "\(version) \(String(describing: jit))")
                let f = try #require(answered.first)
                #expect(f.ruleId == GitHubProbeRule.ghesJIT && f.severity == .note && f.tags.contains("ghes"))
                #expect(f.message == "GHES \(version) has the JIT configuration API (3.10 or later): the GHES version `check` asks about satisfies what JIT needs")
                #expect(f.related.map(\.message) == [note] && f.related.first?.location == at)
                #expect(f.location.path == "github:/meta")
            }
            // Nothing asked: nothing to say on a GHES with the API.
            #expect(GitHubChecks.ghesVersion(version, jit: true, source: "/meta").isEmpty)
        }
        // github.com (no GHES version) answers nothing.
        #expect(GitHubChecks.ghesVersion(nil, jit: true, source: "/meta", asked: questions).isEmpty)
    }

    @Test func fleetsOfTheRepositoryCombineToOneAnswer() {
        #expect(RepositoryGitHubSettings.combine([true, nil, false]) == true)
        #expect(RepositoryGitHubSettings.combine([false, false]) == false)
        #expect(RepositoryGitHubSettings.combine([false, nil]) == nil)
        #expect(RepositoryGitHubSettings.combine([]) == nil)
    }
}
