import Foundation
import GlassboxTensor

/// Where a family's transformers 4.53.3 config class lets the rotary module find `rope_scaling`'s
/// type. Every rotary module reads `rope_scaling.get("rope_type", rope_scaling.get("type"))` and
/// raises a KeyError when that is not a known type; the config classes differ before that.
enum RopeTypeKeys: Sendable, Equatable {
    /// The config copies `type` over `rope_type`, then validates (Llama, Qwen2, Qwen3, GPT-NeoX):
    /// `type` wins when both are written.
    case typeOverridesRopeType
    /// No copying and no validation (Mistral, Mixtral, Gemma, Gemma 2, and OLMo 2 after its own
    /// check): `rope_type`, else `type`; a `rope_type` of null is None, whatever `type` says.
    case ropeTypeFirst
    /// The config validates without copying (Gemma 3, Granite): the validation requires `rope_type`, so a
    /// `type` alone is a KeyError.
    case ropeTypeRequired
}

extension RopeScaling {
    /// The rope_scaling types whose transformers 4.53.3 rotary setup or config validation computes
    /// with `max_position_embeddings` (`_compute_dynamic_ntk_parameters`, `_compute_yarn_parameters`,
    /// `_compute_longrope_parameters`, `_validate_llama3_parameters`), so that its `null` fails there.
    static let typesReadingMaxPositions: Set<String> = ["dynamic", "yarn", "longrope", "llama3"]

    /// A config's `rope_scaling` object (`nil`: none) as a checked `RopeScaling` of one of `types`,
    /// read as transformers 4.53.3 reads it for a family whose config class finds the type as
    /// `typeKeys` says (`modelType` names the family in messages). `maxPositions` is
    /// `max_position_embeddings` (YaRN's and LongRoPE's factor may derive from it),
    /// `maxPositionsNullKey` its dotted key when written `null` (read as the default, but dynamic NTK,
    /// YaRN, LongRoPE and Llama 3 compute with it in transformers: a TypeError, refused naming it),
    /// `rotatedDimensions` the rotated width of a head (LongRoPE lists one factor per pair),
    /// `originalMaxPositions` the top-level `original_max_position_embeddings` as written (`nil`:
    /// absent), which only LongRoPE reads, and `base` the rotary base with its key (YaRN divides by
    /// its logarithm). A `rope_scaling` without a type is refused (transformers: KeyError), as is one
    /// with a non-positive factor (NaN or infinite frequencies there).
    static func read(_ raw: [String: JSONValue]?, typeKeys: RopeTypeKeys, modelType: String, maxPositions: Int,
                     maxPositionsNullKey: String?, rotatedDimensions: Int, originalMaxPositions: JSONValue?, base: (value: Double, key: String),
                     types: [String] = RopeScaling.supportedTypes) throws -> RopeScaling {
        guard let raw else { return .none }
        let written: (key: String, value: JSONValue)?
        switch typeKeys {
        case .typeOverridesRopeType:
            written = raw["type"].map { ("type", $0) } ?? raw["rope_type"].map { ("rope_type", $0) }
        case .ropeTypeFirst:
            written = raw["rope_type"].map { ("rope_type", $0) } ?? raw["type"].map { ("type", $0) }
        case .ropeTypeRequired:
            guard let value = raw["rope_type"] else {
                throw ConfigValidationError(key: "rope_scaling", detail:
                    "needs a 'rope_type' for \(modelType) (transformers' config class does not read 'type' there)")
            }
            written = ("rope_type", value)
        }
        guard let written else {
            throw ConfigValidationError(key: "rope_scaling", detail: "needs a 'rope_type' (or 'type')")
        }
        guard let type = written.value.string else {
            throw ConfigValidationError(key: "rope_scaling.\(written.key)", detail:
                "must be one of \(types.joined(separator: ", ")), got \(written.value.written)")
        }
        guard types.contains(type) else {
            throw ConfigValidationError(key: "rope_scaling", detail:
                "type '\(type)' is not supported for \(modelType); supported: \(types.joined(separator: ", "))")
        }
        if let key = maxPositionsNullKey, Self.typesReadingMaxPositions.contains(type) {
            throw ConfigValidationError(key: key, detail: "is null; \(nullFailsInTransformers) (rope_scaling of type '\(type)' computes with it)")
        }
        /// A positive, finite number (every rope_scaling field is a factor, a frequency or a length).
        func number(_ key: String) throws -> Float {
            guard let value = raw[key]?.number else {
                throw ConfigValidationError(key: "rope_scaling", detail: "of type '\(type)' needs a numeric '\(key)'")
            }
            guard value.isFinite, value > 0, Float(value).isFinite, Float(value) > 0 else {
                throw ConfigValidationError(key: "rope_scaling.\(key)", detail: "must be a positive number, got \(configNumber(value))")
            }
            return Float(value)
        }
        /// `number(key)` as written (a Python float: transformers computes with it in double).
        func asWritten(_ key: String) throws -> Double {
            _ = try number(key)
            return raw[key]?.number ?? 0
        }
        switch type {
        case "default": return .none
        case "linear": return .linear(factor: try number("factor"))
        case "dynamic":
            // `_compute_dynamic_ntk_parameters` raises the base to dim / (dim − 2) when the rotary
            // module is built: two rotated dimensions are a ZeroDivisionError in transformers (none,
            // 0 / −2, is an empty table: nothing rotates).
            guard rotatedDimensions == 0 || rotatedDimensions > 2 else {
                throw ConfigValidationError(key: "rope_scaling", detail:
                    "of type 'dynamic' needs more than 2 rotated dimensions per head, got \(rotatedDimensions) (transformers raises the base to dim / (dim − 2): ZeroDivisionError)")
            }
            return .dynamic(factor: try asWritten("factor"))
        case "llama3":
            // `_validate_llama3_parameters` only warns when high_freq_factor ≤ low_freq_factor, and
            // `_compute_llama3_parameters` runs: below, a frequency is divided by `factor` when its
            // wavelength is above original / low, else kept when below original / high (swapped
            // factors leave no band between). Equal factors blend only a wavelength of exactly
            // original / low, whose smooth factor is 0/0 or x/0: NaN frequencies, refused.
            let low = try asWritten("low_freq_factor"), high = try asWritten("high_freq_factor")
            // A length, read as a Double (exact to 2⁵³), not a Float: 2147483647 stays itself.
            _ = try number("original_max_position_embeddings")
            let original = raw["original_max_position_embeddings"]?.number ?? 0
            guard original == original.rounded(), original <= Double(maximumConfigSize) else {
                throw ConfigValidationError(key: "rope_scaling.original_max_position_embeddings",
                                            detail: "must be a whole number of positions up to \(maximumConfigSize), got \(configNumber(original))")
            }
            if high == low, rotatedDimensions > 0,
               llama3Blends(ropeInverseFrequencies(rotaryDim: rotatedDimensions, base: base.value), original: Int(original), low: low, high: high) {
                throw ConfigValidationError(key: "rope_scaling.high_freq_factor", detail:
                    "(\(configNumber(high))) equals low_freq_factor and a rotary wavelength is exactly original_max_position_embeddings / low_freq_factor: transformers' llama3 smooth factor divides by high_freq_factor − low_freq_factor = 0 there (NaN frequencies)")
            }
            return .llama3(factor: try number("factor"), lowFrequencyFactor: low, highFrequencyFactor: high,
                           originalMaxPositions: Int(original))
        case "yarn":
            let yarn = try YarnScaling(raw, maxPositions: maxPositions)
            guard base.value != 1 else {   // transformers: ZeroDivisionError (ln 1 = 0)
                throw ConfigValidationError(key: base.key, detail:
                    "must not be 1 with yarn rope_scaling (its correction range divides by ln \(base.key))")
            }
            return .yarn(yarn)
        case "longrope":
            return try LongRopeScaling.read(raw, rotatedDimensions: rotatedDimensions, maxPositions: maxPositions,
                                            topLevelOriginal: originalMaxPositions)
        default:
            throw ConfigValidationError(key: "rope_scaling", detail:
                "type '\(type)' is not supported for \(modelType); supported: \(RopeScaling.supportedTypes.joined(separator: ", "))")
        }
    }

