import Foundation
import Glassbox

/// The weight products of one relevance explanation of the last position and nothing else, as
/// Glassbox's sweep runs them: for every block, the forward's linear maps `Y = X·Wᵀ` (`X [n, d_in]`,
/// `W [d_out, d_in]`) and the backward's `G_X = G_Y·W` to the inputs on `n` rows — except the top
/// block's backward, where only the explained row has a gradient (`LinearRules.sparseRows`): one row
/// through every map, plus the keys' and values' rows of all `n` positions. Through the same `gemm`
/// the runtime calls; no attention products, norms, activations or rules: the time the explanation
/// needs at least while it multiplies through OpenBLAS's sgemm, the floor under
/// `glassbox-bench relevance` (docs/benchmarks.md). A reference that runs the top block's backward
/// on every row (LXT) has more products than this.
enum ExplanationProducts {
    /// `(inputs, outputs)` of each linear map of one block: fused QKV (or q, k, v), output, MLP in
    /// (gate and up side by side when gated) and down.
    static func shapes(_ arch: Architecture) -> [(Int, Int)] {
        let q = arch.heads * arch.headDim, kv = arch.kvHeads * arch.headDim
        let mlpIn = arch.mlp == .gated ? 2 * arch.dFF : arch.dFF
        return [(arch.dModel, q + 2 * kv), (q, arch.dModel), (arch.dModel, mlpIn), (arch.dFF, arch.dModel)]
    }

    /// The backward products of a block as `(rows, d_in, d_out, first output)`: the map's `G_Y`
    /// columns `first..<first+d_out` times those rows of `W`. Every map on `n` rows, or, for the top
    /// block, every map on one row plus the QKV map's key and value columns on `n` rows.
    static func backward(_ arch: Architecture, rows: Int, top: Bool) -> [(rows: Int, dIn: Int, dOut: Int, first: Int)] {
        let maps = shapes(arch).map { (rows: top ? 1 : rows, dIn: $0.0, dOut: $0.1, first: 0) }
        guard top, rows > 1 else { return maps }
        let q = arch.heads * arch.headDim, kv = arch.kvHeads * arch.headDim
        return maps + [(rows: rows - 1, dIn: arch.dModel, dOut: 2 * kv, first: q)]
    }

    /// Floating-point operations of the products: `2·rows·d_in·d_out` per product, forward and
    /// backward.
    static func flops(_ arch: Architecture, rows: Int) -> Double {
        var multiplyAdds = 0.0
        for layer in 0..<arch.layers {
            for (dIn, dOut) in shapes(arch) { multiplyAdds += Double(rows * dIn * dOut) }
            for product in backward(arch, rows: rows, top: layer == arch.layers - 1) {
                multiplyAdds += Double(product.rows * product.dIn * product.dOut)
            }
        }
        return 2 * multiplyAdds
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
                    let products = backward(arch, rows: rows, top: layer == arch.layers - 1)
                    for (map, product) in products.enumerated().reversed() {
                        // The extra key/value product reads the QKV map's weight (map 0).
                        weights[layer][map < shapes.count ? map : 0].withUnsafeBufferPointer { wp in
                            gemm(m: product.rows, n: product.dIn, k: product.dOut, a: xp.baseAddress!, lda: product.dOut,
                                 b: wp.baseAddress! + product.first * product.dIn, ldb: product.dIn,
                                 transposeB: false, c: yp.baseAddress!, ldc: product.dIn)
                        }
                    }
                }
            } }
        }
        return Timing.median(times)
    }
}
