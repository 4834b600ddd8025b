import GlassboxRuntime
import GlassboxTensor

/// Options of Chefer et al.'s two gradient-weighted attention methods.
public struct CheferOptions: Sendable, Equatable {
    /// First layer multiplied in; nil = the reference's defaults: the last layer for text encoders
    /// (`BERT ExplanationGenerator.generate_LRP`, `start_layer=11` of bert-base's 12), 0 otherwise
    /// (ViT, and causal LMs, which the reference does not cover). Transformer attribution only.
    public var startLayer: Int?
    /// Row-normalise `Ā + I` before multiplying; nil = the reference's defaults: on for text
    /// encoders (the BERT `ExplanationGenerator.compute_rollout_attention` divides each row by its
    /// sum), off otherwise (`ViT_LRP.compute_rollout_attention` has the division commented out;
    /// causal LMs, which the reference does not cover, follow ViT).
    public var normalizeRows: Bool?

    /// Options from their fields, as listed above; `startLayer` is checked when the method runs.
    public init(startLayer: Int? = nil, normalizeRows: Bool? = nil) {
        (self.startLayer, self.normalizeRows) = (startLayer, normalizeRows)
    }
}

/// Chefer et al., *Transformer Interpretability Beyond Attention Visualization* (CVPR 2021), the
/// "transformer attribution" (`ViT_LRP.relprop(method="transformer_attribution")`): per layer
/// `Ā_l = E_h[(∇A_l ⊙ R_A^l)⁺]` (Eq. 13; `∇A` the true gradient of the target at the attention
/// probabilities, `R_A` their LRP relevance under Chefer's rules, one-hot seed), then
/// `C = (Ā_L + I)⋯(Ā_s + I)` (Eq. 14) and the explained position's row of `C`.
///
/// Two sweeps over one forward pass: the plain gradient (keeping every head's `∇A`, `L·H·n²`
/// floats) and Chefer's LRP (`CheferSweep`). Returns scores over all `n` positions (vision:
/// `[CLS]` first, the reference reads `[1:]`; text encoders: the `[CLS]` entry set to the row's
/// minimum, as the BERT code's `rollout[:, 0, 0] = rollout[:, 0].min()`).
public enum TransformerAttribution {
    /// Chefer et al.'s transformer attribution (CVPR 2021, Eqs. 13–14) of `target`: one forward
    /// pass, the plain-gradient sweep and Chefer's LRP sweep, then the rollout of
    /// `Ā_l = E_h[(∇A_l ⊙ R_A^l)⁺]` from `startLayer` up.
    ///
    /// - Returns: scores `[n]` over every position, the explained position's row of the rollout
    ///   (`method` `chefer`; vision models also fill `patchGrid`).
    /// - Throws: `AnalysisError.layerOutOfRange` for a bad `startLayer`; target and input errors as
    ///   for `Relevance.explain`.
    public static func explain(_ model: TransformerModel, _ input: ModelInput, target: RelevanceTarget = .top(),
                               options: CheferOptions = CheferOptions()) throws -> TokenScores {
        let arch = model.architecture
        let textEncoder = arch.mask == .bidirectional && arch.image == nil
        let start = options.startLayer ?? (textEncoder ? arch.layers - 1 : 0)
        let normalizeRows = options.normalizeRows ?? textEncoder
        guard start >= 0, start < arch.layers else { throw AnalysisError.layerOutOfRange(start, layers: arch.layers) }
        let position = try Relevance.resolvePosition(target, input: input, architecture: arch)
        let forward = try model.forward(input, capture: CheferSweep.capture, logitRows: .positions([position]))
        let n = forward.hidden.shape[0]

        // ∇A per layer and head, from the plain-gradient sweep.
        let gradients = TensorBox()
        var sweep = ReverseSweep(model: model, cache: forward.cache, table: .gradientTimesInput, length: n)
        sweep.attentionObserver = { l, h, _, gA in gradients.values[l * arch.heads + h] = gA }
        let (gHidden, explained) = try sweep.headBackward(target, position: position, forward: forward)
        _ = try sweep.blocksBackward(gHidden)

        // R_A per layer and head from Chefer's LRP, combined on the fly.
        let cams = TensorBox()
        let chefer = CheferSweep(model: model, cache: forward.cache, n: n) { l, h, rA in
            guard let gA = gradients.values[l * arch.heads + h] else { return }
            cams.accumulatePositivePart(layer: l, gA, rA, scale: 1 / Float(arch.heads), n: n)
        }
        try chefer.blocks(try chefer.headRelevance(target, position: position, forward: forward), stopLayer: start)

        let matrices = (start..<arch.layers).map { cams.values[$0] ?? .zeros([n, n]) }
        var row = CheferRollout.row(matrices, position: explained.position, normalizeRows: normalizeRows)
        if textEncoder, let least = row.min() { row[0] = least }   // the BERT code's rollout[:, 0, 0] = rollout[:, 0].min()
        return TokenScores(method: "chefer", parameters: ["startLayer": "\(start)", "normalizeRows": "\(normalizeRows)",
                                                          "target": explained.ids.map(String.init).joined(separator: ",")],
                           position: explained.position, scores: row, image: arch.image)
    }
}

