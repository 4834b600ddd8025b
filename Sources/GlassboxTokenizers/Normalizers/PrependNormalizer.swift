/// Puts a fixed string in front of any non-empty text (`Prepend`, as Llama 2's `▁`); it takes
/// the first character's alignment.
struct PrependNormalizer: TextNormalizer {
    let prefix: [Unicode.Scalar]

    init(config: ConfigReader) throws {
        prefix = Array(try config.string("prepend").unicodeScalars)
    }

    func normalize(_ string: inout NormalizedString) {
        string.prepend(prefix)
    }
}
