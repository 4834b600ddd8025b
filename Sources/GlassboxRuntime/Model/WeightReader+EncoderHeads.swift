import Foundation
import GlassboxTensor

/// Where an encoder checkpoint stores its masked-LM head: BERT's `cls.predictions.*`, RoBERTa's
/// `lm_head.*`, DistilBERT's `vocab_*` (all unprefixed).
struct MaskedLMHeadNames {
    /// The dense `d → e` transform (`name.weight`, `name.bias`; `e = d` but in ELECTRA's generator).
    var transform: String
    /// The LayerNorm after the transform's activation.
    var norm: String
    /// The decoder's weight `[V, d]`, usually absent because it is tied to the word embeddings.
    var decoderWeight: String
    /// The decoder's bias `[V]` under each name checkpoints use; the first present is read and
    /// stored copies under the others are consumed.
    var decoderBiases: [String]
}

/// The weights of an encoder's masked-LM head (BERT's `BertLMPredictionHead` and its kin).
struct MaskedLMHeadWeights {
    /// Dense `d → d` before the activation.
    var transform: Linear
    /// LayerNorm after the activation.
    var norm: Norm
    /// Decoder `d → V`: the stored weight or the tied word embeddings, plus its bias.
    var decoder: Linear
}

extension WeightReader {
    /// Reads a masked-LM head over a vocabulary of `wordEmbeddings.shape[0]` tokens, its decoder tied
    /// to `wordEmbeddings [V, e]` unless a decoder weight is stored. The transform maps the residual
    /// width (`inputWidth`, else `d`) to `e`, the word table's width: `d` in BERT, `embedding_size` in
    /// ELECTRA's generator (`ElectraGeneratorPredictions`) and ALBERT (`AlbertMLMHead.dense`).
    mutating func maskedLanguageModelHead(_ names: MaskedLMHeadNames, norm kind: NormKind, width d: Int, inputWidth: Int? = nil,
                                          wordEmbeddings: WeightMatrix) throws -> MaskedLMHeadWeights {
        let (vocab, e) = (wordEmbeddings.shape[0], wordEmbeddings.shape[1])
        let transform = try linearWithBias(names.transform, inputWidth ?? d, e, prefixed: false)
        let norm = try layerNorm(names.norm, kind: kind, width: e, prefixed: false)
        let decoder = try optionalMatrix(names.decoderWeight, shape: [vocab, e], prefixed: false)
        guard let biasName = resolve(names.decoderBiases, prefixed: false) else {
            throw LoadError.missingTensor(name: names.decoderBiases[0], directory: directory)
        }
        let bias = try tensor(biasName, shape: [vocab], prefixed: false)
        for other in names.decoderBiases where other != biasName {
            _ = try optionalTensor(other, shape: [vocab], prefixed: false)
        }
        return MaskedLMHeadWeights(transform: transform, norm: norm,
                                   decoder: Linear(weight: decoder ?? wordEmbeddings, layout: .outIn, bias: bias))
    }

    /// Refuses a stored classifier `outputWeight [rows, d]` whose rows are not the config's classes
    /// (`labels`, from ``KeyedDecodingContainer/classLabels(id2label:numLabels:)``):
    /// `from_pretrained` refuses the size mismatch too (a config without `id2label` or `num_labels`
    /// means 2 classes, so a 4-row head needs them stated).
    func checkClassRows(_ labels: [String], outputWeight: String, configFile: URL) throws {
        guard let rows = checkpoint.entry(outputWeight)?.shape.first, rows != labels.count else { return }
        throw LoadError.invalidConfig(file: configFile.path, key: "id2label", detail:
            "gives \(labels.count) classes (where it is absent, num_labels does, default 2) but '\(outputWeight)' has \(rows) rows; "
            + "transformers refuses the size mismatch too: name the \(rows) classes in id2label")
    }
}
