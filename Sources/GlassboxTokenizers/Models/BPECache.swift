import Foundation

/// Per-word BPE results shared by all encodes of a model (the reference keeps a 10,000-word
/// cache; a cache changes speed, never results): word bytes to (id, length) pairs, stored in one
/// arena. Once full it stops adding. Thread-safe.
final class BPECache: @unchecked Sendable {
    /// Glassbox's default capacity, in words (the reference's is 10,000).
    static let defaultCapacity = 100_000
    private let lock = NSLock()
    private let capacity: Int
    private var table: PieceTable
    private var starts: [Int32] = []
    private var arena: [UInt64] = []

    init(capacity: Int) {
        self.capacity = capacity
        table = PieceTable(capacity: min(capacity, 4096))
    }

    /// Appends the cached tokens of `word` (offsets relative to it); false if not cached.
    func lookup(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let index = table.id(word) else { return false }
        var position = 0
        for k in Int(starts[index])..<Int(starts[index + 1]) {
            let packed = arena[k]
            let length = Int(packed & 0xFFFF_FFFF)
            tokens.append(ModelToken(id: Int(packed >> 32), start: position, end: position + length))
            position += length
        }
        return true
    }

    func store(_ word: UnsafeBufferPointer<UInt8>, tokens: ArraySlice<ModelToken>) {
        lock.lock()
        defer { lock.unlock() }
        guard table.count < capacity, table.id(word) == nil else { return }
        if starts.isEmpty { starts.append(0) }
        table.insert(word, id: table.count)
        for t in tokens { arena.append(UInt64(t.id) << 32 | UInt64(t.end - t.start)) }
        starts.append(Int32(arena.count))
    }
}
