import AuditCore
import Foundation

/// The input as a file. Invalid UTF-8 is decoded with replacement characters: the audit refuses
/// such files before any parser sees them (`CORE-002`), so the parsers only ever get valid text.
func source(_ data: UnsafeRawPointer, _ count: Int, path: String) -> SourceFile {
    SourceFile(path: path, text: String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self))
}

/// Traps (a crash libFuzzer records) when a range a parser returned is not inside the file or
/// disagrees with the file's own position arithmetic.
func checkRange(_ r: SourceRange, in file: SourceFile, _ what: @autoclosure () -> String) {
    guard r.start.offset >= 0, r.start.offset <= r.end.offset, r.end.offset <= file.bytes.count,
          file.position(ofOffset: r.start.offset) == r.start, file.position(ofOffset: r.end.offset) == r.end else {
        fatalError("\(what()): range \(r.start.line):\(r.start.column)(\(r.start.offset))-\(r.end.line):\(r.end.column)(\(r.end.offset)) in a file of \(file.bytes.count) bytes")
    }
}

func checkDiagnostics(_ diagnostics: [Diagnostic], in file: SourceFile) {
    for d in diagnostics where d.range.path == file.path { checkRange(d.range, in: file, "diagnostic \(d.summary)") }
}
