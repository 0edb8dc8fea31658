import AuditCore
import Scripts

/// The PowerShell scanner, parser, data flow and marker classification, as a plain script and as a
/// Terraform template.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: "fuzz.ps1")
    for template in [false, true] {
        let report = ScriptAnalysis.analyze(file, language: .powershell, template: template)
        checkDiagnostics(report.diagnostics, in: file)
    }
    return 0
}
