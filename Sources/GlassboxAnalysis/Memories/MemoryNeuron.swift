import GlassboxRuntime
import GlassboxTensor

/// Where one FFN memory lives (docs/methods.md §6.1): neuron `i` of a dense MLP, or, in a sparse
/// mixture of experts (Mixtral, Qwen MoE), neuron `i` of expert `e`, numbered expert-major `e·dff + i`
/// as the per-neuron relevance numbers them; Qwen2-MoE's shared expert comes after the `E` routed
/// experts (`E·dff + i`).
public struct MemoryNeuron: Sendable, Equatable, Hashable {
    /// The expert `e`, `nil` for a dense MLP and for the shared expert.
    public let expert: Int?
    /// The neuron `i` inside its MLP, in `0..<dff`.
    public let index: Int
    /// Whether the neuron is the shared expert's (Qwen2-MoE).
    public let shared: Bool

    /// A neuron from its expert (`nil` in a dense MLP or the shared expert) and its index inside that MLP.
    public init(expert: Int?, index: Int, shared: Bool = false) { (self.expert, self.index, self.shared) = (expert, index, shared) }

    /// `"neuron i"`, `"expert e, neuron i"` in a mixture, `"shared expert, neuron i"`.
    public var label: String {
        shared ? "shared expert, neuron \(index)" : expert.map { "expert \($0), neuron \(index)" } ?? "neuron \(index)"
    }
}

extension FFNMemories {
    /// The MLPs whose neurons are layer `l`'s memories, in numbering order: a dense layer's MLP, or a
    /// mixture's `E` experts and then its shared expert (Qwen2-MoE), each with its place.
    static func memoryMLPs(_ model: TransformerModel, layer l: Int) -> [(mlp: MLPWeights, expert: Int?, shared: Bool)] {
        let block = model.weights.blocks[l].mlp
        guard let mixture = block.mixture else { return [(block, nil, false)] }
        return mixture.experts.enumerated().map { ($1, $0, false) } + (mixture.shared.map { [($0.mlp, nil, true)] } ?? [])
    }

    /// Memory neurons of layer `l`: its MLP's `dff`, or `E·dff` in a mixture of `E` experts (plus the
    /// shared expert's width, Qwen2-MoE).
    public static func neuronCount(_ model: TransformerModel, layer l: Int) -> Int {
        memoryMLPs(model, layer: l).reduce(0) { $0 + $1.mlp.output.inFeatures }
    }

    /// Memory neurons per layer: `dff`, or `E·dff` in a mixture of `E` experts; the largest layer's
    /// count where layers differ (Qwen MoE's dense layers, its shared expert).
    public static func neuronCount(_ model: TransformerModel) -> Int {
        (0..<model.architecture.layers).map { neuronCount(model, layer: $0) }.max() ?? 0
    }

    /// The neuron numbered `neuron` (expert-major in a mixture: `e·dff + i`) in a model whose layers
    /// are all alike (layer 0's layout); no range check.
    public static func locate(_ model: TransformerModel, neuron: Int) -> MemoryNeuron {
        locate(model, layer: 0, neuron: neuron)
    }

    /// The neuron numbered `neuron` of layer `l` (expert-major in a mixture, then the shared expert);
    /// past the end, in the last MLP's numbering (no range check).
    public static func locate(_ model: TransformerModel, layer l: Int, neuron: Int) -> MemoryNeuron {
        let mlps = memoryMLPs(model, layer: l)
        guard mlps.count > 1 || mlps.first?.expert != nil else { return MemoryNeuron(expert: nil, index: neuron) }
        var rest = neuron
        for (i, entry) in mlps.enumerated() {
            let width = entry.mlp.output.inFeatures
            if rest < width || i == mlps.count - 1 || width == 0 {
                return MemoryNeuron(expert: entry.expert, index: rest, shared: entry.shared)
            }
            rest -= width
        }
        return MemoryNeuron(expert: nil, index: neuron)
    }

