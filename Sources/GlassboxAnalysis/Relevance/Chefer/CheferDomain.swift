import GlassboxRuntime

extension TransformerAttribution {
    /// Why Chefer et al.'s relevance propagation (`CheferSweep`) is not defined for `model`'s
    /// blocks — "… not defined here for phi (parallel residual)", naming each block feature its
    /// `relprop` has no rule for (a three-way residual sum, QK-norm, routed experts, norms on the
    /// branch outputs, soft-capped scores, OLMo's clamp of q, k, v) — or nil where it is defined. Transformer attribution
    /// (`chefer`) needs it; the generic attention explainability (`gae`) does not.
    public static func undefinedReason(_ model: TransformerModel) -> String? {
        let arch = model.architecture
        let features = [
            (arch.parallelResidual, "parallel residual"),
            (model.weights.blocks.contains { $0.attention.queryNorm != nil }, "QK-norm"),
            (arch.experts != nil, "a mixture of experts"),
            ([.sandwich, .branchOutput].contains(arch.placement), "post-branch norms"),
            (arch.attentionSoftCap != nil, "soft-capped attention scores"),
            (arch.qkvClip != nil, "clipped q, k, v (clip_qkv)"),
        ].filter(\.0).map(\.1)
        guard !features.isEmpty else { return nil }
        return "Chefer et al.'s relevance propagation is not defined here for \(arch.modelType) (\(features.joined(separator: ", ")))"
    }

    /// The error `explain` throws where ``undefinedReason(_:)`` is not nil: the reason and the
    /// methods that do run on every block.
    public static func refusal(_ model: TransformerModel) -> AnalysisError? {
        undefinedReason(model).map(refusal(reason:))
    }

    /// The error for an ``undefinedReason(_:)`` already found: the reason and the methods that run.
    public static func refusal(reason: String) -> AnalysisError {
        .invalidOption("\(reason); use attnlrp, cp-lrp, grad-input or gae")
    }
}
