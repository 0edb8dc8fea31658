import Knowledge
import AuditCore
import HCL

/// What one release declares for one input, read with `HCLTextScanner`.
package struct InputFacts: Sendable, Hashable {
    /// The type expression as one line of HCL (`TypeText.normalized`); nil when none is declared.
    package var type: String?
    /// Variables: the default expression, whitespace collapsed, comments removed; nil when required.
    package var defaultValue: String?
    /// The text the lifespans data compares between releases, formed the same way: variables →
    /// default (`null` when `default = null`, `<REQUIRED>` without default) cut to 120
    /// characters; object fields → type expression cut to 160 characters; whitespace collapsed.
    package var compared: String
    /// Marked deprecated: declared in a `*deprecated*.tf` file, or `DEPRECATED` in its
    /// description, or "deprecated" in a validation's `error_message`.
    package var deprecated: Bool
    /// Nested object field paths of the type (`metric`, `metric.enable_job_retry`), if an object.
    package var fieldPaths: Set<String>
    /// The file that declares it, relative to the repository root.
    package var file: String
    /// Variables: the `validation` blocks, in declaration order.
    package var validations: [ValidationFacts] = []
}

/// One `validation` block as the knowledge base records it.
package struct ValidationFacts: Sendable, Hashable {
    /// The condition's text, each line trimmed, comments kept, lines joined with line feeds.
    package var condition: String
    /// The error message Terraform prints (see `ValidationText.message`).
    package var message: String
}

/// Every input of every scope at one release.
package typealias InputSnapshot = [InputScope: [String: InputFacts]]

