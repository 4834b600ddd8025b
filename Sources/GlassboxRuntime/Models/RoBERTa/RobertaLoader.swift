import Foundation
import GlassboxModelIO
import GlassboxTensor

/// RoBERTa (`RobertaModel`, `RobertaForMaskedLM`, `RobertaForSequenceClassification`), and XLM-RoBERTa
/// and CamemBERT (`model_type` `xlm-roberta`, `camembert`: the same modules, weight names and heads
/// under the `XLMRoberta…` / `Camembert…` class names; their SentencePiece tokenizers differ): BERT's
/// encoder (same tensor names under `roberta.`), positions counted from `pad_token_id + 1`
/// (docs/methods.md §0.6), usually one token type. The head is the one `architectures` names (`head`;
/// the other heads' weights are ignored, as transformers ignores unexpected keys), else chosen by
/// the tensors present:
/// - `lm_head.*`: dense, GELU (always, whatever `hidden_act`), LayerNorm, decoder tied to the word
///   embeddings plus `lm_head.bias`;
/// - `classifier.dense` / `classifier.out_proj`: dense on the `<s>` row, tanh, out_proj — held as a
///   pooler and the output layer, so `pooler.hook_out` is the classifier's tanh;
/// - neither: the bare encoder, with `pooler.dense` when the checkpoint has it.
enum RobertaLoader: ArchitectureLoader {
    static let modelTypes = RobertaConfig.modelTypes

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(RobertaConfig.self, from: configData, file: configFile)
        let prefix = checkpoint.contains("roberta.embeddings.word_embeddings.weight") ? "roberta." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        var arch = config.architecture(head: .none)
        let d = arch.dModel

        func linear(_ name: String, _ inputs: Int, _ outputs: Int, prefixed: Bool = true) throws -> Linear {
            try r.linearWithBias(name, inputs, outputs, prefixed: prefixed)
        }

        var embeddings = try r.bertEmbeddings(arch, width: d, positions: config.bert.maxPositionEmbeddings)
        let wordEmbeddings = embeddings.token
        embeddings.paddingIndex = config.padTokenID

        let blocks = try r.bertEncoderBlocks(arch)               // BERT's names under roberta.
        var pooler = r.resolve(["pooler.dense.weight"]) != nil ? try linear("pooler.dense", d, d) : nil

        var transform: Linear?
        var transformNorm: Norm?
        var unembed: Linear?
        let masked = head.map { $0 == .maskedLanguageModel } ?? checkpoint.contains("lm_head.dense.weight")
        let classifier = head.map { $0 == .sequenceClassification } ?? checkpoint.contains("classifier.out_proj.weight")
        try TwoHeads.refuse(head: head, masked: masked, classifier: classifier, maskedWeights: "lm_head.*",
                            classifierWeights: "classifier.*", modelType: config.modelType, file: configFile)
        if masked {
            arch.head = .maskedLanguageModel
            pooler = nil                        // RobertaForMaskedLM runs no pooler
            let mlm = try r.maskedLanguageModelHead(
                MaskedLMHeadNames(transform: "lm_head.dense", norm: "lm_head.layer_norm", decoderWeight: "lm_head.decoder.weight",
                                  decoderBiases: ["lm_head.bias", "lm_head.decoder.bias"]),
                norm: arch.norm, width: d, wordEmbeddings: wordEmbeddings)
            (transform, transformNorm, unembed) = (mlm.transform, mlm.norm, mlm.decoder)
        } else if classifier {
            let labels = config.bert.labels
            try r.checkClassRows(labels, outputWeight: "classifier.out_proj.weight", configFile: configFile)
            pooler = try linear("classifier.dense", d, d, prefixed: false)
            unembed = try linear("classifier.out_proj", d, labels.count, prefixed: false)
            arch.head = .sequenceClassification(labels: labels)
        }
        // Weights of the heads `architectures` did not ask for.
        let otherHeads = head == nil ? [] : [#"classifier\..*"#, #"lm_head\..*"#]
        try r.finish(ignorable: [#"(roberta\.)?embeddings\.(position_ids|token_type_ids)"#, #"(roberta\.)?pooler\..*"#] + otherHeads)

        var head = HeadWeights(finalNorm: nil, pooler: pooler, transform: transform,
                               transformNorm: transformNorm, unembed: unembed)
        head.transformActivation = .gelu
        return (arch, TransformerWeights(embeddings: embeddings, blocks: blocks, head: head))
    }
}
