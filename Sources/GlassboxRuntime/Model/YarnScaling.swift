import Foundation

/// YaRN (Peng et al. 2023) as transformers 4.53.3 computes it (`_compute_yarn_parameters`): each
/// inverse frequency blended between itself (extrapolation) and itself divided by `factor`
/// (interpolation) by a linear ramp over the frequency index, and cos/sin multiplied by an attention
/// factor. Fields are the resolved values, checked by `YarnScaling.init(_:maxPositions:)`.
public struct YarnScaling: Sendable, Equatable {
    /// The interpolation factor: `max_position_embeddings / original_max_position_embeddings` when
    /// `rope_scaling` gives the original length (the written `factor` is then unused), else `factor`.
    public var factor: Double
    /// The pretrained length the correction range is found from (`rope_scaling`'s
    /// `original_max_position_embeddings`, else `max_position_embeddings`).
    public var originalMaxPositions: Double
    /// `beta_fast` (default 32) and `beta_slow` (default 1): rotations over the original length that
    /// bound the ramp.
    public var betaFast: Double, betaSlow: Double
    /// The factor cos and sin carry: `attention_factor`, else `mscale(factor, mscale) /
    /// mscale(factor, mscale_all_dim)` when both are set, else `mscale(factor)`, with
    /// `mscale(s, m) = 0.1·m·ln s + 1` (1 when s ≤ 1).
    public var attentionFactor: Float

    /// Reads and checks a `rope_scaling` object of type `yarn`, refusing what transformers raises on
    /// (a missing or non-numeric `factor`, an original length ≤ 0, a beta ≤ 0 or not a number, an
    /// mscale pair whose denominator is 0) and, as the other scalings here, a `factor` ≤ 0 (NaN
    /// frequencies in transformers). What transformers only warns about is accepted.
    init(_ raw: [String: JSONValue], maxPositions: Int) throws {
        func fail(_ key: String, _ detail: String) -> ConfigValidationError {
            ConfigValidationError(key: "rope_scaling.\(key)", detail: detail)
        }
        guard raw["factor"] != nil else {
            throw ConfigValidationError(key: "rope_scaling", detail: "of type 'yarn' needs a numeric 'factor'")
        }
        if let original = raw["original_max_position_embeddings"] {
            guard let value = original.pythonNumber, value.isFinite, value > 0 else {
                throw fail("original_max_position_embeddings", "must be a positive number, got \(original.written)")
            }
            (originalMaxPositions, factor) = (value, Double(maxPositions) / value)
        } else {
            guard let value = raw["factor"]?.pythonNumber else {
                throw ConfigValidationError(key: "rope_scaling", detail: "of type 'yarn' needs a numeric 'factor'")
            }
            guard value.isFinite, value > 0 else { throw fail("factor", "must be a positive number, got \(configNumber(value))") }
            (originalMaxPositions, factor) = (Double(maxPositions), value)
        }
        /// Python's `x or default`: a falsy value (absent, null, 0, false, "") takes the default.
        func beta(_ key: String, default fallback: Double) throws -> Double {
            guard let value = raw[key], value.isTruthy else { return fallback }
            guard let number = value.pythonNumber, number.isFinite, number > 0 else {
                throw fail(key, "must be a positive number, got \(value.written)")
            }
            return number
        }
        betaFast = try beta("beta_fast", default: 32)
        betaSlow = try beta("beta_slow", default: 1)
        let scale = factor
        func mscale(_ m: Double) -> Double { scale <= 1 ? 1 : 0.1 * m * log(scale) + 1 }
        let attention: Double
        if let given = raw["attention_factor"], given != .null {
            guard let value = given.pythonNumber, Float(value).isFinite else {
                throw fail("attention_factor", "must be a number, got \(given.written)")
            }
            attention = value
        } else if let m = raw["mscale"], let all = raw["mscale_all_dim"], m.isTruthy, all.isTruthy {
            guard let mValue = m.pythonNumber else { throw fail("mscale", "must be a number, got \(m.written)") }
            guard let allValue = all.pythonNumber else { throw fail("mscale_all_dim", "must be a number, got \(all.written)") }
            guard mscale(allValue) != 0 else {
                throw fail("mscale_all_dim", "(\(configNumber(allValue))) makes the attention factor divide by 0.1·mscale_all_dim·ln(factor) + 1 = 0")
            }
            attention = mscale(mValue) / mscale(allValue)
        } else {
            attention = mscale(1)
        }
        guard Float(attention).isFinite else { throw fail("attention_factor", "is \(attention), not a float32 number") }
        attentionFactor = Float(attention)
    }

    /// `inv_freq [dimensions/2]` from the powers `pos_freqs = base^(2i / dim)` (`ropePowers`): index
    /// i keeps `1 / pos_freqs[i]` (extrapolation) below the correction range, takes
    /// `1 / (factor · pos_freqs[i])` (interpolation, the factor rounded to float32 as torch's
    /// `Scalar * Tensor`) above it, and blends linearly inside. The range is
    /// `[max(⌊c(beta_fast)⌋, 0), min(⌈c(beta_slow)⌉, dimensions − 1)]` with
    /// `c(r) = dimensions · ln(original / (2π r)) / (2 ln base)` (the ramp in float32 as the reference's).
    func inverseFrequencies(powers: [Float], dimensions: Int, base: Double) -> [Float] {
        let d = Double(dimensions)
        func correctionDimension(_ rotations: Double) -> Double {
            d * log(originalMaxPositions / (rotations * 2 * Double.pi)) / (2 * log(base))
        }
        let low = max(floor(correctionDimension(betaFast)), 0)
        let high = min(ceil(correctionDimension(betaSlow)), d - 1)
        let width = Float((low == high ? high + 0.001 : high) - low)
        return powers.enumerated().map { i, p in
            let ramp = min(max((Float(i) - Float(low)) / width, 0), 1)
            let extrapolated = 1 - ramp
            let interpolation = 1 / (Float(factor) * p), extrapolation = 1 / p
            return interpolation * (1 - extrapolated) + extrapolation * extrapolated
        }
    }
}

extension JSONValue {
    /// The value as Python arithmetic reads it: a number, or a bool as 1 / 0; nil otherwise.
    var pythonNumber: Double? {
        switch self {
        case .number(let n): n
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Python truthiness: null, false, 0, "" and [] are false (objects are taken as true).
    var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .number(let n): n != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .other: true
        }
    }

    /// The value as written in an error message: `0`, `null`, `"x"`, `a list of 3`.
    var written: String {
        switch self {
        case .number(let n): configNumber(n)
        case .string(let s): "\"\(s)\""
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .list(let l): "a list of \(l.count)"
        case .other: "an object"
        }
    }
}
