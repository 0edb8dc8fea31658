import AuditCore

/// The shell dialect of a start script.
public enum ScriptLanguage: String, Sendable, Hashable, Codable, CaseIterable {
    case bash
    case powershell
}

// MARK: - Words

/// A variable expansion inside a word: `$name`, `${name}`, `${name:-x}`, `$1`, PowerShell `$env:X`.
///
/// `name` is the variable as written without sigil, braces or operators (`config`, `1`, `@`, `env:PATH`).
/// PowerShell scope prefixes other than `env:` (`script:`, `global:`, `local:`, `private:`, `using:`)
/// are dropped; compare PowerShell names case-insensitively.
public struct VariableReference: Sendable, Hashable {
    public var name: String
    public var range: SourceRange
    /// Inside double quotes (or a PowerShell expandable string).
    public var quoted: Bool
    let scanStart: Int
    let scanEnd: Int
}

/// A nested script inside a word: `$( … )`, `` `…` ``, `<( … )`, PowerShell `( … )`, `$( … )`,
/// `@( … )`, `{ … }`, `@{ … }`.
public struct CommandSubstitution: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case command, backtick, process, group, subexpression, array, scriptBlock, hashtable
    }

    public var kind: Kind
    public var range: SourceRange
    /// Indices (into `ScannedScript.commands`) of the commands at the top level of the nested script.
    public var commands: [Int]
    let scanStart: Int
    let scanEnd: Int
}

/// One piece of a word, in order.
public enum WordPart: Sendable, Hashable {
    /// Literal text after quote removal and escape processing.
    case literal(String, quoted: Bool)
    case variable(VariableReference)
    case substitution(CommandSubstitution)
    /// `$(( … ))`, `(( … ))`, PowerShell type literals and indexers: text kept as written.
    case opaque(String)
}

/// A shell word (bash) or a run of adjacent tokens (PowerShell) with its exact range.
public struct ScriptWord: Sendable, Hashable {
    public var range: SourceRange
    /// The word as the shell sees it (for templates: after `$${`/`%%{` escapes are resolved).
    public var text: String
    /// Quote-removed value; expansions appear as written (`$config`, `${config}`).
    public var value: String
    public var parts: [WordPart]
    let scanStart: Int
    let scanEnd: Int

    /// Variable references directly in this word (not inside nested substitutions).
    public var references: [VariableReference] {
        parts.compactMap { if case .variable(let v) = $0 { v } else { nil } }
    }

    /// Nested substitutions directly in this word.
    public var substitutions: [CommandSubstitution] {
        parts.compactMap { if case .substitution(let s) = $0 { s } else { nil } }
    }

    /// The value when the word holds no expansion at all.
    public var literalValue: String? {
        for part in parts {
            switch part {
            case .literal: continue
            default: return nil
            }
        }
        return value
    }

    /// The reference when the word is exactly one variable expansion (`$x`, `"$x"`, `${x}`).
    public var singleVariable: VariableReference? {
        var found: VariableReference?
        for part in parts {
            switch part {
            case .variable(let v):
                if found != nil { return nil }
                found = v
            case .literal(let s, _) where s.isEmpty:
                continue
            default:
                return nil
            }
        }
        return found
    }

    /// True when any part of the word was quoted.
    public var isQuoted: Bool {
        parts.contains { part in
            switch part {
            case .literal(_, let q): q
            case .variable(let v): v.quoted
            default: false
            }
        }
    }
}

// MARK: - Conditions

/// A condition as far as a static reader can take it apart.
public indirect enum ConditionExpression: Sendable, Hashable {
    case and(ConditionExpression, ConditionExpression)
    case or(ConditionExpression, ConditionExpression)
    case not(ConditionExpression)
    /// `a == b`, `a != b`, `-eq`, `-ne`, `=~`, `-like`, … (`op` as written, PowerShell lower-cased).
    case compare(ScriptWord, op: String, ScriptWord)
    /// `-z w`, `-n w`, `-f w`, …
    case unary(op: String, ScriptWord)
    /// `[[ w ]]`, `[ w ]`, PowerShell `if ($w)`: true when the value is non-empty.
    case truthy(ScriptWord)
    /// `case subject in patterns)` / PowerShell `switch (subject) { pattern { … } }`.
    case matches(ScriptWord, patterns: [ScriptWord])
    /// The exit status of a command (index into `ScannedScript.commands`).
    case command(Int)
    case unknown
}

