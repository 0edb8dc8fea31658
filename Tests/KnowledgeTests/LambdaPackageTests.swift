import AuditCore
import DevTools
import Foundation
import Knowledge
import Testing

/// `rules/knowledge/lambda-packages.yaml`: what each lambda release asset zips per release, which
/// JIT-109 compares with the central directory of a committed zip.
@Suite("Lambda release packages of the module")
struct LambdaPackageTests {
    static func package(_ name: String, dist: String) -> Data {
        Data("{\n  \"name\": \"@ours/\(name)\",\n  \"version\": \"1.0.0\",\n  \"scripts\": {\n    \"dist\": \"\(dist)\"\n  }\n}\n".utf8)
    }

    @Test func theDistScriptNamesTheAssetAndItsFiles() {
        #expect(LambdaPackageBuilder.distribution(of: String(decoding: Self.package("a", dist: "yarn build && cd dist && zip ../runners.zip index.js"), as: UTF8.self))! == ("runners", ["index.js"]))
        let star = LambdaPackageBuilder.distribution(of: String(decoding: Self.package("a", dist: "yarn build && cp package.json dist/ && cd dist && zip ../webhook.zip *"), as: UTF8.self))
        #expect(star! == ("webhook", ["index.js", "package.json"]))
        // `*` without the copy is the bundle alone; no zip, or no scripts, is no asset.
        #expect(LambdaPackageBuilder.distribution(of: String(decoding: Self.package("a", dist: "cd dist && zip ../x.zip *"), as: UTF8.self))! == ("x", ["index.js"]))
        #expect(LambdaPackageBuilder.distribution(of: String(decoding: Self.package("a", dist: "tsc"), as: UTF8.self)) == nil)
        #expect(LambdaPackageBuilder.distribution(of: "{\"name\": \"lib\"}") == nil)
        #expect(LambdaPackageBuilder.distribution(of: "not json") == nil)
        #expect(LambdaPackageBuilder.isPackageFile("lambdas/functions/webhook/package.json"))
        #expect(LambdaPackageBuilder.isPackageFile("modules/runners/lambdas/runners/package.json"))
        #expect(!LambdaPackageBuilder.isPackageFile("package.json"))
        #expect(!LambdaPackageBuilder.isPackageFile("lambdas/node_modules/x/package.json"))
    }

    @Test func runsEndWhereTheFilesOrThePackageChange() {
        let old = Self.package("cp", dist: "cd dist && zip ../runners.zip index.js")
        let new = Self.package("cp", dist: "cp package.json dist/ && cd dist && zip ../runners.zip *")
        let newer = Self.package("cp2", dist: "cp package.json dist/ && cd dist && zip ../runners.zip *")
        let path = "lambdas/functions/control-plane/package.json"
        let rows = LambdaPackageBuilder.build([
            (ModuleVersion(6, 3, 0), [path: old]), (ModuleVersion(6, 3, 1), [path: old]),
            (ModuleVersion(6, 4, 0), [path: new]), (ModuleVersion(6, 4, 1), [path: new]),
            (ModuleVersion(6, 5, 0), [path: newer]),
        ])
        #expect(rows.map { "\($0.first)-\($0.last)" } == ["6.3.0-6.3.1", "6.4.0-6.4.1", "6.5.0-6.5.0"])
        #expect(rows[0].packageJSONSize == nil && rows[0].entries == ["index.js"])
        #expect(rows[1].packageJSONSize == new.count)
        #expect(rows[1].packageJSONCRC32 == String(format: "%08x", CRC32.checksum(new)))
        #expect(rows[2].packageJSONCRC32 != rows[1].packageJSONCRC32)
        #expect(rows.allSatisfy { $0.asset == "runners" && $0.source == "lambdas/functions/control-plane" })
    }

    @Test func theKnowledgeBaseAnswersBySizeAndCRC() throws {
        let kb = try TestEnvironment.knowledge()
        let assets = Set(kb.lambdaPackages.map(\.asset))
        #expect(assets == ["runners", "webhook", "runner-binaries-syncer", "ami-housekeeper", "termination-watcher"])
        for run in kb.lambdaPackages {
            #expect(run.entries.contains("index.js"))
            #expect((run.packageJSON != nil) == run.entries.contains("package.json"))
            if let sum = run.packageJSON { #expect(kb.lambdaPackages(packageJSON: sum).contains(run)) }
        }
        // package.json is zipped from 6.4.0 on, for every asset.
        for asset in assets {
            #expect(kb.lambdaPackages(asset: asset).filter { $0.packageJSON != nil }.map(\.first).min() == .v("6.4.0"), "\(asset)")
        }
    }

    /// The committed file is what the extractor writes from the module's own package.json files.
    @Test(.enabled(if: TestEnvironment.mirrorPath != nil, Needs.mirror))
    func theFileIsWhatTheMirrorSays() throws {
        let mirror = try #require(TestEnvironment.mirror())
        let (releases, range) = try TestEnvironment.releaseFiles(mirror, where: LambdaPackageBuilder.isPackageFile)
        let expected = LambdaPackageBuilder.yaml(LambdaPackageBuilder.build(releases), range: range)
        let committed = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("rules/knowledge/lambda-packages.yaml"), encoding: .utf8)
        #expect(committed == expected)
    }
}
