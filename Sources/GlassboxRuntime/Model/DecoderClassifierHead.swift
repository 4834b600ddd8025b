import Foundation
import GlassboxModelIO
import GlassboxTensor

/// The head of `<Decoder>ForSequenceClassification` (transformers 4.53.3:
/// `GPT2ForSequenceClassification`, `LlamaForSequenceClassification` and its copies
/// `MistralForSequenceClassification`, `Qwen2ForSequenceClassification`,
/// `Qwen3ForSequenceClassification`): `score = nn.Linear(hidden_size, num_labels, bias=False)` on
/// the final hidden states (after the final norm), whose logits at the last non-pad token
/// (`ClassifierPooling.lastNonPad`, with `config.pad_token_id`) are the class logits. The checkpoint
/// holds `score.weight` `[num_labels, d]` beside the decoder (`transformer.*` for GPT-2, `model.*`
/// for the Llama family) and no `lm_head`.
enum DecoderClassifierHead {
    /// The config fields the head reads.
    struct Fields: Decodable {
        /// Class names by index from `id2label` (empty: the weight's rows name them `LABEL_i`).
        let labels: [String]
        /// `pad_token_id`: an integer or null (absent: null, `PretrainedConfig`'s default).
        let padTokenID: Int?

        enum CodingKeys: String, CodingKey {
            case id2label
            case numLabels = "num_labels"
            case padTokenID = "pad_token_id"
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            labels = try c.classLabels(id2label: .id2label, numLabels: .numLabels)
            padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID)
        }
    }

    /// The checkpoint's weight of the head (unprefixed, beside `transformer.` / `model.`).
    static let weightName = "score.weight"

    /// Whether to load the classifier: `architectures` asks for it, or (without an entry the family
    /// knows) the checkpoint holds `score.weight`.
    static func wanted(_ head: RequestedHead?, checkpoint: Checkpoint) -> Bool {
        head.map { $0 == .sequenceClassification } ?? checkpoint.contains(weightName)
    }

    /// The other head's weights, which transformers ignores as unexpected keys (red-team 23 found them
    /// refused): `lm_head.weight` beside a classifier, `score.weight` beside a language model.
    static func otherHeadWeights(classifier: Bool) -> [String] {
        classifier ? [#"lm_head\.weight"#] : [#"score\.weight"#]
    }

    /// Reads `score.weight` `[labels, d]` and the config's labels and pad id: the unembedding
    /// (`unembed.hook_in` `[1, d]` at the pooled row → `unembed.hook_out` `[1, labels]`) and the head.
    static func read(_ r: inout WeightReader, configData: Data, configFile: URL, width d: Int) throws -> (Linear, HeadKind) {
        let fields = try ConfigDecoding.decode(Fields.self, from: configData, file: configFile)
        let labels = fields.labels
        try r.checkClassRows(labels, outputWeight: weightName, configFile: configFile)
        let score = Linear(weight: try r.matrix(weightName, shape: [labels.count, d], prefixed: false), layout: .outIn, bias: nil)
        return (score, .sequenceClassification(labels: labels, pooling: .lastNonPad(padTokenID: fields.padTokenID)))
    }
}
