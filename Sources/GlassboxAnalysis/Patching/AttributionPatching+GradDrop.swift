extension AttributionPatching {
    /// AtP*'s GradDrop ranking score (Kramár et al. 2024, §3.2) of every cell:
    /// `sign(ĉ) · 1/(L−1) · Σ_{l=1..L} |ĉ_l|`, with `ĉ` = `estimate[i]` (nothing dropped; 0 counts as
    /// positive) and `ĉ_l` = `dropped[l − 1][i]` (the gradient through layer `l − 1`'s attention and
    /// MLP dropped). It orders sites; it is not an estimate of the effect.
    ///
    /// - Parameters:
    ///   - estimate: `[cells]`.
    ///   - dropped: `L ≥ 2` sweeps of `[cells]` each.
    /// - Returns: `[cells]`, unnormalised (metric units, like `estimate`).
    static func gradDropScores(estimate: [Float], dropped: [[Float]]) -> [Float] {
        precondition(dropped.count > 1 && dropped.allSatisfy { $0.count == estimate.count }, "GradDrop: L ≥ 2 sweeps of every cell")
        let scale = 1 / Float(dropped.count - 1)
        return estimate.indices.map { i in
            let magnitude = scale * dropped.reduce(0) { $0 + abs($1[i]) }
            return estimate[i] < 0 ? -magnitude : magnitude
        }
    }
}
