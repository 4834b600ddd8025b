/// The indices of the `k` largest of `values`, largest first, chosen and ordered exactly as
/// `torch.topk(values, k, sorted=True)` does on the CPU (PyTorch 2.x, `TopKImpl.h`), ties included.
///
/// PyTorch pairs each value with its index and, when `k·64 > n`, runs libstdc++'s
/// `std::nth_element` (introselect: median-of-three pivot moved to the front, unguarded Hoare
/// partition, insertion sort once at most three elements remain) to put the k-th largest in place,
/// then `std::sort` on the first `k − 1` (an insertion sort for up to 16 elements). Both compare
/// values only (`a > b`), so equal values end up in the order these exact steps leave them — not
/// lowest index first (`[0.25, 0.25, 0.25, 0.25]`, k = 2 gives `[2, 3]`). This follows those steps.
/// Not covered: `k·64 ≤ n` (PyTorch's `std::partial_sort` path) and `k > 17` (introsort), where
/// tied values may come out in another order; values are assumed not NaN.
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
