import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// FFN key-value memories (Geva et al. 2021, 2022; docs/methods.md §6 and the checks of §6.5).
final class MemoriesTests: XCTestCase {
    static let families = ["gpt2-odd", "llama-gqa", "llama-rope-linear", "bert-tiny-mlm", "vit-tiny"]

    private func input(_ name: String) throws -> ModelInput {
        let golden = try Fixtures.goldenCases(name).first { $0.name == "full" || $0.name == "image" }!
        let g = try Golden(url: golden.file)
        return g.file.entry("pixel_values") != nil ? .pixels(try g.tensor("pixel_values")) : .tokens(g.inputIDs, types: nil)
    }

    /// §6.5 reconstruction: `Σ_i m_i·v_i + b_out` equals `hook_mlp_out` at every position of every
    /// layer (≤ 1e-5 relative to the output's scale), for GPT-2 Conv1D, gated Llama (with and without
    /// an MLP bias), BERT and ViT.
    func testSubUpdatesReconstructTheFFNOutput() throws {
        for name in Self.families {
            let model = try LensFixtures.model(name)
            let L = model.architecture.layers
            let cache = try model.forward(try input(name), capture: .points((0..<L).flatMap { [.block($0, .mlpPost), .block($0, .mlpOut)] })).cache
            for l in 0..<L {
                let post = cache[.block(l, .mlpPost)]!, out = cache[.block(l, .mlpOut)]!
                let scale = max(1, out.storage.map(abs).max()!)
                for p in 0..<post.shape[0] {
                    let rebuilt = try FFNMemories.reconstruct(model, layer: l, coefficients: post.row(p).storage)
                    assertClose(Tensor(shape: [rebuilt.count], storage: rebuilt), out.row(p), tolerance: 1e-5 * scale, "\(name) layer \(l) position \(p)")
                }
            }
        }
    }

    /// §6.5 linearity: `Σ_i m_i·(E·v_i) = E·(FFN_out − b_out)` (≤ 1e-4).
    func testSubUpdatesAreLinearInVocabularySpace() throws {
        for name in Self.families {
            let model = try LensFixtures.model(name)
            let space = try EmbeddingSpace.resolve(model)
            let l = model.architecture.layers - 1
            let cache = try model.forward(try input(name), capture: .points([.block(l, .mlpPost), .block(l, .mlpOut)])).cache
            let post = cache[.block(l, .mlpPost)]!, out = cache[.block(l, .mlpOut)]!
            let values = try (0..<model.architecture.dFF).map { try FFNMemories.value(model, layer: l, neuron: $0) }
            let valueLogits = matmul(Tensor(shape: [values.count, values[0].count], storage: Array(values.joined())),
                                     space.writers, transposeB: true)                       // [dff, V]
            var withoutBias = out
            if let bias = model.weights.blocks[l].mlp.output.bias { addRowInPlace(&withoutBias, Tensor(shape: [bias.count], storage: bias.storage.map { -$0 })) }
            assertClose(matmul(post, valueLogits), matmul(withoutBias, space.writers, transposeB: true), tolerance: 1e-4, "\(name) layer \(l)")
        }
    }

    /// §6.5 intervention sanity: setting `m_i = 0` at one position (post-activation, or the
    /// pre-activation to 0, since GELU(0) = ReLU(0) = SiLU(0) = 0) changes that layer's FFN output by
    /// exactly `−m_i·v_i` there and nowhere else.
    func testZeroingACoefficientRemovesItsSubUpdate() throws {
        for name in ["gpt2-odd", "llama-gqa", "bert-tiny-mlm", "bert-cls"] {
            let model = try LensFixtures.model(name)
            guard case .tokens(let ids, _) = try input(name) else { continue }
            let (l, i, p) = (1, 5, ids.count / 2)
            let points: [HookPoint] = [.block(l, .mlpPost), .block(l, .mlpOut)]
            let clean = try model.forward(ids, capture: .points(points)).cache
            let m = clean[.block(l, .mlpPost)]![p, i]
            let v = try FFNMemories.value(model, layer: l, neuron: i)
            var expected = clean[.block(l, .mlpOut)]!
            for j in 0..<v.count { expected[p, j] -= m * v[j] }
            XCTAssertNotEqual(m, 0)
            for site in [BlockSite.mlpPost, .mlpPre] {
                let edited = try model.forward(ids, capture: .points(points), interventions: Interventions(.block(l, site)) { _, t in
                    var t = t
                    t[p, i] = 0
                    return t
                }).cache
                assertClose(edited[.block(l, .mlpOut)]!, expected, tolerance: 1e-5, "\(name) \(site) [\(p), \(i)] = 0")
            }
        }
    }