/// One condition that guards a command, outermost first in `ScriptCommand.conditions`.
public struct ScriptCondition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `if`/`elif` (bash), `if`/`elseif` (PowerShell).
        case `if`
        case `while`
        case until
        /// `for`/`select`/`foreach` loops: the body may run zero times.
        case loop
        /// `case … in pattern)` arms and PowerShell `switch` clauses.
        case `case`
        /// `a && b`: `b` is guarded by `a` holding.
        case andList
        /// `a || b`: `b` is guarded by `a` failing.
        case orList
        /// PowerShell `catch`/`trap` blocks: run only on error.
        case `catch`
        /// Terraform template `%{ if … }` / `%{ else }`.
        case templateIf
        /// Terraform template `%{ for … }`.
        case templateFor
    }

    public var kind: Kind
    /// The condition as written (for `if` the list between `if` and `then`, for templates the expression).
    public var text: String
    public var range: SourceRange
    /// True when the guarded code runs if the condition holds; false for `else`/earlier `elif` arms,
    /// `||` and `until`.
    public var holds: Bool
    public var expression: ConditionExpression
}

// MARK: - Commands

public struct ScriptRedirection: Sendable, Hashable {
    /// `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `2>&1`, …
    public var op: String
    public var range: SourceRange
    public var target: ScriptWord?
    /// For `<<`/`<<-`: the body.
    public var heredoc: Heredoc?
}

public struct Heredoc: Sendable, Hashable {
    public var delimiter: String
    /// The delimiter was quoted (`<<'EOF'`): no expansion in the body.
    public var quoted: Bool
    public var stripsTabs: Bool
    /// The body lines, without the delimiter line.
    public var bodyRange: SourceRange
    /// The body was read as a script (it is written to a `.sh` file or fed to a shell).
    public var scannedAsScript: Bool
}

/// `name=value`, `local name=value`, `export NAME=…`, PowerShell `$name = …`.
public struct ScriptAssignment: Sendable, Hashable {
    public var name: String
    public var nameRange: SourceRange
    /// The whole assignment.
    public var range: SourceRange
    /// Bash: the value word (nil for `name=`). PowerShell: nil.
    public var value: ScriptWord?
    /// PowerShell: the commands (top-level pipeline elements) on the right-hand side.
    public var valueCommands: [Int]
    /// The value as written.
    public var valueText: String
}

public struct ScriptCommand: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A simple command (possibly only assignments).
        case simple
        /// `[[ … ]]`.
        case test
        /// `(( … ))`.
        case arithmetic
        /// A PowerShell pipeline element that is an expression, not a command invocation.
        case expression
        /// A PowerShell assignment statement (`$x = …`); the right-hand side is in `assignments`.
        case assignment
    }

    public enum Context: String, Sendable, Hashable, Codable {
        /// A statement of the script (or of a function body, block, subshell).
        case statement
        /// Part of the condition of an `if`/`while`/`until`.
        case condition
        /// Inside `$( … )`, backticks, PowerShell `( … )`/`$( … )`/`{ … }` in a word.
        case substitution
        /// Inside a here-document read as a script.
        case heredoc
        /// Inside a string executed by `bash -c`, `su -c`, `eval`, `trap`, `Invoke-Expression`, ….
        case embedded
    }

    public var index: Int
    public var kind: Kind
    /// Arguments including the command name; assignment prefixes and redirections excluded.
    public var words: [ScriptWord]
    public var assignments: [ScriptAssignment]
    public var redirections: [ScriptRedirection]
    public var range: SourceRange
    /// Every condition guarding this command, outermost first (includes template `%{ if }` directives).
    public var conditions: [ScriptCondition]
    /// The innermost enclosing function.
    public var function: String?
    public var context: Context
    /// The enclosing command for substitutions, here-documents and embedded strings.
    public var parent: Int?
    /// The previous element of the same pipeline (`a | b`: `b.pipelinePredecessor == a`).
    public var pipelinePredecessor: Int?
    /// For `[[ ]]`, `[ ]`, `test`: the parsed test.
    public var test: ConditionExpression?
    /// Index in `words` of the command actually run, after wrappers such as `sudo … --`, `env`,
    /// `nohup`, PowerShell `&`.
    public var nameIndex: Int?
    /// The program actually run (`./config.sh`, `.\run.cmd`); for `Start-Process` the `-FilePath`.
    public var effectiveName: String? {
        didSet {
            programName = effectiveName.map(ScriptCommand.basename)
            programKey = programName?.lowercased()
        }
    }
    /// The arguments the program receives; for `Start-Process` the `-ArgumentList` words.
    public var effectiveArguments: [ScriptWord]

    /// The last path component of `effectiveName` (`config.sh` for `/opt/actions-runner/config.sh`),
    /// kept as `effectiveName` changes: the rules and scanners ask for it many times per command,
    /// and a name can be as long as the script (a word of 20,000 nested substitutions).
    public internal(set) var programName: String? = nil
    /// `programName` lowercased, kept with it (PowerShell names and `.exe` compare without case).
    public internal(set) var programKey: String? = nil

    static func basename(_ path: String) -> String {
        let utf8 = path.utf8
        guard let slash = utf8.lastIndex(where: { $0 == 0x2F || $0 == 0x5C }) else { return path }
        return String(path[utf8.index(after: slash)...])
    }
}

