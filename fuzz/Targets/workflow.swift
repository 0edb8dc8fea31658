import AuditCore
import Documents
import Foundation
@testable import Rules
import Terraform

/// The workflow reader: a `.github/workflows/` file parsed as the audit parses it, then the jobs
/// that ask for self-hosted runners read from it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: ".github/workflows/ci.yml")
    let parsed = WorkspaceFile.parse(file, kind: .yaml, isTemplate: false)
    checkDiagnostics(parsed.diagnostics, in: file)
    let workspace = Workspace(files: [file.path: parsed], fileSystem: MemoryFileSystem([:]))
    for job in WorkflowLabelRule.selfHostedJobs(workspace) {
        checkRange(job.range, in: file, "job \(job.id)")
        precondition(!job.labels.isEmpty)
    }
    return 0
}
