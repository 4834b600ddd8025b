import Foundation
import Glassbox
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// CodeGen (`model_type` "codegen": Salesforce/codegen-*): every hook point of codegen-tiny (4 heads
/// of 8, one per qkv shard, rotary_dim 4, untied) and codegen-wide (8 heads of 6, two per shard,
/// rotary_dim = the head, n_inner 40, exact gelu, tied lm_head with its own bias) against
/// transformers 4.53.3's CodeGenForCausalLM at 1e-4 (goldens from scripts/fixtures/hf_hooks_gptj.py,
/// which cuts the hooked qkv_proj output with CodeGenAttention.forward's own lines), GPT-J's block,
/// the fused projection's permutation, num_parameters(), the fields transformers does not read, and
/// typed config and weight errors.
final class CodeGenTests: XCTestCase {
    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "codegen-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "codegen")
    }

    func testEveryHookMatchesTransformers() throws {
        for name in ["codegen-tiny", "codegen-wide"] {
            try assertEveryHookMatchesGoldens(Fixtures.load(name), name)
        }
    }

    /// GPT-J's parallel block (one ln_1 for both branches) and hook list, interleaved rotary on
    /// rotary_dim of each head, no attention biases, an LM head with a bias (tied: its weight only).
    func testGPTJBlock() throws {
        let tiny = try Fixtures.load("codegen-tiny"), gptj = try Fixtures.load("gptj-tiny")
        XCTAssertEqual(tiny.architecture.modelType, "codegen")
        XCTAssertTrue(tiny.architecture.parallelResidual)
        XCTAssertEqual(tiny.hookPoints.map(\.name), gptj.hookPoints.map(\.name))
        XCTAssertEqual([tiny.architecture.heads, tiny.architecture.kvHeads, tiny.architecture.headDim, tiny.architecture.dFF,
                        tiny.architecture.contextLength], [4, 4, 8, 128, 32])
        XCTAssertEqual(tiny.architecture.activation, Activation(huggingFaceName: "gelu_new"))
        guard case .rotary(let rope) = tiny.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual([rope.dimensions, Int(rope.base)], [4, 10000])
        XCTAssertEqual(rope.layout, .interleaved)
        for name in ["codegen-tiny", "codegen-wide"] {
            try assertOneLayerNormFeedsBothBranches(try Fixtures.load(name), ids: [5, 17, 3, 80, 44], name)
        }
        for block in tiny.weights.blocks {
            for bias in [block.attention.query.bias, block.attention.key.bias, block.attention.value.bias,
                         block.attention.output.bias] { XCTAssertNil(bias) }
            XCTAssertNotNil(block.mlp.input.bias)
            XCTAssertNotNil(block.mlp.output.bias)
        }
        XCTAssertFalse(try XCTUnwrap(tiny.weights.head.unembed).weight.sharesStorage(with: tiny.weights.embeddings.token))

        let wide = try Fixtures.load("codegen-wide")
        XCTAssertEqual([wide.architecture.heads, wide.architecture.headDim, wide.architecture.dFF, wide.architecture.contextLength],
                       [8, 6, 40, 20])
        XCTAssertEqual(wide.architecture.activation, Activation(huggingFaceName: "gelu"))
        guard case .rotary(let whole) = wide.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(whole.dimensions, 6)
        let unembed = try XCTUnwrap(wide.weights.head.unembed)
        XCTAssertTrue(unembed.weight.sharesStorage(with: wide.weights.embeddings.token))
        XCTAssertEqual(unembed.bias?.count, 89)
        // CodeGenForCausalLM.num_parameters() (Tests/Fixtures/parameter-counts.json)
        XCTAssertEqual([tiny.weights.parameterCount, wide.weights.parameterCount], [31653, 30937])
    }

    /// The fused qkv_proj `[3d, d]` as CodeGenAttention cuts it: 4 shards of (query, value, key)
    /// blocks of d/4 rows. codegen-wide (d 48, blocks of 12 rows = two heads): the runtime's query
    /// rows 12..<24 (heads 2, 3) are fused rows 36..<48, its value rows 12..<24 fused rows 48..<60, its
    /// key rows 36..<48 (heads 6, 7) fused rows 3·36 + 24 ..< 3·36 + 36. A plain [q | k | v] cut would
    /// take query rows 12..<24 from fused rows 12..<24.
    func testFusedProjectionIsPermutedByShard() throws {
        let m = try Fixtures.load("codegen-wide")
        let file = try SafetensorsFile(url: Fixtures.weights("codegen-wide"))
        let fused = try file.tensor("transformer.h.1.attn.qkv_proj.weight")   // [144, 48]
        XCTAssertEqual(fused.shape, [144, 48])
        let a = m.weights.blocks[1].attention
        let (q, k, v) = (a.query.weight.float32(), a.key.weight.float32(), a.value.weight.float32())
        for (ours, row, fusedRow) in [(q, 12, 36), (v, 12, 48), (k, 36, 3 * 36 + 24), (q, 0, 0), (k, 0, 24), (v, 47, 3 * 36 + 23)] {
            for c in 0..<48 { XCTAssertEqual(ours[row, c], fused[fusedRow, c], "row \(row) ← fused \(fusedRow)") }
        }
        XCTAssertNotEqual(q[12, 0], fused[12, 0])
    }

    /// n_ctx only enters CodeGenModel.__init__'s unused `min(rotary_dim, n_ctx // n_head)`: other
    /// values and its absence (2048) give the same logits, as transformers runs them (1.5, 0 and -5
    /// measured with .venv-ref); dropout rates are inactive at inference.
    func testUnreadFieldsLeaveTheLogits() throws {
        let ids = [5, 17, 3, 80, 44]
        let reference = try Fixtures.load("codegen-tiny").forward(ids).logits
        let edits: [[String: Any?]] = [["n_ctx": 1.5], ["n_ctx": 0], ["n_ctx": -5], ["n_ctx": nil],
                                       ["resid_pdrop": 0.5, "embd_pdrop": 0.5, "attn_pdrop": 0.5]]
        for edit in edits {
            let m = try TransformerModel.load(directory: try folder(config: Fixtures.editedConfigText("codegen-tiny", edit)))
            XCTAssertEqual(try m.forward(ids).logits, reference, "\(edit)")
        }
    }

    /// n_positions + 1 tokens are refused: transformers indexes its n_positions-row sin/cos table
    /// (IndexError).
    func testInputsLongerThanNPositionsAreRefused() throws {
        let m = try Fixtures.load("codegen-wide")
        XCTAssertNoThrow(try m.forward(Array(repeating: 5, count: 20)))
        XCTAssertThrowsError(try m.forward(Array(repeating: 5, count: 21))) {
            XCTAssertEqual($0 as? InputError, .tooLong(length: 21, contextLength: 20))
        }
    }

    /// Each refusal matches a failure of transformers 4.53.3 (measured with .venv-ref: n_head 6 and 2
    /// fail in _split_heads' reshape, rotary_dim null and n_ctx null are TypeErrors in
    /// CodeGenModel.__init__, rotary_dim 0, 3 and 10 size mismatches in apply_rotary_pos_emb).
    func testConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "codegen", "n_embd": 36, "n_head": 6, "rotary_dim": 2}"#, "'n_head' (6) must be a multiple of 4"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 2, "rotary_dim": 4}"#, "'n_head' (2) must be a multiple of 4"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 4, "rotary_dim": null}"#,
             "'rotary_dim' is null, which CodeGenModel.__init__ cannot take"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 1, "rotary_dim": null}"#,   // GPT-J would take it
             "'rotary_dim' is null, which CodeGenModel.__init__ cannot take"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 4, "rotary_dim": 4, "n_ctx": null}"#, "'n_ctx' is null"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 4, "rotary_dim": 0}"#, "'rotary_dim' must be even, positive"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 4, "rotary_dim": 3}"#, "'rotary_dim' must be even, positive"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 4, "rotary_dim": 10}"#, "'rotary_dim' must be even, positive"),
            (#"{"model_type": "codegen", "n_embd": 30, "n_head": 4, "rotary_dim": 4}"#, "'n_head' (4) must divide n_embd (30)"),
            (#"{"model_type": "codegen", "n_embd": 32, "n_head": 4, "rotary_dim": 4, "use_cache": 2}"#,   // BooleanFieldTests: refused in forward
             "'use_cache' is 2, which transformers' CodeGenModel.forward reads as true"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// codegen-tiny's config over codegen-wide's weights: a shape error; the buffers older CodeGen
    /// checkpoints saved (attn.causal_mask, attn.masked_bias) are ignored, any other extra tensor
    /// (GPT-J's separate q_proj) is refused naming it.
    func testWeightErrors() throws {
        let config = try Fixtures.configText("codegen-tiny")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: config, weightsOf: "codegen-wide")))
        let source = try SafetensorsFile(url: Fixtures.weights("codegen-tiny"))
        let tensors = try source.tensorNames.map { ($0, try source.tensor($0)) }
        let buffers = tensors + [("transformer.h.0.attn.causal_mask", Tensor(shape: [1, 1, 32, 32], repeating: 1)),
                                 ("transformer.h.1.attn.masked_bias", Tensor(shape: [], repeating: -1e9))]
        let withBuffers = try makeTemporaryFolder("codegen-buffers").appendingPathComponent("model.safetensors")
        try SafetensorsFile.write(buffers, to: withBuffers)
        let reference = try Fixtures.load("codegen-tiny").forward([5, 17, 3]).logits
        XCTAssertEqual(try TransformerModel.load(directory: try Fixtures.folder(config: config, weights: withBuffers, test: self,
                                                                                 label: "codegen")).forward([5, 17, 3]).logits, reference)
        let withExtra = try makeTemporaryFolder("codegen-extra").appendingPathComponent("model.safetensors")
        try SafetensorsFile.write(tensors + [("transformer.h.0.attn.q_proj.weight", Tensor(shape: [32, 32], repeating: 0))], to: withExtra)
        XCTAssertThrowsError(try TransformerModel.load(directory: try Fixtures.folder(config: config, weights: withExtra, test: self,
                                                                                       label: "codegen"))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_proj.weight"), error.localizedDescription)
        }
    }
}
