import AuditCore
import Foundation
import Gate
import Rules
import Terraform

/// Every machine-applicable fix of one audit, file by file: built from the files' original text
/// as the audit read it (never from masked text), shown as a diff with secrets masked, written
/// only to files that still hold exactly what was audited.
public struct FixPlan: Sendable {
    public struct File: Sendable {
        /// Relative to the scan root.
        public var path: String
        /// The file as the audit read it.
        public var original: SourceFile
        public var newText: String
        /// `RULE-ID: what the fix does`, one per finding (secrets masked).
        public var descriptions: [String]
        /// Edits overlapping one applied first; a second `fix` run applies them.
        public var overlapping: Int
    }

    /// Files whose text the fixes change, sorted by path.
    public var files: [File]
    /// Files that fixes point into but the audit did not read (never written).
    public var unaudited: [String]
    /// What the user must change by hand so the fixed configuration runs the target: runner
    /// module calls whose release pin `fix` cannot move (a range that admits the target but
    /// installs another release, a constraint not written as one string, a git ref that does not
    /// name the release once, a vendored copy). Shown before the diff.
    public var pinInstructions: [String]
    /// Findings this plan does not fix: no machine-applicable fix, or one that asks the user to
    /// decide (see `asksForDecision`). `fix` lists them after the diff so a dry run never looks
    /// like the whole job.
    public var notFixed: [Finding]
    /// Edited files that belong to a module several module calls use (a shared wrapper): the
    /// edit changes the configuration of every caller, which each line names. Shown before the
    /// diff.
    public var sharedModuleNotes: [String]

    /// Whether a fix's text asks the user to confirm, verify or choose something: advice, which
    /// is never written into a file even when it carries edits.
    public static func asksForDecision(_ fix: Fix) -> Bool {
        let text = fix.description.lowercased()
        return ["confirm", "verify", "decide", "choose", "make sure", "check whether", "check that"].contains { text.contains($0) }
    }

    public init(_ result: AuditResult) {
        var edits: [String: [TextEdit]] = [:]
        var described: [String: [String]] = [:]
        var notFixed: [Finding] = []
        for finding in result.report.findings {
            guard let shown = finding.fix, shown.isMachineApplicable, !Self.asksForDecision(shown) else {
                notFixed.append(finding)
                continue
            }
            let fix = result.unmaskedFixes[finding.fingerprint] ?? shown
            for e in fix.edits { edits[e.range.path, default: []].append(e) }
            for p in Set(fix.edits.map(\.range.path)) { described[p, default: []].append("\(finding.ruleId): \(shown.description)") }
        }
        // The release pin of every runner module call moves to the target in the same diff: the
        // renamed inputs are those of the target, so the old pin would reject them. The lambda
        // lockstep fix (JIT-109) writes the same edit for the same pin; one edit per pin is kept.
        let (moves, instructions) = Self.pinMoves(result)
        for (edit, description) in moves {
            let path = edit.range.path
            guard !edits[path, default: []].contains(edit) else { continue }
            edits[path, default: []].append(edit)
            described[path, default: []].append(description)
        }
        self.pinInstructions = instructions
        var files: [File] = []
        var unaudited: [String] = []
        for path in edits.keys.sorted() {
            guard let original = result.workspace.source(path) else {
                unaudited.append(path)
                continue
            }
            var newText: String
            var overlapping = 0
            switch FixApplier.apply(edits[path]!, to: original) {
            case .success(let text): newText = text
            case .failure(let conflict):
                newText = conflict.partialText
                overlapping = conflict.dropped.count
            }
            if path.hasSuffix(".tf") || path.hasSuffix(".tfvars") {
                // Renamed and inserted arguments take the `=` alignment of their group.
                newText = HCLAlignment.realign(newText, touching: UnifiedDiff.insertedLines(old: original.text, new: newText))
            }
            guard newText != original.text else { continue }
            files.append(File(path: path, original: original, newText: newText, descriptions: described[path, default: []], overlapping: overlapping))
        }
        self.files = files
        self.unaudited = unaudited
        self.notFixed = notFixed
        self.sharedModuleNotes = Self.sharedModuleNotes(files.map(\.path), model: result.model)
    }

    /// For each of `paths` that declares a runner module call reached through more than one
    /// outermost module call: the file and those callers.
    static func sharedModuleNotes(_ paths: [String], model: DeploymentModel) -> [String] {
        var callersByFile: [String: [RelatedNote]] = [:]
        for call in model.calls {
            guard let outermost = call.callers.first else { continue }
            var known = callersByFile[call.call.file, default: []]
            if !known.contains(where: { $0.location == outermost.location }) { known.append(outermost) }
            callersByFile[call.call.file] = known
        }
        return paths.compactMap { path in
            guard let callers = callersByFile[path], callers.count > 1 else { return nil }
            let sorted = callers.sorted { ($0.location.path, $0.location.start.line) < ($1.location.path, $1.location.start.line) }
            let list = sorted.map { "\($0.location.path):\($0.location.start.line)" }.joined(separator: ", ")
            return "`\(path)` belongs to a module that \(callers.count) module calls use (\(list)): its fixes change the configuration of every one of them"
        }
    }

