import AuditCore
import Testing
@testable import Gate

private let known = KnownRuleIds(["JIT-101", "JIT-102", "JIT-104", "TF-120", "TF-130"], aliases: ["TF-020": "TF-120"])

private func parse(_ text: String) -> (config: GateConfig, problems: [Diagnostic], source: SourceFile) {
    let source = SourceFile(path: ".ghr-audit.yml", text: text)
    let (c, p) = GateConfig.parse(source, knownRuleIds: known)
    return (c, p, source)
}

@Suite("Config file")
struct ConfigTests {
    @Test func everySettingIsReadAndLocated() throws {
        let text = """
        target: 4.1.0
        rules:
          enable: [TF-130]
          disable:
            - JIT-104
            - TF-020
          severity:
            JIT-102: warning
        include: ["**/*.tf", "runner-configs/"]
        exclude: [.terraform/, examples/]
        var_files: [prod.tfvars, secrets.auto.tfvars]
        vars:
          enable_jit_config: false
          runner_extra_labels: [gpu, "x86"]
          instance_count: 3
          ghes_url: "https://ghes.example.com"
          flag: yes
          nothing: ~
        fail_on: warning
        baseline: .ghr-audit-baseline.json
        """
        let r = parse(text)
        #expect(r.problems.isEmpty, "\(r.problems)")
        let c = r.config
        #expect(c.target?.value == "4.1.0")
        #expect(c.target?.range.start == SourcePosition(line: 1, column: 9, offset: 8))
        #expect(r.source.text(of: c.target!.range) == "4.1.0")
        #expect(c.enable.map(\.value) == ["TF-130"])
        #expect(c.disable.map(\.value) == ["JIT-104", "TF-120"])          // alias stored as the current id…
        #expect(r.source.text(of: c.disable[1].range) == "TF-020")         // …located where it was written
        #expect(c.severity["JIT-102"]?.value == .warning)
        #expect(c.include.map(\.value.pattern) == ["**/*.tf", "runner-configs/"])
        #expect(r.source.text(of: c.include[0].range) == "\"**/*.tf\"")
        #expect(c.exclude.map(\.value.pattern) == [".terraform/", "examples/"])
        #expect(c.varFiles.map(\.value) == ["prod.tfvars", "secrets.auto.tfvars"])
        #expect(c.vars["enable_jit_config"]?.value == .bool(false))
        #expect(c.vars["runner_extra_labels"]?.value == .list([.string("gpu"), .string("x86")]))
        #expect(c.vars["instance_count"]?.value == .number("3"))
        #expect(c.vars["ghes_url"]?.value == .string("https://ghes.example.com"))
        #expect(c.vars["flag"]?.value == .string("yes"))                   // YAML 1.2: not a boolean
        #expect(c.vars["nothing"]?.value == .null)
        #expect(c.failOn?.value == .warning)
        #expect(c.baseline?.value == ".ghr-audit-baseline.json")

        #expect(c.isEnabled("TF-130", byDefault: false))
        #expect(!c.isEnabled("JIT-104", byDefault: true))
        #expect(c.isEnabled("JIT-101", byDefault: true))
        #expect(c.severity(of: "JIT-102", default: .error) == .warning)
        #expect(c.severity(of: "JIT-101", default: .error) == .error)
        #expect(c.includes("main.tf") && c.includes("modules/a/main.tf") && c.includes("runner-configs/linux.yaml"))
        #expect(!c.includes("examples/main.tf") && !c.includes(".terraform/modules/x/main.tf") && !c.includes("scripts/a.sh"))
    }

    @Test func emptyAndCommentOnlyFilesGiveTheDefaults() {
        for text in ["", "# nothing configured yet\n", "---\n", "~\n"] {
            let r = parse(text)
            #expect(r.problems.isEmpty, "\(text)")
            #expect(r.config == GateConfig(), "\(text)")
        }
    }

