import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Llama-family and ViT specifics beyond the goldens: hook lists, grouped-query shapes, sliding
/// windows, partial rotary dimensions and config errors.
final class ModernFamilyTests: XCTestCase {

    func testLlamaHookListIsPinned() throws {
        let names = try Fixtures.load("llama-gqa").hookPoints.map(\.name)
        XCTAssertEqual(Array(names.prefix(23)), [
            "hook_embed", "blocks.0.hook_resid_pre", "blocks.0.ln1.hook_scale", "blocks.0.ln1.hook_normalized",
            "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v", "blocks.0.attn.hook_rot_q",
            "blocks.0.attn.hook_rot_k", "blocks.0.attn.hook_attn_scores",
            "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z", "blocks.0.attn.hook_result", "blocks.0.hook_attn_out",
            "blocks.0.hook_resid_mid", "blocks.0.ln2.hook_scale", "blocks.0.ln2.hook_normalized", "blocks.0.mlp.hook_pre",
            "blocks.0.mlp.hook_pre_linear", "blocks.0.mlp.hook_post", "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post",
            "blocks.1.hook_resid_pre",
        ])
        XCTAssertEqual(Array(names.suffix(4)), ["ln_final.hook_scale", "ln_final.hook_normalized", "unembed.hook_in",
                                                "unembed.hook_out"])
    }

    func testViTHookListIsPinned() throws {
        let vit = try Fixtures.load("vit-tiny")
        let names = vit.hookPoints.map(\.name)
        XCTAssertEqual(Array(names.prefix(3)), ["hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre"])
        XCTAssertEqual(Array(names.suffix(4)), ["ln_final.hook_scale", "ln_final.hook_normalized", "unembed.hook_in",
                                                "unembed.hook_out"])
        XCTAssertEqual(try Fixtures.load("vit-odd").hookPoints.last?.name, "pooler.hook_out")
        // [CLS] + a 4×4 patch grid.
        let geometry = try XCTUnwrap(vit.architecture.image)
        XCTAssertEqual([geometry.gridRows, geometry.gridColumns, vit.architecture.contextLength], [4, 4, 17])
        XCTAssertEqual(vit.architecture.head, .sequenceClassification(labels: ["zero", "one", "two", "three", "four"]))
    }

    func testGroupedQueryShapesAndEveryQueryHeadsPattern() throws {
        let m = try Fixtures.load("llama-gqa")
        let r = try m.forward([1, 5, 9, 2], capture: .points([.block(0, .q), .block(0, .k), .block(0, .v), .block(0, .pattern)]))
        XCTAssertEqual(r.cache[.block(0, .q)]?.shape, [4, 4, 8])
        XCTAssertEqual(r.cache[.block(0, .k)]?.shape, [4, 2, 8])
        XCTAssertEqual(r.cache[.block(0, .v)]?.shape, [4, 2, 8])
        XCTAssertEqual(r.cache[.block(0, .pattern)]?.shape, [4, 4, 4])
    }

    func testSlidingWindowsHideOldKeysOnlyWhereConfigured() throws {
        let ids = [1, 4, 9, 16, 25, 36, 49, 64].map { $0 % 96 }
        let mistral = try Fixtures.load("mistral-swa").forward(ids, capture: .matching { if case .block(_, .pattern) = $0 { true } else { false } })
        for layer in 0..<2 {
            let p = try XCTUnwrap(mistral.cache[.block(layer, .pattern)])
            for h in 0..<4 { for i in 0..<8 { for j in 0..<8 {
                let visible = j <= i && i - j < 3
                XCTAssertEqual(p[h, i, j] > 0, visible, "mistral layer \(layer) h\(h) \(i)→\(j)")
            } } }
        }
        let qwen = try Fixtures.load("qwen2-swa").forward(ids, capture: .matching { if case .block(_, .pattern) = $0 { true } else { false } })
        let full = try XCTUnwrap(qwen.cache[.block(0, .pattern)]), sliding = try XCTUnwrap(qwen.cache[.block(1, .pattern)])
        XCTAssertGreaterThan(full[0, 7, 0], 0, "qwen2 layer 0 attends fully")
        XCTAssertEqual(sliding[0, 7, 3], 0, "qwen2 layer 1 slides with window 4")
        XCTAssertGreaterThan(sliding[0, 7, 4], 0)
    }

