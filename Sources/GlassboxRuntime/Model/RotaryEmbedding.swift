import Foundation
import GlassboxTensor

/// Rotary position embeddings (Su et al. 2021, *RoFormer*) as Hugging Face computes them, with the
/// `rope_scaling` variants of `modeling_rope_utils.py` (transformers 4.53).
public struct RotaryEmbedding: Sendable, Equatable {
    /// Rotated dimensions per head (`head_dim · partial_rotary_factor`; `oddWidth + 1` when that
    /// is odd), even.
    public var dimensions: Int
    /// `rope_theta`.
    public var base: Double
    /// The `rope_scaling` variant applied to the frequencies.
    public var scaling: RopeScaling
    /// `max_position_embeddings` (the dynamic variant rescales beyond it).
    public var maxPositions: Int
    /// Which dimensions pair up: `.halves` (`rotate_half`, every family but GPT-J) or
    /// `.interleaved` (GPT-J's `rotate_every_two`).
    public var layout: RotaryLayout
    /// transformers' `dim = int(head_dim · partial_rotary_factor)` where it is odd (nil: even, and
    /// `dimensions` itself): `_compute_default_rope_parameters` makes `ceil(dim / 2)` frequencies
    /// `base^(−2i / dim)`, the table `torch.cat((freqs, freqs))` is `dim + 1` wide and
    /// `apply_rotary_pos_emb` rotates as many lanes as the table is wide, so `dimensions = dim + 1`
    /// (GLM, GPT-NeoX, Nemotron, Phi-3; `RotaryWidth`). Built for every table but YaRN's (whose ramp
    /// transformers sizes `dim // 2`: refused by `RotaryWidth`).
    public var oddWidth: Int?
    /// PhiMoE (`PhimoeRotaryEmbedding`): cos and sin multiplied by `short_mscale` or `long_mscale` by
    /// the sequence's length, in place of `attentionScaling`. `nil`: `attentionScaling` at every length.
    public var mscale: RotaryMscale? = nil

    /// Rotary settings from their fields, as listed above (not checked; the config checks them).
    public init(dimensions: Int, base: Double, scaling: RopeScaling, maxPositions: Int, layout: RotaryLayout = .halves,
                oddWidth: Int? = nil) {
        (self.dimensions, self.base, self.scaling, self.maxPositions) = (dimensions, base, scaling, maxPositions)
        self.layout = layout
        self.oddWidth = oddWidth
    }

    /// transformers' `dim`: the width its frequencies are computed for.
    private var dim: Int { oddWidth ?? dimensions }

    /// `inv_freq [dimensions/2]` of the unscaled table (`_compute_default_rope_parameters`).
    private var defaultFrequencies: [Float] {
        ropeInverseFrequencies(rotaryDim: dim, base: base)
    }

