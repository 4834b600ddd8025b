import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Parameter projection (Dar et al., ACL 2023; docs/methods.md §5.2 and the checks of §5.4).
final class ProjectionTests: XCTestCase {
    /// §5.4: row `a` of `E·W_VO·Eᵀ` (and of `E·W_QK·Eᵀ`) from the blockwise product equals projecting
    /// `E[a]·W_V·W_O` on its own (≤ 1e-5), for `[in, out]` and `[out, in]` layouts, GQA and a ViT class
    /// space. The whole matrix is rebuilt from a blockwise top-(V·V) search with 7-row blocks.
    func testBlockwiseMatrixRowsEqualSingleRowProjections() throws {
        for (name, layer, head) in [("gpt2-odd", 2, 1), ("llama-gqa", 1, 3), ("bert-tiny-mlm", 0, 2), ("vit-tiny", 1, 0)] {
            let model = try LensFixtures.model(name)
            for matrix in HeadMatrix.allCases {
                let v = try EmbeddingSpace.resolve(model).size
                let all = try HeadProjection.pairs(model, layer: layer, head: head, matrix: matrix, k: v * v,
                                                   excludeSameToken: false, blockRows: 7)
                XCTAssertEqual(all.pairs.count, v * v)
                var full = Tensor.zeros([v, v])
                for pair in all.pairs { full[pair.from, pair.to] = pair.score }
                for a in Set([0, 1, v / 2, v - 1]).sorted() {
                    let row = try HeadProjection.row(model, layer: layer, head: head, matrix: matrix, token: a)
                    assertClose(full.row(a), Tensor(shape: [v], storage: row), tolerance: 1e-5, "\(name) \(matrix) row \(a)")
                }
            }
        }
    }

    /// The blockwise running top-k equals a brute-force sort of the whole matrix, with filters,
    /// same-token exclusion and either order.
    func testBlockwiseTopKEqualsBruteForce() throws {
        let model = try LensFixtures.model("gpt2-tiny")
        let v = model.architecture.vocabSize
        let rows = try (0..<v).map { try HeadProjection.row(model, layer: 1, head: 2, matrix: .ov, token: $0) }
        let even = TokenFilter.custom("even") { $0 % 2 == 0 }
        for (filter, exclude, largest) in [(TokenFilter.all, true, true), (even, false, true), (even, true, false)] {
            let got = try HeadProjection.pairs(model, layer: 1, head: 2, matrix: .ov, k: 25, filter: filter,
                                               excludeSameToken: exclude, largest: largest, blockRows: 5)
            var all: [(Int, Int, Float)] = []
            for a in 0..<v where filter.allows(a) {
                for b in 0..<v where filter.allows(b) && !(exclude && a == b) { all.append((a, b, rows[a][b])) }
            }
            all.sort { largest ? $0.2 > $1.2 : $0.2 < $1.2 }
            LensFixtures.assertRanking(got.pairs.map { $0.from * v + $0.to }, got.pairs.map(\.score),
                                       expectedIDs: all.prefix(25).map { $0.0 * v + $0.1 }, expectedScores: all.prefix(25).map(\.2),
                                       tolerance: 1e-5, "\(filter) exclude \(exclude) largest \(largest)")
            XCTAssertTrue(got.pairs.allSatisfy { filter.allows($0.from) && filter.allows($0.to) && !(exclude && $0.from == $0.to) })
            XCTAssertEqual(got.parameters["filter"], filter.label)
        }
    }

    /// §5.4: the top-k of `k_i·Eᵀ` does not change when `k_i` is scaled by a positive factor.
    func testTopTokensAreInvariantToPositiveScaling() throws {
        let model = try LensFixtures.model("llama-gqa")
        let space = try EmbeddingSpace.resolve(model)
        for neuron in [0, 7, 47] {
            let keys = try ParameterProjection.ffnKeys(model, layer: 1, neuron: neuron, k: 12)
            XCTAssertEqual(keys.map(\.kind), ["ffn-key", "ffn-key-up"], "a gated MLP has two keys")
            let base = try ParameterProjection.project(try keyVector(model, layer: 1, neuron: neuron), onto: space.readers, k: 12)
            let scaled = try ParameterProjection.project(try keyVector(model, layer: 1, neuron: neuron).map { $0 * 3.7 },
                                                     onto: space.readers, k: 12)
            XCTAssertEqual(base.top.map(\.id), scaled.top.map(\.id))
            XCTAssertEqual(base.bottom.map(\.id), scaled.bottom.map(\.id))
            XCTAssertEqual(keys[0].top.map(\.id), base.top.map(\.id))
            XCTAssertThrowsError(try ParameterProjection.project([1, 2], onto: space.readers, k: 3))
        }
    }

