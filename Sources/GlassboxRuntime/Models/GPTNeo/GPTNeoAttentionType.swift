/// A GPT-Neo layer's attention (`GPTNeoAttention.attention_type`): full causal, or causal within
/// the last `window_size` keys.
public enum GPTNeoAttentionType: String, Sendable, Equatable {
    /// Full causal attention: every earlier key and the query's own.
    case global
    /// Causal attention within the last `window_size` keys (the query's own included).
    case local

    /// Each of the `count` layers' type as `GPTNeoModel` reads it, `config.attention_layers[l]`.
    ///
    /// `GPTNeoConfig.__init__` expands `attention_types` (`[[["global", "local"], 12]]`: each entry
    /// a list of types repeated `n` times) and raises unless that gives `num_layers` entries; a
    /// saved `attention_layers` key (save_pretrained writes one) then overrides the expansion
    /// (`PretrainedConfig` sets leftover keys last), and the model reads its first `num_layers`
    /// entries. Refused, naming the key: an entry that is not `[[types…], n]`, an expansion of
    /// the wrong length, an `attention_layers` shorter than `num_layers` (IndexError) and a type
    /// other than `global` / `local` (NotImplementedError).
    static func layers<K: CodingKey>(_ c: KeyedDecodingContainer<K>, types typesKey: K, layers layersKey: K,
                                     count: Int) throws -> [GPTNeoAttentionType] {
        let entries = try c.value(typesKey, default: [JSONValue.list([.list([.string("global"), .string("local")]), .number(12)])],
                                  refusingNull: "transformers iterates it (TypeError); give a list like [[[\"global\", \"local\"], 12]]")
        var expanded: [String] = []
        for entry in entries {
            let malformed = ConfigValidationError(key: typesKey.stringValue, detail:
                "must be a list of [[types…], count] entries, like [[[\"global\", \"local\"], 12]]")
            guard case .list(let pair) = entry, pair.count == 2, case .list(let names) = pair[0],
                  let repeats = pair[1].number, repeats == repeats.rounded(), repeats >= 0,
                  repeats <= Double(maximumConfigSize) else { throw malformed }
            let strings = names.compactMap(\.string)
            guard strings.count == names.count else { throw malformed }
            guard expanded.count + strings.count * Int(repeats) <= count else {
                throw ConfigValidationError(key: typesKey.stringValue, detail: "expands to more than num_layers (\(count)) layer types")
            }
            for _ in 0..<Int(repeats) { expanded += strings }
        }
        guard expanded.count == count else {
            throw ConfigValidationError(key: typesKey.stringValue, detail:
                "expands to \(expanded.count) layer types for num_layers = \(count); transformers requires them equal")
        }
        var names = expanded, key = typesKey.stringValue
        if c.contains(layersKey) {
            key = layersKey.stringValue
            guard let saved = try c.decodeIfPresent([String].self, forKey: layersKey) else {
                throw ConfigValidationError(key: key, detail: "is null; the model indexes it by layer (TypeError)")
            }
            guard saved.count >= count else {
                throw ConfigValidationError(key: key, detail: "has \(saved.count) entries for num_layers = \(count) (IndexError in transformers)")
            }
            names = Array(saved.prefix(count))
        }
        return try names.map { name in
            guard let type = GPTNeoAttentionType(rawValue: name) else {
                throw ConfigValidationError(key: key, detail: "has layer type '\(name)'; only 'global' and 'local' exist")
            }
            return type
        }
    }
}
