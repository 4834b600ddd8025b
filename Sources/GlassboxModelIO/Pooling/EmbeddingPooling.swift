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

    /// The modes whose `[d]` vectors are concatenated into the `[modes.count · d]` embedding, in
    /// sentence-transformers' order (the order of `Mode.allCases`); never empty.
    public let modes: [Mode]

    /// The given modes, put in sentence-transformers' concatenation order; nil when empty.
    public init?(modes: Set<Mode>) {
        guard !modes.isEmpty else { return nil }
        self.modes = Mode.allCases.filter(modes.contains)
    }

    /// Mean pooling: what Glassbox uses when the checkpoint has no `modules.json`.
    public static let mean = EmbeddingPooling(modes: [.mean])!

    /// The modes' names joined by `+` (`cls`, `mean`, `cls+mean`, …), as the JSON output records them.
    public var description: String { modes.map(\.rawValue).joined(separator: "+") }
}