    /// The MLP holding `neuron` (a mixture: its expert's) and the neuron's index inside it.
    static func mlp(_ model: TransformerModel, layer: Int, neuron: Int) -> (mlp: MLPWeights, index: Int) {
        let block = model.weights.blocks[layer].mlp
        let place = locate(model, layer: layer, neuron: neuron)
        guard let mixture = block.mixture else { return (block, neuron) }
        if place.shared, let shared = mixture.shared { return (shared.mlp, place.index) }
        return (mixture.experts[place.expert ?? 0], place.index)
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
    /// expert's `mlp.experts.{e}.hook_post` and the routing (`hook_expert_indices`, `hook_routing_weights`),
    /// and Qwen2-MoE's `mlp.shared_expert.hook_post` and `mlp.hook_shared_expert_gate`.
    public static func coefficientPoints(_ model: TransformerModel, layer l: Int) -> [HookPoint] {
        guard let mixture = model.weights.blocks[l].mlp.mixture else { return [.block(l, .mlpPost)] }
        return mixture.experts.indices.map { HookPoint.block(l, .expert($0, .post)) }
            + [.block(l, .expertIndices), .block(l, .routingWeights)]
            + (mixture.shared.map { [.block(l, .sharedExpert(.post))] + ($0.gate == nil ? [] : [.block(l, .sharedExpertGate)]) } ?? [])
    }

    /// The memory coefficients `m [n, neuronCount(layer)]` of a layer from a cache holding
    /// `coefficientPoints` (docs/methods.md §6.1). Dense: `mlp.hook_post`. Mixture: expert `e`'s
    /// `hook_post` times its routing weight at each position (0 where `e` is not chosen), expert-major,
    /// then the shared expert's `hook_post` times `σ(hook_shared_expert_gate)` (times 1 without a gate), so that `Σ_j m_j·v_j`
    /// over all the layer's neurons is the block's `hook_mlp_out`.
    public static func coefficients(_ model: TransformerModel, cache: ActivationCache, layer l: Int) throws -> Tensor {
        let points = coefficientPoints(model, layer: l)
        for p in points where cache[p] == nil {
            throw AnalysisError.invalidOption("the coefficients of layer \(l) need \(p.name) in the cache")
        }
        guard let mixture = model.weights.blocks[l].mlp.mixture else { return cache[.block(l, .mlpPost)]! }
        let experts = mixture.experts
        let indices = cache[.block(l, .expertIndices)]!, weights = cache[.block(l, .routingWeights)]!   // [n, k]
        let (n, k) = (indices.shape[0], indices.shape[1])
        let width = neuronCount(model, layer: l)
        var share = [Float](repeating: 0, count: n * experts.count)                                      // [n, E]
        for t in 0..<n {
            for j in 0..<k {
                let e = Int(indices[t, j].rounded())
                if e >= 0, e < experts.count { share[t * experts.count + e] += weights[t, j] }
            }
        }
        var out = [Float](repeating: 0, count: n * width)
        var offset = 0
        for e in experts.indices {
            let post = cache[.block(l, .expert(e, .post))]!                                              // [n, dff]
            let dff = post.shape[1]
            for t in 0..<n where share[t * experts.count + e] != 0 {
                let w = share[t * experts.count + e]
                for i in 0..<dff { out[t * width + offset + i] = post.storage[t * dff + i] * w }
            }
            offset += dff
        }
        if let shared = mixture.shared {
            let post = cache[.block(l, .sharedExpert(.post))]!                                           // [n, dffS]
            var gate = Tensor(shape: [n, 1], repeating: 1)                                              // [n, 1]; 1 without a gate
            if shared.gate != nil { gate = cache[.block(l, .sharedExpertGate)]!; sigmoidActivation(&gate) }
            let dff = post.shape[1]
            for t in 0..<n { for i in 0..<dff { out[t * width + offset + i] = post.storage[t * dff + i] * gate.storage[t] } }
        }
        return Tensor(shape: [n, width], storage: out)
    }
}
