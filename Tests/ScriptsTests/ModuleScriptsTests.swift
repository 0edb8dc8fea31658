import AuditCore
import Testing
@testable import Scripts

/// The module's own start scripts, read at test time from the repository mirror (never copied into
/// this repository). Skipped when the mirror is absent.
@Suite struct ModuleScriptsTests {
    struct Release: Sendable, CustomTestStringConvertible {
        var tag: String
        var path: String
        var contract: StartContract
        var testDescription: String { "\(tag):\(path)" }
    }

    static let linux = "modules/runners/templates/start-runner.sh"
    static let windows = "modules/runners/templates/start-runner.ps1"

    static let releases: [Release] = [
        Release(tag: "v3.6.1", path: linux, contract: .tokenOnly),
        Release(tag: "v4.0.0", path: linux, contract: .jitOnly),
        Release(tag: "v4.0.1", path: linux, contract: .jitAware),
        Release(tag: "v4.7.0", path: linux, contract: .jitAware),
        Release(tag: "v5.16.2", path: linux, contract: .jitAware),
        Release(tag: "v6.10.1", path: linux, contract: .jitAware),
        Release(tag: "v7.11.0", path: linux, contract: .jitAware),
        Release(tag: "v7.11.0", path: "modules/runners/templates/start-runner-osx.sh", contract: .jitAware),
        Release(tag: "v3.6.1", path: windows, contract: .tokenOnly),
        Release(tag: "v4.0.1", path: windows, contract: .tokenOnly),
        Release(tag: "v5.16.2", path: windows, contract: .tokenOnly),
        Release(tag: "v5.16.3", path: windows, contract: .jitAware),
        Release(tag: "v7.11.0", path: windows, contract: .jitAware),
        Release(tag: "v3.6.1", path: "images/start-runner.sh", contract: .wrapper),
        Release(tag: "v7.11.0", path: "images/start-runner.sh", contract: .wrapper),
        Release(tag: "v7.11.0", path: "images/start-runner.ps1", contract: .wrapper),
    ]

