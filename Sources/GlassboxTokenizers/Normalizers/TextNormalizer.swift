/// A normalizer: changes the text before it is split, keeping each character's alignment to
/// the original (`normalizer` in tokenizer.json).
protocol TextNormalizer: Sendable {
    func normalize(_ string: inout NormalizedString) throws
    /// An upper bound on how many times longer (in scalars) a chain of this normalizer can make
    /// the text, apart from a few scalars in all (a prefix): 1 for all but `Replace`.
    var growthFactor: Double { get }
}

extension TextNormalizer {
    /// 1: the normalizer adds at most a few scalars, or a bounded number per scalar that it does
    /// not grow again when repeated.
    var growthFactor: Double { 1 }
}

/// The normalizer types of tokenizer.json, by their `"type"`.
enum NormalizerRegistry {
    static let builders: [String: @Sendable (ConfigReader) throws -> any TextNormalizer] = [
        "BertNormalizer": { try BertNormalizer(config: $0) },
        "Lowercase": { _ in Lowercase() },
        "Strip": { try StripNormalizer(config: $0) },
        "StripAccents": { _ in StripAccents() },
        "NFC": { _ in UnicodeFormNormalizer(form: .nfc) },
        "NFD": { _ in UnicodeFormNormalizer(form: .nfd) },
        "NFKC": { _ in UnicodeFormNormalizer(form: .nfkc) },
        "NFKD": { _ in UnicodeFormNormalizer(form: .nfkd) },
        "Replace": { try ReplaceNormalizer(config: $0) },
        "Prepend": { try PrependNormalizer(config: $0) },
        "Nmt": { _ in NmtNormalizer() },
        "Precompiled": { try PrecompiledNormalizer(config: $0) },
        "ByteLevel": { _ in ByteLevelNormalizer() },
        "Sequence": { try NormalizerSequence(config: $0) },
    ]

    static func make(_ config: ConfigReader) throws -> any TextNormalizer {
        let type = try config.typeName(part: .normalizer)
        guard let build = builders[type] else {
            throw TokenizerError.unsupportedType(part: .normalizer, type: type, supported: builders.keys.sorted(),
                                                 file: config.file)
        }
        return try build(config)
    }
}

/// Several normalizers, one after the other (`Sequence`).
struct NormalizerSequence: TextNormalizer {
    let normalizers: [any TextNormalizer]

    init(config: ConfigReader) throws {
        normalizers = try config.array("normalizers").map(NormalizerRegistry.make)
        try ReplaceNormalizer.checkChain(growth: growthFactor, of: "normalizer", config: config)
    }

    /// The product of the steps' factors.
    var growthFactor: Double { normalizers.reduce(1) { $0 * $1.growthFactor } }

    func normalize(_ string: inout NormalizedString) throws {
        for n in normalizers { try n.normalize(&string) }
    }
}
