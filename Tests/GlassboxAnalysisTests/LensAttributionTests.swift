import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Direct logit attribution (docs/methods.md §5.1; the linearity check of §5.4).
final class LensAttributionTests: XCTestCase {
    /// The heads, the MLPs' neurons and the constant term (embeddings, output biases, β·w + b_U)
    /// sum to the model's logit (and to a logit difference): ≤ 1e-4, for LayerNorm and RMSNorm
    /// models, with and without biases, and for a ViT classifier at [CLS].
    func testPartsSumToTheLogit() throws {
        for name in ["gpt2-tiny", "gpt2-odd", "gpt2-sharded", "llama-gqa", "llama-rope-linear", "mistral-swa", "qwen2-swa", "vit-tiny"] {
            let model = try LensFixtures.model(name)
            let golden = try Fixtures.goldenCases(name).first { $0.name == "full" || $0.name == "image" }!
            let g = try Golden(url: golden.file)
            let input: ModelInput = g.file.entry("pixel_values") != nil ? .pixels(try g.tensor("pixel_values")) : .tokens(g.inputIDs, types: nil)
            let positions = g.inputIDs.isEmpty ? [0] : [0, g.inputIDs.count / 2, g.inputIDs.count - 1]
            for p in positions {
                for contrast in [nil, 1] as [Int?] {
                    let r = try DirectLogitAttribution.run(model, input, position: p, contrast: contrast)
                    let parts = r.heads.joined().reduce(0.0) { $0 + Double($1) } + r.mlp.reduce(0.0) { $0 + Double($1) } + Double(r.constant)
                    XCTAssertEqual(parts, Double(r.logit), accuracy: 1e-4, "\(name) p\(p) contrast \(String(describing: contrast))")
                    XCTAssertLessThanOrEqual(abs(r.residual), 1e-4)
                    XCTAssertEqual(r.heads.count, model.architecture.layers)
                    XCTAssertTrue(r.heads.allSatisfy { $0.count == model.architecture.heads })
                    let constant = Double(r.embeddings) + r.attentionBiases.reduce(0.0) { $0 + Double($1) }
                        + r.mlpBiases.reduce(0.0) { $0 + Double($1) } + Double(r.normBias)
                    XCTAssertEqual(Double(r.constant), constant, accuracy: 1e-4)
                    // The logit is the model's own.
                    let logits = try model.forward(input).logits!
                    let row = g.inputIDs.isEmpty ? 0 : p
                    let expected = logits[row, r.target] - (contrast.map { logits[row, $0] } ?? 0)
                    XCTAssertEqual(r.logit, expected, accuracy: 1e-5)
                }
            }
        }
    }