    /// Dominant sub-updates: `|m|·‖v‖` against the numpy reference at the last position (top 10 per
    /// layer, ≤ 1e-4), best first, with the tokens each promotes (`m·(E·v)`, sign-aware).
    func testDominantSubUpdates() throws {
        for name in LensFixtures.models {
            let model = try LensFixtures.model(name)
            let (_, reference, input) = try LensFixtures.cases(name)[0]
            let expected = try reference.tensor("subupdate_scores")              // [L, dff] (mixture: [L, E·dff])
            XCTAssertEqual(expected.shape[1], FFNMemories.neuronCount(model), name)
            let result = try FFNMemories.dominantSubUpdates(model, input, count: 10, tokensPerUpdate: 4)
            let space = try EmbeddingSpace.resolve(model)
            XCTAssertEqual(result.layers.map(\.layer), Array(0..<model.architecture.layers))
            for layer in result.layers {
                let scores = expected.row(layer.layer).storage
                let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
                LensFixtures.assertRanking(layer.updates.map(\.neuron), layer.updates.map(\.score),
                                           expectedIDs: Array(order.prefix(10)), expectedScores: order.prefix(10).map { scores[$0] },
                                           tolerance: 1e-4, "\(name) layer \(layer.layer)")
                for update in layer.updates {
                    XCTAssertEqual(update.score, abs(update.coefficient) * update.valueNorm, accuracy: 1e-5)
                    let v = try FFNMemories.value(model, layer: layer.layer, neuron: update.neuron)
                    let promoted = matmul(Tensor(shape: [1, v.count], storage: v.map { $0 * update.coefficient }), space.writers, transposeB: true).storage
                    let best = VocabularyTopK.select(promoted, k: 4)
                    XCTAssertEqual(update.tokens.map(\.id), best.map(\.id), "\(name) neuron \(update.neuron) (m = \(update.coefficient))")
                    for (token, b) in zip(update.tokens, best) { XCTAssertEqual(token.score, b.score, accuracy: 1e-4) }
                }
            }
        }
    }

