import Foundation
import GlassboxModelIO
import GlassboxRuntime

/// What a perturbation curve reads after each removal (docs/methods.md §9.1).
public enum PerturbationTarget: Sendable {
    /// Token `id` predicted at `position` (causal or masked language models): its logit and its
    /// softmax probability over the vocabulary.
    case token(id: Int, position: Int)
    /// Class `index` of a classifier: its logit and its probability as the classification
    /// pipeline shows it — the softmax over the labels, or `σ(z_index)` for a multi-label or
    /// one-output classifier (`Architecture.classScores`).
    case label(Int)
    /// Encoders without a head: the cosine similarity of the pooled final hidden state (`pooling`,
    /// default mean) to that of `other` (sentence-transformers' comparison); value and
    /// "probability" are both the cosine.
    case similarity(to: ModelInput, pooling: EmbeddingPooling = .mean)
}

/// The target's reading on one (perturbed) input.
public struct TargetReading: Sendable, Equatable {
    /// The target's logit (or the similarity).
    public let value: Float
    /// The target's probability — softmax, or the sigmoid of its logit for sigmoid classifiers —
    /// (or the similarity).
    public let probability: Float

    /// A reading from its two numbers.
    public init(value: Float, probability: Float) {
        (self.value, self.probability) = (value, probability)
    }

    /// Reads `index` from one row of logits `[V]`: the logit and its probability under `scores` —
    /// the softmax or `σ(z_index)` (the other logits unread), as `exp` of
    /// `ClassScoreFunction.logProbability` (in Double, max-subtracted). `scores` is never `.none`
    /// (regression heads are refused before).
    public static func from(logits row: ArraySlice<Float>, index: Int, scores: ClassScoreFunction = .softmax) -> TargetReading {
        TargetReading(value: row[row.startIndex + index],
                      probability: Float(Foundation.exp(scores.logProbability(of: index, in: row))))
    }
}
