import AuditCore

/// Scans bash and PowerShell scripts (and Terraform templates of them) into commands with exact ranges.
public enum ScriptScanner {
    /// Scans `source`. With `template: true` the file is read as a Terraform `templatefile` source:
    /// `$${`/`%%{` escapes are resolved, `%{ if }`/`%{ for }` directives become conditions of the
    /// commands inside them and `${…}` placeholders are recorded. Never throws; problems are
    /// diagnostics.
    public static func scan(_ source: SourceFile, language: ScriptLanguage, template: Bool) -> ScannedScript {
        var rendering: TemplateRendering?
        let builder: ScriptBuilder
        if template {
            let r = TemplateRenderer.render(source)
            rendering = r
            builder = ScriptBuilder(source: source, language: language, bytes: r.bytes, map: r.map, regions: r.regions)
        } else {
            builder = ScriptBuilder(source: source, language: language, bytes: source.bytes,
                                    map: .identity(length: source.bytes.count), regions: [])
        }
        switch language {
        case .bash: BashParser.scan(builder)
        case .powershell: PowerShellParser.scan(builder)
        }
        IndirectExecution.resolve(builder)
        builder.functions.sort { ($0.range.start.offset, $0.name) < ($1.range.start.offset, $1.name) }
        return builder.finish(isTemplate: template, rendering: rendering)
    }
}

/// Commands run through a variable: bash `$cmd …` / `eval "$cmd"`, PowerShell `Invoke-Expression $cmd`
/// / `& $cmd`. When the variable is assigned a string, that string is scanned as a script, with the
/// conditions of the place that runs it.
enum IndirectExecution {
    static func resolve(_ b: ScriptBuilder) {
        let ps = b.language == .powershell
        func key(_ name: String) -> String { ps ? name.lowercased() : name }
        var assignments: [String: [ScriptAssignment]] = [:]
        for cmd in b.commands {
            for a in cmd.assignments { assignments[key(a.name), default: []].append(a) }
        }
        guard !assignments.isEmpty else { return }
        let count = b.commands.count
        for i in 0..<count {
            let cmd = b.commands[i]
            guard let variable = target(of: cmd, powershell: ps) else { continue }
            for a in assignments[key(variable.name)] ?? [] {
                guard let (s, e) = content(of: a, b) else { continue }
                if ps {
                    _ = PowerShellParser.scanEmbedded(b, start: s, end: e, guards: cmd.conditions, function: cmd.function,
                                                      context: .embedded, parent: i, depth: 1)
                } else {
                    _ = BashParser.scanEmbedded(b, start: s, end: e, guards: cmd.conditions, function: cmd.function,
                                                context: .embedded, parent: i, depth: 1)
                }
            }
        }
    }

    private static func target(of cmd: ScriptCommand, powershell: Bool) -> VariableReference? {
        guard cmd.kind == .simple, let n = cmd.nameIndex, n < cmd.words.count else { return nil }
        let program = cmd.programKey ?? ""
        if powershell {
            if program == "invoke-expression" || program == "iex" {
                return cmd.effectiveArguments.first { !$0.value.hasPrefix("-") }?.singleVariable
            }
            if n > 0, cmd.words[0].value == "&" { return cmd.words[n].singleVariable }
            return nil
        }
        if program == "eval", cmd.effectiveArguments.count == 1 { return cmd.effectiveArguments[0].singleVariable }
        return cmd.words[n].singleVariable
    }

    private static func content(of a: ScriptAssignment, _ b: ScriptBuilder) -> (Int, Int)? {
        if b.language == .bash {
            guard let v = a.value, v.scanEnd > v.scanStart else { return nil }
            return BashParser.contentRange(v, b.bytes)
        }
        guard a.valueCommands.count == 1, a.valueCommands[0] < b.commands.count else { return nil }
        let rhs = b.commands[a.valueCommands[0]]
        guard rhs.kind == .expression, rhs.words.count == 1, let first = rhs.words[0].text.utf8.first,
              first == Byte.dquote || first == Byte.squote || first == Byte.at else { return nil }
        return PowerShellParser.contentRange(rhs.words[0], b.bytes)
    }
}

