import Foundation

/// How a forward pass computes attention (docs/methods.md §0.4).
///
/// The unblocked path holds the scores and the pattern of a layer whole, `[H, n, n]`; it is the
/// one that can fire `hook_attn_scores` and `hook_pattern`. The blocked path (`blockedAttention`)
/// walks `[B, C]` tiles (`B` query rows, `C` keys) with an online softmax and never holds more than one tile per worker, so
/// attention memory grows linearly in `n`. Both give the same `z` up to float rounding (1e-5
/// relative, Tests/GlassboxRuntimeTests/BlockedAttentionTests.swift).
public enum AttentionPath: Sendable, Equatable {
    /// Blocked, with `defaultBlockSize`, in every layer where no hook captures or edits the scores
    /// or the pattern and the input is longer than one block; unblocked elsewhere.
    case automatic
    /// Always the full `[H, n, n]` scores and pattern.
    case unblocked
    /// Always blocked, with blocks of `blockSize` query rows (and key tiles of
    /// `max(blockSize, attentionTileFloats / blockSize)`); a forward that needs the
    /// scores or pattern of a layer fails with `AttentionPathError.patternNeeded`.
    case blocked(blockSize: Int)

    /// The query block length `automatic` uses: a `[64, 1024]` tile (256 KiB) per worker.
    public static let defaultBlockSize = 64

    /// The blocked path with `defaultBlockSize`.
    public static let blocked = AttentionPath.blocked(blockSize: defaultBlockSize)

    /// The block length to use for a layer of `n` positions, or nil for the unblocked path.
    /// `patternNeeded`: a hook captures or edits that layer's scores or pattern.
    func blockSize(length n: Int, patternNeeded: Bool, layer: Int) throws -> Int? {
        switch self {
        case .unblocked: return nil
        case .automatic: return patternNeeded || n <= Self.defaultBlockSize ? nil : Self.defaultBlockSize
        case .blocked(let size):
            guard size > 0 else { throw AttentionPathError.invalidBlockSize(size) }
            if patternNeeded { throw AttentionPathError.patternNeeded(layer: layer) }
            return size
        }
    }
}

/// A forced attention path that cannot run.
public enum AttentionPathError: Error, LocalizedError, Equatable {
    /// `.blocked` was forced but a hook captures or edits the scores or pattern of `layer`.
    case patternNeeded(layer: Int)
    /// `.blocked(blockSize:)` with a block length below 1.
    case invalidBlockSize(Int)

    /// One line naming the problem.
    public var errorDescription: String? {
        switch self {
        case .patternNeeded(let layer):
            "blocked attention never holds the attention pattern, but a hook reads or edits layer \(layer)'s "
                + "scores or pattern; use the unblocked (or automatic) attention path"
        case .invalidBlockSize(let size): "the attention block size must be at least 1, got \(size)"
        }
    }
}
