/// Which position a sequence classifier reads its class logits from.
///
/// Encoders pool the first token (`[CLS]`, ViT's class token: BERT's pooler, RoBERTa's
/// `classification_head`, DistilBERT's `pre_classifier`, `ViTForImageClassification`). Decoder
/// classifiers (`GPT2ForSequenceClassification`, `LlamaForSequenceClassification` and its copies
/// in Mistral, Qwen2, Qwen3; transformers 4.53.3) apply `score` at every position and return the
/// logits of the last token that is not padding. ModernBERT's `classifier_pooling` `mean`
/// (`ModernBertForSequenceClassification`) averages `final_norm`'s rows under the attention mask
/// before its head; one unpadded input has a mask of ones, so every row.
public enum ClassifierPooling: Sendable, Equatable {
    /// Position 0.
    case firstToken
    /// transformers' `last_non_pad_token`: with `padTokenID` set, `(arange(n) · (ids != pad)).argmax()`,
    /// the rightmost non-pad position (0 when every token is a pad, or only the first is not);
    /// with `padTokenID` nil (`config.pad_token_id` null, batch size 1), the last position.
    case lastNonPad(padTokenID: Int?)
    /// The mean of every row, `(Σ_i m_i·h_i) / Σ_i m_i` with the mask `m` all ones
    /// (`ModernBertForSequenceClassification`, `classifier_pooling` `mean`); reported at position 0.
    case mean

    /// Whether the classifier reads the last non-pad row on the residual stream (decoder classifiers).
    public var isLastNonPad: Bool {
        if case .lastNonPad = self { true } else { false }
    }

    /// The pooled position of `ids` (`n ≥ 1`). Image inputs (no ids) pool the first position.
    public func position(ids: [Int]) -> Int {
        switch self {
        case .firstToken, .mean:
            return 0
        case .lastNonPad(let pad):
            guard !ids.isEmpty else { return 0 }
            guard let pad else { return ids.count - 1 }
            return ids.lastIndex { $0 != pad } ?? 0
        }
    }
}

extension Architecture {
    /// The position a sequence classifier pools for `input`; nil for other heads.
    public func classifierPosition(_ input: ModelInput) -> Int? {
        guard case .sequenceClassification(_, let pooling) = head else { return nil }
        if case .tokens(let ids, _) = input { return pooling.position(ids: ids) }
        return 0
    }

    /// The position a sequence classifier pools for the token ids `ids`; nil for other heads.
    public func classifierPosition(ids: [Int]) -> Int? {
        classifierPosition(.tokens(ids, types: nil))
    }
}
