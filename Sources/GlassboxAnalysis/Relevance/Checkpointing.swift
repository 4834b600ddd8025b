import GlassboxRuntime

/// Whether a relevance sweep keeps every layer's activations from the forward or only each layer's
/// input, recomputing the layer's forward from it when the sweep reaches it (activation
/// checkpointing, Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost", §3 with one
/// segment per layer; docs/methods.md §2.3, "Checkpointing").
///
/// Kept: `O(L·n·(c·d + d_ff))` floats for all layers. Checkpointed: `L·n·d` floats of layer inputs
/// plus one layer's activations, at the price of a second forward through every block (about a
/// fifth more time). The scores are bitwise the same either way.
public enum Checkpointing: Sendable, Equatable {
    /// On when the activations a stored sweep would keep (``storedBytes(_:length:patternsKept:)``)
    /// exceed ``storedBudget(available:)``.
    case automatic
    /// Always: keep only layer inputs.
    case on
    /// Never: keep every activation the sweep reads.
    case off

    /// The most a stored sweep may keep before `automatic` checkpoints: a quarter of the memory
    /// available (`MemAvailable`) and at most 4 GiB (4 GiB when the available memory is unknown).
    public static func storedBudget(available: Int?) -> Int {
        min(4 << 30, (available ?? .max) / 4)
    }

    /// Bytes a sweep keeps from the forward when it stores every activation it reads:
    /// `4·L·n·(d + 2·H·d_h + 2·H_kv·d_h + d_ff')` with `d_ff'` = `d_ff` (twice for gated MLPs, times
    /// the experts per token for mixtures), plus `4·L·2·H·n²` when the attention patterns are kept
    /// (the unblocked path). docs/methods.md §2.3, the memory table.
    public static func storedBytes(_ arch: Architecture, length n: Int, patternsKept: Bool) -> Int {
        let mlpWidth = Double(arch.dFF) * (arch.mlp == .gated ? 2 : 1) * Double(max(1, arch.experts?.topK ?? 1))
        let perPosition = Double(arch.dModel + 2 * arch.heads * arch.headDim + 2 * arch.kvHeads * arch.headDim) + mlpWidth
        var floats = Double(arch.layers) * Double(n) * perPosition
        if patternsKept { floats += Double(arch.layers) * 2 * Double(arch.heads) * Double(n) * Double(n) }
        return floats * 4 >= Double(Int.max) ? .max : Int(floats * 4)
    }

    /// Whether a sweep whose stored activations would take `storedBytes` checkpoints, with
    /// `available` bytes free (`nil`: unknown).
    public func isOn(storedBytes: Int, available: Int?) -> Bool {
        switch self {
        case .automatic: storedBytes > Self.storedBudget(available: available)
        case .on: true
        case .off: false
        }
    }
}

extension RelevanceOptions {
    /// Whether a sweep over `n` positions of `arch` with these options checkpoints, given the
    /// memory available now shared by `concurrentSweeps` sweeps running at once.
    func checkpoints(_ arch: Architecture, length n: Int, concurrentSweeps: Int = 1) -> Bool {
        checkpointing.isOn(storedBytes: Checkpointing.storedBytes(arch, length: n, patternsKept: attention == .unblocked),
                           available: AvailableMemory.current().map { $0 / max(1, concurrentSweeps) })
    }
}