/// A function definition (`name() { … }`, `function name { … }`, PowerShell `function Name { … }`).
public struct ScriptFunction: Sendable, Hashable {
    public var name: String
    public var nameRange: SourceRange
    public var range: SourceRange
    public var bodyRange: SourceRange
    /// PowerShell parameter names in order (without `$`); empty for bash.
    public var parameters: [String]
}

// MARK: - Templates

/// `${expression}` in a Terraform template.
public struct TemplatePlaceholder: Sendable, Hashable {
    /// The expression without `${`, `}` and strip markers, trimmed.
    public var expression: String
    /// The variable name when the expression is a bare identifier (`start_runner`).
    public var name: String?
    /// The whole `${…}`.
    public var range: SourceRange
}

/// `%{ if … }`, `%{ else }`, `%{ endif }`, `%{ for … }`, `%{ endfor }` in a Terraform template.
public struct TemplateDirective: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable { case `if`, `else`, endif, `for`, endfor }
    public var kind: Kind
    /// The expression after the keyword (`metadata_tags == "enabled"`), empty for `else`/`endif`/`endfor`.
    public var expression: String
    public var range: SourceRange
}

// MARK: - Scan result

/// Everything the scanner knows about one script.
public struct ScannedScript: Sendable {
    public let source: SourceFile
    public let language: ScriptLanguage
    public let isTemplate: Bool
    /// The text the shell scanner read: the file itself, or for templates the file with template
    /// escapes resolved, directives removed and placeholders kept as `${name}`.
    public let renderedText: String
    public internal(set) var commands: [ScriptCommand]
    public internal(set) var functions: [ScriptFunction]
    public internal(set) var placeholders: [TemplatePlaceholder]
    public internal(set) var directives: [TemplateDirective]
    public internal(set) var diagnostics: [Diagnostic]
    let map: OffsetMap
    let renderedBytes: [UInt8]
    let columns: ColumnIndex

    /// The commands whose program is `name` (compared on the last path component; case-insensitive
    /// for PowerShell and `.cmd`/`.exe` names).
    public func commands(named name: String) -> [ScriptCommand] {
        commands.filter { cmd in
            guard let program = cmd.programName else { return false }
            return sameProgram(program, name)
        }
    }

    public func function(named name: String) -> ScriptFunction? {
        functions.first { language == .powershell ? $0.name.lowercased() == name.lowercased() : $0.name == name }
    }

    private func sameProgram(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        let lower = a.lowercased()
        let windowsName = lower.hasSuffix(".cmd") || lower.hasSuffix(".exe") || lower.hasSuffix(".bat") || lower.hasSuffix(".ps1")
        return (language == .powershell || windowsName) && lower == b.lowercased()
    }

    /// The original range for rendered byte offsets `[start, end)`.
    func range(_ start: Int, _ end: Int) -> SourceRange {
        let s = map.original(start: start)
        let e = max(s, map.original(end: end))
        return columns.range(from: s, to: e)
    }
}
