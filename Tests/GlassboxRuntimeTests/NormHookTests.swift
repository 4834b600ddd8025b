import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `hook_normalized` with TransformerLens's meaning (docs/methods.md §0.5): a LayerNorm fires it on
/// its output `γ ⊙ x̂ + β`, an RMSNorm on `x̂` before `γ`; whatever an intervention puts there is what
/// the rest of the forward pass reads. The values are also checked against `transformers`
/// (GoldenTests) and TransformerLens (TransformerLensTests); these tests pin the wiring.
final class NormHookTests: XCTestCase {
    private let ids = [5, 17, 3, 60, 42, 8]

    /// A fixed, non-trivial replacement of `shape` (values in [-1.5, 1.5]).
    private func replacement(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<count).map { Float(($0 * 37) % 31) / 10 - 1.5 })
    }

    private func tensor(_ r: ForwardResult, _ point: HookPoint) throws -> Tensor {
        try XCTUnwrap(r.cache[point], "\(point.name) not captured")
    }

    // MARK: - what the hook holds

    /// GPT-2 (pre-norm LayerNorm): each `hook_normalized` is the norm of its input with `γ`, `β`
    /// applied — not `x̂` — and `ln_final`'s is what the unembedding reads.
    func testLayerNormHookNormalizedIsTheOutputAfterGammaAndBeta() throws {
        let m = try Fixtures.load("gpt2-tiny")
        let r = try m.forward(ids, capture: .all)
        for l in 0..<m.architecture.layers {
            let block = m.weights.blocks[l]
            for (norm, input, site) in [(block.ln1, BlockSite.residPre, BlockSite.ln1(.normalized)),
                                        (block.ln2, .residMid, .ln2(.normalized))] {
                let x = try tensor(r, .block(l, input)), hooked = try tensor(r, .block(l, site))
                XCTAssertEqual(hooked.storage, norm(x).storage, "\(HookPoint.block(l, site).name) = γ ⊙ x̂ + β")
                XCTAssertNotEqual(hooked.storage, norm.normalize(x).normalized.storage, "not x̂")
                XCTAssertEqual(try tensor(r, .block(l, site == .ln1(.normalized) ? .ln1(.scale) : .ln2(.scale))).storage,
                               norm.normalize(x).scale.storage, "hook_scale is still the statistic")
            }
        }
        let lnFinal = try tensor(r, .lnFinal(.normalized))
        XCTAssertEqual(lnFinal.storage, try tensor(r, .unembedIn).storage, "ln_final output = unembed input")
    }

    /// BERT (post-norm, embedding and MLM-head LayerNorms): the embedding norm's output is block 0's
    /// input, `ln1`'s feeds the MLP and the residual, `ln2`'s is the block output, the MLM head's
    /// LayerNorm output is the decoder's input.
    func testPostNormLayerNormHooksAreTheNormOutputs() throws {
        let m = try Fixtures.load("bert-tiny-mlm")
        let r = try m.forward(ids, capture: .all)
        let embedNorm = try XCTUnwrap(m.weights.embeddings.norm)
        var sum = try tensor(r, .embed)
        addInPlace(&sum, try tensor(r, .posEmbed))
        if let types = r.cache[.tokenTypeEmbed] { addInPlace(&sum, types) }
        XCTAssertEqual(try tensor(r, .embedLN(.normalized)).storage, embedNorm(sum).storage)
        XCTAssertEqual(try tensor(r, .embedLN(.normalized)).storage, try tensor(r, .block(0, .residPre)).storage)
        for l in 0..<m.architecture.layers {
            let ln1 = try tensor(r, .block(l, .ln1(.normalized)))
            XCTAssertEqual(ln1.storage, m.weights.blocks[l].ln1(try tensor(r, .block(l, .residMid))).storage)
            var post = ln1
            addInPlace(&post, try tensor(r, .block(l, .mlpOut)))
            XCTAssertEqual(try tensor(r, .block(l, .residPost)).storage, post.storage, "resid_post = ln1 output + mlp_out")
            let ln2 = try tensor(r, .block(l, .ln2(.normalized)))
            XCTAssertEqual(ln2.storage, m.weights.blocks[l].ln2(try tensor(r, .block(l, .residPost))).storage)
            XCTAssertEqual(ln2.storage, try tensor(r, .block(l, .normalizedResidPost)).storage)
        }
        XCTAssertEqual(try tensor(r, .mlmLN(.normalized)).storage, try tensor(r, .unembedIn).storage)
    }

    /// Llama (RMSNorm): `hook_normalized` is `x/scale` before `γ`, as TransformerLens's RMSNorm.
    func testRMSNormHookNormalizedIsBeforeTheWeight() throws {
        let m = try Fixtures.load("llama-gqa")
        let r = try m.forward(ids, capture: .all)
        for l in 0..<m.architecture.layers {
            let block = m.weights.blocks[l]
            XCTAssertEqual(try tensor(r, .block(l, .ln1(.normalized))).storage,
                           block.ln1.normalize(try tensor(r, .block(l, .residPre))).normalized.storage)
            XCTAssertEqual(try tensor(r, .block(l, .ln2(.normalized))).storage,
                           block.ln2.normalize(try tensor(r, .block(l, .residMid))).normalized.storage)
        }
        let norm = try XCTUnwrap(m.weights.head.finalNorm)
        XCTAssertEqual(affine(try tensor(r, .lnFinal(.normalized)), gamma: norm.weight, beta: nil).storage,
                       try tensor(r, .unembedIn).storage, "ln_final x̂ · γ = unembed input")
    }

    // MARK: - interventions

    /// Replacing a LayerNorm's `hook_normalized` replaces exactly the tensor the next layer reads.
    func testReplacingLayerNormHookNormalizedFeedsItDownstream() throws {
        let m = try Fixtures.load("gpt2-tiny")
        let arch = m.architecture
        let (n, d) = (ids.count, arch.dModel)
        let t = replacement([n, d])
        let block = m.weights.blocks[1]
        var edits = Interventions()
        edits.add(.block(1, .ln1(.normalized))) { _, _ in t }
        edits.add(.block(1, .ln2(.normalized))) { _, _ in t }
        edits.add(.lnFinal(.normalized)) { _, _ in t }
        let r = try m.forward(ids, capture: .all, interventions: edits)
        XCTAssertEqual(try tensor(r, .block(1, .ln1(.normalized))).storage, t.storage, "the hook shows the edit")
        assertClose(try tensor(r, .block(1, .q)), block.attention.query(t).reshaped([n, arch.heads, arch.headDim]),
                    tolerance: 1e-5, "hook_q = W_Q · edited ln1")
        assertClose(try tensor(r, .block(1, .v)), block.attention.value(t).reshaped([n, arch.kvHeads, arch.headDim]),
                    tolerance: 1e-5, "hook_v = W_V · edited ln1")
        assertClose(try tensor(r, .block(1, .mlpPre)), block.mlp.input(t), tolerance: 1e-5, "mlp.hook_pre = W_in · edited ln2")
        XCTAssertEqual(try tensor(r, .unembedIn).storage, t.storage, "unembed reads the edited ln_final")
        assertClose(try XCTUnwrap(r.logits), try XCTUnwrap(m.weights.head.unembed)(t), tolerance: 1e-5, "logits")
    }

    /// BERT: the edit of each LayerNorm's `hook_normalized` is the residual stream / output from there on.
    func testReplacingPostNormHookNormalizedFeedsItDownstream() throws {
        let m = try Fixtures.load("bert-tiny-mlm")
        let d = m.architecture.dModel
        let t = replacement([ids.count, d])
        var edits = Interventions()
        edits.add(.embedLN(.normalized)) { _, _ in t }
        edits.add(.block(0, .ln1(.normalized))) { _, _ in t }
        edits.add(.block(0, .ln2(.normalized))) { _, _ in t }
        let tRow = replacement([1, d])
        edits.add(.mlmLN(.normalized)) { _, _ in tRow }
        let r = try m.forward(ids, capture: .all, interventions: edits, logitRows: .positions([2]))
        XCTAssertEqual(try tensor(r, .block(0, .residPre)).storage, t.storage, "block 0 reads the edited embed_ln")
        assertClose(try tensor(r, .block(0, .mlpPre)), m.weights.blocks[0].mlp.input(t), tolerance: 1e-5,
                    "the MLP reads the edited ln1")
        var post = t
        addInPlace(&post, try tensor(r, .block(0, .mlpOut)))
        XCTAssertEqual(try tensor(r, .block(0, .residPost)).storage, post.storage, "resid_post = edited ln1 + mlp_out")
        XCTAssertEqual(try tensor(r, .block(0, .normalizedResidPost)).storage, t.storage, "block output = edited ln2")
        XCTAssertEqual(try tensor(r, .block(1, .residPre)).storage, t.storage, "block 1 reads the edited ln2")
        XCTAssertEqual(try tensor(r, .unembedIn).storage, tRow.storage, "the decoder reads the edited MLM LayerNorm")
    }

    /// An edited `hook_scale` is what the input is divided by (TransformerLens divides after its
    /// `hook_scale`): doubling it halves `x̂`, in LayerNorm (before `γ`, `β`) and RMSNorm alike.
    func testEditedScaleDividesTheInput() throws {
        let doubled: Intervention = { _, s in
            var t = s
            for i in 0..<t.count { t.storage[i] *= 2 }
            return t
        }
        for name in ["gpt2-tiny", "llama-gqa"] {
            let m = try Fixtures.load(name)
            let norm = m.weights.blocks[1].ln2
            let points: [HookPoint] = [.block(1, .residMid), .block(1, .ln2(.scale)), .block(1, .ln2(.normalized))]
            let plain = try m.forward(ids, capture: .points(points))
            let edited = try m.forward(ids, capture: .points(points),
                                       interventions: Interventions(.block(1, .ln2(.scale)), doubled))
            var half = norm.normalize(try tensor(plain, .block(1, .residMid))).normalized
            for i in 0..<half.count { half.storage[i] /= 2 }
            let expected = if case .layerNorm = norm.kind { affine(half, gamma: norm.weight, beta: norm.bias) } else { half }
            assertClose(try tensor(edited, .block(1, .ln2(.normalized))), expected, tolerance: 1e-5, "\(name): x̂ / 2")
            XCTAssertEqual(try tensor(edited, .block(1, .ln2(.scale))).storage,
                           doubled(.block(1, .ln2(.scale)), try tensor(plain, .block(1, .ln2(.scale)))).storage)
            XCTAssertNotEqual(edited.logits, plain.logits, "\(name): the edit reaches the logits")
        }
    }

    /// RMSNorm: the edit is `x̂`, and the next layer reads it times `γ`.
    func testReplacingRMSNormHookNormalizedIsScaledByTheWeight() throws {
        let m = try Fixtures.load("llama-gqa")
        let arch = m.architecture
        let t = replacement([ids.count, arch.dModel])
        let block = m.weights.blocks[0]
        let r = try m.forward(ids, capture: .points([.block(0, .q)]),
                              interventions: Interventions(.block(0, .ln1(.normalized))) { _, _ in t })
        let expected = block.attention.query(affine(t, gamma: block.ln1.weight, beta: nil))
        assertClose(try tensor(r, .block(0, .q)), expected.reshaped([ids.count, arch.heads, arch.headDim]),
                    tolerance: 1e-5, "hook_q = W_Q · (γ ⊙ edit)")
    }
}
