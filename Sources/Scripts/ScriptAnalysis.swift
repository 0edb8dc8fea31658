import AuditCore

/// A place that supports the contract verdict.
public struct ContractEvidence: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, Codable {
        /// The read of `<token_path>/<instance id>`.
        case instanceParameterRead
        /// A `config.sh`/`config.cmd` command fed with the SSM value (range: the whole command).
        case configCommand
        /// `--jitconfig`.
        case jitConfigFlag
        /// The lookup of `enable_jit_config`.
        case jitFlagRead
        /// A condition on `enable_jit_config` / `agent_mode` guarding a `config.sh` or `--jitconfig` command.
        case guardCondition
        /// The `${start_runner}` placeholder.
        case startRunnerPlaceholder
        /// `config.sh … --token` with a token the script fetched itself.
        case literalToken
    }

    public var role: Role
    public var range: SourceRange
    public var note: String
}

/// What one scenario does with the SSM value.
public struct ScenarioBehaviour: Sendable, Hashable {
    public var scenario: RunnerScenario
    /// Some `config.sh`/`config.cmd` with the per-instance SSM value runs.
    public var configuresWithInstanceParameter: Truth
    /// Some `run.sh`/`run.cmd --jitconfig` runs.
    public var startsWithJITConfig: Truth
}

/// Everything the analyser concludes about one script.
public struct ScriptReport: Sendable {
    /// The scan the conclusions were drawn from (every command, word and condition); nil in a report
    /// that `releasingScan()` made, which keeps only the conclusions.
    public let scanned: ScannedScript?
    /// The scan of a report from `ScriptAnalysis.analyze`. A report that released its scan (the
    /// audit's, kept for the rules) has none: read `scanned`, or scan the source again.
    public var script: ScannedScript {
        guard let scanned else { preconditionFailure("the scan of \(path) was released after its analysis; use `scanned` or scan the file again") }
        return scanned
    }
    public let path: String
    public let language: ScriptLanguage
    public let isTemplate: Bool
    public let diagnostics: [Diagnostic]
    /// For each command the evidence points at (`ContractEvidence.range`), the range of the word that
    /// names the program it runs: `config.sh` rather than the `sudo … --` around it.
    public let programNameRanges: [SourceRange: SourceRange]
    public let contract: StartContract
    /// Sorted by position.
    public let evidence: [ContractEvidence]
    /// Why the verdict, in one or two sentences.
    public let rationale: String
    /// Sorted by position.
    public let markers: [ScriptMarker]
    /// One entry per `RunnerScenario.all`, in that order.
    public let scenarios: [ScenarioBehaviour]
    /// What data flow derived for each assigned variable and function parameter (PowerShell names
    /// lower-cased; bash positional parameters as `function#1`, `function#@`). Variables that are only
    /// named like an instance id or token path are treated as such by the analysis but not listed.
    public let variableFacts: [String: Set<ValueFact>]

    init(script: ScannedScript, contract: StartContract, evidence: [ContractEvidence], rationale: String, markers: [ScriptMarker],
         scenarios: [ScenarioBehaviour], variableFacts: [String: Set<ValueFact>]) {
        scanned = script
        path = script.source.path
        language = script.language
        isTemplate = script.isTemplate
        diagnostics = script.diagnostics
        var names: [SourceRange: SourceRange] = [:]
        let evidenced = Set(evidence.map(\.range))
        for command in script.commands where evidenced.contains(command.range) && names[command.range] == nil {
            if let i = command.nameIndex, i < command.words.count { names[command.range] = command.words[i].range }
        }
        programNameRanges = names
        self.contract = contract
        self.evidence = evidence
        self.rationale = rationale
        self.markers = markers
        self.scenarios = scenarios
        self.variableFacts = variableFacts
    }

    private init(releasing report: ScriptReport) {
        scanned = nil
        path = report.path
        language = report.language
        isTemplate = report.isTemplate
        diagnostics = report.diagnostics
        programNameRanges = report.programNameRanges
        contract = report.contract
        evidence = report.evidence
        rationale = report.rationale
        markers = report.markers
        scenarios = report.scenarios
        variableFacts = report.variableFacts
    }

    /// The same conclusions without the scan they came from. The scan (every command with its
    /// words, conditions and ranges) is many times the script's size; the audit keeps a report per
    /// script for the whole run, and the rules read only the conclusions.
    public func releasingScan() -> ScriptReport { ScriptReport(releasing: self) }

    public func markers(_ kind: MarkerKind) -> [ScriptMarker] { markers.filter { $0.kind == kind } }

    public func has(_ kind: MarkerKind) -> Bool { markers.contains { $0.kind == kind } }

    public func behaviour(in scenario: RunnerScenario) -> ScenarioBehaviour? { scenarios.first { $0.scenario == scenario } }
}

public enum ScriptAnalysis {
    /// Scans and classifies one script.
    public static func analyze(_ source: SourceFile, language: ScriptLanguage, template: Bool) -> ScriptReport {
        analyze(ScriptScanner.scan(source, language: language, template: template))
    }

