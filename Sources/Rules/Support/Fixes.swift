import AuditCore
import HCL
import Terraform

/// Machine-applicable edits that rules share.
public enum Fixes {
    /// Adds `name = value` (HCL) or `name: value` (YAML) to the place a fleet's inputs are written:
    /// right after the line of `after` when that input is written there, else before the closing
    /// brace of the module block. nil when there is no safe place (inputs built by functions).
    public static func addInput(_ name: String, value: String, to fleet: Fleet, after: FleetInput?, workspace: Workspace) -> [TextEdit]? {
        switch fleet.container {
        case .unknown:
            return nil
        case .yamlMapping(let range):
            guard let anchor = after, anchor.range.path == range.path,
                  let edit = insertAfterLine(of: anchor.range, text: "\(name): \(value)", workspace: workspace) else { return nil }
            return [edit]
        case .hclObject(let range):
            guard let anchor = after, anchor.range.path == range.path, range.contains(anchor.range.start),
                  let edit = insertAfterLine(of: anchor.range, text: "\(name) = \(value)", workspace: workspace) else { return nil }
            return [edit]
        case .moduleBlock(let block, let file):
            return addArgument(name, value: value, to: block, file: file, after: after?.range, workspace: workspace)
        }
    }

    /// Adds `name = value` to a `module` block: after the line of `after` when it lies in the
    /// block, else before the closing brace, indented like the block's first argument.
    public static func addArgument(_ name: String, value: String, to block: Block, file: String, after: SourceRange?, workspace: Workspace) -> [TextEdit]? {
        if let anchor = after, anchor.path == file, block.range.contains(anchor.start),
           let edit = insertAfterLine(of: anchor, text: "\(name) = \(value)", workspace: workspace) {
            return [edit]
        }
        guard let source = workspace.source(file), !block.closeBraceRange.isEmpty else { return nil }
        // After the last argument (or nested block), not after comments that close the block.
        let last = (block.body.attributes.map(\.range) + block.body.blocks.map(\.range)).max { $0.end.offset < $1.end.offset }
        if let last, last.path == file, last.end.line < block.closeBraceRange.start.line,
           let edit = insertAfterLine(of: last, text: "\(name) = \(value)", workspace: workspace) {
            return [edit]
        }
        let indent = block.body.attributes.first.map { indentation(ofLine: $0.range.start.line, in: source) } ?? "  "
        let closeLineStart = source.lineStarts[block.closeBraceRange.start.line - 1]
        let before = source.text(from: closeLineStart, to: block.closeBraceRange.start.offset)
        if before.allSatisfy({ $0 == " " || $0 == "\t" }) {
            let at = source.range(from: closeLineStart, to: closeLineStart)
            return [TextEdit(range: at, newText: "\(indent)\(name) = \(value)\n")]
        }
        let at = source.range(from: block.closeBraceRange.start.offset, to: block.closeBraceRange.start.offset)
        return [TextEdit(range: at, newText: "\n\(indent)\(name) = \(value)\n")]
    }

    /// Inserts a line after the line holding `range`, with that line's indentation and line ending;
    /// an HCL `name = value` is aligned with the `=` of that line, as `terraform fmt` would.
    static func insertAfterLine(of range: SourceRange, text: String, workspace: Workspace) -> TextEdit? {
        guard let source = workspace.source(range.path) else { return nil }
        let line = range.end.line
        let indent = indentation(ofLine: range.start.line, in: source)
        var text = text
        let anchorLine = source.lineText(range.start.line)
        if let eq = anchorLine.firstIndex(of: "="), let mine = text.rangeOfBytes(" = ") {
            let nameWidth = anchorLine.distance(from: anchorLine.startIndex, to: eq) - indent.count
            let name = String(text[..<mine.lowerBound])
            if nameWidth > name.count, anchorLine[..<eq].hasSuffix(" ") {
                text = name + String(repeating: " ", count: nameWidth - name.count - 1) + " = " + text[mine.upperBound...]
            }
        }
        let crlf = source.lineText(line).count < lineLength(line, in: source)
        let eol = crlf ? "\r\n" : "\n"
        if line < source.lineCount {
            let at = source.lineStarts[line]
            return TextEdit(range: source.range(from: at, to: at), newText: indent + text + eol)
        }
        let end = source.bytes.count
        return TextEdit(range: source.range(from: end, to: end), newText: eol + indent + text + eol)
    }

    static func lineLength(_ line: Int, in source: SourceFile) -> Int {
        let start = source.lineStarts[line - 1]
        let end = line < source.lineCount ? source.lineStarts[line] - 1 : source.bytes.count
        return String(decoding: source.bytes[start..<max(start, end)], as: UTF8.self).count
    }

    static func indentation(ofLine line: Int, in source: SourceFile) -> String {
        String(source.lineText(line).prefix { $0 == " " || $0 == "\t" })
    }
}

extension RuleContext {
    /// Every fleet with its facts at the target, skipping placeholders of unreadable maps
    /// (computed once per run: `facts`).
    public var fleetFacts: [FleetFacts] { facts.fleets }

    /// Related notes that explain which fleet and module call a finding is about.
    public func fleetNotes(_ facts: FleetFacts) -> [RelatedNote] {
        var notes = facts.call.callers
        notes.append(RelatedNote("module call `\(facts.call.address)` (\(facts.call.evidence.how))", at: facts.call.call.block.typeRange.union(facts.call.call.block.labels.first?.range ?? facts.call.call.block.typeRange)))
        if let key = facts.fleet.configKey {
            notes.append(RelatedNote("runner configuration `\(key)`", at: facts.fleet.anchor))
        } else if facts.fleet.template != nil {
            notes.append(RelatedNote("the body of the `for` that builds every fleet of this call", at: facts.fleet.anchor))
        }
        // Inputs whose value a workflow of the repository sets (`TF_VAR_*`).
        let inputs = facts.fleet.moduleInputs.merging(facts.fleet.inputs) { _, runner in runner }
        for name in inputs.keys.sorted() {
            let at = inputs[name]!.valueRange
            guard WorkflowVariables.isWorkflow(at.path) else { continue }
            notes.append(RelatedNote("`\(name)` gets its value from `\(WorkflowVariables.prefix)…` set in workflow `\(at.path)`", at: at))
        }
        return notes
    }
}
