import Foundation

/// Soft-capping in place (Gemma 2's attention and final logits; Gemma Team 2024, "Gemma 2", §2):
/// every entry `x` of `values` (any shape) becomes `cap · tanh(x / cap)`, computed in that order as
/// `transformers` does, so values stay inside `(−cap, cap)`. `cap` must be positive.
public func softCap(_ values: inout Tensor, _ cap: Float) {
    precondition(cap > 0, "softCap: the cap must be positive, got \(cap)")
    values.withUnsafeMutableBufferPointer { buf in
        for i in buf.indices { buf[i] = tanhf(buf[i] / cap) * cap }
    }
}

/// `cap · tanh(x / cap)` for one value (the per-row form of `softCap` the blocked and suffix
/// attention kernels use).
@inlinable
public func softCapped(_ x: Float, _ cap: Float) -> Float { tanhf(x / cap) * cap }
