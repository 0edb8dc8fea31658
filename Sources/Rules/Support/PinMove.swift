import AuditCore
import Terraform

/// How the release a runner module call selects is moved to the target: the one place that knows,
/// shared by VER-209/VER-210 (the finding's fix) and `FixPlan` (which moves every pin with the
/// renamed inputs), so both write the same edit and the plan keeps one.
public enum PinMove: Sendable, Equatable {
    /// The edit that makes the call select the target, and what it does.
    case edit(TextEdit, description: String)
    /// No safe edit: what the user must change by hand.
    case byHand(String)
    /// Nothing to move: the call already selects the target, or its release is not known.
    case none

    /// The move for `call` to `target`. `releases` are the module releases known (the newest a
    /// rewritten constraint admits must be the target, so `terraform init -upgrade` installs what
    /// was audited).
    public static func of(_ call: RunnerModuleCall, to target: ModuleVersion, releases: [ModuleVersion], workspace: Workspace) -> PinMove {
        let block = call.call.block.typeRange
        let at = "`\(call.address)` (\(block.path):\(block.start.line))"
        if let copy = call.vendoredRoot {
            guard let current = call.version, current != target else { return .none }
            return .byHand("\(at) uses the copy of the module in `\(copy)` (release \(current)): replace it with release \(target)")
        }
        if let constraint = call.versionConstraint, let range = call.call.versionExpression?.range {
            if let exact = constraint.exactVersion {
                guard exact != target else { return .none }
                guard let edit = bump(range, from: exact, to: target, workspace: workspace) else {
                    return .byHand("\(at): the release pin could not be rewritten (\(call.evidence.how)): pin release \(target) there")
                }
                return .edit(edit, description: "module pin: `\(call.address)` from \(exact) to \(target)")
            }
            if constraint.isSatisfied(by: target) {
                // Admitted, but Terraform installs another release (a downgrade, or the target
                // is not the newest of the range): only the user knows which to keep.
                guard let newest = constraint.newest(in: releases), newest != target else { return .none }
                return .byHand("\(at) selects its release with the range `version = \"\(constraint.text)\"`: set `version = \"\(target)\"`")
            }
            let rewritten = rewrite(constraint, toAdmit: target, releases: releases)
            guard workspace.text(of: range) == "\"\(constraint.text)\"" else {
                return .byHand("\(at) selects its release with the range `version = \"\(constraint.text)\"`, which excludes \(target): set `version = \"\(rewritten)\"`")
            }
            return .edit(TextEdit(range: range, newText: "\"\(rewritten)\""),
                         description: "module constraint: `\(call.address)` from `\(constraint.text)` to `\(rewritten)`")
        }
        if let ref = call.source.gitRef, let range = call.call.sourceExpression?.range {
            // The release the ref names (a tag), else the one the audit resolved (a commit).
            guard let named = releaseTag(ref) ?? call.version, named != target else { return .none }
            guard let edit = bump(range, from: named, to: target, workspace: workspace) else {
                return .byHand("\(at): the release pin could not be rewritten (\(call.evidence.how)): pin release \(target) there")
            }
            return .edit(edit, description: "module pin: `\(call.address)` from \(named) to \(target)")
        }
        if call.source.isRegistry, let current = call.version, current != target {
            return .byHand("\(at) has no `version` and installs the newest release: add `version = \"\(target)\"`")
        }
        return .none
    }

    /// The fix of a finding about the call's release pin: the move's edit (its text from
    /// `edited`), the instruction when no edit is safe, else `otherwise` as advice.
    public func fix(edited: (TextEdit) -> String, otherwise: String) -> Fix {
        switch self {
        case .edit(let edit, _): Fix(edited(edit), edits: [edit])
        case .byHand(let instruction): Fix(instruction)
        case .none: Fix(otherwise)
        }
    }

    /// The release a git ref names when it is a tag (`v4.1.0`, `4.1.0`); nil for a branch or a commit.
    public static func releaseTag(_ ref: String) -> ModuleVersion? {
        ref.contains(".") ? ModuleVersion(ref) : nil
    }

    /// The constraint that admits `target` while keeping the user's form: each clause that
    /// excludes the target is moved (`< 5.0.0` → `< 8.0.0`, `~> 4.0` → `~> 7.11`, `>= 8.0` →
    /// `>= 7.11.0`, `!= 7.11.0` dropped). When the newest known release the result admits is not
    /// the target (the target is not the newest of its line), the exact target is returned
    /// instead, so the rewritten constraint installs what was audited.
    public static func rewrite(_ constraint: VersionConstraint, toAdmit target: ModuleVersion, releases: [ModuleVersion]) -> String {
        let exact = target.description
        var parts: [String] = []
        for clause in constraint.clauses {
            if VersionConstraint(text(clause))?.isSatisfied(by: target) ?? false {
                parts.append(text(clause))
                continue
            }
            switch clause.op {
            case .ne: continue
            case .lt, .le: parts.append("< \(target.major + 1).0.0")
            case .gt, .ge: parts.append(">= \(exact)")
            case .pessimistic:
                let numbers = [target.major, target.minor, target.patch].prefix(max(clause.precision, 2))
                parts.append("~> " + numbers.map(String.init).joined(separator: "."))
            case .eq: parts.append(exact)
            }
        }
        let text = parts.joined(separator: ", ")
        guard !parts.isEmpty, let widened = VersionConstraint(text), widened.isSatisfied(by: target),
              widened.newest(in: releases) == target else { return exact }
        return text
    }

    static func text(_ clause: VersionConstraint.Clause) -> String {
        let numbers = [clause.version.major, clause.version.minor, clause.version.patch].prefix(max(clause.precision, 1))
        let version = numbers.map(String.init).joined(separator: ".") + (clause.version.prerelease.map { "-\($0)" } ?? "")
        return clause.op == .eq ? version : "\(clause.op.rawValue) \(version)"
    }

    /// Replaces the one release `from` written inside `range` (`v4.1.0`, `lambdas/4.1.0/x.zip`,
    /// `?ref=v4.1.0`) with `to`; nil when the text there does not name it exactly once.
    public static func bump(_ range: SourceRange, from: ModuleVersion, to: ModuleVersion, workspace: Workspace) -> TextEdit? {
        guard let source = workspace.source(range.path) else { return nil }
        let text = Array(source.text(from: range.start.offset, to: range.end.offset).utf8)
        let needle = Array(from.description.utf8)
        func isVersionByte(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || b == 0x2E }
        var hits: [Int] = []
        var i = 0
        while i + needle.count <= text.count {
            if Array(text[i..<i + needle.count]) == needle,
               i == 0 || !isVersionByte(text[i - 1]),
               i + needle.count == text.count || !isVersionByte(text[i + needle.count]) {
                hits.append(i)
            }
            i += 1
        }
        guard hits.count == 1 else { return nil }
        let at = range.start.offset + hits[0]
        return TextEdit(range: source.range(from: at, to: at + needle.count), newText: to.description)
    }
}
