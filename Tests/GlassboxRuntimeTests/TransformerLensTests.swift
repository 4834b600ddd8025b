import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Every hook point against TransformerLens itself (docs/methods.md §0.5): a HookedTransformer built
/// offline by scripts/fixtures/generate_transformerlens.py (TransformerLens 2.18) from each GPT-2,
/// GPT-Neo, GPT-J and GPT-NeoX fixture, llama-gqa, phi-tiny, opt-tiny, bloom-tiny, gemma-tiny,
/// gemma2-softcap, llama3-rope, mistral-swa, mixtral-moe and qwen2-swa, run on the golden inputs. Its weights are loaded as in the checkpoint, as
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
/// - mistral-swa, mixtral-moe, qwen2-swa, gemma2-softcap: sliding windows are TransformerLens's local
///   attention (`query − window_size < key ≤ query`), masked keys −∞ on both sides; every fixture's
///   longest input is longer than its window.
/// - gemma-tiny, gemma2-softcap: TransformerLens's `hook_embed` is the row times √d_model
///   (`convert_gemma_weights` scales W_E), as Glassbox's; its norms hold `1 + w`, and
///   `hook_normalized` is before that weight on both sides. Gemma 2's `ln1_post` / `ln2_post` fire
///   after `hook_result` / the MLP, `hook_attn_out` / `hook_mlp_out` are after them on both sides;
///   `hook_attn_scores` is after the tanh soft-cap in both; the logits are soft-capped in both.
/// - mixtral-moe: TransformerLens's `hook_expert_weights` `[n, E]` (softmax over every expert) and
///   `hook_expert_indices` `[n, k]` (int64 there, float32 in the golden) as Glassbox's. Its
///   `experts.<e>.hook_gate|pre|post` keep only the rows routed to expert e, in torch.where's order
///   (see `routedRows`); Glassbox's hold every position (0 where not routed) and are cut to those rows.
///   Glassbox's `hook_router_logits` and `hook_routing_weights` have no TransformerLens hook.
/// - bloom-tiny: TransformerLens names the post-embedding LayerNorm `embed.ln` and hooks its output
///   as `hook_embed` (compared with Glassbox's `embed_ln.hook_normalized`; Glassbox's `hook_embed`, the
///   rows before it, has no TransformerLens hook — see `glassboxName`). Its `hook_attn_scores` carry
///   the relative ALiBi bias `m_h·(j − i)` where transformers and Glassbox add `m_h·j`: a per-row
///   constant, so `hook_pattern` agrees as is and the scores are compared after subtracting `m_h·i`
///   from Glassbox's (`relativeALiBi`). (TransformerLens's own bias is cached at the longest input
///   seen; the generator clears it per case so the golden is `m_h·(j − i)`.)
/// Tolerance 1e-4 for every family, as above: none is loosened.
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
        var repeatedKV: Set<String> = [], postEmbeddingLNModels: Set<String> = [], alibiShifted: Set<String> = []
        for name in TransformerLensGolden.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for (caseName, golden) in try TransformerLensGolden.cases(name) {
                let label = "\(name)/\(caseName)"
                let result = try model.forward(golden.inputIDs, capture: .all)
                let ours = result.cache.order.map(\.name)
                // Same points in the same order; Glassbox adds only the unembed points and, in a
                // mixture (mixtral-moe), each layer's router logits and normalised routing weights.
                // BLOOM: TransformerLens's names for the post-embedding LayerNorm differ (see glassboxName),
                // its hook_embed is that LayerNorm's output, and the rows before it have no hook there.
                let postEmbeddingLN = golden.hooks.contains("embed.ln.hook_normalized")
                if postEmbeddingLN { postEmbeddingLNModels.insert(name) }
                let tlOrder = golden.hooks.filter { !(postEmbeddingLN && $0 == "hook_embed") }
                    .map { Self.glassboxName($0, postEmbeddingLN: postEmbeddingLN) }
                let glassboxOnly = Set(ours.filter(Self.isGlassboxOnly)).union(postEmbeddingLN ? ["hook_embed"] : [])
                let moeOnly = Set(glassboxOnly.filter { !$0.hasPrefix("unembed.") && $0 != "hook_embed" })
                XCTAssertEqual(moeOnly.count, model.architecture.experts != nil ? 2 * model.architecture.layers : 0, label)
                XCTAssertEqual(ours.filter { !glassboxOnly.contains($0) }, tlOrder, "\(label): hook list or order differs")
                XCTAssertEqual(Set(ours).subtracting(tlOrder), glassboxOnly, label)
                XCTAssertTrue(glassboxOnly.isSuperset(of: ["unembed.hook_in", "unembed.hook_out"]), label)
                // phi-tiny: TransformerLens ran the checkpoint with its KV heads repeated (see the
                // class comment); ours keep H_kv heads and are repeated the same way to compare.
                let tlConfig: [String: Any] = try golden.metadata("tl_config")
                let tlKVHeads = tlConfig["n_key_value_heads"] as? Int ?? model.architecture.heads
                let kvRepeat = tlKVHeads / model.architecture.kvHeads
                XCTAssertEqual(tlKVHeads, model.architecture.kvHeads * kvRepeat, label)
                if kvRepeat != 1 { repeatedKV.insert(name) }
                for hook in golden.hooks {
                    guard let point = HookPoint(name: Self.glassboxName(hook, postEmbeddingLN: postEmbeddingLN)) else {
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
                    // mixtral-moe: TransformerLens keeps only the rows routed to an expert, in its
                    // order (see routedRows); Glassbox's rows for the other positions are 0.
                    // BLOOM's ALiBi: TransformerLens adds m_h·(j − i), transformers and Glassbox m_h·j
                    // (the same pattern: a per-row constant); Glassbox's scores shifted by −m_h·i to compare.
                    if case .alibi(let slopes) = model.architecture.position, case .block(_, .attnScores) = point {
                        actual = Self.relativeALiBi(actual, slopes: slopes)
                        alibiShifted.insert(name)
                    }
                    if case .block(let l, .expert(let e, _)) = point {
                        let indices = try XCTUnwrap(result.cache[.block(l, .expertIndices)], label)
                        actual = Self.routedRows(actual, expert: e, indices: indices)
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
                case .layerNorm, .identity: lnFinal
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
        XCTAssertEqual(worst.count, 38, "every hook kind compared: GPT-2's 22, hook_pre_linear, hook_rot_q, hook_rot_k, unembed.*; "
                       + "Gemma 2's ln1_post.* and ln2_post.* (4), Mixtral's hook_expert_weights, hook_expert_indices and "
                       + "experts.*.hook_gate|pre|post (5), BLOOM's embed.ln.* (2)")
        XCTAssertEqual(repeatedKV, ["phi-tiny"], "the models compared with repeated KV heads")
        XCTAssertEqual(postEmbeddingLNModels, ["bloom-tiny"], "the models compared with renamed embedding-LayerNorm hooks")
        XCTAssertEqual(alibiShifted, ["bloom-tiny"], "the models whose scores are compared shifted to relative ALiBi")
    }

    /// TransformerLens's name → Glassbox's. Only BLOOM's post-embedding LayerNorm differs: TransformerLens's
    /// `Embed` holds it as `embed.ln` (`embed.ln.hook_scale`, `embed.ln.hook_normalized`, after the
    /// weight and bias) and its `hook_embed` fires on that LayerNorm's output, which is Glassbox's
    /// `embed_ln.hook_normalized`; Glassbox's `hook_embed` (the rows before the LayerNorm) has no
    /// TransformerLens hook.
    static func glassboxName(_ hook: String, postEmbeddingLN: Bool) -> String {
        guard postEmbeddingLN else { return hook }
        if hook.hasPrefix("embed.ln.") { return "embed_ln." + hook.dropFirst("embed.ln.".count) }
        return hook == "hook_embed" ? "embed_ln.hook_normalized" : hook
    }

    /// `[H, n, n]` scores with ALiBi's `m_h·j` → TransformerLens's `m_h·(j − i)`: `m_h·i` subtracted
    /// from row `i` of head `h` (masked −∞ entries stay −∞). Exact up to fp32 rounding of the shift.
    static func relativeALiBi(_ t: Tensor, slopes: [Float]) -> Tensor {
        let (h, n, m) = (t.shape[0], t.shape[1], t.shape[2])
        var out = t.storage
        for a in 0..<h { for i in 0..<n { for j in 0..<m { out[(a * n + i) * m + j] -= slopes[a] * Float(i) } } }
        return Tensor(shape: t.shape, storage: out)
    }

    /// Glassbox's points TransformerLens has no name for: `unembed.hook_in` / `unembed.hook_out`, and a
    /// mixture's `mlp.hook_router_logits` (TransformerLens's MoE applies `W_gate` without a hook) and
    /// `mlp.hook_routing_weights` (its top-k weights renormalised, unhooked there).
    static func isGlassboxOnly(_ name: String) -> Bool {
        name.hasPrefix("unembed.") || name.hasSuffix(".mlp.hook_router_logits") || name.hasSuffix(".mlp.hook_routing_weights")
    }

    /// Expert `e`'s rows as TransformerLens's `MoE` keeps them: `torch.where` over the `[k, n]` one-hot
    /// of `hook_expert_indices`, so the positions that chose `e` first (ascending), then those that
    /// chose it second, and so on. `t` is Glassbox's `[n, d_mlp]`; `indices` its `[n, k]`.
    static func routedRows(_ t: Tensor, expert e: Int, indices: Tensor) -> Tensor {
        let (n, k, d) = (indices.shape[0], indices.shape[1], t.shape[1])
        var out = [Float](), rows = 0
        for slot in 0..<k { for i in 0..<n where Int(indices[i, slot]) == e {
            out += t.storage[(i * d)..<((i + 1) * d)]; rows += 1
        } }
        return Tensor(shape: [rows, d], storage: out)
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
