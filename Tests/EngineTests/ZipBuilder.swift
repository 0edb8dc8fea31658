import AuditCore
import Foundation

/// Writes small ZIP archives of our own content for tests (entries stored, not compressed). An
/// entry may declare another CRC-32 or uncompressed size than its bytes have, to build the
/// directory of an archive without its content (the reader never decompresses, so it sees only
/// what the directory declares), and the whole archive can be cut short.
struct ZipBuilder {
    struct Entry {
        var name: String
        var data: Data
        var declaredCRC: UInt32?
        var declaredSize: UInt32?
    }

    var entries: [Entry] = []

    mutating func add(_ name: String, _ text: String) { entries.append(Entry(name: name, data: Data(text.utf8))) }

    mutating func add(_ name: String, data: Data, crc: UInt32? = nil, size: UInt32? = nil) {
        entries.append(Entry(name: name, data: data, declaredCRC: crc, declaredSize: size))
    }

    /// The archive; `entryCount` overrides the count the end record declares.
    func build(entryCount: Int? = nil, comment: String = "") -> Data {
        var out = Data()
        var central = Data()
        func u16(_ v: Int, _ d: inout Data) { d.append(UInt8(v & 0xFF)); d.append(UInt8((v >> 8) & 0xFF)) }
        func u32(_ v: UInt32, _ d: inout Data) { for s in [0, 8, 16, 24] { d.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
        for e in entries {
            let offset = UInt32(out.count)
            let crc = e.declaredCRC ?? CRC32.checksum(e.data)
            let size = e.declaredSize ?? UInt32(e.data.count)
            let name = Data(e.name.utf8)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(UInt32(e.data.count), &out); u32(size, &out); u16(name.count, &out); u16(0, &out)
            out.append(name); out.append(e.data)
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(crc, &central); u32(UInt32(e.data.count), &central); u32(size, &central)
            u16(name.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(0, &central); u32(offset, &central); central.append(name)
        }
        let cdOffset = UInt32(out.count)
        out.append(central)
        let count = entryCount ?? entries.count
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(count, &out); u16(count, &out)
        u32(UInt32(central.count), &out); u32(cdOffset, &out); u16(comment.utf8.count, &out)
        out.append(Data(comment.utf8))
        return out
    }
}
