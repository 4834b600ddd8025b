import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The logit lens and direct logit attribution against TransformerLens's own functions
/// (scripts/fixtures/generate_transformerlens.py, TransformerLens 2.18; docs/methods.md §5.4), on
/// every model of `TransformerLensGolden.models`: the GPT-2, GPT-Neo, GPT-J and GPT-NeoX fixtures,
/// llama-gqa, phi-tiny, opt-tiny, bloom-tiny, gemma-tiny, gemma2-softcap (lens only, soft-capped: see
/// `capped`), llama3-rope, mistral-swa, mixtral-moe (lens only: see `withoutDLA`) and qwen2-swa.
/// Tolerance 1e-4 (the hook tests' tolerance) for every family, fp32 both sides. In the
/// parallel blocks (GPT-J, neox-parallel, Phi) both sides split the block's update the same way:
/// `decompose_resid`'s attention row is `hook_attn_out`, its MLP row `hook_mlp_out`. GPT-J's and
/// Phi's `lm_head` bias is TransformerLens's `b_U` (the `β·w + b_U` part of the DLA).
///
/// - Lens: TransformerLens's `unembed(accumulated_resid(apply_ln=True))` (ln_final recomputed per
///   row) and, for the attention and MLP sites, `unembed(apply_ln_to_stack(decompose_resid(mode=…),
///   recompute_ln=True))`, from a model with fold_ln, center_writing_weights, center_unembed and
///   fold_value_biases off (the weights as in the checkpoint, as Glassbox loads them).
/// - DLA: `logit_attrs(get_full_resid_decomposition(expand_neurons=True))` from the same checkpoint
///   loaded with fold_ln on and the rest still off — TransformerLens's `apply_ln_to_stack` divides by
///   the cached ln_final scale but applies ln_final's weight and bias only when they are folded into
///   W_U and b_U, which is therefore the configuration its DLA is defined for.
final class TransformerLensLensTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func testLogitLensMatchesTransformerLens() throws {
        var compared = 0, worst: Float = 0, perModel: [String: Float] = [:]
        for name in TransformerLensGolden.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let readout = try LensReadout.natural(for: model)
            for (caseName, golden) in try TransformerLensGolden.cases(name) {
                let input = ModelInput.tokens(golden.inputIDs, types: nil)
                let final = try golden.tensor("logits")                                       // [n, V]
                let (n, v) = (final.shape[0], final.shape[1])
                for site in LensSite.allCases {
                    let label = "\(name)/\(caseName) \(site)"
                    let expected = try golden.tensor("lens.\(site.rawValue)")                  // [rows, n, V]
                    let states = try LogitLens.collect(model, input, site: site)
                    XCTAssertEqual(states.states.count, expected.shape[0], label)
                    for (r, state) in states.states.enumerated() where r < expected.shape[0] {
                        let ours = readout.logits(state)
                        let theirs = Self.capped(expected.row(r), model.architecture.finalSoftCap)
                        assertClose(ours, theirs, tolerance: Self.tolerance, "\(label) row \(r)")
                        let delta = zip(ours.storage, theirs.storage).map { abs($0 - $1) }.max() ?? 0
                        worst = max(worst, delta)
                        perModel[name] = max(perModel[name] ?? 0, delta)
                    }
                    // The lens table itself: KL(final ‖ lens) and the top-1, from TransformerLens's logits.
                    let result = try LogitLens.run(model, input, options: .init(site: site, topK: 1))
                    for (r, row) in result.rows.enumerated() {
                        for cell in row.cells {
                            let p = cell.position
                            let lens = (0..<v).map { Double(Self.capped(expected[r, p, $0], model.architecture.finalSoftCap)) }
                            let fin = (0..<v).map { Double(final[p, $0]) }
                            let kl = Self.kl(fin, lens)
                            XCTAssertEqual(Double(cell.kl), kl, accuracy: 1e-4 * max(1, kl), "\(label) \(row.label) KL at \(p)")
                            let sorted = lens.sorted(by: >)
                            if v < 2 || sorted[0] - sorted[1] > 1e-4 {
                                XCTAssertEqual(cell.top.first?.id, lens.indices.max { lens[$0] < lens[$1] }, "\(label) \(row.label) top-1 at \(p)")
                            }
                        }
                    }
                    compared += 1
                }
                XCTAssertEqual(n, golden.inputIDs.count)
            }
        }
        print("TransformerLens lens parity: \(compared) case × site tables, max |Δ logit| \(worst); per model:")
        for (model, delta) in perModel.sorted(by: { $0.key < $1.key }) { print("  \(model)  \(delta)") }
        // 5 GPT-2 fixtures × 3 cases (gpt2-copy: 1) + llama-gqa, 2 GPT-Neo, 2 GPT-J, 2 GPT-NeoX, phi-tiny,
        // opt-tiny, bloom-tiny, gemma-tiny, gemma2-softcap, llama3-rope, mistral-swa, mixtral-moe,
        // qwen2-swa × 3 cases; three sites each.
        XCTAssertEqual(compared, 3 * (13 + 3 + 15 * 3))
    }

    /// gemma2-softcap: TransformerLens's `unembed` leaves out Gemma 2's final soft-cap, which its
    /// `HookedTransformer.forward` applies to the logits only (`cap · tanh(x / cap)`); Glassbox's lens
    /// reads the lens rows as the model's head does, capped. The same formula is applied to
    /// TransformerLens's lens rows before the comparison (in fp32, as both sides compute it).
    static func capped(_ x: Float, _ cap: Float?) -> Float { cap.map { $0 * tanh(x / $0) } ?? x }

    static func capped(_ t: Tensor, _ cap: Float?) -> Tensor {
        cap == nil ? t : Tensor(shape: t.shape, storage: t.storage.map { capped($0, cap) })
    }

    func testDirectLogitAttributionMatchesTransformerLens() throws {
        var compared = 0, worst: Float = 0, perModel: [String: Float] = [:]
        for name in TransformerLensGolden.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (L, H) = (model.architecture.layers, model.architecture.heads)
            for (caseName, golden) in try TransformerLensGolden.cases(name) {
                let input = ModelInput.tokens(golden.inputIDs, types: nil)
                let cases: [[String: Any]] = try golden.metadata("dla")
                if Self.withoutDLA.contains(name) {
                    XCTAssertEqual(cases.count, 0, "\(name)/\(caseName): the generator writes no DLA here")
                    if name == "gemma2-softcap" { XCTAssertThrowsError(try DirectLogitAttribution.run(model, input), name) }
                    continue
                }
                XCTAssertGreaterThanOrEqual(cases.count, 2, "\(name)/\(caseName)")
                for (i, c) in cases.enumerated() {
                    let position = try XCTUnwrap(c["position"] as? Int), target = try XCTUnwrap(c["target"] as? Int)
                    let contrast = c["contrast"] as? Int
                    let label = "\(name)/\(caseName) DLA \(i) (p \(position), t \(target), c \(contrast.map(String.init) ?? "-"))"
                    let r = try DirectLogitAttribution.run(model, input, position: position, target: target, contrast: contrast)
                    let pairs: [(String, Tensor, Tensor)] = [
                        ("heads", Tensor(shape: [L, H], storage: Array(r.heads.joined())), try golden.tensor("dla.\(i).heads")),
                        ("mlp", Tensor(shape: [L], storage: r.mlp), try golden.tensor("dla.\(i).mlp")),
                        ("embeddings", Tensor(shape: [1], storage: [r.embeddings]), try golden.tensor("dla.\(i).embed")),
                        ("output biases", Tensor(shape: [1], storage: [(r.attentionBiases + r.mlpBiases).reduce(0, +)]),
                         try golden.tensor("dla.\(i).bias")),
                        ("β·w + b_U", Tensor(shape: [1], storage: [r.normBias]), try golden.tensor("dla.\(i).unembed_bias")),
                        ("logit", Tensor(shape: [1], storage: [r.logit]), try golden.tensor("dla.\(i).logit")),
                    ]
                    for (part, ours, theirs) in pairs {
                        assertClose(ours, theirs, tolerance: Self.tolerance, "\(label) \(part)")
                        let delta = zip(ours.storage, theirs.storage).map { abs($0 - $1) }.max() ?? 0
                        worst = max(worst, delta)
                        perModel[name] = max(perModel[name] ?? 0, delta)
                    }
                    compared += 1
                }
            }
        }
        print("TransformerLens DLA parity: \(compared) attributions, max |Δ| \(worst); per model:")
        for (model, delta) in perModel.sorted(by: { $0.key < $1.key }) { print("  \(model)  \(delta)") }
        // 3 per case (last position, with a contrast, a middle one), 2 for one-token inputs: 43 on the
        // GPT-2 fixtures and llama-gqa, 8 on each of the 13 other models with DLA goldens (full,
        // short, single).
        XCTAssertEqual(compared, 43 + 8 * 13)
    }

    /// The models without DLA goldens (the generator's `has_dla`): TransformerLens's DLA is not defined there.
    /// - mixtral-moe: TransformerLens 2.18 does not fold LayerNorm into a mixture's weights
    ///   (`load_and_process_state_dict` skips fold_ln when num_experts is set), so `logit_attrs`, which
    ///   applies ln_final's weight only through the folded W_U, would leave it out.
    /// - gemma2-softcap: norms on the branch outputs (`ln1_post`, `ln2_post`): the heads' `hook_result`
    ///   no longer sum to what enters the residual stream, and Glassbox's DLA refuses the model.
    static let withoutDLA: Set<String> = ["gemma2-softcap", "mixtral-moe"]

    /// `KL(p ‖ q)` in nats from two logit vectors, in Double.
    static func kl(_ final: [Double], _ lens: [Double]) -> Double {
        func logSoftmax(_ x: [Double]) -> [Double] {
            let m = x.max()!
            let lse = m + log(x.reduce(0) { $0 + exp($1 - m) })
            return x.map { $0 - lse }
        }
        let (lp, lq) = (logSoftmax(final), logSoftmax(lens))
        return zip(lp, lq).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }
}