    /// A mixture of experts (Mixtral, docs/methods.md §6.1): with coefficients = each expert's
    /// `hook_post` times its routing weight (expert-major, `e·dff + i`), the sub-updates of all
    /// experts' neurons sum to `hook_mlp_out` at every position of every layer (≤ 1e-5 relative to
    /// the output's scale); zeroing one chosen expert neuron's `hook_post` removes exactly its
    /// sub-update; unchosen experts' coefficients are 0.
    func testMixtureSubUpdatesReconstructTheBlockOutput() throws {
        let model = try LensFixtures.model("mixtral-moe")
        let experts = try XCTUnwrap(model.architecture.experts)
        let (L, dff) = (model.architecture.layers, model.architecture.dFF)
        XCTAssertEqual(FFNMemories.neuronCount(model), experts.count * dff)
        guard case .tokens(let ids, _) = try input("mixtral-moe") else { return XCTFail("a text model") }
        let points = (0..<L).flatMap { FFNMemories.coefficientPoints(model, layer: $0) + [.block($0, .mlpOut)] }
        let cache = try model.forward(ids, capture: .points(points)).cache
        for l in 0..<L {
            let m = try FFNMemories.coefficients(model, cache: cache, layer: l), out = cache[.block(l, .mlpOut)]!
            XCTAssertEqual(m.shape, [ids.count, experts.count * dff])
            let scale = max(1, out.storage.map(abs).max()!)
            let chosen = cache[.block(l, .expertIndices)]!
            for p in 0..<ids.count {
                let rebuilt = try FFNMemories.reconstruct(model, layer: l, coefficients: m.row(p).storage)
                assertClose(Tensor(shape: [rebuilt.count], storage: rebuilt), out.row(p), tolerance: 1e-5 * scale, "layer \(l) position \(p)")
                let routed = Set((0..<experts.topK).map { Int(chosen[p, $0]) })
                for e in 0..<experts.count where !routed.contains(e) {
                    XCTAssertTrue((0..<dff).allSatisfy { m[p, e * dff + $0] == 0 }, "layer \(l) position \(p) expert \(e)")
                }
            }
        }
        // Zeroing expert e's neuron i at a routed position removes m·v there, v = column i of e's w2.
        let (l, p) = (1, ids.count - 1)
        let e = Int(cache[.block(l, .expertIndices)]![p, 0]), i = 3
        let neuron = e * dff + i
        XCTAssertEqual(FFNMemories.locate(model, neuron: neuron), MemoryNeuron(expert: e, index: i))
        XCTAssertEqual(FFNMemories.locate(model, neuron: neuron).label, "expert \(e), neuron \(i)")
        let coefficient = try FFNMemories.coefficients(model, cache: cache, layer: l)[p, neuron]
        XCTAssertNotEqual(coefficient, 0)
        let v = try FFNMemories.value(model, layer: l, neuron: neuron)
        let w2 = try XCTUnwrap(model.weights.blocks[l].mlp.mixture).experts[e].output
        XCTAssertEqual(v, w2.weight.columns(i..<(i + 1)).storage)       // nn.Linear [d, dff]: column i
        var expected = cache[.block(l, .mlpOut)]!
        for j in 0..<v.count { expected[p, j] -= coefficient * v[j] }
        let edited = try model.forward(ids, capture: .points([.block(l, .mlpOut)]),
                                       interventions: Interventions(.block(l, .expert(e, .post))) { _, t in
            var t = t
            t[p, i] = 0
            return t
        }).cache
        assertClose(edited[.block(l, .mlpOut)]!, expected, tolerance: 1e-5, "expert \(e) neuron \(i) at \(p) zeroed")
        XCTAssertThrowsError(try FFNMemories.value(model, layer: 0, neuron: experts.count * dff))
        XCTAssertThrowsError(try FFNMemories.reconstruct(model, layer: 0, coefficients: Array(repeating: 0, count: dff)))
    }

    func testValueNormsAndTokens() throws {
        let model = try LensFixtures.model("gpt2-odd")
        let norms = try FFNMemories.valueNorms(model, layer: 2)
        XCTAssertEqual(norms.count, model.architecture.dFF)
        for i in [0, 13, 49] {
            let v = try FFNMemories.value(model, layer: 2, neuron: i)
            XCTAssertEqual(norms[i], v.map { $0 * $0 }.reduce(0, +).squareRoot(), accuracy: 1e-5)
        }
        let texts = (0..<model.architecture.vocabSize).map { "w\($0)" }
        let tokens = try FFNMemories.valueTokens(model, layer: 2, neurons: [4, 1], k: 3, texts: texts)
        XCTAssertEqual(tokens.map(\.neuron), [4, 1])
        XCTAssertEqual(tokens[0].top.map(\.text), tokens[0].top.map { "w\($0.id)" })
        XCTAssertEqual(tokens[0].parameters["matrix"], "unembedding (lm_head)")
        XCTAssertThrowsError(try FFNMemories.reconstruct(model, layer: 0, coefficients: [1, 2]))
        XCTAssertThrowsError(try FFNMemories.dominantSubUpdates(model, LensFixtures.tokens([1, 2]), position: 2))
        XCTAssertThrowsError(try FFNMemories.dominantSubUpdates(model, LensFixtures.tokens([1, 2]), layers: [3]))
    }
}
