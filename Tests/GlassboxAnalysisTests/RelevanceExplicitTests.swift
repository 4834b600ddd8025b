import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Efficient ≡ explicit (docs/methods.md §2.9 item 2): AttnLRP's `x ⊙ modified gradient` through one
/// attention block equals the paper's explicit relevance rules (Achtibat et al., ICML 2024: ε-LRP
/// with ε → 0 on the projections, bias absorbing; Prop. 3.3 matmul rule with the uniform ½ split;
/// Prop. 3.1 for the softmax), computed here in fp64 from the cached activations.
final class RelevanceExplicitTests: XCTestCase {
    func testAttentionBlockEfficientEqualsExplicit() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let arch = model.architecture
        let ids = try Fixtures.golden("gpt2-tiny", "short").inputIDs
        let forward = try model.forward(ids, capture: .all)
        let cache = forward.cache
        let (n, d, H, dh, l) = (ids.count, arch.dModel, arch.heads, arch.headDim, 1)
        let w = model.weights.blocks[l].attention
        let scale = Double(arch.attentionScale(layer: l))
        var rng = SplitMix64(seed: 9)
        let gOut = rng.tensor([n, d])

        // Efficient: the sweep's attention backward, then R_x = x ⊙ g_x.
        var sweep = ReverseSweep(model: model, cache: cache, table: .attnLRP, length: n)
        let gX = try sweep.attentionBackward(layer: l, gOut)
        let x = try sweep.attentionInput(layer: l)
        let efficient = (0..<(n * d)).map { Double(x.storage[$0] * gX.storage[$0]) }

        // Explicit, fp64.
        let out = cache[.block(l, .attnOut)]!, q = cache[.block(l, .q)]!, k = cache[.block(l, .k)]!
        let v = cache[.block(l, .v)]!, z = cache[.block(l, .z)]!, pattern = cache[.block(l, .pattern)]!
        let scores = cache[.block(l, .attnScores)]!
        func D(_ t: Tensor, _ i: Int...) -> Double { Double(t.storage[t.flatIndex(i)]) }
        // 1. output projection, ε-rule (ε → 0), bias in the denominator: R_z [n, H·dh]
        var rz = [[Double]](repeating: [Double](repeating: 0, count: H * dh), count: n)
        for t in 0..<n {
            for j in 0..<d {
                let r = D(out, t, j) * Double(gOut[t, j])
                for i in 0..<(H * dh) {
                    rz[t][i] += D(z, t, i / dh, i % dh) * Double(w.output.element(input: i, output: j)) * r / D(out, t, j)
                }
            }
        }
        var rq = [[Double]](repeating: [Double](repeating: 0, count: H * dh), count: n)
        var rk = rq, rv = rq
        for h in 0..<H {
            // 2. O = A·v (Prop. 3.3, uniform ½): R_A, R_v
            var ra = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for i in 0..<n {
                for p in 0..<dh {
                    let share = rz[i][h * dh + p] / (2 * D(z, i, h, p))
                    for j in 0..<n {
                        let c = D(pattern, h, i, j) * D(v, j, h, p) * share
                        ra[i][j] += c
                        rv[j][h * dh + p] += c
                    }
                }
            }
            // 3. softmax (Prop. 3.1) with masked scores set to 0; 4. S = scale·q·kᵀ (Prop. 3.3, ½ each)
            for i in 0..<n {
                let total = ra[i].reduce(0, +)
                for j in 0...i {                                          // causal: masked entries carry nothing
                    let s = D(scores, h, i, j)
                    let rs = s * (ra[i][j] - D(pattern, h, i, j) * total)
                    for c in 0..<dh {
                        let contribution = scale * D(q, i, h, c) * D(k, j, h, c) * rs / (2 * s)
                        rq[i][h * dh + c] += contribution
                        rk[j][h * dh + c] += contribution
                    }
                }
            }
        }
        // 5. q, k, v projections, ε-rule with the bias in the denominator.
        var explicit = [Double](repeating: 0, count: n * d)
        for (linear, r, activation) in [(w.query, rq, q), (w.key, rk, k), (w.value, rv, v)] {
            for t in 0..<n {
                for c in 0..<(H * dh) {
                    let y = D(activation, t, c / dh, c % dh)
                    for i in 0..<d {
                        explicit[t * d + i] += Double(x[t, i]) * Double(linear.element(input: i, output: c)) * r[t][c] / y
                    }
                }
            }
        }
        let scaleMax = explicit.map(abs).max() ?? 1
        for i in 0..<(n * d) {
            XCTAssertEqual(efficient[i], explicit[i], accuracy: 1e-4 * scaleMax, "R_x[\(i / d), \(i % d)]")
        }
    }
}