    @Test(arguments: releases)
    func releaseContract(_ release: Release) {
        guard let text = ModuleMirror.show(release.tag, release.path) else {
            print("skipped: module mirror not available at \(ModuleMirror.path)")
            return
        }
        let language: ScriptLanguage = release.path.hasSuffix(".ps1") ? .powershell : .bash
        let report = ScriptAnalysis.analyze(SourceFile(path: release.path, text: text), language: language, template: true)
        #expect(report.contract == release.contract, "\(report.rationale)")
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics.map { "\($0.range) \($0.summary)" })")
        if release.contract != .wrapper {
            #expect(report.has(.readsInstanceParameter))
            #expect(report.has(.deletesInstanceParameter))
            #expect(report.has(.readsTokenPath))
            #expect(report.has(.readsConfigPathTag))
            #expect(report.has(.imdsV2Token))
            #expect(!report.has(.imdsV1Access))
            #expect(!report.has(.hardCodedParameterPath))
            #expect(!report.has(.readsTokensByPath))
        }
    }

    /// Every release from v3.0.0: Linux is token-only before 4.0.0, JIT-only at 4.0.0, JIT-aware after;
    /// Windows is token-only before 5.16.3 and JIT-aware from it.
    @Test func everyReleaseTag() {
        guard let tags = ModuleMirror.releaseTags() else {
            print("skipped: module mirror not available at \(ModuleMirror.path)")
            return
        }
        var checked = 0
        for (tag, v) in tags where v[0] >= 3 {
            let linux: StartContract = v[0] < 4 ? .tokenOnly : (v == [4, 0, 0] ? .jitOnly : .jitAware)
            let windows: StartContract = v.lexicographicallyPrecedes([5, 16, 3]) ? .tokenOnly : .jitAware
            for (path, language, expected) in [(Self.linux, ScriptLanguage.bash, linux), (Self.windows, .powershell, windows)] {
                guard let text = ModuleMirror.show(tag, path) else { continue }
                let r = ScriptAnalysis.analyze(SourceFile(path: path, text: text), language: language, template: true)
                #expect(r.contract == expected, "\(tag):\(path): \(r.rationale)")
                #expect(r.diagnostics.isEmpty, "\(tag):\(path): \(r.diagnostics.map(\.summary))")
                checked += 1
            }
        }
        #expect(checked > 200)
    }

    @Test func v401EvidencePointsAtTheRightTokens() {
        guard let text = ModuleMirror.show("v4.0.1", Self.linux) else {
            print("skipped: module mirror not available at \(ModuleMirror.path)")
            return
        }
        let r = ScriptAnalysis.analyze(SourceFile(path: Self.linux, text: text), language: .bash, template: true)
        // The flag lookup inside the jq filter, the guard of config.sh, and `--jitconfig` in the here-document.
        let read = r.evidence.first { $0.role == .jitFlagRead }
        #expect(read.map { r.script.source.text(of: $0.range) } == "enable_jit_config")
        // The guard of config.sh tests both the JIT flag and the agent mode.
        let configIndex = r.script.commands.first { $0.programName == "config.sh" }?.index
        let configGuard = configIndex.flatMap { i in r.script.commands[i].conditions.last }
        #expect(configGuard.map { $0.text.contains("$enable_jit_config") && $0.text.contains("$agent_mode") } == true)
        #expect(configGuard.map { r.script.source.text(of: $0.range) } == configGuard?.text)
        let guardRanges = r.evidence.filter { $0.role == .guardCondition }.map(\.range)
        #expect(configGuard.map { guardRanges.contains($0.range) } == true)
        let jit = r.evidence.first { $0.role == .jitConfigFlag }
        #expect(jit.map { r.script.source.text(of: $0.range) } == "--jitconfig")
        let jitCommand = r.script.commands.first { $0.programName == "run.sh" && $0.words.contains { $0.value == "--jitconfig" } }
        #expect(jitCommand?.context == .heredoc)
        // The config.sh command ends with the template escape `$${config}` as written in the file.
        let config = r.evidence.first { $0.role == .configCommand }
        #expect(config.map { r.script.source.text(of: $0.range).hasSuffix("$${config}") } == true)
        // Tag lookups are conditional on the template variable.
        let tagRead = r.script.commands.first { $0.words.contains { $0.value.contains("meta-data/tags/instance/ghr:environment") } }
        #expect(tagRead?.conditions.map(\.text) == [#"metadata_tags == "enabled""#])
        #expect(tagRead?.conditions.first?.holds == true)
        let describe = r.script.commands.first { AWSCall($0)?.operation == "describe-tags" }
        #expect(describe?.conditions.first?.holds == false)
    }

    @Test func windowsBeforeAndAfterJit() {
        guard let before = ModuleMirror.show("v5.16.2", Self.windows), let after = ModuleMirror.show("v5.16.3", Self.windows) else {
            print("skipped: module mirror not available at \(ModuleMirror.path)")
            return
        }
        let old = ScriptAnalysis.analyze(SourceFile(path: Self.windows, text: before), language: .powershell, template: true)
        let new = ScriptAnalysis.analyze(SourceFile(path: Self.windows, text: after), language: .powershell, template: true)
        // Before 5.16.3: no self-termination, no JIT, config.cmd through `Invoke-Expression $configCmd`.
        #expect(!old.has(.selfTermination) && !old.has(.jitConfigFlag) && !old.has(.readsEnableJitConfig))
        let oldConfig = old.script.commands.first { $0.programName == "config.cmd" }
        #expect(oldConfig?.context == .embedded)
        #expect(oldConfig.flatMap { $0.parent.map { old.script.commands[$0].programName } } == "Invoke-Expression")
        #expect(new.has(.selfTermination) && new.has(.jitConfigFlag) && new.has(.readsEnableJitConfig))
        #expect(new.scenarios.map(\.configuresWithInstanceParameter) == [.no, .yes, .yes])
    }
}
