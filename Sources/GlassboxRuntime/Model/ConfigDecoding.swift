import Foundation
import GlassboxFiles

/// A config value that decodes but makes no sense; the loader adds the file name.
struct ConfigValidationError: Error {
    let key: String
    let detail: String
}

extension KeyedDecodingContainer {
    /// `decodeIfPresent` with a default: absent or `null` keys give `fallback`. (A `Bool` reads
    /// as transformers reads it instead: ConfigFlag.swift.)
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// `value(_:default:)` for a key whose `null` transformers does not read as the default:
    /// absent gives `fallback`, `null` is refused with `detail` (after "KEY is null; ").
    func value<T: Decodable>(_ key: Key, default fallback: T, refusingNull detail: String) throws -> T {
        if contains(key), try decodeNil(forKey: key) {
            throw ConfigValidationError(key: place(of: key), detail: "is null; \(detail)")
        }
        return try value(key, default: fallback)
    }

    /// `value(_:default:refusingNull:)` for a field transformers computes with as written, so that
    /// its `null` fails there (TypeError on a size, KeyError on an activation name): the shared
    /// refusal of Tests/Fixtures/config-nulls/fields.json's "refused" entries.
    func value<T: Decodable>(refusingNull key: Key, default fallback: T) throws -> T {
        try value(key, default: fallback, refusingNull: nullFailsInTransformers)
    }

    /// A field transformers' `attribute_map` aliases (`hidden_size` for GPT-2's and GPT-J's `n_embd`):
    /// `PretrainedConfig` sets the alias after the family's own key, so the alias wins when present
    /// and the own key is then not read; whichever is read, `null` fails in transformers (refused).
    func value<T: Decodable>(alias: Key, over own: Key, default fallback: T) throws -> T {
        try value(refusingNull: contains(alias) ? alias : own, default: fallback)
    }

    /// The name of the key `value(alias:over:default:)` reads: the alias when present, else the own
    /// key (for messages that name what was read).
    func keyRead(alias: Key, over own: Key) -> String {
        (contains(alias) ? alias : own).stringValue
    }

    /// Refuses `null` in fields Glassbox does not read but transformers computes with while building
    /// or running the model (dropout rates: a TypeError building nn.Dropout), absent is fine. Not
    /// `initializer_range`: only random initialisation reads it, a checkpoint with it null loads and runs.
    func refuseNulls(_ keys: [Key]) throws {
        for key in keys where contains(key) {
            if try decodeNil(forKey: key) {
                throw ConfigValidationError(key: place(of: key), detail: "is null; \(nullFailsInTransformers)")
            }
        }
    }

    /// `key`'s dotted path when the config writes it `null`, else nil: a field read as its default
    /// when `null` that a later reader may fail on in transformers (`max_position_embeddings`, read
    /// by some rope scalings: ``RopeScaling/read(_:typeKeys:modelType:maxPositions:maxPositionsNullKey:rotatedDimensions:originalMaxPositions:base:types:)``).
    func nullPlace(of key: Key) throws -> String? {
        try contains(key) && decodeNil(forKey: key) ? place(of: key) : nil
    }

