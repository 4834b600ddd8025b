/// GPT-2's byte-level pre-tokenizer (`ByteLevel`): optionally adds a space in front
/// (`add_prefix_space`), splits with GPT-2's regex (`use_regex`), then replaces every byte of
/// the UTF-8 text by its printable stand-in (`Ġ` for a space), so that any text is made of 256
/// symbols. `trim_offsets` matters only to the post-processor of the same name.
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool

    /// GPT-2's split pattern.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let gpt2Regex: Regex? = try? Regex(gpt2Pattern)

    init(addPrefixSpace: Bool, useRegex: Bool) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    init(config: ConfigReader) throws {
        addPrefixSpace = try config.bool("add_prefix_space")
        _ = try config.bool("trim_offsets")
        useRegex = try config.bool("use_regex", default: true)
    }

    func preTokenize(_ string: inout PreTokenizedString) throws {
        guard let regex = Self.gpt2Regex else {
            throw TokenizerError.invalidRegex(pattern: Self.gpt2Pattern, detail: "the built-in GPT-2 pattern did not compile")
        }
        try string.split { normalized in
            var s = normalized
            if addPrefixSpace && s.scalars.first != " " { s.prepend([" "]) }
            guard useRegex else { return [s] }
            return try s.split(SplitPattern.regex(regex).findMatches(in: s.scalars), behavior: .isolated)
        }
        string.normalize { ByteLevel.mapBytes(of: &$0) }
    }
}
