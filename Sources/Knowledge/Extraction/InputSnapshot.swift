import AuditCore

/// What one release declares for one input, read with `HCLTextScanner`.
package struct InputFacts: Sendable, Hashable {
    /// The type expression, whitespace collapsed, comments removed; nil when none is declared.
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
                let facts = variableFacts(scanner, body: body, file: path)
                snapshot[scope, default: [:]][name] = facts
                if scope == .multiRunner, name == "multi_runner_config", let typeRange = scanner.attribute("type", in: body) {
                    readMultiRunnerConfig(scanner, typeRange: typeRange, file: path, into: &snapshot)
                }
            }
        }
        return snapshot
    }

    private static func variableFacts(_ scanner: HCLTextScanner, body: Range<Int>, file: String) -> InputFacts {
        let items = scanner.items(in: body)
        var type: String?, defaultValue: String?, description = "", deprecatedValidation = false
        var fieldPaths: Set<String> = []
        var hasDefault = false
        for item in items {
            switch (item.name, item.kind) {
            case let ("type", .attribute(value)):
                type = scanner.collapsedText(value, stripComments: true)
                fieldPaths = self.fieldPaths(scanner, typeRange: value)
            case let ("default", .attribute(value)):
                hasDefault = true
                defaultValue = scanner.collapsedText(value, stripComments: true)
            case let ("description", .attribute(value)):
                description = scanner.text(value)
            case let ("validation", .block(_, validationBody)):
                if let message = scanner.attribute("error_message", in: validationBody),
                   scanner.text(message).lowercased().contains("deprecated") {
                    deprecatedValidation = true
                }
            default:
                break
            }
        }
        var compared = "<REQUIRED>"
        if hasDefault, let range = scanner.attribute("default", in: body) {
            compared = truncate(scanner.collapsedText(range), to: 120)
        }
        let deprecated = Paths.fileName(of: file).contains("deprecated") || description.contains("DEPRECATED") || deprecatedValidation
        return InputFacts(type: type, defaultValue: hasDefault ? defaultValue : nil, compared: compared, deprecated: deprecated,
                          fieldPaths: fieldPaths, file: file)
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
    private static func readMultiRunnerConfig(_ scanner: HCLTextScanner, typeRange: Range<Int>, file: String, into snapshot: inout InputSnapshot) {
        guard let top = scanner.objectTypeFields(in: typeRange) else { return }
        for field in top {
            guard case let .attribute(value) = field.kind else { continue }
            snapshot[.multiRunnerConfig, default: [:]][field.name] = fieldFacts(scanner, value: value, file: file)
            let nestedScope: InputScope? = field.name == "runner_config" ? .runnerConfig : field.name == "matcherConfig" ? .matcherConfig : nil
            guard let nestedScope, let nested = scanner.objectTypeFields(in: value) else { continue }
            for sub in nested {
                guard case let .attribute(subValue) = sub.kind else { continue }
                snapshot[nestedScope, default: [:]][sub.name] = fieldFacts(scanner, value: subValue, file: file)
            }
        }
    }

    private static func fieldFacts(_ scanner: HCLTextScanner, value: Range<Int>, file: String) -> InputFacts {
        InputFacts(type: scanner.collapsedText(value, stripComments: true), defaultValue: nil,
                   compared: truncate(scanner.collapsedText(value), to: 160), deprecated: false,
                   fieldPaths: fieldPaths(scanner, typeRange: value), file: file)
    }

    static func truncate(_ s: String, to n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n))
    }
}
