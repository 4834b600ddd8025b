import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Chefer et al.'s transformer attribution (CVPR 2021) and generic attention explainability (ICCV
/// 2021): the checks of docs/methods.md §3.5 and sanity on every family.
final class RelevanceCheferTests: XCTestCase {
    /// With `∇A ⊙ A` replaced by `A`, GAE is `Π(I + A_l)`: the §1.5 matrices give
    /// `(I+A2)(I+A1) = [[4,0,0],[1.15,2.85,0],[1.54,0.66,1.8]]`.
    func testRolloutOfIdentityPlusAttention() {
        let a1 = Tensor(shape: [3, 3], storage: [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5])
        let a2 = Tensor(shape: [3, 3], storage: [1, 0, 0, 0.1, 0.9, 0, 0.6, 0.2, 0.2])
        let expected: [[Float]] = [[4, 0, 0], [1.15, 2.85, 0], [1.54, 0.66, 1.8]]
        for i in 0..<3 {
            let row = CheferRollout.row([a1, a2], position: i, normalizeRows: false)
            for j in 0..<3 { XCTAssertEqual(row[j], expected[i][j], accuracy: 1e-5, "R[\(i), \(j)]") }
            XCTAssertGreaterThanOrEqual(row[i], 1)                                   // R[i, i] ≥ 1
            let normalized = CheferRollout.row([a1, a2], position: i, normalizeRows: true)
            XCTAssertEqual(normalized.reduce(0, +), 1, accuracy: 1e-6)               // rows sum to 1
        }
    }

    /// Both methods on every family: finite scores, zero beyond a causal position, `R[p, p] ≥ 1` for
    /// GAE, a patch grid for ViT, the BERT code's [CLS] entry set to the row minimum for the CVPR method.
    func testBothMethodsOnEveryFamily() throws {
        for name in ["gpt2-tiny", "bert-cls", "bert-tiny-mlm", "llama-gqa", "qwen2-swa", "vit-tiny", "bert-odd"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            let cases = try Fixtures.goldenCases(name)
            let golden = try Golden(url: (cases.first { $0.name == "full" } ?? cases.first { $0.name == "image" })!.file)
            let input: ModelInput = arch.image != nil ? .pixels(try golden.tensor("pixel_values")) : .tokens(golden.inputIDs, types: nil)
            let target: RelevanceTarget = arch.head == .none
                ? .similarity(to: .tokens(try Golden(url: cases.first { $0.name == "short" }!.file).inputIDs, types: nil)) : .top()
            let gae = try GenericAttentionExplainability.explain(model, input, target: target)
            let chefer = try TransformerAttribution.explain(model, input, target: target)
            for scores in [gae, chefer] {
                XCTAssertTrue(scores.scores.allSatisfy(\.isFinite), "\(name) \(scores.method)")
                if arch.image != nil { XCTAssertNotNil(scores.patchGrid, "\(name)") }
                if arch.mask == .causal {
                    XCTAssertTrue(scores.scores[(scores.position + 1)...].allSatisfy { $0 == 0 })
                }
            }
            XCTAssertGreaterThanOrEqual(gae.scores[gae.position], 1, "\(name): GAE R[p, p]")
            if arch.mask == .bidirectional && arch.image == nil { XCTAssertEqual(chefer.scores[0], chefer.scores.min()) }
            XCTAssertTrue(chefer.scores.contains { $0 > 0 }, "\(name): \(chefer.scores)")
        }
    }

    /// Chefer's rules conserve: α1β0 layers, the rescaled residual adds and the halved products keep
    /// the one-hot seed's total (1) down to the first block's input (biases take no share).
    func testCheferRulesConserveTheSeed() throws {
        for name in ["gpt2-tiny", "bert-cls", "llama-gqa", "vit-tiny"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let cases = try Fixtures.goldenCases(name)
            let golden = try Golden(url: (cases.first { $0.name == "full" } ?? cases.first { $0.name == "image" })!.file)
            let input: ModelInput = model.architecture.image != nil ? .pixels(try golden.tensor("pixel_values")) : .tokens(golden.inputIDs, types: nil)
            let position = try Relevance.resolvePosition(.top(), input: input, architecture: model.architecture)
            let forward = try model.forward(input, capture: CheferSweep.capture, logitRows: .positions([position]))
            let sweep = CheferSweep(model: model, cache: forward.cache, n: forward.hidden.shape[0]) { _, _, _ in }
            let top = try sweep.headRelevance(.top(), position: position, forward: forward)
            XCTAssertEqual(finiteSum(top), 1, accuracy: 1e-4, "\(name): head")
            let bottom = try sweep.blocks(top, stopLayer: 0)
            XCTAssertEqual(finiteSum(bottom), 1, accuracy: 1e-3, "\(name): block 0 input")
        }
    }
}
