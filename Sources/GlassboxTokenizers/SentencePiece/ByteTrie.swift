/// A trie over the UTF-8 bytes of a set of pieces, walked from a position to find every piece
/// that starts there, shortest first (what SentencePiece asks of its Darts double arrays:
/// `commonPrefixSearch` and `traverse`). Edges are (node, byte) → child in a `MergeTable`.
struct ByteTrie: Sendable {
    private var edges: MergeTable
    /// The value ending at each node, -1 where no piece ends.
    private var terminals: [Int32] = [-1]

    /// A trie of `pieces` with their values (a repeated piece keeps its last value).
    init(_ pieces: [(String, Int)]) {
        edges = MergeTable(capacity: pieces.count * 4)
        for (piece, value) in pieces {
            var node: Int32 = 0
            for byte in piece.utf8 {
                if let (_, child) = edges.lookup(node, Int32(byte)) {
                    node = child
                } else {
                    let child = Int32(terminals.count)
                    terminals.append(-1)
                    edges.insert(left: Int(node), right: Int(byte), rank: 0, result: Int(child))
                    node = child
                }
            }
            if node != 0 { terminals[Int(node)] = Int32(value) }
        }
    }

    /// Whether the trie holds no piece.
    var isEmpty: Bool { terminals.count == 1 }

    /// Calls `body(length, value)` for each piece that is a prefix of `bytes[start...]`, shortest
    /// first.
    @inline(__always)
    func forEachPrefix(of bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int, Int) -> Void) {
        var node: Int32 = 0
        var end = start
        while end < bytes.count, let (_, child) = edges.lookup(node, Int32(bytes[end])) {
            node = child
            end += 1
            let value = terminals[Int(node)]
            if value >= 0 { body(end - start, Int(value)) }
        }
    }

    /// The length of the longest piece that is a prefix of `bytes[start...]`, or 0.
    func longestPrefix(of bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var longest = 0
        forEachPrefix(of: bytes, from: start) { length, _ in longest = length }
        return longest
    }
}
