/// Removes whitespace at the start and/or end (`Strip` normalizer).
struct StripNormalizer: TextNormalizer {
    let left: Bool
    let right: Bool

    init(config: ConfigReader) throws {
        left = try config.bool("strip_left")
        right = try config.bool("strip_right")
    }

    func normalize(_ string: inout NormalizedString) {
        string.strip(left: left, right: right)
    }
}