    /// §6.5: value top tokens via the matrix path (all values at once, in blocks) equal the per-vector path.
    func testMatrixPathEqualsPerVectorPath() throws {
        for name in ["gpt2-odd", "llama-gqa", "bert-tiny-mlm", "vit-tiny"] {
            let model = try LensFixtures.model(name)
            let layer = model.architecture.layers - 1
            let all = try ParameterProjection.ffnValues(model, layer: layer, k: 8, blockNeurons: 7)
            XCTAssertEqual(all.map(\.neuron), Array(0..<model.architecture.dFF))
            for neuron in 0..<model.architecture.dFF {
                let one = try ParameterProjection.ffnValue(model, layer: layer, neuron: neuron, k: 8)
                XCTAssertEqual(all[neuron].top.map(\.id), one.top.map(\.id), "\(name) neuron \(neuron)")
                XCTAssertEqual(all[neuron].bottom.map(\.id), one.bottom.map(\.id), "\(name) neuron \(neuron)")
                for (a, b) in zip(all[neuron].top + all[neuron].bottom, one.top + one.bottom) {
                    XCTAssertEqual(a.score, b.score, accuracy: 1e-5)
                }
                XCTAssertEqual(all[neuron].norm, one.norm, accuracy: 1e-6)
            }
        }
    }

    /// FFN values and keys, OV and QK pairs against the float64 numpy projection of generate_lens.py
    /// (raw parameters; readers: input embedding, writers: output embedding): scores ≤ 1e-4, ids
    /// equal away from near-ties. QK is refused under a QK-norm, OV and QK under clip_qkv (olmo-clip,
    /// olmoe-clip: the clamp is not in the weights' product).
    func testProjectionsMatchTheReference() throws {
        for name in LensFixtures.models {
            let model = try LensFixtures.model(name)
            let reference = try LensFixtures.params(name)
            let last = model.architecture.layers - 1
            // A mixture (Mixtral) has E·dff memories, expert-major (e·dff + i): expert e's w2 columns and w1 rows
            // (Qwen MoE: layers count their own, a dense layer's dff or the experts' and the shared expert's).
            let count = FFNMemories.neuronCount(model, layer: last)
            let values = try ParameterProjection.ffnValues(model, layer: last, k: 10)
            let keys = try (0..<FFNMemories.neuronCount(model, layer: 0)).map { try ParameterProjection.ffnKeys(model, layer: 0, neuron: $0, k: 10)[0] }
            XCTAssertEqual(values.count, count, name)
            for (label, got, prefix) in [("value", values, "value_top"), ("key", keys, "key_top")] {
                let ids = try reference.tensor("\(prefix)_ids"), scores = try reference.tensor("\(prefix)_scores")
                XCTAssertEqual(ids.shape[0], got.count, "\(name) \(label) rows")
                for (i, projection) in got.enumerated() {
                    LensFixtures.assertRanking(projection.top.map(\.id), projection.top.map(\.score),
                                               expectedIDs: ids.row(i).storage.map { Int($0) }, expectedScores: scores.row(i).storage,
                                               tolerance: 1e-4, "\(name) \(label) \(i)")
                }
            }
            // OV of head 1 (head 0 of a one-head model: gptj-whole), QK of head 0, as generate_lens.py.
            for (matrix, layer, head) in [(HeadMatrix.ov, last, min(1, model.architecture.heads - 1)), (.qk, 0, 0)] {
                if matrix == .qk, model.weights.blocks[layer].attention.queryNorm != nil {   // QK-norm: refused
                    XCTAssertThrowsError(try HeadProjection.pairs(model, layer: layer, head: head, matrix: .qk, k: 20), name)
                    continue
                }
                if let c = model.architecture.qkvClip {                                     // clip_qkv: refused
                    XCTAssertThrowsError(try HeadProjection.pairs(model, layer: layer, head: head, matrix: matrix, k: 20), name) { error in
                        XCTAssertTrue("\(error)".contains("clip_qkv \(c)"), "\(name): \(error)")
                    }
                    XCTAssertThrowsError(try HeadProjection.row(model, layer: layer, head: head, matrix: matrix, token: 0), name)
                    continue
                }
                let got = try HeadProjection.pairs(model, layer: layer, head: head, matrix: matrix, k: 20)
                let pairs = try reference.tensor("\(matrix.rawValue)_pairs"), scores = try reference.tensor("\(matrix.rawValue)_scores")
                let v = 1_000_000
                LensFixtures.assertRanking(got.pairs.map { $0.from * v + $0.to }, got.pairs.map(\.score),
                                           expectedIDs: (0..<20).map { Int(pairs[$0, 0]) * v + Int(pairs[$0, 1]) },
                                           expectedScores: scores.storage, tolerance: 1e-4, "\(name) \(matrix)")
            }
        }
    }