    @Test func unknownTopLevelKeyIsLocatedWithDidYouMeanAndTheSortedKeys() throws {
        let r = parse("target: 4.1.0\nfail-on: warning\n")
        let p = try #require(r.problems.first)
        #expect(r.problems.count == 1)
        #expect(p.summary == "Unknown key `fail-on`")
        #expect(p.detail == "`.ghr-audit.yml` has no setting `fail-on`. Did you mean `fail_on`? Valid keys are `baseline`, `exclude`, `fail_on`, `include`, `require_module`, `rules`, `target`, `var_files` and `vars`.")
        #expect(p.range.start == SourcePosition(line: 2, column: 1, offset: 14))
        #expect(p.range.end == SourcePosition(line: 2, column: 8, offset: 21))
        #expect(r.config.failOn == nil)
        #expect(r.config.target?.value == "4.1.0")
    }

    @Test func columnsCountScalarsAndOffsetsCountBytes() throws {
        let r = parse("{ target: \"é✓\", fail-on: none }\n")
        let p = try #require(r.problems.first)
        #expect(p.range.start.column == 17)
        #expect(p.range.start.offset == 19)
        #expect(r.source.text(of: p.range) == "fail-on")
    }

    @Test func aByteOrderMarkDoesNotShiftRanges() throws {
        let r = parse("\u{FEFF}fail-on: none\n")
        let p = try #require(r.problems.first)
        #expect(r.source.text(of: p.range) == "fail-on")
    }

    static let unknownKeys: [(yaml: String, summary: String, hint: String, located: String)] = [
        ("rules:\n  enabled: [JIT-101]\n", "Unknown key `rules.enabled`", "Did you mean `enable`?", "enabled"),
        ("disable: [JIT-101]\n", "Unknown key `disable`", "`disable` belongs under `rules`", "disable"),
        ("rules:\n  JIT-101: off\n", "Unknown key `rules.JIT-101`", "list `JIT-101` under `rules.disable`", "JIT-101"),
        ("variables:\n  a: 1\n", "Unknown key `variables`", "Did you mean `vars`?", "variables"),
        ("skip_checks: [JIT-101]\n", "Unknown key `skip_checks`", "To turn rules off use `rules.disable`", "skip_checks"),
        ("Target: 4.1.0\n", "Unknown key `Target`", "Did you mean `target`?", "Target"),
        ("var-files: [a.tfvars]\n", "Unknown key `var-files`", "Did you mean `var_files`?", "var-files"),
    ]

    @Test(arguments: unknownKeys)
    func unknownKeysAnticipateTheLikelyMistake(_ c: (yaml: String, summary: String, hint: String, located: String)) throws {
        let r = parse(c.yaml)
        let p = try #require(r.problems.first)
        #expect(r.problems.count == 1)
        #expect(p.summary == c.summary)
        #expect(p.detail?.contains(c.hint) == true, "\(p.detail ?? "")")
        #expect(r.source.text(of: p.range) == c.located)
        #expect(p.severity == .error)
    }

    static let typeErrors: [(yaml: String, summary: String, located: String)] = [
        ("include: \"*.tf\"\n", "Expected a list for `include`", "\"*.tf\""),
        ("var_files: prod.tfvars\n", "Expected a list for `var_files`", "prod.tfvars"),
        ("fail_on: [error]\n", "Expected a string for `fail_on`", "[error]"),
        ("rules: [JIT-101]\n", "Expected a mapping for `rules`", "[JIT-101]"),
        ("target: true\n", "Expected a string for `target`", "true"),
        ("baseline: 12\n", "Expected a string for `baseline`", "12"),
        ("vars:\n  - a\n  - b\n", "Expected a mapping for `vars`", "- a\n  - b"),
        ("exclude: [examples/, 3]\n", "Expected a string in `exclude`", "3"),
        ("- target\n", "Expected a mapping for the configuration file", "- target"),
        ("rules:\n  severity:\n    JIT-101: [error]\n", "Expected a string for `rules.severity.JIT-101`", "[error]"),
    ]

    @Test(arguments: typeErrors)
    func wrongTypesAreLocatedAtTheValue(_ c: (yaml: String, summary: String, located: String)) throws {
        let r = parse(c.yaml)
        let p = try #require(r.problems.first)
        #expect(r.problems.count == 1, "\(r.problems)")
        #expect(p.summary == c.summary)
        #expect(r.source.text(of: p.range) == c.located)
    }

    @Test func singleValueForAListShowsTheListForm() throws {
        let p = try #require(parse("var_files: prod.tfvars\n").problems.first)
        #expect(p.detail?.contains("`var_files: [prod.tfvars]`") == true)
    }

