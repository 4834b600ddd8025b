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

    /// Fires a hook: applies interventions to `tensor` in place, then records it if captured.
    mutating func fire(_ point: HookPoint, _ tensor: inout Tensor) throws {
        if interventions.touches(point) {
            tensor = try interventions.apply(at: point, to: tensor)
        }
        if capture.contains(point) { cache.record(point, tensor) }
    }
}
