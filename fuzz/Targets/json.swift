import AuditCore
import Documents

/// The positioned JSON parser: strict, with the lenient dialect, and with Terraform template
/// directives (`.json.tpl` policies).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: "fuzz.json")
    let (root, diagnostics) = JSON.parse(file)
    checkDiagnostics(diagnostics, in: file)
    if let root { check(root, in: file) }
    let templated = JSON.parseTemplated(file)
    checkDiagnostics(templated.diagnostics, in: file)
    for span in templated.templateSpans { checkRange(span.range, in: file, "template span") }
    if let root = templated.root { check(root, in: file) }
    return 0
}

func check(_ node: JSONNode, in file: SourceFile) {
    checkRange(node.range, in: file, "JSON node")
    switch node.kind {
    case .object(let members):
        for m in members {
            checkRange(m.keyRange, in: file, "JSON key")
            check(m.value, in: file)
        }
    case .array(let elements): for e in elements { check(e, in: file) }
    default: break
    }
}
