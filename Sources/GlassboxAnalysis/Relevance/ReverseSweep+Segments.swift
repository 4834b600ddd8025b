import GlassboxRuntime
import GlassboxTensor

extension ReverseSweep {
    /// A packed sweep's seeds (docs/methods.md §12, "packed sweeps"): target `t`, read at logit row
    /// `t` of the packed cache's output layer, is seeded at the last row of segment `t`; all go
    /// through the output layer in one product. Language-model heads only.
    ///
    /// - Parameters:
    ///   - positions: each target's position in the shared pass (its segment's last position).
    ///   - logits: `[T, V]`, row `t` the logits of target `t`.
    /// - Returns: the gradient at the last block's output `[n, d]` and the targets as explained.
    func segmentSeeds(_ targets: [RelevanceTarget], positions: [Int], logits: Tensor) throws -> (Tensor, [ExplainedTarget]) {
        precondition(targets.count == segments.count && positions.count == segments.count, "one target per segment")
        guard architecture.head == .languageModel, let unembed = weights.head.unembed else {
            throw AnalysisError.invalidOption("\(architecture.modelType): packed sweeps need a language-model head")
        }
        var seeds: [[Float]] = [], explained: [ExplainedTarget] = []
        for (t, target) in targets.enumerated() {
            let (seed, e) = try Self.seed(target.objective, logits: logits.row(t).storage, position: positions[t])
            seeds.append(seed)
            explained.append(e)
        }
        let g = try unembedBackward(unembed, seeds: seeds)                          // [T, d]
        let d = g.dim(-1)
        var gHidden = Tensor.zeros([n, d])
        gHidden.withUnsafeMutableBufferPointer { out in
            g.withUnsafeBufferPointer { rows in
                for (t, segment) in segments.enumerated() {
                    (out.baseAddress! + (segment.upperBound - 1) * d).update(from: rows.baseAddress! + t * d, count: d)
                }
            }
        }
        return (try finalNormBackward(gHidden), explained)
    }

    /// Layer `l`'s activations for a packed sweep: the shared pass's (or, checkpointing, recomputed
    /// from its `hook_resid_pre` over the whole length), with every segment's prefix rows end to end.
    func packedLayer(_ l: Int, from source: ActivationCache) throws -> ActivationCache {
        var layer = source
        var positions = source.inputIDs.count
        if let recompute {
            guard let input = source[.block(l, .residPre)] else {
                throw AnalysisError.invalidOption("relevance: hook blocks.\(l).hook_resid_pre was not captured by the forward pass")
            }
            layer = try model.forwardBlock(input, layer: l, capture: recompute.capture, attention: recompute.attention)
            positions = input.shape[0]
        }
        let inLayer: (HookPoint) -> Bool = { if case .block(l, _) = $0 { true } else { false } }
        guard let packed = layer.packedPrefixes(segments.map(\.count), positions: positions, logitRows: nil,
                                                including: inLayer) else {
            throw AnalysisError.invalidOption("relevance: block \(l)'s activations are not position-major and cannot be packed")
        }
        return packed
    }

    /// `[m_i, …]` tensors stacked along the first axis → `[Σ m_i, …]`.
    static func stacked(_ parts: [Tensor]) -> Tensor {
        var shape = parts[0].shape
        shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
        return Tensor(shape: shape, storage: parts.flatMap(\.storage))
    }
}
