import Foundation
import GlassboxModelIO
import GlassboxTensor

/// ALBERT (`AlbertModel`, `AlbertForMaskedLM`, `AlbertForPreTraining`, `AlbertForSequenceClassification`;
/// docs/methods.md §0.6): BERT's embeddings at `embedding_size` (`E`) with their LayerNorm, then
/// `encoder.embedding_hidden_mapping_in` (`E → d`, held as `EmbeddingWeights.projection`), then
/// post-LN BERT blocks whose weights are shared: application `i` of `num_hidden_layers` runs group
/// `AlbertConfig.group(ofApplication:)`, each group `inner_group_num` `AlbertLayer`s (attention
/// `query`/`key`/`value`/`dense` + `LayerNorm`, `ffn` → activation → `ffn_output`,
/// `full_layer_layer_norm`). Every application is its own Glassbox layer (its own hooks); the
/// shared layers' weights are read once and the blocks hold the same storage. The head is the one
/// `architectures` names (`head`), else chosen by the tensors present:
/// - `predictions.*` (`AlbertMLMHead`; also `AlbertForPreTraining`'s first output, whose
///   `sop_classifier` is then ignored): dense `d → E`, `hidden_act`, LayerNorm(`E`), decoder tied to
///   the word embeddings plus `predictions.bias`;
/// - `classifier.*`: `classifier(tanh(pooler(h₀)))`, the pooler an `nn.Linear` named `pooler`;
/// - neither: the bare encoder, with the pooler when the checkpoint has it.
enum AlbertLoader: ArchitectureLoader {
    static let modelTypes = ["albert"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(AlbertConfig.self, from: configData, file: configFile)
        let prefix = checkpoint.contains("albert.embeddings.word_embeddings.weight") ? "albert." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        var arch = config.architecture(head: .none)
        let (d, e, vocab) = (arch.dModel, config.embeddingSize, arch.vocabSize)

        let wordEmbeddings = try r.matrix("embeddings.word_embeddings.weight", shape: [vocab, e])
        var embeddings = EmbeddingWeights(
            token: wordEmbeddings,
            position: try r.tensor("embeddings.position_embeddings.weight", shape: [arch.contextLength, e]),
            tokenType: arch.tokenTypes > 0
                ? try r.tensor("embeddings.token_type_embeddings.weight", shape: [arch.tokenTypes, e]) : nil,
            norm: try r.layerNorm("embeddings.LayerNorm", kind: arch.norm, width: e))
        embeddings.projection = try r.linearWithBias("encoder.embedding_hidden_mapping_in", e, d)

        // Every group's layers, read once. Every group runs: num_hidden_groups ≤ num_hidden_layers, since
        // more groups than layers leave int(L / G) = 0 head-mask entries per group (refused, AlbertConfig).
        let groups = try (0..<config.numHiddenGroups).map { g in
            try (0..<config.innerGroupNum).map { j in try r.albertLayer("encoder.albert_layer_groups.\(g).albert_layers.\(j).", arch) }
        }
        let blocks = (0..<config.numHiddenLayers).flatMap { groups[config.group(ofApplication: $0)] }

        let masked = head.map { $0 == .maskedLanguageModel } ?? checkpoint.contains("predictions.dense.weight")
        let classifier = head.map { $0 == .sequenceClassification } ?? checkpoint.contains("classifier.weight")
        try TwoHeads.refuse(head: head, masked: masked, classifier: classifier, maskedWeights: "predictions.*",
                            classifierWeights: "classifier.*", modelType: "albert", file: configFile)
        // AlbertForMaskedLM runs no pooler (add_pooling_layer=False).
        let pooler = r.resolve(["pooler.weight"]) != nil && !(masked && head != nil)
            ? try r.linearWithBias("pooler", d, d) : nil

        var transform: Linear?, transformNorm: Norm?, unembed: Linear?
        if masked {
            if config.initializerRangeIsNull {
                throw LoadError.invalidConfig(file: configFile.path, key: "initializer_range", detail:
                    "is null; transformers fails loading AlbertForMaskedLM with it (normal_(std=None) on a weight it initialises)")
            }
            arch.head = .maskedLanguageModel
            let mlm = try r.maskedLanguageModelHead(
                MaskedLMHeadNames(transform: "predictions.dense", norm: "predictions.LayerNorm",
                                  decoderWeight: "predictions.decoder.weight",
                                  decoderBiases: ["predictions.bias", "predictions.decoder.bias"]),
                norm: arch.norm, width: e, inputWidth: d, wordEmbeddings: wordEmbeddings)
            (transform, transformNorm, unembed) = (mlm.transform, mlm.norm, mlm.decoder)
        } else if classifier {
            guard pooler != nil else {
                throw LoadError.missingTensor(name: prefix + "pooler.weight", directory: directory.path)
            }
            if config.classifierDropoutIsNull {
                throw LoadError.invalidConfig(file: configFile.path, key: "classifier_dropout_prob", detail:
                    "is null; transformers fails building AlbertForSequenceClassification's dropout on it (TypeError)")
            }
            let labels = config.labels
            try r.checkClassRows(labels, outputWeight: "classifier.weight", configFile: configFile)
            unembed = try r.linearWithBias("classifier", d, labels.count, prefixed: false)
            arch.head = .sequenceClassification(labels: labels)
        }
        // Weights of the heads `architectures` did not ask for; AlbertForPreTraining's sentence-order head.
        let otherHeads = head == nil ? [] : [#"classifier\..*"#, #"predictions\..*"#, #"(albert\.)?pooler\..*"#]
        try r.finish(ignorable: [#"(albert\.)?embeddings\.(position_ids|token_type_ids)"#, #"sop_classifier\..*"#] + otherHeads)

        let weights = TransformerWeights(
            embeddings: embeddings, blocks: blocks,
            head: HeadWeights(finalNorm: nil, pooler: pooler, transform: transform, transformNorm: transformNorm, unembed: unembed))
        return (arch, weights)
    }
}

extension WeightReader {
    /// One `AlbertLayer` under `p` (`…albert_layers.j.`): BERT's post-LN block under ALBERT's names.
    mutating func albertLayer(_ p: String, _ arch: Architecture) throws -> BlockWeights {
        try postLNBlock(p, .albert, arch)
    }
}
