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
            throw LoadError.configUnreadable(file: file.path, detail: describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "top level" : "'" + keys.map { $0.intValue.map(String.init) ?? $0.stringValue }
                .joined(separator: ".") + "'"
        }
        switch error {
        case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)) should be of type \(type)"
        case .valueNotFound(let type, let ctx): return "\(path(ctx.codingPath)) is null, expected \(type)"
        case .keyNotFound(let key, let ctx): return "missing key '\(key.stringValue)' at \(path(ctx.codingPath))"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
