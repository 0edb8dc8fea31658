import AuditCore
import Foundation

/// The byte-level secret scanners, which run over every file the audit reads and every message it
/// prints: the masked text must be what the regular expressions they replace give
/// (`SecretsReference`, compiled in from `Tests/AuditCoreTests/SecretsReference.swift`), as long as
/// the input in UTF-16 units, with every line break kept, and `contains` must agree with the ranges.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
    let masked = Secrets.mask(text)
    let ranges = Secrets.byteRanges(in: text)
    let utf8 = Array(text.utf8)
    for r in ranges {
        // Inside the text, starting and ending on character boundaries (a lead byte or the end).
        precondition(r.lowerBound >= 0 && r.lowerBound <= r.upperBound && r.upperBound <= utf8.count, "range \(r) outside \(utf8.count) bytes")
        precondition(r.lowerBound == utf8.count || utf8[r.lowerBound] & 0xC0 != 0x80, "range \(r) starts inside a character")
        precondition(r.upperBound == utf8.count || utf8[r.upperBound] & 0xC0 != 0x80, "range \(r) ends inside a character")
    }
    precondition(Secrets.contains(text) == !ranges.isEmpty, "contains disagrees with the \(ranges.count) ranges")
    precondition(masked.utf16.count == text.utf16.count, "masking changed the length")
    for (a, b) in zip(text.utf16, masked.utf16) where a == 0x0A || a == 0x0D { precondition(a == b, "masking removed a line break") }
    let expected = SecretsReference.mask(text)
    if masked != expected {
        fatalError("scanner and regular expressions differ on \(text.debugDescription)\n  regex:   \(expected.debugDescription)\n  scanner: \(masked.debugDescription)")
    }
    return 0
}