    @Test func numericTargetIsTakenAsWritten() {
        let r = parse("target: 5.1\n")
        #expect(r.problems.isEmpty)
        #expect(r.config.target?.value == "5.1")
    }

    @Test func ruleIdsAreCheckedAgainstTheCatalogue() {
        let r = parse("rules:\n  disable: [JIT-110, jit-102, JIT-10, JIT-101, JIT-101]\n")
        #expect(r.problems.map(\.summary) == [
            "Unknown rule `JIT-110` in `rules.disable`",
            "`jit-102` is not a rule id",
            "`JIT-10` is not a rule id",
            "`JIT-101` is listed twice in `rules.disable`",
        ])
        #expect(r.problems[0].detail?.contains("Did you mean `JIT-101`?") == true)
        #expect(r.problems[1].detail?.contains("Did you mean `JIT-102`?") == true)
        #expect(r.problems[3].severity == .warning)
        #expect(r.config.disable.map(\.value) == ["JIT-101"])
        #expect(r.problems.map { $0.range.start.column } == [13, 22, 31, 48])
    }

    @Test func severityValues() {
        let r = parse("rules:\n  severity:\n    JIT-101: warn\n    JIT-102: off\n    JIT-104: note\n    NOPE-001: error\n")
        #expect(r.problems.map(\.summary) == [
            "Unknown value `warn` for severity of `JIT-101`",
            "Unknown severity `off` for `JIT-102`",
            "Unknown rule `NOPE-001` in `rules.severity`",
        ])
        #expect(r.problems[0].detail == "Use `error`, `note` or `warning`. Did you mean `warning`?")
        #expect(r.problems[1].detail?.contains("`rules.disable`") == true)
        #expect(r.config.severity.mapValues(\.value) == ["JIT-104": .note])
    }

    @Test(arguments: [("warnings", "warning"), ("off", "none"), ("info", "note"), ("eror", "error")])
    func failOnNearMisses(_ written: String, _ meant: String) throws {
        let p = try #require(parse("fail_on: \(written)\n").problems.first)
        #expect(p.summary == "Unknown value `\(written)` for `fail_on`")
        #expect(p.detail == "Use `error`, `none`, `note` or `warning`. Did you mean `\(meant)`?")
    }

    @Test func failThreshold() {
        #expect(FailThreshold.error.fails(on: .error) && !FailThreshold.error.fails(on: .warning))
        #expect(FailThreshold.warning.fails(on: .warning) && !FailThreshold.warning.fails(on: .note))
        #expect(FailThreshold.note.fails(on: .note))
        #expect(!FailThreshold.none.fails(on: .error))
    }

    @Test func duplicateKeysAndConflictingRuleSettings() {
        let r = parse("target: 4.0.0\nrules:\n  enable: [JIT-104]\n  disable: [JIT-104]\ntarget: 4.1.0\n")
        #expect(r.problems.map(\.summary) == ["Duplicate key `target`", "`JIT-104` is both enabled and disabled"])
        #expect(r.problems[0].range.start.line == 5)
        #expect(r.problems[0].detail?.contains("line 1") == true)
        #expect(r.problems[1].range.start.line == 4)
        #expect(r.config.target?.value == "4.0.0")
        #expect(!r.config.isEnabled("JIT-104", byDefault: true))
    }

    @Test func badPatternsAndVariableNames() {
        let r = parse("exclude: [\"src/[abc\", \"../outside\", \"a\\\\b\"]\nvars:\n  \"1st\": x\n")
        #expect(r.problems.map(\.summary) == [
            "Invalid pattern `src/[abc` in `exclude`",
            "Invalid pattern `../outside` in `exclude`",
            "Invalid pattern `a\\b` in `exclude`",
            "`1st` is not a Terraform variable name",
        ])
        #expect(r.problems[0].detail?.contains("`[` has no closing `]`") == true)
    }

    @Test func yamlSyntaxErrorsAreLocated() throws {
        let r = parse("target: 4.1.0\nrules:\n\tdisable: [JIT-101]\n")
        let p = try #require(r.problems.first)
        #expect(r.problems.count == 1)
        #expect(p.summary.hasPrefix("Invalid YAML: "))
        #expect(p.range.start.line == 3)
        #expect(r.config == GateConfig())
        let unclosed = parse("exclude: [a, b\ntarget: 1\n")
        #expect(unclosed.problems.count == 1 && unclosed.problems[0].summary.hasPrefix("Invalid YAML"))
    }

    @Test func oneDocumentOnly() throws {
        let r = parse("target: 4.1.0\n---\nfail_on: note\n")
        let p = try #require(r.problems.first)
        #expect(r.problems.count == 1)
        #expect(p.summary == "Invalid YAML: expected a single document in the stream")
        #expect(p.range.start.line == 3)
        #expect(r.config == GateConfig())
    }

    @Test func aliasesAndAnchorsAreRead() {
        let r = parse("vars:\n  a: &labels [gpu, x86]\n  b: *labels\nexclude: [examples/]\n")
        #expect(r.problems.isEmpty)
        #expect(r.config.vars["b"]?.value == .list([.string("gpu"), .string("x86")]))
        #expect(r.config.vars["b"]?.range.start.line == 3)
    }

    @Test func pathologicalNestingIsRefusedNotCrashed() throws {
        let r = parse("vars:\n  x: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n")
        let p = try #require(r.problems.first)
        #expect(p.summary == "YAML nested too deeply")
    }

    @Test func predicateOverload() {
        let (c, p) = GateConfig.parse(SourceFile(path: ".ghr-audit.yml", text: "rules:\n  disable: [JIT-101, JIT-100]\n"),
                                      knownRuleIds: { $0 == "JIT-101" })
        #expect(c.disable.map(\.value) == ["JIT-101"])
        #expect(p.map(\.summary) == ["Unknown rule `JIT-100` in `rules.disable`"])
        #expect(p[0].detail?.contains("Did you mean `JIT-101`?") == true)
    }
}

