/// `config.json` of a Hugging Face ELECTRA checkpoint (`model_type: electra`, Clark et al. 2020,
/// "ELECTRA: Pre-training Text Encoders as Discriminators Rather Than Generators"): BERT's fields
/// and checks (`BertConfig`, with ElectraConfig's smaller size defaults) plus `embedding_size`, the
/// width of the embedding tables and their LayerNorm; `ElectraModel` projects them to `hidden_size`
/// (`embeddings_project`) when the two differ.
public struct ElectraConfig: Decodable, Sendable, Equatable {
    /// The BERT fields (`vocab_size`, `hidden_size`, …), decoded and checked as BERT's.
    public var bert: BertConfig
    /// `embedding_size` `E` (default 128): width of the word, position and token-type tables, the
    /// embedding LayerNorm and the generator head's output (`ElectraGeneratorPredictions`).
    public var embeddingSize: Int

    enum CodingKeys: String, CodingKey {
        case embeddingSize = "embedding_size"
        case padTokenID = "pad_token_id"
    }

    /// Decodes `config.json` with ElectraConfig's defaults and checks it as `BertConfig` does, and
    /// that `embedding_size` is positive and `pad_token_id` (the word table's `padding_idx`, default
    /// 0, null allowed as in `nn.Embedding`) lies in `[-vocab_size, vocab_size)`, where torch accepts
    /// it. Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        bert = try BertConfig(from: decoder, defaults: .electra)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        embeddingSize = try c.value(refusingNull: .embeddingSize, default: 128)
        try requirePositive(embeddingSize, "embedding_size")
        // Glassbox never reads the padding row specially; nn.Embedding asserts the index is in range.
        if let pad = try c.decodeIfPresent(Int.self, forKey: .padTokenID),
           pad >= bert.vocabSize || pad < -bert.vocabSize {
            throw ConfigValidationError(key: "pad_token_id", detail:
                "(\(pad)) must be a token id within vocab_size (\(bert.vocabSize)); nn.Embedding's padding_idx refuses it")
        }
    }

    /// Whether `ElectraModel` has `embeddings_project` (`embedding_size ≠ hidden_size`).
    var projectsEmbeddings: Bool { embeddingSize != bert.hiddenSize }

    /// The typed architecture: BERT's under `model_type` `electra`.
    func architecture(head: HeadKind) -> Architecture {
        var arch = bert.architecture(head: head)
        arch.modelType = "electra"
        return arch
    }
}
