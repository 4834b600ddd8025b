import Foundation
import GlassboxModelIO
import GlassboxTensor

/// DistilBERT (`DistilBertModel`, `DistilBertForMaskedLM`, `DistilBertForSequenceClassification`):
/// BERT's post-LN encoder under other names (`transformer.layer.l.attention.q_lin` …,
/// `sa_layer_norm`, `ffn.lin1` / `ffn.lin2`, `output_layer_norm`), no token types and no pooler.
/// The head is the one `architectures` names (`head`; the other heads' weights are ignored, as
/// transformers ignores unexpected keys), else chosen by the tensors present (docs/methods.md §0.6):
/// - `vocab_transform` / `vocab_layer_norm` / `vocab_projector`: the MLM head (dense, the config's
///   activation, LayerNorm, decoder tied to the word embeddings plus bias);
/// - `pre_classifier` / `classifier`: dense on the `[CLS]` row, ReLU, classifier — held as a pooler
///   with a ReLU and the output layer, so `pooler.hook_out` is the ReLU's output;
/// - neither: the bare encoder.
enum DistilBertLoader: ArchitectureLoader {
    static let modelTypes = ["distilbert"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(DistilBertConfig.self, from: configData, file: configFile)
        let prefix = checkpoint.contains("distilbert.embeddings.word_embeddings.weight") ? "distilbert." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        var arch = config.architecture(head: .none)
        let (d, dff, vocab) = (arch.dModel, arch.dFF, arch.vocabSize)

        func norm(_ name: String) throws -> Norm {
            try r.layerNorm(name, kind: arch.norm, width: d)
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int, prefixed: Bool = true) throws -> Linear {
            try r.linearWithBias(name, inputs, outputs, prefixed: prefixed)
        }

        let wordEmbeddings = try r.matrix("embeddings.word_embeddings.weight", shape: [vocab, d])
        // Checkpoints store the table even when it is sinusoidal; a sinusoidal one may be rebuilt.
        let positionShape = [arch.contextLength, d]
        let stored = config.sinusoidalPositions
            ? try r.optionalTensor("embeddings.position_embeddings.weight", shape: positionShape)
            : try r.tensor("embeddings.position_embeddings.weight", shape: positionShape)
        let embeddings = EmbeddingWeights(
            token: wordEmbeddings,
            position: stored ?? SinusoidalPositions.table(positions: arch.contextLength, dim: d),
            tokenType: nil, norm: try norm("embeddings.LayerNorm"))

        let blocks = try (0..<arch.layers).map { l in
            let p = "transformer.layer.\(l)."
            return BlockWeights(
                ln1: try norm(p + "sa_layer_norm"),
                attention: AttentionWeights(query: try linear(p + "attention.q_lin", d, d), key: try linear(p + "attention.k_lin", d, d),
                                            value: try linear(p + "attention.v_lin", d, d),
                                            output: try linear(p + "attention.out_lin", d, d)),
                ln2: try norm(p + "output_layer_norm"),
                mlp: MLPWeights(input: try linear(p + "ffn.lin1", d, dff), up: nil, output: try linear(p + "ffn.lin2", dff, d)))
        }

        var pooler: Linear?
        var transform: Linear?
        var transformNorm: Norm?
        var unembed: Linear?
        let masked = head.map { $0 == .maskedLanguageModel } ?? checkpoint.contains("vocab_transform.weight")
        let classifier = head.map { $0 == .sequenceClassification } ?? checkpoint.contains("classifier.weight")
        try TwoHeads.refuse(head: head, masked: masked, classifier: classifier, maskedWeights: "vocab_*",
                            classifierWeights: "pre_classifier.*, classifier.*", modelType: "distilbert", file: configFile)
        if masked {
            arch.head = .maskedLanguageModel
            let mlm = try r.maskedLanguageModelHead(
                MaskedLMHeadNames(transform: "vocab_transform", norm: "vocab_layer_norm", decoderWeight: "vocab_projector.weight",
                                  decoderBiases: ["vocab_projector.bias"]),
                norm: arch.norm, width: d, wordEmbeddings: wordEmbeddings)
            (transform, transformNorm, unembed) = (mlm.transform, mlm.norm, mlm.decoder)
        } else if classifier {
            if config.classifierDropoutIsNull {
                throw LoadError.invalidConfig(file: configFile.path, key: "seq_classif_dropout", detail: "is null; \(nullFailsInTransformers)")
            }
            let labels = config.labels
            try r.checkClassRows(labels, outputWeight: "classifier.weight", configFile: configFile)
            pooler = try linear("pre_classifier", d, d, prefixed: false)
            unembed = try linear("classifier", d, labels.count, prefixed: false)
            arch.head = .sequenceClassification(labels: labels)
        }
        // Weights of the heads `architectures` did not ask for.
        let otherHeads = head == nil ? [] : [#"(pre_)?classifier\..*"#, #"vocab_(transform|layer_norm|projector)\..*"#]
        try r.finish(ignorable: [#"(distilbert\.)?embeddings\.position_ids"#] + otherHeads)

        var head = HeadWeights(finalNorm: nil, pooler: pooler, transform: transform,
                               transformNorm: transformNorm, unembed: unembed)
        head.poolerActivation = .relu
        return (arch, TransformerWeights(embeddings: embeddings, blocks: blocks, head: head))
    }
}
