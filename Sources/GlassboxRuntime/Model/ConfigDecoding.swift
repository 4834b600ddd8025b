import Foundation

/// A config value that decodes but makes no sense; the loader adds the file name.
struct ConfigValidationError: Error {
    let key: String
    let detail: String
}

extension KeyedDecodingContainer {
    /// `decodeIfPresent` with a default: absent or `null` keys give `fallback`.
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}

/// The largest size a config may give (2³¹ − 1): far above any real model, and small enough that
/// products of two sizes cannot overflow.
let maximumConfigSize = Int(Int32.max)

/// Checks that an integer config value (a size or a count) is positive and at most
/// `maximumConfigSize`.
func requirePositive(_ value: Int, _ key: String) throws {
    guard value > 0 else { throw ConfigValidationError(key: key, detail: "must be positive, got \(value)") }
    guard value <= maximumConfigSize else {
        throw ConfigValidationError(key: key, detail: "is \(value), over the limit of \(maximumConfigSize)")
    }
}

/// Checks that a real config value (an ε, a θ, a scaling factor) is finite and positive.
func requirePositive<F: BinaryFloatingPoint>(_ value: F, _ key: String) throws {
    guard value.isFinite && value > 0 else {
        throw ConfigValidationError(key: key, detail: "must be a positive number, got \(configNumber(Double(value)))")
    }
}

/// A config number as written: `0`, `-5`, `1e-06`.
func configNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
}

/// Class names by index from a config's `id2label` (`LABEL_i` fills gaps).
func labelList(_ id2label: [String: String]) throws -> [String] {
    var labels: [String] = []
    for (key, name) in id2label {
        guard let index = Int(key), index >= 0, index < 100_000 else {
            throw ConfigValidationError(key: "id2label", detail: "has a non-integer key '\(key)'")
        }
        if labels.count <= index { labels += (labels.count...index).map { "LABEL_\($0)" } }
        labels[index] = name
    }
    return labels
}

/// The `model_type` field every Hugging Face config carries.
struct ModelTypeProbe: Decodable {
    let modelType: String?
    enum CodingKeys: String, CodingKey { case modelType = "model_type" }
}

/// Reads and decodes `config.json`, turning decoding failures into one-line `LoadError`s.
enum ConfigDecoding {
    static func decode<C: Decodable>(_ type: C.Type, from data: Data, file: URL) throws -> C {
        do {
            return try JSONDecoder().decode(C.self, from: data)
        } catch let error as ConfigValidationError {
            throw LoadError.invalidConfig(file: file.path, key: error.key, detail: error.detail)
        } catch let error as DecodingError {
            // Foundation reports a number that does not fit an integer field (1.5, 1e30) as "not
            // valid JSON" without a key: find the field by decoding again with each candidate fixed.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               let field = nonIntegerField(C.self, in: data) {
                throw LoadError.configUnreadable(file: file.path, detail: field)
            }
            throw LoadError.configUnreadable(file: file.path, detail: describe(error))
        }
    }

    /// "'KEY' should be an integer, got VALUE" for the first number in `data` (valid JSON) whose
    /// replacement by an integer lets `C` decode past Foundation's keyless "not valid JSON"; when a
    /// fraction (0.5) passes too, the field is real-valued and VALUE is out of Float's range:
    /// "'KEY' is VALUE, which a 32-bit float cannot hold".
    private static func nonIntegerField<C: Decodable>(_ type: C.Type, in data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        func candidates(_ value: Any, _ path: [String]) -> [[String]] {
            if let dictionary = value as? [String: Any] {
                return dictionary.keys.sorted().flatMap { candidates(dictionary[$0]!, path + [$0]) }
            }
            guard let number = value as? NSNumber else { return [] }
            let d = number.doubleValue
            return d == d.rounded() && abs(d) < 9.2e18 ? [] : [path]
        }
        func replacing(_ value: Any, _ path: ArraySlice<String>, with number: Double = 1) -> Any {
            guard let key = path.first, var dictionary = value as? [String: Any] else { return number }
            dictionary[key] = replacing(dictionary[key] as Any, path.dropFirst(), with: number)
            return dictionary
        }
        func corrupt(_ candidate: Any) -> Bool {
            guard let data = try? JSONSerialization.data(withJSONObject: candidate) else { return false }
            do { _ = try JSONDecoder().decode(C.self, from: data) } catch DecodingError.dataCorrupted(let c) {
                return c.codingPath.isEmpty
            } catch { return false }
            return false
        }
        for path in candidates(object, []) where !corrupt(replacing(object, path[...])) {
            var value: Any? = object
            for key in path { value = (value as? [String: Any])?[key] }
            let (key, text) = (path.joined(separator: "."), value.map { "\($0)" } ?? "?")
            if !corrupt(replacing(object, path[...], with: 0.5)) { return "'\(key)' is \(text), which a 32-bit float cannot hold" }
            return "'\(key)' should be an integer, got \(text)"
        }
        return nil
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "top level" : "'" + keys.map { $0.intValue.map(String.init) ?? $0.stringValue }
                .joined(separator: ".") + "'"
        }
        switch error {
        case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)) should be \(jsonKind(type))"
        case .valueNotFound(let type, let ctx): return "\(path(ctx.codingPath)) is null, expected \(jsonKind(type))"
        case .keyNotFound(let key, let ctx): return "missing key '\(key.stringValue)' at \(path(ctx.codingPath))"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// What a Swift type is in JSON words ("an integer", "a JSON object"), not Swift's type name.
    static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is any BinaryInteger.Type: "an integer"
        case is any BinaryFloatingPoint.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Dictionary") ? "a JSON object"
                : String(describing: type).hasPrefix("Array") ? "a JSON array" : "\(type)"
        }
    }
}

/// Checks that `num_key_value_heads` divides `num_attention_heads` (grouped-query attention).
func requireHeadGroups(heads: Int, kvHeads: Int) throws {
    guard heads % kvHeads == 0 else {
        throw ConfigValidationError(key: "num_key_value_heads",
                                    detail: "(\(kvHeads)) must divide num_attention_heads (\(heads))")
    }
}

/// The activation a config names under `key`, or an error listing the supported names.
func configActivation(_ name: String, key: String) throws -> Activation {
    guard let activation = Activation(huggingFaceName: name) else {
        throw ConfigValidationError(key: key, detail:
            "'\(name)' is not supported; supported: \(Activation.huggingFaceNames.joined(separator: ", "))")
    }
    return activation
}
