import AuditCore
import Foundation
@testable import Gate

/// A finding of `rule` at 1-based `line`, column 1 of `path`, for suppression tests.
func finding(_ rule: String, _ source: SourceFile, line: Int, tags: [String] = []) -> Finding {
    let start = source.lineStarts[line - 1]
    return Finding(ruleId: rule, severity: .error, tags: tags, message: "\(rule) fired",
                   location: source.range(from: start, to: start + 1))
}