/// Reads the inputs of one release from the texts of its `variables*.tf` files.
package enum InputSnapshotReader {
    /// Whether a repository path is one of the files the snapshot reads.
    package static func isVariablesFile(_ path: String) -> Bool {
        let dir = Paths.directory(of: path), name = Paths.fileName(of: path)
        guard name.hasPrefix("variables"), name.hasSuffix(".tf") else { return false }
        return dir == "" || dir == "modules/multi-runner" || dir == "modules/runners"
    }

    /// `files`: repository path → text, for the paths `isVariablesFile` accepts.
    package static func read(files: [String: String]) -> InputSnapshot {
        var snapshot: InputSnapshot = [:]
        for path in files.keys.sorted() where isVariablesFile(path) {
            let scope: InputScope
            switch Paths.directory(of: path) {
            case "": scope = .root
            case "modules/multi-runner": scope = .multiRunner
            default: scope = .runners
            }
            let scanner = HCLTextScanner(files[path]!)
            for item in scanner.items(in: scanner.all) {
                guard item.name == "variable", case let .block(labels, body) = item.kind, let name = labels.first else { continue }
                let facts = variableFacts(scanner, name: name, body: body, file: path)
                snapshot[scope, default: [:]][name] = facts
                if scope == .multiRunner, name == "multi_runner_config", let typeRange = scanner.attribute("type", in: body) {
                    let description = scanner.attribute("description", in: body).map(scanner.text) ?? ""
                    readMultiRunnerConfig(scanner, typeRange: typeRange, deprecatedFields: deprecatedFields(in: description),
                                          file: path, into: &snapshot)
                }
            }
        }
        return snapshot
    }

    private static func variableFacts(_ scanner: HCLTextScanner, name: String, body: Range<Int>, file: String) -> InputFacts {
        let items = scanner.items(in: body)
        var type: String?, defaultValue: String?, description = "", deprecatedValidation = false
        var fieldPaths: Set<String> = []
        var hasDefault = false
        var validations: [ValidationFacts] = []
        for item in items {
            switch (item.name, item.kind) {
            case let ("type", .attribute(value)):
                type = TypeText.normalized(scanner, value)
                fieldPaths = self.fieldPaths(scanner, typeRange: value)
            case let ("default", .attribute(value)):
                hasDefault = true
                defaultValue = scanner.collapsedText(value, stripComments: true)
            case let ("description", .attribute(value)):
                description = scanner.text(value)
            case let ("validation", .block(_, validationBody)):
                if let condition = scanner.attribute("condition", in: validationBody),
                   let message = scanner.attribute("error_message", in: validationBody) {
                    validations.append(ValidationFacts(condition: ValidationText.condition(scanner.text(condition)),
                                                       message: ValidationText.message(scanner.text(message))))
                }
                // A validation that says the variable itself is deprecated, not one of its fields
                // (`instance_termination_watcher.enable_metric is deprecated`, or a condition on
                // `var.instance_termination_watcher.enable_metrics` whatever its message says).
                if let message = scanner.attribute("error_message", in: validationBody) {
                    let text = scanner.text(message)
                    let condition = scanner.attribute("condition", in: validationBody).map(scanner.text) ?? ""
                    if text.lowercased().contains("deprecated"), !text.contains(name + "."), !condition.contains("var.\(name).") {
                        deprecatedValidation = true
                    }
                }
            default:
                break
            }
        }
        var compared = "<REQUIRED>"
        if hasDefault, let range = scanner.attribute("default", in: body) {
            compared = truncate(scanner.collapsedText(range), to: 120)
        }
        let deprecated = Paths.fileName(of: file).contains("deprecated") || startsDeprecated(description) || deprecatedValidation
        return InputFacts(type: type, defaultValue: hasDefault ? defaultValue : nil, compared: compared, deprecated: deprecated,
                          fieldPaths: fieldPaths, file: file, validations: validations)
    }

    private static func fieldPaths(_ scanner: HCLTextScanner, typeRange: Range<Int>, prefix: String = "", depth: Int = 0) -> Set<String> {
        guard depth < 6, let fields = scanner.objectTypeFields(in: typeRange) else { return [] }
        var out: Set<String> = []
        for field in fields {
            guard case let .attribute(value) = field.kind else { continue }
            let path = prefix + field.name
            out.insert(path)
            out.formUnion(fieldPaths(scanner, typeRange: value, prefix: path + ".", depth: depth + 1))
        }
        return out
    }

    /// `multi_runner_config = map(object({ runner_config = object({…}), matcherConfig = object({…}), … }))`.
    private static func readMultiRunnerConfig(_ scanner: HCLTextScanner, typeRange: Range<Int>, deprecatedFields: Set<String>,
                                              file: String, into snapshot: inout InputSnapshot) {
        guard let top = scanner.objectTypeFields(in: typeRange) else { return }
        for field in top {
            guard case let .attribute(value) = field.kind else { continue }
            var facts = fieldFacts(scanner, value: value, file: file)
            facts.deprecated = deprecatedFields.contains(field.name)
            snapshot[.multiRunnerConfig, default: [:]][field.name] = facts
            let nestedScope: InputScope? = field.name == "runner_config" ? .runnerConfig : field.name == "matcherConfig" ? .matcherConfig : nil
            guard let nestedScope, let nested = scanner.objectTypeFields(in: value) else { continue }
            for sub in nested {
                guard case let .attribute(subValue) = sub.kind else { continue }
                var facts = fieldFacts(scanner, value: subValue, file: file)
                facts.deprecated = deprecatedFields.contains(sub.name)
                snapshot[nestedScope, default: [:]][sub.name] = facts
            }
        }
    }

    private static func fieldFacts(_ scanner: HCLTextScanner, value: Range<Int>, file: String) -> InputFacts {
        InputFacts(type: TypeText.normalized(scanner, value), defaultValue: nil,
                   compared: truncate(scanner.collapsedText(value), to: 160), deprecated: false,
                   fieldPaths: fieldPaths(scanner, typeRange: value), file: file)
    }

    /// A description that begins by saying so: `DEPRECATED: …`, `[DEPRECATED] …`, `(Deprecated, …`.
    static func startsDeprecated(_ description: String) -> Bool {
        var t = Substring(description)
        if t.hasPrefix("<<"), let newline = t.firstIndex(of: "\n") { t = t[t.index(after: newline)...] }  // heredoc
        t = t.drop(while: { $0 == "\"" || $0 == "(" || $0 == "[" || $0 == " " || $0 == "\t" || $0 == "\n" })
        return t.lowercased().hasPrefix("deprecated")
    }

    /// Field names that the `multi_runner_config` description documents as deprecated: lines
    /// `name: "DEPRECATED: …"` (the description lists every field that way).
    static func deprecatedFields(in description: String) -> Set<String> {
        var out: Set<String> = []
        for line in description.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            guard let colon = trimmed.firstIndex(of: ":") else { continue }
            let name = trimmed[..<colon]
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            if startsDeprecated(String(trimmed[trimmed.index(after: colon)...])) { out.insert(String(name)) }
        }
        return out
    }

    static func truncate(_ s: String, to n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n))
    }
}

/// The knowledge base's type texts: the type expression read with the HCL parser and written back
/// on one line in normal form (`Expression.normalizedSource`: comments and layout dropped, object
/// attributes separated by commas), so that the audit parses it as Terraform source.
package enum TypeText {
    /// The normal form of the type expression at `range`; the whitespace-collapsed text when the
    /// parser cannot read it (a test checks that no stored type is such a text).
    static func normalized(_ scanner: HCLTextScanner, _ range: Range<Int>) -> String {
        normalized(scanner.text(range)) ?? scanner.collapsedText(range, stripComments: true)
    }

    package static func normalized(_ text: String) -> String? {
        let (e, diagnostics) = HCLParser.parseExpression(SourceFile(path: "type", text: text))
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return nil }
        return e.normalizedSource
    }
}
