import GlassboxRuntime

extension Architecture {
    /// The score function analyses read a target's probability with (AtMan's delta-ce, `evaluate`'s
    /// curves, causal tracing, patching's `prob` / `logprob`): `.softmax` for language-model heads
    /// and softmax classifiers, `.sigmoid` for classifiers the pipeline scores with a sigmoid per
    /// class (multi-label, or one output), so a label's probability is `σ(z_label)` as `predict`
    /// shows it. Throws `AnalysisError.invalidOption` (one line) for regression heads, which have
    /// no probability; `instead` names a metric that reads the logit, when the analysis has one.
    public func probabilityScores(for analysis: String, instead: String? = nil) throws -> ClassScoreFunction {
        guard let scores = classScores else { return .softmax }
        guard scores == .none else { return scores }
        throw AnalysisError.invalidOption("\(analysis) reads a class probability, but this \(modelType) classifier has none: "
                                          + scoresDescription + "; " + (instead.map { "use \($0)" } ?? "this analysis does not support it"))
    }

    /// Throws `AnalysisError.invalidOption` (one line) when `analysis` reads a softmax over a
    /// classifier's classes (a KL divergence between two distributions over them) and the
    /// classifier's scores are not one softmax (`classScores`: a sigmoid per class for
    /// multi-label, a sigmoid of a single output, or raw regression outputs, worded for their
    /// count); `instead` names the metrics that fit, when the analysis has some. Nothing for other
    /// heads.
    public func requireSoftmaxClasses(for analysis: String, instead: String? = nil) throws {
        guard let scores = classScores, scores != .softmax else { return }
        let why = scores == .sigmoid ? ", independent yes/no probabilities with no one distribution over the classes" : ""
        throw AnalysisError.invalidOption("\(analysis) reads a softmax over the classes, but this \(modelType) classifier has none: "
                                          + scoresDescription + why + "; " + (instead.map { "use \($0)" } ?? "this analysis does not support it"))
    }

    /// How a classifier whose scores are not one softmax scores its outputs, in words (for
    /// errors): regression outputs worded for their count, or the sigmoid's reason.
    private var scoresDescription: String {
        let outputCount = head.classLabels?.count ?? 0
        return switch classScores {
        case .some(.none): outputCount == 1 ? "its one output is a raw regression score (problem_type regression)"
            : "its \(outputCount) outputs are raw regression scores (problem_type regression)"
        default: problemType == .multiLabel
            ? "its scores are a sigmoid per class (problem_type multi_label_classification)"
            : "its one output is scored by a sigmoid (num_labels 1)"
        }
    }
}
