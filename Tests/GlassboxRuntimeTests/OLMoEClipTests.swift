import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// OLMoE's `clip_qkv` (transformers 4.53.3 `OlmoeAttention.forward`: `q_norm(q_proj(x))`,
/// `k_norm(k_proj(x))`, `v_proj(x)`, then `clamp_` of all three to `[−c, c]`): olmoe-clip (c 2.5;
/// 20–40 % of the normed q, the normed k and v clipped in every layer on the short and full inputs,
/// asserted by scripts/fixtures/generate.py) against OlmoeForCausalLM's hooks (goldens from
/// scripts/fixtures/hf_hooks_qwenmoe.py, 1e-4 as GoldenTests), and the clamp's point: after the
/// QK-norm, not at the projections (OLMo's).
final class OLMoEClipTests: XCTestCase {
    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        try assertEveryHookMatchesGoldens(Fixtures.load("olmoe-clip"), "olmoe-clip")
    }

    /// The config's clip is read and placed after the QK-norm; olmoe-tiny (null) has none.
    func testClipIsReadAfterTheQKNorm() throws {
        let m = try Fixtures.load("olmoe-clip")
        XCTAssertEqual(m.architecture.qkvClip, 2.5)
        XCTAssertEqual(m.architecture.qkvClipPoint, .afterQKNorm)
        XCTAssertNil(try Fixtures.load("olmoe-tiny").architecture.qkvClip)
        XCTAssertEqual(try Fixtures.load("olmo-clip").architecture.qkvClipPoint, .projection)
    }

    /// Hooks follow transformers' module boundaries: hook_q/k/v (the projections) and the norms'
    /// γ·x̂ exceed ±c (before the clamp); rot_q/rot_k are rotations of the clamped normed q, k (so
    /// within c·√2 per rotated pair's element); and the logits leave transformers' by far more than
    /// the hook tolerance both without the clamp and with it at the projections (OLMo's point).
    func testClampActsAfterTheNorm() throws {
        let m = try Fixtures.load("olmoe-clip")
        let c: Float = 2.5
        let golden = try Fixtures.golden("olmoe-clip", "full")
        let r = try m.forward(golden.inputIDs, capture: .all)
        for l in 0..<3 {
            XCTAssertGreaterThan(r.cache[.block(l, .v)]!.storage.map(abs).max()!, c, "layer \(l) v")
            for (site, norm) in [(BlockSite.qNorm(.normalized), m.weights.blocks[l].attention.queryNorm!),
                                 (BlockSite.kNorm(.normalized), m.weights.blocks[l].attention.keyNorm!)] {
                let x̂ = r.cache[.block(l, site)]!
                let normed = affine(x̂.reshaped([x̂.shape[0], x̂.count / x̂.shape[0]]), gamma: norm.weight, beta: nil)
                XCTAssertGreaterThan(normed.storage.map(abs).max()!, c, "layer \(l) \(site)")
            }
            for site: BlockSite in [.rotQ, .rotK] {
                XCTAssertLessThanOrEqual(r.cache[.block(l, site)]!.storage.map(abs).max()!, c * Float(2).squareRoot() + 1e-5)
            }
        }
        let expected = try golden.tensor("unembed.hook_out")
        var free = m.architecture, early = m.architecture
        free.qkvClip = nil
        early.qkvClipPoint = .projection
        for (label, arch) in [("no clamp", free), ("clamp at the projections", early)] {
            let logits = try TransformerModel(architecture: arch, weights: m.weights).forward(golden.inputIDs).logits!
            XCTAssertGreaterThan(maxAbsDifference(logits, expected).0, 1e-2, label)
        }
    }

    /// `scoredQueries` / `scoredKeys` (what AtP*'s exact softmax recomputes from hook_q / hook_k) give
    /// the forward's rot_q / rot_k: the norm, then the clamp, then RoPE, on both clipped models.
    func testScoredQueriesAndKeysEqualTheForward() throws {
        for name in ["olmoe-clip", "olmo-clip"] {
            let m = try Fixtures.load(name)
            let ids = try Fixtures.golden(name, "full").inputIDs
            let r = try m.forward(ids, capture: .all)
            for l in 0..<m.architecture.layers {
                let attention = m.weights.blocks[l].attention
                let q = attention.scoredQueries(r.cache[.block(l, .q)]!, layer: l, architecture: m.architecture)
                let k = attention.scoredKeys(r.cache[.block(l, .k)]!, layer: l, architecture: m.architecture)
                XCTAssertLessThanOrEqual(maxAbsDifference(q, r.cache[.block(l, .rotQ)]!).0, 1e-5, "\(name) layer \(l) q")
                XCTAssertLessThanOrEqual(maxAbsDifference(k, r.cache[.block(l, .rotK)]!).0, 1e-5, "\(name) layer \(l) k")
            }
        }
    }

    /// clip_qkv null is no clamp; a string (a TypeError in transformers' negation) is refused naming the key.
    func testClipValuesAsTransformersReadsThem() throws {
        for value in ["null", #""2.5""#] {
            let folder = try Fixtures.textEditedCopy(of: "olmoe-clip", test: self) {
                $0.replacingOccurrences(of: #""clip_qkv": 2.5"#, with: #""clip_qkv": \#(value)"#)
            }
            if value == "null" {
                XCTAssertNil(try TransformerModel.load(directory: folder).architecture.qkvClip)
            } else {
                XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                    XCTAssertTrue(error.localizedDescription.contains("'clip_qkv'"), error.localizedDescription)
                }
            }
        }
    }
}
