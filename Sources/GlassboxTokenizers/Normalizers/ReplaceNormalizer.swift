/// Replaces every match of a pattern (a literal string or an Oniguruma regex) with `content`
/// (`Replace`); the new characters take the alignment of the last character they replace.
struct ReplaceNormalizer: TextNormalizer {
    let pattern: SplitPattern
    let content: [Unicode.Scalar]

    init(config: ConfigReader) throws {
        pattern = .regex(try Self.regex(config))
        content = Array(try config.string("content").unicodeScalars)
    }

    /// The `pattern` member: `{"String": …}` (matched literally) or `{"Regex": …}`.
    static func regex(_ config: ConfigReader) throws -> Regex {
        guard let pattern = config.child("pattern") else { throw config.fail("missing field 'pattern'") }
        if let literal = try pattern.optionalString("String") { return try Regex(literal: literal) }
        if let source = try pattern.optionalString("Regex") { return try Regex(source) }
        throw pattern.fail("expected {\"String\": …} or {\"Regex\": …}")
    }

    func normalize(_ string: inout NormalizedString) throws {
        try string.replace(pattern, with: content)
    }
}
