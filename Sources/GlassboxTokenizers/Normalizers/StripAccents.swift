/// Removes combining marks (`StripAccents`; usually after NFD, which splits accents off their
/// letters). The mark table is the reference's (Unicode 9.0).
struct StripAccents: TextNormalizer {
    func normalize(_ string: inout NormalizedString) {
        string.filter { !UnicodeClasses.flags($0).contains(.combiningMark) }
    }
}
