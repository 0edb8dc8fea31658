import AuditCore
import Foundation

/// Applies machine-applicable fixes (`TextEdit`s over UTF-8 byte ranges) to one file.
///
/// - Edits earlier in the list take precedence: an edit that overlaps one already accepted is
///   dropped and reported. Two insertions at the same point are both kept, in list order; an
///   insertion at the boundary of a replacement does not overlap it; an edit repeated verbatim
///   (two findings offering the same fix) is applied once.
/// - The file's line ending (the dominant of LF and CRLF) is kept: line breaks in inserted text
///   are rewritten to it.
/// - A UTF-8 byte order mark stays in front: edits never remove it or insert before it.
/// - A line inserted at the end of a file that has no final newline goes on a line of its own,
///   and the file still ends without one.
public enum FixApplier {
    public struct DroppedEdit: Sendable, Hashable {
        public enum Reason: Sendable, Hashable {
            /// Overlaps this edit, which came first and was applied.
            case overlaps(TextEdit)
            /// The edit's range is in another file.
            case otherFile
            /// The range lies outside the file or ends before it starts.
            case outOfBounds
            /// The range starts or ends inside a multi-byte character.
            case splitsCharacter
        }

        public var edit: TextEdit
        public var reason: Reason
    }

    /// Some edits could not be applied. `partialText` is the file with all the others applied,
    /// so a caller can still write it and report the dropped ones.
    public struct Conflict: Error, Sendable, Hashable {
        public var dropped: [DroppedEdit]
        public var partialText: String
    }

    /// The new text of `source` after `edits`: success when every edit applied.
    public static func apply(_ edits: [TextEdit], to source: SourceFile) -> Result<String, Conflict> {
        let bytes = source.bytes
        let eol = LineEnding.dominant(in: bytes)
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        struct Accepted { var start: Int; var end: Int; var text: [UInt8]; var order: Int; var edit: TextEdit }
        var accepted: [Accepted] = []
        var dropped: [DroppedEdit] = []

        for (order, edit) in edits.enumerated() {
            guard edit.range.path == source.path else {
                dropped.append(DroppedEdit(edit: edit, reason: .otherFile))
                continue
            }
            var s = edit.range.start.offset, e = edit.range.end.offset
            guard s >= 0, e <= bytes.count, s <= e else {
                dropped.append(DroppedEdit(edit: edit, reason: .outOfBounds))
                continue
            }
            func inside(_ i: Int) -> Bool { i < bytes.count && bytes[i] & 0xC0 == 0x80 }
            guard !inside(s), !inside(e) else {
                dropped.append(DroppedEdit(edit: edit, reason: .splitsCharacter))
                continue
            }
            if s < bom { s = bom; e = max(e, bom) }
            var text = eol.convert(Array(edit.newText.utf8))
            if s == e, s == bytes.count, bytes.count > bom, bytes.last != 0x0A,
               text.count > eol.bytes.count, text.suffix(eol.bytes.count).elementsEqual(eol.bytes), text.first != 0x0A, !text.starts(with: eol.bytes) {
                text = eol.bytes + text.dropLast(eol.bytes.count)
            }
            if accepted.contains(where: { $0.start == s && $0.end == e && $0.text == text }) { continue }
            if let other = accepted.first(where: { a in
                (s < a.end && a.start < e)                          // ranges share bytes
                    || (s == e && a.start < s && s < a.end)         // insertion inside a replacement
                    || (a.start == a.end && s < a.start && a.start < e)
            }) {
                dropped.append(DroppedEdit(edit: edit, reason: .overlaps(other.edit)))
                continue
            }
            accepted.append(Accepted(start: s, end: e, text: text, order: order, edit: edit))
        }

        // Non-overlapping, so assembling front to back is the same as applying from the end.
        accepted.sort { a, b in
            if a.start != b.start { return a.start < b.start }
            let ai = a.start == a.end, bi = b.start == b.end
            if ai != bi { return ai }                               // insertions before a replacement at the same point
            return a.order < b.order
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + accepted.reduce(0) { $0 + $1.text.count })
        var cursor = 0
        for a in accepted {
            out.append(contentsOf: bytes[cursor..<a.start])
            out.append(contentsOf: a.text)
            cursor = a.end
        }
        out.append(contentsOf: bytes[cursor...])
        let text = String(decoding: out, as: UTF8.self)
        return dropped.isEmpty ? .success(text) : .failure(Conflict(dropped: dropped, partialText: text))
    }

    /// The bytes to write for `text`, putting back the byte order mark `original` started with
    /// (Foundation drops it when decoding, so a `SourceFile` read from data may not hold it).
    public static func encode(_ text: String, likeOriginal original: Data) -> Data {
        var data = Data(text.utf8)
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        if original.starts(with: bom), !data.starts(with: bom) { data.insert(contentsOf: bom, at: 0) }
        return data
    }
}

/// LF or CRLF.
enum LineEnding: Sendable {
    case lf, crlf

    var bytes: [UInt8] { self == .lf ? [0x0A] : [0x0D, 0x0A] }

    /// CRLF when more lines end with CRLF than with a bare LF; LF otherwise (and for one-line files).
    static func dominant(in bytes: [UInt8]) -> LineEnding {
        var crlf = 0, lf = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if i > 0, bytes[i - 1] == 0x0D { crlf += 1 } else { lf += 1 }
        }
        return crlf > lf ? .crlf : .lf
    }

    /// Rewrites every line break in `text` (LF or CRLF) to this ending.
    func convert(_ text: [UInt8]) -> [UInt8] {
        guard text.contains(0x0A) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 8)
        for (i, b) in text.enumerated() {
            if b == 0x0D, i + 1 < text.count, text[i + 1] == 0x0A { continue }
            if b == 0x0A { out.append(contentsOf: bytes) } else { out.append(b) }
        }
        return out
    }
}
