import Foundation

/// LongRoPE (Ding et al. 2024) as transformers 4.53.3 reads it from a config
/// (`_validate_longrope_parameters`, `_compute_longrope_parameters`, `longrope_frequency_update`):
/// each rotated frequency divided by its own factor — `short_factor` up to the original length,
/// `long_factor` for a sequence longer than it — and cos/sin multiplied by an attention factor. The
/// result is `RopeScaling.longrope`; Phi-3 and the Llama family (Llama, Mistral, Qwen2, Qwen3,
/// Mixtral) share these checks.
enum LongRopeScaling {
    /// Reads a `rope_scaling` object of type `longrope` of a family validated by transformers'
    /// generic `rope_config_validation` (or, for Mistral and Mixtral, not validated at all):
    /// - the original length is the TOP-LEVEL `original_max_position_embeddings` (`topLevelOriginal`,
    ///   any extra config key being an attribute in transformers; the one inside `rope_scaling` is
    ///   unused), which replaces the written `factor` by `max_position_embeddings / original`; without
    ///   it the original length is `maxPositions` and `factor` comes from `rope_scaling`;
    /// - the attention factor is `attention_factor` when given, else `√(1 + ln factor / ln original)`
    ///   for a factor above 1, else 1 (so `factor` is needed only then);
    /// - each list holds `ceil(rotatedDimensions / 2)` numbers (one per frequency), or one number (torch broadcasts it to every
    ///   frequency, after a warning), all positive; `long_factor` is checked only when some input
    ///   within `maxPositions` is longer than the original length (transformers builds it only then).
    /// What transformers raises on (KeyError, TypeError, ZeroDivisionError, a math domain error, a
    /// shape mismatch) is a `ConfigValidationError` naming the key; what it only warns about loads.
    static func read(_ raw: [String: JSONValue], rotatedDimensions: Int, maxPositions: Int,
                     topLevelOriginal: JSONValue?) throws -> RopeScaling {
        let original: Double, impliedFactor: Double?
        if let top = topLevelOriginal {
            // transformers: max / None, max / "16" (TypeError), max / 0 (ZeroDivisionError).
            guard let value = top.pythonNumber, value.isFinite, value != 0 else {
                throw ConfigValidationError(key: "original_max_position_embeddings", detail:
                    "must be a non-zero number with longrope rope_scaling (max_position_embeddings is divided by it), got \(top.written)")
            }
            (original, impliedFactor) = (value, Double(maxPositions) / value)
        } else {
            (original, impliedFactor) = (Double(maxPositions), nil)
        }
        let attention: Double
        if let given = raw["attention_factor"], given != .null {
            guard let value = given.pythonNumber, Float(value).isFinite else {   // cos * "0.9": TypeError
                throw ConfigValidationError(key: "rope_scaling.attention_factor", detail: "must be a number, got \(given.written)")
            }
            attention = value
        } else {
            // transformers compares `factor <= 1.0`: None or a string is a TypeError.
            guard let factor = impliedFactor ?? raw["factor"]?.pythonNumber else {
                throw ConfigValidationError(key: "rope_scaling", detail:
                    "of type 'longrope' needs a numeric 'factor' (or an 'attention_factor', or a top-level original_max_position_embeddings)")
            }
            attention = try defaultAttentionFactor(factor: factor, original: original,
                                                   originalKey: topLevelOriginal == nil ? "max_position_embeddings"
                                                                                        : "original_max_position_embeddings")
        }
        // One factor per frequency: `ceil(dim / 2)` of them for an odd `dim` (`ext_factors *
        // base**inv_freq_shape`; the validation's `dim // 2` only warns).
        let half = (rotatedDimensions + 1) / 2
        let short = try factors(raw, "short_factor", count: half, oneForAll: true)
        // Sequences of up to maxPositions positions; the long factors apply to those longer than original.
        let longUsed = original < Double(maxPositions)
        let long: [Float]
        if longUsed {
            long = try factors(raw, "long_factor", count: half, oneForAll: true)
        } else {   // never read: a list transformers would fail to build loads, as there
            _ = try requireList(raw, "long_factor")
            long = (try? factors(raw, "long_factor", count: half, oneForAll: true)) ?? short
        }
        // n > original for whole n ≥ 1 is n > ⌊original⌋; clamped, lengths past maxPositions are refused anyway.
        let threshold = Int(min(max(floor(original), -1), Double(maxPositions)))
        return .longrope(short: short, long: long, originalMaxPositions: threshold, attentionFactor: Float(attention))
    }

    /// `√(1 + ln factor / ln original)` for a factor above 1, else 1 (transformers' default, in
    /// float64); refuses an original length of 1 (ln 1 = 0: ZeroDivisionError) or one that makes the
    /// root's argument negative (math domain error), naming `originalKey`.
    static func defaultAttentionFactor(factor: Double, original: Double, originalKey: String) throws -> Double {
        guard factor > 1 else { return 1 }
        guard original != 1 else {   // ZeroDivisionError
            throw ConfigValidationError(key: originalKey, detail:
                "is 1 while the LongRoPE factor is \(configNumber(factor)): the attention factor √(1 + ln factor / ln \(originalKey)) divides by ln 1 = 0")
        }
        let argument = 1 + log(factor) / log(original)
        guard original > 0, argument >= 0, argument.isFinite else {   // math domain error
            throw ConfigValidationError(key: originalKey, detail:
                "is \(configNumber(original)) while the LongRoPE factor is \(configNumber(factor)): the attention factor √(1 + ln factor / ln \(originalKey)) is not a real number")
        }
        return argument.squareRoot()
    }

    /// A factor list `[count]` of positive numbers (one per rotated frequency), refusing a missing
    /// key, a value that is not a list, or a list of another length — except, when `oneForAll`, a
    /// list of one number, which torch broadcasts to every frequency (it is repeated here).
    /// Non-positive factors are refused as the other scalings' (infinite or negative frequencies).
    static func factors(_ raw: [String: JSONValue], _ key: String, count: Int, oneForAll: Bool) throws -> [Float] {
        let list = try requireList(raw, key)
        let expected = "\(count) positive numbers (one per rotated frequency)" + (oneForAll ? " or one for all" : "")
        guard list.count == count || (oneForAll && list.count == 1) else {
            throw ConfigValidationError(key: "rope_scaling.\(key)", detail: "must list \(expected), got \(list.count)")
        }
        let numbers = try list.map { value -> Float in
            guard let number = value.pythonNumber, number > 0, Float(number).isFinite, Float(number) > 0 else {
                throw ConfigValidationError(key: "rope_scaling.\(key)", detail: "must list \(expected), got \(value.written) in it")
            }
            return Float(number)
        }
        return numbers.count == count ? numbers : Array(repeating: numbers[0], count: count)
    }

    /// `raw[key]` as a list; throws when the key is missing (transformers' KeyError) or holds
    /// anything else (its validation iterates the value: TypeError).
    private static func requireList(_ raw: [String: JSONValue], _ key: String) throws -> [JSONValue] {
        guard let value = raw[key] else {
            throw ConfigValidationError(key: "rope_scaling", detail: "of type 'longrope' needs '\(key)'")
        }
        guard case .list(let list) = value else {
            throw ConfigValidationError(key: "rope_scaling.\(key)", detail: "must be a list of numbers, got \(value.written)")
        }
        return list
    }
}
