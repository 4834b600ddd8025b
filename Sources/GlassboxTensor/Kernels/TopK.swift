/// The indices of the `k` largest of `values`, largest first, chosen and ordered exactly as
/// `torch.topk(values, k, sorted=True)` does on the CPU (PyTorch 2.x, `TopKImpl.h`), ties included.
///
/// PyTorch pairs each value with its index and, when `k·64 > n`, runs libstdc++'s
/// `std::nth_element` (introselect: median-of-three pivot moved to the front, unguarded Hoare
/// partition, insertion sort once at most three elements remain) to put the k-th largest in place,
/// then `std::sort` on the first `k − 1` (an insertion sort for up to 16 elements); when
/// `k·64 ≤ n` (many experts, few chosen) it runs `std::partial_sort` (a heap of the first `k`, then
/// a heap sort). All compare values only (`a > b`), so equal values end up in the order these exact
/// steps leave them — not lowest index first (`[0.25, 0.25, 0.25, 0.25]`, k = 2 gives `[2, 3]`).
/// This follows those steps (`MixtralTests` checks it against `torch.topk` on 1,500 tie-heavy rows
/// covering both paths). Not covered: `k > 17` on the `nth_element` path (libstdc++ then sorts the first
/// `k − 1` with introsort), where tied values may come out in another order, and NaN values.
///
/// - Parameters:
///   - values: `[n]`, e.g. one position's router probabilities.
///   - k: `1 ≤ k ≤ n`.
/// - Returns: `[k]` indices into `values`.
public func torchTopKIndices(_ values: [Float], k: Int) -> [Int] {
    precondition(k >= 1 && k <= values.count, "top-\(k) of \(values.count) values")
    var q = values.indices.map { (values[$0], $0) }
    func greater(_ a: Int, _ b: Int) -> Bool { q[a].0 > q[b].0 }
    func insertionSort(_ first: Int, _ last: Int) {
        guard last - first > 1 else { return }
        for i in (first + 1)..<last {
            let v = q[i]
            if v.0 > q[first].0 {
                for j in stride(from: i, to: first, by: -1) { q[j] = q[j - 1] }
                q[first] = v
            } else {
                var j = i
                while v.0 > q[j - 1].0 { q[j] = q[j - 1]; j -= 1 }
                q[j] = v
            }
        }
    }
    // std::__move_median_to_first(result, a, b, c)
    func moveMedianToFirst(_ result: Int, _ a: Int, _ b: Int, _ c: Int) {
        let pick: Int
        if greater(a, b) {
            pick = greater(b, c) ? b : greater(a, c) ? c : a
        } else if greater(a, c) {
            pick = a
        } else {
            pick = greater(b, c) ? c : b
        }
        q.swapAt(result, pick)
    }
    // std::__unguarded_partition(first, last, pivot)
    func partition(_ from: Int, _ to: Int, pivot: Int) -> Int {
        var (first, last) = (from, to)
        while true {
            while greater(first, pivot) { first += 1 }
            last -= 1
            while greater(pivot, last) { last -= 1 }
            if !(first < last) { return first }
            q.swapAt(first, last)
            first += 1
        }
    }
    if k * 64 <= q.count { return partialSortIndices(&q, k: k) }
    var (first, last) = (0, q.count)
    let nth = k - 1
    while last - first > 3 {
        let cut: Int
        moveMedianToFirst(first, first + 1, first + (last - first) / 2, last - 1)
        cut = partition(first + 1, last, pivot: first)
        if cut <= nth { first = cut } else { last = cut }
    }
    insertionSort(first, last)
    insertionSort(0, k - 1)
    return q[0..<k].map(\.1)
}

/// libstdc++'s `std::partial_sort(first, first + k, last)` with `a > b` on the values: a heap of the
/// first `k` (`__make_heap`), every later element larger than the heap's top replacing it
/// (`__pop_heap`), then `__sort_heap`. Returns the first `k` indices.
private func partialSortIndices(_ q: inout [(Float, Int)], k: Int) -> [Int] {
    func greater(_ a: (Float, Int), _ b: (Float, Int)) -> Bool { a.0 > b.0 }
    // std::__adjust_heap on q[0..<length], then std::__push_heap.
    func adjust(_ start: Int, _ length: Int, _ value: (Float, Int)) {
        var hole = start, second = start
        while second < (length - 1) / 2 {
            second = 2 * (second + 1)
            if greater(q[second], q[second - 1]) { second -= 1 }
            q[hole] = q[second]
            hole = second
        }
        if length % 2 == 0 && second == (length - 2) / 2 {
            second = 2 * (second + 1)
            q[hole] = q[second - 1]
            hole = second - 1
        }
        var parent = (hole - 1) / 2
        while hole > start && greater(q[parent], value) {
            q[hole] = q[parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        q[hole] = value
    }
    func pop(_ length: Int, into result: Int) {
        let value = q[result]
        q[result] = q[0]
        adjust(0, length, value)
    }
    if k >= 2 {
        for parent in stride(from: (k - 2) / 2, through: 0, by: -1) { adjust(parent, k, q[parent]) }
    }
    for i in k..<q.count where greater(q[i], q[0]) { pop(k, into: i) }
    for middle in stride(from: k - 1, through: 1, by: -1) { pop(middle, into: middle) }
    return q[0..<k].map(\.1)
}
