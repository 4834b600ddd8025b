import Foundation
import GlassboxFiles

extension CodingUserInfoKey {
    /// The config document being decoded (`Data`, as `ConfigDecoding` decodes it), so that a
    /// boolean field can tell the integer `1` from the float `1.0`, which `JSONDecoder` cannot.
    static let configDocument = CodingUserInfoKey(rawValue: "glassbox.configDocument")!
}

extension KeyedDecodingContainer {
    /// A boolean config flag, read as transformers 4.53.3 reads it: it passes the value on and
    /// tests it with Python's truthiness. `true`/`false` are themselves; an integer literal is
    /// true when nonzero (`"mlp_bias": 1`, `"tie_word_embeddings": 0`); `null` is false (None is
    /// falsy, even where the family's default is true: GPT-2's `tie_word_embeddings` and
    /// `scale_attn_weights`, GPT-NeoX's `use_parallel_residual`, ViT's `qkv_bias`); an absent key
    /// gives `fallback`. Measured for every boolean field of every fixture model:
    /// Tests/Fixtures/config-booleans/fields.json, held to it by BooleanFieldTests.
    ///
    /// A float (`0.0`) or a string (`"false"`) is refused on purpose, though transformers takes it
    /// (`"false"` is a non-empty string, so true: it would silently tie weights or add biases):
    /// "'KEY' should be true or false, got "false" (write true or false; transformers would read
    /// "false" as true)". Decoded without the document in `userInfo` (not through
    /// `ConfigDecoding`), a whole number written as a float cannot be told from an integer and
    /// reads as one. An array or an object is the decoder's own "should be true or false".
    func value(_ key: Key, default fallback: Bool) throws -> Bool {
        guard contains(key) else { return fallback }
        if try decodeNil(forKey: key) { return false }
        if let flag = try? decode(Bool.self, forKey: key) { return flag }
        let place = (codingPath + [key]).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        let written: String
        if let string = try? decode(String.self, forKey: key) {
            // `PythonJSONLiterals` made NaN, ±Infinity and numbers beyond Double strings.
            written = PythonJSONLiterals.isNonFiniteLiteral(string) ? string : quoted(string)
        } else if let number = try? decode(Double.self, forKey: key) {
            written = try numberLiteral(key)
                ?? (number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : "\(number)")
        } else {
            return try decode(Bool.self, forKey: key)   // an array or an object: typeMismatch
        }
        if let digits = integerDigits(written) { return digits.contains { $0 != "0" } }
        let truth = written.hasPrefix("\"") ? written != "\"\"" : Double(written).map { $0 != 0 } ?? true
        throw ConfigValidationError(key: place, detail:
            "should be true or false, got \(written) (write true or false; transformers would read \(written) as \(truth))")
    }

    /// A flag transformers' forward tests twice: for truthiness, and then with `is True` (GPT-J's
    /// and Falcon's `use_cache`: `GPTJModel.forward` / `FalconModel.forward` build the layers'
    /// cache when the value is truthy but collect it only when it `is True`, so `1`, `2` or
    /// `"false"` make the first forward fail with an AttributeError; measured in
    /// Tests/Fixtures/config-booleans/fields.json). Glassbox does not read such a flag, but refuses
    /// the spellings transformers cannot run, naming the key; `true`, `false`, `null` and falsy
    /// values (`0`, `0.0`, `""`, `[]`) pass. `forward` names the class in the message.
    func refuseTruthyOtherThanTrue(_ key: Key, forward: String) throws {
        guard contains(key) else { return }
        let written: String
        switch try decode(JSONValue.self, forKey: key) {
        case .null, .bool: return
        case .number(let n): if n == 0 { return }; written = try numberLiteral(key) ?? configNumber(n)
        case .string(let s): if s.isEmpty { return }; written = quoted(s)
        case .list(let l): if l.isEmpty { return }; written = "a list"
        case .other: written = "an object"
        }
        throw ConfigValidationError(key: place(of: key), detail:
            "is \(written), which transformers' \(forward).forward reads as true and then fails on (it keeps its cache only when \(key.stringValue) is True); write true or false")
    }

    /// The digits of an integer literal (`-12` → `12`), nil for anything else (`1.0`, `1e3`, `"1"`).
    private func integerDigits(_ text: String) -> Substring? {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) ? digits : nil
    }

    /// `text` as a JSON string literal, escapes included, on one line.
    private func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\(text)\""
    }
}
