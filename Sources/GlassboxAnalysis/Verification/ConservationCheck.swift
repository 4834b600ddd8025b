import GlassboxRuntime
import GlassboxTensor

/// AttnLRP relevance conservation: the relevance that reaches the inputs against the explained
/// logit, with the share each absorber keeps (`RelevanceBudget`, docs/methods.md §2.7).
///
/// AttnLRP is not conservative by design — biases, LayerNorm `β` and the softmax's Taylor remainder
/// (Achtibat et al., ICML 2024, Prop. 3.1) keep part of the logit — so the check is that the budget
/// closes: `|explained − inputs − biases − softmax − gammaRule| ≤ tolerance · scale`, with
/// `scale = |explained| + |inputs| + |biases| + |softmax| + |gammaRule|` (the unaccounted remainder
/// is then rounding, not a missing rule or a broken backward). The shares are reported, not judged.
public struct ConservationCheck: Sendable, Equatable {
    /// The relevance method whose budget was taken (AttnLRP by default).
    public let method: RelevanceMethod
    /// What was explained (`logit`, `similarity-dot`), at which position, which ids.
    public let target: ExplainedTarget
    /// Where the explained value went.
    public let budget: RelevanceBudget
    /// The allowed unaccounted remainder, relative to the budget's scale.
    public let tolerance: Double

    /// `|explained| + |inputs| + |biases| + |softmax| + |gammaRule|`.
    public var scale: Double {
        abs(budget.explained) + abs(budget.inputs) + abs(budget.biases) + abs(budget.softmax) + abs(budget.gammaRule)
    }
    /// `|unaccounted| / scale` (0 for an all-zero budget).
    public var relativeRemainder: Double { scale > 0 ? abs(budget.unaccounted) / scale : abs(budget.unaccounted) }
    /// Whether the budget closes within the tolerance.
    public var passed: Bool { relativeRemainder <= tolerance }

    /// Explains `target` (default: the top prediction; headless encoders: the dot similarity of the
    /// input with itself) with `method` and takes the budget.
    ///
    /// - Parameter tolerance: relative remainder allowed (default 1e-4; fp32 sums over `n·d` terms).
    public static func run(_ model: TransformerModel, _ input: ModelInput, target: RelevanceTarget? = nil,
                           method: RelevanceMethod = .attnLRP, tolerance: Double = 1e-4) throws -> ConservationCheck {
        var model = model
        model.checksActivations = false
        let result = try Relevance.explain(model, input, target: target ?? Verification.defaultTarget(model, input),
                                           options: RelevanceOptions(method: method))
        return ConservationCheck(method: method, target: result.target, budget: result.budget, tolerance: tolerance)
    }
}
