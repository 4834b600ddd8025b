import Foundation
/// A GPT-Neo layer's attention (`GPTNeoAttention.attention_type`): full causal, or causal within
/// the last `window_size` keys.
public enum GPTNeoAttentionType: String, Sendable, Equatable {
    /// Full causal attention: every earlier key and the query's own.
    case global
    /// Causal attention within the last `window_size` keys (the query's own included).
    case local

    /// Each of the model's `layers` layers' type as `GPTNeoModel` reads it, `config.attention_layers[l]`.
    ///
    /// `GPTNeoConfig.__init__` expands `attention_types` (`[[["global", "local"], 12]]`: each entry
    /// a list of types repeated `n` times, `n` an integer for `range`) and raises unless that gives
    /// `count` entries (its own `num_layers`); a saved `attention_layers` key (save_pretrained
    /// writes one) then overrides the expansion, as the `num_hidden_layers` alias overrides
    /// `num_layers` (`PretrainedConfig` sets leftover keys last), and the model reads the first
    /// `layers` entries. Refused, naming the key: an entry that is not `[[types…], n]`, a count
    /// written as a float, an expansion of the wrong length, a list shorter than `layers`
    /// (IndexError) and a type other than `global` / `local` (NotImplementedError) among the
    /// entries the model reads.
    static func layers<K: CodingKey>(_ c: KeyedDecodingContainer<K>, types typesKey: K, layers layersKey: K,
                                     count: Int, modelLayers layers: Int) throws -> [GPTNeoAttentionType] {
        let entries = try c.value(typesKey, default: [JSONValue.list([.list([.string("global"), .string("local")]), .number(12)])],
                                  refusingNull: "transformers iterates it (TypeError); give a list like [[[\"global\", \"local\"], 12]]")
        let document = try c.contains(typesKey) ? c.superDecoder(forKey: typesKey).userInfo[.configDocument] as? Data : nil
        let literals = document.map { ConfigNumberLiterals($0).literals } ?? []
        var expanded: [String?] = []      // nil: an entry that is not a string (read only if the model reaches it)
        for (index, entry) in entries.enumerated() {
            let malformed = ConfigValidationError(key: typesKey.stringValue, detail:
                "must be a list of [[types…], count] entries, like [[[\"global\", \"local\"], 12]]")
            guard case .list(let pair) = entry, pair.count == 2, case .list(let names) = pair[0],
                  let repeats = pair[1].number, repeats == repeats.rounded(), repeats >= 0,
                  repeats <= Double(maximumConfigSize) else { throw malformed }
            let path = c.place(of: typesKey) + ".\(index).1"
            if let text = literals.last(where: { $0.path == path })?.text, text.contains(where: { ".eE".contains($0) }) {
                throw ConfigValidationError(key: typesKey.stringValue, detail:
                    "has the count \(text), a float; transformers passes it to range() (TypeError): write it without a fraction or exponent")
            }
            guard expanded.count + names.count * Int(repeats) <= count else {
                throw ConfigValidationError(key: typesKey.stringValue, detail: "expands to more than num_layers (\(count)) layer types")
            }
            for _ in 0..<Int(repeats) { expanded += names.map(\.string) }
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
            names = saved
        }
        guard names.count >= layers else {
            throw ConfigValidationError(key: key, detail: "has \(names.count) entries for \(layers) layers (IndexError in transformers)")
        }
        return try names.prefix(layers).map { name in
            guard let name, let type = GPTNeoAttentionType(rawValue: name) else {
                throw ConfigValidationError(key: key, detail: "has layer type \(name.map { "'\($0)'" } ?? "that is not a string"); only 'global' and 'local' exist")
            }
            return type
        }
    }
}