    /// Against the TransformerLens-style numpy computation on HF modules (generate_lens.py): every
    /// head, MLP, the constant and the logit ≤ 1e-4.
    func testMatchesTheReference() throws {
        var compared = 0
        for name in LensFixtures.models {
            let model = try LensFixtures.model(name)
            for (caseName, reference, input) in try LensFixtures.cases(name) where reference.entry("dla_heads") != nil {
                let position = Int(reference.metadata["dla_position"]!)!
                let target = Int(reference.metadata["dla_target"]!)!
                let r = try DirectLogitAttribution.run(model, input, position: position)
                XCTAssertEqual(r.target, target, "\(name)/\(caseName) default target = top prediction")
                let (L, H) = (model.architecture.layers, model.architecture.heads)
                assertClose(Tensor(shape: [L, H], storage: Array(r.heads.joined())), try reference.tensor("dla_heads"),
                            tolerance: 1e-4, "\(name)/\(caseName) heads")
                assertClose(Tensor(shape: [L], storage: r.mlp), try reference.tensor("dla_mlp"), tolerance: 1e-4, "\(name)/\(caseName) mlp")
                assertClose(Tensor(shape: [1], storage: [r.constant]), try reference.tensor("dla_constant"), tolerance: 1e-4, "\(name)/\(caseName) constant")
                assertClose(Tensor(shape: [1], storage: [r.logit]), try reference.tensor("dla_logit"), tolerance: 1e-4, "\(name)/\(caseName) logit")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 82)   // phimoe-tiny ×2, phimoe-plain, codegen-tiny ×2, codegen-wide, mpt-tiny ×2, mpt-bias, bloom-tiny ×2, bloom-odd, gptj-tiny ×2, gptj-whole, gpt2-tiny, gpt2-odd ×2, llama-gqa, qwen2-swa, vit-tiny, neox-parallel ×2, neox-sequential, qwen3-qknorm, phi3-longrope ×2, mixtral-moe,
                                       // gemma-tiny, phi-tiny ×2, phi-qknorm, falcon-mq, falcon-newarch, falcon-seq, gptneo-tiny ×2, gptneo-local,
                                       // opt-tiny ×2, opt-proj, qwen2moe-tiny, qwen3moe-tiny, bigcode-mq ×2, bigcode-mha, granite-tiny ×2, granite-bias, stablelm-tiny ×2, stablelm-par, cohere-tiny ×2, cohere-qknorm, olmoe-tiny, olmoe-norm, starcoder2-tiny ×2, starcoder2-nobias, olmo-tiny ×2, olmo-clip, smollm3-tiny ×2, smollm3-swa, cohere2-tiny ×2, cohere2-types, olmoe-clip, glm-tiny ×2, granitemoe-tiny, granitemoe-shared, arcee-tiny ×2, nemotron-tiny ×2, nemotron-bias, helium-tiny ×2, helium-bias (Gemma 2, 3, OLMo 2 and GLM-4 refuse DLA: post-branch norms; post-LN opt-post has no final norm)
    }

    /// The linear readout uses the cached final scale: for the last block's output it reproduces the
    /// logits, for an early layer it differs from the lens, which recomputes the norm (TransformerLens
    /// #1076: the cached scale is right for DLA and wrong for the lens).
    func testCachedScaleIsForAttributionNotForTheLens() throws {
        let model = try LensFixtures.model("gpt2-tiny")
        let ids = [3, 9, 27, 81]
        let run = try model.forward(ids, capture: .points([.lnFinal(.scale), .block(0, .residPost)]))
        let readout = try LensReadout.natural(for: model)
        let early = run.cache[.block(0, .residPost)]!
        let scale = run.cache[.lnFinal(.scale)]!
        // Early layer read with the final layer's scale (the bug) vs with its own statistics.
        let norm = model.weights.head.finalNorm!
        let centred = layerNormalize(early, eps: norm.kind.eps)
        var frozen = early
        for i in 0..<ids.count {
            let mean = early.row(i).storage.reduce(0, +) / Float(early.shape[1])
            for j in 0..<early.shape[1] { frozen[i, j] = (early[i, j] - mean) / scale[i, 0] }
        }
        let buggy = model.weights.head.unembed!(affine(frozen, gamma: norm.weight, beta: norm.bias))
        let lens = readout.logits(early)
        assertClose(lens, model.weights.head.unembed!(affine(centred.normalized, gamma: norm.weight, beta: norm.bias)),
                    tolerance: 1e-5, "the lens recomputes the statistics")
        XCTAssertGreaterThan(maxAbsDifference(buggy, lens).value, 1e-2)
    }

    func testModelsWithoutALinearReadoutAreRejected() throws {
        XCTAssertThrowsError(try DirectLogitAttribution.run(try LensFixtures.model("bert-tiny-mlm"), LensFixtures.tokens([2, 7, 3])))
        XCTAssertThrowsError(try DirectLogitAttribution.run(try LensFixtures.model("bert-odd"), LensFixtures.tokens([2, 7, 3])))
        let gpt2 = try LensFixtures.model("gpt2-tiny")
        XCTAssertThrowsError(try DirectLogitAttribution.run(gpt2, LensFixtures.tokens([2, 7]), position: 2))
        XCTAssertThrowsError(try DirectLogitAttribution.run(gpt2, LensFixtures.tokens([2, 7]), target: 128))
        let vit = try LensFixtures.model("vit-tiny")
        let (_, _, input) = try LensFixtures.cases("vit-tiny")[0]
        XCTAssertThrowsError(try DirectLogitAttribution.run(vit, input, position: 3))
        let r = try DirectLogitAttribution.run(vit, input, tokenTexts: nil)
        XCTAssertNotNil(r.targetText, "class names label ViT targets")
    }
}
