import GlassboxRuntime
import GlassboxTensor

/// Where one FFN memory lives (docs/methods.md §6.1): neuron `i` of a dense MLP, or, in a sparse
/// mixture of experts (Mixtral), neuron `i` of expert `e`, numbered expert-major `e·dff + i` as
/// the per-neuron relevance numbers them.
public struct MemoryNeuron: Sendable, Equatable, Hashable {
    /// The expert `e`, `nil` for a dense MLP.
    public let expert: Int?
    /// The neuron `i` inside its MLP, in `0..<dff`.
    public let index: Int

    /// A neuron from its expert (`nil` in a dense MLP) and its index inside that MLP.
    public init(expert: Int?, index: Int) { (self.expert, self.index) = (expert, index) }

    /// `"neuron i"`, or `"expert e, neuron i"` in a mixture.
    public var label: String { expert.map { "expert \($0), neuron \(index)" } ?? "neuron \(index)" }
}

extension FFNMemories {
    /// Memory neurons per layer: `dff`, or `E·dff` in a mixture of `E` experts.
    public static func neuronCount(_ model: TransformerModel) -> Int {
        model.architecture.dFF * (model.architecture.experts?.count ?? 1)
    }

    /// The neuron numbered `neuron` (expert-major in a mixture: `e·dff + i`); no range check.
    public static func locate(_ model: TransformerModel, neuron: Int) -> MemoryNeuron {
        let dff = model.architecture.dFF
        guard model.architecture.experts != nil, dff > 0 else { return MemoryNeuron(expert: nil, index: neuron) }
        return MemoryNeuron(expert: neuron / dff, index: neuron % dff)
    }

    /// The MLP holding `neuron` (a mixture: its expert's) and the neuron's index inside it.
    static func mlp(_ model: TransformerModel, layer: Int, neuron: Int) -> (mlp: MLPWeights, index: Int) {
        let block = model.weights.blocks[layer].mlp
        let place = locate(model, neuron: neuron)
        guard let e = place.expert, let mixture = block.mixture else { return (block, neuron) }
        return (mixture.experts[e], place.index)
    }

    /// `b_out [d]` of a layer's FFN, `nil` when it has none (a mixture's experts have none).
    static func outputBias(_ model: TransformerModel, layer: Int) -> [Float]? {
        let mlp = model.weights.blocks[layer].mlp
        return mlp.mixture == nil ? mlp.output.bias?.storage : nil
    }

    /// The values `v [neurons.count, d]` of some neurons of a layer, in that order.
    static func valueRows(_ model: TransformerModel, layer: Int, _ neurons: [Int]) -> Tensor {
        let block = model.weights.blocks[layer].mlp
        guard block.mixture != nil else { return WeightSlices.writerRows(block.output, neurons) }
        let d = model.architecture.dModel
        return Tensor(shape: [neurons.count, d], storage: neurons.flatMap { n in
            let (expert, i) = mlp(model, layer: layer, neuron: n)
            return WeightSlices.writerVector(expert.output, input: i)
        })
    }

    /// The hook points `coefficients` reads for a layer: `mlp.hook_post`, or in a mixture every
    /// expert's `mlp.experts.{e}.hook_post` and the routing (`hook_expert_indices`, `hook_routing_weights`).
    public static func coefficientPoints(_ model: TransformerModel, layer l: Int) -> [HookPoint] {
        guard let experts = model.architecture.experts else { return [.block(l, .mlpPost)] }
        return (0..<experts.count).map { HookPoint.block(l, .expert($0, .post)) }
            + [.block(l, .expertIndices), .block(l, .routingWeights)]
    }

    /// The memory coefficients `m [n, neuronCount]` of a layer from a cache holding
    /// `coefficientPoints` (docs/methods.md §6.1). Dense: `mlp.hook_post`. Mixture: expert `e`'s
    /// `hook_post` times its routing weight at each position (0 where `e` is not chosen), expert-major,
    /// so that `Σ_j m_j·v_j` over all experts' neurons is the block's `hook_mlp_out`.
    public static func coefficients(_ model: TransformerModel, cache: ActivationCache, layer l: Int) throws -> Tensor {
        let points = coefficientPoints(model, layer: l)
        for p in points where cache[p] == nil {
            throw AnalysisError.invalidOption("the coefficients of layer \(l) need \(p.name) in the cache")
        }
        guard let experts = model.architecture.experts else { return cache[.block(l, .mlpPost)]! }
        let indices = cache[.block(l, .expertIndices)]!, weights = cache[.block(l, .routingWeights)]!   // [n, k]
        let (n, k, dff) = (indices.shape[0], indices.shape[1], model.architecture.dFF)
        let width = experts.count * dff
        var share = [Float](repeating: 0, count: n * experts.count)                                      // [n, E]
        for t in 0..<n {
            for j in 0..<k {
                let e = Int(indices[t, j].rounded())
                if e >= 0, e < experts.count { share[t * experts.count + e] += weights[t, j] }
            }
        }
        var out = [Float](repeating: 0, count: n * width)
        for e in 0..<experts.count {
            let post = cache[.block(l, .expert(e, .post))]!                                              // [n, dff]
            for t in 0..<n where share[t * experts.count + e] != 0 {
                let w = share[t * experts.count + e]
                for i in 0..<dff { out[t * width + e * dff + i] = post.storage[t * dff + i] * w }
            }
        }
        return Tensor(shape: [n, width], storage: out)
    }
}
