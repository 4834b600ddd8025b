import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// StarCoder2 (`model_type` "starcoder2"): every hook point of starcoder2-tiny (GQA 4:2, every bias,
/// sliding_window 4 shorter than the inputs, tied head) and starcoder2-nobias (use_bias false,
/// multi-query, linear rope_scaling as "type", untied head) against transformers'
/// Starcoder2ForCausalLM at 1e-4 (goldens from scripts/fixtures/hf_hooks_starcoder2.py), the block
/// shapes, num_parameters(), and typed config and weight errors.
final class Starcoder2Tests: XCTestCase {
    static let names = ["starcoder2-tiny", "starcoder2-nobias"]

    /// A folder holding `config` (JSON text) and starcoder2-tiny's weights, or `weights` when given.
    private func folder(config: String, weights: URL? = nil) throws -> URL {
        try Fixtures.folder(config: config, weights: weights ?? Fixtures.weights("starcoder2-tiny"), test: self, label: "starcoder2")
    }

    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// Sequential pre-LayerNorm blocks with biases on the norms, a plain MLP (no up projection), the
    /// q/k/v/o and c_fc/c_proj biases exactly when use_bias; tied or untied head as configured.
    func testBlockShapes() throws {
        let tiny = try Fixtures.load("starcoder2-tiny"), nobias = try Fixtures.load("starcoder2-nobias")
        for m in [tiny, nobias] {
            XCTAssertFalse(m.architecture.parallelResidual)
            XCTAssertEqual(m.architecture.mlp, .standard)
            XCTAssertNil(m.weights.blocks[0].mlp.up)
            XCTAssertNotNil(m.weights.blocks[0].ln1.bias)
            XCTAssertNotNil(m.weights.head.finalNorm?.bias)
        }
        XCTAssertEqual(tiny.architecture.norm, .layerNorm(eps: 1e-5))
        XCTAssertEqual(nobias.architecture.norm, .layerNorm(eps: 1e-6))
        let a = tiny.weights.blocks[1].attention, mlp = tiny.weights.blocks[1].mlp
        for b in [a.query.bias, a.key.bias, a.value.bias, a.output.bias, mlp.input.bias, mlp.output.bias] { XCTAssertNotNil(b) }
        let n = nobias.weights.blocks[1].attention, nm = nobias.weights.blocks[1].mlp
        for b in [n.query.bias, n.key.bias, n.value.bias, n.output.bias, nm.input.bias, nm.output.bias] { XCTAssertNil(b) }
        XCTAssertTrue(try XCTUnwrap(tiny.weights.head.unembed).weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertFalse(try XCTUnwrap(nobias.weights.head.unembed).weight.sharesStorage(with: nobias.weights.embeddings.token))
        XCTAssertEqual(tiny.weights.parameterCount, 16192)     // Starcoder2ForCausalLM.num_parameters()
        XCTAssertEqual(nobias.weights.parameterCount, 26496)
    }

    /// starcoder2-tiny slides a window of 4 in every layer: query 7 gives keys 0-3 exactly zero
    /// weight, keys 4-7 all of it. starcoder2-nobias attends causally with 3 query heads on one
    /// key/value head and the linear scaling read from "type".
    func testSlidingWindowGroupsAndScaling() throws {
        let tiny = try Fixtures.load("starcoder2-tiny")
        XCTAssertEqual(tiny.architecture.slidingWindows, [4, 4])
        XCTAssertEqual([tiny.architecture.heads, tiny.architecture.kvHeads, tiny.architecture.headDim], [4, 2, 8])
        let r = try tiny.forward([25, 40, 33, 71, 19, 88, 52, 60], capture: .all)
        for l in 0..<2 {
            let p = r.cache[.block(l, .pattern)]!
            for h in 0..<4 {
                for j in 0..<4 { XCTAssertEqual(p[h, 7, j], 0) }
                XCTAssertEqual((4..<8).map { p[h, 7, $0] }.reduce(0, +), 1, accuracy: 1e-5)
            }
        }
        let nobias = try Fixtures.load("starcoder2-nobias")
        XCTAssertEqual(nobias.architecture.slidingWindows, [nil, nil, nil])
        XCTAssertEqual([nobias.architecture.heads, nobias.architecture.kvHeads, nobias.architecture.headDim], [3, 1, 12])
        guard case .rotary(let rope) = nobias.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .linear(factor: 2))
        XCTAssertEqual(rope.dimensions, 12)
    }

