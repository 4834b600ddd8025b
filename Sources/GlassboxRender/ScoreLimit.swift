import Foundation

/// How the end of a zero-centred diverging colour scale (`−limit…limit`) is chosen from the signed
/// scores it shows (relevance, attribution).
///
/// With `.maxAbs` nothing is clipped, but one extreme score — often the explained position itself
/// in AttnLRP — can wash every other token out to white. `.robust` keeps the largest score that is
/// not a far outlier and clips the outliers to full colour, marking them in the picture and
/// saying so in the legend, so the reader sees both the pattern and that the scale was cut.
public enum ScoreLimit: Sendable, Equatable {
    /// The largest |score|: nothing is clipped.
    case maxAbs
    /// The largest |score| inside Tukey's far-out fence of the |scores| (Tukey 1977, *Exploratory
    /// Data Analysis*, §2: Q3 + 3·IQR, quartiles by linear interpolation); larger |scores| are
    /// clipped. Equal to `.maxAbs` whenever no score lies beyond the fence (so for fewer than four
    /// finite scores).
    case robust
    /// A fixed limit (> 0); larger |scores| are clipped.
    case fixed(Double)

    /// The limit for `scores` (NaN and infinities ignored); 1 when every score is zero.
    public func limit(for scores: [Double]) -> Double {
        limit(sortedMagnitudes: scores.filter(\.isFinite).map(abs).sorted())
    }

    /// `limit(for:)` of float32 scores (a `ScoreMatrix`'s values): the same limit as for
    /// `scores.map(Double.init)`, from one float32 copy of the magnitudes and, for `.robust`, the
    /// four order statistics the quartiles need picked by selection instead of a sort (tens of
    /// millions of cells: a sequence heatmap of 5,000 generated tokens).
    public func limit(forFloat32 scores: [Float]) -> Double {
        var magnitudes: [Float] = []
        magnitudes.reserveCapacity(scores.count)
        for v in scores where v.isFinite { magnitudes.append(abs(v)) }
        guard case .robust = self, magnitudes.count >= 4 else {
            return limit(sortedMagnitudes: magnitudes.max().map { [$0] } ?? [])
        }
        let largest = Double(magnitudes.max()!)
        func quantile(_ p: Double) -> Double {
            let h = Double(magnitudes.count - 1) * p, lo = Int(h.rounded(.down))
            let low = Double(Self.select(&magnitudes, lo))
            let high = lo + 1 < magnitudes.count ? Double(magnitudes[(lo + 1)...].min()!) : low
            return low + (h - Double(lo)) * (high - low)
        }
        let q1 = quantile(0.25), q3 = quantile(0.75)
        let fence = q3 + 3 * (q3 - q1)
        let value = magnitudes.reduce(-Double.infinity) { Double($1) <= fence ? max($0, Double($1)) : $0 }
        return value.isFinite && value > 0 ? value : (largest > 0 ? largest : 1)
    }

    /// Reorders `values` so that `values[k]` is the value a sort would put there, every value
    /// before it no larger and every value after it no smaller (Hoare's FIND, 1961, with the
    /// median of three as pivot); returns `values[k]`.
    static func select(_ values: inout [Float], _ k: Int) -> Float {
        var lo = 0, hi = values.count - 1
        while hi > lo {
            let mid = lo + (hi - lo) / 2
            if values[mid] < values[lo] { values.swapAt(mid, lo) }
            if values[hi] < values[lo] { values.swapAt(hi, lo) }
            if values[hi] < values[mid] { values.swapAt(hi, mid) }
            let pivot = values[mid]
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { break }
        }
        return values[k]
    }

    private func limit<T: BinaryFloatingPoint>(sortedMagnitudes magnitudes: [T]) -> Double {
        let largest = magnitudes.last.map { Double($0) } ?? 0
        let value: Double
        switch self {
        case .maxAbs:
            value = largest
        case .fixed(let limit):
            value = limit
        case .robust:
            guard magnitudes.count >= 4 else { value = largest; break }
            let q1 = Self.quantile(magnitudes, 0.25), q3 = Self.quantile(magnitudes, 0.75)
            let fence = q3 + 3 * (q3 - q1)
            value = magnitudes.last(where: { Double($0) <= fence }).map { Double($0) } ?? largest
        }
        return value.isFinite && value > 0 ? value : (largest > 0 ? largest : 1)
    }