    /// `key`'s dotted path from the config's root, as messages name it (`text_config.head_dim`).
    func place(of key: Key) -> String {
        (codingPath + [key]).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// Refuses a number written with a fraction or an exponent (`2.0`, `1e3`) where transformers
    /// needs an integer, with the message `ConfigFile.requireIntegerLiteral` gives the sizes every
    /// family has; for a field only some configurations read (Falcon's `num_kv_heads`).
    func requireIntegerLiteral(_ key: Key) throws {
        guard let text = try numberLiteral(key), text.contains(where: { ".eE".contains($0) }) else { return }
        throw ConfigValidationError(key: place(of: key), detail: integerLiteralDetail(text))
    }

    /// The number `key` holds as written in the document (`2.0`, `1`, `1e3`), nil when it is absent,
    /// not a number, or decoded without the document in `userInfo` (not through `ConfigDecoding`).
    func numberLiteral(_ key: Key) throws -> String? {
        guard contains(key), (try? decode(Double.self, forKey: key)) != nil else { return nil }
        let document = try superDecoder(forKey: key).userInfo[.configDocument] as? Data
        let path = place(of: key)
        return document.flatMap { ConfigNumberLiterals($0).literals.last { $0.path == path }?.text }
    }
}

/// The detail of an integer field written as a float (`text` as written).
func integerLiteralDetail(_ text: String) -> String {
    "should be an integer, got \(text) (transformers refuses a float here too: write it without a fraction or exponent)"
}

/// The detail of a `null` refused because transformers fails on it (after "KEY is null; ").
let nullFailsInTransformers = "transformers fails on it too (TypeError or KeyError); write the value, or leave the key out for the default"

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

/// Checks a normalisation ε (`layer_norm_eps`, `rms_norm_eps`): finite and positive. transformers
/// runs ε = 0, but a row with no variance (LayerNorm) or all zeros (RMSNorm) then divides zero by
/// zero; Glassbox refuses it rather than return NaN, and says so.
func requireNormEpsilon<F: BinaryFloatingPoint>(_ value: F, _ key: String) throws {
    guard value.isFinite && value > 0 else {
        let why = value == 0 ? " (transformers runs ε = 0, but a constant row then normalises to 0/0 = NaN: "
            + "Glassbox refuses it rather than return NaN; a tiny ε such as 1e-12 keeps the numbers)" : ""
        throw ConfigValidationError(key: key, detail: "must be a positive number, got \(configNumber(Double(value)))\(why)")
    }
}

/// Why a `null` share of rotated dimensions (`partial_rotary_factor`, GPT-NeoX's `rotary_pct`) is
/// refused: transformers multiplies the head size by it as given; `fallback` is the key's default.
func nullRotaryShare(default fallback: Double) -> String {
    "transformers cannot multiply the head size by it (TypeError); give a number in (0, 1] or leave the key out for \(configNumber(fallback))"
}

/// Refuses a `partial_rotary_factor` other than 1 in a family whose attention rotates the whole head
/// (Mixtral, Gemma 1–3, OLMo 2). transformers 4.53.3 builds every family's rotary tables with
/// `getattr(config, "partial_rotary_factor", 1.0)`, so such a key shrinks the tables while the
/// attention still rotates every dimension: a size mismatch in `apply_rotary_pos_emb` (`null`: a
/// TypeError). Absent, or exactly 1, passes.
func refuseUnreadRotaryShare<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws {
    let share = try c.value(key, default: 1.0, refusingNull: "transformers cannot multiply the head size by it (TypeError); leave the key out")
    guard share == 1 else {
        throw ConfigValidationError(key: c.place(of: key), detail: "is \(configNumber(share)), but this family rotates the whole head: transformers "
                                    + "4.53 builds rotary tables for part of it and then fails on the size mismatch; leave the key out or set 1")
    }
}

/// A config number as written: `0`, `-5`, `1e-06`.
func configNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
}

