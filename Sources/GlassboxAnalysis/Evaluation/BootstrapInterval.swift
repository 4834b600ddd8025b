import GlassboxTensor

/// A mean over inputs with its bootstrap confidence interval (docs/methods.md §9.2).
public struct MeanInterval: Sendable, Equatable, Codable {
    /// The mean of the values.
    public let mean: Double
    /// The lower end of the interval.
    public let lower: Double
    /// The upper end of the interval.
    public let upper: Double

    /// An interval from its parts.
    public init(mean: Double, lower: Double, upper: Double) {
        (self.mean, self.lower, self.upper) = (mean, lower, upper)
    }

    /// The mean of `values` and its percentile bootstrap interval (Efron & Tibshirani 1993, §13.3):
    /// `resamples` means of `values.count` draws with replacement (SplitMix64 seeded by `seed`),
    /// their `(1 − level)/2` and `(1 + level)/2` quantiles (linear interpolation between order
    /// statistics, numpy's default). One value gives a zero-width interval; none gives NaNs.
    public static func bootstrap(_ values: [Double], level: Double = 0.95, resamples: Int = 1000,
                                 seed: UInt64 = 0) -> MeanInterval {
        guard !values.isEmpty else { return MeanInterval(mean: .nan, lower: .nan, upper: .nan) }
        let n = values.count
        let mean = values.reduce(0, +) / Double(n)
        guard n > 1, resamples > 0 else { return MeanInterval(mean: mean, lower: mean, upper: mean) }
        var rng = SplitMix64(seed: seed)
        var means: [Double] = []
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sum = 0.0
            for _ in 0..<n { sum += values[Int(rng.next() % UInt64(n))] }
            means.append(sum / Double(n))
        }
        means.sort()
        func quantile(_ q: Double) -> Double {
            let x = q * Double(means.count - 1)
            let i = Int(x.rounded(.down)), f = x - Double(i)
            return i + 1 < means.count ? means[i] * (1 - f) + means[i + 1] * f : means[i]
        }
        return MeanInterval(mean: mean, lower: quantile((1 - level) / 2), upper: quantile((1 + level) / 2))
    }
}
