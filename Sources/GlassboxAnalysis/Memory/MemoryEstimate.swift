import Foundation
import GlassboxRuntime
import GlassboxTensor

/// What a run will hold in memory at its peak, estimated before it starts: the weights as they sit
/// in memory (docs/methods.md §0.7), the program itself (``programBytes``), plus the activations
/// the method keeps for the input length.
///
/// The activation terms are upper-bound sketches in Float32, not a measurement: a plain forward
/// holds a few `[n, d]` and `[n, d_ff]` tensors of one layer at a time and the `[n, V]` logits; a
/// cached forward (relevance sweeps, lens, attention pictures) keeps every hook of every layer,
/// with the `H·n²` scores and pattern, plus one layer's worth of gradients during the sweep;
/// AtMan runs one forward per worker thread at a time.
public struct MemoryEstimate: Sendable, Equatable {
    /// How much a method keeps (see the type's documentation).
    public enum Profile: Sendable, Equatable {
        /// One forward, nothing cached (predict, AtMan's single passes).
        case forward
        /// `concurrent` forwards at once (AtMan over worker threads).
        case concurrentForwards(Int, stackedRows: Int)
        /// A forward whose hooks are all cached, patterns included (Chefer, lens, attention
        /// pictures, traces).
        case cachedForward
        /// A relevance sweep (AttnLRP, CP-LRP, gradient × input): the activations it keeps, stored
        /// or checkpointed as `checkpointing` decides with `available` bytes free, `[H, n, n]`
        /// patterns only when `patternsKept` (the unblocked path); one logit row.
        case relevanceSweep(checkpointing: Checkpointing, patternsKept: Bool, available: Int?)
        /// Attention rollout: a forward that hands each layer's `[H, n, n]` pattern over as it is made
        /// (one layer's scores and pattern at a time, one logit row) and keeps one fused `[n, n]`
        /// matrix for each of `layers` layers (``AttentionRollout``). With `flow`, attention flow's
        /// max-flow graph over those matrices too: an edge and its reverse per non-zero weight
        /// (`n(n+1)/2` a layer under a causal mask, `n²` otherwise; ``AttentionFlow``).
        case rollout(layers: Int, flow: Bool)
        /// A forward that keeps the `[H, n, n]` attention patterns of `layers` layers (the
        /// attention command: one head's matrix, the JSON, a page), one more layer's scores and
        /// pattern while they are captured.
        case attentionPatterns(layers: Int)
        /// The logit lens: `states` rows of `[n, d]` residual states, and four `[P, V]` arrays of
        /// logits and probabilities for a chunk of P positions (``LogitLens``).
        case lens(states: Int)
        /// A forward that keeps `[n, d]`-wide activations of every layer (about `perLayer` of them
        /// per layer) but no attention pattern, and runs `stackedRows` rows of variants at once
        /// (the batched suffix engine's row budget; 0 when it is not used): patching, causal
        /// tracing, neuron readouts.
        case storedActivations(perLayer: Int, stackedRows: Int)
    }

    /// Bytes the program takes before any model is loaded (its code, the Swift runtime and
    /// Foundation, the allocator's arenas): `glassbox --version` peaks at 30 MB resident, `glassbox
    /// info` at 46 MB, and `predict` of one token on a GPT-2-small shape 42 MB above its weights
    /// (docs/benchmarks.md, "Memory estimates against runs").
    public static let programBytes = 64_000_000

    /// Bytes of the weights in memory.
    public let weights: Int
    /// Bytes of the program itself (``programBytes`` for an estimate of a model's run).
    public let program: Int
    /// Bytes of the activations at the peak.
    public let activations: Int
    /// `weights + program + activations`.
    public var total: Int { weights + program + activations }

