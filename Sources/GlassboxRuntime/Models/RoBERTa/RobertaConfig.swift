/// `config.json` of a Hugging Face RoBERTa checkpoint (`model_type` `roberta`, or `xlm-roberta` /
/// `camembert`, whose transformers modeling files are RoBERTa's under other class names): BERT's
/// fields and checks (`BertConfig`) plus `pad_token_id`, which is also the position table's
/// padding index.
public struct RobertaConfig: Decodable, Sendable, Equatable {
    /// The `model_type` values with RoBERTa's architecture (XLMRobertaConfig and CamembertConfig
    /// have RobertaConfig's fields and defaults).
    public static let modelTypes = ["roberta", "xlm-roberta", "camembert"]

    /// The BERT fields (`vocab_size`, `hidden_size`, …), decoded and checked as BERT's.
    public var bert: BertConfig
    /// `pad_token_id` (default 1): positions start at `padTokenID + 1`.
    public var padTokenID: Int
    /// The checkpoint's own `model_type` (one of ``modelTypes``; default `roberta`), which the
    /// architecture reports.
    public var modelType: String

    enum CodingKeys: String, CodingKey {
        case padTokenID = "pad_token_id"
        case modelType = "model_type"
    }

    /// Decodes `config.json` with `transformers`' defaults and checks it as `BertConfig` does, and
    /// that `0 ≤ pad_token_id < max_position_embeddings − 1` (at least one position is left).
    /// Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        bert = try BertConfig(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.value(.modelType, default: "roberta")
        guard Self.modelTypes.contains(modelType) else {
            throw ConfigValidationError(key: "model_type", detail: "'\(modelType)' is not a RoBERTa-architecture type")
        }
        // `create_position_ids_from_input_ids(input_ids, padding_idx)` compares the ids with it: a
        // null fails there (`ne()` of None), so it is refused (Tests/Fixtures/config-nulls).
        let embeddings = ["xlm-roberta": "XLMRobertaEmbeddings", "camembert": "CamembertEmbeddings"][modelType] ?? "RobertaEmbeddings"
        padTokenID = try c.value(.padTokenID, default: 1, refusingNull:
            "\(embeddings) counts positions after the padding id (transformers fails on a null one)")
        guard padTokenID >= 0, padTokenID < bert.vocabSize else {
            throw ConfigValidationError(key: "pad_token_id", detail: "(\(padTokenID)) must be a token id below vocab_size (\(bert.vocabSize))")
        }
        guard padTokenID + 1 < bert.maxPositionEmbeddings else {
            throw ConfigValidationError(key: "max_position_embeddings", detail:
                "(\(bert.maxPositionEmbeddings)) leaves no position after the padding index pad_token_id (\(padTokenID))")
        }
    }

    /// The typed architecture: BERT's, with the longest input `max_position_embeddings −
    /// pad_token_id − 1` (the position rows after the padding index).
    func architecture(head: HeadKind) -> Architecture {
        var arch = bert.architecture(head: head)
        arch.modelType = modelType
        arch.contextLength = bert.maxPositionEmbeddings - padTokenID - 1
        return arch
    }
}
