import AuditCore
import Documents

/// The positioned YAML front end (Yams' events composed into nodes with ranges, anchors, merge
/// keys, the depth estimate and the alias budget).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: "fuzz.yaml")
    let stream = YAML.parse(file)
    checkDiagnostics(stream.diagnostics, in: file)
    for document in stream.documents { check(document, in: file) }
    return 0
}

func check(_ node: YAMLNode, in file: SourceFile) {
    checkRange(node.range, in: file, "YAML node")
    switch node.kind {
    case .mapping(let pairs):
        for p in pairs {
            check(p.key, in: file)
            check(p.value, in: file)
        }
    case .sequence(let elements): for e in elements { check(e, in: file) }
    case .scalar: break
    }
}
