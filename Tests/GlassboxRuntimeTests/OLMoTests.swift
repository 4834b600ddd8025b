import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// OLMo (`model_type` "olmo"): every hook point of olmo-tiny (GQA 4:2, no biases, untied, no clip)
/// and olmo-clip (clip_qkv 1.5 clipping about a third of q, k, v in every layer, q/k/v/o biases,
/// linear rope_scaling, tied head) against transformers' OlmoForCausalLM at 1e-4 (goldens from
/// scripts/fixtures/hf_hooks_olmo.py, hook_q/k/v before the clamp), the parameter-free LayerNorms,
/// num_parameters(), and typed config and weight errors.
final class OLMoTests: XCTestCase {
    static let names = ["olmo-tiny", "olmo-clip"]

    /// A folder holding `config` (JSON text) and `weights` (default olmo-tiny's).
    private func folder(config: String, weights: URL? = nil) throws -> URL {
        try Fixtures.folder(config: config, weights: weights ?? Fixtures.weights("olmo-tiny"), test: self, label: "olmo")
    }

    private func config(_ name: String) throws -> String {
        try String(contentsOf: Fixtures.model(name).appendingPathComponent("config.json"), encoding: .utf8)
    }

    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// OlmoLayerNorm: a LayerNorm (ε 1e-5) without weight or bias — γ held as ones, no β, none of
    /// it counted: num_parameters() 35040 and 28448 (Tests/Fixtures/parameter-counts.json).
    func testParameterFreeNormsAndCounts() throws {
        let tiny = try Fixtures.load("olmo-tiny"), clip = try Fixtures.load("olmo-clip")
        XCTAssertEqual(tiny.architecture.norm, .layerNorm(eps: 1e-5))
        XCTAssertTrue(tiny.architecture.parameterFreeNorms)
        for norm in tiny.weights.blocks.flatMap({ [$0.ln1, $0.ln2] }) + [tiny.weights.head.finalNorm].compactMap({ $0 }) {
            XCTAssertEqual(norm.weight.storage, [Float](repeating: 1, count: 48))
            XCTAssertNil(norm.bias)
        }
        XCTAssertEqual(tiny.weights.parameterCount, 35040)   // OlmoForCausalLM.num_parameters()
        XCTAssertEqual(clip.weights.parameterCount, 28448)
        XCTAssertTrue(try XCTUnwrap(clip.weights.head.unembed).weight.sharesStorage(with: clip.weights.embeddings.token))
        XCTAssertNil(tiny.weights.blocks[0].attention.query.bias)
        XCTAssertNotNil(clip.weights.blocks[0].attention.output.bias)      // attention_bias: o_proj too
        XCTAssertEqual([tiny.architecture.heads, tiny.architecture.kvHeads, tiny.architecture.headDim], [4, 2, 12])
        guard case .rotary(let rope) = clip.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .linear(factor: 2))
        XCTAssertEqual(rope.dimensions, 8)
    }

    /// clip_qkv: hook_q/k/v hold the projections as computed (beyond ±1.5 in olmo-clip), rot_q is the
    /// rotation of their clamp, and without the clamp the logits leave transformers' by far more than
    /// the hook tolerance (the goldens check the clamp; this shows they would catch its absence).
    func testClipQKV() throws {
        let m = try Fixtures.load("olmo-clip")
        XCTAssertEqual(m.architecture.qkvClip, 1.5)
        XCTAssertNil(try Fixtures.load("olmo-tiny").architecture.qkvClip)
        let golden = try Golden(url: try XCTUnwrap(Fixtures.goldenCases("olmo-clip").first { $0.name == "full" }?.file))
        let r = try m.forward(golden.inputIDs, capture: .all)
        for l in 0..<3 {
            for site: BlockSite in [.q, .k, .v] {
                XCTAssertGreaterThan(r.cache[.block(l, site)]!.storage.map(abs).max()!, 1.5, "layer \(l) \(site)")
            }
            XCTAssertLessThanOrEqual(r.cache[.block(l, .rotQ)]!.storage.map(abs).max()!, Float(1.5 * 2.0.squareRoot() + 1e-5))
        }
        let unclipped = try config("olmo-clip").replacingOccurrences(of: #""clip_qkv": 1.5,"#, with: "")
        let free = try TransformerModel.load(directory: try folder(config: unclipped, weights: Fixtures.weights("olmo-clip")))
        XCTAssertNil(free.architecture.qkvClip)
        let logits = try free.forward(golden.inputIDs).logits!
        XCTAssertGreaterThan(maxAbsDifference(logits, try golden.tensor("unembed.hook_out")).0, 1e-2)
    }

    func testOLMoConfigErrors() throws {
        let olmo = "(transformers' OlmoConfig allows exactly 'type' and 'factor')"
        let cases: [(String, String)] = [
            (#"{"model_type": "olmo", "hidden_size": 48, "num_attention_heads": 5}"#, "'num_attention_heads'"),
            (#"{"model_type": "olmo", "hidden_size": 48, "num_attention_heads": 4, "num_key_value_heads": 3}"#, "'num_key_value_heads'"),
            (#"{"model_type": "olmo", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "olmo", "rope_scaling": {"type": "linear", "factor": 2}}"#,
             "'rope_scaling.factor' must be a float above 1 for olmo (written with a decimal point), got 2"),
            (#"{"model_type": "olmo", "rope_scaling": {"type": "yarn", "factor": 2.0}}"#,
             "'rope_scaling.type' must be \"linear\" or \"dynamic\" for olmo \(olmo), got \"yarn\""),
            (#"{"model_type": "olmo", "rope_scaling": {"rope_type": "linear", "factor": 2.0}}"#,
             "'rope_scaling.type' must be \"linear\" or \"dynamic\" for olmo \(olmo), got nothing"),
            (#"{"model_type": "olmo", "rope_scaling": {"type": "linear", "factor": 2.0, "rope_type": "linear"}}"#,
             "'rope_scaling' must have two fields for olmo \(olmo), got factor, rope_type, type"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
        // transformers negates clip_qkv: a string is a TypeError there, an unreadable key here.
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: #"{"model_type": "olmo", "clip_qkv": "8"}"#))) { error in
            guard case LoadError.configUnreadable = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.localizedDescription.contains("'clip_qkv'"), error.localizedDescription)
        }
    }

    /// OlmoConfig has no rms_norm_eps or sliding_window: such keys are not read (transformers keeps
    /// them as attributes no module uses); clip_qkv null is no clip.
    func testUnreadKeysAndNullClip() throws {
        let base = try config("olmo-tiny")
        for extra in [#""rms_norm_eps": 0,"#, #""sliding_window": 4,"#, #""clip_qkv": null,"#] {
            let m = try TransformerModel.load(directory: try folder(config: base.replacingOccurrences(of: "{", with: "{" + extra)))
            XCTAssertEqual(m.architecture.norm, .layerNorm(eps: 1e-5), extra)
            XCTAssertNil(m.architecture.qkvClip, extra)
            XCTAssertTrue(m.architecture.slidingWindows.allSatisfy { $0 == nil }, extra)
        }
    }

    /// olmo-tiny's config over olmo-clip's weights is refused; with attention_bias it asks for the
    /// projections' biases by name.
    func testWeightErrors() throws {
        let tiny = try config("olmo-tiny")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: tiny, weights: Fixtures.weights("olmo-clip"))))
        let biased = tiny.replacingOccurrences(of: #""attention_bias": false"#, with: #""attention_bias": true"#)
        XCTAssertNotEqual(biased, tiny)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: biased))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_proj.bias"), error.localizedDescription)
        }
    }
}
