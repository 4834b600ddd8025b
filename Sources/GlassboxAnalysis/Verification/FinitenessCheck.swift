import GlassboxRuntime
import GlassboxTensor

/// No NaN or ±Inf at any hook point: every hook the forward fires is captured and scanned. The only
/// allowed non-finite value is the −Inf with which the mask marks hidden attention scores
/// (`attn.hook_attn_scores`).
public struct FinitenessCheck: Sendable, Equatable {
    /// A hook holding non-finite values.
    public struct Finding: Sendable, Equatable {
        /// The hook name.
        public let hook: String
        /// How many of its values are NaN or ±Inf (−Inf in attention scores not counted).
        public let count: Int
        /// Its element count.
        public let total: Int
    }

    /// How many hook points were scanned.
    public let hooksChecked: Int
    /// How many values were scanned.
    public let valuesChecked: Int
    /// Every hook with non-finite values, in forward order.
    public let findings: [Finding]

    /// Whether no hook holds a non-finite value.
    public var passed: Bool { findings.isEmpty }

    /// Scans every hook point of `cache` (a forward pass with `capture: .all`).
    public static func scan(_ cache: ActivationCache) -> FinitenessCheck {
        var findings: [Finding] = [], values = 0
        for (point, tensor) in cache.entries {
            values += tensor.count
            let isScores = if case .block(_, .attnScores) = point { true } else { false }
            let bad = isScores ? NonFinite.countExceptNegativeInfinity(tensor) : NonFinite.count(tensor)
            if bad > 0 { findings.append(Finding(hook: point.name, count: bad, total: tensor.count)) }
        }
        return FinitenessCheck(hooksChecked: cache.count, valuesChecked: values, findings: findings)
    }

    /// Runs `input` with every hook captured and scans it (the model's own activation check is
    /// switched off for this pass so that the scan sees every hook).
    public static func run(_ model: TransformerModel, _ input: ModelInput) throws -> FinitenessCheck {
        var unchecked = model
        unchecked.checksActivations = false
        return scan(try unchecked.forward(input, capture: .all).cache)
    }
}
