import Foundation
import GlassboxRuntime
import GlassboxTensor

/// Path patching (Wang, Variengien, Conmy, Shlegeris & Steinhardt, *Interpretability in the Wild:
/// a Circuit for Indirect Object Identification in GPT-2 small*, ICLR 2023, §3.1 and Appendix B;
/// run as ARENA's IOI exercises run it with TransformerLens, `get_path_patch_head_to_heads`), docs/methods.md §10.4: the effect of sender heads on
/// receivers along the direct paths between them only.
///
/// 1. Run the clean and the corrupted input, caching every head's `attn.hook_z`.
/// 2. Run the clean input with the senders' `z` taken from the corrupted run and every other head's
///    `z` frozen at its clean value (MLPs and norms recomputed), recording the receivers' inputs:
///    `attn.hook_q`, `hook_k` or `hook_v` of the receiver heads (all positions), or the final
///    residual stream.
/// 3. Run the clean input with the receivers' inputs replaced by the recorded values (nothing
///    frozen) and measure the metric. For the final residual, step 3 is step 2's own output.
///
/// The normalised effect is `(M_patched − M_clean) / (M_clean − M_corrupted)`: 0 when the path
/// carries nothing, −1 when it alone carries the whole difference (the noising convention of §10.1).
/// All runs are plain forward passes with interventions.
public enum PathPatching {
    /// A receiver of path patching.
    public enum Receiver: Sendable, Equatable, Hashable {
        /// Query, key or value input of head `head` in `layer` (`head` counts query heads; keys and
        /// values are read from its key/value head).
        case head(layer: Int, head: Int, input: Input)
        /// The final residual stream (what the unembedding reads).
        case residual

        /// Which input of a receiver head.
        public enum Input: String, Sendable, Equatable, CaseIterable { case q, k, v }
    }

    /// A head: `(layer, head)`.
    public struct Head: Sendable, Equatable, Hashable {
        /// The layer.
        public let layer: Int
        /// The (query) head.
        public let head: Int
        /// Head `head` of `layer`.
        public init(layer: Int, head: Int) { (self.layer, self.head) = (layer, head) }
    }

    /// A path-patching result.
    public struct Result: Sendable {
        /// The metric on the clean and corrupted runs.
        public let cleanMetric: Float, corruptedMetric: Float
        /// With senders given: the metric with the path patched, and its normalised effect.
        public let patched: Float?, effect: Float?
        /// Without senders: every head as the only sender, `[layer, head]` (site `path`).
        public let map: PatchingMap?
        /// The metric position.
        public let position: Int
    }

