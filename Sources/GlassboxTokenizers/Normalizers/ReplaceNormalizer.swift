/// Replaces every match of a pattern (a literal string or an Oniguruma regex) with `content`
/// (`Replace`); the new characters take the alignment of the last character they replace.
struct ReplaceNormalizer: TextNormalizer {
    let pattern: SplitPattern
    let content: [Unicode.Scalar]
    let growthFactor: Double

    init(config: ConfigReader) throws {
        let regex = try Self.regex(config)
        pattern = .regex(regex)
        content = Array(try config.string("content").unicodeScalars)
        growthFactor = Self.growthFactor(regex, contentLength: content.count)
    }

    /// How much a chain of steps (normalizers or decoders) may grow the text: a chain of `Replace`
    /// steps that each double it (`a` → `aa`, 20 times) would turn a few scalars into megabytes
    /// and take minutes.
    static let maximumChainGrowth: Double = 64

    /// `growth` as a count for messages ("1048576"); past 10¹⁵ (2⁶⁴ and more overflow `Int`)
    /// in scientific notation.
    static func describe(growth: Double) -> String {
        growth < 1e15 ? "\(Int(growth.rounded(.up)))" : "\(growth)"
    }

    /// Refuses a chain of `part`s ("decoder", "normalizer") that can grow the text `growth` times,
    /// more than ``maximumChainGrowth``.
    static func checkChain(growth: Double, of part: String, config: ConfigReader) throws {
        guard growth > maximumChainGrowth else { return }
        throw config.fail("the \(part)s can make the text up to \(describe(growth: growth))× longer "
                          + "(more than \(Int(maximumChainGrowth))×); a Replace chain this long is not a real \(part)")
    }

    /// How many times longer (in scalars) replacing every match of `regex` with `contentLength`
    /// scalars can make a text, at worst: each match of `m ≥ 1` scalars at most
    /// `max(1, contentLength / m)` times longer; a pattern that can match the empty text inserts
    /// the content between any two scalars.
    static func growthFactor(_ regex: Regex, contentLength: Int) -> Double {
        let c = Double(contentLength)
        if let literal = regex.literal { return max(1, c / Double(max(1, literal.count))) }
        let matchesEmpty = !regex.unboundedMatches(in: []).isEmpty
        return matchesEmpty ? c + 1 : max(1, c)
    }

    /// The `pattern` member: `{"String": …}` (matched literally) or `{"Regex": …}`; a pattern
    /// that does not compile is an error naming the file and the member.
    static func regex(_ config: ConfigReader) throws -> Regex {
        guard let pattern = config.child("pattern") else { throw config.fail("missing field 'pattern'") }
        do {
            if let literal = try pattern.optionalString("String") { return try Regex(literal: literal) }
            if let source = try pattern.optionalString("Regex") { return try Regex(source) }
        } catch let error as TokenizerError {
            guard case .invalidRegex = error else { throw error }
            throw pattern.fail(error.errorDescription ?? "\(error)")
        }
        throw pattern.fail("expected {\"String\": …} or {\"Regex\": …}")
    }

    func normalize(_ string: inout NormalizedString) throws {
        try string.replace(pattern, with: content)
    }
}
