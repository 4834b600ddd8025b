import Foundation
import GlassboxModelIO
import GlassboxTensor

/// ViT (`ViTForImageClassification`, `ViTModel`): a stride-P patch convolution, a `[CLS]` token
/// and learned positions, pre-LN blocks, a final LayerNorm, then the classifier on `[CLS]`
/// (or, for `ViTModel`, the tanh pooler). Positions are `[CLS]` then patches in row-major order.
/// The head is the one `architectures` names (`head`), else the classifier when `classifier.*` is
/// stored; the classifier runs no pooler (a stored one is ignored, as transformers ignores it),
/// nor does a bare model keep a stored classifier.
enum ViTLoader: ArchitectureLoader {
    static let modelTypes = ["vit"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(ViTConfig.self, from: configData, file: configFile)
        var arch = config.architecture(head: .none)
        let geometry = arch.image!
        let prefix = checkpoint.contains("vit.embeddings.cls_token") ? "vit." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff) = (arch.dModel, arch.dFF)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                 bias: try r.tensor(name + ".bias", shape: [d]))
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool = true, prefixed: Bool = true) throws -> Linear {
            Linear(weight: try r.matrix(name + ".weight", shape: [outputs, inputs], prefixed: prefixed), layout: .outIn,
                   bias: bias ? try r.tensor(name + ".bias", shape: [outputs], prefixed: prefixed) : nil)
        }

        let patchInputs = geometry.channels * geometry.patchSize * geometry.patchSize
        // Conv2d weight [d, C, P, P] read as the matrix [d, C·P·P].
        let convolution = try r.tensor("embeddings.patch_embeddings.projection.weight",
                                       shape: [d, geometry.channels, geometry.patchSize, geometry.patchSize])
        let patch = Linear(weight: convolution.reshaped([d, patchInputs]), layout: .outIn,
                           bias: try r.tensor("embeddings.patch_embeddings.projection.bias", shape: [d]))
        let classToken = try r.tensor("embeddings.cls_token", shape: [1, 1, d]).reshaped([d])
        let positions = try r.tensor("embeddings.position_embeddings", shape: [1, arch.contextLength, d])
            .reshaped([arch.contextLength, d])

        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "encoder.layer.\(l)."
            blocks.append(BlockWeights(
                ln1: try norm(p + "layernorm_before"),
                attention: AttentionWeights(
                    query: try linear(p + "attention.attention.query", d, d, bias: config.qkvBias),
                    key: try linear(p + "attention.attention.key", d, d, bias: config.qkvBias),
                    value: try linear(p + "attention.attention.value", d, d, bias: config.qkvBias),
                    output: try linear(p + "attention.output.dense", d, d)),
                ln2: try norm(p + "layernorm_after"),
                mlp: MLPWeights(input: try linear(p + "intermediate.dense", d, dff), up: nil,
                                output: try linear(p + "output.dense", dff, d))))
        }
        let finalNorm = try norm("layernorm")
        let classifier = head.map { $0 == .sequenceClassification } ?? checkpoint.contains("classifier.weight")
        // ViTModel builds its pooler (reading pooler_act) whether or not the checkpoint stores it.
        if !classifier { try config.checkPooler(file: configFile) }
        let pooler = r.resolve(["pooler.dense.weight"]) != nil && !classifier ? try linear("pooler.dense", d, d) : nil
        var unembed: Linear?
        if classifier {
            let labels = config.labels
            try r.checkClassRows(labels, outputWeight: "classifier.weight", configFile: configFile)
            unembed = try linear("classifier", d, labels.count, prefixed: false)
            arch.head = .sequenceClassification(labels: labels)
        }
        try r.finish(ignorable: classifier ? [#"(vit\.)?pooler\..*"#] : head == nil ? [] : [#"classifier\..*"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: Tensor.zeros([0, d]), position: positions, tokenType: nil, norm: nil,
                                         patch: patch, classToken: classToken),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: pooler, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
