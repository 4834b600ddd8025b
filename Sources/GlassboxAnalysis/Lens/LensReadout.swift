import Foundation
import GlassboxRuntime
import GlassboxTensor

/// How a lens turns a hidden state `[r, d]` into output logits: the model's own head, applied to
/// an intermediate state (nostalgebraist 2020, "interpreting GPT: the logit lens"; docs/methods.md §5.1).
///
/// The final norm is always recomputed from the rows' *own* statistics — never the final layer's
/// cached scale (TransformerLens issue #1076, fixed in PR #1180: reusing it flattens early layers).
public struct LensReadout: Sendable {
    /// Which output layer a lens applies to a hidden state.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The model's token head. Pre-norm LMs (GPT-2, Llama, Mistral, Qwen2): `W_U·FinalNorm(h) + b_U`.
        /// BERT masked LM: `cls.predictions` = decoder(LN(act(dense(h)))) + bias (h is post-LN already).
        case vocabulary
        /// `h·Eᵀ` with the input word embeddings, for encoders without an MLM head (a BERT encoder or
        /// classifier): an approximation — the model never reads its states this way.
        case tiedEmbeddings
        /// The classifier. ViT: `classifier(LayerNorm(h))` per token (Vilas et al., NeurIPS 2023, §3:
        /// `head(norm(h))`); BERT classifiers: `classifier(tanh(pooler(h)))` per token.
        case classes
    }

    /// Which output layer is applied.
    public let kind: Kind
    /// True for `tiedEmbeddings`.
    public let approximate: Bool
    /// What is applied, for labels and provenance.
    public let description: String
    /// Number of outputs `V` (tokens or classes).
    public let outputs: Int
    /// Class names for `classes`.
    public let classLabels: [String]?
    private let model: TransformerModel

    /// The model's natural readout: `vocabulary` for token heads, `classes` for a ViT classifier,
    /// `tiedEmbeddings` for BERT encoders and classifiers (`classes` for ALBERT's classifier, whose
    /// token table is narrower than the residual stream). Throws for a model with neither (a ViT
    /// without a classifier, a bare ALBERT).
    public static func natural(for model: TransformerModel) throws -> LensReadout {
        let arch = model.architecture
        switch arch.head {
        case .languageModel, .maskedLanguageModel: return try make(.vocabulary, for: model)
        case .sequenceClassification where arch.image != nil: return try make(.classes, for: model)
        case .sequenceClassification(_, .lastNonPad): return try make(.classes, for: model)    // decoders: norm + score
        // ALBERT: the token table is embedding_size wide, not the residual stream's width.
        case .sequenceClassification where model.weights.embeddings.projection != nil: return try make(.classes, for: model)
        case .sequenceClassification, .replacedTokenDetection, .none: return try make(.tiedEmbeddings, for: model)
        }
    }

    /// A specific readout; throws when the model lacks what it needs.
    public static func make(_ kind: Kind, for model: TransformerModel) throws -> LensReadout {
        let arch = model.architecture, head = model.weights.head
        switch kind {
        case .vocabulary:
            guard arch.head.predictsTokens, let unembed = head.unembed else {
                throw AnalysisError.invalidOption("\(arch.modelType) has no token prediction head; use the tied-embedding approximation or the class lens")
            }
            let label = arch.head == .maskedLanguageModel
                ? "MLM head (dense, \((head.transformActivation ?? arch.activation).rawValue), LayerNorm, decoder + bias)"
                : (head.finalNorm != nil ? "final norm (recomputed per row) + unembedding" : "unembedding")
                    + (arch.finalSoftCap.map { " + soft-cap \($0.formatted())" } ?? "")
            return LensReadout(kind: kind, approximate: false, description: label, outputs: unembed.outFeatures,
                               classLabels: nil, model: model)
        case .tiedEmbeddings:
            let token = model.weights.embeddings.token
            guard token.rank == 2, token.shape[0] > 0 else {
                throw AnalysisError.invalidOption("\(arch.modelType) has no token embedding to read through")
            }
            guard token.shape[1] == arch.dModel else {               // ELECTRA: embedding_size < hidden_size
                throw AnalysisError.invalidOption("\(arch.modelType)'s word embeddings are \(token.shape[1]) wide, not the residual width "
                    + "\(arch.dModel) (embedding_size ≠ hidden_size), so there is no tied-embedding lens; use a model with a masked-LM head")
            }
            guard token.shape[1] == arch.dModel else {
                throw AnalysisError.invalidOption("\(arch.modelType)'s token embeddings are \(token.shape[1]) wide, not the residual stream's "
                    + "\(arch.dModel), so hidden states cannot be read through them; use the class lens or a masked-LM checkpoint")
            }
            return LensReadout(kind: kind, approximate: true, description: "tied word embeddings h·Eᵀ (approximate)",
                               outputs: token.shape[0], classLabels: nil, model: model)
        case .classes:
            guard case .sequenceClassification(let labels, _) = arch.head, let unembed = head.unembed else {
                throw AnalysisError.invalidOption("\(arch.modelType) has no classifier for a class lens")
            }
            if case .sequenceClassification(_, .mean) = arch.head {
                throw AnalysisError.invalidOption("\(arch.modelType)'s classifier averages every position (classifier_pooling 'mean') before its head; a per-token class lens is not its readout (the tied-embedding readout is)")
            }
            let decoder = if case .sequenceClassification(_, .lastNonPad) = arch.head { true } else { false }
            let label = head.pooler != nil && arch.image == nil
                ? (head.finalNorm == nil ? "" : "final norm (recomputed per row) + ")
                    + "pooler (\(head.poolerActivation.name)\(head.poolerNorm == nil ? "" : ", LayerNorm")) + classifier, per token"
                : decoder ? "final norm (recomputed per row) + score, per token" : "final LayerNorm (recomputed per row) + classifier, per token"
            return LensReadout(kind: kind, approximate: false, description: label, outputs: unembed.outFeatures,
                               classLabels: labels, model: model)
        }
    }

    /// Logits `[r, V]` of hidden states `h [r, d]` (soft-capped as the model's own logits where the
    /// model caps them, Gemma 2).
    public func logits(_ h: Tensor) -> Tensor {
        let weights = model.weights, arch = model.architecture
        switch kind {
        case .vocabulary:
            let unembed = weights.head.unembed!
            if arch.head == .maskedLanguageModel, let transform = weights.head.transform, let norm = weights.head.transformNorm {
                var t = transform(weights.head.finalNorm.map { Self.normalize(h, $0) } ?? h)   // ModernBERT: final_norm first
                (weights.head.transformActivation ?? arch.activation).apply(&t)
                return unembed(Self.normalize(t, norm))
            }
            var logits = unembed(weights.head.finalNorm.map { Self.normalize(h, $0) } ?? h)
            if let cap = arch.finalSoftCap { softCap(&logits, cap) }     // Gemma 2: as the model's head
            return logits
        case .tiedEmbeddings:
            return matmul(h, weights.embeddings.token, transposeB: true)
        case .classes:
            let classifier = weights.head.unembed!
            if arch.image == nil, let pooler = weights.head.pooler {
                var p = pooler(weights.head.finalNorm.map { Self.normalize(h, $0) } ?? h)   // ModernBERT: final_norm first
                weights.head.poolerActivation.apply(&p)
                return classifier(weights.head.poolerNorm.map { Self.normalize(p, $0) } ?? p)
            }
            return classifier(weights.head.finalNorm.map { Self.normalize(h, $0) } ?? h)
        }
    }

    /// `γ·norm(x) + β` with statistics from each row of `x` itself.
    static func normalize(_ x: Tensor, _ norm: Norm) -> Tensor {
        norm(x)
    }
}
