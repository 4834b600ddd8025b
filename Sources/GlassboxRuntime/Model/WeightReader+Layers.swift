import GlassboxTensor

extension WeightReader {
    /// A norm of width `d` stored as `name.weight` / `name.bias` (old TF-converted BERT checkpoints:
    /// `name.gamma` / `name.beta`).
    mutating func layerNorm(_ name: String, kind: NormKind, width d: Int, prefixed: Bool = true) throws -> Norm {
        Norm(kind: kind,
             weight: try tensor(name + ".weight", name + ".gamma", shape: [d], prefixed: prefixed),
             bias: try tensor(name + ".bias", name + ".beta", shape: [d], prefixed: prefixed))
    }

    /// An `nn.Linear` `inputs → outputs` with bias: weight `[outputs, inputs]`, bias `[outputs]`.
    mutating func linearWithBias(_ name: String, _ inputs: Int, _ outputs: Int, prefixed: Bool = true) throws -> Linear {
        Linear(weight: try matrix(name + ".weight", shape: [outputs, inputs], prefixed: prefixed),
               layout: .outIn, bias: try tensor(name + ".bias", shape: [outputs], prefixed: prefixed))
    }

    /// BERT's embedding tables under `embeddings.`: `word_embeddings [V, e]`, `position_embeddings
    /// [positions, e]`, `token_type_embeddings [T, e]` when `arch.tokenTypes > 0`, and the LayerNorm
    /// over their sum; `e` is `d` but in ELECTRA (`embedding_size`). Shared by BERT, RoBERTa and ELECTRA.
    mutating func bertEmbeddings(_ arch: Architecture, width e: Int, positions: Int) throws -> EmbeddingWeights {
        EmbeddingWeights(
            token: try matrix("embeddings.word_embeddings.weight", shape: [arch.vocabSize, e]),
            position: try tensor("embeddings.position_embeddings.weight", shape: [positions, e]),
            tokenType: arch.tokenTypes > 0
                ? try tensor("embeddings.token_type_embeddings.weight", shape: [arch.tokenTypes, e]) : nil,
            // Old TF-converted checkpoints name LayerNorm parameters gamma/beta (layerNorm).
            norm: try layerNorm("embeddings.LayerNorm", kind: arch.norm, width: e))
    }

    /// BERT's encoder blocks (`encoder.layer.l.attention.self.query` …, post-LN), shared by BERT and
    /// RoBERTa, whose checkpoints use the same names below their prefix.
    mutating func bertEncoderBlocks(_ arch: Architecture) throws -> [BlockWeights] {
        try (0..<arch.layers).map { l in try postLNBlock("encoder.layer.\(l).", .bert, arch) }
    }

    /// One BERT-style post-LN block under `p`: q, k, v and the attention output with biases, the
    /// attention LayerNorm, the MLP's two linears with biases and the output LayerNorm, by `names`.
    mutating func postLNBlock(_ p: String, _ names: PostLNBlockNames, _ arch: Architecture) throws -> BlockWeights {
        let (d, dff) = (arch.dModel, arch.dFF)
        return BlockWeights(
            ln1: try layerNorm(p + names.attentionNorm, kind: arch.norm, width: d),
            attention: AttentionWeights(
                query: try linearWithBias(p + names.query, d, d),
                key: try linearWithBias(p + names.key, d, d),
                value: try linearWithBias(p + names.value, d, d),
                output: try linearWithBias(p + names.attentionOutput, d, d)),
            ln2: try layerNorm(p + names.outputNorm, kind: arch.norm, width: d),
            mlp: MLPWeights(input: try linearWithBias(p + names.intermediate, d, dff), up: nil,
                            output: try linearWithBias(p + names.output, dff, d)))
    }
}

/// The tensor names of a BERT-style post-LN block below its prefix.
struct PostLNBlockNames {
    let query: String, key: String, value: String, attentionOutput: String, attentionNorm: String
    let intermediate: String, output: String, outputNorm: String

    /// BERT's and RoBERTa's (`encoder.layer.l.…`).
    static let bert = PostLNBlockNames(query: "attention.self.query", key: "attention.self.key",
                                       value: "attention.self.value", attentionOutput: "attention.output.dense",
                                       attentionNorm: "attention.output.LayerNorm", intermediate: "intermediate.dense",
                                       output: "output.dense", outputNorm: "output.LayerNorm")
    /// ALBERT's `AlbertLayer` (`…albert_layers.j.…`).
    static let albert = PostLNBlockNames(query: "attention.query", key: "attention.key", value: "attention.value",
                                         attentionOutput: "attention.dense", attentionNorm: "attention.LayerNorm",
                                         intermediate: "ffn", output: "ffn_output", outputNorm: "full_layer_layer_norm")
}