    /// `inv_freq [dimensions/2]` for a sequence of `length` positions.
    public func inverseFrequencies(length: Int) -> [Float] {
        switch scaling {
        case .none:
            return defaultFrequencies
        case .linear(let factor):
            return defaultFrequencies.map { $0 / factor }
        case .dynamic(let factor):
            // NTK-aware: beyond the trained length the base grows (`_compute_dynamic_ntk_parameters`,
            // in Python double with the factor as written; `ropeInverseFrequencies` rounds it to float32).
            let seqLen = Double(max(length, maxPositions))
            let d = Double(dim), f = factor
            let scaled = base * pow(f * seqLen / Double(maxPositions) - (f - 1), d / (d - 2))
            return ropeInverseFrequencies(rotaryDim: dim, base: scaled)
        case .llama3(let factor, let low, let high, let original):
            // Long wavelengths are divided by `factor`, short ones kept, the band between blended
            // (`_compute_llama3_parameters`, in float32 as the reference). Its first `torch.where`
            // divides every wavelength above `original / low` — also those below `original / high`
            // when `high_freq_factor` < `low_freq_factor` (transformers only warns) — so that test
            // comes first; the blend is where neither holds (`llama3Blends`).
            let (lowWavelength, highWavelength) = llama3Wavelengths(original: original, low: low, high: high)
            return defaultFrequencies.map { f in
                let wavelength = llama3Wavelength(f)
                if wavelength > lowWavelength { return f / factor }
                if wavelength < highWavelength { return f }
                // `old_context_len / wavelen` is `Tensor.__rtruediv__` (a float32 reciprocal times
                // the length); `high_freq_factor - low_freq_factor` is a Python float, then float32.
                let smooth = ((1 / wavelength) * Float(original) - Float(low)) / Float(high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        case .longrope(let short, let long, let original, _):
            // LongRoPE (`_compute_longrope_parameters`): each frequency divided by its own factor,
            // the long ones once the input is longer than the pretrained length:
            // `1.0 / (ext_factors * base**inv_freq_shape)` in float32.
            let factors = length > original ? long : short
            return zip(ropePowers(rotaryDim: dim, base: base), factors).map { 1 / ($1 * $0) }
        case .yarn(let yarn):
            return yarn.inverseFrequencies(powers: ropePowers(rotaryDim: dimensions, base: base),
                                           dimensions: dimensions, base: base)
        }
    }

    /// The factor cos and sin are multiplied by (LongRoPE's and YaRN's attention factor; 1 otherwise).
    public var attentionScaling: Float {
        switch scaling {
        case .longrope(_, _, _, let factor): factor
        case .yarn(let yarn): yarn.attentionFactor
        default: 1
        }
    }

    /// The factor cos and sin are multiplied by for a sequence of `length` positions:
    /// `attentionScaling`, or PhiMoE's `mscale` for that length.
    public func attentionScaling(length: Int) -> Float {
        guard let mscale else { return attentionScaling }
        return length > mscale.originalMaxPositions ? mscale.long : mscale.short
    }

    /// cos/sin tables `[n, dimensions]` for positions `0..<n`, laid out for `layout`.
    public func tables(length n: Int) -> (cos: Tensor, sin: Tensor) {
        ropeTables(positions: Array(0..<n), inverseFrequencies: inverseFrequencies(length: n),
                   attentionScaling: attentionScaling(length: n), layout: layout)
    }
}

/// PhiMoE's `rope_scaling.short_mscale` / `long_mscale` (`PhimoeRotaryEmbedding.forward`): cos and
/// sin multiplied by `short` for a sequence of up to `originalMaxPositions` positions
/// (`rope_scaling.original_max_position_embeddings`), by `long` past it.
public struct RotaryMscale: Sendable, Equatable {
    /// `short_mscale`: the factor up to `originalMaxPositions` positions.
    public var short: Float
    /// `long_mscale`: the factor for a longer sequence.
    public var long: Float
    /// `rope_scaling.original_max_position_embeddings`: the longest sequence `short` applies to.
    public var originalMaxPositions: Int

    /// The two factors and the length that switches between them, as the config writes them.
    public init(short: Float, long: Float, originalMaxPositions: Int) {
        (self.short, self.long, self.originalMaxPositions) = (short, long, originalMaxPositions)
    }
}

/// `rope_scaling` of a config.
public enum RopeScaling: Sendable, Equatable {
    /// No scaling (`rope_type: default` or no `rope_scaling`).
    case none
    /// Position interpolation: frequencies divided by `factor`.
    case linear(factor: Float)
    /// Dynamic NTK scaling beyond `max_position_embeddings` (the factor as written: transformers
    /// rescales the base in Python double).
    case dynamic(factor: Double)
    /// Llama 3.1's band-wise scaling (the frequency factors as written: transformers forms the band
    /// edges and the blend's denominator in Python double).
    case llama3(factor: Float, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositions: Int)
    /// LongRoPE (Phi-3; the Llama family and Mixtral): per-frequency divisors (`short_factor`, or
    /// `long_factor` for a sequence longer than `originalMaxPositions`, each `[dimensions/2]`), and
    /// cos/sin scaled by `attentionFactor` (`attention_factor`, else `√(1 + ln factor / ln original)`,
    /// 1 when not extended; LongRopeScaling.swift).
    case longrope(short: [Float], long: [Float], originalMaxPositions: Int, attentionFactor: Float)
    /// YaRN: frequencies blended between kept and divided by a factor, cos/sin scaled (YarnScaling.swift).
    case yarn(YarnScaling)

    /// The `rope_type` values the Llama family supports (Phi-3 takes `longrope` only; Mixtral all
    /// but `yarn`).
    public static let supportedTypes = ["default", "linear", "dynamic", "llama3", "yarn", "longrope"]
}
