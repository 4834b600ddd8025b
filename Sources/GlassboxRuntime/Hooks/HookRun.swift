import GlassboxTensor

/// The per-call hook state threaded through one forward pass: what to capture, what to edit, and
/// the cache being filled. Lives only for the duration of `forward`.
struct HookRun {
    let capture: HookFilter
    let interventions: Interventions
    var cache: ActivationCache
    /// How attention is computed in this pass.
    var attentionPath: AttentionPath = .automatic

    init(inputIDs: [Int], capture: HookFilter, interventions: Interventions) {
        self.capture = capture
        self.interventions = interventions
        self.cache = ActivationCache(inputIDs: inputIDs)
    }

    /// True when `point` must be materialised (captured or edited); used for expensive points.
    func wants(_ point: HookPoint) -> Bool {
        capture.contains(point) || interventions.touches(point)
    }

    /// The diagnostic mode of `TransformerModel.forward`: record nothing, check every fired tensor
    /// for NaN or ±Inf (−Inf in attention scores is masking) and stop at the first by throwing `NonFiniteHit`.
    var stopsAtNonFinite = false

    /// The first hook point, in forward order, whose tensor holds NaN or ±Inf (thrown to stop the pass).
    struct NonFiniteHit: Error {
        let point: HookPoint
        let count: Int
        let total: Int
        /// True when an intervention at `point` returned the values: the tensor it was given was finite.
        let byIntervention: Bool
    }

    /// NaN and ±Inf values of `tensor` at `point` (−Inf in attention scores is masking, not counted).
    private static func nonFiniteCount(_ point: HookPoint, _ tensor: Tensor) -> Int {
        if case .block(_, .attnScores) = point { NonFinite.countExceptNegativeInfinity(tensor) } else { NonFinite.count(tensor) }
    }

    /// Fires a hook: applies interventions to `tensor` in place, then records it if captured (or,
    /// when `stopsAtNonFinite`, checks it instead).
    mutating func fire(_ point: HookPoint, _ tensor: inout Tensor) throws {
        var finiteBeforeEdit = false
        if interventions.touches(point) {
            finiteBeforeEdit = stopsAtNonFinite && Self.nonFiniteCount(point, tensor) == 0
            tensor = try interventions.apply(at: point, to: tensor)
        }
        if stopsAtNonFinite {
            let bad = Self.nonFiniteCount(point, tensor)
            if bad > 0 { throw NonFiniteHit(point: point, count: bad, total: tensor.count, byIntervention: finiteBeforeEdit) }
            return
        }
        if capture.contains(point) { cache.record(point, tensor) }
    }
}
