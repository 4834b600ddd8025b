import GlassboxRuntime
import GlassboxTensor

extension AtMan {
    /// The simple AtMan pass: one plain `forward` with an `attn.hook_attn_scores` intervention that
    /// applies the edit to each edited layer's `[H, n, n]` scores. No batching, no reuse — the
    /// straightforward implementation the batched engine is checked against.
    enum HookPath {
        /// - Returns: logits `[logitRows.count, V]` (`[1, labels]` for classifiers).
        static func forward(_ model: TransformerModel, _ input: ModelInput, edit: AttentionScoreEdit,
                            logitRows: [Int]) throws -> Tensor {
            let arch = model.architecture
            let edited = Set(edit.layers ?? Array(0..<arch.layers))
            var interventions = Interventions()
            // `.rowMinimum` needs each row before masking: rebuild it from this layer's q and k as the
            // scores use them (rotated in rotary models; soft-capped where the model caps), observed
            // (unchanged) just before the scores fire in the same call.
            let observed = Collector([HookPoint: Tensor]())
            let (queries, keys) = (arch.scoredQuery, arch.scoredKey)
            if edit.shift == .rowMinimum {
                interventions.add(.matching { point in
                    switch point {
                    case .block(let l, let site) where site == queries || site == keys: edited.contains(l)
                    default: false
                    }
                }) { point, tensor in
                    observed.update { $0[point] = tensor }
                    return tensor
                }
            }
            interventions.add(.matching { point in
                if case .block(let l, .attnScores) = point { edited.contains(l) } else { false }
            }) { point, scores in
                let l = point.layer!
                var edited = scores
                var raw = edit.shift == .rowMinimum
                    ? rawScores(q: arch.scored(observed.value[.block(l, queries)]!), k: arch.scored(observed.value[.block(l, keys)]!),
                                scale: arch.attentionScale(layer: l))
                    : nil
                if let slopes = arch.alibiSlopes, raw != nil { addALiBi(&raw!, slopes: slopes, origin: arch.alibiOrigin) }   // as hook_attn_scores holds them
                if let cap = arch.attentionSoftCap, raw != nil { softCap(&raw!, cap) }
                edit.apply(to: &edited, layer: l, rawScores: raw)
                return edited
            }
            return try model.forward(input, interventions: interventions, logitRows: .positions(logitRows)).logits!
        }

        /// `[H, n, n]`: `scale · q_h · k_gᵀ` with `g = h ÷ (H/Hkv)`, unmasked.
        ///
        /// - Parameters:
        ///   - q: `[n, H, dh]`; k: `[n, Hkv, dh]`.
        static func rawScores(q: Tensor, k: Tensor, scale: Float) -> Tensor {
            let (n, heads, dh) = (q.shape[0], q.shape[1], q.shape[2])
            let kvHeads = k.shape[1]
            let group = heads / kvHeads
            return Tensor(shape: [heads, n, n]) { out in
                q.withUnsafeBufferPointer { qp in
                    k.withUnsafeBufferPointer { kp in
                        for h in 0..<heads {
                            gemm(m: n, n: n, k: dh, a: qp.baseAddress! + h * dh, lda: heads * dh,
                                 b: kp.baseAddress! + (h / group) * dh, ldb: kvHeads * dh, transposeB: true,
                                 c: out.baseAddress! + h * n * n, ldc: n, alpha: scale)
                        }
                    }
                }
            }
        }
    }
}
