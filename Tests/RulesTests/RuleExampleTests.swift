import AuditCore
import Engine
import Foundation
import Knowledge
@testable import Rules
import Testing

/// Every example of every rule in the catalogue runs as a test: triggering examples must produce a
/// finding of that rule at each marker (and nowhere else), non-triggering ones none. Each example
/// also runs again with CRLF line endings and with a leading multi-byte comment line, which checks
/// the offset and column arithmetic end to end.
struct ExampleCase: CustomTestStringConvertible, Sendable {
    enum Variant: String, Sendable, CaseIterable { case plain, crlf, leadingComment = "leading-comment", suppressed }

    var rule: RuleMetadata
    var example: RuleExample
    var variant: Variant

    var testDescription: String { "\(rule.id) \(example.kind.rawValue) \(example.name) [\(variant.rawValue)]" }

    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    static let all: [ExampleCase] = knowledge.rules.flatMap { rule in
        rule.examples.filter(\.runnable).flatMap { example in
            Variant.allCases.filter { $0 != .suppressed || canSuppress(rule, example) }.map { ExampleCase(rule: rule, example: example, variant: $0) }
        }
    }

    /// Triggering examples of rules that may be suppressed, whose markers are all in files that
    /// take `#` comments.
    static func canSuppress(_ rule: RuleMetadata, _ example: RuleExample) -> Bool {
        guard example.kind == .triggering, !rule.tags.contains(.parse), !rule.tags.contains(.suppression), !rule.tags.contains(.config) else { return false }
        let (_, markers) = example.materialise()
        return markers.values.allSatisfy { acceptsHashComment($0.path) }
    }

    /// Files that take a `#` comment line at the top.
    static func acceptsHashComment(_ path: String) -> Bool {
        [".tf", ".tfvars", ".hcl", ".sh", ".bash", ".yaml", ".yml", ".ps1", ".tftpl", ".tpl"].contains { path.hasSuffix($0) }
    }

    static let leadingComment = "# ghr-audit example — ünïcødé ✓ 🚀\n"

    /// The example files for this variant, and how many lines each file was shifted.
    func files() -> (files: [String: String], shift: [String: Int], markers: [String: (path: String, line: Int, column: Int, offset: Int)]) {
        let (files, markers) = example.materialise()
        var out: [String: String] = [:]
        var shift: [String: Int] = [:]
        for (path, text) in files {
            switch variant {
            case .plain:
                out[path] = text
            case .crlf:
                out[path] = text.replacingOccurrences(of: "\n", with: "\r\n")
            case .leadingComment:
                if Self.acceptsHashComment(path) && !text.hasPrefix("#!") {
                    out[path] = Self.leadingComment + text
                    shift[path] = 1
                } else {
                    out[path] = text
                }
            case .suppressed:
                // A directive on the line above every marked line.
                var lines = text.components(separatedBy: "\n")
                let marked = Set(markers.values.filter { $0.path == path }.map(\.line)).sorted(by: >)
                for line in marked {
                    let indent = lines[line - 1].prefix { $0 == " " || $0 == "\t" }
                    lines.insert("\(indent)# ghr-audit:ignore \(rule.id) -- example under suppression", at: line - 1)
                }
                out[path] = lines.joined(separator: "\n")
            }
        }
        return (out, shift, markers)
    }
}