    func testStarcoder2ConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "starcoder2", "hidden_size": 32, "num_attention_heads": 5, "num_key_value_heads": 1}"#, "'num_attention_heads'"),
            (#"{"model_type": "starcoder2", "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 3}"#, "'num_key_value_heads'"),
            // num_key_value_heads defaults to 2, not to num_attention_heads: 3 heads cannot be grouped by 2
            (#"{"model_type": "starcoder2", "hidden_size": 36, "num_attention_heads": 3}"#, "'num_key_value_heads'"),
            (#"{"model_type": "starcoder2", "num_key_value_heads": null}"#, "'num_key_value_heads' is null"),
            (#"{"model_type": "starcoder2", "residual_dropout": null}"#, "'residual_dropout' is null"),
            (#"{"model_type": "starcoder2", "embedding_dropout": null}"#, "'embedding_dropout' is null"),
            (#"{"model_type": "starcoder2", "norm_epsilon": 0}"#, "'norm_epsilon'"),
            (#"{"model_type": "starcoder2", "norm_epsilon": null}"#, "'norm_epsilon' is null"),
            (#"{"model_type": "starcoder2", "partial_rotary_factor": 0.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "starcoder2", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "starcoder2", "sliding_window": 0}"#, "'sliding_window'"),
            (#"{"model_type": "starcoder2", "rope_scaling": {"type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for starcoder2"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// The ε is read from norm_epsilon, not rms_norm_eps (which StarCoder2 does not have); an
    /// attention_dropout of null is fine (never read in eval).
    func testReadsNormEpsilonAndDefaults() throws {
        let config = try String(contentsOf: Fixtures.model("starcoder2-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        let edited = config.replacingOccurrences(of: #""norm_epsilon": 1e-05"#, with: #""norm_epsilon": 0.001, "rms_norm_eps": 0.5"#)
            .replacingOccurrences(of: #""attention_dropout": 0.0"#, with: #""attention_dropout": null"#)
        XCTAssertNotEqual(edited, config)
        let m = try TransformerModel.load(directory: try folder(config: edited))
        XCTAssertEqual(m.architecture.norm, .layerNorm(eps: 1e-3))
        let defaults = try JSONDecoder().decode(Starcoder2Config.self, from: Data(#"{"model_type": "starcoder2"}"#.utf8))
        XCTAssertEqual([defaults.fields.vocabSize, defaults.fields.hiddenSize, defaults.fields.intermediateSize,
                        defaults.fields.numHiddenLayers, defaults.fields.numAttentionHeads, defaults.fields.numKeyValueHeads,
                        defaults.fields.maxPositionEmbeddings], [49152, 3072, 12288, 30, 24, 2, 4096])
        XCTAssertEqual(defaults.fields.hiddenAct, "gelu_pytorch_tanh")
        XCTAssertEqual(defaults.fields.rmsNormEps, 1e-5)
        XCTAssertTrue(defaults.fields.tieWordEmbeddings)
        XCTAssertTrue(defaults.useBias)
        XCTAssertNil(defaults.fields.slidingWindow)
    }

    /// starcoder2-tiny's config over starcoder2-nobias' weights is refused; use_bias false over
    /// starcoder2-tiny's weights leaves the biases unused (refused, naming one).
    func testWeightErrors() throws {
        let config = try String(contentsOf: Fixtures.model("starcoder2-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: config, weights: Fixtures.weights("starcoder2-nobias"))))
        let noBias = config.replacingOccurrences(of: #""use_bias": true"#, with: #""use_bias": false"#)
        XCTAssertNotEqual(noBias, config)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: noBias))) { error in
            XCTAssertTrue(error.localizedDescription.contains("bias"), error.localizedDescription)
        }
    }
}
