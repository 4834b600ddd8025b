import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// GPT-J (`model_type` "gptj") beyond the golden comparison (GoldenTests checks every hook point of
/// gptj-tiny and gptj-whole against transformers' GPTJForCausalLM at 1e-4): GPT-NeoX's hook list
/// with the one ln_1 serving as ln1 and ln2, GPT-J's interleaved rotary pairs on the first
/// rotary_dim dimensions (all of them when rotary_dim is null), no attention biases, the LM head's
/// bias, and typed config and weight errors.
final class GPTJTests: XCTestCase {

    /// A folder holding `config` (JSON text) and gptj-tiny's weights, or `weights` when given.
    private func folder(config: String, weights: URL? = nil) throws -> URL {
        try Fixtures.folder(config: config, weights: weights ?? Fixtures.weights("gptj-tiny"), test: self, label: "gptj")
    }

    func testHookPointsAreGPTNeoXParallels() throws {
        let gptj = try Fixtures.load("gptj-tiny"), neox = try Fixtures.load("neox-parallel")
        XCTAssertTrue(gptj.architecture.parallelResidual)
        XCTAssertEqual(gptj.architecture.modelType, "gptj")
        XCTAssertEqual(gptj.hookPoints.map(\.name), neox.hookPoints.map(\.name), "the same points with the same meaning as GPT-NeoX's")
    }

    /// Every hook of every golden case within 1e-4 of GPTJForCausalLM (as GoldenTests), with the
    /// largest difference printed for docs/correctness.md; the rotated q / k (interleaved pairs) in
    /// particular — with the rotate-half pairing they would differ by O(1).
    func testWorstHookDifference() throws {
        for name in ["gptj-tiny", "gptj-whole"] {
            let m = try Fixtures.load(name)
            var worst: (Float, String) = (0, "")
            for (caseName, file) in try Fixtures.goldenCases(name) {
                let golden = try Golden(url: file)
                let r = try m.forward(golden.inputIDs, capture: .all)
                for hook in golden.hookOrder {
                    let ours = try XCTUnwrap(r.cache[hook]), theirs = try golden.tensor(hook)
                    XCTAssertEqual(ours.shape, theirs.shape, hook)
                    for (a, b) in zip(ours.storage, theirs.storage) where a.isFinite || b.isFinite {
                        let d = abs(a - b)
                        if !(d <= worst.0) { worst = (d, "\(caseName) \(hook)") }
                    }
                }
            }
            XCTAssertLessThan(worst.0, 1e-4, "\(name): \(worst.1)")
            print("GPTJTests \(name): largest hook difference \(worst.0) at \(worst.1)")
        }
    }

    /// Both branches read one LayerNorm of the block input: ln2's hooks hold ln1's values bitwise,
    /// and the block output is resid_pre + attn_out + mlp_out.
    func testOneLayerNormFeedsBothBranches() throws {
        for name in ["gptj-tiny", "gptj-whole"] {
            try assertOneLayerNormFeedsBothBranches(try Fixtures.load(name), ids: [5, 17, 3, 80, 44], name)
        }
    }