@Suite("Rule examples")
struct RuleExampleTests {
    @Test(arguments: ExampleCase.all)
    func example(_ c: ExampleCase) throws {
        let (files, shift, markers) = c.files()
        let fs = MemoryFileSystem(files)
        let target = try #require(TargetSelection(c.example.targetText ?? "latest"))
        let result = Auditor(knowledge: ExampleCase.knowledge).audit(fileSystem: fs, options: AuditOptions(target: target))
        let ruleFindings = result.report.findings.filter { $0.ruleId == c.rule.id }
        // Examples are valid input: no parse finding may appear.
        let parse = result.report.findings.filter { $0.tags.contains("parse") && $0.ruleId != c.rule.id }
        #expect(parse.isEmpty, "parse findings in an example: \(parse.map { "\($0.location): \($0.message)" })")

        if c.variant == .suppressed {
            #expect(ruleFindings.isEmpty, "a suppression above each marker must silence \(c.rule.id): \(ruleFindings.map { "\($0.location): \($0.message)" })")
            let gate = result.report.findings.filter { $0.tags.contains("suppression") }
            #expect(gate.isEmpty, "suppression problems: \(gate.map { "\($0.location): \($0.message)" })")
            return
        }
        switch c.example.kind {
        case .nonTriggering:
            #expect(ruleFindings.isEmpty, "unexpected: \(ruleFindings.map { "\($0.location): \($0.message)" })")
        case .triggering:
            var unmatched = ruleFindings
            for expectation in c.example.expect {
                let m = try #require(markers[expectation.marker], "marker \(expectation.marker) not in the files")
                let line = m.line + (shift[m.path] ?? 0)
                let hit = unmatched.firstIndex { f in
                    f.location.path == m.path && f.location.start.line == line && f.location.start.column == m.column
                }
                guard let index = hit else {
                    Issue.record("no \(c.rule.id) finding at \(m.path):\(line):\(m.column); got \(ruleFindings.map { "\($0.location): \($0.message)" })")
                    continue
                }
                let found = unmatched[index]
                if let end = expectation.end {
                    // An exact expectation: the finding as the tool reports it (and the rule's page shows it).
                    #expect(found.message == expectation.message, "message \"\(found.message)\" is not \"\(expectation.message)\"")
                    let endLine = end.line + (shift[m.path] ?? 0)
                    #expect(found.location.end.line == endLine && found.location.end.column == end.column,
                            "\(found.location) ends at \(found.location.end.line):\(found.location.end.column), not \(endLine):\(end.column)")
                    #expect(found.severity.rawValue == (expectation.severity?.rawValue ?? c.rule.severity.rawValue),
                            "severity \(found.severity.rawValue), expected \(expectation.severity?.rawValue ?? c.rule.severity.rawValue)")
                } else {
                    #expect(found.message.contains(expectation.message), "message \"\(found.message)\" lacks \"\(expectation.message)\"")
                }
                unmatched.remove(at: index)
            }
            #expect(unmatched.isEmpty, "findings without a marker: \(unmatched.map { "\($0.location): \($0.message)" })")
        }
    }
}

@Suite("Catalogue")
struct CatalogueTests {
    @Test("every catalogue rule is implemented and every implemented id is in the catalogue")
    func bijection() throws {
        let kb = ExampleCase.knowledge
        // Rules tagged `probe` are implemented by the Probe target (ProbeTests checks those), rules
        // tagged `rehearsal` by the Rehearsal target (RehearsalTests runs their examples).
        let catalogue = Set(kb.rules.filter { !$0.tags.contains(.probe) }.map(\.id))
        let implemented = Set(RuleRegistry.implementedIds.subtracting(RuleRegistry.probeIds).map(\.rawValue))
        #expect(catalogue.subtracting(implemented).sorted() == [], "in rules/ but not implemented")
        #expect(implemented.subtracting(catalogue).sorted() == [], "implemented but not in rules/")
    }

    @Test("every implemented rule has a runnable triggering and non-triggering example")
    func examples() throws {
        let kb = ExampleCase.knowledge
        for id in RuleRegistry.all.flatMap(\.emits) {
            let rule = try #require(kb.rule(id: id.rawValue))
            #expect(rule.examples.contains { $0.kind == .triggering && $0.runnable }, "\(id): no runnable triggering example")
            #expect(rule.examples.contains { $0.kind == .nonTriggering && $0.runnable }, "\(id): no runnable non-triggering example")
        }
    }
}

@Suite("Rule ids")
struct RuleIDTests {
    @Test("the generated constants are exactly the catalogue's ids")
    func constantsMatchTheCatalogue() {
        #expect(RuleID.catalogued.map(\.rawValue) == ExampleCase.knowledge.rules.map(\.id).sorted())
        #expect(RuleID.jit101.rawValue == "JIT-101")
        #expect(RuleID.constantName("CORE-004") == "core004")
    }

    @Test("an id a rule emits resolves to its own catalogue entry")
    func emittedIdsResolve() {
        for id in RuleRegistry.all.flatMap(\.emits) {
            #expect(RuleContext.metadata(id, in: ExampleCase.knowledge).id == id.rawValue)
        }
    }

    @Test("emitting an id the catalogue does not have stops the run instead of inventing a severity")
    func unknownIdFailsLoudly() async {
        await #expect(processExitsWith: .failure) {
            _ = RuleContext.metadata(RuleID(rawValue: "JIT-999"), in: try! KnowledgeBase.load())
        }
    }
}
