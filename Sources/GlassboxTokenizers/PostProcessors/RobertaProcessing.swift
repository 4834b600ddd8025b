/// RoBERTa's post-processor (`RobertaProcessing`): optionally trims spaces off offsets as the
/// ByteLevel post-processor does, sets every type id to 0, and adds `<s> A </s>` or
/// `<s> A </s></s> B </s>`.
struct RobertaProcessing: PostProcessor {
    let cls: (String, Int)
    let sep: (String, Int)
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var encodings = encodings
        if trimOffsets {
            for i in encodings.indices { ByteLevelProcessing.trimOffsets(&encodings[i], addPrefixSpace: addPrefixSpace) }
        }
        for i in encodings.indices { encodings[i].typeIDs = Array(repeating: 0, count: encodings[i].count) }
        guard addSpecialTokens else { return encodings }
        var out: [Encoding] = []
        for (i, e) in encodings.enumerated() {
            if i == 0 {
                out.append(.special(ids: [cls.1], tokens: [cls.0], typeID: 0))
                out.append(e)
                out.append(.special(ids: [sep.1], tokens: [sep.0], typeID: 0))
            } else {
                out.append(.special(ids: [sep.1], tokens: [sep.0], typeID: 0))
                out.append(e)
                out.append(.special(ids: [sep.1], tokens: [sep.0], typeID: 0))
            }
        }
        return out
    }

    func addedTokens(isPair: Bool) -> Int { isPair ? 4 : 2 }
}

extension RobertaProcessing {
    /// `RobertaProcessing(sep, cls, trim_offsets, add_prefix_space)` as `tokenizer.json` gives it;
    /// tokens are (content, id). (In an extension, so the memberwise initialiser stays.)
    init(config: ConfigReader) throws {
        self.init(cls: try PostProcessorRegistry.tokenPair(config, "cls"), sep: try PostProcessorRegistry.tokenPair(config, "sep"),
                  trimOffsets: try config.bool("trim_offsets"), addPrefixSpace: try config.bool("add_prefix_space"))
    }
}
