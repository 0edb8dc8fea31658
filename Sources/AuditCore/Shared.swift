/// A value kept behind one reference: copies share it until one of them changes, which copies it
/// first (copy on write). For large records copied into many places (a runner module call into
/// every fleet's facts, a block into a module's tables) where a copy must cost one reference.
public struct Shared<Fields: Sendable>: @unchecked Sendable {
    @usableFromInline final class Box {
        @usableFromInline var fields: Fields
        @usableFromInline init(_ fields: Fields) { self.fields = fields }
    }

    // Changed only through `fields`' `_modify`, which copies a shared box first: what makes the
    // unchecked `Sendable` sound.
    @usableFromInline var box: Box

    @inlinable public init(_ fields: Fields) { box = Box(fields) }

    @inlinable public var fields: Fields {
        // Borrowed, not copied: reading one field does not retain every other.
        _read { yield box.fields }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            yield &box.fields
        }
    }
}

extension Array {
    /// This array without the spare capacity its appends left, when that is more than
    /// `1/unusedAbove` of its count: a list that stays alive for the whole run (a parsed tree, the
    /// written inputs) should not keep up to half its room unused, as an array grown by doubling does.
    @inlinable public func compacted(unusedAbove divisor: Int = 4) -> [Element] {
        capacity - count > count / divisor ? withUnsafeBufferPointer { Array($0) } : self
    }
}
