import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// OLMoE (`model_type` "olmoe", allenai/OLMoE-1B-7B): every hook point of olmoe-tiny (6 experts,
/// top-2 not renormalised, GQA 4:2, untied) and olmoe-norm (5 experts, top-3 renormalised,
/// attention_bias, 3 heads on one key/value head, linear rope_scaling given as "type", tied) against
/// transformers 4.53.3's OlmoeForCausalLM (goldens from scripts/fixtures/hf_hooks_qwenmoe.py, 1e-4
/// as GoldenTests); the QK-norm over the whole projections, the routing with and without
/// renormalisation, num_parameters(), and typed config and weight errors (clip_qkv: OLMoEClipTests).
final class OLMoETests: XCTestCase {
    private static let names = ["olmoe-tiny", "olmoe-norm"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "olmoe-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "olmoe")
    }

    /// `name`'s config.json with `key` set to `value` (JSON text, `null` included), added when absent.
    private func edited(_ name: String, _ key: String, _ value: String) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Fixtures.configText(name).utf8)) as? [String: Any])
        object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// The architecture: pre-norm, QK-norm over the whole q and k projections (γ [H·dh], [Hkv·dh],
    /// OLMo 2's scope) whose points sit between hook_v and the rotation, every layer the mixture
    /// with no shared expert and no dense layer, biases only with attention_bias.
    func testArchitectureAndHookOrder() throws {
        let tiny = try Fixtures.load("olmoe-tiny"), norm = try Fixtures.load("olmoe-norm")
        XCTAssertEqual(tiny.architecture.placement, .pre)
        XCTAssertEqual(tiny.architecture.qkNormScope, .wholeProjection)
        XCTAssertEqual(tiny.architecture.slidingWindows, [nil, nil])
        var routing = ExpertRouting(count: 6, topK: 2)
        routing.renormalizes = false
        XCTAssertEqual(tiny.architecture.experts, routing)
        XCTAssertEqual(norm.architecture.experts?.renormalizes, true)
        XCTAssertEqual(norm.architecture.experts?.topK, 3)
        XCTAssertEqual([norm.architecture.heads, norm.architecture.kvHeads, norm.architecture.headDim], [3, 1, 8])
        let block = norm.weights.blocks[0]
        XCTAssertEqual(try XCTUnwrap(block.attention.queryNorm).weight.count, 24)
        XCTAssertEqual(try XCTUnwrap(block.attention.keyNorm).weight.count, 8)
        XCTAssertNotNil(block.attention.output.bias)
        XCTAssertNil(tiny.weights.blocks[0].attention.query.bias)
        XCTAssertTrue(tiny.weights.blocks.allSatisfy { $0.mlp.mixture?.shared == nil && $0.mlp.mixture?.experts.count == 6 })
        let names = tiny.hookPoints.map(\.name)
        XCTAssertEqual(Array(names[4...12]), ["blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
                                              "blocks.0.attn.q_norm.hook_scale", "blocks.0.attn.q_norm.hook_normalized",
                                              "blocks.0.attn.k_norm.hook_scale", "blocks.0.attn.k_norm.hook_normalized",
                                              "blocks.0.attn.hook_rot_q", "blocks.0.attn.hook_rot_k"])
        XCTAssertFalse(names.contains { $0.contains("shared_expert") || $0 == "blocks.0.mlp.hook_pre" })
        guard case .rotary(let rope) = norm.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .linear(factor: 2))
        // num_parameters() of OlmoeForCausalLM (the tied table counted once).
        XCTAssertEqual(tiny.weights.parameterCount, 31680)
        XCTAssertEqual(norm.weights.parameterCount, 20712)
    }

    /// The QK-norm's statistic is one per position over the whole projection ([n, 1]), not per head.
    func testQKNormOverTheWholeProjection() throws {
        let r = try Fixtures.load("olmoe-tiny").forward([5, 17, 3, 90], capture: .all)
        let q = try XCTUnwrap(r.cache[.block(0, .q)]), scale = try XCTUnwrap(r.cache[HookPoint(name: "blocks.0.attn.q_norm.hook_scale")!])
        XCTAssertEqual(scale.shape, [4, 1])
        for t in 0..<4 {
            let row = (0..<32).map { q[t, $0 / 8, $0 % 8] }
            XCTAssertEqual(scale[t, 0], (row.map { $0 * $0 }.reduce(0, +) / 32 + 1e-5).squareRoot(), accuracy: 1e-5)
        }
    }

    /// norm_topk_prob false keeps the chosen softmax probabilities (their sum below 1); true
    /// divides them by their sum.
    func testRoutingWeightsRenormaliseOnlyWithNormTopKProb() throws {
        let ids = [5, 17, 3, 90, 44, 8]
        for (name, renormalised) in [("olmoe-tiny", false), ("olmoe-norm", true)] {
            let r = try Fixtures.load(name).forward(ids, capture: .all)
            let p = try XCTUnwrap(r.cache[.block(0, .expertWeights)]), w = try XCTUnwrap(r.cache[.block(0, .routingWeights)])
            let idx = try XCTUnwrap(r.cache[.block(0, .expertIndices)])
            for t in 0..<ids.count {
                let chosen = (0..<w.shape[1]).map { p[t, Int(idx[t, $0])] }
                let sum = chosen.reduce(0, +)
                for j in 0..<w.shape[1] {
                    XCTAssertEqual(w[t, j], renormalised ? chosen[j] / sum : chosen[j], accuracy: 1e-6, "\(name) \(t)")
                }
                if !renormalised { XCTAssertLessThan(sum, 0.999, "\(name) \(t)") }
            }
        }
    }

    /// Configs transformers refuses (or fails on) are refused naming the key.
    func testInvalidConfigsAreRefusedNamingTheKey() throws {
        assertInvalidConfigs([
            (try edited("olmoe-tiny", "num_experts_per_tok", "7"), "num_experts_per_tok"),
            (try edited("olmoe-tiny", "num_experts", "null"), "'num_experts' is null"),
            (try edited("olmoe-tiny", "num_experts", "0"), "num_experts"),
            (try edited("olmoe-tiny", "attention_dropout", "null"), "'attention_dropout' is null"),
            (try edited("olmoe-tiny", "head_dim", "16"), "'head_dim'"),
            (try edited("olmoe-tiny", "num_attention_heads", "5"), "'num_attention_heads'"),
            (try edited("olmoe-tiny", "num_key_value_heads", "3"), "'num_key_value_heads'"),
            (try edited("olmoe-tiny", "partial_rotary_factor", "0.5"), "partial_rotary_factor"),
            (try edited("olmoe-tiny", "rms_norm_eps", "0"), "'rms_norm_eps'"),
            (try edited("olmoe-tiny", "hidden_act", "\"prelu\""), "'hidden_act'"),
            (try edited("olmoe-tiny", "rope_scaling", #"{"type": "ntk", "factor": 2.0}"#), "not supported for olmoe"),
        ], folder: { try self.folder(config: $0) })
    }

    /// Fields read as transformers reads them: clip_qkv null is no clamp, num_key_value_heads null
    /// is H (OlmoeConfig's backward compatibility), head_dim equal to d / H is accepted.
    func testFieldsAcceptedAsTransformersReadsThem() throws {
        let reference = try Fixtures.load("olmoe-tiny").forward([5, 17, 3]).logits
        for (key, value) in [("clip_qkv", "null"), ("head_dim", "8"), ("output_router_logits", "true")] {
            let m = try TransformerModel.load(directory: folder(config: edited("olmoe-tiny", key, value)))
            XCTAssertEqual(try m.forward([5, 17, 3]).logits?.storage, reference?.storage, key)
        }
        let kv = try ConfigDecoding.decode(OLMoEConfig.self, from: Data(#"{"num_attention_heads": 4, "num_key_value_heads": null}"#.utf8),
                                           file: URL(fileURLWithPath: "config.json"))
        XCTAssertEqual(kv.fields.numKeyValueHeads, 4)
    }

    /// Weights that disagree with the config are named; a hostile expert count is refused against
    /// the experts the checkpoint holds before any per-expert array is sized by it.
    func testWeightAndCountErrors() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("olmoe-tiny", "attention_bias", "true")))) { error in
            XCTAssertTrue("\(error)".contains("q_proj.bias"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("olmoe-norm", "tie_word_embeddings", "false"),
                                                                         weightsOf: "olmoe-norm"))) { error in
            XCTAssertTrue("\(error)".contains("lm_head.weight"), "\(error)")
        }
        // transformers 4.53.3 has no OLMoE classifier: the class is named in the refusal.
        let classifier = try edited("olmoe-tiny", "architectures", #"["OlmoeForSequenceClassification"]"#)
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: classifier))) { error in
            XCTAssertTrue(error.localizedDescription.contains("OlmoeForSequenceClassification"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("olmoe-tiny", "num_experts", "2147483647")))) { error in
            XCTAssertTrue("\(error)".contains("num_experts") && "\(error)".contains("6 expert(s) per layer"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("olmoe-tiny", "num_experts", "5")))) { error in
            XCTAssertTrue("\(error)".contains("layers.0.mlp.gate.weight"), "\(error)")
        }
    }

    /// The defaults of transformers 4.53.3's OlmoeConfig for absent keys.
    func testDefaults() throws {
        let c = try ConfigDecoding.decode(OLMoEConfig.self, from: Data(#"{"model_type": "olmoe"}"#.utf8),
                                          file: URL(fileURLWithPath: "config.json"))
        XCTAssertEqual([c.fields.vocabSize, c.fields.hiddenSize, c.fields.intermediateSize, c.fields.numHiddenLayers,
                        c.fields.numAttentionHeads, c.fields.numKeyValueHeads, c.fields.maxPositionEmbeddings, c.fields.headDim],
                       [50304, 2048, 2048, 16, 16, 16, 4096, 128])
        XCTAssertEqual([c.numExperts, c.numExpertsPerTok], [64, 8])
        XCTAssertEqual([c.normTopKProb, c.attentionBias, c.fields.tieWordEmbeddings], [false, false, false])
        XCTAssertEqual(c.fields.rmsNormEps, 1e-5)
        XCTAssertEqual(c.fields.ropeTheta, 10000)
        XCTAssertEqual(c.fields.hiddenAct, "silu")
        XCTAssertEqual(c.ropeScaling, .none)
    }
}