extension KeyedDecodingContainer {
    /// Class names by index as `PretrainedConfig.__init__` (transformers 4.53.3) sets them, which
    /// fixes the rows transformers builds a classifier with: `id2label`'s names when the key holds a
    /// map (its length is the class count; `num_labels` beside it is ignored, as transformers only
    /// warns), else `LABEL_0 … LABEL_{n−1}` for `num_labels` (default 2; `null` fails in
    /// transformers' `range`). Keys must number the classes `0…n−1` (transformers indexes rows by
    /// them). A count of zero or less gives no classes (a base model's config may say so; a
    /// classifier head is then refused against its stored rows).
    func classLabels(id2label: Key, numLabels: Key) throws -> [String] {
        if let map = try decodeIfPresent([String: String].self, forKey: id2label) {
            var labels = [String?](repeating: nil, count: map.count)
            for (key, name) in map {
                guard let index = Int(key) else {
                    throw ConfigValidationError(key: place(of: id2label), detail: "has a non-integer key '\(key)'")
                }
                guard labels.indices.contains(index), labels[index] == nil else {
                    let keys = map.keys.compactMap { Int($0) }.sorted().map(String.init).joined(separator: ", ")
                    throw ConfigValidationError(key: place(of: id2label), detail:
                        "has keys \(keys): transformers builds \(map.count) classes from it and indexes them by these keys; number them 0…\(map.count - 1)")
                }
                labels[index] = name
            }
            return labels.map { $0! }
        }
        let count = try value(numLabels, default: 2, refusingNull: nullFailsInTransformers)
        guard count <= 100_000 else {
            throw ConfigValidationError(key: place(of: numLabels), detail: "is \(count); Glassbox reads at most 100000 classes")
        }
        return (0..<max(count, 0)).map { "LABEL_\($0)" }
    }
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
            return try configDecoder(data).decode(C.self, from: data)
        } catch let error as ConfigValidationError {
            throw LoadError.invalidConfig(file: file.path, key: error.key, detail: error.detail)
        } catch let error as DecodingError {
            if case .typeMismatch(let wanted, let context) = error, wanted is any Numeric.Type,
               let text = nonFiniteLiteral(at: context.codingPath, in: data) {
                let key = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
                throw LoadError.invalidConfig(file: file.path, key: key, detail:
                    "is \(text), which Python reads as \(text == "NaN" ? "nan" : text.hasPrefix("-") ? "-inf" : "inf"): a finite number is needed here")
            }
            // Foundation reports a number that does not fit an integer field (1.5, 1e30) as "not
            // valid JSON" without a key: find the field by decoding again with each candidate fixed.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               let field = nonIntegerField(C.self, in: data) {
                throw LoadError.configUnreadable(file: file.path, detail: field)
            }
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let place = LastKeyWins.syntaxErrorPlace(data) {
                throw LoadError.configUnreadable(file: file.path, detail: "not valid JSON \(place)")
            }
            throw LoadError.configUnreadable(file: file.path, detail: describe(error))
        }
    }

    /// The text of the value at `path` when it is a non-finite literal that `PythonJSONLiterals`
    /// turned into a string (`NaN`, `Infinity`, `1e400`); nil otherwise. Only runs on an error.
    private static func nonFiniteLiteral(at path: [CodingKey], in data: Data) -> String? {
        var value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        for key in path {
            if let index = key.intValue, let array = value as? [Any] {
                value = array.indices.contains(index) ? array[index] : nil
            } else {
                value = (value as? [String: Any])?[key.stringValue]
            }
        }
        guard let text = value as? String, PythonJSONLiterals.isNonFiniteLiteral(text) else { return nil }
        return text
    }

    /// "'KEY' should be an integer, got VALUE" for the number in `data` that Foundation's keyless
    /// "not valid JSON" is about (a fraction or a huge number in an integer field), or "'KEY' is
    /// VALUE, which a 32-bit float cannot hold" for a real field; nil when none is (the decode
    /// failed for another reason).
    ///
    /// Every suspect number (a fraction, an integer beyond Int64, a magnitude Float cannot hold) is
    /// replaced by a string at once, so the decode stops with a type mismatch at the first suspect
    /// `C` reads, naming its place and the type it wants. A suspect its field can hold (0.5 in a
    /// real field) is put back and the decode repeated: a few decodes in all, however many
    /// numbers the config holds in fields `C` never reads (one decode per number took minutes
    /// for 20,000).
    private static func nonIntegerField<C: Decodable>(_ type: C.Type, in data: Data) -> String? {
        let numbers = ConfigNumberLiterals(data)
        var suspects = Set(numbers.literals.indices.filter { isSuspect(numbers.literals[$0].text) })
        let byPath = Dictionary(numbers.literals.indices.map { (numbers.literals[$0].path, $0) }, uniquingKeysWith: { a, _ in a })
        while !suspects.isEmpty {
            let document = numbers.replacing(Dictionary(uniqueKeysWithValues: suspects.map { ($0, "\"?\"") }))
            guard case DecodingError.typeMismatch(let wanted, let context)? = decodingError(C.self, document),
                  let index = byPath[context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")],
                  suspects.contains(index) else { return nil }
            let literal = numbers.literals[index]
            let value = Double(literal.text) ?? .infinity
            let (key, text) = (literal.path, literal.text)
            switch wanted {
            case is any BinaryInteger.Type:
                return "'\(key)' should be an integer, got \(text)"
            case _ where !value.isFinite:
                return "'\(key)' is \(text), beyond the range of floating-point numbers (Python reads it as inf)"
            case _ where value == 0 || (wanted is Float.Type && Float(value) == 0):
                return "'\(key)' is \(text), which rounds to 0 in a \(wanted is Float.Type ? 32 : 64)-bit float"
            case is Float.Type where abs(value) > Double(Float.greatestFiniteMagnitude):
                return "'\(key)' is \(text), which a 32-bit float cannot hold"
            default:
                suspects.remove(index)   // a number its field can hold: put it back
            }
        }
        return nil
    }

    /// The error decoding `C` from `data` gives, or nil.
    private static func decodingError<C: Decodable>(_ type: C.Type, _ data: Data) -> Error? {
        do { _ = try configDecoder(data).decode(C.self, from: data) } catch { return error }
        return nil
    }

    /// A `JSONDecoder` that hands `data` to the fields it decodes (`CodingUserInfoKey.configDocument`).
    private static func configDecoder(_ data: Data) -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.userInfo[.configDocument] = data
        return decoder
    }

    /// Whether a number literal may be what Foundation refused: not a whole number, a whole
    /// number beyond Int64, or a magnitude Float or Double cannot hold (overflow, or a non-zero
    /// that rounds to 0: `1e-400`).
    private static func isSuspect(_ text: String) -> Bool {
        guard let value = Double(text) else { return true }
        let magnitude = abs(value)
        let underflows = value == 0 && text.prefix(while: { $0 != "e" && $0 != "E" }).contains(where: { ("1"..."9").contains($0) })
        return value != value.rounded() || magnitude >= 9.2e18 || magnitude > Double(Float.greatestFiniteMagnitude)
            || (value != 0 && Float(value) == 0) || underflows
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

/// How a family's transformers 4.53.3 classes read `head_dim` (HeadDimFieldTests checks each
/// family against Tests/Fixtures/config-head-dim):
/// - `asWritten`: `getattr(config, "head_dim", d // H)` on a config class that does not declare the
///   key (Qwen2, OLMo, OLMo 2, Phi, Phi-3): `null` reaches the attention as None (TypeError), refused;
/// - `configDefault`: the config class maps `null` to `d // H` (Llama);
/// - `orDerived`: `getattr(config, "head_dim", None) or d // H` (StarCoder2; OLMoE's, GraniteMoE's,
///   StableLM's and GPT-NeoX's rotary tables): `null` and 0 are `d // H`;
/// - `declaredOrDerived`: the same in the attention, on a config class that declares `head_dim`
///   with default None (Mistral, Mixtral): an absent key is None too, which matters where the
///   rope scaling reads the key as written (`refuseDerivedHeadDim`).
/// A 0 left by the first two is refused by `configHeadDim` (transformers divides by it).
enum HeadDimReading { case asWritten, configDefault, orDerived, declaredOrDerived }

extension RopeScaling {
    /// The scaling's name in transformers' `rope_type` when its tables read `head_dim` as written
    /// (`getattr(config, "head_dim", d // H)`, no `or`: dynamic NTK, YaRN, LongRoPE), else nil (the
    /// default, linear and llama3 tables read `head_dim or d // H`).
    var readsHeadDimAsWritten: String? {
        switch self {
        case .dynamic: "dynamic"
        case .yarn: "yarn"
        case .longrope: "longrope"
        default: nil
        }
    }
}

extension KeyedDecodingContainer {
    /// Refuses a `head_dim` written null or 0 that an `orDerived` reading took as `d // H` where
    /// transformers' tables for `scaling` read the key as written (TypeError on null; no rotated
    /// dimension, and a failing forward, on 0); with `declaredOrDerived`, an absent key under
    /// dynamic NTK or YaRN too (the config's None; LongRoPE's own check names that case).
    func refuseDerivedHeadDim(_ key: Key, reading: HeadDimReading, under scaling: RopeScaling) throws {
        guard let kind = scaling.readsHeadDimAsWritten else { return }
        switch reading {
        case .orDerived: guard contains(key) else { return }
        case .declaredOrDerived where kind != "longrope":   // (Mistral's and Mixtral's own longrope check names that case)
            guard contains(key) else {
                throw ConfigValidationError(key: place(of: key), detail:
                    "is not set, so the config holds None, which transformers' \(kind) rotary tables read as written (TypeError); write the head width")
            }
        default: return
        }
        // declaredOrDerived: an absent key is the config's None too, so only a width helps.
        let advice = reading == .declaredOrDerived ? "write the width" : "write the width or leave the key out"
        if try decodeNil(forKey: key) {
            throw ConfigValidationError(key: place(of: key), detail:
                "is null; transformers' \(kind) rotary tables read it as written (TypeError); \(advice)")
        }
        if try decode(Int.self, forKey: key) == 0 {
            throw ConfigValidationError(key: place(of: key), detail:
                "is 0; transformers' \(kind) rotary tables read it as written and rotate nothing (its forward fails); write the width or leave the key out")
        }
    }

    /// The `head_dim` a config writes, read as `reading` says; nil: derive it from `d / H`.
    func headDim(_ key: Key, reading: HeadDimReading) throws -> Int? {
        switch reading {
        case .asWritten: try value(refusingNull: key, default: Int?.none)
        case .configDefault: try decodeIfPresent(Int.self, forKey: key)
        case .orDerived, .declaredOrDerived: try decodeIfPresent(Int.self, forKey: key).flatMap { $0 == 0 ? nil : $0 }
        }
    }
}

/// Checks a `head_dim` that only the rotary tables read, where `attention` (the transformers class)
/// sizes its heads by `hidden / heads` (OLMoE, GraniteMoE, StableLM, GPT-NeoX): any other width would
/// rotate one the heads do not have. `width`: the key as read (nil: absent or read as `d // H`).
func requireRotaryOnlyHeadDim(_ width: Int?, hidden: Int, heads: Int, attention: String) throws {
    let derived = try configHeadDim(explicit: nil, hidden: hidden, heads: heads)
    if let width, width != derived {
        throw ConfigValidationError(key: "head_dim", detail:
            "(\(width)) must equal hidden_size / num_attention_heads (\(derived)): \(attention) sizes its heads by the latter and the rotary tables by the former")
    }
}

/// The per-head width `dh`: an `explicit` `head_dim` (positive), else `hidden / heads`, which must
/// divide evenly.
func configHeadDim(explicit: Int?, hidden: Int, heads: Int) throws -> Int {
    if let explicit {
        try requirePositive(explicit, "head_dim")
        return explicit
    }
    guard hidden % heads == 0 else {
        throw ConfigValidationError(key: "num_attention_heads", detail: "(\(heads)) must divide hidden_size (\(hidden))")
    }
    return hidden / heads
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
        throw ConfigValidationError(key: key, detail: Activation.refusal(of: name))
    }
    return activation
}