/// Chefer et al., *Generic Attention-model Explainability for Interpreting Bi-Modal and
/// Encoder-Decoder Transformers* (ICCV 2021), self-attention rules (Eqs. 5–6): `R = I`, then for
/// each layer bottom-up `Ā_l = E_h[(∇A_l ⊙ A_l)⁺]` and `R ← R + Ā_l·R`; no normalisation. The
/// explained position's row of `R` (ViT/BERT: `[CLS]`; causal LMs: the explained token).
public enum GenericAttentionExplainability {
    /// Chefer et al.'s generic attention explainability (ICCV 2021, Eqs. 5–6) of `target`: one
    /// forward pass and one plain-gradient sweep, then `R ← R + Ā_l·R` bottom-up with
    /// `Ā_l = E_h[(∇A_l ⊙ A_l)⁺]`.
    ///
    /// - Returns: scores `[n]` over every position, the explained position's row of `R` (`method`
    ///   `gae`; vision models also fill `patchGrid`).
    public static func explain(_ model: TransformerModel, _ input: ModelInput, target: RelevanceTarget = .top()) throws -> TokenScores {
        let arch = model.architecture
        let position = try Relevance.resolvePosition(target, input: input, architecture: arch)
        let forward = try model.forward(input, capture: ReverseSweep.capture(arch, .gradientTimesInput),
                                        logitRows: .positions([position]))
        let n = forward.hidden.shape[0]
        let fused = TensorBox()
        var sweep = ReverseSweep(model: model, cache: forward.cache, table: .gradientTimesInput, length: n)
        sweep.attentionObserver = { l, _, a, gA in
            fused.accumulatePositivePart(layer: l, gA, a, scale: 1 / Float(arch.heads), n: n)
        }
        let (gHidden, explained) = try sweep.headBackward(target, position: position, forward: forward)
        _ = try sweep.blocksBackward(gHidden)
        let matrices = (0..<arch.layers).map { fused.values[$0] ?? .zeros([n, n]) }
        return TokenScores(method: "gae", parameters: ["target": explained.ids.map(String.init).joined(separator: ",")],
                           position: explained.position,
                           scores: CheferRollout.row(matrices, position: explained.position, normalizeRows: false),
                           image: arch.image)
    }
}

/// Rows of `(Ā_L + I)⋯(Ā_s + I)`.
enum CheferRollout {
    /// Row `position` of `Π_l (Ā_l + I)` (top layer leftmost), by vector–matrix products top-down;
    /// `normalizeRows` divides each `Ā_l + I` by its row sums first.
    static func row(_ matrices: [Tensor], position: Int, normalizeRows: Bool) -> [Float] {
        guard let first = matrices.first else { return [] }
        let n = first.shape[0]
        var r = Tensor.zeros([1, n])
        r[0, position] = 1
        for a in matrices.reversed() {
            var m = a
            for i in 0..<n { m[i, i] += 1 }
            if normalizeRows { AttentionRollout.normalizeRows(&m) }
            r = matmul(r, m)
        }
        return r.storage
    }
}

/// Per-layer `[n, n]` accumulators (and per-head gradients) filled from the sweeps' callbacks.
final class TensorBox {
    var values: [Int: Tensor] = [:]

    /// `values[layer] += scale · max(a ⊙ b, 0)`.
    func accumulatePositivePart(layer: Int, _ a: Tensor, _ b: Tensor, scale: Float, n: Int) {
        var sum = values[layer] ?? .zeros([n, n])
        for i in 0..<sum.count { sum.storage[i] += scale * max(a.storage[i] * b.storage[i], 0) }
        values[layer] = sum
    }
}
