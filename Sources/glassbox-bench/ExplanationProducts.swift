import Foundation
import Glassbox

/// The weight products of one relevance explanation and nothing else: for every block, the forward's
/// linear maps `Y = X·Wᵀ` (`X [n, d_in]`, `W [d_out, d_in]`) and the backward's `G_X = G_Y·W` to the
/// inputs, on `n` rows, through the same `gemm` the runtime calls. No attention products, norms,
/// activations or rules: the time any implementation that multiplies through OpenBLAS's sgemm
/// needs at least, the floor under `glassbox-bench relevance` (docs/benchmarks.md).
enum ExplanationProducts {
    /// `(inputs, outputs)` of each linear map of one block: fused QKV (or q, k, v), output, MLP in
    /// (gate and up side by side when gated) and down.
    static func shapes(_ arch: Architecture) -> [(Int, Int)] {
        let q = arch.heads * arch.headDim, kv = arch.kvHeads * arch.headDim
        let mlpIn = arch.mlp == .gated ? 2 * arch.dFF : arch.dFF
        return [(arch.dModel, q + 2 * kv), (q, arch.dModel), (arch.dModel, mlpIn), (arch.dFF, arch.dModel)]
    }

    /// Floating-point operations of the products: `2·n·d_in·d_out` per map, twice (forward and
    /// backward), for every block.
    static func flops(_ arch: Architecture, rows: Int) -> Double {
        2 * 2 * Double(arch.layers) * shapes(arch).reduce(0) { $0 + Double(rows * $1.0 * $1.1) }
    }

    /// Median seconds of the products of `arch.layers` blocks on `rows` rows (random weights of the
    /// model's shapes; each block its own, so nothing stays in cache between blocks that would
    /// not in the model).
    static func time(_ arch: Architecture, rows: Int, warmup: Int, repeats: Int) -> Double {
        var rng = SplitMix64(seed: 1)
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.next() % 2001) / 1000 - 1 } }
        let shapes = shapes(arch)
        let weights = (0..<arch.layers).map { _ in shapes.map { random($0.0 * $0.1) } }   // [d_out, d_in] each
        let widest = shapes.map { max($0.0, $0.1) }.max()!
        let x = random(rows * widest)
        var y = [Float](repeating: 0, count: rows * widest)
        let times = Timing.measure(warmup: warmup, repeats: repeats) {
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                for layer in weights.indices {
                    for (w, (dIn, dOut)) in zip(weights[layer], shapes) {
                        w.withUnsafeBufferPointer { wp in
                            gemm(m: rows, n: dOut, k: dIn, a: xp.baseAddress!, lda: dIn, b: wp.baseAddress!, ldb: dIn,
                                 transposeB: true, c: yp.baseAddress!, ldc: dOut)
                        }
                    }
                }
                for layer in weights.indices.reversed() {
                    for (w, (dIn, dOut)) in zip(weights[layer], shapes).reversed() {
                        w.withUnsafeBufferPointer { wp in
                            gemm(m: rows, n: dIn, k: dOut, a: xp.baseAddress!, lda: dOut, b: wp.baseAddress!, ldb: dIn,
                                 transposeB: false, c: yp.baseAddress!, ldc: dIn)
                        }
                    }
                }
            } }
        }
        return Timing.median(times)
    }
}
