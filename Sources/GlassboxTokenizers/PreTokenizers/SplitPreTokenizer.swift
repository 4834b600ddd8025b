/// Splits on a pattern (`Split`): a literal string or an Oniguruma regex, with one of the five
/// delimiter behaviors; `invert` splits on what does not match instead. Llama 3 and Qwen2 put
/// their split regexes here.
struct SplitPreTokenizer: PreTokenizer {
    let pattern: SplitPattern
    let behavior: SplitBehavior

    init(config: ConfigReader) throws {
        let regex = try ReplaceNormalizer.regex(config)
        let name = try config.string("behavior")
        guard let behavior = SplitBehavior(serialized: name) else {
            throw config.fail("unknown behavior '\(name)' (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)")
        }
        self.behavior = behavior
        pattern = try config.bool("invert") ? .inverted(.regex(regex)) : .regex(regex)
    }

    func preTokenize(_ string: inout PreTokenizedString) throws {
        try string.split { s in try s.split(pattern.findMatches(in: s.scalars), behavior: behavior) }
    }
}
