import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Every hook point against TransformerLens itself (docs/methods.md §0.5): a HookedTransformer built
/// offline from each GPT-2 fixture and from llama-gqa by scripts/fixtures/generate_transformerlens.py
/// (TransformerLens 2.18), run on the golden inputs. Its weights are loaded as in the checkpoint, as
/// Glassbox loads them: fold_ln, center_writing_weights, center_unembed and fold_value_biases are
/// all off (with them on, TransformerLens's activations would be those of different weights).
///
/// Tolerance: max |Δ| ≤ 1e-4 at every point, fp32 both sides (as GoldenTests against transformers).
/// Shapes: TransformerLens's with the batch axis dropped, the other axes in the same order.
/// Every name TransformerLens fires must exist in Glassbox with the same tensor, compared as is —
/// `hook_normalized` included: after the weight and bias for LayerNorm (GPT-2), before the weight for
/// RMSNorm (llama-gqa), in both. Glassbox's own `unembed.hook_in` / `unembed.hook_out` have no
/// TransformerLens name; they are compared with the ln_final output and TransformerLens's logits.
final class TransformerLensTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func testEveryModelHasTransformerLensGoldens() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: TransformerLensGolden.folder.path).sorted()
        XCTAssertEqual(folders, TransformerLensGolden.models)
        for name in TransformerLensGolden.models { XCTAssertFalse(try TransformerLensGolden.cases(name).isEmpty, name) }
    }

    func testEveryHookPointMatchesTransformerLens() throws {
        var worst: [String: Float] = [:]                // hook kind (name without the layer) → max |Δ|
        for name in TransformerLensGolden.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for (caseName, golden) in try TransformerLensGolden.cases(name) {
                let label = "\(name)/\(caseName)"
                let result = try model.forward(golden.inputIDs, capture: .all)
                let ours = result.cache.order.map(\.name)
                // Same points in the same order; Glassbox adds only the unembed points.
                XCTAssertEqual(ours.filter { !$0.hasPrefix("unembed.") }, golden.hooks, "\(label): hook list or order differs")
                XCTAssertEqual(Set(ours).subtracting(golden.hooks), ["unembed.hook_in", "unembed.hook_out"], label)
                for hook in golden.hooks {
                    guard let point = HookPoint(name: hook) else {
                        XCTFail("\(label): TransformerLens hook \(hook) has no Glassbox point")
                        continue
                    }
                    guard let actual = result.cache[point] else {
                        XCTFail("\(label): \(hook) not captured")
                        continue
                    }
                    let expected = try golden.tensor(hook)
                    assertClose(actual, expected, tolerance: Self.tolerance, "\(label) \(hook)")
                    Self.record(&worst, Self.kind(hook), actual, expected)
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
            }
        }
        // The comparison table of docs/methods.md §0.5 (max over models, cases and layers).
        print("TransformerLens parity, max |Δ| per hook:")
        for (kind, delta) in worst.sorted(by: { $0.key < $1.key }) { print("  \(kind)  \(delta)") }
        XCTAssertEqual(worst.count, 27, "every hook kind compared: GPT-2's 22, hook_pre_linear, hook_rot_q, hook_rot_k, unembed.*")
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
