/// A vocabulary: token pieces (compared as exact UTF-8 bytes, never Unicode-normalized as Swift
/// `String` keys would be) to ids, looked up straight from byte buffers without allocating.
/// Open addressing over one arena of key bytes. A piece given twice keeps its last id, as a
/// Rust `HashMap` built by insertion does.
struct PieceTable: Sendable {
    private var arena: [UInt8] = []
    private var keyStarts: [Int32] = []
    private var keyLengths: [Int32] = []
    private var values: [Int32] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    init<S: Sequence>(_ pieces: S) where S.Element == (String, Int) {
        self.init(capacity: pieces.underestimatedCount)
        for (piece, id) in pieces { insert(piece, id: id) }
    }

    /// Number of distinct pieces (`vocab.len()`).
    var count: Int { values.count }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    mutating func insert(_ piece: String, id: Int) {
        var piece = piece
        piece.withUTF8 { insert($0, id: id) }
    }

    mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>, id: Int) {
        if (values.count + 1) * 2 > slots.count { grow() }
        var slot = Self.hash(bytes) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 {
                slots[slot] = Int32(values.count)
                keyStarts.append(Int32(arena.count))
                keyLengths.append(Int32(bytes.count))
                arena.append(contentsOf: bytes)
                values.append(Int32(id))
                return
            }
            if keyEquals(entry, bytes) { values[entry] = Int32(id); return }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for entry in 0..<values.count {
            let h = arena.withUnsafeBufferPointer { a in
                Self.hash(UnsafeBufferPointer(rebasing: a[Int(keyStarts[entry])..<Int(keyStarts[entry] + keyLengths[entry])]))
            }
            var slot = h & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry)
        }
    }

    @inline(__always)
    private func keyEquals(_ entry: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = Int(keyLengths[entry])
        guard length == bytes.count else { return false }
        let start = Int(keyStarts[entry])
        return arena.withUnsafeBufferPointer { a in
            for i in 0..<length where a[start + i] != bytes[i] { return false }
            return true
        }
    }

    /// The id of the piece spelled by `bytes`.
    @inline(__always)
    func id(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var slot = Self.hash(bytes) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { return nil }
            if keyEquals(entry, bytes) { return Int(values[entry]) }
            slot = (slot + 1) & mask
        }
    }

    func id(of piece: String) -> Int? {
        var piece = piece
        return piece.withUTF8 { id($0) }
    }

    func id(of bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { id($0) }
    }

    /// All (piece, id) entries, in insertion order of first appearance.
    var entries: [(String, Int)] {
        (0..<values.count).map { e in
            let start = Int(keyStarts[e]), end = start + Int(keyLengths[e])
            return (String(decoding: arena[start..<end], as: UTF8.self), Int(values[e]))
        }
    }
}

/// BPE merges: the pair of token ids `(left, right)` to the merge's rank and resulting id.
/// Open addressing over 64-bit keys.
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var ranks: [Int32]
    private var results: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: .max, count: size)
        ranks = Array(repeating: 0, count: size)
        results = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Adds or replaces (a later duplicate wins, as in the reference's `HashMap`).
    mutating func insert(left: Int, right: Int, rank: Int, result: Int) {
        if (count + 1) * 2 > keys.count { grow() }
        let key = UInt64(left) << 32 | UInt64(right)
        var s = Self.slot(key, mask)
        while keys[s] != .max && keys[s] != key { s = (s + 1) & mask }
        if keys[s] == .max { count += 1 }
        keys[s] = key
        ranks[s] = Int32(rank)
        results[s] = Int32(result)
    }

    private mutating func grow() {
        let old = (keys, ranks, results)
        let size = keys.count * 2
        keys = Array(repeating: .max, count: size)
        ranks = Array(repeating: 0, count: size)
        results = Array(repeating: 0, count: size)
        mask = size - 1
        for i in old.0.indices where old.0[i] != .max {
            var s = Self.slot(old.0[i], mask)
            while keys[s] != .max { s = (s + 1) & mask }
            keys[s] = old.0[i]
            ranks[s] = old.1[i]
            results[s] = old.2[i]
        }
    }

    /// (rank, result id) of merging `left` then `right`.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
        var s = Self.slot(key, mask)
        while true {
            let k = keys[s]
            if k == key { return (ranks[s], results[s]) }
            if k == .max { return nil }
            s = (s + 1) & mask
        }
    }
}