    /// The longest input a model of `maxPositions` positions takes with this scaling (at most
    /// `maximumConfigSize`): dynamic NTK exists to run past the trained length, so it allows
    /// `factor` times as many; YaRN stretches the original length by its factor (`factor ×
    /// original_max_position_embeddings`: `max_position_embeddings` when `rope_scaling` names the
    /// original length — transformers' factor is then their ratio —, else `factor` times it); the
    /// others `maxPositions`. transformers itself sets no limit.
    func contextLength(maxPositions: Int) -> Int {
        let designed: Double
        switch self {
        case .dynamic(let factor): designed = Double(maxPositions) * Double(max(factor, 1))
        case .yarn(let yarn): designed = max(Double(maxPositions), yarn.factor * yarn.originalMaxPositions)
        default: return maxPositions
        }
        return Int(min(designed, Double(maximumConfigSize)))
    }
}

/// Whether a llama3 `rope_scaling` blends any of `frequencies`: a wavelength `2π / f` neither above
/// `original / low` nor below `original / high` (`_compute_llama3_parameters`' `is_medium_freq`, in
/// float32 as `RotaryEmbedding.inverseFrequencies`).
func llama3Blends(_ frequencies: [Float], original: Int, low: Double, high: Double) -> Bool {
    let (lowWavelength, highWavelength) = llama3Wavelengths(original: original, low: low, high: high)
    return frequencies.contains { f in
        let wavelength = llama3Wavelength(f)
        return !(wavelength > lowWavelength) && !(wavelength < highWavelength)
    }
}

/// `_compute_llama3_parameters`' `wavelen = 2 * math.pi / inv_freq` in float32 as torch computes it
/// (`Tensor.__rtruediv__`: the reciprocal times 2π rounded to float32; Swift's `Float.pi` is rounded
/// down, one ulp off, which moved boundary wavelengths).
func llama3Wavelength(_ f: Float) -> Float { (1 / f) * Float(2 * Double.pi) }

/// `old_context_len / low_freq_factor` and `/ high_freq_factor`: Python floats, compared with the
/// float32 wavelengths as float32.
func llama3Wavelengths(original: Int, low: Double, high: Double) -> (low: Float, high: Float) {
    (Float(Double(original) / low), Float(Double(original) / high))
}
