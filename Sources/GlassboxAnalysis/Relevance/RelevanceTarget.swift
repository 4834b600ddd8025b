import GlassboxModelIO
import GlassboxRuntime

/// What a relevance explanation explains: a scalar built from the model's outputs at one position.
/// The reverse sweep starts from that scalar's gradient (the "seed"), so the output relevance equals
/// the scalar's value (LXT's convention: seed 1 at the target logit).
public struct RelevanceTarget: Sendable {
    /// The scalar.
    public enum Objective: Sendable {
        /// `Σ logits[ids]`; an empty list means the top prediction at the position.
        case logits([Int])
        /// `logits[id] − logits[minus]`; `id` nil = the top prediction.
        case contrast(Int?, minus: Int)
        /// LXT's contrastive seed (GPT-2 docs, after Gu et al. 2018): `+1` at each id, `−1/V` at every
        /// other output — "equivalent to explaining the softmax output"; empty = the top prediction.
        case contrastive([Int])
        /// Encoders without a head: the similarity of the pooled final hidden state (`pooling`) to
        /// that of a second input, whose embedding is held fixed (computed without relevance).
        case similarity(to: ModelInput, measure: SimilarityMeasure)
    }

    /// The scalar explained.
    public var objective: Objective
    /// The explained position; nil = the default: the last token of causal models, position 0
    /// ([CLS]) of encoders. Ignored by classifiers (they read the pooled [CLS]) and similarities.
    public var position: Int?
    /// How similarities pool the final hidden state of both inputs (sentence-transformers' modes;
    /// default mean). Ignored by the other objectives.
    public var pooling: EmbeddingPooling = .mean

    /// A target from its objective and position (nil: the default position, see `position`).
    public init(_ objective: Objective, position: Int? = nil) {
        (self.objective, self.position) = (objective, position)
    }

    /// The top prediction (the default target).
    public static func top(position: Int? = nil) -> RelevanceTarget { .init(.logits([]), position: position) }
    /// One output id.
    public static func token(_ id: Int, position: Int? = nil) -> RelevanceTarget { .init(.logits([id]), position: position) }
    /// Several output ids, summed.
    public static func tokens(_ ids: [Int], position: Int? = nil) -> RelevanceTarget { .init(.logits(ids), position: position) }
    /// `id − minus` (`id` nil: the top prediction).
    public static func contrast(_ id: Int?, minus: Int, position: Int? = nil) -> RelevanceTarget {
        .init(.contrast(id, minus: minus), position: position)
    }
    /// LXT's contrastive seed at `id` (nil: the top prediction).
    public static func contrastive(_ id: Int? = nil, position: Int? = nil) -> RelevanceTarget {
        .init(.contrastive(id.map { [$0] } ?? []), position: position)
    }
    /// Similarity of the pooled embedding (default: mean pooling) to `other`'s.
    public static func similarity(to other: ModelInput, measure: SimilarityMeasure = .cosine,
                                  pooling: EmbeddingPooling = .mean) -> RelevanceTarget {
        var target = RelevanceTarget(.similarity(to: other, measure: measure))
        target.pooling = pooling
        return target
    }
}

/// How two pooled embeddings are compared.
public enum SimilarityMeasure: String, Sendable, CaseIterable {
    /// `a·b / (‖a‖·‖b‖)` with `‖a‖` of the explained side detached: LXT's normalization rule (the
    /// statistic is a constant, as for LayerNorm and RMSNorm), so relevance sums to the cosine like
    /// a logit. (The true gradient of a cosine is orthogonal to `a`: plain gradient × input of it is
    /// always 0.) sentence-transformers compares MiniLM embeddings by cosine.
    case cosine
    /// `a·b`.
    case dot
}

/// The target as explained: where, which outputs, and the value of the explained scalar.
public struct ExplainedTarget: Sendable, Equatable {
    /// `logit`, `contrastive`, `contrast`, `similarity-cosine`, `similarity-dot`.
    public let objective: String
    /// The explained position (classifiers: 0, the [CLS] they read; similarities: -1, all positions).
    public let position: Int
    /// Seeded outputs: the ids with +1 (`contrast`: `[id, minus]`); empty for similarities.
    public let ids: [Int]
    /// The explained scalar: `seed · logits`, or the similarity. Output relevance equals it.
    public let value: Float
    /// The first id's logit and softmax probability at the position (nil for similarities).
    public let logit: Float?
    /// See `logit`: the first id's softmax probability over all outputs, in [0, 1].
    public let probability: Float?
}
