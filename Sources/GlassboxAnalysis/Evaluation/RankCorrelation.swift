/// Spearman's rank correlation (docs/methods.md §9.3).
public enum RankCorrelation {
    /// Ranks `0…n−1` of `x` in ascending order; tied values share their mean rank.
    public static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var ranks = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let mean = Double(i + j) / 2
            for k in i...j { ranks[order[k]] = mean }
            i = j + 1
        }
        return ranks
    }

    /// Spearman's ρ of `a` and `b` (equal lengths): Pearson's correlation of their ranks
    /// (`scipy.stats.spearmanr`). NaN when either is constant or shorter than 2.
    ///
    /// - Throws: `AnalysisError.invalidOption` when the lengths differ.
    public static func spearman(_ a: [Double], _ b: [Double]) throws -> Double {
        guard a.count == b.count else {
            throw AnalysisError.invalidOption("Spearman's ρ compares two lists of equal length, got \(a.count) and \(b.count) values")
        }
        guard a.count > 1 else { return .nan }
        let (ra, rb) = (ranks(a), ranks(b))
        let n = Double(a.count)
        let (ma, mb) = (ra.reduce(0, +) / n, rb.reduce(0, +) / n)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in ra.indices {
            sab += (ra[i] - ma) * (rb[i] - mb); saa += (ra[i] - ma) * (ra[i] - ma); sbb += (rb[i] - mb) * (rb[i] - mb)
        }
        guard saa > 0, sbb > 0 else { return .nan }
        return sab / (saa * sbb).squareRoot()
    }
}