    /// The estimate for `tokens` input positions of `model` under `profile`.
    public init(model: TransformerModel, tokens n: Int, profile: Profile) {
        let a = model.architecture
        let (d, dff, v, layers) = (a.dModel, a.dFF, max(a.vocabSize, 1), a.layers)
        let (qWidth, kvWidth, heads) = (a.heads * a.headDim, a.kvHeads * a.headDim, a.heads)
        // One layer's transient tensors [n, ·] (residuals, norms, q/k/v, z, gate/up/activation) and the logits.
        let rowWidth = 4 * d + qWidth + 2 * kvWidth + 3 * dff
        let layer = n * rowWidth
        let logits = n * v
        let floats: Int
        switch profile {
        case .forward:
            floats = layer + logits
        case .concurrentForwards(let count, let rows):
            floats = max(1, count) * (layer + heads * n * n) + logits + max(0, rows) * rowWidth
        case .cachedForward:
            // Every hook of every layer (about 10 [n, d]-wide and 4 [n, d_ff]-wide tensors, scores and
            // pattern [H, n, n]) plus the sweep's gradients for one layer at a time.
            let cachedLayer = n * (6 * d + 2 * qWidth + 2 * kvWidth + 4 * dff) + 2 * heads * n * n
            floats = layers * cachedLayer + 2 * cachedLayer + 2 * logits
        case .relevanceSweep(let checkpointing, let patternsKept, let available):
            // Stored: what the sweep keeps (Checkpointing.storedBytes); checkpointed: the layer
            // inputs and one layer's stored activations. Either way the sweep's gradients for one
            // layer (about twice its activations) and one row of logits.
            let stored = Checkpointing.storedBytes(a, length: n, patternsKept: patternsKept) / 4
            let oneLayer = stored / max(1, layers)
            let kept = checkpointing.isOn(storedBytes: 4 * stored, available: available) ? layers * n * d + oneLayer : stored
            floats = kept + 2 * oneLayer + 2 * v
        case .rollout(let kept, let flow):
            // The layer's transients, its scores and pattern [H, n, n], one fused [n, n] matrix per kept
            // layer, and the one being built with (--discard-ratio) the sorted order of its n² entries
            // as Ints and the sort's buffer (4 more floats an entry); one logit row, twice.
            // With flow, per non-zero weight an edge and its reverse: targets (Int), capacities and
            // the residual copy of each max-flow run (Double), two adjacency entries (Int) — 64
            // bytes, 16 floats — and as much again while the arrays grow by doubling.
            let edges = !flow ? 0 : a.mask == .causal ? n * (n + 1) / 2 : n * n
            floats = layer + 2 * heads * n * n + (max(1, kept) + 5) * n * n + 2 * v + 32 * max(1, kept) * edges
        case .attentionPatterns(let kept):
            floats = layer + logits + (max(0, kept) + 2) * heads * n * n
        case .lens(let states):
            floats = layer + logits + max(1, states) * n * d + 4 * min(n, LogitLens.positionChunk(vocabulary: v)) * v
        case .storedActivations(let perLayer, let rows):
            floats = layer + logits + max(1, perLayer) * layers * n * d + max(0, rows) * rowWidth
        }
        self.init(weights: model.weights.residentBytes, activations: 4 * floats, program: Self.programBytes)
    }

    /// An estimate from its parts (tests, or another estimator); `program` 0 unless given.
    public init(weights: Int, activations: Int, program: Int = 0) {
        self.weights = weights
        self.activations = activations
        self.program = program
    }

    /// The largest of the estimates of `profiles` for `tokens` positions of `model` (a command that
    /// runs several methods one after another holds one at a time); `.forward` when empty.
    public init(model: TransformerModel, tokens n: Int, largestOf profiles: [Profile]) {
        self = (profiles.isEmpty ? [.forward] : profiles).map { MemoryEstimate(model: model, tokens: n, profile: $0) }
            .max { $0.activations < $1.activations }!
    }

    /// Throws ``MemoryCheckError/wouldNotFit(needed:available:)`` when the estimate exceeds
    /// `available` bytes; `nil` (unknown, e.g. no `/proc/meminfo`) passes.
    public func check(available: Int?) throws {
        guard let available, total > available else { return }
        throw MemoryCheckError.wouldNotFit(needed: total, available: available)
    }
}
