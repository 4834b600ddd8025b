/// Maps every byte of the UTF-8 text to its printable stand-in (`ByteLevel` normalizer; the
/// same mapping as the ByteLevel pre-tokenizer, without its split).
struct ByteLevelNormalizer: TextNormalizer {
    func normalize(_ string: inout NormalizedString) {
        ByteLevel.mapBytes(of: &string)
    }
}
