import Foundation

/// transformers' `problem_type` of a classifier (`PretrainedConfig` accepts only these three).
public enum ProblemType: String, Sendable, Equatable, CaseIterable {
    /// One output per target, trained with MSE; the text pipeline shows the raw logit.
    case regression
    /// One class per input (softmax over the classes).
    case singleLabel = "single_label_classification"
    /// Independent yes/no per class (a sigmoid per class).
    case multiLabel = "multi_label_classification"
}

/// How transformers' classification pipeline turns a classifier's logits `[labels]` into the
/// scores it shows (`function_to_apply`'s default).
public enum ClassScoreFunction: String, Sendable, Equatable {
    /// `softmax(z)`: one distribution over the classes.
    case softmax
    /// `σ(z_i)` per class, independent.
    case sigmoid
    /// The logit itself (regression).
    case none
}

extension Architecture {
    /// The score function of a sequence (or image) classifier, nil for other heads, as the
    /// pipelines choose it: text — `regression` → none, `multi_label_classification` or one label
    /// → sigmoid, else softmax; image (no regression case) — multi-label or one label → sigmoid,
    /// else softmax. ELECTRA's replaced-token detection: sigmoid (the probability that the token
    /// was replaced, as its pre-training loss, `BCEWithLogitsLoss`, reads the logit).
    public var classScores: ClassScoreFunction? {
        if head == .replacedTokenDetection { return .sigmoid }
        guard case .sequenceClassification(let labels, _) = head else { return nil }
        if problemType == .regression && image == nil { return ClassScoreFunction.none }
        if problemType == .multiLabel || labels.count == 1 { return .sigmoid }
        return .softmax
    }
}

extension ClassScoreFunction {
    /// The score of one class's logit under an element-wise function: the sigmoid (in double
    /// precision) or the raw logit; nil for softmax, which needs every class's logit.
    public func elementwiseScore(_ logit: Float) -> Float? {
        switch self {
        case .none: logit
        case .sigmoid: Float(Self.sigmoid(Double(logit)))
        case .softmax: nil
        }
    }

    /// `σ(z) = 1 / (1 + e^{−z})` in Double (as `elementwiseScore` computes it).
    public static func sigmoid(_ z: Double) -> Double { 1 / (1 + Foundation.exp(-z)) }

    /// `log σ(z) = −softplus(−z)`, in Double and stable for any `z`: `−log1p(e^{−z})` for `z ≥ 0`,
    /// `z − log1p(e^{z})` below. The log-probability that a label a sigmoid head scores is on.
    public static func logSigmoid(_ z: Double) -> Double {
        z >= 0 ? -Foundation.log1p(Foundation.exp(-z)) : z - Foundation.log1p(Foundation.exp(z))
    }

    /// The log-probability of class `index` read from one row of logits `[V]` (indexed from the
    /// slice's start) at `temperature` τ, in Double: `log σ(z_index/τ)` for a sigmoid head (the
    /// other logits unread), else the max-subtracted log-softmax `z_index/τ − logsumexp(z/τ)`.
    /// (Regression heads, `.none`, are refused before a probability is read.)
    public func logProbability(of index: Int, in logits: ArraySlice<Float>, temperature: Double = 1) -> Double {
        let z = Double(logits[logits.startIndex + index]) / temperature
        if self == .sigmoid { return Self.logSigmoid(z) }
        let top = Double(logits.max() ?? 0) / temperature
        let sum = logits.reduce(0.0) { $0 + Foundation.exp(Double($1) / temperature - top) }
        return z - (top + Foundation.log(sum))
    }
}
