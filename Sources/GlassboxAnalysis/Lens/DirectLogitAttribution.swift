import GlassboxRuntime
import GlassboxTensor

/// Direct logit attribution of one prediction to every attention head and MLP layer.
public struct DirectLogitAttributionResult: Sendable, Equatable, Codable {
    /// `"direct-logit-attribution"`.
    public let method: String
    /// Provenance: norm handling, position, target and contrast.
    public let parameters: [String: String]
    /// The explained position (0 for a ViT classifier, `[CLS]`).
    public let position: Int
    /// Token id or class index whose logit is decomposed.
    public let target: Int
    /// Display text of `target`; nil when no texts were given.
    public let targetText: String?
    /// With a contrast token every number is for `logit(target) − logit(contrast)`.
    public let contrast: Int?
    /// Display text of `contrast`; nil without a contrast or texts.
    public let contrastText: String?
    /// The model's logit (or logit difference) at `position`.
    public let logit: Float
    /// `[layers][heads]`: each head's direct effect (its `hook_result` row, without `b_O`).
    public let heads: [[Float]]
    /// `[layers]`: each MLP's direct effect without its output bias (`Σ_i m_i·v_i`).
    public let mlp: [Float]
    /// Token (+ position, + token-type; ViT: `[CLS]`/patch projection + position) embeddings, or the
    /// embedding LayerNorm's output where the model has one before block 0 (BLOOM).
    public let embeddings: Float
    /// `[layers]`: the attention output biases `b_O`.
    public let attentionBiases: [Float]
    /// `[layers]`: the MLP output biases.
    public let mlpBiases: [Float]
    /// `β·w + b_U[target]`: the final norm's shift and the unembedding bias.
    public let normBias: Float
    /// `embeddings + Σ attentionBiases + Σ mlpBiases + normBias`: everything that is not a head or
    /// an MLP's neurons, so that `Σ heads + Σ mlp + constant = logit`.
    public let constant: Float
    /// The cached final-norm scale at `position` every component was divided by.
    public let finalScale: Float
    /// `logit − (Σ heads + Σ mlp + constant)`: fp32 rounding only (tested ≤ 1e-4).
    public let residual: Float
}