extension ScriptLanguage {
    /// The language of a file from its name (`.sh`, `.bash`, `.ps1`, also under a template extension
    /// such as `start.sh.tftpl`), its shebang, or — for template and extension-less files — its content.
    /// Nil when the file is not recognisably a script.
    public static func detect(path: String, text: String) -> ScriptLanguage? {
        var name = ScriptCommand.basename(path).lowercased()
        var templated = false
        for ext in TemplateDetection.templateExtensions where name.hasSuffix(ext) {
            name = String(name.dropLast(ext.count))
            templated = true
            break
        }
        if name.hasSuffix(".sh") || name.hasSuffix(".bash") { return .bash }
        if name.hasSuffix(".ps1") || name.hasSuffix(".psm1") { return .powershell }
        let head = String(text.prefix(4096))
        let firstLine = head.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if firstLine.hasPrefix("#!") {
            if firstLine.contains("pwsh") || firstLine.contains("powershell") { return .powershell }
            if ["sh", "bash", "zsh", "dash", "ksh"].contains(where: { firstLine.hasSuffix("/" + $0) || firstLine.contains("/" + $0 + " ") || firstLine.hasSuffix(" " + $0) || firstLine.contains(" " + $0 + " ") }) {
                return .bash
            }
        }
        guard templated || !name.contains(".") else { return nil }
        let lower = head.lowercased()
        if lower.contains("<powershell>") { return .powershell }
        let psSignals = ["write-host", "$erroractionpreference", "invoke-restmethod", "invoke-webrequest", "set-content",
                         "new-item", "start-process", "$env:", "-erroraction"]
        let shSignals = ["#!/", "\nfi\n", " then\n", "; then", "\nexport ", "\necho ", "$(", "\ndone"]
        let ps = psSignals.filter { lower.contains($0) }.count
        let sh = shSignals.filter { lower.contains($0) }.count
        if ps == 0 && sh == 0 { return nil }
        return ps > sh ? .powershell : .bash
    }
}

/// Whether a script is a Terraform template (rendered by `templatefile`) rather than a plain script.
public enum TemplateDetection {
    public static let templateExtensions = [".tftpl", ".tpl", ".tmpl"]

    /// Template variables the module passes to its user-data and start-runner templates.
    public static let moduleTemplateVariables: Set<String> = [
        "start_runner", "pre_install", "install_runner", "post_install", "s3_location_runner_distribution",
        "ssm_key_cloudwatch_agent_config", "hook_job_started", "hook_job_completed", "enable_debug_logging",
        "ghes_ssl_verify", "metadata_tags", "enable_cloudwatch_agent", "ghes_url",
    ]

    public static func hasTemplateExtension(_ path: String) -> Bool {
        let lower = path.lowercased()
        return templateExtensions.contains { lower.hasSuffix($0) }
    }

    /// True for `$${`, `%%{`, `%{ if/for/else/endif/endfor }`, and `${…}` that no shell accepts
    /// (`${ x }`, `${var.x}`, `${f(x)}`, `${a == b}`) or that names a module template variable.
    public static func looksLikeTemplate(_ text: String) -> Bool {
        let b = Array(text.utf8)
        var i = 0
        while i + 1 < b.count {
            let c = b[i]
            if (c == Byte.dollar || c == Byte.percent), b[i + 1] == c, i + 2 < b.count, b[i + 2] == Byte.lbrace { return true }
            if c == Byte.percent, b[i + 1] == Byte.lbrace {
                var p = i + 2
                if p < b.count, b[p] == UInt8(ascii: "~") { p += 1 }
                while p < b.count, b[p] == Byte.space || b[p] == Byte.tab { p += 1 }
                var e = p
                while e < b.count, b[e].isIdentifierByte { e += 1 }
                if ["if", "for", "else", "endif", "endfor"].contains(String(decoding: b[p..<e], as: UTF8.self)) { return true }
            }
            if c == Byte.dollar, b[i + 1] == Byte.lbrace, i == 0 || b[i - 1] != Byte.dollar {
                var e = i + 2
                while e < b.count, b[e] != Byte.rbrace, b[e] != Byte.nl, e - i < 200 { e += 1 }
                if e < b.count, b[e] == Byte.rbrace, isTerraformOnly(Array(b[(i + 2)..<e])) { return true }
            }
            i += 1
        }
        return false
    }

    private static func isTerraformOnly(_ inner: [UInt8]) -> Bool {
        guard let first = inner.first, let last = inner.last else { return false }
        if first == Byte.space || last == Byte.space || first == UInt8(ascii: "~") || last == UInt8(ascii: "~") { return true }
        var p = 0
        while p < inner.count, inner[p].isIdentifierByte { p += 1 }
        let ident = String(decoding: inner[0..<p], as: UTF8.self)
        if p == inner.count { return moduleTemplateVariables.contains(ident) }
        guard p > 0, inner[0].isIdentifierStart else { return false }
        let next = inner[p]
        if next == Byte.dot || next == Byte.lparen { return true }
        let rest = String(decoding: inner[p...], as: UTF8.self)
        return rest.contains("==") || rest.contains("!=") || rest.contains("&&") || rest.contains("||") || rest.contains(" ? ")
    }

    /// Explicit extension, or template syntax in the text.
    public static func isTemplate(path: String, text: String) -> Bool {
        hasTemplateExtension(path) || looksLikeTemplate(text)
    }
}