    /// How many finite scores lie beyond `limit` (drawn at full colour and marked).
    public static func clippedCount(_ scores: [Double], limit: Double) -> Int {
        scores.filter { $0.isFinite && abs($0) > limit }.count
    }

    /// `clippedCount` of float32 scores, compared as doubles.
    public static func clippedCount(float32 scores: [Float], limit: Double) -> Int {
        scores.reduce(0) { $1.isFinite && Double(abs($1)) > limit ? $0 + 1 : $0 }
    }

    /// The legend's statement of the scale, e.g. "scale ±0.96, robust (Tukey fence): 1 beyond, ▲".
    /// With `allZero` (every finite score is 0, see ``allZero(_:)``) a rule that reads the scores
    /// had nothing to read: the legend says so and that ±1 is only the default.
    public func legend(limit: Double, clipped: Int, unit: String = "token", allZero: Bool = false) -> String {
        let value = String(format: "±%.3g", limit)
        if allZero, !isFixed { return "every \(unit) scores 0 (scale \(value) by default)" }
        let units = clipped == 1 ? unit : (unit.hasSuffix("ch") ? unit + "es" : unit + "s")
        let beyond = clipped == 0 ? "" : ": \(clipped) \(units) beyond, marked \(Self.clipMark)"
        switch self {
        case .maxAbs: return "scale \(value) = max |score|"
        case .robust: return clipped == 0 ? "scale \(value) = max |score| (no outlier)" : "scale \(value), robust (Tukey fence)\(beyond)"
        case .fixed: return "scale \(value), fixed\(beyond)"
        }
    }

    /// The legend of `scores` drawn on a scale ending at `limit`
    /// (``legend(limit:clipped:unit:allZero:)``), with the clipped count and whether every score is
    /// 0 found in one pass; also the clipped count, for the marks.
    public func legend(scores: [Double], limit: Double, unit: String = "token") -> (text: String, clipped: Int) {
        legend(counting: scores, limit: limit, unit: unit)
    }

    /// `legend(scores:limit:unit:)` of float32 scores, compared as doubles.
    public func legend(float32 scores: [Float], limit: Double, unit: String = "token") -> (text: String, clipped: Int) {
        legend(counting: scores, limit: limit, unit: unit)
    }

    private func legend<T: BinaryFloatingPoint>(counting scores: [T], limit: Double, unit: String) -> (text: String, clipped: Int) {
        var clipped = 0, nonzero = false
        for v in scores where v.isFinite {
            if Double(abs(v)) > limit { clipped += 1 }
            if v != 0 { nonzero = true }
        }
        return (legend(limit: limit, clipped: clipped, unit: unit, allZero: !nonzero), clipped)
    }

    /// Whether no finite score differs from 0 (the limit then falls back to 1).
    public static func allZero(_ scores: [Double]) -> Bool { !scores.contains { $0.isFinite && $0 != 0 } }

    /// `allZero` of float32 scores.
    public static func allZero(float32 scores: [Float]) -> Bool { !scores.contains { $0.isFinite && $0 != 0 } }

    /// Whether the limit is given (`.fixed`) rather than read from the scores.
    var isFixed: Bool { if case .fixed = self { true } else { false } }

    /// The mark drawn on a clipped score.
    public static let clipMark = "▲"

    /// The `p`-quantile of ascending `sorted` values, linear interpolation between order statistics
    /// (numpy's default, "type 7").
    static func quantile<T: BinaryFloatingPoint>(_ sorted: [T], _ p: Double) -> Double {
        let h = Double(sorted.count - 1) * p
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return Double(sorted[lo]) + (h - Double(lo)) * (Double(sorted[hi]) - Double(sorted[lo]))
    }
}
