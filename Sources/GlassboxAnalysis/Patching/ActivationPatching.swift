import Foundation
import GlassboxRuntime
import GlassboxTensor

/// Activation patching (docs/methods.md §10.1), with TransformerLens's `patching.py` semantics:
/// run one input with a single activation replaced by its value on the other input, and measure
/// how far the metric moves from the corrupted run's value towards the clean run's.
///
/// Denoising (the default) runs the corrupted input `x_r` with a clean activation spliced in;
/// noising runs the clean input `x_c` with a corrupted one. The normalised effect is
/// `(M_patched − M_base) / (M_c − M_r)`, `M_base` the metric of the run patched into: for
/// denoising `(M_patched − M_r) / (M_c − M_r)` (1: the site restores the clean behaviour, 0: no
/// effect); for noising `(M_patched − M_c) / (M_c − M_r)` (0: no effect, −1: the site alone breaks
/// it) (Heimersheim & Nanda, *How to use and interpret activation patching*, 2024, §2). The raw
/// `M_patched` is kept.
///
/// Exact patching runs every site through the batched suffix engine (`forwardSuffixes`): a site at
/// layer `l` starts from the base run's `hook_resid_pre` of layer `l`; in causal models only
/// positions from the patched one on are recomputed, and sites before the first position where the
/// inputs differ are not run at all (their activations are the same in both runs, so their raw
/// metric is the base run's). `q`, `k`, `v`, `z`, `attn_out`, `mlp_out` and `resid_pre` are spliced
/// inside the engine; `pattern` and hooks named by the caller run as plain forward passes with an
/// intervention (the hook path), which is also the `.hooks` engine for everything.
public enum ActivationPatching {
    /// Patches every site of `options.sites` (and `options.hooks`).
    ///
    /// - Parameters:
    ///   - model: a model with a prediction head (causal LM, masked LM or classifier).
    ///   - clean: the clean token ids `[n]`.
    ///   - corrupted: the corrupted token ids `[n]` (same length: `PatchingError.lengthMismatch`).
    ///   - options: metric, direction, sites, position, engine; a hook with one row for the whole
    ///     run (`unembed.*`, `pooler.hook_out`, `mlm_head.*`) is `PatchingError.hookWithoutPositions`.
    /// - Returns: one map per site kind with the normalised effect and the raw metric.
    public static func run(_ model: TransformerModel, clean: [Int], corrupted: [Int],
                           options: PatchingOptions) throws -> PatchingResult {
        try PatchableHook.check(options.hooks)
        var setup = try Setup(model, clean: clean, corrupted: corrupted, options: options)
        let arch = model.architecture
        let n = clean.count
        let trimmed = setup.causal && options.engine == .batched
        let allPositions = Array((trimmed ? setup.firstDifference : 0)..<n)

        // Every cell of every map, in map order.
        var layouts: [(site: String, kind: PatchingSiteKind?, axes: [String], shape: [Int], range: Range<Int>)] = []
        var cells: [PatchingCell] = []
        for kind in options.sites {
            let (shape, list) = PatchingCell.cells(kind, architecture: arch, length: n, allPositions: allPositions)
            layouts.append((kind.jsonSite, kind, kind.axes, shape, cells.count..<(cells.count + list.count)))
            cells += list
        }
        let named = options.hooks
        let needed = Set(cells.map(\.point) + named)
        let runs = try setup.runs(capture: .points(needed))
        for point in named {
            guard let activation = runs.source.cache[point] else {
                throw HookError.noSuchPoint(point.name)
            }
            let (axis, list) = PatchingCell.cells(hook: point, activation: activation)
            layouts.append((point.name, nil, [axis], [list.count], cells.count..<(cells.count + list.count)))
            cells += list
        }

        // Raw metric per cell.
        var raw = [Float](repeating: runs.baseMetric, count: cells.count)
        let trivial: (PatchingCell) -> Bool = { cell in
            trimmed && cell.engineSite != nil && (cell.rows.last ?? 0) < setup.firstDifference
        }
        var engineCells: [Int] = []
        if options.engine == .batched {
            engineCells = cells.indices.filter { cells[$0].engineSite != nil && !trivial(cells[$0]) }
            let layerOf: [Int] = cells.map { $0.point.layer ?? 0 }
            engineCells.sort { a, b in layerOf[a] != layerOf[b] ? layerOf[a] < layerOf[b] : a < b }
        }
        let engineSet = Set(engineCells)
        let hookCells = cells.indices.filter { !engineSet.contains($0) && !trivial(cells[$0]) }
        let total = engineCells.count + hookCells.count
        let progress = options.progress
        if !engineCells.isEmpty {
            let items = engineCells.map { SuffixItem(patches: [cells[$0].enginePatch(source: runs.source.cache[cells[$0].point]!)!]) }
            let count = Double(engineCells.count)
            var suffixOptions = SuffixOptions(rowBudget: options.rowBudget)
            if let progress {
                suffixOptions.progress = { (done: Int, units: Int) in
                    let fraction: Double = units > 0 ? Double(done) / Double(units) : 1
                    progress(Int(fraction * count), total)
                }
            }
            try model.forwardSuffixes(base: runs.base, items: items, options: suffixOptions) { i, logits in
                raw[engineCells[i]] = setup.metric(logits)
            }
        }
        for (done, i) in hookCells.enumerated() {
            raw[i] = setup.metric(try hookPath(model, setup.baseInput, cell: cells[i],
                                               source: runs.source.cache[cells[i].point]!, position: setup.position))
            progress?(engineCells.count + done + 1, total)
        }
        if total == 0 { progress?(1, 1) }

        let denominator = runs.cleanMetric - runs.corruptedMetric
        let maps = layouts.map { layout in
            let r = Array(raw[layout.range])
            return PatchingMap(site: layout.site, kind: layout.kind, axes: layout.axes, shape: layout.shape,
                               effect: r.map { ($0 - runs.baseMetric) / denominator }, raw: r)
        }
        return PatchingResult(method: .exact, direction: options.direction, metric: options.metric,
                              cleanMetric: runs.cleanMetric, corruptedMetric: runs.corruptedMetric,
                              position: setup.position, cleanIDs: clean, corruptedIDs: corrupted,
                              firstDifference: setup.firstDifference, maps: maps)
    }

    /// One plain forward of `input` with `cell` spliced in from `source` at its hook.
    ///
    /// - Returns: logits `[1, V]` at `position` (`[1, labels]` for classifiers).
    static func hookPath(_ model: TransformerModel, _ input: ModelInput, cell: PatchingCell, source: Tensor,
                         position: Int) throws -> Tensor {
        let interventions = Interventions(cell.point) { _, activation in cell.splice(activation, from: source) }
        return try model.forward(input, interventions: interventions, logitRows: .positions([position])).logits!
    }
}