    /// gptj-tiny: dh 8, rotary_dim 4 — dims 4..<8 pass through, and the rotated pairs are adjacent
    /// (2i, 2i+1): each pair keeps its norm, which the rotate-half pairing (i, i+2) would not.
    /// gptj-whole: rotary_dim null with one head of 12 — every dimension rotates.
    func testInterleavedPartialAndWholeRotary() throws {
        let m = try Fixtures.load("gptj-tiny")
        guard case .rotary(let rope) = m.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.dimensions, 4)
        XCTAssertEqual(rope.layout, .interleaved)
        XCTAssertEqual(rope.base, 10000)
        XCTAssertEqual([m.architecture.heads, m.architecture.kvHeads, m.architecture.headDim, m.architecture.dFF], [4, 4, 8, 128])
        XCTAssertEqual(m.architecture.contextLength, 32)
        let r = try m.forward([5, 17, 3], capture: .all)
        let q = r.cache[.block(0, .q)]!, rot = r.cache[.block(0, .rotQ)]!
        for t in 0..<3 {
            for h in 0..<4 {
                for j in 4..<8 { XCTAssertEqual(q[t, h, j], rot[t, h, j]) }
                for i in 0..<2 {
                    let before = q[t, h, 2 * i] * q[t, h, 2 * i] + q[t, h, 2 * i + 1] * q[t, h, 2 * i + 1]
                    let after = rot[t, h, 2 * i] * rot[t, h, 2 * i] + rot[t, h, 2 * i + 1] * rot[t, h, 2 * i + 1]
                    XCTAssertEqual(after, before, accuracy: 1e-5 * max(before, 1e-3), "pair (\(2 * i), \(2 * i + 1))")
                }
            }
        }
        XCTAssertNotEqual(q[2, 0, 0], rot[2, 0, 0])
        let whole = try Fixtures.load("gptj-whole")
        guard case .rotary(let all) = whole.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual([all.dimensions, whole.architecture.heads, whole.architecture.headDim, whole.architecture.dFF], [12, 1, 12, 20])
        XCTAssertEqual(whole.architecture.activation, Activation(huggingFaceName: "gelu"))
    }

    /// No attention biases; the norm shared by ln1 and ln2 is counted once; a tied lm_head keeps its
    /// own bias (counts: GPTJForCausalLM.num_parameters()).
    func testSharedNormAndHeadWithBias() throws {
        let tiny = try Fixtures.load("gptj-tiny"), tied = try Fixtures.load("gptj-whole")
        XCTAssertEqual(tiny.weights.parameterCount, 31653)
        XCTAssertEqual(tied.weights.parameterCount, 3405)
        for block in tiny.weights.blocks {
            XCTAssertNil(block.attention.query.bias)
            XCTAssertNil(block.attention.key.bias)
            XCTAssertNil(block.attention.value.bias)
            XCTAssertNil(block.attention.output.bias)
            XCTAssertNotNil(block.mlp.input.bias)
            XCTAssertNotNil(block.mlp.output.bias)
        }
        let unembed = try XCTUnwrap(tied.weights.head.unembed)
        XCTAssertTrue(unembed.weight.sharesStorage(with: tied.weights.embeddings.token))
        XCTAssertEqual(unembed.bias?.count, 89)
        let untied = try XCTUnwrap(tiny.weights.head.unembed)
        XCTAssertFalse(untied.weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertEqual(untied.bias?.count, 101)
    }

    /// transformers' attribute_map aliases are set after GPTJConfig's own keys, so they win.
    func testAliasKeysWin() throws {
        let config = try String(contentsOf: Fixtures.model("gptj-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        let aliased = config.replacingOccurrences(of: #""n_positions": 32"#, with: #""n_positions": 8, "max_position_embeddings": 32"#)
            .replacingOccurrences(of: #""n_embd": 32"#, with: #""n_embd": 7, "hidden_size": 32"#)
        XCTAssertNotEqual(aliased, config)
        let m = try TransformerModel.load(directory: try folder(config: aliased))
        XCTAssertEqual([m.architecture.dModel, m.architecture.contextLength], [32, 32])
    }

    func testGPTJConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "gptj", "n_embd": 30, "n_head": 4}"#, "'n_head' (4) must divide n_embd (30)"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "hidden_size": null}"#, "'hidden_size' is null"),   // the alias wins: None
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 10}"#, "'rotary_dim' must be even, positive and at most the head width (8)"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 3}"#, "'rotary_dim'"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 0}"#, "'rotary_dim'"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": -2}"#, "'rotary_dim'"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4}"#, "'rotary_dim'"),      // the default 64 > dh 8
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": null}"#,
             "'rotary_dim' is null, which makes transformers build a rotary table of n_embd (32) dimensions for heads of 8"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 4, "activation_function": "prelu"}"#, "'activation_function'"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 4, "layer_norm_epsilon": 0}"#, "'layer_norm_epsilon'"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 4, "n_inner": 0}"#, "'n_inner'"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 4, "n_positions": 0}"#, "'n_positions'"),
            (#"{"model_type": "gptj", "n_embd": 32, "n_head": 4, "rotary_dim": 4, "use_cache": 1}"#,   // transformers: AttributeError in forward
             "'use_cache' is 1, which transformers' GPTJModel.forward reads as true and then fails on (it keeps its cache only when use_cache is True)"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// gptj-tiny's config over gptj-whole's weights: a shape error; old checkpoints' buffers
    /// (attn.bias, attn.masked_bias, attn.embed_positions) are ignored, any other extra tensor is
    /// refused; a classifier or QA head is refused naming the classes Glassbox runs.
    func testWeightAndHeadErrors() throws {
        let config = try String(contentsOf: Fixtures.model("gptj-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(
            config: config, weights: Fixtures.weights("gptj-whole"))))
        let source = try SafetensorsFile(url: Fixtures.weights("gptj-tiny"))
        var tensors = try source.tensorNames.map { ($0, try source.tensor($0)) }
        tensors += [("transformer.h.0.attn.bias", Tensor(shape: [1, 1, 4, 4], repeating: 1)),
                    ("transformer.h.0.attn.masked_bias", Tensor(shape: [], repeating: -1e9)),
                    ("transformer.h.1.attn.embed_positions", Tensor(shape: [32, 4], repeating: 0))]
        let withBuffers = try makeTemporaryFolder("gptj-buffers").appendingPathComponent("model.safetensors")
        try SafetensorsFile.write(tensors, to: withBuffers)
        let reference = try Fixtures.load("gptj-tiny").forward([5, 17, 3]).logits
        XCTAssertEqual(try TransformerModel.load(directory: try folder(config: config, weights: withBuffers)).forward([5, 17, 3]).logits,
                       reference)
        let withExtra = try makeTemporaryFolder("gptj-extra").appendingPathComponent("model.safetensors")
        try SafetensorsFile.write(tensors + [("transformer.h.0.attn.q_proj.bias", Tensor(shape: [32], repeating: 0))], to: withExtra)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: config, weights: withExtra))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_proj.bias"), error.localizedDescription)
        }
        for head in ["GPTJForSequenceClassification", "GPTJForQuestionAnswering"] {
            let classifier = config.replacingOccurrences(of: "GPTJForCausalLM", with: head)
            XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
                XCTAssertTrue(error.localizedDescription.contains(head), error.localizedDescription)
                XCTAssertTrue(error.localizedDescription.contains("GPTJForCausalLM"), error.localizedDescription)
            }
        }
    }
}
