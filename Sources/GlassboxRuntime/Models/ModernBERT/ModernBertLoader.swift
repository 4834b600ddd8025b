import Foundation
import GlassboxModelIO
import GlassboxTensor

/// ModernBERT (`ModernBertForMaskedLM`, bare `ModernBertModel`; transformers 4.53.3). Weights under
/// `model.` (the masked LM) or unprefixed (the bare model), `nn.Linear` `[out, in]`:
/// `embeddings.tok_embeddings`, `embeddings.norm`; per layer `attn_norm` (absent in layer 0, an
/// `nn.Identity`: held as a `.identity` norm with `γ` ones, not counted), `attn.Wqkv`
/// `[3·d, d]` (query rows, then key, then value: `qkv.view(bs, -1, 3, H, dh)`), `attn.Wo`, `mlp_norm`,
/// `mlp.Wi` `[2·dff, d]` (`input, gate = Wi(x).chunk(2)`; `act(input) * gate`: the runtime's gate
/// projection, the activated one, is the first half, its up projection the second), `mlp.Wo`;
/// `final_norm`. The masked LM adds `head.dense` (bias iff `classifier_bias`), `head.norm` and
/// `decoder` (`tok_embeddings` when tied, bias iff `decoder_bias`). LayerNorm biases iff `norm_bias`.
/// `ModernBertForSequenceClassification` (named by `architectures`, or without it by its
/// `classifier.*` weights): `head.dense` on `final_norm`'s row 0 (`classifier_pooling` `cls`) or on
/// the mean of its rows (`mean`, `ClassifierPooling.mean`), `classifier_activation`, `head.norm`
/// (held as the pooler, its activation and `poolerNorm`, so `pooler.hook_out` is `head`'s output),
/// then `classifier` (`d → num_labels`, always with a bias). `classifier_dropout` null or outside
/// `[0, 1]` is refused for the classifier (`nn.Dropout` raises). A checkpoint
/// with both `decoder.*` and `classifier.*` and no `architectures` is refused (`TwoHeads`).
enum ModernBertLoader: ArchitectureLoader {
    static let modelTypes = ["modernbert"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(ModernBertConfig.self, from: configData, file: configFile)
        // Both heads hold head.dense / head.norm: the masked LM is told by decoder.* (or head.dense
        // without classifier.*, a tied decoder without bias), the classifier by classifier.*.
        let hasClassifier = checkpoint.contains("classifier.weight")
        let hasDecoder = checkpoint.contains("decoder.weight") || checkpoint.contains("decoder.bias")
        let masked = head.map { $0 == .maskedLanguageModel }
            ?? (hasDecoder || (checkpoint.contains("head.dense.weight") && !hasClassifier))
        let classifier = head.map { $0 == .sequenceClassification } ?? hasClassifier
        try TwoHeads.refuse(head: head, masked: masked, classifier: classifier, maskedWeights: "decoder.*",
                            classifierWeights: "classifier.*", modelType: "modernbert", file: configFile)
        if classifier { try config.checkClassifier(file: configFile) }
        let named = head != nil                 // architectures names the class
        let prefix = checkpoint.contains("model.embeddings.tok_embeddings.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let arch = config.architecture(head: masked ? .maskedLanguageModel
                                             : classifier ? .sequenceClassification(labels: config.labels, pooling: config.pooling) : .none)
        let (d, dff, vocab) = (arch.dModel, arch.dFF, arch.vocabSize)

        func norm(_ name: String, prefixed: Bool = true) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d], prefixed: prefixed),
                 bias: config.normBias ? try r.tensor(name + ".bias", shape: [d], prefixed: prefixed) : nil)
        }
        /// Rows `block·width ..< (block+1)·width` of a fused `[out, in]` layer.
        func part(_ fused: Linear, _ block: Int, _ width: Int) -> Linear { fused.rowBlocks([block], width: width) }

        let tokens = try r.matrix("embeddings.tok_embeddings.weight", shape: [vocab, d])
        let embeddings = EmbeddingWeights(token: tokens, position: nil, tokenType: nil, norm: try norm("embeddings.norm"))
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let ln1 = l == 0 ? Norm(kind: .identity, weight: Tensor(shape: [d], repeating: 1), bias: nil)
                             : try norm(p + "attn_norm")
            let qkv = try r.outInLinear(p + "attn.Wqkv", d, 3 * d, bias: config.attentionBias)
            let attention = AttentionWeights(query: part(qkv, 0, d), key: part(qkv, 1, d), value: part(qkv, 2, d),
                                             output: try r.outInLinear(p + "attn.Wo", d, d, bias: config.attentionBias))
            let ln2 = try norm(p + "mlp_norm")
            let wi = try r.outInLinear(p + "mlp.Wi", d, 2 * dff, bias: config.mlpBias)
            let mlp = MLPWeights(input: part(wi, 0, dff), up: part(wi, 1, dff),
                                 output: try r.outInLinear(p + "mlp.Wo", dff, d, bias: config.mlpBias))
            blocks.append(BlockWeights(ln1: ln1, attention: attention, ln2: ln2, mlp: mlp))
        }
        let finalNorm = try norm("final_norm")

        var head = HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: nil)
        /// `ModernBertPredictionHead`: `dense` (bias iff `classifier_bias`) and `norm`.
        func predictionHead() throws -> (Linear, Norm) {
            (Linear(weight: try r.matrix("head.dense.weight", shape: [d, d], prefixed: false), layout: .outIn,
                    bias: config.classifierBias ? try r.tensor("head.dense.bias", shape: [d], prefixed: false) : nil),
             try norm("head.norm", prefixed: false))
        }
        if classifier {
            let (dense, headNorm) = try predictionHead()
            try r.checkClassRows(config.labels, outputWeight: "classifier.weight", configFile: configFile)
            let labels = config.labels.count
            let output = Linear(weight: try r.matrix("classifier.weight", shape: [labels, d], prefixed: false), layout: .outIn,
                                bias: try r.tensor("classifier.bias", shape: [labels], prefixed: false))
            head = HeadWeights(finalNorm: finalNorm, pooler: dense, transform: nil, transformNorm: nil, unembed: output)
            head.poolerActivation = .model(Activation(huggingFaceName: config.classifierActivation)!)
            head.poolerNorm = headNorm
        } else if masked {
            let (transform, headNorm) = try predictionHead()
            let decoderWeight = config.tieWordEmbeddings ? nil : try r.matrix("decoder.weight", shape: [vocab, d], prefixed: false)
            if config.tieWordEmbeddings { r.markUsed("decoder.weight") }
            let decoderBias = config.decoderBias ? try r.tensor("decoder.bias", shape: [vocab], prefixed: false) : nil
            head = HeadWeights(finalNorm: finalNorm, pooler: nil, transform: transform, transformNorm: headNorm,
                               unembed: Linear(weight: decoderWeight ?? tokens, layout: .outIn, bias: decoderBias))
            head.transformActivation = Activation(huggingFaceName: config.classifierActivation)!
        }
        // The other heads' weights when `architectures` names one (or the bare model).
        try r.finish(ignorable: masked ? (named ? [#"classifier\..*"#] : [])
                                : classifier ? (named ? [#"decoder\..*"#] : [])
                                : [#"head\..*"#, #"decoder\..*"#, #"classifier\..*"#])
        var weights = TransformerWeights(embeddings: embeddings, blocks: blocks, head: head)
        weights.parameterCountAdjustment = -d   // layer 0's identity attn_norm holds ones that are no parameter
        return (arch, weights)
    }
}
