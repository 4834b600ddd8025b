/// Whether a relevance sweep keeps every layer's activations from the forward or only each layer's
/// input, recomputing the layer's forward from it when the sweep reaches it (activation
/// checkpointing, Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost", §3 with one
/// segment per layer; docs/methods.md §2.3, "Checkpointing").
///
/// Kept: `O(L·n·(c·d + d_ff))` floats for all layers. Checkpointed: `L·n·d` floats of layer inputs
/// plus one layer's activations, at the price of a second forward through every block.
public enum Checkpointing: Sendable, Equatable {
    /// On for inputs of at least `threshold` positions.
    case automatic
    /// Always: keep only layer inputs.
    case on
    /// Never: keep every activation the sweep reads.
    case off

    /// The length from which `automatic` checkpoints (2,048 positions).
    public static let threshold = 2048

    /// Whether a sweep over `n` positions checkpoints.
    public func isOn(length n: Int) -> Bool {
        switch self {
        case .automatic: n >= Self.threshold
        case .on: true
        case .off: false
        }
    }
}