    /// `path:line:col: severity[RULE-ID] message (why not fixed)` for each of `notFixed`.
    public var notFixedLines: [String] {
        notFixed.map { f in
            let why = f.fix.map { Self.asksForDecision($0) ? "needs your decision: " + $0.description : "fix by hand: " + $0.description } ?? "no fix"
            let line = "\(f.location.path):\(f.location.start.line):\(f.location.start.column): \(f.severity.rawValue)[\(f.ruleId)] \(f.message) (\(why))"
            // One line, no control characters (messages quote the scanned files).
            return String(String.UnicodeScalarView(line.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : $0 }))
        }
    }

    /// The runner module calls audited at a release other than the one they run: the edit that
    /// moves each pin to the target, or what the user must change where no edit can.
    static func pinMoves(_ result: AuditResult) -> (edits: [(TextEdit, String)], instructions: [String]) {
        guard let target = ModuleVersion(result.report.target) else { return ([], []) }
        let releases = result.releases
        var edits: [(TextEdit, String)] = []
        var instructions: [String] = []
        var seen = Set<SourceRange>()
        for call in result.model.calls where NoRunnerModuleRule.runnerKinds.contains(call.kind) || call.kind == .downloadLambda {
            switch PinMove.of(call, to: target, releases: releases, workspace: result.workspace) {
            case .edit(let edit, let description):
                guard seen.insert(edit.range).inserted else { continue }
                edits.append((edit, description))
            case .byHand(let instruction):
                if !instructions.contains(instruction) { instructions.append(instruction) }
            case .none: continue
            }
        }
        return (edits, instructions)
    }

    /// A unified diff of every file (`git apply` accepts it), with secrets masked in every line:
    /// a diff whose context holds a secret then no longer applies, and `--apply` is the way.
    public var diff: String {
        files.map { UnifiedDiff.render(path: $0.path, old: Secrets.mask($0.original.text), new: Secrets.mask($0.newText)) }.joined()
    }

    /// What `fix --apply` did.
    public struct Outcome: Sendable {
        public var written: [File] = []
        /// Files left as they are, with the reason.
        public var skipped: [(path: String, reason: WriteRefusal)] = []
        /// Files fixes point into that the audit did not read.
        public var unaudited: [String] = []

        /// 2 when a file that needed a fix was left unwritten, else 0.
        public var status: ExitStatus { skipped.isEmpty && unaudited.isEmpty ? .clean : .environment }

        /// The lines for standard error, in path order.
        public var messages: [String] {
            var lines: [String] = []
            for f in written {
                lines.append("fixed \(f.path): " + f.descriptions.joined(separator: "; "))
            }
            for (path, reason) in skipped { lines.append("ghr-audit: \(path): not written: \(reason)") }
            for path in unaudited { lines.append("ghr-audit: \(path): not written: the audit did not read it") }
            lines.append("ghr-audit: \(written.count) file(s) changed" + (skipped.isEmpty && unaudited.isEmpty ? "" : ", \(skipped.count + unaudited.count) left unchanged"))
            return lines
        }
    }

    /// Writes every fixed file through `writer`, each only when its bytes are still the audited
    /// ones (compared by SHA-256), keeping its byte order mark, owner and mode.
    public func apply(to writer: any ScanRootWriter) -> Outcome {
        var outcome = Outcome()
        outcome.unaudited = unaudited
        for file in files {
            let audited = Self.hash(file.original.bytes)
            let result = writer.replace(
                file.path,
                isAudited: { current in SourceFile(path: file.path, data: current).map { Self.hash($0.bytes) } == audited },
                newContent: { current in FixApplier.encode(file.newText, likeOriginal: current) })
            switch result {
            case .success: outcome.written.append(file)
            case .failure(let reason): outcome.skipped.append((file.path, reason))
            }
        }
        return outcome
    }

    static func hash(_ bytes: [UInt8]) -> String { Fingerprint.sha256Hex(Data(bytes)) }

    /// Lines for standard error about edits left for a second run.
    public var overlapMessages: [String] {
        files.filter { $0.overlapping > 0 }.map { "ghr-audit: \($0.path): \($0.overlapping) overlapping edit(s) skipped; run `fix` again after applying" }
    }
}
