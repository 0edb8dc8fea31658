import AuditCore
import Engine
import Foundation
import Knowledge
import Testing

/// `ghr-audit rules` and `ghr-audit explain`, as the CLI prints them.
@Suite("Catalogue listing and explain")
struct CatalogueTests {
    static let knowledge: KnowledgeBase = try! KnowledgeBase.load()

    @Test func textListingIsSortedAndAligned() throws {
        let lines = Catalogue.listing(Self.knowledge, format: .text).split(separator: "\n").map(String.init)
        #expect(lines.count == Self.knowledge.rules.count)
        let ids = lines.map { String($0.prefix { $0 != " " }) }
        #expect(ids == ids.sorted())
        // Every severity column starts at the same place.
        let width = Self.knowledge.rules.map(\.id.count).max()!
        let jit = try #require(lines.first { $0.hasPrefix("JIT-101 ") })
        let rule = try #require(Self.knowledge.rule(id: "JIT-101"))
        #expect(jit == "JIT-101" + String(repeating: " ", count: width - 7) + "  "
            + rule.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            + " [\(rule.descriptor.tags.joined(separator: ","))] \(rule.descriptor.summary)")
    }

    @Test func jsonListingHasOneObjectPerRule() throws {
        let text = Catalogue.listing(Self.knowledge, format: .json)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: String]])
        #expect(rows.count == Self.knowledge.rules.count)
        #expect(rows.map { $0["id"]! } == Self.knowledge.rules.map(\.id).sorted())
        #expect(rows.allSatisfy { Set($0.keys) == ["id", "severity", "tags", "summary", "title"] })
        #expect(text.hasSuffix("]\n"))
    }

    @Test func explainPrintsThePageWithoutItsBanner() throws {
        let page = try Catalogue.explain("jit-101", knowledge: Self.knowledge)
        #expect(!page.hasPrefix("<!--") && !page.hasPrefix("\n"))
        #expect(page.contains("JIT-101"))
    }

    @Test func anUnknownIdSuggestsTheNearest() {
        #expect(throws: EnvironmentError("no rule `JIT-1O1`; did you mean `JIT-101`? (`ghr-audit rules` lists them)")) {
            try Catalogue.explain("JIT-1O1", knowledge: Self.knowledge)
        }
        #expect(throws: EnvironmentError("no rule `nothing-like-it` (`ghr-audit rules` lists them)")) {
            try Catalogue.explain("nothing-like-it", knowledge: Self.knowledge)
        }
    }
}
