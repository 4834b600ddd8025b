import GlassboxRuntime
import GlassboxTensor

/// An AtMan explanation: one score per explained group (token, word, sentence or patch), per target
/// and summed over targets, with what was suppressed to get it.
public struct AtManResult: Sendable {
    /// Per input position: the score of the group containing it (0 for positions in no group);
    /// for vision models also as the patch grid. `position` is the last scored position.
    public let scores: TokenScores
    /// The explained groups, in the order of `groupScores`.
    public let groups: [[Int]]
    /// Per group: the per-target scores (squared where asked) summed over the targets.
    public let groupScores: [Float]
    /// `[groups][targets]`: the score of each group for each target (signed, or squared).
    public let perTarget: [[Float]]
    /// The target token ids (or the class).
    public let targets: [Int]
    /// The logit row each target is read from.
    public let targetPositions: [Int]
    /// Per target: its cross-entropy (or logit, for `.logit` scores) in the unperturbed pass.
    public let baseline: [Float]
    /// `[targets, V]` (or `[1, labels]`): the unperturbed pass's logits at `targetPositions`.
    public let baseLogits: Tensor
    /// What each perturbation suppressed (same order as `groups`).
    public let suppressions: [AtManSuppression]
    /// The token ids run (the prompt plus all but the last continuation target); empty for images.
    public let inputIDs: [Int]
}
