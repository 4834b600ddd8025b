import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// MPT (`model_type` "mpt": mosaicml/mpt-7b, mpt-30b, replit-code): every hook point of mpt-tiny
/// (4 heads, the mpt-7b defaults: tied) and mpt-bias (6 heads: MPT's own slope order, clip_qkv 1.5
/// clipping about 30% of Wqkv's outputs, softmax_scale 0.6, max_seq_len 14, untied; no_bias false and
/// alibi_bias_max 4, which transformers does not read) against transformers 4.53.3's MptForCausalLM at
/// 1e-4 (goldens from scripts/fixtures/hf_hooks_mpt.py: attn_scores with the model's own alibi table,
/// counted from the last key); MPT's slopes against build_mpt_alibi_tensor; what transformers does with
/// every config field (Tests/Fixtures/mpt/fields.json, generate_mpt_fields.py); the KV cache;
/// num_parameters(); typed errors.
final class MptTests: XCTestCase {
    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "mpt-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "mpt")
    }

    private struct Reference: Decodable {
        struct Case: Decodable {
            let model: String
            let key: String
            let value: JSONValue
            let outcome: String
            let error: String?
            let logits: [Float]?
        }
        struct TooLong: Decodable { let model: String; let length: Int; let error: String }
        let slopes: [String: [Float]]
        let cases: [Case]
        let too_long: TooLong
    }

    private func reference() throws -> Reference {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/mpt/fields.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    func testEveryHookMatchesTransformers() throws {
        for name in ["mpt-tiny", "mpt-bias"] {
            try assertEveryHookMatchesGoldens(Fixtures.load(name), name)
        }
    }

    /// `PositionKind.mptAlibiSlopes(heads:)` equals build_mpt_alibi_tensor's slopes (float32, bias max
    /// 8) for every head count 1 … 40 within one float32 ulp. `concat(slopes[1::2], slopes[::2])` over
    /// `2^⌈log₂ H⌉` heads is BLOOM's order (the powers of two, then the odd powers of the half step), so
    /// MPT's slopes are BLOOM's up to rounding (within 1e-6 relative; 624 of the 40 tables' entries differ,
    /// e.g. 2^-2.5 of 11 heads): 6 heads give 2^-2, 2^-4, 2^-6, 2^-8, then 2^-1, 2^-3 in both.
    func testALiBiSlopesAreTransformers() throws {
        let file = try reference()
        BloomTests.assertSlopes(file.slopes, equal: { PositionKind.mptAlibiSlopes(heads: $0) })
        let bias = try Fixtures.load("mpt-bias").architecture
        XCTAssertEqual(bias.alibiSlopes, [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125])
        for heads in 1...40 {
            for (a, b) in zip(PositionKind.mptAlibiSlopes(heads: heads), PositionKind.alibiSlopes(heads: heads)) {
                XCTAssertEqual(a, b, accuracy: 1e-6 * b, "\(heads) heads: MPT's order is BLOOM's")
            }
        }
        XCTAssertEqual(bias.alibiOrigin, .lastKey)
        XCTAssertEqual(bias.contextLength, 14)
    }

    /// Pre-LayerNorm blocks with weight-only norms, the fused Wqkv cut q | k | v, an MLP of 4·d with
    /// the exact GELU, no bias anywhere (mpt-bias's no_bias false included), tied / untied heads,
    /// MptForCausalLM.num_parameters().
    func testBlockShapesAndParameterCounts() throws {
        let tiny = try Fixtures.load("mpt-tiny"), bias = try Fixtures.load("mpt-bias")
        let a = tiny.architecture
        XCTAssertEqual([a.heads, a.kvHeads, a.headDim, a.dFF, a.contextLength], [4, 4, 8, 128, 16])
        XCTAssertEqual(a.activation, .gelu)
        XCTAssertEqual(a.norm, .layerNorm(eps: 1e-5))
        XCTAssertEqual(a.attentionScale, Float(1 / Double(8).squareRoot()))
        XCTAssertNil(a.qkvClip)
        XCTAssertEqual(bias.architecture.qkvClip, 1.5)
        XCTAssertEqual(bias.architecture.attentionScale, 0.6)
        for m in [tiny, bias] {
            let b = m.weights.blocks[0]
            for linear in [b.attention.query, b.attention.key, b.attention.value, b.attention.output, b.mlp.input, b.mlp.output] {
                XCTAssertNil(linear.bias)
            }
            XCTAssertNil(b.ln1.bias)
            XCTAssertNil(m.weights.embeddings.norm)
        }
        XCTAssertTrue(try XCTUnwrap(tiny.weights.head.unembed).weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertFalse(try XCTUnwrap(bias.weights.head.unembed).weight.sharesStorage(with: bias.weights.embeddings.token))
        XCTAssertEqual(tiny.weights.parameterCount, 27968)
        XCTAssertEqual(bias.weights.parameterCount, 53892)
    }

    /// Every config edit of fields.json as transformers: "same" loads and gives the golden logits
    /// (transformers does not read the field: no_bias, expansion_ratio, logit_scale, attn_config.alibi,
    /// alibi_bias_max, qk_ln, prefix_lm, attn_impl, …), "changed" gives transformers' logits of the edit
    /// (clip_qkv null / 0 / 0.8, softmax_scale null / −0.4, attn_config null), both within 1e-4;
    /// "refused" is refused naming the key (at load, or for max_seq_len 10 at the forward as too long).
    func testConfigFieldsAsTransformers() throws {
        let file = try reference()
        XCTAssertEqual(file.cases.count, 42)
        XCTAssertEqual(file.cases.filter { $0.outcome == "refused" }.count, 9)
        for c in file.cases {
            let label = "\(c.model) \(c.key)=\(c.value)"
            let config = try edited(c.model, path: c.key, value: c.value)
            let ids = try Fixtures.golden(c.model, "full").inputIDs
            switch c.outcome {
            case "refused":
                do {
                    let m = try TransformerModel.load(directory: try folder(config: config, weightsOf: c.model))
                    XCTAssertThrowsError(try m.forward(ids), label) { error in
                        XCTAssertEqual(error as? InputError, .tooLong(length: ids.count, contextLength: 10), label)
                    }
                } catch {
                    XCTAssertTrue(error.localizedDescription.contains("'\(c.key)'"), "\(label): \(error.localizedDescription)")
                }
            default:
                let m = try TransformerModel.load(directory: try folder(config: config, weightsOf: c.model))
                let logits = try XCTUnwrap(m.forward(ids).logits)
                let expected = try c.logits.map { Tensor(shape: [$0.count], storage: $0) }
                    ?? Fixtures.golden(c.model, "full").tensor("unembed.hook_out").row(ids.count - 1)
                assertClose(logits.row(ids.count - 1), expected, tolerance: 1e-4, label)
            }
        }
    }

    /// max_seq_len + 1 tokens are refused as too long, as transformers fails adding its bias table.
    func testInputsLongerThanMaxSeqLenAreRefused() throws {
        let file = try reference()
        XCTAssertTrue(file.too_long.error.hasPrefix("RuntimeError"), file.too_long.error)
        let m = try Fixtures.load(file.too_long.model)
        XCTAssertThrowsError(try m.forward(Array(repeating: 5, count: file.too_long.length))) {
            XCTAssertEqual($0 as? InputError, .tooLong(length: 15, contextLength: 14))
        }
    }

    /// ALiBi with a cache: a prefill plus one-token steps give the cache-free forward's logits, and
    /// without the bias the logits differ (it is there).
    func testKVCacheMatchesTheForward() throws {
        try BloomTests.assertCachedDecodeKeepsTheBias(try Fixtures.load("mpt-bias"), ids: [5, 17, 33, 90, 44, 61, 8, 70, 12, 3])
    }

    /// Biases a checkpoint stores (MosaicML's own code writes them with no_bias false) are not read, as
    /// transformers builds every Linear and LayerNorm without one and drops them as unexpected keys:
    /// mpt-tiny's weights plus 13 seeded biases give mpt-tiny's golden logits (fields.json's
    /// stored_biases: transformers' logits unchanged exactly).
    func testStoredBiasesAreNotRead() throws {
        struct File: Decodable {
            struct Biases: Decodable { let outcome: String; let unexpected_keys: [String] }
            let stored_biases: Biases
        }
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/mpt/fields.json")
        let reference = try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).stored_biases
        XCTAssertEqual(reference.outcome, "same")
        XCTAssertEqual(reference.unexpected_keys.count, 13)
        let weights = Fixtures.root.appendingPathComponent("Tests/Fixtures/mpt/stored-biases/model.safetensors")
        let folder = try Fixtures.folder(config: try Fixtures.configText("mpt-tiny"), weights: weights, test: self, label: "mpt-biases")
        let m = try TransformerModel.load(directory: folder)
        XCTAssertNil(m.weights.blocks[0].attention.query.bias)
        let golden = try Fixtures.golden("mpt-tiny", "full")
        assertClose(try XCTUnwrap(m.forward(golden.inputIDs).logits), try golden.tensor("unembed.hook_out"),
                    tolerance: 1e-4, "stored biases")
    }

    /// The refusals transformers has no counterpart for, and the shape check on an MLP of another
    /// width (a checkpoint of expansion_ratio 2 fails transformers' load too).
    func testConfigAndWeightErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "mpt", "d_model": 32, "n_heads": 4, "attn_config": {"clip_qkv": -1}}"#,
             "'attn_config.clip_qkv' must be a non-negative"),
            (#"{"model_type": "mpt", "d_model": 32, "n_heads": 4, "max_seq_len": 0}"#, "'max_seq_len' must be positive"),
            (#"{"model_type": "mpt", "hidden_size": 30, "n_heads": 4}"#, "'n_heads' (4) must divide d_model (30)"),
            (#"{"model_type": "mpt", "d_model": 32, "num_attention_heads": 5}"#, "'num_attention_heads' (5)"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
        let bias = try Fixtures.configText("mpt-bias")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: bias))) { error in
            XCTAssertTrue(error.localizedDescription.contains("wte.weight"), error.localizedDescription)
        }
    }

    /// `name`'s config.json with the dotted `path` set to `value` (`"<absent>"` removes it).
    private func edited(_ name: String, path: String, value: JSONValue) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(Fixtures.configText(name).utf8)) as? [String: Any])
        let keys = path.split(separator: ".").map(String.init)
        let json: Any? = {
            switch value {
            case .null: return NSNull()
            case .bool(let b): return b
            case .number(let n): return n == n.rounded() ? Int(n) as Any : n      // 2, not 2.0, as the generator wrote it
            case .string(let s): return s == "<absent>" ? nil : s
            case .list, .other: return nil
            }
        }()
        if keys.count == 1 {
            object[keys[0]] = json
        } else {
            var inner = try XCTUnwrap(object[keys[0]] as? [String: Any])
            inner[keys[1]] = json
            object[keys[0]] = inner
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