/// Direct logit attribution (DLA): the final residual is a sum of component outputs, and with the
/// final norm's scale *frozen* at its cached value the readout is linear, so each component's share
/// of a logit is `(c − mean(c))/s · (γ ⊙ w_t)` (LayerNorm; RMSNorm: no centering and no β), with
/// `w_t` the unembedding of the target (TransformerLens `apply_ln_to_stack` / `logit_attrs`;
/// Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits"). docs/methods.md §5.1
/// keeps this apart from the logit lens, which *recomputes* the norm per layer.
///
/// Defined for pre-norm models with a final norm: LMs at any position, ViT classifiers at `[CLS]`.
/// Post-LN BERT renormalises after every block, so it has no such decomposition (an error).
public enum DirectLogitAttribution {
    /// - Parameters:
    ///   - position: default: the last position (LMs), 0 (ViT).
    ///   - target: default: the model's top prediction at `position`.
    ///   - contrast: explain `logit(target) − logit(contrast)`.
    ///   - tokenTexts: display strings per id (class names are used for classifiers).
    public static func run(_ model: TransformerModel, _ input: ModelInput, position: Int? = nil, target: Int? = nil,
                           contrast: Int? = nil, tokenTexts: [String]? = nil) throws -> DirectLogitAttributionResult {
        let arch = model.architecture, w = model.weights
        guard arch.placement == .pre, let finalNorm = w.head.finalNorm, let unembed = w.head.unembed else {
            throw AnalysisError.invalidOption("direct logit attribution needs a pre-norm model with a final norm and an output head, "
                + "whose attention output is the sum of its heads; \(arch.modelType) (post-norm, norms on the branch outputs, or headless) is not one")
        }
        var labels: [String]? = tokenTexts
        // ModernBERT's heads (masked LM, classifier): dense, activation and LayerNorm between the final
        // norm and the output layer, so the logit is no sum of per-component terms.
        guard w.head.transform == nil, w.head.pooler == nil else {
            throw AnalysisError.invalidOption("direct logit attribution needs the output layer right after the final norm; "
                + "\(arch.modelType)'s head runs a dense layer, an activation and a norm in between, so the logit is no sum of component terms")
        }
        if case .sequenceClassification(let names, _) = arch.head { labels = names }
        let L = arch.layers
        var points: [HookPoint] = [.embed, .lnFinal(.scale)]
        if w.embeddings.position != nil { points.append(.posEmbed) }
        if w.embeddings.tokenType != nil { points.append(.tokenTypeEmbed) }
        if w.embeddings.norm != nil { points.append(.embedLN(.normalized)) }
        for l in 0..<L { points += [.block(l, .result), .block(l, .mlpOut)] }
        let isImage: Bool = if case .pixels = input { true } else { false }
        let n: Int = if case .tokens(let ids, _) = input { ids.count } else { 0 }
        let p = position ?? (isImage ? 0 : arch.classifierPosition(input) ?? n - 1)
        if arch.image != nil, p != 0 {
            throw AnalysisError.invalidOption("a ViT classifier reads position 0 ([CLS]) only, not \(p)")
        }
        if case .sequenceClassification(_, .lastNonPad) = arch.head, let pooled = arch.classifierPosition(input), p != pooled {
            throw AnalysisError.invalidOption("\(arch.modelType)'s classifier reads position \(pooled) only (its last non-pad token), not \(p)")
        }
        if !isImage, p < 0 || p >= n { throw AnalysisError.positionOutOfRange(p, length: n) }
        let run = try model.forward(input, capture: .points(points), logitRows: isImage ? .all : .positions([p]))
        guard let logits = run.logits else { throw AnalysisError.invalidOption("the model produced no logits") }
        let v = logits.shape[1]
        let t = target ?? VocabularyTopK.select(logits.row(0).storage, k: 1)[0].id
        for id in [t] + (contrast.map { [$0] } ?? []) where id < 0 || id >= v {
            throw AnalysisError.invalidOption("token \(id) is outside the outputs (0..<\(v))")
        }
        let cache = run.cache

        // Direction u = γ ⊙ (w_t − w_c) / s, centred for LayerNorm (centring c is c·(u − mean u)).
        let d = arch.dModel
        let wt = WeightSlices.readerVector(unembed, output: t)
        let wc = contrast.map { WeightSlices.readerVector(unembed, output: $0) }
        let direction = (0..<d).map { wt[$0] - (wc?[$0] ?? 0) }
        let scale = cache[.lnFinal(.scale)]![p, 0]
        var u = (0..<d).map { Double(finalNorm.weight.storage[$0]) * Double(direction[$0]) / Double(scale) }
        if case .layerNorm = finalNorm.kind {
            let mean = u.reduce(0, +) / Double(d)
            u = u.map { $0 - mean }
        }
        func share(_ row: ArraySlice<Float>) -> Double {
            zip(row, u).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        }
        func rowOf(_ point: HookPoint) -> ArraySlice<Float>? {
            cache[point].map { $0.storage[(p * d)..<((p + 1) * d)] }
        }

        // The first residual stream: the embedding rows summed, or what the embedding LayerNorm makes
        // of them (BLOOM's word_embeddings_layernorm: block 0 reads its output, not the rows).
        let embeddings = w.embeddings.norm != nil ? share(rowOf(.embedLN(.normalized))!)
            : [HookPoint.embed, .posEmbed, .tokenTypeEmbed].compactMap(rowOf).map(share).reduce(0, +)
        var heads: [[Float]] = [], mlp: [Float] = [], attentionBiases: [Float] = [], mlpBiases: [Float] = []
        for l in 0..<L {
            let block = w.blocks[l]
            let result = cache[.block(l, .result)]!                                          // [n, H, d]
            heads.append((0..<arch.heads).map { h in
                let start = (p * arch.heads + h) * d
                return Float(share(result.storage[start..<(start + d)]))
            })
            let attentionBias = block.attention.output.bias.map { share($0.storage[...]) } ?? 0
            let mlpBias = block.mlp.output.bias.map { share($0.storage[...]) } ?? 0
            attentionBiases.append(Float(attentionBias))
            mlpBiases.append(Float(mlpBias))
            mlp.append(Float(share(rowOf(.block(l, .mlpOut))!) - mlpBias))
        }
        var normBias = 0.0
        if let beta = finalNorm.bias { normBias += zip(beta.storage, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        if let b = unembed.bias { normBias += Double(b.storage[t]) - Double(contrast.map { b.storage[$0] } ?? 0) }
        let constant = embeddings + attentionBiases.reduce(0.0) { $0 + Double($1) } + mlpBiases.reduce(0.0) { $0 + Double($1) } + normBias
        let logit = Double(logits[0, t]) - Double(contrast.map { logits[0, $0] } ?? 0)
        let parts = heads.joined().reduce(0.0) { $0 + Double($1) } + mlp.reduce(0.0) { $0 + Double($1) } + constant
        let parameters = ["norm": "cached final scale (linear)", "position": "\(p)", "target": "\(t)",
                          "contrast": contrast.map(String.init) ?? "none"]
        return DirectLogitAttributionResult(
            method: "direct-logit-attribution", parameters: parameters, position: p, target: t,
            targetText: VocabularyTopK.text(of: t, in: labels), contrast: contrast,
            contrastText: contrast.flatMap { VocabularyTopK.text(of: $0, in: labels) }, logit: Float(logit),
            heads: heads, mlp: mlp, embeddings: Float(embeddings), attentionBiases: attentionBiases,
            mlpBiases: mlpBiases, normBias: Float(normBias), constant: Float(constant), finalScale: scale,
            residual: Float(logit - parts))
    }
}
