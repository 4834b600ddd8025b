import Foundation
import GlassboxTensor

/// Granite's four scalars on the Llama block (`GraniteConfig`, transformers 4.53.3), each 1 by default:
/// - `embedding_multiplier` m_e: `GraniteModel.forward` multiplies `inputs_embeds` by it before block 0;
/// - `attention_multiplier` s: `GraniteAttention.scaling`, the score scale in place of `dh^-½`;
/// - `residual_multiplier` m_r: `GraniteDecoderLayer` adds `attn · m_r` and `mlp · m_r` to the residual;
/// - `logits_scaling` z: `GraniteForCausalLM` returns `lm_head(h) / z`.
///
/// Glassbox folds m_e into the embedding (`EmbeddingWeights.scale`: `hook_embed` is
/// `embed_tokens(ids) · m_e`, what block 0 reads, as Gemma's `√d`), s into `Architecture.attentionScale`,
/// and m_r and 1/z into the weights at load (a Float32 copy of `o_proj`, `down_proj` and the output
/// layer, biases included, as OPT's projections are folded): `hook_attn_out` / `hook_mlp_out` (and the
/// per-head `hook_result`, the neurons' sub-updates) are what the residual stream receives, and
/// `unembed.hook_out`, the lens, DLA and the relevance's explained logit see the scaled logits
/// transformers returns. A multiplier of 1 copies nothing.
public struct GraniteMultipliers: Sendable, Equatable {
    /// `embedding_multiplier` (default 1).
    public var embedding: Double
    /// `attention_multiplier` (default 1).
    public var attention: Double
    /// `residual_multiplier` (default 1).
    public var residual: Double
    /// `logits_scaling`, the divisor of the logits (default 1; 0 refused).
    public var logitsScaling: Double

    enum CodingKeys: String, CodingKey {
        case embedding = "embedding_multiplier"
        case attention = "attention_multiplier"
        case residual = "residual_multiplier"
        case logitsScaling = "logits_scaling"
    }

    /// Reads the four keys; `null` is refused (transformers multiplies or divides by it: TypeError),
    /// a non-finite value too, and `logits_scaling` 0 (every logit ±inf or NaN).
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        embedding = try c.value(refusingNull: .embedding, default: 1.0)
        attention = try c.value(refusingNull: .attention, default: 1.0)
        residual = try c.value(refusingNull: .residual, default: 1.0)
        logitsScaling = try c.value(refusingNull: .logitsScaling, default: 1.0)
        for (value, key) in [(embedding, CodingKeys.embedding), (attention, .attention), (residual, .residual),
                             (logitsScaling, .logitsScaling)] where !value.isFinite {
            throw ConfigValidationError(key: key.rawValue, detail: "must be a finite number, got \(value)")
        }
        guard logitsScaling != 0 else {
            throw ConfigValidationError(key: CodingKeys.logitsScaling.rawValue, detail:
                "is 0: GraniteForCausalLM divides the logits by it, so every logit would be infinite or NaN")
        }
    }
}