    /// Detects the language (nil when `source` is not a script) and whether it is a template.
    public static func analyze(_ source: SourceFile) -> ScriptReport? {
        guard let language = ScriptLanguage.detect(path: source.path, text: source.text) else { return nil }
        return analyze(source, language: language, template: TemplateDetection.isTemplate(path: source.path, text: source.text))
    }

    public static func analyze(_ script: ScannedScript) -> ScriptReport {
        let flow = FlowAnalysis(script)
        let evaluator = ConditionEvaluator(flow: flow)
        let markerScanner = MarkerScanner(flow: flow)
        let markers = markerScanner.markers()
        var classifier = Classifier(flow: flow, evaluator: evaluator, markerScanner: markerScanner, markers: markers)
        let verdict = classifier.classify()
        return ScriptReport(script: script, contract: verdict.contract, evidence: verdict.evidence, rationale: verdict.rationale,
                            markers: markers, scenarios: verdict.scenarios, variableFacts: flow.variables)
    }
}

private struct Classifier {
    let flow: FlowAnalysis
    let evaluator: ConditionEvaluator
    let markerScanner: MarkerScanner
    let markers: [ScriptMarker]
    var evidence: [ContractEvidence] = []

    init(flow: FlowAnalysis, evaluator: ConditionEvaluator, markerScanner: MarkerScanner, markers: [ScriptMarker]) {
        self.flow = flow
        self.evaluator = evaluator
        self.markerScanner = markerScanner
        self.markers = markers
    }

    private var script: ScannedScript { flow.script }

    private func program(_ c: ScriptCommand) -> String { c.programKey ?? "" }

    struct Verdict {
        var contract: StartContract
        var evidence: [ContractEvidence]
        var rationale: String
        var scenarios: [ScenarioBehaviour]
    }

    private func configName() -> String { script.language == .powershell ? "config.cmd" : "config.sh" }
    private func runName() -> String { script.language == .powershell ? "run.cmd" : "run.sh" }

