import Reporters
import Testing

@Suite("--format/--output pairing")
struct OutputPlanTests {
    static func plan(_ line: String) throws(OutputPlan.Problem) -> [OutputPlan.Entry] {
        try OutputPlan.pair(arguments: line.split(separator: " ").map(String.init)).entries
    }

    @Test func pairsInCommandLineOrder() throws {
        #expect(try Self.plan("check infra") == [OutputPlan.Entry(.text)])
        #expect(try Self.plan("check infra -o out.txt") == [OutputPlan.Entry(.text, "out.txt")])
        #expect(try Self.plan("check infra/ --target 4.1.0 --format sarif --output audit.sarif --format text")
                == [OutputPlan.Entry(.sarif, "audit.sarif"), OutputPlan.Entry(.text)])
        #expect(try Self.plan("check . --format sarif --output audit.sarif --format github")
                == [OutputPlan.Entry(.sarif, "audit.sarif"), OutputPlan.Entry(.github)])
    }

    @Test func outputBeforeAnyFormatBelongsToText() throws {
        #expect(try Self.plan("check -o report.txt --format json") == [OutputPlan.Entry(.text, "report.txt"), OutputPlan.Entry(.json)])
        #expect(try Self.plan("check --format=json --output=r.json") == [OutputPlan.Entry(.json, "r.json")])
        // Nothing after `--` is an option.
        #expect(try Self.plan("check -- --format json") == [OutputPlan.Entry(.text)])
    }

    @Test func agreesWithTheParse() throws {
        let plan = try OutputPlan.pair(arguments: ["check", "-o", "r.txt", "--format", "json", "--format", "sarif", "--output", "r.sarif"])
        #expect(plan.entries == [OutputPlan.Entry(.text, "r.txt"), OutputPlan.Entry(.json), OutputPlan.Entry(.sarif, "r.sarif")])
        #expect(plan.agrees(withParsedFormats: [.json, .sarif], outputs: ["r.txt", "r.sarif"]))
        #expect(!plan.agrees(withParsedFormats: [.json], outputs: ["r.txt", "r.sarif"]))
        #expect(!plan.agrees(withParsedFormats: [.json, .sarif], outputs: ["r.sarif", "r.txt"]))
        #expect(try OutputPlan.pair(arguments: ["check"]).agrees(withParsedFormats: [], outputs: []))
        #expect(try OutputPlan.pair(arguments: ["check", "--format", "text"]).agrees(withParsedFormats: [.text], outputs: []))
        #expect(!(try OutputPlan.pair(arguments: ["check"]).agrees(withParsedFormats: [.json], outputs: [])))
    }

    @Test func problems() {
        func problem(_ line: String) -> OutputPlan.Problem? {
            do { _ = try Self.plan(line) } catch { return error }
            return nil
        }
        #expect(problem("check --format json --format sarif") == .severalToStandardOutput)
        #expect(problem("check --format json -o a.json -o b.json") == .unpairedOutput("b.json"))
        #expect(problem("check --format yaml") == .unknownFormat("yaml"))
        #expect(problem("check --format") == .missingValue(flag: "--format"))
        #expect(OutputPlan.Problem.unknownFormat("yaml").description.hasPrefix("`--format yaml`: expected one of `text`, `json`"))
    }
}

@Suite("Rendering an output plan")
struct OutputPlanRenderTests {
    /// Every report the plan delivers, in the order delivered.
    func collected(_ plan: OutputPlan, _ options: RenderOptions) -> [OutputPlan.Rendered] {
        var out: [OutputPlan.Rendered] = []
        plan.render(Fixture.report, options: options) { out.append($0) }
        return out
    }

    @Test("every entry in order, each in its format; colour only on the text report for standard output")
    func colourOnlyOnStandardOutputText() throws {
        let plan = try OutputPlan.pair(arguments: ["check", "-o", "r.txt", "--format", "sarif", "--output", "r.sarif", "--format", "text"])
        let options = RenderOptions(color: true, sources: Fixture.sources, failOn: .warning)
        let rendered = collected(plan, options)
        #expect(rendered.map(\.format) == [.text, .sarif, .text])
        #expect(rendered.map(\.file) == ["r.txt", "r.sarif", nil])
        var plain = options
        plain.color = false
        #expect(rendered[0].text == render(Fixture.report, as: .text, options: plain))
        #expect(!rendered[0].text.contains("\u{1B}["), "a text report written to a file holds escape codes")
        #expect(rendered[1].text == render(Fixture.report, as: .sarif, options: plain))
        #expect(rendered[2].text == render(Fixture.report, as: .text, options: options))
        #expect(rendered[2].text.contains("\u{1B}["), "the terminal's text report lost its colour")
    }

    @Test("without colour every report is the plain rendering, options passed through")
    func optionsPassThrough() throws {
        let plan = OutputPlan([OutputPlan.Entry(.compact), OutputPlan.Entry(.html, "r.html")])
        let options = RenderOptions(sources: Fixture.sources, failOn: nil, showSuppressed: true, quiet: true)
        let rendered = collected(plan, options)
        #expect(rendered == [
            OutputPlan.Rendered(format: .compact, file: nil, text: render(Fixture.report, as: .compact, options: options)),
            OutputPlan.Rendered(format: .html, file: "r.html", text: render(Fixture.report, as: .html, options: options)),
        ])
    }
}
