/// A decoder: turns token strings back into text (`decoder` in tokenizer.json). Decoders chain:
/// each takes the previous one's strings, and the last result is joined.
protocol TokenDecoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
    /// An upper bound on how many times longer (in scalars) the decoder can make the text, apart
    /// from a few scalars per token (a space, a prefix): 1 for all but `Replace`.
    var growthFactor: Double { get }
}

extension TokenDecoder {
    /// 1: the decoder adds at most a few scalars per token.
    var growthFactor: Double { 1 }
}

/// The decoder types of tokenizer.json, by their `"type"`.
enum DecoderRegistry {
    static let builders: [String: @Sendable (ConfigReader) throws -> any TokenDecoder] = [
        "ByteLevel": { _ in ByteLevelDecoder() },
        "WordPiece": { try WordPieceDecoder(config: $0) },
        "Metaspace": { try MetaspaceDecoder(config: $0) },
        "ByteFallback": { _ in ByteFallbackDecoder() },
        "Fuse": { _ in FuseDecoder() },
        "Strip": { try StripDecoder(config: $0) },
        "Replace": { try ReplaceDecoder(config: $0) },
        "BPEDecoder": { try BPEDecoder(config: $0) },
        "CTC": { try CTCDecoder(config: $0) },
        "Sequence": { try DecoderSequence(config: $0) },
    ]

    static func make(_ config: ConfigReader) throws -> any TokenDecoder {
        let type = try config.typeName(part: .decoder)
        guard let build = builders[type] else {
            throw TokenizerError.unsupportedType(part: .decoder, type: type, supported: builders.keys.sorted(),
                                                 file: config.file)
        }
        return try build(config)
    }
}

/// Several decoders, one after the other (`Sequence`).
struct DecoderSequence: TokenDecoder {
    let decoders: [any TokenDecoder]

    init(config: ConfigReader) throws {
        decoders = try config.array("decoders").map(DecoderRegistry.make)
        try ReplaceNormalizer.checkChain(growth: growthFactor, of: "decoder", config: config)
    }

    /// The product of the steps' factors.
    var growthFactor: Double { decoders.reduce(1) { $0 * $1.growthFactor } }

    func decodeChain(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { $1.decodeChain($0) }
    }
}
