import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Every hook point against TransformerLens itself (docs/methods.md §0.5): a HookedTransformer built
/// offline by scripts/fixtures/generate_transformerlens.py (TransformerLens 2.18) from each GPT-2,
/// GPT-Neo, GPT-J and GPT-NeoX fixture, llama-gqa, phi-tiny and opt-tiny, run on the golden inputs. Its weights are loaded as in the checkpoint, as
/// Glassbox loads them: fold_ln, center_writing_weights, center_unembed and fold_value_biases are
/// all off (with them on, TransformerLens's activations would be those of different weights).
///
/// Tolerance: max |Δ| ≤ 1e-4 at every point, fp32 both sides (as GoldenTests against transformers).
/// Shapes: TransformerLens's with the batch axis dropped, the other axes in the same order.
/// Every name TransformerLens fires must exist in Glassbox with the same tensor, compared as is —
/// `hook_normalized` included: after the weight and bias for LayerNorm (GPT-2), before the weight for
/// RMSNorm (llama-gqa), in both. Glassbox's own `unembed.hook_in` / `unembed.hook_out` have no
/// TransformerLens name; they are compared with the ln_final output and TransformerLens's logits.
///
/// Family notes (the same names, the same meaning, unless said):
/// - GPT-Neo: TransformerLens's `use_attn_scale=False` and Glassbox's `s = 1` agree:
///   `hook_attn_scores` is the unscaled `q·kᵀ` in both, keys outside a local layer's window −∞ as
///   the causal mask's (equal infinities count as no difference).
/// - GPT-J, GPT-NeoX (`use_parallel_residual`), Phi: parallel blocks, no `hook_resid_mid` on either
///   side; GPT-J's and Phi's `ln2.*` are the tied `ln1` recomputed for the MLP in both.
/// - phi-tiny (one KV head for three query heads): TransformerLens's Phi path has no grouped-query
///   attention (`convert_phi_weights` splits k_proj into n_heads heads), so the generator hands it the
///   checkpoint with each KV head repeated for its query heads — the same function, its logits
///   checked against transformers'. TransformerLens's `hook_k`, `hook_v`, `hook_rot_k` then hold
///   three heads; Glassbox's keep one (TransformerLens's own GQA convention, as llama-gqa shows)
///   and are repeated the same way before the comparison. Every other hook is compared as is.
final class TransformerLensTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func testEveryModelHasTransformerLensGoldens() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: TransformerLensGolden.folder.path).sorted()
        XCTAssertEqual(folders, TransformerLensGolden.models)
        for name in TransformerLensGolden.models { XCTAssertFalse(try TransformerLensGolden.cases(name).isEmpty, name) }
    }

    func testEveryHookPointMatchesTransformerLens() throws {
        var worst: [String: Float] = [:]                // hook kind (name without the layer) → max |Δ|
        var perModel: [String: Float] = [:]             // model → max |Δ| over every hook and case
        var repeatedKV: Set<String> = []
        for name in TransformerLensGolden.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for (caseName, golden) in try TransformerLensGolden.cases(name) {
                let label = "\(name)/\(caseName)"
                let result = try model.forward(golden.inputIDs, capture: .all)
                let ours = result.cache.order.map(\.name)
                // Same points in the same order; Glassbox adds only the unembed points.
                XCTAssertEqual(ours.filter { !$0.hasPrefix("unembed.") }, golden.hooks, "\(label): hook list or order differs")
                XCTAssertEqual(Set(ours).subtracting(golden.hooks), ["unembed.hook_in", "unembed.hook_out"], label)
                // phi-tiny: TransformerLens ran the checkpoint with its KV heads repeated (see the
                // class comment); ours keep H_kv heads and are repeated the same way to compare.
                let tlConfig: [String: Any] = try golden.metadata("tl_config")
                let tlKVHeads = tlConfig["n_key_value_heads"] as? Int ?? model.architecture.heads
                let kvRepeat = tlKVHeads / model.architecture.kvHeads
                XCTAssertEqual(tlKVHeads, model.architecture.kvHeads * kvRepeat, label)
                if kvRepeat != 1 { repeatedKV.insert(name) }
                for hook in golden.hooks {
                    guard let point = HookPoint(name: hook) else {
                        XCTFail("\(label): TransformerLens hook \(hook) has no Glassbox point")
                        continue
                    }
                    guard var actual = result.cache[point] else {
                        XCTFail("\(label): \(hook) not captured")
                        continue
                    }
                    if kvRepeat != 1, ["attn.hook_k", "attn.hook_v", "attn.hook_rot_k"].contains(where: hook.hasSuffix) {
                        actual = Self.repeatHeads(actual, kvRepeat)
                    }
                    let expected = try golden.tensor(hook)
                    assertClose(actual, expected, tolerance: Self.tolerance, "\(label) \(hook)")
                    Self.record(&worst, Self.kind(hook), actual, expected)
                    Self.record(&perModel, name, actual, expected)
                }
                // Glassbox-only points: the ln_final output and the logits. TransformerLens's
                // ln_final.hook_normalized is that output for LayerNorm, and before the weight for RMSNorm.
                let lnFinal = try golden.tensor("ln_final.hook_normalized")
                let unembedIn = try XCTUnwrap(result.cache[.unembedIn])
                let norm = try XCTUnwrap(model.weights.head.finalNorm)
                let expectedIn = switch norm.kind {
                case .rmsNorm: affine(lnFinal, gamma: norm.weight, beta: nil)
                case .layerNorm: lnFinal
                }
                assertClose(unembedIn, expectedIn, tolerance: Self.tolerance, "\(label) unembed.hook_in")
                let logits = try golden.tensor("logits")
                let unembedOut = try XCTUnwrap(result.cache[.unembedOut])
                assertClose(unembedOut, logits, tolerance: Self.tolerance, "\(label) unembed.hook_out = logits")
                Self.record(&worst, "unembed.hook_in", unembedIn, expectedIn)
                Self.record(&worst, "unembed.hook_out", unembedOut, logits)
                Self.record(&perModel, name, unembedOut, logits)
            }
        }
        // The comparison table of docs/methods.md §0.5 (max over models, cases and layers).
        print("TransformerLens parity, max |Δ| per hook:")
        for (kind, delta) in worst.sorted(by: { $0.key < $1.key }) { print("  \(kind)  \(delta)") }
        print("TransformerLens parity, max |Δ| per model:")
        for (model, delta) in perModel.sorted(by: { $0.key < $1.key }) { print("  \(model)  \(delta)") }
        XCTAssertEqual(worst.count, 27, "every hook kind compared: GPT-2's 22, hook_pre_linear, hook_rot_q, hook_rot_k, unembed.*")
        XCTAssertEqual(repeatedKV, ["phi-tiny"], "the models compared with repeated KV heads")
    }

    /// `[n, H_kv, d]` → `[n, H_kv·r, d]`, each head repeated `r` times in place (transformers'
    /// `repeat_kv` order: query head `h` reads KV head `h / r`).
    static func repeatHeads(_ t: Tensor, _ r: Int) -> Tensor {
        let (n, hkv, d) = (t.shape[0], t.shape[1], t.shape[2])
        var out = [Float](); out.reserveCapacity(n * hkv * r * d)
        for i in 0..<n { for h in 0..<hkv { for _ in 0..<r { out += t.storage[(i * hkv + h) * d ..< (i * hkv + h + 1) * d] } } }
        return Tensor(shape: [n, hkv * r, d], storage: out)
    }

    /// `blocks.3.attn.hook_q` → `blocks.*.attn.hook_q`.
    static func kind(_ hook: String) -> String {
        hook.split(separator: ".").map { Int($0) == nil ? String($0) : "*" }.joined(separator: ".")
    }

    static func record(_ worst: inout [String: Float], _ kind: String, _ a: Tensor, _ b: Tensor) {
        guard a.shape == b.shape else { return }
        var delta: Float = 0
        for i in 0..<a.count where a.storage[i] != b.storage[i] {    // equal infinities (masked scores) count 0
            delta = max(delta, abs(a.storage[i] - b.storage[i]))
        }
        worst[kind] = max(worst[kind] ?? 0, delta)
    }
}
