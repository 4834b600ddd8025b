import Foundation
import GlassboxModelIO
import GlassboxTensor

/// OPT (`OPTForCausalLM`, names under `model.decoder.`; bare `OPTModel`, under `decoder.`):
/// `embed_tokens [V, dw]`, `embed_positions [max_position_embeddings + 2, d]`, per layer
/// `self_attn.{q,k,v,out}_proj`, `fc1`, `fc2` (`nn.Linear [out, in]`, biases iff `enable_bias`),
/// `self_attn_layer_norm` and `final_layer_norm`, then the decoder's `final_layer_norm` (pre-norm
/// only), `project_in [d, dw]` / `project_out [dw, d]` when `dw = word_embed_proj_dim ≠ d`, and
/// an unprefixed `lm_head [V, dw]` without bias (tied to `embed_tokens` by default).
///
/// Loaded into the runtime's shapes:
/// - positions: `OPTLearnedPositionalEmbedding` reads row `i + 2` for token `i` (no padding), so
///   the table is held from row 2 on, `[max_position_embeddings, d]`;
/// - `project_in` is folded into the token table, `E·P_inᵀ [V, d]`: `hook_embed` is
///   `project_in(embed_tokens(ids))`, what `OPTDecoder.forward` adds the positions to;
/// - `project_out` is folded into the output layer, `W_U·P_out [V, d]`: the logits
///   `lm_head(project_out(h))` = `h·(W_U·P_out)ᵀ`, and every lens or logit attribution through the
///   output layer goes through `project_out` as transformers does;
/// `parameterCountAdjustment` keeps `num_parameters()`'s count of the checkpoint.
enum OPTLoader: ArchitectureLoader {
    static let modelTypes = ["opt"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(OPTConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("decoder.embed_tokens.weight") ? "decoder." : "model.decoder."
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dw, dff, vocab) = (arch.dModel, config.wordEmbedProjDim, arch.dFF, arch.vocabSize)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                        bias: try r.tensor(name + ".bias", shape: [d]))
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            try r.outInLinear(name, inputs, outputs, bias: config.enableBias)
        }

        let tokenTable = try r.matrix("embed_tokens.weight", shape: [vocab, dw])              // [V, dw]
        let positions = try r.tensor("embed_positions.weight", shape: [arch.contextLength + 2, d])
            .rows(2..<(arch.contextLength + 2))                                                // [P, d]
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let ln1 = try norm(p + "self_attn_layer_norm")
            blocks.append(BlockWeights(
                ln1: ln1,
                attention: try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.enableBias,
                                                                outputBias: config.enableBias, output: "out_proj"),
                ln2: try norm(p + "final_layer_norm"),
                mlp: MLPWeights(input: try linear(p + "fc1", d, dff), up: nil, output: try linear(p + "fc2", dff, d))))
        }
        let finalNorm = config.doLayerNormBefore ? try norm("final_layer_norm") : nil
        let lmHead = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: tokenTable)  // [V, dw]

        var token = tokenTable, unembed = lmHead, unembedFactors: [Linear]? = nil
        if config.projects {
            let projectIn = try r.outInLinear("project_in", dw, d, bias: false)                // [d, dw]
            let projectOut = try r.outInLinear("project_out", d, dw, bias: false)              // [dw, d]
            token = WeightMatrix(projectIn(tokenTable.float32()))                               // E·P_inᵀ [V, d]
            unembed = Linear(weight: matmul(lmHead.weight.float32Replacing(), projectOut.weight.float32Replacing()),
                             layout: .outIn, bias: nil)                                        // W_U·P_out [V, d]
            unembedFactors = [projectOut, lmHead]
        }
        try r.finish(ignorable: [])

        var head = HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed)
        head.unembedFactors = unembedFactors
        var weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: token, position: positions, tokenType: nil, norm: nil),
            blocks: blocks, head: head)
        weights.parameterCountAdjustment = parameterCountAdjustment(config)
        return (arch, weights)
    }

    /// `num_parameters()` of the checkpoint minus the count of the tensors held: the 2 position
    /// rows dropped and, with projections, the checkpoint's
    /// `[V, dw]` table, `project_in`, `project_out` and an untied `[V, dw]` head in place of the two
    /// folded `[V, d]` tables.
    static func parameterCountAdjustment(_ config: OPTConfig) -> Int {
        let (v, d, dw) = (config.vocabSize, config.hiddenSize, config.wordEmbedProjDim)
        var adjustment = 2 * d
        if config.projects {
            adjustment += (v * dw + dw * d - v * d) + (dw * d + (config.tieWordEmbeddings ? 0 : v * dw) - v * d)
        }
        return adjustment
    }
}
