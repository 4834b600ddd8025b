import GlassboxRuntime

/// Where the lens reads the residual stream's writers.
public enum LensSite: String, Sendable, Codable, CaseIterable {
    /// The residual stream: one row for the embeddings (block 0's input), one per block output;
    /// the last row is the model's own prediction.
    case resid
    /// Each attention layer's output `hook_attn_out` (Vilas et al.'s "hs-attn").
    case attn
    /// Each MLP's output `hook_mlp_out` (Vilas et al.'s "hs-mlp"; Geva et al.'s FFN projection).
    case mlp
}

/// The token (or class) whose rank and probability each lens cell reports.
public enum LensTarget: Sendable, Equatable {
    /// No target: cells report only their top-k and KL.
    case none
    /// The same id at every position.
    case id(Int)
    /// One id per chosen position (e.g. the next input token), in position order.
    case perPosition([Int])
    /// At each position, the top-1 of the final distribution there (the model's own prediction).
    case finalTop
}

/// One lens readout at one position.
public struct LensCell: Sendable, Equatable, Codable {
    /// The input position read, 0-based.
    public let position: Int
    /// The `topK` most likely outputs, with logits (`score`) and probabilities (`prob`).
    public let top: [TokenScore]
    /// The target token id or class index at this position; nil with `LensTarget.none`.
    public let targetID: Int?
    /// 1-based rank of the target among all outputs (1 = top); equal logits with smaller ids rank above it.
    public let targetRank: Int?
    /// The target's probability under this row's readout, in [0, 1]; nil without a target.
    public let targetProb: Float?
    /// The target's logit under this row's readout; nil without a target.
    public let targetLogit: Float?
    /// `KL(final ‖ lens)` in nats: the final distribution at this position against this row's.
    public let kl: Float
    /// Vilas et al.'s class identifiability `1 − (rank−1)/V` (1 = top-1), for the class lens.
    public let identifiability: Float?
}

/// One row of the lens table: the embeddings, a block output, or one sub-layer's output.
public struct LensRow: Sendable, Equatable, Codable {
    /// `embed`, `layer L`, `attn L` or `mlp L`.
    public let label: String
    /// The block, `nil` for the embeddings.
    public let layer: Int?
    /// One cell per chosen position, in position order.
    public let cells: [LensCell]
}

/// Vilas et al.'s class identifiability of one row, averaged as they do: `[CLS]` alone and the
/// mean over image tokens (positions ≥ 1 among the chosen ones).
public struct RowIdentifiability: Sendable, Equatable, Codable {
    /// The row's label (`embed`, `layer L`, …), as in `LensRow.label`.
    public let label: String
    /// Identifiability at `[CLS]` (position 0); nil when position 0 was not read.
    public let cls: Float?
    /// Mean identifiability over the read image-token positions (≥ 1); nil when none was read.
    public let imageTokens: Float?
}

/// A logit lens table: layers (or sub-layers) × positions.
public struct LogitLensResult: Sendable, Equatable, Codable {
    /// `"logit-lens"`, or `"class-lens"` for the class readout.
    public let method: String
    /// Provenance: site, readout, topK, target.
    public let parameters: [String: String]
    /// Which states were read: the residual stream, attention or MLP outputs.
    public let site: LensSite
    /// Which output layer turned states into logits.
    public let readout: LensReadout.Kind
    /// What was applied (e.g. "final norm (recomputed per row) + unembedding").
    public let readoutDescription: String
    /// True when the readout is an approximation (tied embeddings of an encoder).
    public let approximate: Bool
    /// Input ids (empty for images).
    public let inputIDs: [Int]
    /// The positions of each row's cells.
    public let positions: [Int]
    /// Class names for the class lens.
    public let classLabels: [String]?
    /// One row per state read, bottom-up (`embed` first for `.resid`), each with one cell per
    /// entry of `positions`.
    public let rows: [LensRow]
    /// Class lens only: identifiability per row.
    public let identifiability: [RowIdentifiability]?
}