    func testLlamaConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "llama", "rope_scaling": {"rope_type": "ntk-by-parts", "factor": 4}}"#, "ntk-by-parts"),
            (#"{"model_type": "llama", "rope_scaling": {"type": "linear"}}"#, "factor"),
            (#"{"model_type": "llama", "num_attention_heads": 8, "num_key_value_heads": 3}"#, "num_key_value_heads"),
            // null is not the default 1: transformers multiplies the head size by None (TypeError), in every Llama-config family
            (#"{"model_type": "llama", "partial_rotary_factor": null}"#, "'partial_rotary_factor' is null; transformers cannot multiply"),
            (#"{"model_type": "qwen2", "partial_rotary_factor": null}"#, "'partial_rotary_factor' is null; transformers cannot multiply"),
            // Every Llama-family type rotates the whole head: transformers 4.53.3 fails on the size
            // ("The size of tensor a (8) must match the size of tensor b (4)", red-team 24); this
            // config used to load and rotate half of each head.
            (#"{"model_type": "llama", "partial_rotary_factor": 0.5}"#, "'partial_rotary_factor' is 0.5, but this family rotates the whole head"),
            (#"{"model_type": "granite", "partial_rotary_factor": 0.5}"#, "'partial_rotary_factor' is 0.5, but this family rotates the whole head"),
            (#"{"model_type": "qwen3", "partial_rotary_factor": 1.5}"#, "'partial_rotary_factor' is 1.5, but this family rotates the whole head"),
            (#"{"model_type": "qwen2", "use_sliding_window": true, "num_hidden_layers": 2, "layer_types": ["full_attention"]}"#, "layer_types"),
            (#"{"model_type": "vit", "image_size": 30, "patch_size": 32}"#, "patch_size"),
        ]
        for (json, fragment) in cases {
            let folder = try Fixtures.folder(config: json, weights: Fixtures.weights("llama-gqa"), test: self, label: "cfg")
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)")
            }
        }
    }

    /// Qwen2's window is None unless `use_sliding_window`, and None when written `null`
    /// (`Qwen2Config`): the derived layer types then slide nowhere, and a written
    /// `"sliding_attention"` layer fails in transformers building its mask (checked in the reference
    /// environment on qwen2-swa: ValueError "Could not find a `sliding_window` argument" both with
    /// `sliding_window: null` and with `use_sliding_window: false`; without `layer_types` the null
    /// window runs full attention). Glassbox read null as 4096 and ignored written types when not sliding.
    func testQwen2WindowlessSlidingLayersAreRefused() throws {
        let nullWindow = { (text: String) in text.replacingOccurrences(of: #""sliding_window": 4"#, with: #""sliding_window": null"#) }
        for (label, edit, expected) in [
            ("null window", nullWindow, "'sliding_window' is null, but layer_types has a sliding_attention layer"),
            ("not sliding", { $0.replacingOccurrences(of: #""use_sliding_window": true"#, with: #""use_sliding_window": false"#) },
             "'layer_types' has a sliding_attention layer, but use_sliding_window is false")] {
            let folder = try Fixtures.textEditedCopy(of: "qwen2-swa", test: self, edit)
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), label) { error in
                XCTAssertTrue(error.localizedDescription.contains(expected), "\(label): \(error.localizedDescription)")
            }
        }
        // Without layer_types the null window slides nowhere: the same logits as both layers written full.
        let typesRange = try XCTUnwrap(Fixtures.configText("qwen2-swa").range(of: #""layer_types": \[[^\]]*\],"#, options: .regularExpression))
        let types = String(try Fixtures.configText("qwen2-swa")[typesRange])
        let derived = try TransformerModel.load(directory: Fixtures.textEditedCopy(of: "qwen2-swa", test: self) {
            nullWindow($0.replacingOccurrences(of: types, with: ""))
        })
        XCTAssertEqual(derived.architecture.slidingWindows, [nil, nil])
        let full = try TransformerModel.load(directory: Fixtures.textEditedCopy(of: "qwen2-swa", test: self) {
            $0.replacingOccurrences(of: types, with: #""layer_types": ["full_attention", "full_attention"],"#)
        })
        let ids = Array(0..<12).map { ($0 * 7 + 3) % 90 }
        XCTAssertEqual(try XCTUnwrap(derived.forward(ids).logits).storage, try XCTUnwrap(full.forward(ids).logits).storage)
        XCTAssertNotEqual(try XCTUnwrap(derived.forward(ids).logits).storage,
                          try XCTUnwrap(Fixtures.load("qwen2-swa").forward(ids).logits).storage, "the window matters on 12 tokens")
    }

    /// Families that rotate the whole head (Mixtral, Gemma 1–3, OLMo 2) refuse a
    /// `partial_rotary_factor` other than 1: transformers 4.53.3 sizes the rotary tables by it and
    /// then fails (checked there: "The size of tensor a (6) must match the size of tensor b (4)" on
    /// mixtral-moe at 0.5, likewise the other four). 1 loads as without the key.
    func testWholeHeadFamiliesRefuseAPartialRotaryShare() throws {
        for name in ["mixtral-moe", "gemma-tiny", "gemma2-softcap", "gemma3-text", "olmo2-postnorm"] {
            for (value, fragment) in [("0.5", "'partial_rotary_factor' is 0.5, but this family rotates the whole head"),
                                      ("null", "'partial_rotary_factor' is null; transformers cannot multiply"),
                                      ("1.0", nil)] as [(String, String?)] {
                let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
                    var text = String(decoding: data, as: UTF8.self)
                    text.insert(contentsOf: "\"partial_rotary_factor\": \(value), ", at: text.index(after: text.firstIndex(of: "{")!))
                    return Data(text.utf8)
                }
                if let fragment {
                    XCTAssertThrowsError(try TransformerModel.load(directory: folder), "\(name) \(value)") { error in
                        XCTAssertTrue(error.localizedDescription.contains(fragment), "\(name): \(error.localizedDescription)")
                    }
                } else {
                    let model = try TransformerModel.load(directory: folder)
                    let plain = try TransformerModel.load(directory: Fixtures.model(name))
                    XCTAssertEqual(try model.forward([2, 5, 7, 9]).logits?.storage, try plain.forward([2, 5, 7, 9]).logits?.storage, name)
                }
            }
        }
    }

    func testWrongInputKindsAreErrors() throws {
        XCTAssertThrowsError(try Fixtures.load("vit-tiny").forward([1, 2])) {
            XCTAssertEqual($0 as? InputError, .tokensForVisionModel("vit"))
        }
        XCTAssertThrowsError(try Fixtures.load("gpt2-tiny").forward(.pixels(Tensor.zeros([3, 32, 32])))) {
            XCTAssertEqual($0 as? InputError, .imageForTextModel("gpt2"))
        }
        XCTAssertThrowsError(try Fixtures.load("vit-tiny").forward(.pixels(Tensor.zeros([3, 24, 32])))) {
            XCTAssertEqual($0 as? InputError, .pixelShape(expected: [3, 32, 32], got: [3, 24, 32]))
        }
    }
}
