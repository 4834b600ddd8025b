import Dispatch
import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Hook names, capture filters and per-call interventions.
final class HookTests: XCTestCase {
    let ids = [5, 17, 3, 99, 42, 8]

    func model(_ name: String = "gpt2-tiny") throws -> TransformerModel {
        try TransformerModel.load(directory: Fixtures.model(name))
    }

    func testHookNamesRoundTripAndOnlyFullNamesParse() throws {
        for name in ["gpt2-odd", "bert-tiny-mlm", "bert-cls"] {
            for point in try model(name).hookPoints {
                XCTAssertEqual(HookPoint(name: point.name), point, point.name)
            }
        }
        for bad in ["hook_resid_pre", "blocks.x.hook_resid_pre", "blocks.01.hook_resid_pre", "blocks.-1.hook_resid_pre",
                    "blocks.0.attn.hook_foo", "blocks.0", "attn.hook_pattern", "blocks.0.hook_pattern", ""] {
            XCTAssertNil(HookPoint(name: bad), bad)
        }
        XCTAssertThrowsError(try HookFilter.names(["blocks.0.hook_resid_pre", "nonsense"])) { error in
            XCTAssertEqual(error as? HookError, .unknownName("nonsense"))
        }
    }

    /// The ordered hook list of each architecture, pinned (block 0 and the ends).
    func testOrderedHookListsArePinned() throws {
        let gpt2 = try model().hookPoints.map(\.name)
        XCTAssertEqual(Array(gpt2.prefix(22)), [
            "hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre", "blocks.0.ln1.hook_scale",
            "blocks.0.ln1.hook_normalized", "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
            "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z",
            "blocks.0.attn.hook_result", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid", "blocks.0.ln2.hook_scale",
            "blocks.0.ln2.hook_normalized", "blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_post", "blocks.0.hook_mlp_out",
            "blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.ln1.hook_scale",
        ])
        XCTAssertEqual(Array(gpt2.suffix(4)),
                       ["ln_final.hook_scale", "ln_final.hook_normalized", "unembed.hook_in", "unembed.hook_out"])
        XCTAssertEqual(gpt2.count, 2 + 2 * 18 + 4)

        let bert = try model("bert-tiny-mlm").hookPoints.map(\.name)
        XCTAssertEqual(Array(bert.prefix(25)), [
            "hook_embed", "hook_pos_embed", "hook_token_type_embed", "embed_ln.hook_scale", "embed_ln.hook_normalized",
            "blocks.0.hook_resid_pre", "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
            "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z",
            "blocks.0.attn.hook_result", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid", "blocks.0.ln1.hook_scale",
            "blocks.0.ln1.hook_normalized", "blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_post", "blocks.0.hook_mlp_out",
            "blocks.0.hook_resid_post", "blocks.0.ln2.hook_scale", "blocks.0.ln2.hook_normalized",
            "blocks.0.hook_normalized_resid_post", "blocks.1.hook_resid_pre",
        ])
        XCTAssertEqual(Array(bert.suffix(5)), ["mlm_head.hook_transform", "mlm_head.ln.hook_scale",
                                               "mlm_head.ln.hook_normalized", "unembed.hook_in", "unembed.hook_out"])
    }

    func testCaptureKeepsOnlyTheRequestedPoints() throws {
        let m = try model()
        let wanted: [HookPoint] = [.block(1, .pattern), .embed, .block(0, .result)]
        let result = try m.forward(ids, capture: .points(wanted))
        XCTAssertEqual(result.cache.order, [.embed, .block(0, .result), .block(1, .pattern)])
        XCTAssertEqual(result.cache.inputIDs, ids)
        XCTAssertTrue(try m.forward(ids).cache.isEmpty)
        let patterns = try m.forward(ids, capture: .matching { if case .block(_, .pattern) = $0 { true } else { false } })
        XCTAssertEqual(patterns.cache.count, 2)
    }

    func testIdentityInterventionChangesNothing() throws {
        let m = try model()
        let plain = try m.forward(ids)
        var interventions = Interventions()
        interventions.add(.matching { if case .block(_, .result) = $0 { false } else { true } }) { _, t in t }
        let edited = try m.forward(ids, capture: .all, interventions: interventions)
        XCTAssertEqual(edited.logits, plain.logits)   // bitwise: capturing and identity edits change nothing

        // Editing per-head results re-sums the heads: equal up to summation order.
        let viaHeads = try m.forward(ids, interventions: Interventions(.block(0, .result)) { _, t in t })
        assertClose(try XCTUnwrap(viaHeads.logits), try XCTUnwrap(plain.logits), tolerance: 1e-4, "identity on result")
    }

    func testInterventionReplacesTheActivationDownstream() throws {
        let m = try model()
        // Zeroing layer 0's attention output makes resid_mid equal resid_pre.
        let zero = Interventions(.block(0, .attnOut)) { _, t in Tensor.zeros(t.shape) }
        let r = try m.forward(ids, capture: .points([.block(0, .residPre), .block(0, .residMid)]), interventions: zero)
        XCTAssertEqual(r.cache[.block(0, .residMid)], r.cache[.block(0, .residPre)])

        // Masking key 0 in every head's scores leaves column 0 of the pattern at exactly 0.
        let maskKey = Interventions(.block(1, .attnScores)) { _, t in
            var s = t
            for h in 0..<t.shape[0] { for q in 0..<t.shape[1] { s[h, q, 0] = -.infinity } }
            return s
        }
        let masked = try m.forward(ids, capture: .points([.block(1, .pattern)]), interventions: maskKey)
        let pattern = try XCTUnwrap(masked.cache[.block(1, .pattern)])
        for h in 0..<pattern.shape[0] { for q in 1..<ids.count { XCTAssertEqual(pattern[h, q, 0], 0) } }
        XCTAssertNotEqual(masked.logits, try m.forward(ids).logits)
    }

