/// BERT's post-processor (`BertProcessing`): `[CLS] A [SEP]`, or `[CLS] A [SEP] B [SEP]` with
/// type id 1 for the second part.
struct BertProcessing: PostProcessor {
    let cls: (String, Int)
    let sep: (String, Int)

    init(config: ConfigReader) throws {
        cls = try PostProcessorRegistry.tokenPair(config, "cls")
        sep = try PostProcessorRegistry.tokenPair(config, "sep")
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard addSpecialTokens else { return encodings }
        var out: [Encoding] = []
        for (i, e) in encodings.enumerated() {
            if i == 0 {
                out.append(.special(ids: [cls.1], tokens: [cls.0], typeID: 0))
                out.append(e)
                out.append(.special(ids: [sep.1], tokens: [sep.0], typeID: 0))
            } else {
                out.append(e)
                out.append(.special(ids: [sep.1], tokens: [sep.0], typeID: 1))
            }
        }
        return out
    }

    func addedTokens(isPair: Bool) -> Int { isPair ? 3 : 2 }
}
