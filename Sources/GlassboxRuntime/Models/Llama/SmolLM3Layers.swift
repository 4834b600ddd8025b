import Foundation

/// SmolLM3's per-layer choices, as `SmolLM3Config.__init__` (transformers 4.53.3,
/// configuration_smollm3.py) builds them and `SmolLM3Attention` / `SmolLM3Model` read them:
///
/// - which layers rotate: `no_rope_layers[l]` (1 rotates, 0 is a NoPE layer:
///   `SmolLM3Attention.use_rope`), built when absent or null as
///   `int((l + 1) % no_rope_layer_interval != 0)` (default interval 4: every fourth layer is NoPE);
/// - which layers slide: `layer_types[l] == "sliding_attention"` picks the sliding-window mask
///   (`create_sliding_window_causal_mask`, window `sliding_window`), whatever `use_sliding_window`
///   says; built when absent or null as sliding exactly in the NoPE layers when
///   `use_sliding_window` and `sliding_window` is set.
struct SmolLM3Layers {
    /// Per layer: the sliding window, or `nil` for full causal attention.
    var slidingWindows: [Int?]
    /// The NoPE layers (`no_rope_layers[l]` 0).
    var unrotated: Set<Int>

    typealias Keys = LlamaConfig.CodingKeys

    /// Decodes the four fields for `layers` layers; refuses what transformers 4.53.3 fails on (an
    /// interval of 0, lists shorter than the layers, a sliding layer without a window, a layer type
    /// SmolLM3Model builds no mask for), naming the key.
    init(_ c: KeyedDecodingContainer<Keys>, layers: Int) throws {
        let rotates = try Self.rotatingLayers(c, layers: layers)
        unrotated = Set(rotates.indices.filter { !rotates[$0] })
        let sliding = try c.value(.useSlidingWindow, default: false)
        let window = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        if let window { try requirePositive(window, "sliding_window") }
        guard let types = try c.decodeIfPresent([String].self, forKey: .layerTypes) else {
            slidingWindows = rotates.map { sliding && !$0 ? window : nil }
            return
        }
        // SmolLM3DecoderLayer reads layer_types[l] (fewer entries: IndexError).
        guard types.count >= layers else {
            throw ConfigValidationError(key: "layer_types", detail: "has \(types.count) entries for \(layers) layers (IndexError in transformers)")
        }
        slidingWindows = try types.prefix(layers).map { type -> Int? in
            switch type {
            case "full_attention": return nil
            case "sliding_attention":
                guard let window else {
                    throw ConfigValidationError(key: "sliding_window", detail:
                        "is null, but layer_types has a sliding_attention layer; transformers fails on it too (its mask needs the window): give the window, or mark the layer full_attention")
                }
                // The mask follows layer_types whatever use_sliding_window says (SmolLM3Model's
                // causal_mask_mapping): the eager and SDPA paths slide here, as Glassbox does; only
                // flash attention reads SmolLM3Attention.sliding_window, None without use_sliding_window.
                return window
            case "chunked_attention", "linear_attention":
                throw ConfigValidationError(key: "layer_types", detail:
                    "has a '\(type)' layer, for which SmolLM3Model builds no mask (KeyError in transformers)")
            default:
                throw ConfigValidationError(key: "layer_types", detail: "has unknown type '\(type)'")
            }
        }
    }

    /// Per layer: whether it rotates (`no_rope_layers`, or the interval's pattern).
    private static func rotatingLayers(_ c: KeyedDecodingContainer<Keys>, layers: Int) throws -> [Bool] {
        guard let written = try c.decodeIfPresent([JSONValue].self, forKey: .noRopeLayers) else {
            // `(l + 1) % interval`: null is a TypeError, 0 a ZeroDivisionError; a negative interval
            // marks the same layers as its magnitude (Python's modulo takes the divisor's sign).
            // Any number: 2.5 as Python's float modulo reads it (`pythonModuloNonZero`).
            let interval = try c.value(refusingNull: .noRopeLayerInterval, default: 4.0)
            guard interval != 0 else {
                throw ConfigValidationError(key: "no_rope_layer_interval", detail:
                    "is 0; transformers divides by it (ZeroDivisionError) when no_rope_layers is not given")
            }
            return pythonModuloNonZero(layers: layers, pattern: interval)
        }
        // SmolLM3Attention reads no_rope_layers[l] (fewer entries: IndexError).
        guard written.count >= layers else {
            throw ConfigValidationError(key: "no_rope_layers", detail: "has \(written.count) entries for \(layers) layers (IndexError in transformers)")
        }
        // SmolLM3Attention tests the entry's truth (`if self.use_rope:`), as does the config's
        // derivation of layer_types: any non-zero number rotates (2, 0.5), 0 and null do not.
        return try written.prefix(layers).enumerated().map { l, entry in
            switch entry {
            case .number(let n): return n != 0
            case .bool(let b): return b
            case .null: return false
            case .string(let s): return !s.isEmpty
            case .list(let items): return !items.isEmpty
            case .other:
                throw ConfigValidationError(key: "no_rope_layers", detail:
                    "entry \(l) should be 1 (rotary) or 0 (no rotary)")
            }
        }
    }
}
