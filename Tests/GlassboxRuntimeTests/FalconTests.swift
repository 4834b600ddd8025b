import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// Falcon (`model_type` "falcon") beyond the golden comparison (GoldenTests checks every hook point
/// of falcon-mq, falcon-newarch and falcon-seq against transformers' FalconForCausalLM at 1e-4):
/// the three fused query_key_value layouts, the three block shapes and their hook lists, the norm
/// shared by a one-norm parallel block, parameter counts, and typed config and weight errors.
final class FalconTests: XCTestCase {

    /// A folder holding `config` (JSON text) and `weights`' model.safetensors (falcon-mq's by default).
    private func folder(config: String, weights: String = "falcon-mq") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(weights), test: self, label: "falcon")
    }

    /// Parallel blocks fire GPT-NeoX's parallel hook list, the sequential one its sequential list
    /// (block 0 and the points outside blocks; the fixtures differ in depth).
    func testHookPointsAreGPTNeoXs() throws {
        func names(_ name: String) throws -> [String] {
            try Fixtures.load(name).hookPoints.map(\.name).filter { !$0.hasPrefix("blocks.") || $0.hasPrefix("blocks.0.") }
        }
        for name in ["falcon-mq", "falcon-newarch"] {
            XCTAssertTrue(try Fixtures.load(name).architecture.parallelResidual, name)
            XCTAssertEqual(try names(name), try names("neox-parallel"), name)
        }
        let seq = try Fixtures.load("falcon-seq")
        XCTAssertFalse(seq.architecture.parallelResidual)
        XCTAssertEqual(try names("falcon-seq"), try names("neox-sequential"))
        XCTAssertTrue(try names("falcon-seq").contains("blocks.0.hook_resid_mid"))
        XCTAssertEqual(seq.architecture.modelType, "falcon")
    }

    /// Heads per fused layout: multi_query one key/value head, the new architecture Hkv groups,
    /// neither a key/value per head; the whole head rotates; linear rope_scaling is read.
    func testFusedLayoutsGiveTheHeads() throws {
        let expected: [(String, [Int])] = [("falcon-mq", [4, 1, 8]), ("falcon-newarch", [6, 2, 6]), ("falcon-seq", [3, 3, 8])]
        for (name, heads) in expected {
            let a = try Fixtures.load(name).architecture
            XCTAssertEqual([a.heads, a.kvHeads, a.headDim], heads, name)
            guard case .rotary(let rope) = a.position else { return XCTFail("\(name): not rotary") }
            XCTAssertEqual(rope.dimensions, a.headDim, name)
        }
        guard case .rotary(let scaled) = try Fixtures.load("falcon-newarch").architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(scaled.scaling, .linear(factor: 2))
    }

    /// The row blocks each layout reads, in `dh` rows (`FalconAttention._split_heads`).
    func testFusedRowBlocks() throws {
        let newArch = try ConfigDecoding.decode(FalconConfig.self, from: Data(try Fixtures.configText("falcon-newarch").utf8),
                                                file: URL(fileURLWithPath: "config.json"))
        let blocks = FalconLoader.fusedBlocks(newArch, heads: 6, kvHeads: 2)   // [2 groups, 3 + 2, dh]
        XCTAssertEqual(blocks.query, [0, 1, 2, 5, 6, 7])
        XCTAssertEqual(blocks.key, [3, 8])
        XCTAssertEqual(blocks.value, [4, 9])
    }

    /// One input_layernorm feeds both branches (ln2's hooks are ln1's, the norm counted once);
    /// ln_attn and ln_mlp are two norms; every block output is as its shape says.
    func testNormsPerBlockShape() throws {
        let mq = try Fixtures.load("falcon-mq"), newArch = try Fixtures.load("falcon-newarch")
        XCTAssertTrue(mq.weights.blocks[0].ln2.sharesStorage(with: mq.weights.blocks[0].ln1))
        XCTAssertFalse(newArch.weights.blocks[0].ln2.sharesStorage(with: newArch.weights.blocks[0].ln1))
        for name in ["falcon-mq", "falcon-newarch", "falcon-seq"] {
            let m = try Fixtures.load(name)
            let r = try m.forward([5, 17, 3, 90, 44], capture: .all)
            assertBlockOutputsAddBothBranches(r, layers: m.architecture.layers, name)
            if name == "falcon-mq" {
                for l in 0..<m.architecture.layers {
                    XCTAssertEqual(r.cache[.block(l, .ln2(.normalized))]!.storage, r.cache[.block(l, .ln1(.normalized))]!.storage)
                }
            }
        }
    }

    /// FalconForCausalLM.num_parameters(); biases only with `bias`, lm_head tied by default.
    func testParameterCountsBiasesAndHead() throws {
        let mq = try Fixtures.load("falcon-mq"), newArch = try Fixtures.load("falcon-newarch"), seq = try Fixtures.load("falcon-seq")
        XCTAssertEqual(mq.weights.parameterCount, 14688)
        XCTAssertEqual(newArch.weights.parameterCount, 21600)
        XCTAssertEqual(seq.weights.parameterCount, 16824)
        XCTAssertNil(mq.weights.blocks[0].attention.query.bias)
        XCTAssertEqual(seq.weights.blocks[0].attention.key.bias?.count, 24)
        XCTAssertNil(seq.weights.head.unembed?.bias)
        XCTAssertTrue(try XCTUnwrap(mq.weights.head.unembed).weight.sharesStorage(with: mq.weights.embeddings.token))
        XCTAssertFalse(try XCTUnwrap(newArch.weights.head.unembed).weight.sharesStorage(with: newArch.weights.embeddings.token))
    }

    func testFalconConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "falcon", "alibi": true}"#, "'alibi' is true: ALiBi"),
            (#"{"model_type": "falcon", "hidden_size": 32, "num_attention_heads": 4, "head_dim": 8}"#, "'head_dim' is set"),
            (#"{"model_type": "falcon", "partial_rotary_factor": 0.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "falcon", "hidden_size": 30, "num_attention_heads": 4}"#, "'num_attention_heads'"),
            (#"{"model_type": "falcon", "new_decoder_architecture": true, "hidden_size": 32, "num_attention_heads": 4, "num_kv_heads": 3}"#,
             "'num_kv_heads' (3) must divide"),
            (#"{"model_type": "falcon", "multi_query": false, "hidden_size": 32, "num_attention_heads": 4, "num_kv_heads": 2}"#,
             "'num_kv_heads' (2) must equal num_attention_heads (4)"),
            (#"{"model_type": "falcon", "new_decoder_architecture": true, "parallel_attn": false}"#, "'parallel_attn' is false"),
            (#"{"model_type": "falcon", "new_decoder_architecture": true, "num_ln_in_parallel_attn": 3}"#, "'num_ln_in_parallel_attn' is 3"),
            (#"{"model_type": "falcon", "num_ln_in_parallel_attn": 2}"#, "'num_ln_in_parallel_attn' is 2 without new_decoder_architecture"),
            (#"{"model_type": "falcon", "activation": "prelu"}"#, "'activation'"),
            (#"{"model_type": "falcon", "layer_norm_epsilon": 0}"#, "'layer_norm_epsilon'"),
            (#"{"model_type": "falcon", "rope_theta": -1}"#, "'rope_theta'"),
            (#"{"model_type": "falcon", "ffn_hidden_size": 0}"#, "'ffn_hidden_size'"),
            (#"{"model_type": "falcon", "rope_scaling": {"rope_type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for falcon"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// What transformers accepts loads the same: multi_query ignores num_kv_heads; a null
    /// num_ln_in_parallel_attn is 2 with the new architecture (its two norms load); n_embed wins
    /// over hidden_size while ffn_hidden_size defaults to 4 · the hidden_size key.
    func testAcceptedSpellings() throws {
        let mq = try Fixtures.configText("falcon-mq")
        let ignored = mq.replacingOccurrences(of: #""num_kv_heads": 4"#, with: #""num_kv_heads": 3"#)
        XCTAssertNotEqual(ignored, mq)
        XCTAssertEqual(try TransformerModel.load(directory: try folder(config: ignored)).architecture.kvHeads, 1)
        let newArch = try Fixtures.configText("falcon-newarch")
        let nullNorms = newArch.replacingOccurrences(of: #""num_ln_in_parallel_attn": 2"#, with: #""num_ln_in_parallel_attn": null"#)
        XCTAssertNotEqual(nullNorms, newArch)
        let loaded = try TransformerModel.load(directory: try folder(config: nullNorms, weights: "falcon-newarch"))
        XCTAssertFalse(loaded.weights.blocks[0].ln2.sharesStorage(with: loaded.weights.blocks[0].ln1))
        // Falcon2-11B's shape: the new architecture on one input_layernorm, which these weights lack.
        let oneNorm = newArch.replacingOccurrences(of: #""num_ln_in_parallel_attn": 2"#, with: #""num_ln_in_parallel_attn": 1"#)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: oneNorm, weights: "falcon-newarch"))) { error in
            XCTAssertTrue(error.localizedDescription.contains("h.0.input_layernorm.weight"), error.localizedDescription)
        }
        let sized = try ConfigDecoding.decode(FalconConfig.self, from: Data(#"{"n_embed": 16, "hidden_size": 8, "num_attention_heads": 2}"#.utf8),
                                              file: URL(fileURLWithPath: "config.json"))
        XCTAssertEqual([sized.hiddenSize, sized.ffnHiddenSize, sized.keyValueHeads], [16, 32, 1])
    }

    /// falcon-mq's config with biases asks for tensors its file lacks; the new architecture over
    /// falcon-mq's weights names the first shape that differs; a classifier head is refused;
    /// remote-code RefinedWeb types stay unknown, pointing at falcon.
    func testWeightHeadAndTypeErrors() throws {
        let mq = try Fixtures.configText("falcon-mq")
        let biased = mq.replacingOccurrences(of: #""bias": false"#, with: #""bias": true"#)
        XCTAssertNotEqual(biased, mq)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: biased))) { error in
            XCTAssertTrue(error.localizedDescription.contains("query_key_value.bias"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: try Fixtures.configText("falcon-newarch")))) { error in
            guard case LoadError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
        let classifier = mq.replacingOccurrences(of: "FalconForCausalLM", with: "FalconForSequenceClassification")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
            XCTAssertTrue(error.localizedDescription.contains("FalconForSequenceClassification"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("FalconForCausalLM"), error.localizedDescription)
        }
        let remote = mq.replacingOccurrences(of: #""model_type": "falcon""#, with: #""model_type": "RefinedWebModel""#)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: remote))) { error in
            guard case LoadError.unsupportedModelType = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.localizedDescription.contains("nearest supported: falcon"), error.localizedDescription)
        }
    }
}
