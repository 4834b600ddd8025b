/// The symbols of one word during BPE (`Word` in the reference): a doubly linked list over
/// parallel arrays, merged in order of merge rank with a binary heap.
struct BPESymbols {
    var ids: [Int32] = []
    /// Length in bytes of each symbol; 0 marks a symbol merged into its left neighbour.
    var lengths: [Int32] = []
    private var previous: [Int32] = []
    private var next: [Int32] = []

    init(capacity: Int) {
        ids.reserveCapacity(capacity)
        lengths.reserveCapacity(capacity)
        previous.reserveCapacity(capacity)
        next.reserveCapacity(capacity)
    }

    var count: Int { ids.count }

    mutating func append(id: Int32, length: Int32) {
        let n = Int32(ids.count)
        if n > 0 { next[Int(n) - 1] = n }
        ids.append(id)
        lengths.append(length)
        previous.append(n - 1)
        next.append(-1)
    }

    /// A queued merge: ordered by rank, then position (lowest first).
    private struct Candidate {
        var rank: Int32
        var position: Int32
        var result: Int32

        @inline(__always) static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.position < b.position
        }
    }

    /// Applies merges until none applies (`merge_all`), then drops merged-away symbols.
    mutating func mergeAll(_ merges: MergeTable) {
        guard ids.count > 1 else { return }
        var heap: [Candidate] = []
        heap.reserveCapacity(ids.count)
        for i in 0..<(ids.count - 1) {
            if let m = merges.lookup(ids[i], ids[i + 1]) {
                Self.push(Candidate(rank: m.rank, position: Int32(i), result: m.result), into: &heap)
            }
        }
        while let top = Self.pop(&heap) {
            let pos = Int(top.position)
            if lengths[pos] == 0 { continue }
            let right = Int(next[pos])
            if right < 0 { continue }
            // Skip a stale entry: the pair here no longer merges into the same token.
            guard let current = merges.lookup(ids[pos], ids[right]), current.result == top.result else { continue }
            ids[pos] = top.result
            lengths[pos] += lengths[right]
            next[pos] = next[right]
            lengths[right] = 0
            let after = Int(next[right])
            if after >= 0 { previous[after] = Int32(pos) }
            let before = Int(previous[pos])
            if before >= 0, let m = merges.lookup(ids[before], ids[pos]) {
                Self.push(Candidate(rank: m.rank, position: Int32(before), result: m.result), into: &heap)
            }
            if after >= 0, let m = merges.lookup(ids[pos], ids[after]) {
                Self.push(Candidate(rank: m.rank, position: Int32(pos), result: m.result), into: &heap)
            }
        }
        var j = 0
        for i in 0..<ids.count where lengths[i] != 0 {
            ids[j] = ids[i]
            lengths[j] = lengths[i]
            j += 1
        }
        ids.removeLast(ids.count - j)
        lengths.removeLast(lengths.count - j)
        previous = []
        next = []
    }

    private static func push(_ c: Candidate, into heap: inout [Candidate]) {
        heap.append(c)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i] < heap[parent] else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private static func pop(_ heap: inout [Candidate]) -> Candidate? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var i = 0
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < n && heap[l] < heap[smallest] { smallest = l }
            if r < n && heap[r] < heap[smallest] { smallest = r }
            if smallest == i { break }
            heap.swapAt(i, smallest)
            i = smallest
        }
        return top
    }
}
