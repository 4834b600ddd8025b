import Foundation

extension KeyedDecodingContainer {
    /// `clip_qkv` as `OlmoConfig` and `OlmoeConfig` (transformers 4.53.3) hold it: a number (the
    /// clamp's bound `c`, read as `Float`), or null / absent for no clamp; a non-finite number is
    /// refused naming the key.
    func clipQKV(_ key: Key) throws -> Float? {
        let clip = try decodeIfPresent(Double.self, forKey: key).map { Float($0) }
        if let clip, !clip.isFinite {
            throw ConfigValidationError(key: key.stringValue, detail: "must be a finite number or null, got \(clip)")
        }
        return clip
    }
}
