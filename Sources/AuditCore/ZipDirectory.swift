import Foundation

/// CRC-32 as ZIP stores it (IEEE 802.3, reflected, polynomial 0xEDB88320).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// The central directory of a ZIP archive: names, sizes and CRC-32s of its entries, read from the
/// end-of-central-directory record without decompressing anything. The bytes are untrusted (a
/// committed lambda zip): every offset and length is checked against the data, the entry count
/// and the declared sizes are bounded, and anything outside those bounds is a `Problem`, never a
/// crash or an unbounded loop.
public struct ZipDirectory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The name as stored (`index.js`, `dist/index.js`, `node_modules/`).
        public var name: String
        public var crc32: UInt32
        public var compressedSize: UInt64
        public var uncompressedSize: UInt64
        /// 0 stored, 8 deflated.
        public var method: UInt16

        public init(name: String, crc32: UInt32, compressedSize: UInt64, uncompressedSize: UInt64, method: UInt16) {
            self.name = name
            self.crc32 = crc32
            self.compressedSize = compressedSize
            self.uncompressedSize = uncompressedSize
            self.method = method
        }

        public var isDirectory: Bool { name.hasSuffix("/") }
    }

    /// Why a file is not read as a ZIP archive.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// A Git LFS pointer in place of the archive (LFS objects not fetched).
        case lfsPointer
        /// Larger than the audit reads (`Limits.maxFileSize`), or not a regular file.
        case tooLarge
        /// No end-of-central-directory record: not a ZIP archive, or cut short.
        case notAZip
        /// The records point outside the data or do not carry their signatures.
        case truncated(String)
        /// ZIP64 records or sizes: far larger than any lambda artefact.
        case zip64
        /// More entries than `maxEntries`.
        case tooManyEntries(Int)
        /// Entries that would expand beyond `maxExpandedBytes` (a decompression bomb's shape).
        case bombShaped(entries: Int, expandedBytes: UInt64, ratio: UInt64)

        public var description: String {
            switch self {
            case .lfsPointer: "it is a Git LFS pointer, not the archive (the LFS objects were not fetched)"
            case .tooLarge: "it is larger than the \(Limits.maxFileSize) bytes the audit reads, or not a regular file"
            case .notAZip: "it has no ZIP end-of-central-directory record (not a ZIP archive, or cut short)"
            case .truncated(let why): "its ZIP records are damaged or cut short (\(why))"
            case .zip64: "it uses ZIP64 records, which no lambda artefact of the module needs"
            case .tooManyEntries(let n): "its directory declares \(n) entries, more than the \(ZipDirectory.maxEntries) read"
            case .bombShaped(let n, let bytes, let ratio):
                "its directory declares \(n) \(n == 1 ? "entry" : "entries") expanding to \(bytes) bytes (up to \(ratio)× their compressed size): the shape of a decompression bomb"
            }
        }
    }

    /// The most entries read; a lambda artefact holds a handful.
    public static let maxEntries = 4_096
    /// The most bytes the entries may expand to in all; a lambda function package is at most
    /// 250 MB unzipped (AWS Lambda quota), so more is not a lambda artefact.
    public static let maxExpandedBytes: UInt64 = 256 << 20
    /// The highest expansion ratio of an entry of more than 1 MB (deflate reaches about 1032:1).
    public static let maxRatio: UInt64 = 1_024

    public var entries: [Entry]
    /// The archive comment, when there is one (at most 64 KB by construction).
    public var comment: String

    public init(entries: [Entry], comment: String = "") {
        self.entries = entries
        self.comment = comment
    }

    /// Reads the directory of `data` (the whole file).
    public static func read(_ data: Data) -> Result<ZipDirectory, Problem> {
        let bytes = [UInt8](data)
        if bytes.starts(with: Array("version https://git-lfs".utf8)) { return .failure(.lfsPointer) }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        // The end record (22 bytes) sits in the last 22 + 65535 bytes (its comment is at most 64 KB);
        // the last signature whose comment length reaches exactly the end is the record.
        guard bytes.count >= 22 else { return .failure(.notAZip) }
        var eocd: Int?
        var i = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while i >= lowest {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06, i + 22 + u16(i + 20) == bytes.count {
                eocd = i
                break
            }
            i -= 1
        }
        guard let end = eocd else { return .failure(.notAZip) }
        let count = u16(end + 10)
        let cdSize = Int(u32(end + 12))
        let cdOffset = Int(u32(end + 16))
        let comment = String(decoding: bytes[(end + 22)..<bytes.count], as: UTF8.self)
        if count == 0xFFFF || u32(end + 12) == 0xFFFF_FFFF || u32(end + 16) == 0xFFFF_FFFF { return .failure(.zip64) }
        if end >= 20, u32(end - 20) == 0x0706_4B50 { return .failure(.zip64) }
        guard count <= maxEntries else { return .failure(.tooManyEntries(count)) }
        guard cdOffset <= end, cdSize <= end - cdOffset else {
            return .failure(.truncated("the central directory lies outside the file"))
        }
        var entries: [Entry] = []
        var p = cdOffset
        var expanded: UInt64 = 0
        var worstRatio: UInt64 = 0
        for n in 0..<count {
            guard p + 46 <= cdOffset + cdSize, u32(p) == 0x0201_4B50 else {
                return .failure(.truncated("central directory entry \(n + 1) of \(count) is missing"))
            }
            let method = UInt16(u16(p + 10))
            let crc = u32(p + 16)
            let compressed = u32(p + 20)
            let uncompressed = u32(p + 24)
            let nameLength = u16(p + 28)
            let extraLength = u16(p + 30)
            let commentLength = u16(p + 32)
            let localOffset = u32(p + 42)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF { return .failure(.zip64) }
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= cdOffset + cdSize else {
                return .failure(.truncated("central directory entry \(n + 1) of \(count) runs past the directory"))
            }
            // The entry's data must lie before the directory.
            guard Int(localOffset) + 30 <= cdOffset, Int(localOffset) + 30 + Int(compressed) <= cdOffset, u32(Int(localOffset)) == 0x0403_4B50 else {
                return .failure(.truncated("the data of entry \(n + 1) of \(count) lies outside the file"))
            }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            entries.append(Entry(name: name, crc32: crc, compressedSize: UInt64(compressed), uncompressedSize: UInt64(uncompressed), method: method))
            expanded += UInt64(uncompressed)
            if uncompressed > 1 << 20 { worstRatio = max(worstRatio, UInt64(uncompressed) / max(UInt64(compressed), 1)) }
            p = next
        }
        if expanded > maxExpandedBytes || worstRatio > maxRatio {
            return .failure(.bombShaped(entries: count, expandedBytes: expanded, ratio: worstRatio))
        }
        return .success(ZipDirectory(entries: entries, comment: comment))
    }
}
