import AuditCore
import Testing

@testable import Reporters

/// Every format rendered from the fixed fixture report and from a clean report, compared with
/// the committed files in `Snapshots/`.
@Suite struct SnapshotTests {
    @Test(arguments: OutputFormat.allCases)
    func fixture(format: OutputFormat) throws {
        let output = render(Fixture.report, as: format, options: RenderOptions(sources: Fixture.sources))
        try Snapshot.check(output, named: "fixture-\(format.rawValue).\(format.fileExtension)")
    }

    @Test(arguments: OutputFormat.allCases)
    func clean(format: OutputFormat) throws {
        let output = render(Fixture.cleanReport, as: format)
        try Snapshot.check(output, named: "clean-\(format.rawValue).\(format.fileExtension)")
    }

    @Test func textInColour() throws {
        let output = render(Fixture.report, as: .text, options: RenderOptions(color: true, sources: Fixture.sources))
        try Snapshot.check(output, named: "fixture-text-color.txt")
    }

    @Test func textWithoutSources() throws {
        let output = render(Fixture.report, as: .text)
        try Snapshot.check(output, named: "fixture-text-nosources.txt")
    }
}
