import GlassboxRuntime

/// One map of an activation-patching experiment: the effect of patching every site of one kind.
public struct PatchingMap: Sendable {
    /// The JSON site name: `resid_pre`, `attn_out`, `mlp_out`, `z`, `q`, `k`, `v`, `pattern`, or a
    /// full hook name for hooks patched by name.
    public let site: String
    /// The kind, `nil` for a hook patched by name.
    public let kind: PatchingSiteKind?
    /// The axes, e.g. `["layer", "position"]`, `["layer", "head"]`, `["layer", "head", "position"]`.
    public let axes: [String]
    /// The size of each axis.
    public let shape: [Int]
    /// Row-major over `shape`: the normalised effect `(M_patched − M_base) / (M_clean − M_corrupted)`,
    /// `M_base` the corrupted run's metric when denoising and the clean run's when noising
    /// (attribution patching: its estimate `ĉ / (M_clean − M_corrupted)`).
    public let effect: [Float]
    /// Row-major over `shape`: the metric of each patched run (attribution patching: its estimate
    /// `M_base + ĉ`).
    public let raw: [Float]
    /// AtP* with GradDrop only (nil otherwise), row-major over `shape`: the GradDrop ranking score
    /// (Kramár et al. 2024, §3.2) `sign(ĉ) · 1/(L−1) · Σ_l |ĉ_l|` normalised like `effect`
    /// (divided by `M_clean − M_corrupted`), `ĉ_l` the estimate with the gradient through layer `l`'s
    /// attention and MLP dropped. It orders sites; it is not an estimate of the effect.
    public var ranking: [Float]? = nil

    /// The effect at `index` (one value per axis, each within its axis's size).
    ///
    /// - Throws: `AnalysisError.invalidOption` for another number of indices or an index outside
    ///   its axis.
    public func effect(at index: [Int]) throws -> Float { effect[try flat(index)] }
    /// The raw metric at `index` (one value per axis, each within its axis's size).
    ///
    /// - Throws: `AnalysisError.invalidOption`, as ``effect(at:)``.
    public func raw(at index: [Int]) throws -> Float { raw[try flat(index)] }

    /// The row-major offset of `index` over `shape`, after checking every index against its axis.
    private func flat(_ index: [Int]) throws -> Int {
        guard index.count == shape.count else {
            throw AnalysisError.invalidOption("the \(site) map has \(shape.count) axes (\(axes.joined(separator: ", "))), "
                                              + "got \(index.count) indices \(index)")
        }
        for (axis, (i, size)) in zip(index, shape).enumerated() where i < 0 || i >= size {
            throw AnalysisError.invalidOption("\(axes[axis]) \(i) is outside 0..<\(size) in the \(site) map of shape \(shape)")
        }
        return zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }
}

/// The result of an activation-patching (or attribution-patching) experiment.
public struct PatchingResult: Sendable {
    /// `exact`, `atp` or `atp*`.
    public let method: PatchingMethod
    /// Denoising (clean into corrupted) or noising (corrupted into clean).
    public let direction: PatchingDirection
    /// The metric.
    public let metric: PatchingMetric
    /// The metric on the unpatched clean run, `M_c`.
    public let cleanMetric: Float
    /// The metric on the unpatched corrupted run, `M_r`.
    public let corruptedMetric: Float
    /// The position whose logits the metric reads.
    public let position: Int
    /// The clean token ids.
    public let cleanIDs: [Int]
    /// The corrupted token ids (same length).
    public let corruptedIDs: [Int]
    /// The first position where clean and corrupted differ.
    public let firstDifference: Int
    /// One map per site kind asked for, then one per hook patched by name.
    public let maps: [PatchingMap]
    /// For attribution patching compared with exact patching: the agreement per map.
    public var agreement: [PatchingAgreement] = []

    /// The map of `kind` (nil when it was not computed).
    public func map(_ kind: PatchingSiteKind) -> PatchingMap? { maps.first { $0.kind == kind } }

    /// A result from its parts (as listed above; `agreement` empty), e.g. to present path
    /// patching's map in the same form.
    public init(method: PatchingMethod, direction: PatchingDirection, metric: PatchingMetric, cleanMetric: Float,
                corruptedMetric: Float, position: Int, cleanIDs: [Int], corruptedIDs: [Int], firstDifference: Int,
                maps: [PatchingMap]) {
        (self.method, self.direction, self.metric) = (method, direction, metric)
        (self.cleanMetric, self.corruptedMetric, self.position) = (cleanMetric, corruptedMetric, position)
        (self.cleanIDs, self.corruptedIDs, self.firstDifference, self.maps) = (cleanIDs, corruptedIDs, firstDifference, maps)
    }
}

/// How well an attribution-patching map agrees with the exact one.
public struct PatchingAgreement: Sendable, Equatable {
    /// The map's site name.
    public let site: String
    /// Pearson correlation of the estimated and exact effects over all cells.
    public let pearson: Float
    /// `k` of the overlap (10, or the cell count when smaller).
    public let k: Int
    /// The fraction of the exact map's top-`k` cells by |effect| that are among the estimate's top `k`.
    public let topKOverlap: Float
}
