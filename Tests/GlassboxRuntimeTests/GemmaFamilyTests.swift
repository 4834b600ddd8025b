import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Gemma 1–3 and OLMo 2 specifics beyond the golden comparison (GoldenTests checks every hook point
/// of gemma-tiny, gemma2-softcap, gemma3-text and olmo2-postnorm against transformers at 1e-4): the
/// hook lists of sandwich and branch-output blocks, what soft-capping and sliding windows do to the
/// captured tensors, the embedding scale's rounding, and config errors.
final class GemmaFamilyTests: XCTestCase {

    func testSandwichBlockHookListIsPinned() throws {
        let m = try Fixtures.load("gemma2-softcap")
        XCTAssertEqual(m.architecture.placement, .sandwich)
        let names = m.hookPoints.map(\.name)
        XCTAssertEqual(Array(names.prefix(30)), [
            "hook_embed", "blocks.0.hook_resid_pre", "blocks.0.ln1.hook_scale", "blocks.0.ln1.hook_normalized",
            "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v", "blocks.0.attn.hook_rot_q",
            "blocks.0.attn.hook_rot_k", "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern",
            "blocks.0.attn.hook_z", "blocks.0.attn.hook_result", "blocks.0.ln1_post.hook_scale",
            "blocks.0.ln1_post.hook_normalized", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid",
            "blocks.0.ln2.hook_scale", "blocks.0.ln2.hook_normalized", "blocks.0.mlp.hook_pre",
            "blocks.0.mlp.hook_pre_linear", "blocks.0.mlp.hook_post", "blocks.0.ln2_post.hook_scale",
            "blocks.0.ln2_post.hook_normalized", "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post",
            "blocks.1.hook_resid_pre", "blocks.1.ln1.hook_scale", "blocks.1.ln1.hook_normalized", "blocks.1.attn.hook_q",
        ])
        XCTAssertEqual(HookPoint(name: "blocks.2.ln2_post.hook_normalized"), .block(2, .ln2Post(.normalized)))
        XCTAssertEqual(HookPoint(name: "blocks.0.ln1_post.hook_scale")?.name, "blocks.0.ln1_post.hook_scale")
        // Gemma 1 is pre-norm only: no post norms.
        XCTAssertFalse(try Fixtures.load("gemma-tiny").hookPoints.contains { $0.name.contains("_post.") })
    }

    func testOLMo2HasOnlyPostBranchNormsAndAWholeProjectionQKNorm() throws {
        let m = try Fixtures.load("olmo2-postnorm")
        let names = m.hookPoints.map(\.name).filter { $0.hasPrefix("blocks.0.") }
        XCTAssertFalse(names.contains { $0.hasPrefix("blocks.0.ln1.") || $0.hasPrefix("blocks.0.ln2.") })
        XCTAssertEqual(Array(names.prefix(8)), [
            "blocks.0.hook_resid_pre", "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
            "blocks.0.attn.q_norm.hook_scale", "blocks.0.attn.q_norm.hook_normalized",
            "blocks.0.attn.k_norm.hook_scale", "blocks.0.attn.k_norm.hook_normalized",
        ])
        let r = try m.forward([5, 17, 40, 3, 60], capture: .all)
        XCTAssertEqual(r.cache[.block(0, .qNorm(.scale))]?.shape, [5, 1])       // over all H·dh values
        XCTAssertEqual(r.cache[.block(0, .qNorm(.normalized))]?.shape, [5, 3, 10])
        // x̂ has unit mean square over the whole projection, not per head.
        let xhat = try XCTUnwrap(r.cache[.block(1, .kNorm(.normalized))])
        for t in 0..<5 {
            let row = xhat.storage[(t * 30)..<((t + 1) * 30)]
            XCTAssertEqual(row.reduce(0) { $0 + $1 * $1 } / 30, 1, accuracy: 1e-3)
        }
    }

    func testSoftCapsBoundScoresAndLogits() throws {
        let m = try Fixtures.load("gemma2-softcap")
        XCTAssertEqual(m.architecture.attentionSoftCap, 3)
        XCTAssertEqual(m.architecture.finalSoftCap, 20)
        let r = try m.forward(Array(1...12), capture: .all)
        for l in 0..<3 {
            let scores = try XCTUnwrap(r.cache[.block(l, .attnScores)]).storage.filter(\.isFinite)
            XCTAssertLessThan(scores.map(abs).max() ?? 0, 3)
        }
        XCTAssertLessThan(try XCTUnwrap(r.logits).storage.map(abs).max() ?? 0, 20)
        // Editing the scores still takes effect after the cap (AtMan edits hook_attn_scores).
        var edit = Interventions()
        edit.add(.block(0, .attnScores)) { _, t in
            var s = t
            for i in 0..<s.count where s.storage[i].isFinite { s.storage[i] = 0 }
            return s
        }
        let flat = try m.forward(Array(1...12), capture: .all, interventions: edit)
        let pattern = try XCTUnwrap(flat.cache[.block(0, .pattern)])
        XCTAssertEqual(pattern[0, 11, 11], 0.25, accuracy: 1e-6)                 // window 4: uniform over 4 keys
    }

    func testDirectLogitAttributionRefusesPostBranchNorms() throws {
        for name in ["gemma2-softcap", "gemma3-text", "gemma3-mm", "olmo2-postnorm"] {
            XCTAssertThrowsError(try DirectLogitAttribution.run(try Fixtures.load(name), .tokens([3, 9, 27], types: nil))) { error in
                guard case AnalysisError.invalidOption(let detail) = error else { return XCTFail("\(name): \(error)") }
                XCTAssertTrue(detail.contains("norms on the branch outputs"), detail)
            }
        }
        XCTAssertNoThrow(try DirectLogitAttribution.run(try Fixtures.load("gemma-tiny"), .tokens([3, 9, 27], types: nil)))
    }

    /// The identity rule passes relevance through both soft-caps unchanged: under CP-LRP (no
    /// relevance into q, k, so none through the score cap or the softmax) and a bias-free model,
    /// the tokens receive the whole capped logit; under AttnLRP tokens + softmax share do. The
    /// gradient rule through the final cap (grad × input) does not conserve.
    func testSoftCapIdentityRuleConserves() throws {
        let m = try Fixtures.load("gemma2-softcap")
        let input = ModelInput.tokens([4, 19, 33, 7, 60, 12, 90, 5], types: nil)
        let cp = try Relevance.explain(m, input, options: RelevanceOptions(method: .cpLRP))
        XCTAssertEqual(cp.tokens.reduce(0.0) { $0 + Double($1) }, Double(cp.target.value), accuracy: 1e-4 * abs(Double(cp.target.value)))
        XCTAssertEqual(cp.budget.softmax, 0, accuracy: 1e-6)
        let lrp = try Relevance.explain(m, input, options: RelevanceOptions(method: .attnLRP))
        XCTAssertLessThan(abs(lrp.budget.unaccounted), 1e-4 * abs(lrp.budget.explained), "\(lrp.budget)")
        let gxi = try Relevance.explain(m, input, options: RelevanceOptions(method: .gradientTimesInput))
        XCTAssertGreaterThan(abs(gxi.budget.explained - gxi.budget.inputs - gxi.budget.softmax), 1e-3 * abs(gxi.budget.explained))
    }

    func testSlidingLayersAlternateAndUseTheirOwnRotaryBase() throws {
        let gemma3 = try Fixtures.load("gemma3-text")
        XCTAssertEqual(gemma3.architecture.slidingWindows, [3, nil, 3])
        XCTAssertEqual(gemma3.architecture.slidingRotary?.base, 50)
        XCTAssertEqual(gemma3.architecture.rotary(layer: 0)?.base, 50)
        XCTAssertEqual(gemma3.architecture.rotary(layer: 1)?.base, 1000)
        XCTAssertEqual(gemma3.architecture.rotary(layer: 1)?.scaling, .linear(factor: 2))
        let r = try gemma3.forward(Array(3...12), capture: .all)
        let sliding = try XCTUnwrap(r.cache[.block(0, .pattern)]), full = try XCTUnwrap(r.cache[.block(1, .pattern)])
        XCTAssertEqual(sliding[0, 9, 6], 0)                                      // 3 positions back: outside
        XCTAssertGreaterThan(full[0, 9, 0], 0)
        XCTAssertEqual(try Fixtures.load("gemma2-softcap").architecture.slidingWindows, [4, nil, 4])
    }

    func testEmbeddingScaleIsRoundedToTheTableDType() throws {
        let m = try Fixtures.load("gemma-tiny")
        XCTAssertEqual(m.weights.embeddings.scale, Float(Double(30).squareRoot()))
        let r = try m.forward([7], capture: .all)
        let row = m.weights.embeddings.token.row(7).storage
        XCTAssertEqual(try XCTUnwrap(r.cache[.embed]).storage, row.map { $0 * Float(Double(30).squareRoot()) })
        // √3072 = 55.4256… is 55.5 in bf16 (transformers' own comment) and 55.4375 in fp16.
        XCTAssertEqual(DType.bf16.rounded(55.42563), 55.5)
        XCTAssertEqual(DType.f16.rounded(55.42563), 55.4375)
        XCTAssertEqual(DType.f32.rounded(55.42563), 55.42563)
    }

    func testGemmaNormsMultiplyByOnePlusW() throws {
        // The checkpoint stores w; the model's γ is 1 + w.
        let folder = Fixtures.model("gemma-tiny")
        let file = try SafetensorsFile(url: folder.appendingPathComponent("model.safetensors"))
        let w = try file.tensor("model.norm.weight")
        XCTAssertEqual(try Fixtures.load("gemma-tiny").weights.head.finalNorm?.weight.storage, w.storage.map { 1 + $0 })
    }

    func testConfigErrors() throws {
        let cases: [(String, String, String)] = [
            ("gemma2-softcap", #"{"model_type": "gemma2", "attn_logit_softcapping": -1}"#, "attn_logit_softcapping"),
            ("gemma2-softcap", #"{"model_type": "gemma2", "num_hidden_layers": 3, "layer_types": ["full_attention"]}"#, "layer_types"),
            ("gemma2-softcap", #"{"model_type": "gemma2", "hidden_activation": "prelu"}"#, "hidden_activation"),
            ("gemma-tiny", #"{"model_type": "gemma", "head_dim": 9}"#, "head_dim"),
            ("gemma3-text", #"{"model_type": "gemma3_text", "rope_scaling": {"type": "linear", "factor": 2.0}}"#, "rope_type"),
            ("gemma3-text", #"{"model_type": "gemma3_text", "query_pre_attn_scalar": 0}"#, "query_pre_attn_scalar"),
            ("olmo2-postnorm", #"{"model_type": "olmo2", "hidden_size": 30, "num_attention_heads": 4}"#, "num_attention_heads"),
            ("olmo2-postnorm", #"{"model_type": "olmo2", "num_attention_heads": 8, "num_key_value_heads": 3}"#, "num_key_value_heads"),
        ]
        for (fixture, json, fragment) in cases {
            let folder = try Fixtures.folder(config: json, weights: Fixtures.weights(fixture), test: self, label: "gemma")
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fragment): \(error)") }
                XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)")
            }
        }
    }

    /// Gemma 3's `attn_logit_softcapping` is inert in transformers 4.53.3 (`Gemma3Attention.forward`
    /// never passes `softcap=` to its attention function), so writing 3.0 there leaves the logits of
    /// gemma3-text as they are with `null` (the golden's config); Gemma 2's cap still applies.
    func testGemma3IgnoresTheAttentionSoftCapAsTransformersDoes() throws {
        let ids = [3, 17, 5, 42, 8, 11, 29, 2]
        func logits(_ fixture: String, _ edit: ((String) -> String)?) throws -> [Float] {
            let folder = try edit.map { edit in
                try Fixtures.linkedCopy(of: fixture, test: self, replacing: "config.json") { Data(edit(String(decoding: $0, as: UTF8.self)).utf8) }
            } ?? Fixtures.model(fixture)
            return try XCTUnwrap(TransformerModel.load(directory: folder).forward(ids).logits).storage
        }
        let capped = { (text: String) in
            text.replacingOccurrences(of: #""attn_logit_softcapping": null"#, with: #""attn_logit_softcapping": 3.0"#)
        }
        XCTAssertEqual(try logits("gemma3-text", capped), try logits("gemma3-text", nil))
        let gemma2 = { (text: String) in
            text.replacingOccurrences(of: #""attn_logit_softcapping": 3.0"#, with: #""attn_logit_softcapping": 0.5"#)
        }
        XCTAssertNotEqual(try logits("gemma2-softcap", gemma2), try logits("gemma2-softcap", nil))
    }

    func testMissingPostNormWeightIsNamed() throws {
        // gemma-tiny's weights (no pre_feedforward / post_feedforward norms) under a gemma2 config.
        let folder = try makeTemporaryFolder("gemma")
        let source = Fixtures.model("gemma-tiny")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        config["model_type"] = "gemma2"
        config["hidden_activation"] = "gelu_pytorch_tanh"   // gemma-tiny writes it null, which Gemma 2 refuses
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.contains("pre_feedforward_layernorm"), error.localizedDescription)
        }
    }
}
