/// SentencePiece's NMT normalization (`Nmt`): removes some control characters and turns other
/// separators into spaces.
struct NmtNormalizer: TextNormalizer {
    func normalize(_ string: inout NormalizedString) {
        string.filter { s in
            switch s.value {
            case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: false
            default: true
            }
        }
        string.map { s in
            switch s.value {
            case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: " "
            default: s
            }
        }
    }
}
