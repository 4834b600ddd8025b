import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The plain gradient of the reverse sweep against central finite differences (Richardson
/// extrapolated), and the rule kernels against their explicit LRP formulas (docs/methods.md §2.9 item 1).
final class RelevanceGradientTests: XCTestCase {
    /// `d f(x ⊙ (1 + ε·e_t)) / dε` at 0 is `Σ_k x[t, k]·∂f/∂x[t, k]`: the gradient × input of row t.
    static func directional(_ f: (Float) throws -> Float, h: Float = 0.02) throws -> Float {
        let d1 = (try f(1 + h) - f(1 - h)) / (2 * h)
        let d2 = (try f(1 + h / 2) - f(1 - h / 2)) / h
        return (4 * d2 - d1) / 3
    }

    /// Gradient × input of every token, position and token-type row against finite differences of
    /// the logit, with the row scaled through an intervention at its hook.
    func testPlainGradientMatchesFiniteDifferences() throws {
        // (Not bert-cls: its ReLU kinks defeat finite differences at any useful step.)
        for name in ["gpt2-tiny", "gpt2-odd", "bert-tiny-mlm", "llama-gqa", "qwen2-swa"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let ids = try Fixtures.golden(name, "short").inputIDs
            let position = model.architecture.head == .maskedLanguageModel ? (ids.firstIndex(of: 4) ?? 0) : nil
            let r = try Relevance.explain(model, .tokens(ids, types: nil), target: .top(position: position),
                                          options: .init(method: .gradientTimesInput))
            let (id, p) = (r.target.ids[0], r.target.position)
            func logit(_ point: HookPoint, row t: Int, scale s: Float) throws -> Float {
                let edit = Interventions(point) { _, x in
                    var y = x
                    for j in 0..<x.shape[1] { y[t, j] *= s }
                    return y
                }
                let out = try model.forward(ids, interventions: edit, logitRows: .positions([p]))
                return out.logits![0, id]
            }
            var pairs: [(HookPoint, [Float])] = [(.embed, r.tokens)]
            if let positions = r.positions { pairs.append((.posEmbed, positions)) }
            if let types = r.tokenTypes { pairs.append((.tokenTypeEmbed, types)) }
            for (point, ours) in pairs {
                let fd = try (0..<ids.count).map { t in try Self.directional { try logit(point, row: t, scale: $0) } }
                let (relative, _) = RelevanceMetrics.compare(ours, fd)
                XCTAssertLessThanOrEqual(relative, 2e-3, "\(name) \(point.name): ours \(ours) vs finite differences \(fd)")
            }
        }
    }

    /// Vision: the pixel relevance of each patch (and the [CLS] row) against finite differences of
    /// the class logit with that patch's pixels scaled.
    func testPlainGradientMatchesFiniteDifferencesOnViT() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("vit-tiny"))
        let geometry = try XCTUnwrap(model.architecture.image)
        let pixels = try Fixtures.golden("vit-tiny", "image").tensor("pixel_values")
        let r = try Relevance.explain(model, .pixels(pixels), options: .init(method: .gradientTimesInput))
        let id = r.target.ids[0]
        let patches = ReverseSweep.unfold(pixels, geometry)
        func logit(patch: Int, scale s: Float) throws -> Float {
            var scaled = patches
            for j in 0..<scaled.shape[1] { scaled[patch, j] *= s }
            return try model.forward(.pixels(Self.fold(scaled, geometry))).logits![0, id]
        }
        let fd = try (0..<geometry.patchCount).map { p in try Self.directional { try logit(patch: p, scale: $0) } }
        let (relative, pearson) = RelevanceMetrics.compare(Array(r.tokens.dropFirst()), fd)
        XCTAssertLessThanOrEqual(relative, 2e-3, "patches: \(r.tokens.dropFirst()) vs \(fd)")
        XCTAssertGreaterThan(pearson ?? 0, 0.9999)
    }

    /// Inverse of `ReverseSweep.unfold` (pixels, not a channel sum).
    static func fold(_ patches: Tensor, _ g: ImageGeometry) -> Tensor {
        var out = Tensor.zeros([g.channels, g.height, g.width])
        var o = 0
        for gy in 0..<g.gridRows {
            for gx in 0..<g.gridColumns {
                for c in 0..<g.channels {
                    for y in 0..<g.patchSize {
                        for x in 0..<g.patchSize { out[c, gy * g.patchSize + y, gx * g.patchSize + x] = patches.storage[o + x] }
                        o += g.patchSize
                    }
                }
            }
        }
        return out
    }

    /// ∂logit/∂A (the true attention gradient Chefer's methods weight by) against finite differences
    /// of single pattern entries edited through an intervention (docs/methods.md §3.5).
    func testAttentionGradientMatchesFiniteDifferences() throws {
        for name in ["gpt2-tiny", "llama-gqa", "bert-cls"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let ids = try Fixtures.golden(name, "short").inputIDs
            let arch = model.architecture
            let n = ids.count
            let position = arch.mask == .causal ? n - 1 : 0
            let forward = try model.forward(ids, capture: ReverseSweep.capture(arch, .gradientTimesInput), logitRows: .positions([position]))
            var sweep = ReverseSweep(model: model, cache: forward.cache, table: .gradientTimesInput, length: n)
            let box = TensorBox()
            sweep.attentionObserver = { l, h, _, gA in box.values[l * arch.heads + h] = gA }
            let (g, explained) = try sweep.headBackward(.top(), position: position, forward: forward)
            _ = try sweep.blocksBackward(g)
            for (l, h, i, j) in [(0, 1, n - 1, 0), (arch.layers - 1, 0, position, 1), (0, arch.heads - 1, 2, 1)] {
                let gA = try XCTUnwrap(box.values[l * arch.heads + h])
                let fd = try Self.directional { s in
                    let edit = Interventions(.block(l, .pattern)) { _, a in
                        var b = a
                        b[h, i, j] += (s - 1)
                        return b
                    }
                    let out = try model.forward(ids, interventions: edit, logitRows: .positions([position]))
                    return out.logits![0, explained.ids[0]]
                }
                let scale = gA.storage.map(abs).max() ?? 1
                XCTAssertEqual(gA[i, j], fd, accuracy: 2e-3 * scale, "\(name) layer \(l) head \(h) A[\(i), \(j)]")
            }
        }
    }

    // MARK: - rule kernels

    /// Softmax under gradient × input equals AttnLRP Prop. 3.1, `R_x,i = x_i·(R_i − s_i·Σ_j R_j)`.
    func testSoftmaxRuleMatchesProposition31() {
        var rng = SplitMix64(seed: 7)
        let n = 9
        let x = Tensor(shape: [1, n], storage: (0..<n).map { _ in rng.uniform(-3...3) })
        var s = x
        softmaxLastDim(&s)
        let gOut = Tensor(shape: [1, n], storage: (0..<n).map { _ in rng.uniform(-1...1) })
        var g = gOut
        ReverseSweep.softmaxBackward(pattern: s, into: &g)
        let rOut = (0..<n).map { s.storage[$0] * gOut.storage[$0] }
        let total = rOut.reduce(0, +)
        for i in 0..<n {
            XCTAssertEqual(x.storage[i] * g.storage[i], x.storage[i] * (rOut[i] - s.storage[i] * total), accuracy: 1e-5)
        }
    }

    /// Identity rule: `x ⊙ (g ⊙ φ(x)/x) = φ(x) ⊙ g`, i.e. `R_in = R_out`, for every activation.
    func testIdentityRulePassesRelevanceUnchanged() {
        var rng = SplitMix64(seed: 3)
        let count = 1000
        let x = Tensor(shape: [count], storage: (0..<count).map { _ in rng.uniform(-6...6) })
        let g = Tensor(shape: [count], storage: (0..<count).map { _ in rng.uniform(-1...1) })
        for activation in Activation.allCases {
            var gIn = g
            ActivationRules.apply(.model(activation), rule: .identity, x: x, to: &gIn)
            var y = x
            activation.apply(&y)
            for i in 0..<count {
                XCTAssertEqual(x.storage[i] * gIn.storage[i], y.storage[i] * g.storage[i],
                               accuracy: 2e-6 * max(1, abs(y.storage[i])), "\(activation) at x = \(x.storage[i])")
            }
        }
    }

    /// The activations' `.gradient` rule against central differences of the forward kernels.
    func testActivationDerivatives() {
        let xs: [Float] = [-4, -1.3, -0.2, 0.1, 0.7, 2.5]
        for activation in Activation.allCases where activation != .relu {
            var g = Tensor(shape: [xs.count], repeating: 1)
            ActivationRules.apply(.model(activation), rule: .gradient, x: Tensor(shape: [xs.count], storage: xs), to: &g)
            for (i, x) in xs.enumerated() {
                func f(_ v: Float) -> Float { var t = Tensor(shape: [1], storage: [v]); activation.apply(&t); return t.storage[0] }
                let fd = (f(x + 1e-2) - f(x - 1e-2)) / 2e-2
                XCTAssertEqual(g.storage[i], fd, accuracy: 2e-3, "\(activation)'(\(x))")
            }
        }
    }

    /// LayerNorm with σ frozen (efficient) equals the explicit rules: identity through γ and 1/σ,
    /// ε-rule (ε → 0) through the centring `x − mean(x)`, β absorbing (docs/methods.md §2.2b).
    func testFrozenLayerNormMatchesExplicitRules() {
        var rng = SplitMix64(seed: 11)
        let d = 16
        let x = Tensor(shape: [1, d], storage: (0..<d).map { _ in rng.uniform(-2...2) })
        let gamma = Tensor(shape: [d], storage: (0..<d).map { _ in rng.uniform(0.5...1.5) })
        let beta = Tensor(shape: [d], storage: (0..<d).map { _ in rng.uniform(-0.1...0.1) })
        let norm = Norm(kind: .layerNorm(eps: 1e-5), weight: gamma, bias: beta)
        let (xhat, scale) = layerNormalize(x, eps: 1e-5)
        let y = affine(xhat, gamma: gamma, beta: beta)
        let gy = Tensor(shape: [1, d], storage: (0..<d).map { _ in rng.uniform(-1...1) })
        let gx = NormRules.backward(norm, gy, normalized: { xhat }, scale: scale, rule: .frozenStatistics)
        // explicit: R_y → R_c = (γx̂/y)·R_y through β's add, identity through γ, 1/σ; centring by ε-rule.
        let mean = x.storage.reduce(0.0) { $0 + Double($1) } / Double(d)
        let c = x.storage.map { Double($0) - mean }
        let rc = (0..<d).map { Double(gamma.storage[$0] * xhat.storage[$0]) / Double(y.storage[$0]) * Double(y.storage[$0] * gy.storage[$0]) }
        let ratio = (0..<d).map { rc[$0] / c[$0] }
        let meanRatio = ratio.reduce(0, +) / Double(d)
        for i in 0..<d {
            let explicit = Double(x.storage[i]) * (ratio[i] - meanRatio)
            XCTAssertEqual(Double(x.storage[i] * gx.storage[i]), explicit, accuracy: 1e-4 * max(1, abs(explicit)))
        }
    }

    /// Gamma rule: γ = 0 is LRP-0 (the gradient, up to zennit's stabilisers), and with zero bias
    /// it conserves `Σ R_in = Σ R_out` for any γ.
    func testGammaRule() {
        var rng = SplitMix64(seed: 5)
        let (m, inputs, outputs) = (3, 7, 5)
        func random(_ shape: [Int]) -> Tensor { rng.tensor(shape) }
        let x = random([m, inputs]), g = random([m, outputs])
        let weight = random([outputs, inputs])
        let plain = Linear(weight: weight, layout: .outIn, bias: nil)
        let lrp0 = LinearRules.gammaBackward(plain, g, gamma: 0, input: x)
        assertClose(lrp0, matmul(g, weight), tolerance: 1e-3, "gamma 0 = gradient")
        for gamma: Float in [0.25, 1, 100] {
            let gIn = LinearRules.gammaBackward(plain, g, gamma: gamma, input: x)
            let z = matmul(x, weight, transposeB: true)
            let rOut = zip(z.storage, g.storage).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            let rIn = zip(x.storage, gIn.storage).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            XCTAssertEqual(rIn, rOut, accuracy: 1e-4 * max(1, abs(rOut)), "gamma \(gamma)")
        }
    }

    /// `gemm(transposeA:)` (added for the sweep's `Aᵀ·G` products) against the naive product.
    func testGemmWithTransposedA() {
        var rng = SplitMix64(seed: 1)
        for (m, n, k) in [(1, 4, 3), (5, 3, 7), (6, 6, 1)] {
            let a = Tensor(shape: [k, m], storage: (0..<(k * m)).map { _ in rng.uniform(0...1) })
            let b = Tensor(shape: [k, n], storage: (0..<(k * n)).map { _ in rng.uniform(0...1) })
            var c = Tensor.zeros([m, n])
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: m, transposeA: true, b: bp.baseAddress!, ldb: n,
                             transposeB: false, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            let reference = NaiveKernels.matmul(CheferSweep.transposed(a), b, transposeB: false, bias: nil)
            assertClose(c, reference, tolerance: 1e-5, "Aᵀ·B \(m)×\(n)×\(k)")
        }
    }
}
