import Foundation

/// Why a patching experiment cannot run.
public enum PatchingError: Error, LocalizedError, Equatable {
    /// Clean and corrupted inputs have different lengths in tokens; both tokenizations are shown
    /// (token texts where a tokenizer was at hand, ids otherwise).
    case lengthMismatch(clean: [String], corrupted: [String])
    /// Clean and corrupted inputs are the same tokens: nothing to patch.
    case identicalInputs
    /// The metric is the same on both runs, so the normalised effect `(M − M_r)/(M_c − M_r)` is undefined.
    case noMetricDifference(metric: String, value: Float)
    /// A token id the metric reads is outside the output (`0..<size`).
    case answerOutOfRange(id: Int, size: Int)
    /// The metric is NaN or ±Inf on the clean or the corrupted run: the model's outputs are not finite.
    case nonFiniteMetric(metric: String, clean: Float, corrupted: Float)
    /// Causal tracing: the noised runs give the answer the clean run's probability (to 1e-6
    /// relative), so the normalised effect `(p − p_noised)/(p_clean − p_noised)` is undefined.
    case noiseHasNoEffect(clean: Float, noised: Float)
    /// A hook patched by name holds one row for the whole run (`PatchableHook.singleRow`: `holds`
    /// says what), not one per token or per head, so it has no positions to patch.
    case hookWithoutPositions(hook: String, holds: String)

    /// Throws `nonFiniteMetric` when either value is not finite, `noMetricDifference` when they
    /// agree to 1e-6 relative (the normalised effect would be undefined).
    static func checkDifference(metric: String, clean mc: Float, corrupted mr: Float) throws {
        guard mc.isFinite, mr.isFinite else { throw nonFiniteMetric(metric: metric, clean: mc, corrupted: mr) }
        guard abs(mc - mr) > 1e-6 * max(1, abs(mc)) else { throw noMetricDifference(metric: metric, value: mc) }
    }

    /// One readable line.
    public var errorDescription: String? {
        switch self {
        case .lengthMismatch(let clean, let corrupted):
            "clean and corrupted inputs must have the same number of tokens: clean has \(clean.count) "
                + "\(Self.show(clean)), corrupted has \(corrupted.count) \(Self.show(corrupted)); "
                + "rephrase one of them so the tokens line up"
        case .identicalInputs:
            "clean and corrupted inputs are the same tokens; change the corrupted input"
        case .noMetricDifference("kl", let value):
            "the kl metric is \(value) on both the clean and the corrupted run (the corruption leaves the output "
                + "distribution unchanged), so the normalised effect is undefined; change the corrupted input so the prediction changes"
        case .noMetricDifference(let metric, let value):
            "the \(metric) metric is \(value) on both the clean and the corrupted run, so the normalised "
                + "effect is undefined; pick answer tokens the corruption changes"
        case .nonFiniteMetric(let metric, let clean, let corrupted):
            "the \(metric) metric is \(clean) on the clean run and \(corrupted) on the corrupted run: the model's outputs "
                + "are not finite numbers (its weights or activations overflow or are corrupt; `glassbox predict --trace` shows where)"
        case .noiseHasNoEffect(let clean, let noised):
            "the noise did not change the answer's probability (p = \(clean) clean, \(noised) noised), so the "
                + "normalised effect is undefined; try a larger --noise-scale or a longer or earlier --noise-span"
        case .hookWithoutPositions(let hook, let holds):
            "\(hook) holds \(holds), not one row per token, so it has no positions to patch; patch a hook with a row "
                + "per token (hook_embed, blocks.L.hook_resid_pre, blocks.L.mlp.hook_post, ln_final.hook_normalized…) "
                + "or per head (blocks.L.attn.hook_pattern, blocks.L.attn.hook_attn_scores), as `glassbox info` lists them"
        case .answerOutOfRange(let id, let size):
            "token \(id) (the answer or the wrong token) is outside the model's outputs (0..<\(size))"
        }
    }

    private static func show(_ tokens: [String]) -> String {
        "[" + tokens.map { "'\($0)'" }.joined(separator: " ") + "]"
    }
}
