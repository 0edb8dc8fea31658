import AuditCore
import Foundation
import Scripts

/// One file of the repository whose commands a rehearsal ran: the start script itself, a helper
/// file next to it that it sources, or a script inlined into it through a template variable.
public struct RehearsedPart: Sendable {
    public var path: String
    /// How the boot reaches this file (nil for the script the sandbox starts).
    public var via: RelatedNote?

    public init(path: String, via: RelatedNote? = nil) {
        self.path = path
        self.via = via
    }
}

/// Finds, in the files a rehearsal ran, the command that made the call a run's verdict rests on:
/// the line that names the runner command (`./config.sh …`, also as the argument of a wrapper
/// function such as `as_runner ./config.sh …`), preferring the one whose literal options the
/// recorded call carries. The trace says what was called; the scripts say where.
struct RunnerCallLocator {
    /// The scanned files, in order (the started script first).
    var files: [(part: RehearsedPart, script: ScannedScript)]

    init(parts: [RehearsedPart], scan: (String) -> ScannedScript?) {
        files = parts.compactMap { p in scan(p.path).map { (p, $0) } }
    }

    struct Located {
        /// The word naming the runner command.
        var range: SourceRange
        /// How the boot reaches the file, and where the enclosing function is called.
        var notes: [RelatedNote]
    }

    /// The place of the call `event` recorded, or nil when no command of the files names it.
    func locate(_ event: TraceEvent, preferring preferred: SourceRange? = nil) -> Located? {
        let tool = event.tool
        guard RehearsalStub.runnerNames.contains(tool) else { return nil }
        let recorded = Set(event.args.map { $0.lowercased() })
        var best: (score: Int, file: Int, command: ScriptCommand, word: ScriptWord)?
        for (i, f) in files.enumerated() {
            for cmd in f.script.commands where cmd.kind == .simple {
                guard let w = Self.runnerWord(cmd, tool: tool) else { continue }
                // Each literal option of the command that the call carries counts; one it does not
                // carry counts against (the `run.sh` of another branch).
                var score = 0
                for arg in cmd.words where arg.range.start.offset > w.range.start.offset {
                    guard let lit = arg.literalValue?.lowercased(), lit.hasPrefix("-") else { continue }
                    score += recorded.contains(lit) ? 2 : -2
                }
                if let preferred, w.range == preferred { score += 1 }
                if best == nil || score > best!.score { best = (score, i, cmd, w) }
            }
        }
        guard let best else { return nil }
        var notes: [RelatedNote] = []
        if let via = files[best.file].part.via { notes.append(via) }
        if let function = best.command.function {
            // Where the function holding the call is called (in any of the files).
            for file in files {
                for cmd in file.script.commands where cmd.kind == .simple && cmd.words.first?.literalValue == function {
                    notes.append(RelatedNote("the function `\(function)`, which holds the runner call, is called here", at: cmd.words[0].range))
                }
            }
        }
        return Located(range: best.word.range, notes: notes)
    }

    /// The word of `cmd` that names `tool`: the program run, or an argument of a wrapper.
    static func runnerWord(_ cmd: ScriptCommand, tool: String) -> ScriptWord? {
        if let first = cmd.words.first?.literalValue, notRunning.contains(first) { return nil }
        for w in cmd.words {
            let text = (w.literalValue ?? w.value).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            let base = text.split(separator: "/").last.map(String.init) ?? text
            if base == tool { return w }
        }
        return nil
    }

    /// Commands that name a file without running it.
    static let notRunning: Set<String> = ["[", "test", "echo", "printf", "chmod", "chown", "ls", "cat", "cp", "mv", "rm", "ln", "grep", "sed"]

    /// The command of `script` (the file started) that sources or runs the helper `name`, as a note.
    static func inclusionNote(in script: ScannedScript, of name: String) -> RelatedNote? {
        for cmd in script.commands where cmd.kind == .simple {
            guard cmd.words.dropFirst().contains(where: { $0.text.contains(name) }) else { continue }
            let verb = cmd.words.first?.literalValue
            let how = verb == "." || verb == "source" ? "is sourced here" : "is run here"
            return RelatedNote("the helper file `\(name)`, which holds the runner call, \(how)", at: cmd.range)
        }
        return nil
    }
}
