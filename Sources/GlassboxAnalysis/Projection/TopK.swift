/// One vocabulary entry (or class) with a score: a lens logit and probability, a projection value.
public struct TokenScore: Sendable, Equatable, Codable {
    /// Token id (or class index).
    public let id: Int
    /// Its display text when the caller gave texts (or the class name), else `nil`.
    public let text: String?
    /// The value ranked: a logit, a projection `e_t · v`, a sub-update's `m·(e_t · v)`.
    public let score: Float
    /// The softmax probability where one is defined (logit lens), else `nil`.
    public let prob: Float?

    /// An entry from its fields, as listed above.
    public init(id: Int, text: String?, score: Float, prob: Float? = nil) {
        (self.id, self.text, self.score, self.prob) = (id, text, score, prob)
    }
}

/// The `k` best `(score, index)` pairs seen so far: a binary min-heap whose root is the worst kept.
/// Order: higher score first; equal scores keep the smaller index (deterministic). NaN is ignored.
struct TopKHeap: Sendable {
    let capacity: Int
    private(set) var items: [(score: Float, index: Int)] = []
    /// Only scores above this may enter (`-inf`: no floor), e.g. the bar a merged heap already set.
    private(set) var floor: Float = -.infinity

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        items.reserveCapacity(min(self.capacity, 1 << 16))
    }

    /// Scores at or below this can never enter (the floor until the heap is full).
    var threshold: Float { items.count < capacity ? floor : Swift.max(floor, items[0].score) }
    var isFull: Bool { items.count >= capacity }
    /// True while any non-NaN score would enter.
    var admitsAll: Bool { items.count < capacity && floor == -.infinity }

    @inline(__always)
    func admits(_ score: Float) -> Bool { admitsAll || score > threshold }

    /// Sets the floor (it only rises).
    mutating func raise(to bar: Float) { floor = Swift.max(floor, bar) }

    @inline(__always)
    static func better(_ a: (score: Float, index: Int), _ b: (score: Float, index: Int)) -> Bool {
        a.score > b.score || (a.score == b.score && a.index < b.index)
    }

    mutating func offer(_ score: Float, _ index: Int) {
        guard capacity > 0, !score.isNaN, floor == -.infinity || score > floor else { return }
        let item = (score: score, index: index)
        if items.count < capacity {
            items.append(item)
            var c = items.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard Self.better(items[p], items[c]) else { break }
                items.swapAt(p, c)
                c = p
            }
            return
        }
        guard Self.better(item, items[0]) else { return }
        items[0] = item
        var p = 0
        while true {
            let l = 2 * p + 1, r = l + 1
            var worst = p
            if l < items.count, Self.better(items[worst], items[l]) { worst = l }
            if r < items.count, Self.better(items[worst], items[r]) { worst = r }
            if worst == p { break }
            items.swapAt(p, worst)
            p = worst
        }
    }

    mutating func merge(_ other: TopKHeap) {
        for item in other.items { offer(item.score, item.index) }
    }

    /// Best first.
    func sorted() -> [(score: Float, index: Int)] { items.sorted(by: Self.better) }
}

/// Top-k selection over vocabulary-sized vectors.
public enum VocabularyTopK {
    /// The `k` largest (or, with `largest: false`, smallest) entries of `scores` among the ids
    /// `filter` allows, best first, as `(id, score)`; ties keep the smaller id. NaN entries rank
    /// after every number (smallest id first), so the result always holds `min(k, allowed ids)`
    /// entries: an all-NaN row gives its first `k` allowed ids with score NaN, never an empty list.
    public static func select(_ scores: UnsafeBufferPointer<Float>, k: Int, filter: TokenFilter = .all,
                              largest: Bool = true) -> [(id: Int, score: Float)] {
        var heap = TopKHeap(capacity: min(k, scores.count))
        guard heap.capacity > 0, let base = scores.baseAddress else { return [] }
        let sign: Float = largest ? 1 : -1
        scan(base, scores.count, sign: sign, heap: &heap) { i in filter.isAll || filter.allows(i) }
        var picked = heap.sorted().map { (id: $0.index, score: sign * $0.score) }
        if !heap.isFull {
            // Fewer numbers than k were allowed: the rest are NaN entries (the heap ignores NaN).
            for i in 0..<scores.count where picked.count < heap.capacity && base[i].isNaN && (filter.isAll || filter.allows(i)) {
                picked.append((id: i, score: .nan))
            }
        }
        return picked
    }

    /// Offers `sign·x[i]` for `i` in `0..<n` to `heap` where `accept(i)`, skipping blocks of 16 that
    /// cannot enter a full heap (one vector compare against its bar). Indices are `offset + i`.
    @inline(__always)
    static func scan(_ x: UnsafePointer<Float>, _ n: Int, sign: Float, offset: Int = 0, heap: inout TopKHeap,
                     accept: (Int) -> Bool) {
        typealias V = SIMD16<Float>
        var (all, bar) = (heap.admitsAll, heap.threshold)
        @inline(__always) func consider(_ i: Int) {
            let v = sign * x[i]
            guard all || v > bar, accept(i) else { return }
            heap.offer(v, offset + i)
            (all, bar) = (heap.admitsAll, heap.threshold)
        }
        let signs = V(repeating: sign)
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) * signs
            if all || any(v .> V(repeating: bar)) {
                for j in i..<(i + 16) { consider(j) }
            }
            i += 16
        }
        while i < n {
            consider(i)
            i += 1
        }
    }

    /// `select` on an array.
    public static func select(_ scores: [Float], k: Int, filter: TokenFilter = .all,
                              largest: Bool = true) -> [(id: Int, score: Float)] {
        scores.withUnsafeBufferPointer { select($0, k: k, filter: filter, largest: largest) }
    }

    /// `TokenScore`s with texts looked up in `texts` (or `labels`) when given.
    static func tokenScores(_ picked: [(id: Int, score: Float)], texts: [String]?) -> [TokenScore] {
        picked.map { TokenScore(id: $0.id, text: text(of: $0.id, in: texts), score: $0.score) }
    }

    static func text(of id: Int, in texts: [String]?) -> String? {
        guard let texts, id >= 0, id < texts.count else { return nil }
        return texts[id]
    }
}
