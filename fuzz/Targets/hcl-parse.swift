import AuditCore
import HCL

/// The HCL native-syntax lexer and parser (files, lone expressions, templates) and the JSON syntax.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = source(data, count, path: "fuzz.tf")
    let parsed = HCLParser.parse(file)
    checkDiagnostics(parsed.diagnostics, in: file)
    checkBody(parsed.body, in: file)
    let (expression, expressionDiagnostics) = HCLParser.parseExpression(file)
    checkDiagnostics(expressionDiagnostics, in: file)
    checkRange(expression.range, in: file, "expression")
    let (_, templateDiagnostics) = HCLParser.parseTemplate(file)
    checkDiagnostics(templateDiagnostics, in: file)
    let json = HCLJSONParser.parse(SourceFile(path: "fuzz.tf.json", text: file.text))
    checkDiagnostics(json.diagnostics, in: SourceFile(path: "fuzz.tf.json", text: file.text))
    return 0
}

func checkBody(_ body: Body, in file: SourceFile) {
    checkRange(body.range, in: file, "body")
    for attribute in body.attributes {
        checkRange(attribute.range, in: file, "attribute")
        checkRange(attribute.expression.range, in: file, "attribute value")
    }
    for block in body.blocks {
        checkRange(block.range, in: file, "block")
        for label in block.labels { checkRange(label.range, in: file, "label") }
        checkBody(block.body, in: file)
    }
}
