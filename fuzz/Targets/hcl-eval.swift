import AuditCore
import Foundation
import HCL

/// The HCL evaluator and function library on whatever the parser makes of the input: every
/// attribute, the input as one expression and as a template, with `file()` reading a small tree.
let context = EvalContext(
    variables: [
        "var": .object(["key": .string("k"), "runners": .list([.object(["name": .string("a"), "os": .string("linux")])]),
                        "enabled": .bool(true), "env": .string("dev"), "n": .number(3), "x": .number(2),
                        "m": .object(["a": .list([.string("b")]), "c": .unknown("c")])]),
        "local": .object(["tags": .object(["a": .string("b")]), "configs": .object([:]), "s": .string("é😀")]),
        "module": .unknown("module outputs"), "each": .object(["key": .string("k"), "value": .number(1)]),
        "count": .object(["index": .number(0)]), "path": .object(["module": .string("."), "root": .string(".")]),
    ],
    fileSystem: MemoryFileSystem(["start.sh": "#!/bin/bash\necho ${x}\n", "p.json": "{\"a\": [1, 2]}", "c.yaml": "a: [1, 2]\n",
                                  "t.tftpl": "%{ for k, v in m }${k}=${v}%{ endfor }"]))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: "fuzz.tf")
    let parsed = HCLParser.parse(file)
    var diagnostics: [Diagnostic] = []
    func attributes(_ body: Body) -> [Attribute] { body.attributes + body.blocks.flatMap { attributes($0.body) } }
    for attribute in attributes(parsed.body) { diagnostics += HCL.evaluate(attribute.expression, in: context).1 }
    let (expression, _) = HCLParser.parseExpression(file)
    diagnostics += HCL.evaluate(expression, in: context).1
    let (parts, _) = HCLParser.parseTemplate(file)
    diagnostics += evaluateTemplate(parts, range: file.fullRange, in: context).1
    checkDiagnostics(diagnostics, in: file)
    return 0
}
