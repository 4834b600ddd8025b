/// Lowercases every character with Rust's `char::to_lowercase` (full, context-free mappings:
/// `İ` becomes `i̇`, `Σ` always `σ`); added characters share the original's alignment.
struct Lowercase: TextNormalizer {
    func normalize(_ string: inout NormalizedString) {
        if string.scalars.allSatisfy({ $0.value < 0x80 }) {
            string.map { (0x41...0x5A).contains($0.value) ? Unicode.Scalar(UInt8($0.value + 32)) : $0 }
            return
        }
        string.expand { s, out in UnicodeClasses.appendLowercase(s, to: &out) }
    }
}