    func testPerHeadResultsSumToTheAttentionOutput() throws {
        for name in ["gpt2-odd", "bert-cls"] {
            let m = try model(name)
            let r = try m.forward(ids.map { $0 % 90 }, capture: .points([.block(0, .result), .block(0, .attnOut)]))
            let result = try XCTUnwrap(r.cache[.block(0, .result)])       // [n, H, d]
            let (n, heads, d) = (result.shape[0], result.shape[1], result.shape[2])
            let bias = try XCTUnwrap(m.weights.blocks[0].attention.output.bias)
            var sum = Tensor.zeros([n, d])
            for i in 0..<n { for j in 0..<d { sum[i, j] = (0..<heads).reduce(bias[j]) { $0 + result[i, $1, j] } } }
            assertClose(sum, try XCTUnwrap(r.cache[.block(0, .attnOut)]), tolerance: 1e-5, "\(name) Σ result")

            // Removing one head's contribution through hook_result reaches attn_out.
            let ablate = Interventions(.block(0, .result)) { _, t in
                var x = t
                for i in 0..<n { for j in 0..<d { x[i, 1, j] = 0 } }
                return x
            }
            let ablated = try m.forward(ids.map { $0 % 90 }, capture: .points([.block(0, .attnOut)]), interventions: ablate)
            var expected = sum
            for i in 0..<n { for j in 0..<d { expected[i, j] -= result[i, 1, j] } }
            assertClose(try XCTUnwrap(ablated.cache[.block(0, .attnOut)]), expected, tolerance: 1e-5, "\(name) ablated head 1")
        }
    }

    func testInterventionThatChangesTheShapeIsAnError() throws {
        let bad = Interventions(.block(0, .q)) { _, _ in Tensor.zeros([1]) }
        XCTAssertThrowsError(try model().forward(ids, interventions: bad)) { error in
            XCTAssertEqual(error as? HookError,
                           .interventionChangedShape(point: "blocks.0.attn.hook_q", from: [6, 4, 8], to: [1]))
        }
    }

    /// Points named in a capture list or an intervention that the model does not fire are an
    /// error (they used to be ignored silently): a layer past the last, an expert past the last,
    /// sites of another architecture. Predicate filters stay as they are.
    func testListedPointsTheModelLacksAreAnError() throws {
        let gpt2 = try model(), mixtral = try model("mixtral-moe")
        let cases: [(TransformerModel, HookPoint)] = [
            (gpt2, .block(99, .pattern)), (gpt2, .block(2, .mlpOut)), (gpt2, .block(0, .rotQ)),
            (gpt2, .block(0, .expert(0, .gate))), (gpt2, .poolerOut), (gpt2, .mlmTransform),
            (mixtral, .block(0, .expert(99, .gate))), (mixtral, .block(0, .mlpPre)),
        ]
        for (m, point) in cases {
            let expected = HookError.noSuchPoint(point.name)
            XCTAssertThrowsError(try m.forward(ids, capture: .points([.embed, point])), point.name) { error in
                XCTAssertEqual(error as? HookError, expected)
                XCTAssertEqual(error.localizedDescription, "this model has no hook point \(point.name) (see `glassbox info`)")
            }
            let edit = Interventions(point) { _, t in Tensor(shape: t.shape, repeating: .nan) }
            XCTAssertThrowsError(try m.forward(ids, interventions: edit), point.name) { error in
                XCTAssertEqual(error as? HookError, expected)
            }
        }
        // Every point the model lists is accepted, and predicates naming absent points are not checked.
        XCTAssertEqual(try gpt2.forward(ids, capture: .points(gpt2.hookPoints)).cache.count, gpt2.hookPoints.count)
        XCTAssertNoThrow(try gpt2.forward(ids, capture: .matching { $0 == .block(99, .pattern) }))
    }

    func testConcurrentForwardPassesOnOneModelAgree() throws {
        let m = try model()
        let expected = try m.forward(ids).logits
        let results = Results(count: 4)
        let ids = self.ids
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            // Each call brings its own hook state; odd calls also capture everything.
            let edit = Interventions(.block(0, .attnScores)) { _, t in t }
            results.set(i, try? m.forward(ids, capture: i % 2 == 1 ? .all : .none, interventions: edit).logits)
        }
        for i in 0..<4 { XCTAssertEqual(results.get(i), expected) }
    }

    func testLogitRowsSelectPositions() throws {
        let m = try model()
        let all = try XCTUnwrap(try m.forward(ids).logits)
        let some = try m.forward(ids, logitRows: .positions([5, 2]))
        XCTAssertEqual(some.logitPositions, [5, 2])
        // Two rows against six: OpenBLAS adds in another order for another shape (and CPU), so the
        // rows agree to float32 rounding of their size, 1e-6 of the largest |logit|.
        let scale = max(1, all.storage.map(abs).max() ?? 0)
        assertClose(try XCTUnwrap(some.logits).row(0), all.row(5), tolerance: 1e-6 * scale, "row 5 (sgemv path)")
        assertClose(try XCTUnwrap(some.logits).row(1), all.row(2), tolerance: 1e-6 * scale, "row 2")
        XCTAssertThrowsError(try m.forward(ids, logitRows: .positions([6]))) { error in
            XCTAssertEqual(error as? InputError, .positionOutOfRange(position: 6, length: 6))
        }
    }
}

/// Lock-protected result slots for the concurrency test.
private final class Results: @unchecked Sendable {
    private var values: [Tensor?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: Tensor?) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> Tensor? { lock.lock(); defer { lock.unlock() }; return values[i] }
}
