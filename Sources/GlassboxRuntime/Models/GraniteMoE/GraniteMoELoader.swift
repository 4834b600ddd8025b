import Foundation
import GlassboxModelIO
import GlassboxTensor

/// GraniteMoE (`GraniteMoeForCausalLM`, bare `GraniteMoeModel`) and GraniteMoeShared: the Llama
/// block's names (`RotaryDecoderLoading`) with `self_attn.q_proj|k_proj|v_proj|o_proj` (`[out, in]`,
/// biases iff `attention_bias`) and per layer the parallel experts of `GraniteMoeParallelExperts`,
/// stacked rather than one `nn.Linear` each: `block_sparse_moe.router.layer.weight [E, d]`,
/// `block_sparse_moe.input_linear.weight [E, 2·dff, d]` (expert e's rows `0..<dff` the activated
/// half, `dff..<2·dff` the linear one: `GraniteMoeMoE.forward` chunks its output in two and applies
/// `hidden_act` to the first), `block_sparse_moe.output_linear.weight [E, d, dff]`; GraniteMoeShared
/// adds `shared_mlp.input_linear.weight [2·dffS, d]` (chunked alike) and `shared_mlp.output_linear.weight
/// [d, dffS]` when `shared_intermediate_size` > 0. Each expert's three maps are row views of the
/// stacked tensors (no copy). Granite's multipliers are folded as ``GraniteMultipliers`` says: the
/// embedding's scale, the score scale, `residual_multiplier` in `o_proj` and every expert's (and the
/// shared MLP's) output map, `1/logits_scaling` in the output layer (Float32 copies where ≠ 1).
enum GraniteMoELoader: ArchitectureLoader {
    static let modelTypes = ["granitemoe", "granitemoeshared"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GraniteMoEConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff, count) = (arch.dModel, arch.dFF, config.numLocalExperts)
        let (bias, residual) = (config.attentionBias, Float(config.multipliers.residual))
        let weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory,
                                                    outputScale: Float(1 / config.multipliers.logitsScaling),
                                                    embeddingScale: config.multipliers.embedding == 1 ? nil : Float(config.multipliers.embedding)) { r, p in
            func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool = false) throws -> Linear {
                try r.outInLinear(name, inputs, outputs, bias: bias)
            }
            let attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: bias, outputBias: bias,
                                                                 outputScale: residual)
            let m = p + "block_sparse_moe."
            // [E, 2·dff, d] and [E, d, dff], shapes checked before any view is taken.
            let inputs = try r.matrix(m + "input_linear.weight", shape: [count, 2 * dff, d]).reshaped(rows: count * 2 * dff)
            let outputs = try r.matrix(m + "output_linear.weight", shape: [count, d, dff]).reshaped(rows: count * d)
            let experts = (0..<count).map { e in
                chunked(inputs.rowBlock((e * 2 * dff)..<((e + 1) * 2 * dff)), output: outputs.rowBlock((e * d)..<((e + 1) * d)),
                        width: dff, residual: residual)
            }
            var mixture = MixtureWeights(router: try linear(m + "router.layer", d, count), experts: experts,
                                         topK: config.numExpertsPerTok)
            let shared = config.sharedIntermediateSize
            if shared > 0 {
                let s = p + "shared_mlp."
                mixture.shared = SharedExpertWeights(
                    mlp: chunked(try r.matrix(s + "input_linear.weight", shape: [2 * shared, d]),
                                 output: try r.matrix(s + "output_linear.weight", shape: [d, shared]), width: shared, residual: residual),
                    gate: nil)
            }
            return (attention, MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output, mixture: mixture))
        }
        return (arch, weights)
    }

    /// A gated MLP from a fused input map `[2·width, d]` (rows `0..<width` activated, then the
    /// linear half: `chunk(2, dim=-1)`) and its output map `[d, width]` times the residual multiplier.
    private static func chunked(_ input: WeightMatrix, output: WeightMatrix, width: Int, residual: Float) -> MLPWeights {
        MLPWeights(input: Linear(weight: input.rowBlock(0..<width), layout: .outIn, bias: nil),
                   up: Linear(weight: input.rowBlock(width..<(2 * width)), layout: .outIn, bias: nil),
                   output: Linear(weight: output, layout: .outIn, bias: nil).scaled(by: residual))
    }
}
