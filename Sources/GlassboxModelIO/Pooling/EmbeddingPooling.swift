/// How a text encoder's final hidden state `[n, d]` becomes one sentence embedding, as
/// sentence-transformers' `Pooling` module computes it (no padding: every position counts).
public struct EmbeddingPooling: Sendable, Equatable, CustomStringConvertible {
    /// One of `Pooling`'s modes; each gives a `[d]` vector.
    public enum Mode: String, Sendable, CaseIterable {
        /// `h[0]` (`pooling_mode_cls_token`).
        case cls
        /// The element-wise maximum over positions (`pooling_mode_max_tokens`).
        case max
        /// `Σ_t h[t] / n` (`pooling_mode_mean_tokens`).
        case mean
        /// `Σ_t h[t] / √n` (`pooling_mode_mean_sqrt_len_tokens`).
        case meanSqrtLen = "mean_sqrt_len_tokens"
        /// `Σ_t (t+1)·h[t] / Σ_t (t+1)` (`pooling_mode_weightedmean_tokens`).
        case weightedMean = "weightedmean"
        /// `h[n−1]` (`pooling_mode_lasttoken`).
        case lastToken = "lasttoken"
    }

    /// The modes whose `[d]` vectors are concatenated, in this order, into the `[modes.count · d]`
    /// embedding (a list `pooling_mode` keeps its order and repeats; the `pooling_mode_*` switches
    /// give the order of `Mode.allCases`); never empty.
    public let modes: [Mode]

    /// The given modes in the given order; nil when empty.
    public init?(modes: [Mode]) {
        guard !modes.isEmpty else { return nil }
        self.modes = modes
    }

    /// Mean pooling: what Glassbox uses when the checkpoint has no `modules.json`.
    public static let mean = EmbeddingPooling(modes: [Mode.mean])!

    /// The modes' names joined by `+` (`cls`, `mean`, `cls+mean`, …), as the JSON output records them.
    public var description: String { modes.map(\.rawValue).joined(separator: "+") }
}