@Suite("Glob patterns")
struct GlobTests {
    static let cases: [(pattern: String, path: String, matches: Bool)] = [
        ("*.tf", "main.tf", true),
        ("*.tf", "modules/runners/main.tf", true),          // no slash: any depth
        ("*.tf", "main.tf.json", false),
        ("/main.tf", "main.tf", true),
        ("/main.tf", "modules/main.tf", false),             // anchored
        ("modules/*.tf", "modules/main.tf", true),
        ("modules/*.tf", "modules/a/main.tf", false),       // * stays in one segment
        ("modules/**/*.tf", "modules/main.tf", true),       // ** is zero or more segments
        ("modules/**/*.tf", "modules/a/b/main.tf", true),
        ("**/*.tfvars", "env/prod/prod.tfvars", true),
        (".terraform", ".terraform/modules/r/main.tf", true), // a directory excludes what is below it
        ("examples/", "examples/multi/main.tf", true),
        ("examples/", "examples", false),                   // trailing slash: directories only
        ("examples", "examples", true),
        ("runner-configs/*.{yml,yaml}", "runner-configs/linux.yaml", true),
        ("runner-configs/*.{yml,yaml}", "runner-configs/linux.json", false),
        ("lin?x.yaml", "linux.yaml", true),
        ("[!.]*.sh", ".hidden.sh", false),
        ("[a-c]*.sh", "build.sh", true),
        ("[a-c]*.sh", "deploy.sh", false),
        ("templates/*", "templates/user-data.sh", true),
        ("**", "anything/at/all", true),
        ("*data*", "templates/user-data.sh", true),
        ("é*.tf", "ébauche.tf", true),
    ]

    @Test(arguments: cases)
    func matching(_ c: (pattern: String, path: String, matches: Bool)) throws {
        #expect(try Glob(c.pattern).matches(c.path) == c.matches)
    }

    @Test(arguments: [
        ("", Glob.PatternError.empty), ("/", .empty), ("[abc", .unclosedClass), ("{a,b", .unbalancedBraces),
        ("a}", .unbalancedBraces), ("../x", .parentSegment), ("a\\b", .backslash),
        (String(repeating: "{a,b}", count: 17), .tooManyAlternatives),
    ])
    func invalidPatterns(_ pattern: String, _ error: Glob.PatternError) {
        #expect(throws: error) { try Glob(pattern) }
    }

    @Test func starBacktrackingIsNotExponential() throws {
        let glob = try Glob(String(repeating: "*a", count: 30) + "b")
        #expect(!glob.matches(String(repeating: "a", count: 200)))
    }
}
