import Foundation

/// The config keys a family's `rope_scaling` is read with: the object itself, the maximum positions
/// (whose `null` some scalings refuse) and the top-level `original_max_position_embeddings`
/// (LongRoPE). A family's `CodingKeys` conforms by having these three cases.
protocol RopeScalingKeys: CodingKey {
    static var ropeScaling: Self { get }
    static var maxPositionEmbeddings: Self { get }
    static var originalMaxPositionEmbeddings: Self { get }
}

/// The three keys alone, for a reader without its own (``RotaryDecoderFields``).
enum RopeScalingCodingKeys: String, RopeScalingKeys {
    case ropeScaling = "rope_scaling"
    case maxPositionEmbeddings = "max_position_embeddings"
    case originalMaxPositionEmbeddings = "original_max_position_embeddings"
}

extension KeyedDecodingContainer where Key: RopeScalingKeys {
    /// The config's `rope_scaling` read as transformers 4.53.3 reads it for one family (the one
    /// reader every rotary family's config goes through; ``RopeScaling/read(_:typeKeys:modelType:maxPositions:maxPositionsNullKey:rotatedDimensions:originalMaxPositions:base:types:)``
    /// checks it): `maxPositions` and where this container writes it `null`, the top-level
    /// `original_max_position_embeddings` as written, and what the family differs in —
    /// `typeKeys` (how its config class finds `type` / `rope_type`), `modelType` (messages),
    /// `rotatedDimensions` (the rotated width of a head: partial rotary), `base` with the key it is
    /// read from (GPT-NeoX's `rotary_emb_base`; YaRN's messages name it) and `types` (the scalings
    /// its rotary class runs).
    func ropeScaling(typeKeys: RopeTypeKeys, modelType: String, maxPositions: Int, rotatedDimensions: Int,
                     base: Double, baseKey: String = "rope_theta",
                     types: [String] = RopeScaling.supportedTypes) throws -> RopeScaling {
        try RopeScaling.read(decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling),
                             typeKeys: typeKeys, modelType: modelType,
                             maxPositions: maxPositions, maxPositionsNullKey: try nullPlace(of: .maxPositionEmbeddings),
                             rotatedDimensions: rotatedDimensions,
                             originalMaxPositions: contains(.originalMaxPositionEmbeddings)
                                 ? decode(JSONValue.self, forKey: .originalMaxPositionEmbeddings) : nil,
                             base: (base, baseKey), types: types)
    }
}
