import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// PhiMoE (`model_type` "phimoe", microsoft/Phi-3.5-MoE-instruct): every hook point of phimoe-tiny
/// (4 experts, GQA 4:2, sliding_window 5, every bias, LongRoPE from 8 with short_mscale 1.1 and
/// long_mscale 1.25, router_jitter_noise 0.3) and phimoe-plain (5 experts, 3 heads on one key/value
/// head, no rope_scaling, no biases, tied) against transformers 4.53.3's PhimoeForCausalLM (goldens
/// from scripts/fixtures/hf_hooks_phimoe.py, whose routing points are modeling_phimoe.sparsemixer's
/// own; 1e-4 as GoldenTests); the sparsemixer routing, the mscale by length, num_parameters(), and
/// typed config and weight errors.
final class PhiMoETests: XCTestCase {
    private static let names = ["phimoe-tiny", "phimoe-plain"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "phimoe-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "phimoe")
    }

    /// `name`'s config.json with `key` set to `value` (JSON text, `null` included), added when absent.
    private func edited(_ name: String, _ key: String, _ value: String) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Fixtures.configText(name).utf8)) as? [String: Any])
        object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// `name`'s config.json with `rope_scaling.key` set to `value` (nil: removed).
    private func editedRope(_ key: String, _ value: String?) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Fixtures.configText("phimoe-tiny").utf8)) as? [String: Any])
        var rope = try XCTUnwrap(object["rope_scaling"] as? [String: Any])
        rope[key] = try value.map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        object["rope_scaling"] = rope
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// The architecture: pre-LayerNorm with bias, the sparsemixer mixture in every layer (two
    /// experts, not renormalised), biases only with attention_bias / lm_head_bias, the window in
    /// every layer, LongRoPE scaled by short_mscale / long_mscale.
    func testArchitecture() throws {
        let tiny = try Fixtures.load("phimoe-tiny"), plain = try Fixtures.load("phimoe-plain")
        XCTAssertEqual(tiny.architecture.norm, .layerNorm(eps: 1e-5))
        XCTAssertEqual(plain.architecture.norm, .layerNorm(eps: 1e-6))
        XCTAssertNotNil(tiny.weights.blocks[0].ln1.bias)
        var routing = ExpertRouting(count: 4, topK: 2)
        routing.renormalizes = false
        routing.kind = .sparseMixer(jitter: 0.3)
        XCTAssertEqual(tiny.architecture.experts, routing)
        XCTAssertEqual(plain.architecture.experts?.kind, .sparseMixer(jitter: 0.2))
        XCTAssertEqual(tiny.architecture.slidingWindows, [5, 5])
        XCTAssertEqual(plain.architecture.slidingWindows, [nil, nil, nil])
        XCTAssertNotNil(tiny.weights.blocks[0].attention.query.bias)
        XCTAssertNotNil(tiny.weights.blocks[0].attention.output.bias)
        XCTAssertNotNil(tiny.weights.head.unembed?.bias)
        XCTAssertNil(plain.weights.blocks[0].attention.query.bias)
        XCTAssertNil(plain.weights.head.unembed?.bias)
        guard case .rotary(let rope) = tiny.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .longrope(short: [1, 1.5, 2.5], long: [1.2, 3, 7.5], originalMaxPositions: 8,
                                               attentionFactor: 1.1))
        XCTAssertEqual(rope.mscale, RotaryMscale(short: 1.1, long: 1.25, originalMaxPositions: 8))
        XCTAssertEqual([rope.attentionScaling(length: 8), rope.attentionScaling(length: 9)], [1.1, 1.25])
        // num_parameters() of PhimoeForCausalLM (the tied table counted once).
        XCTAssertEqual(tiny.weights.parameterCount, 20354)
        XCTAssertEqual(plain.weights.parameterCount, 17820)
    }

    /// The rotation scales q and k by short_mscale up to the original length and long_mscale past it.
    func testRotationScalesByTheMscaleOfTheLength() throws {
        let m = try Fixtures.load("phimoe-tiny")
        for (n, mscale) in [(8, Float(1.1)), (9, Float(1.25))] {
            let r = try m.forward(Array(repeating: 5, count: n), capture: .all)
            let q = try XCTUnwrap(r.cache[.block(0, .q)]), rot = try XCTUnwrap(r.cache[.block(0, .rotQ)])
            for t in [0, n - 1] {
                let before = (0..<6).map { q[t, 1, $0] }, after = (0..<6).map { rot[t, 1, $0] }
                let norm = { (x: [Float]) in x.map { $0 * $0 }.reduce(0, +).squareRoot() }
                XCTAssertEqual(norm(after), mscale * norm(before), accuracy: 1e-5, "n \(n), t \(t)")
            }
        }
    }

    /// sparsemixer's weights are each round's own masked softmax at its expert: not renormalised
    /// (they do not sum to 1), the first at least the second's round maximum; masking is relative.
    func testSparseMixerRounds() throws {
        // Logits 2, 1.9, 1.0, -3 with jitter 0.1: round 1 keeps (2 − s)/max(|s|, 2) ≤ 0.2: 2 and 1.9.
        let first = SparseMixer.round([2, 1.9, 1.0, -3], excluding: nil, jitter: 0.1)
        XCTAssertEqual(first.chosen, 0)
        XCTAssertEqual(first.softmax[0], 1 / (1 + Float(exp(-0.1))), accuracy: 1e-6)
        XCTAssertEqual(Array(first.softmax[2...]), [0, 0])
        // Round 2 without expert 0: maximum 1.9; (1.9 − 1)/1.9 > 0.2 masks 1.0, −3 too: one expert, weight 1.
        let route = SparseMixer.route([2, 1.9, 1.0, -3], jitter: 0.1)
        XCTAssertEqual(route.indices, [0, 1])
        XCTAssertEqual(route.weights[1], 1)
        // jitter 0.5 keeps 1.0 in round 2 ((1.9 − 1)/1.9 ≈ 0.47 ≤ 1): two experts share it.
        let wide = SparseMixer.route([2, 1.9, 1.0, -3], jitter: 0.5)
        XCTAssertEqual(wide.weights[1], 1 / (1 + Float(exp(-0.9))), accuracy: 1e-6)
        let r = try Fixtures.load("phimoe-tiny").forward([1, 17, 3, 90, 44, 8], capture: .all)
        let w = try XCTUnwrap(r.cache[.block(0, .routingWeights)])
        XCTAssertTrue((0..<6).contains { abs(w[$0, 0] + w[$0, 1] - 1) > 1e-3 }, "renormalised?")
    }

    /// Configs transformers refuses (or fails on, or runs into NaN) are refused naming the key.
    func testInvalidConfigsAreRefusedNamingTheKey() throws {
        assertInvalidConfigs([
            (try edited("phimoe-tiny", "num_local_experts", "1"), "num_local_experts"),
            (try edited("phimoe-tiny", "num_local_experts", "null"), "'num_local_experts' is null"),
            (try edited("phimoe-tiny", "router_jitter_noise", "null"), "'router_jitter_noise' is null"),
            (try edited("phimoe-tiny", "router_jitter_noise", "-0.1"), "router_jitter_noise"),
            (try edited("phimoe-tiny", "attention_dropout", "null"), "attention_dropout"),
            (try edited("phimoe-tiny", "attention_dropout", "1.5"), "attention_dropout"),
            (try edited("phimoe-tiny", "head_dim", "8"), "'head_dim'"),
            (try edited("phimoe-tiny", "head_dim", "null"), "'head_dim'"),
            (try edited("phimoe-tiny", "num_attention_heads", "5"), "'num_attention_heads'"),
            (try edited("phimoe-tiny", "num_key_value_heads", "3"), "'num_key_value_heads'"),
            (try edited("phimoe-tiny", "partial_rotary_factor", "0.5"), "partial_rotary_factor"),
            (try edited("phimoe-tiny", "rms_norm_eps", "0"), "'rms_norm_eps'"),
            (try edited("phimoe-tiny", "hidden_act", "\"prelu\""), "'hidden_act'"),
            (try edited("phimoe-tiny", "output_router_logits", "true").replacingOccurrences(
                of: #""num_experts_per_tok":2"#, with: #""num_experts_per_tok":7"#), "num_experts_per_tok"),
            (try editedRope("short_mscale", nil), "rope_scaling.short_mscale"),
            (try editedRope("long_mscale", "\"1.2\""), "rope_scaling.long_mscale"),
            (try editedRope("original_max_position_embeddings", nil), "rope_scaling.original_max_position_embeddings"),
            (try editedRope("rope_type", "\"linear\""), "not supported for phimoe"),
            (try editedRope("short_factor", "[1.0, 2.0]"), "rope_scaling.short_factor"),
            (try edited("phimoe-tiny", "rope_scaling", "{}"), "short_mscale"),
        ], folder: { try self.folder(config: $0) })
    }

    /// Fields the forward does not read leave the logits as they are (transformers: measured the
    /// same): num_experts_per_tok (sparsemixer always takes two), input_jitter_noise (training
    /// only), router_aux_loss_coef and output_router_logits (the loss), a head_dim equal to d / H,
    /// a rope_scaling attention_factor (replaced by the mscales), a top-level
    /// original_max_position_embeddings (rope_scaling's wins).
    func testUnreadFieldsLeaveTheLogits() throws {
        let ids = [1, 17, 3, 90, 44, 8, 12, 5, 60, 33, 2, 71]
        let reference = try Fixtures.load("phimoe-tiny").forward(ids).logits
        for (key, value) in [("num_experts_per_tok", "1"), ("num_experts_per_tok", "3"), ("num_experts_per_tok", "null"),
                             ("input_jitter_noise", "0.5"), ("router_aux_loss_coef", "null"), ("output_router_logits", "true"),
                             ("head_dim", "6"), ("original_max_position_embeddings", "4")] {
            let m = try TransformerModel.load(directory: folder(config: edited("phimoe-tiny", key, value)))
            XCTAssertEqual(try m.forward(ids).logits?.storage, reference?.storage, "\(key) \(value)")
        }
        let m = try TransformerModel.load(directory: folder(config: editedRope("attention_factor", "\"x\"")))
        XCTAssertEqual(try m.forward(ids).logits?.storage, reference?.storage, "attention_factor")
        let kv = try ConfigDecoding.decode(PhiMoEConfig.self, from: Data(#"{"num_attention_heads": 4, "num_key_value_heads": null}"#.utf8),
                                           file: URL(fileURLWithPath: "config.json"))
        XCTAssertEqual(kv.fields.numKeyValueHeads, 4)
        let unslid = try ConfigDecoding.decode(PhiMoEConfig.self, from: Data(#"{"sliding_window": 4, "use_sliding_window": false}"#.utf8),
                                               file: URL(fileURLWithPath: "config.json"))
        XCTAssertNil(unslid.fields.slidingWindow)
    }

    /// Weights that disagree with the config are named; a hostile expert count is refused against
    /// the experts the checkpoint holds; the classifier transformers has is refused naming it.
    func testWeightAndCountErrors() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("phimoe-plain", "attention_bias", "true"),
                                                                         weightsOf: "phimoe-plain"))) { error in
            XCTAssertTrue("\(error)".contains("q_proj.bias"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("phimoe-plain", "lm_head_bias", "true"),
                                                                         weightsOf: "phimoe-plain"))) { error in
            XCTAssertTrue("\(error)".contains("lm_head.bias"), "\(error)")
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("phimoe-tiny", "lm_head_bias", "false")))) { error in
            XCTAssertTrue("\(error)".contains("lm_head.bias"), "\(error)")
        }
        let classifier = try edited("phimoe-tiny", "architectures", #"["PhimoeForSequenceClassification"]"#)
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: classifier))) { error in
            XCTAssertTrue(error.localizedDescription.contains("PhimoeForSequenceClassification"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: edited("phimoe-tiny", "num_local_experts", "2147483647")))) { error in
            XCTAssertTrue("\(error)".contains("num_local_experts") && "\(error)".contains("4 expert(s) per layer"), "\(error)")
        }
    }

    /// A decode past the original length drops the cache (the frequencies and the mscale change),
    /// as PhimoeForCausalLM.prepare_inputs_for_generation does: the same logits as a whole pass.
    func testDecodePastTheOriginalLength() throws {
        let m = try Fixtures.load("phimoe-tiny")
        let ids = [1, 17, 3, 90, 44, 8, 12, 5, 60, 33]
        var cache = try KVCache(for: m)
        _ = try m.decode(Array(ids[..<8]), cache: &cache)
        let stepped = try m.decode(Array(ids[8...]), cache: &cache)
        let whole = try XCTUnwrap(m.forward(ids).logits)
        XCTAssertEqual(stepped.storage, Array(whole.storage[(8 * 98)...]))
    }

    /// The defaults of transformers 4.53.3's PhimoeConfig for absent keys.
    func testDefaults() throws {
        let c = try ConfigDecoding.decode(PhiMoEConfig.self, from: Data(#"{"model_type": "phimoe"}"#.utf8),
                                          file: URL(fileURLWithPath: "config.json"))
        XCTAssertEqual([c.fields.vocabSize, c.fields.hiddenSize, c.fields.intermediateSize, c.fields.numHiddenLayers,
                        c.fields.numAttentionHeads, c.fields.numKeyValueHeads, c.fields.maxPositionEmbeddings, c.fields.headDim],
                       [32064, 4096, 6400, 32, 32, 8, 131072, 128])
        XCTAssertEqual(c.numLocalExperts, 16)
        XCTAssertEqual(c.routerJitterNoise, 0.01)
        XCTAssertEqual([c.attentionBias, c.lmHeadBias, c.fields.tieWordEmbeddings], [false, false, false])
        XCTAssertEqual(c.fields.rmsNormEps, 1e-5)
        XCTAssertEqual(c.fields.ropeTheta, 1e6)
        XCTAssertEqual(c.fields.hiddenAct, "silu")
        XCTAssertNil(c.fields.slidingWindow)
        XCTAssertEqual(c.ropeScaling, .none)
    }
}
