import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Mixtral specifics beyond the golden comparison (GoldenTests checks every hook point of
/// mixtral-moe against transformers at 1e-4, router and per-expert points included): the hook
/// list of a mixture block, `torch.topk`'s order among tied experts, edits of the routing, and
/// typed config errors.
final class MixtralTests: XCTestCase {
    private func model() throws -> TransformerModel {
        try TransformerModel.load(directory: Fixtures.model("mixtral-moe"))
    }

    func testMixtureHookNamesAndShapes() throws {
        let m = try model()
        XCTAssertEqual(m.architecture.experts, ExpertRouting(count: 5, topK: 2))
        let names = m.hookPoints.map(\.name)
        let start = try XCTUnwrap(names.firstIndex(of: "blocks.0.ln2.hook_normalized")) + 1
        XCTAssertEqual(Array(names[start..<(start + 8)]), [
            "blocks.0.mlp.hook_router_logits", "blocks.0.mlp.hook_expert_weights", "blocks.0.mlp.hook_expert_indices",
            "blocks.0.mlp.hook_routing_weights", "blocks.0.mlp.experts.0.hook_gate", "blocks.0.mlp.experts.0.hook_pre",
            "blocks.0.mlp.experts.0.hook_post", "blocks.0.mlp.experts.1.hook_gate",
        ])
        XCTAssertEqual(names[start + 19], "blocks.0.hook_mlp_out")
        XCTAssertFalse(names.contains("blocks.0.mlp.hook_pre"))
        XCTAssertEqual(HookPoint(name: "blocks.1.mlp.experts.4.hook_post"), .block(1, .expert(4, .post)))
        XCTAssertNil(HookPoint(name: "blocks.1.mlp.experts.04.hook_post"))
        XCTAssertNil(HookPoint(name: "blocks.1.mlp.experts.4.hook_mid"))
        let r = try m.forward([1, 50, 7, 9], capture: .all)
        XCTAssertEqual(r.cache[.block(1, .routerLogits)]?.shape, [4, 5])
        XCTAssertEqual(r.cache[.block(1, .expertIndices)]?.shape, [4, 2])
        XCTAssertEqual(r.cache[.block(1, .expert(3, .gate))]?.shape, [4, 20])
        // Rows of positions an expert does not serve are zero; each position uses exactly two experts.
        let indices = try XCTUnwrap(r.cache[.block(0, .expertIndices)])
        for e in 0..<5 {
            let post = try XCTUnwrap(r.cache[.block(0, .expert(e, .post))])
            for t in 0..<4 where indices[t, 0] != Float(e) && indices[t, 1] != Float(e) {
                XCTAssertEqual(post.rows(t..<(t + 1)).storage, [Float](repeating: 0, count: 20), "expert \(e) row \(t)")
            }
        }
    }

    /// Expected values printed by torch 2.x (`torch.topk(x, k).indices`) on the CPU.
    func testTopKBreaksTiesAsTorch() {
        XCTAssertEqual(torchTopKIndices([0.25, 0.25, 0.25, 0.25], k: 2), [2, 3])
        XCTAssertEqual(torchTopKIndices([0.25, 0.25, 0.25, 0.25], k: 3), [2, 3, 0])
        XCTAssertEqual(torchTopKIndices([0.1, 0.3, 0.3, 0.3], k: 3), [2, 3, 1])
        XCTAssertEqual(torchTopKIndices([0.4, 0.2, 0.2, 0.2], k: 2), [0, 2])
        XCTAssertEqual(torchTopKIndices([Float](repeating: 0, count: 16), k: 4), [10, 11, 12, 9])
        XCTAssertEqual(torchTopKIndices([1, 1, 1, 2, 1, 2, 1, 1], k: 2), [5, 3])
        XCTAssertEqual(torchTopKIndices([3, 1, 2], k: 3), [0, 2, 1])
        // k·64 ≤ n: PyTorch's partial-sort path.
        XCTAssertEqual(torchTopKIndices((0..<128).map { Float(($0 * 7) % 3) }, k: 2), [5, 2])
        XCTAssertEqual(torchTopKIndices((0..<130).map { Float(($0 * 5) % 4) }, k: 2), [7, 3])
        XCTAssertEqual(torchTopKIndices([Float](repeating: 0, count: 64), k: 1), [0])
        XCTAssertEqual(torchTopKIndices([Float](repeating: 0, count: 200), k: 3), [0, 1, 2])
    }

    /// 1,500 seeded tie-heavy rows (both of PyTorch's paths) against torch.topk's own indices
    /// (scripts/fixtures/generate_topk.py → Tests/Fixtures/topk/ties.json): identical, order included.
    func testTopKMatchesTorchOnTiedRows() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/topk/ties.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let palette = try XCTUnwrap(object["palette"] as? [Double]).map(Float.init)
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 1500)
        var partialSortRows = 0
        for (i, row) in rows.enumerated() {
            let values = try XCTUnwrap(row["values"] as? String).map { palette[Int(String($0))!] }
            let k = try XCTUnwrap(row["k"] as? Int), expected = try XCTUnwrap(row["indices"] as? [Int])
            if k * 64 <= values.count { partialSortRows += 1 }
            XCTAssertEqual(torchTopKIndices(values, k: k), expected, "row \(i): n \(values.count), k \(k)")
        }
        XCTAssertGreaterThan(partialSortRows, 100)
    }

    /// Layer 1's router rows of experts 1, 2 and 4 are zero in the fixture: their logits tie at 0,
    /// and torch.topk picks among them in an order that is not lowest-index first.
    func testTiedRoutersChooseTheExpertsTorchChooses() throws {
        let m = try model()
        let golden = try Golden(url: try XCTUnwrap(Fixtures.goldenCases("mixtral-moe").first { $0.0 == "full" }?.1))
        let r = try m.forward(golden.inputIDs, capture: .all)
        let ours = try XCTUnwrap(r.cache[.block(1, .expertIndices)]), reference = try golden.tensor("blocks.1.mlp.hook_expert_indices")
        XCTAssertEqual(ours.storage, reference.storage)
        let pairs = (0..<ours.shape[0]).map { [Int(reference[$0, 0]), Int(reference[$0, 1])] }
        XCTAssertTrue(pairs.contains([2, 4]), "the fixture should pick experts 2 and 4 over tied expert 1: \(pairs)")
    }

    func testEditingTheChosenExpertsReroutes() throws {
        let m = try model()
        let ids = [1, 50, 7, 9, 33]
        let base = try m.forward(ids, capture: .all)
        var edit = Interventions()
        edit.add(.block(0, .expertIndices)) { _, t in Tensor(shape: t.shape, storage: [Float](repeating: 0, count: t.count).enumerated().map { Float($0.offset % 2) }) }
        let edited = try m.forward(ids, capture: .all, interventions: edit)
        let p = try XCTUnwrap(base.cache[.block(0, .expertWeights)]), w = try XCTUnwrap(edited.cache[.block(0, .routingWeights)])
        for t in 0..<ids.count {
            XCTAssertEqual(w[t, 0], p[t, 0] / (p[t, 0] + p[t, 1]), accuracy: 1e-6)
            XCTAssertNotEqual(edited.cache[.block(0, .expert(0, .post))]?.rows(t..<(t + 1)).storage,
                              [Float](repeating: 0, count: 20))
        }
        XCTAssertNotEqual(edited.logits?.storage, base.logits?.storage)
        var bad = Interventions()
        bad.add(.block(1, .expertIndices)) { _, t in Tensor(shape: t.shape, repeating: 5) }
        XCTAssertThrowsError(try m.forward(ids, capture: .all, interventions: bad)) { error in
            XCTAssertEqual(error as? HookError, .invalidExpertIndex(point: "blocks.1.mlp.hook_expert_indices", value: 5, experts: 5))
        }
        // Values `Int(_:)` cannot hold are refused the same way (they used to trap).
        for value: Float in [.infinity, -.infinity, 1e20, -1e20, -0.6] {
            let huge = Interventions(.block(0, .expertIndices)) { _, t in Tensor(shape: t.shape, repeating: value) }
            XCTAssertThrowsError(try m.forward(ids, interventions: huge), "\(value)") { error in
                XCTAssertEqual(error as? HookError, .invalidExpertIndex(point: "blocks.0.mlp.hook_expert_indices", value: value, experts: 5))
            }
        }
        let nan = Interventions(.block(0, .expertIndices)) { _, t in Tensor(shape: t.shape, repeating: .nan) }
        XCTAssertThrowsError(try m.forward(ids, interventions: nan)) { error in
            guard case .invalidExpertIndex(let point, let value, 5)? = error as? HookError else { return XCTFail("\(error)") }
            XCTAssertEqual(point, "blocks.0.mlp.hook_expert_indices")
            XCTAssertTrue(value.isNaN)
            XCTAssertTrue(error.localizedDescription.contains("chose expert nan"), error.localizedDescription)
        }
    }

    /// An edit of one expert's `hook_post` at a routed position moves `hook_mlp_out` there by
    /// `w_e · Δ·W2ᵀ` and nowhere else; the same edit at a position the expert does not serve changes nothing.
    func testEditingAnExpertsPostActivationActsThroughItsRoutingWeight() throws {
        let m = try model()
        let ids = [1, 50, 7, 9, 33]
        let base = try m.forward(ids, capture: .all)
        let indices = try XCTUnwrap(base.cache[.block(0, .expertIndices)]), weights = try XCTUnwrap(base.cache[.block(0, .routingWeights)])
        let e = Int(indices[2, 0]), w = weights[2, 0]
        let unserved = try XCTUnwrap((0..<ids.count).first { t in indices[t, 0] != Float(e) && indices[t, 1] != Float(e) })
        for (t, expectedScale) in [(2, w), (unserved, 0)] {
            var edit = Interventions()
            edit.add(.block(0, .expert(e, .post))) { _, x in
                var y = x
                y[t, 3] += 1
                return y
            }
            let edited = try m.forward(ids, capture: .all, interventions: edit)
            let before = try XCTUnwrap(base.cache[.block(0, .mlpOut)]), after = try XCTUnwrap(edited.cache[.block(0, .mlpOut)])
            let w2 = try XCTUnwrap(m.weights.blocks[0].mlp.mixture?.experts[e].output)
            for row in 0..<ids.count {
                for c in 0..<m.architecture.dModel {
                    let expected = row == t ? expectedScale * w2.element(input: 3, output: c) : 0
                    XCTAssertEqual(after[row, c] - before[row, c], expected, accuracy: 1e-5, "position \(t), row \(row), column \(c)")
                }
            }
        }
    }

    func testConfigErrorsAndMissingExperts() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "mixtral", "num_local_experts": 4, "num_experts_per_tok": 5}"#, "num_experts_per_tok"),
            (#"{"model_type": "mixtral", "num_local_experts": 0}"#, "num_local_experts"),
            (#"{"model_type": "mixtral", "rope_scaling": {"rope_type": "yarn", "factor": 2}}"#, "yarn"),
            (#"{"model_type": "mixtral", "head_dim": null, "rope_scaling": {"rope_type": "yarn", "factor": 2}}"#,
             "'head_dim' is null; transformers' yarn rotary tables read it as written (TypeError); write the width"),
        ]
        for (json, fragment) in cases {
            XCTAssertThrowsError(try TransformerModel.load(directory: try temporaryModel(config: json))) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fragment): \(error)") }
                XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)")
            }
        }
        let config = try String(contentsOf: Fixtures.model("mixtral-moe").appendingPathComponent("config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"num_local_experts\": 5", with: "\"num_local_experts\": 6")
        XCTAssertThrowsError(try TransformerModel.load(directory: try temporaryModel(config: config))) { error in
            // Checked against the checkpoint's expert indices before anything is sized by the count.
            XCTAssertTrue(error.localizedDescription.contains("'num_local_experts' is 6, but the checkpoint holds 5 expert(s)"),
                          error.localizedDescription)
        }
    }

    private func temporaryModel(config: String) throws -> URL {
        return try Fixtures.folder(config: config, weights: Fixtures.weights("mixtral-moe"), test: self, label: "mixtral")
    }
}