    /// Patches the paths from `senders` (nil: every head in turn, giving a `[layer, head]` map) to
    /// `receivers`.
    ///
    /// - Parameters:
    ///   - clean, corrupted: token ids `[n]` each.
    ///   - options: metric and position (`direction`, `sites` and `engine` are not used).
    public static func run(_ model: TransformerModel, clean: [Int], corrupted: [Int], senders: [Head]?,
                           receivers: [Receiver], options: PatchingOptions) throws -> Result {
        var setup = try ActivationPatching.Setup(model, clean: clean, corrupted: corrupted, options: options)
        let arch = model.architecture
        guard !receivers.isEmpty else { throw AnalysisError.invalidOption("give at least one receiver") }
        guard receivers == [.residual] || !receivers.contains(.residual) else {
            throw AnalysisError.invalidOption("the final residual is a receiver on its own; give either resid or heads' q/k/v inputs")
        }
        for r in receivers {
            if case .head(let l, let h, _) = r {
                guard l >= 0 && l < arch.layers else { throw AnalysisError.layerOutOfRange(l, layers: arch.layers) }
                guard h >= 0 && h < arch.heads else { throw AnalysisError.headOutOfRange(h, heads: arch.heads) }
            }
        }
        for s in senders ?? [] {
            guard s.layer >= 0 && s.layer < arch.layers else { throw AnalysisError.layerOutOfRange(s.layer, layers: arch.layers) }
            guard s.head >= 0 && s.head < arch.heads else { throw AnalysisError.headOutOfRange(s.head, heads: arch.heads) }
            for r in receivers {
                if case .head(let l, _, _) = r, l <= s.layer {
                    throw AnalysisError.invalidOption("receiver in layer \(l) is not after sender \(s.layer).\(s.head); a path runs forward")
                }
            }
        }
        let zPoints = (0..<arch.layers).map { HookPoint.block($0, .z) }
        let cleanInput = setup.cleanInput, corruptedInput = setup.corruptedInput
        let row = setup.position
        let cleanRun = try model.forward(cleanInput, capture: .points(zPoints), logitRows: .positions([row]))
        let corruptedRun = try model.forward(corruptedInput, capture: .points(zPoints), logitRows: .positions([row]))
        setup.cleanLogProbs = PatchingMetric.logSoftmax(cleanRun.logits!.storage)
        let mc = setup.metric(cleanRun.logits!), mr = setup.metric(corruptedRun.logits!)
        try PatchingError.checkDifference(metric: options.metric.name, clean: mc, corrupted: mr)

        func patchedMetric(_ senderSet: [Head]) throws -> Float {
            // Step 2: senders from the corrupted run, every other head frozen at its clean z.
            let dh = arch.headDim
            var frozen = Interventions()
            for l in 0..<arch.layers {
                let cleanZ = cleanRun.cache[.block(l, .z)]!, corruptedZ = corruptedRun.cache[.block(l, .z)]!
                let sendersHere = Set(senderSet.filter { $0.layer == l }.map(\.head))
                frozen.add(.block(l, .z)) { _, _ in
                    var out = cleanZ
                    guard !sendersHere.isEmpty else { return out }
                    let n = out.shape[0], width = arch.heads * dh
                    out.withUnsafeMutableBufferPointer { o in
                        for p in 0..<n { for h in sendersHere { for j in (h * dh)..<((h + 1) * dh) { o[p * width + j] = corruptedZ.storage[p * width + j] } } }
                    }
                    return out
                }
            }
            let receiverPoints: [HookPoint] = receivers.compactMap { r in
                if case .head(let l, _, let input) = r { .block(l, input == .q ? .q : input == .k ? .k : .v) } else { nil }
            }
            let step2 = try model.forward(cleanInput, capture: .points(receiverPoints), interventions: frozen,
                                          logitRows: .positions([row]))
            if receivers == [.residual] { return setup.metric(step2.logits!) }
            // Step 3: the clean input with the receivers' inputs replaced.
            var replace = Interventions()
            let group = arch.heads / arch.kvHeads
            for r in receivers {
                guard case .head(let l, let h, let input) = r else { continue }
                let point = HookPoint.block(l, input == .q ? .q : input == .k ? .k : .v)
                let recorded = step2.cache[point]!
                let index = input == .q ? h : h / group
                let cell = PatchingCell(point: point, rows: Array(0..<clean.count), columns: (index * dh)..<((index + 1) * dh),
                                        engineSite: nil)
                replace.add(point) { _, activation in cell.splice(activation, from: recorded) }
            }
            return setup.metric(try model.forward(cleanInput, interventions: replace, logitRows: .positions([row])).logits!)
        }

        if let senders {
            let m = try patchedMetric(senders)
            return Result(cleanMetric: mc, corruptedMetric: mr, patched: m, effect: (m - mc) / (mc - mr), map: nil, position: row)
        }
        let lastReceiver = receivers.map { r -> Int in if case .head(let l, _, _) = r { l } else { arch.layers } }.min()!
        var raw: [Float] = []
        let total = arch.layers * arch.heads
        for l in 0..<arch.layers {
            for h in 0..<arch.heads {
                raw.append(l < lastReceiver ? try patchedMetric([Head(layer: l, head: h)]) : mc)
                options.progress?(raw.count, total)
            }
        }
        let map = PatchingMap(site: "path", kind: nil, axes: ["layer", "head"], shape: [arch.layers, arch.heads],
                              effect: raw.map { ($0 - mc) / (mc - mr) }, raw: raw)
        return Result(cleanMetric: mc, corruptedMetric: mr, patched: nil, effect: nil, map: map, position: row)
    }
}