    mutating func classify() -> Verdict {
        let commands = script.commands
        let reads = commands.filter { flow.readsInstanceParameter($0) || flow.readsTokensByPath($0) }
        let configs = commands.filter { !flow.isOutputOnly($0) && ["config.sh", "config.cmd"].contains(program($0)) }
        let fed = configs.filter { c in c.effectiveArguments.contains { flow.wordFacts($0, function: c.function).contains(.instanceParameter) } }
        let jitRuns = commands.filter { !markerScanner.jitConfigRanges(in: $0).isEmpty }
        let flagReads = markers.filter { $0.kind == .readsEnableJitConfig }
        // A user's own template may decide at render time: `%{ if enable_jit_config }`.
        let templateSwitches = script.directives.filter { $0.kind == .if && TemplateExpression.mentionsJIT($0.expression) }
        let starters = script.placeholders.filter { $0.name == "start_runner" }

        let scenarios = RunnerScenario.all.map { s in
            ScenarioBehaviour(scenario: s, configuresWithInstanceParameter: combined(fed, s), startsWithJITConfig: combined(jitRuns, s))
        }

        for r in reads {
            evidence.append(ContractEvidence(role: .instanceParameterRead, range: r.range,
                                             note: "reads the per-instance SSM parameter"))
        }

        let contract: StartContract
        let rationale: String
        if reads.isEmpty, fed.isEmpty, jitRuns.isEmpty {
            if !starters.isEmpty {
                contract = .wrapper
                for p in starters {
                    evidence.append(ContractEvidence(role: .startRunnerPlaceholder, range: p.range,
                                                     note: "embeds the module's start script"))
                }
                rationale = "The template embeds the module's own start script through `${start_runner}`, so it follows "
                    + "the contract of the module version that renders it."
            } else {
                contract = .unrelated
                let literal = configs.filter { c in c.effectiveArguments.contains { $0.value == "--token" || $0.value.hasPrefix("--token=") } }
                for c in literal {
                    evidence.append(ContractEvidence(role: .literalToken, range: c.range,
                                                     note: "registers with a token the script obtains itself"))
                }
                rationale = literal.isEmpty
                    ? "The script never reads the per-instance SSM parameter `<token_path>/<instance id>` and never passes "
                        + "`--jitconfig`; it is not bound to the module's start contract."
                    : "The script registers with `\(configName()) --token` using a token it obtains itself and never reads the "
                        + "per-instance SSM parameter, so the module's switch to JIT configurations does not affect it."
            }
        } else if jitRuns.isEmpty {
            if !fed.isEmpty {
                contract = .tokenOnly
                addConfigEvidence(fed, scenario: .ephemeralWithJIT)
                rationale = "`\(configName())` gets the per-instance SSM value and the script has no `--jitconfig` path: "
                    + "this is the v3 start contract. From 4.0.0 the module stores a JIT configuration there for ephemeral "
                    + "runners, which `\(configName())` rejects."
            } else if !starters.isEmpty {
                contract = .wrapper
                for p in starters {
                    evidence.append(ContractEvidence(role: .startRunnerPlaceholder, range: p.range, note: "embeds the module's start script"))
                }
                rationale = "The template embeds the module's own start script through `${start_runner}`."
            } else {
                contract = .undetermined
                rationale = "The script reads the per-instance SSM parameter, but no `\(configName())` or `--jitconfig` in this "
                    + "file consumes the value; check the script that receives it."
            }
        } else {
            let leaking = fed.filter { !evaluator.reach($0.index, in: .ephemeralWithJIT).excluded }
            addJitEvidence(jitRuns)
            if !leaking.isEmpty {
                contract = .mixed
                addConfigEvidence(leaking, scenario: .ephemeralWithJIT)
                rationale = "The script passes `--jitconfig`, but `\(configName())` with the per-instance SSM value can also run "
                    + "for ephemeral runners with JIT enabled, where that value is a JIT configuration `\(configName())` rejects. "
                    + "Guard it with `enable_jit_config == \"false\"` or `agent_mode != \"ephemeral\"`."
            } else {
                addConfigEvidence(fed, scenario: .ephemeralWithJIT)
                let configuresWithoutJIT = fed.contains { !evaluator.reach($0.index, in: .ephemeralWithToken).excluded }
                let jitWithoutJIT = jitRuns.filter { !evaluator.reach($0.index, in: .ephemeralWithToken).excluded }
                if !flagReads.isEmpty || !templateSwitches.isEmpty, configuresWithoutJIT, jitWithoutJIT.isEmpty {
                    contract = .jitAware
                    for m in flagReads {
                        evidence.append(ContractEvidence(role: .jitFlagRead, range: m.range, note: "reads `enable_jit_config`"))
                    }
                    for d in templateSwitches {
                        evidence.append(ContractEvidence(role: .jitFlagRead, range: d.range,
                                                         note: "decides on the template variable in `\(d.expression)` when Terraform renders the script"))
                    }
                    rationale = flagReads.isEmpty
                        ? "The template decides at render time on a JIT template variable: `\(configName())` gets the per-instance "
                            + "SSM value only when JIT is off or the runner is not ephemeral, `\(runName()) --jitconfig` otherwise. "
                            + "This matches the 4.0.1+ contract as long as that variable follows `enable_jit_config`."
                        : "The script reads `enable_jit_config`, runs `\(configName())` with the per-instance SSM value only "
                            + "when JIT is off or the runner is not ephemeral, and otherwise starts with `\(runName()) --jitconfig`: "
                            + "the 4.0.1+ contract."
                } else {
                    contract = .jitOnly
                    if flagReads.isEmpty {
                        rationale = "Ephemeral runners start with `\(runName()) --jitconfig` and the script never reads "
                            + "`enable_jit_config`: the 4.0.0 contract. With `enable_jit_config = false` the SSM value holds token "
                            + "arguments that `--jitconfig` rejects."
                    } else {
                        for m in flagReads {
                            evidence.append(ContractEvidence(role: .jitFlagRead, range: m.range, note: "reads `enable_jit_config`"))
                        }
                        rationale = "The script reads `enable_jit_config` but "
                            + (configuresWithoutJIT ? "still passes `--jitconfig` when it is `false`" : "never runs `\(configName())` with the per-instance SSM value when it is `false`")
                            + ", so it behaves like the 4.0.0 contract: `enable_jit_config = false` breaks registration."
                    }
                }
            }
        }
        var seen: Set<ContractEvidence> = []
        let sorted = evidence.filter { seen.insert($0).inserted }.sorted {
            ($0.range.start.offset, $0.range.end.offset, $0.role.rawValue) < ($1.range.start.offset, $1.range.end.offset, $1.role.rawValue)
        }
        return Verdict(contract: contract, evidence: sorted, rationale: rationale, scenarios: scenarios)
    }

    private func combined(_ commands: [ScriptCommand], _ s: RunnerScenario) -> Truth {
        var t = Truth.no
        for c in commands {
            let r = evaluator.reach(c.index, in: s)
            t = t || (r.excluded ? .no : r.truth)
        }
        return t
    }

    private mutating func addConfigEvidence(_ commands: [ScriptCommand], scenario: RunnerScenario) {
        for c in commands {
            evidence.append(ContractEvidence(role: .configCommand, range: c.range,
                                             note: "runs `\(c.programName ?? configName())` with the per-instance SSM value"))
            addGuards(of: c)
        }
    }

    private mutating func addJitEvidence(_ commands: [ScriptCommand]) {
        for c in commands {
            for r in markerScanner.jitConfigRanges(in: c) {
                evidence.append(ContractEvidence(role: .jitConfigFlag, range: r, note: "starts the runner with a JIT configuration"))
            }
            addGuards(of: c)
        }
    }

    private mutating func addGuards(of c: ScriptCommand) {
        for g in evaluator.reach(c.index, in: .ephemeralWithJIT).flagGuards {
            evidence.append(ContractEvidence(role: .guardCondition, range: g.range,
                                             note: g.holds ? "runs only when `\(g.text)` holds" : "runs only when `\(g.text)` does not hold"))
        }
    }
}
