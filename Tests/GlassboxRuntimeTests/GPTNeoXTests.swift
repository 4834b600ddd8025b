import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// GPT-NeoX (Pythia) specifics beyond the golden comparison (GoldenTests checks every hook point
/// of neox-parallel and neox-sequential against transformers at 1e-4): the hook list of a parallel
/// block, the fused QKV split, partial rotary, and typed config errors.
final class GPTNeoXTests: XCTestCase {

    func testParallelBlocksHaveNoResidMid() throws {
        let parallel = try Fixtures.load("neox-parallel"), sequential = try Fixtures.load("neox-sequential")
        XCTAssertTrue(parallel.architecture.parallelResidual)
        XCTAssertFalse(sequential.architecture.parallelResidual)
        let names = parallel.hookPoints.map(\.name)
        XCTAssertFalse(names.contains("blocks.0.hook_resid_mid"))
        XCTAssertEqual(Array(names.prefix(20)), [
            "hook_embed", "blocks.0.hook_resid_pre", "blocks.0.ln1.hook_scale", "blocks.0.ln1.hook_normalized",
            "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v", "blocks.0.attn.hook_rot_q",
            "blocks.0.attn.hook_rot_k", "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern",
            "blocks.0.attn.hook_z", "blocks.0.attn.hook_result", "blocks.0.hook_attn_out",
            "blocks.0.ln2.hook_scale", "blocks.0.ln2.hook_normalized", "blocks.0.mlp.hook_pre",
            "blocks.0.mlp.hook_post", "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post",
        ])
        XCTAssertTrue(sequential.hookPoints.map(\.name).contains("blocks.2.hook_resid_mid"))
    }

    func testParallelResidualSumsBothBranchesOnTheBlockInput() throws {
        let m = try Fixtures.load("neox-parallel")
        let r = try m.forward([5, 17, 3, 90, 44], capture: .all)
        assertBlockOutputsAddBothBranches(r, layers: m.architecture.layers, "neox-parallel")
    }

    func testOnlyTheRotaryShareOfEachHeadTurns() throws {
        let m = try Fixtures.load("neox-parallel")   // dh 10, rotary_pct 0.4: 4 rotated dimensions
        guard case .rotary(let rope) = m.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.dimensions, 4)
        XCTAssertEqual(m.architecture.headDim, 10)
        let r = try m.forward([5, 17, 3], capture: .all)
        let q = r.cache[.block(0, .q)]!, rot = r.cache[.block(0, .rotQ)]!
        for t in 0..<3 {
            for h in 0..<3 {
                for j in 4..<10 { XCTAssertEqual(q[t, h, j], rot[t, h, j]) }
            }
        }
        XCTAssertNotEqual(q[2, 0, 0], rot[2, 0, 0])
    }

    func testGPTNeoXConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "gpt_neox", "hidden_size": 30, "num_attention_heads": 4}"#, "num_attention_heads"),
            // dh 9, int(9 · 1) = 9: transformers' table is 10 wide (size mismatch). An odd dim within
            // the head runs (dh 10 at 0.3: HeadDimFieldTests.testGPTNeoXRotaryTablesAreSizedByTheKey's odd case).
            (#"{"model_type": "gpt_neox", "hidden_size": 27, "num_attention_heads": 3, "rotary_pct": 1.0}"#, "rotary_pct"),
            (#"{"model_type": "gpt_neox", "rotary_pct": 1.5}"#, "rotary_pct"),
            (#"{"model_type": "gpt_neox", "rotary_pct": -0.25}"#, "rotary_pct"),   // 0 runs (RotaryWidthTests)
            (#"{"model_type": "gpt_neox", "rotary_pct": null}"#,      // transformers: TypeError, not the default 0.25
             "'rotary_pct' is null; transformers cannot multiply the head size by it (TypeError); give a number in (0, 1] or leave the key out for 0.25"),
            (#"{"model_type": "gpt_neox", "hidden_act": "prelu"}"#, "hidden_act"),
            (#"{"model_type": "gpt_neox", "layer_norm_eps": -1}"#, "layer_norm_eps"),
            (#"{"model_type": "gpt_neox", "rotary_emb_base": 0}"#, "rotary_emb_base"),
            (#"{"model_type": "gpt_neox", "rope_scaling": {"rope_type": "ntk", "factor": 2.0}}"#, "rope_scaling"),
            (#"{"model_type": "gpt_neox", "num_hidden_layers": 0}"#, "num_hidden_layers"),
        ]
        for (json, fragment) in cases {
            let folder = try Fixtures.folder(config: json, weights: Fixtures.weights("neox-parallel"), test: self, label: "neox")
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fragment): \(error)") }
                XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)")
            }
        }
    }

    func testShapeMismatchOfTheFusedProjectionIsAnError() throws {
        // neox-sequential's weights under neox-parallel's config: every shape differs.
        let folder = try makeTemporaryFolder("neox")
        try FileManager.default.copyItem(at: Fixtures.model("neox-parallel").appendingPathComponent("config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: Fixtures.model("neox-sequential").appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try TransformerModel.load(directory: folder))
    }
}
