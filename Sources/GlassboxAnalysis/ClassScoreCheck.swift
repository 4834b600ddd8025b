import GlassboxRuntime

extension Architecture {
    /// Throws `AnalysisError.invalidOption` (one line) when `analysis` reads a softmax over a
    /// classifier's classes (a probability, log-probability, cross-entropy or KL divergence) and the
    /// classifier's scores are not one softmax (`classScores`: a sigmoid per class for
    /// multi-label, a sigmoid of a single output, or raw regression outputs, worded for their
    /// count); `instead` names a metric that reads the logit, when the analysis has one. Nothing
    /// for other heads.
    public func requireSoftmaxClasses(for analysis: String, instead: String? = nil) throws {
        guard let scores = classScores, scores != .softmax else { return }
        guard case .sequenceClassification(let labels) = head else { return }
        let outputCount = labels.count
        let what = switch scores {
        case .none: outputCount == 1 ? "its one output is a raw regression score (problem_type regression)"
            : "its \(outputCount) outputs are raw regression scores (problem_type regression)"
        default: problemType == .multiLabel
            ? "its scores are a sigmoid per class (problem_type multi_label_classification)"
            : "its one output is scored by a sigmoid (num_labels 1)"
        }
        throw AnalysisError.invalidOption("\(analysis) reads a softmax over the classes, but this \(modelType) classifier has none: "
                                          + what + "; " + (instead.map { "use \($0)" } ?? "this analysis does not support it"))
    }
}
