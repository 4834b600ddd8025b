import Foundation

/// `config.json` of Command R7B and its successors (`model_type` `cohere2`), with the defaults of
/// transformers 4.53.3's `Cohere2Config`: Cohere's block (`CohereConfig`, read from the same
/// file with the same defaults) whose layers are sliding-window or full attention
/// (`Cohere2DecoderLayer.attention_type`, `layer_types`), where only the sliding layers rotate
/// (`Cohere2Attention.forward`: `if self.sliding_window is not None: apply_rotary_pos_emb`) and the
/// full layers see no position at all. `Cohere2Attention` has no QK-norm: `use_qk_norm` is not
/// read (held false whatever the file says).
public struct Cohere2Config: Decodable, Sendable, Equatable {
    /// The Cohere fields (`vocab_size` … `tie_word_embeddings`, `logit_scale`, `attention_bias`).
    public var base: CohereConfig
    /// Per layer: the window of a `sliding_attention` layer, `nil` for a `full_attention` one.
    public var slidingWindows: [Int?]

    enum CodingKeys: String, CodingKey {
        case slidingWindow = "sliding_window"
        case layerTypes = "layer_types"
        case slidingWindowPattern = "sliding_window_pattern"
    }

    /// Decodes Cohere's fields, then the layers: `layer_types` as written (every entry one of
    /// transformers' `ALLOWED_LAYER_TYPES`, at least one per layer: layer `l` reads entry `l`), or
    /// when absent or null built as `Cohere2Config.__init__` does, sliding unless
    /// `(l + 1) % sliding_window_pattern == 0` (default 4; any number, 2.5 as Python's float modulo;
    /// 0 divides by zero, null is a TypeError: refused). `sliding_window` (default 4096) is refused null: `Cohere2Model.forward` builds the
    /// sliding mask for every model (`create_sliding_window_causal_mask` raises without a window).
    public init(from decoder: Decoder) throws {
        base = try CohereConfig(from: decoder)
        base.useQKNorm = false
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let layers = base.numHiddenLayers
        let window = try c.value(refusingNull: .slidingWindow, default: 4096)
        let sliding: [Bool]
        if let types = try c.decodeIfPresent([String].self, forKey: .layerTypes) {
            guard types.count >= layers else {
                throw ConfigValidationError(key: "layer_types", detail: "has \(types.count) entries for \(layers) layers (IndexError in transformers)")
            }
            if let unknown = types.first(where: { !["full_attention", "sliding_attention", "chunked_attention", "linear_attention"].contains($0) }) {
                throw ConfigValidationError(key: "layer_types", detail: "has unknown type '\(unknown)'")
            }
            sliding = try types.prefix(layers).map { type in
                guard type == "full_attention" || type == "sliding_attention" else {
                    throw ConfigValidationError(key: "layer_types", detail:
                        "has a '\(type)' layer, for which Cohere2Model builds no mask (KeyError in transformers)")
                }
                return type == "sliding_attention"
            }
        } else {
            // `bool((l + 1) % pattern)`, any number (`pythonModuloNonZero`: 2.5 as Python reads it).
            let pattern = try c.value(refusingNull: .slidingWindowPattern, default: 4.0)
            guard pattern != 0 else {
                throw ConfigValidationError(key: "sliding_window_pattern", detail:
                    "is 0; transformers divides by it (ZeroDivisionError) when layer_types is not given")
            }
            sliding = pythonModuloNonZero(layers: layers, pattern: pattern)
        }
        if sliding.contains(true) { try requirePositive(window, "sliding_window") }
        slidingWindows = sliding.map { $0 ? window : nil }
    }

    /// Cohere's architecture with the per-layer windows, and the full-attention layers unrotated
    /// (`Architecture.unrotatedLayers`).
    func architecture() -> Architecture {
        var arch = base.architecture(modelType: "cohere2")
        arch.slidingWindows = slidingWindows
        arch.unrotatedLayers = Set(slidingWindows.indices.filter { slidingWindows[$0] == nil })
        return arch
    }
}
