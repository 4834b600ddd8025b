import Foundation
import GlassboxModelIO
import GlassboxTensor

/// BERT (`BertModel`, `BertForMaskedLM`, `BertForPreTraining`, `BertForSequenceClassification`):
/// learned positions and token types, an embedding LayerNorm, post-LN blocks, `nn.Linear` weights
/// stored `[out, in]`. The head is the one `architectures` names (`head`: the other heads' weights are
/// ignored, as transformers ignores unexpected keys; the masked LM runs no pooler), else chosen by
/// the tensors present: the MLM head (`cls.predictions.*`), a classifier (`classifier.*`, on the
/// pooler), or none; both, with no `architectures` to choose, is refused (`TwoHeads`).
enum BertLoader: ArchitectureLoader {
    static let modelTypes = ["bert"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(BertConfig.self, from: configData, file: configFile)
        let prefix = checkpoint.contains("bert.embeddings.word_embeddings.weight") ? "bert." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        var arch = config.architecture(head: .none)
        let d = arch.dModel

        func linear(_ name: String, _ inputs: Int, _ outputs: Int, prefixed: Bool = true) throws -> Linear {
            try r.linearWithBias(name, inputs, outputs, prefixed: prefixed)
        }

        let embeddings = try r.bertEmbeddings(arch, width: d, positions: arch.contextLength)
        let wordEmbeddings = embeddings.token

        let blocks = try r.bertEncoderBlocks(arch)
        let masked = head.map { $0 == .maskedLanguageModel } ?? checkpoint.contains("cls.predictions.transform.dense.weight")
        let classifier = head.map { $0 == .sequenceClassification } ?? checkpoint.contains("classifier.weight")
        try TwoHeads.refuse(head: head, masked: masked, classifier: classifier, maskedWeights: "cls.predictions.*",
                            classifierWeights: "classifier.*", modelType: "bert", file: configFile)
        let pooler = r.resolve(["pooler.dense.weight"]) != nil && !(masked && head != nil)
            ? try linear("pooler.dense", d, d) : nil

        var transform: Linear?
        var transformNorm: Norm?
        var unembed: Linear?
        if masked {
            arch.head = .maskedLanguageModel
            let mlm = try r.maskedLanguageModelHead(
                MaskedLMHeadNames(transform: "cls.predictions.transform.dense", norm: "cls.predictions.transform.LayerNorm",
                                  decoderWeight: "cls.predictions.decoder.weight",
                                  decoderBiases: ["cls.predictions.bias", "cls.predictions.decoder.bias"]),
                norm: arch.norm, width: d, wordEmbeddings: wordEmbeddings)
            (transform, transformNorm, unembed) = (mlm.transform, mlm.norm, mlm.decoder)
        } else if classifier {
            guard pooler != nil else {
                throw LoadError.missingTensor(name: prefix + "pooler.dense.weight", directory: directory.path)
            }
            let labels = config.labels
            try r.checkClassRows(labels, outputWeight: "classifier.weight", configFile: configFile)
            unembed = try linear("classifier", d, labels.count, prefixed: false)
            arch.head = .sequenceClassification(labels: labels)
        }
        // Weights of the heads `architectures` did not ask for.
        let otherHeads = head == nil ? [] : [#"classifier\..*"#, #"cls\..*"#, #"(bert\.)?pooler\..*"#]
        try r.finish(ignorable: [#"(bert\.)?embeddings\.(position_ids|token_type_ids)"#, #"cls\.seq_relationship\..*"#] + otherHeads)

        let weights = TransformerWeights(
            embeddings: embeddings, blocks: blocks,
            head: HeadWeights(finalNorm: nil, pooler: pooler, transform: transform,
                              transformNorm: transformNorm, unembed: unembed))
        return (arch, weights)
    }
}
