import Foundation
import Testing
import TestSupport
@testable import Knowledge
@testable import DevTools

/// The binary reads its YAML files (data and rules) from their packed forms (`EmbeddedData.packed`)
/// instead of composing their YAML: each must be the same tree, positions included, as Yams composes.
@Suite struct DataTreeTests {
    @Test func everyEmbeddedYAMLFileUnpacksToItsComposedTree() throws {
        let dataFiles = EmbeddedData.files.keys.filter { $0.hasSuffix(".yaml") }
        #expect(Set(EmbeddedData.packed.keys) == Set(dataFiles), "every YAML file has its packed form; \(GeneratedFilesTests.stale)")
        #expect(dataFiles.count >= 60)
        for path in dataFiles.sorted() {
            let composed = try #require(try DataNode.compose(yaml: EmbeddedData.files[path]!))
            let packed = try #require(EmbeddedData.packed[path])
            #expect(try DataNode.unpack(packed) == composed, "\(path): \(GeneratedFilesTests.stale)")
        }
    }

    @Test func theLoadedBaseIsTheSameFromPackedFormsAndFromYAML() throws {
        let fromPacked = try KnowledgeBase.load()
        let fromYAML = try KnowledgeBase.load(files: EmbeddedData.files)
        #expect(fromPacked.releases.map(\.version) == fromYAML.releases.map(\.version))
        #expect(fromPacked.scriptFingerprints.map(\.sha256) == fromYAML.scriptFingerprints.map(\.sha256))
        #expect(fromPacked.problems == fromYAML.problems)
        #expect(fromPacked.rules == fromYAML.rules)
        for scope in InputScope.allCases {
            let names = fromPacked.allInputs(scope: scope)
            #expect(names == fromYAML.allInputs(scope: scope), "\(scope)")
            for name in names {
                #expect(fromPacked.lifespan(scope: scope, name: name) == fromYAML.lifespan(scope: scope, name: name), "\(scope) \(name)")
            }
        }
        let table = try #require(try fromPacked.iamRequirementsDocument())
        let yamlTable = try #require(try NodeReader(yaml: EmbeddedData.files[KnowledgeFiles.iamRequirementsPath]!) as NodeReader?)
        #expect(table.node == yamlTable.node)
    }

    /// Awkward scalars (multi-byte text, the format's own letters and separators, empty and null
    /// ones, quotes) survive packing, on generated trees.
    @Test func packingRoundTripsGeneratedTrees() throws {
        var rng = SeededGenerator(seed: 31)
        let scalars = ["", "S1,2,3:", "M;L;N", "é ü 🦆", "line\nnext", "\"quoted\" 'q'", "12345678901", "#\"\"\"#"]
        func tree(_ depth: Int) -> DataNode {
            let line = Int.random(in: 1...5_000, using: &rng), column = Int.random(in: 1...200, using: &rng)
            switch depth > 3 ? 0 : Int.random(in: 0..<3, using: &rng) {
            case 0: return DataNode(.scalar(scalars.randomElement(using: &rng)!, null: Bool.random(using: &rng)), line: line, column: column)
            case 1: return DataNode(.sequence((0..<Int.random(in: 0..<4, using: &rng)).map { _ in tree(depth + 1) }), line: line, column: column)
            default: return DataNode(.mapping((0..<(2 * Int.random(in: 0..<4, using: &rng))).map { _ in tree(depth + 1) }), line: line, column: column)
            }
        }
        for _ in 0..<300 {
            let t = tree(0)
            #expect(try DataNode.unpack(t.packed()) == t)
        }
    }

    @Test func aDamagedPackedFormIsRefusedNotMisread() {
        let good = DataNode(.mapping([DataNode(.scalar("k", null: false), line: 1, column: 1),
                                      DataNode(.sequence([DataNode(.scalar("v", null: false), line: 2, column: 3)]), line: 2, column: 1)]),
                            line: 1, column: 1).packed()
        #expect(good == "M1,1,1;S1,1,1:kL2,1,1;S2,3,1:v")
        for damaged in ["", "X1,1,1:k", "S1,1,9:k", "M1,1,2;S1,1,1:kL2,1,1;S2,3,1:v", good + "S", "S1,1,1:kk", "L1,1,99999999;", "S,1,1:k",
                         String(repeating: "L1,1,1;", count: 300) + "S1,1,0:"] {
            #expect(throws: NodeReader.Failure.self, "\(damaged.prefix(40))") { try DataNode.unpack(damaged) }
        }
    }
}