    func testTokenFilters() {
        let texts = ["Ġthe", " dog", "##ing", "é", "!", "", "Hello2", " two words", "\u{2581}Cat", "naïve"]
        XCTAssertEqual(TokenFilter.ascii(texts: texts).allowedIDs(count: texts.count), [0, 1, 2, 4, 6, 7, 8])
        XCTAssertEqual(TokenFilter.alphanumeric(texts: texts).allowedIDs(count: texts.count), [0, 1, 2, 6, 8])
        XCTAssertEqual(TokenFilter.words(["The", "cat"], texts: texts).allowedIDs(count: texts.count), [0, 8])
        XCTAssertEqual(TokenFilter.words(["The", "cat"], texts: texts, caseSensitive: true).allowedIDs(count: texts.count), [])
        let even = TokenFilter.custom("even") { $0 % 2 == 0 }
        let both = TokenFilter.alphanumeric(texts: texts).and(even)
        XCTAssertEqual(both.allowedIDs(count: texts.count), [0, 2, 6, 8])
        XCTAssertEqual(both.label, "alphanumeric+even")
        XCTAssertFalse(TokenFilter.ascii(texts: texts).allows(99), "ids without a text are rejected")
        XCTAssertTrue(TokenFilter.all.isAll && TokenFilter.all.allows(12345))
        let scores: [Float] = [0.5, 3, -2, 7, 1, 9, 2, 2, -9, 4]
        XCTAssertEqual(VocabularyTopK.select(scores, k: 3).map(\.id), [5, 3, 9])
        XCTAssertEqual(VocabularyTopK.select(scores, k: 3, filter: TokenFilter.ascii(texts: texts)).map(\.id), [1, 6, 7],
                       "ties keep the smaller id")
        XCTAssertEqual(VocabularyTopK.select(scores, k: 2, largest: false).map(\.id), [8, 2])
    }

    /// Which matrices read and write (§5.2's design decision for untied models).
    func testEmbeddingChoices() throws {
        let llama = try LensFixtures.model("llama-gqa")
        let standard = try EmbeddingSpace.resolve(llama)
        XCTAssertEqual(standard.readers, llama.weights.embeddings.token.float32())
        XCTAssertEqual(standard.writers, llama.weights.head.unembed!.weight.float32())
        XCTAssertNotEqual(standard.readers, standard.writers, "llama-gqa is untied")
        let output = try EmbeddingSpace.resolve(llama, .output)
        XCTAssertEqual(output.readers, output.writers)
        XCTAssertFalse(standard.approximate)
        let bert = try EmbeddingSpace.resolve(try LensFixtures.model("bert-odd"))
        XCTAssertTrue(bert.approximate)
        XCTAssertThrowsError(try EmbeddingSpace.resolve(try LensFixtures.model("bert-odd"), .output))
        let vit = try EmbeddingSpace.resolve(try LensFixtures.model("vit-tiny"))
        XCTAssertEqual(vit.size, 5)
        XCTAssertEqual(vit.texts(nil), ["zero", "one", "two", "three", "four"])
        XCTAssertThrowsError(try EmbeddingSpace.resolve(try LensFixtures.model("vit-tiny"), .input))
        XCTAssertThrowsError(try EmbeddingSpace.resolve(try LensFixtures.model("vit-odd")))
        let gpt2 = try LensFixtures.model("gpt2-tiny")
        XCTAssertThrowsError(try HeadProjection.pairs(gpt2, layer: 2, head: 0, matrix: .ov))
        XCTAssertThrowsError(try HeadProjection.pairs(gpt2, layer: 0, head: 4, matrix: .qk))
        XCTAssertThrowsError(try ParameterProjection.ffnValue(gpt2, layer: 0, neuron: 128))
        XCTAssertThrowsError(try ParameterProjection.ffnValue(gpt2, layer: 0, neuron: 1, k: 0))
    }

    /// Column `neuron` of the MLP input projection in `[in, out]` terms: the key, read independently.
    private func keyVector(_ model: TransformerModel, layer: Int, neuron: Int) throws -> [Float] {
        let input = model.weights.blocks[layer].mlp.input
        return input.layout == .outIn ? input.weight.row(neuron).storage
            : (0..<input.inFeatures).map { input.weight[$0, neuron] }
    }
}
