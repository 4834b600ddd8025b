import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The checks of docs/methods.md §1.5 for rollout and flow.
final class RolloutFlowTests: XCTestCase {
    /// The worked 3-token causal fixture: A1, A2 (one head each).
    let a1 = Tensor(shape: [1, 3, 3], storage: [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5])
    let a2 = Tensor(shape: [1, 3, 3], storage: [1, 0, 0, 0.1, 0.9, 0, 0.6, 0.2, 0.2])

    func testWorkedRolloutFixture() throws {
        let layers = [a1, a2].map { AttentionRollout.layerMatrix($0, options: RolloutOptions()) }
        let r = try AttentionRollout.matrix(layers)
        assertClose(r, Tensor(shape: [3, 3], storage: [1, 0, 0, 0.2875, 0.7125, 0, 0.385, 0.165, 0.45]),
                    tolerance: 1e-6, "R = Ã2·Ã1")
        for p in 0..<3 {
            assertClose(Tensor(shape: [3], storage: try AttentionRollout.row(layers, position: p)), r.row(p),
                        tolerance: 1e-6, "row \(p) top-down equals the matrix row")
        }
    }

    func testWorkedFlowFixture() throws {
        let layers = [a1, a2].map { AttentionRollout.layerMatrix($0, options: RolloutOptions()) }
        let top1 = try AttentionFlow.row(layers, position: 1)
        assertClose(Tensor(shape: [3], storage: top1.raw), Tensor(shape: [3], storage: [0.3, 0.75, 0]), tolerance: 1e-6, "raw flow of node 1")
        assertClose(Tensor(shape: [3], storage: top1.normalized), Tensor(shape: [3], storage: [0.285714, 0.714286, 0]),
                    tolerance: 1e-6, "normalised flow of node 1")
        let top2 = try AttentionFlow.row(layers, position: 2)
        assertClose(Tensor(shape: [3], storage: top2.raw), Tensor(shape: [3], storage: [0.5, 0.25, 0.6]), tolerance: 1e-6, "raw flow of node 2")
        assertClose(Tensor(shape: [3], storage: top2.normalized), Tensor(shape: [3], storage: [0.370370, 0.185185, 0.444444]),
                    tolerance: 1e-6, "normalised flow of node 2")
    }

    func testIdentityAndOneLayer() throws {
        let identity = Tensor(shape: [2, 4, 4], storage: (0..<32).map { i in Float((i % 16) / 4 == i % 4 ? 1 : 0) })
        let layers = [identity, identity, identity].map { AttentionRollout.layerMatrix($0, options: RolloutOptions()) }
        var eye = Tensor.zeros([4, 4])
        for i in 0..<4 { eye[i, i] = 1 }
        XCTAssertEqual(try AttentionRollout.matrix(layers), eye)
        // One layer: R = 0.5·Ā + 0.5·I.
        let one = try AttentionRollout.matrix([AttentionRollout.layerMatrix(a1, options: RolloutOptions())])
        var expected = a1.reshaped([3, 3])
        for i in 0..<9 { expected.storage[i] = 0.5 * expected.storage[i] + (i % 4 == 0 ? 0.5 : 0) }
        assertClose(one, expected, tolerance: 1e-7, "one layer")
    }

    /// The public chain helpers check their layer matrices and position (no layers used to trap
    /// at `layers[0]`, a ragged chain read past a matrix).
    func testChainHelpersRefuseBadMatricesAndPositions() {
        let layers = [a1, a2].map { AttentionRollout.layerMatrix($0, options: RolloutOptions()) }
        var cut = layers[1]
        cut.storage = [1, 0, 0]
        let cases: [([Tensor], String)] = [
            ([], "rollout needs at least one layer matrix"),
            ([layers[0], Tensor.zeros([2, 2])], "layer matrix 1 has shape [2, 2] and 4 values; each must be [3, 3] like layer 0"),
            ([layers[0], cut], "layer matrix 1 has shape [3, 3] and 3 values; each must be [3, 3] like layer 0"),
            ([Tensor.zeros([3])], "layer matrix 0 has shape [3] and 3 values; each must be square [n, n]"),
        ]
        for (chain, message) in cases {
            let expected = AnalysisError.invalidOption(message)
            XCTAssertThrowsError(try AttentionRollout.matrix(chain)) { XCTAssertEqual($0 as? AnalysisError, expected) }
            XCTAssertThrowsError(try AttentionRollout.fullMatrix(chain)) { XCTAssertEqual($0 as? AnalysisError, expected) }
            XCTAssertThrowsError(try AttentionRollout.row(chain, position: 0)) { XCTAssertEqual($0 as? AnalysisError, expected) }
            XCTAssertThrowsError(try AttentionFlow.row(chain, position: 0)) { XCTAssertEqual($0 as? AnalysisError, expected) }
        }
        for position in [-1, 3] {
            XCTAssertThrowsError(try AttentionRollout.row(layers, position: position)) {
                XCTAssertEqual($0 as? AnalysisError, .positionOutOfRange(position, length: 3))
            }
            XCTAssertThrowsError(try AttentionFlow.row(layers, position: position)) {
                XCTAssertEqual($0 as? AnalysisError, .positionOutOfRange(position, length: 3))
            }
        }
    }

    func testRowsSumToOneAndCausalZerosOnAFixtureModel() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let ids = [3, 14, 15, 92, 65, 35, 89]
        for options in [RolloutOptions(), RolloutOptions(headFusion: .max), RolloutOptions(startLayer: 1, discardRatio: 0.5),
                        RolloutOptions(headFusion: .head(2), addResidual: false)] {
            let layers = try AttentionRollout.layerMatrices(model, .tokens(ids, types: nil), options: options)
            XCTAssertEqual(layers.count, 3 - options.startLayer)
            for r in layers + [try AttentionRollout.matrix(layers)] {
                for i in 0..<ids.count {
                    XCTAssertEqual(r.row(i).storage.reduce(0, +), 1, accuracy: 1e-5, "row \(i) sums to 1 (\(options))")
                    for j in (i + 1)..<ids.count { XCTAssertEqual(r[i, j], 0, "causal zero \(i),\(j)") }
                }
            }
        }
    }

    func testFlowRefusesLargeProblemsUnlessForced() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        XCTAssertThrowsError(try AttentionFlow.explain(model, .tokens(Array(0..<20), types: nil), position: 19, budget: 1000)) {
            XCTAssertTrue($0.localizedDescription.contains("--method rollout"), $0.localizedDescription)
        }
        let forced = try AttentionFlow.explain(model, .tokens(Array(0..<20), types: nil), position: 19, force: true, budget: 1000)
        XCTAssertEqual(forced.scores.reduce(0, +), 1, accuracy: 1e-5)
    }

    /// A start layer outside `0..<layers` is refused as rollout refuses it (Int.min and Int.max
    /// used to overflow `layers·n³`), and a 2,200,000-token input (`layers·n³` ≈ 2.1e19 > Int.max)
    /// is refused as too large instead of trapping in the cost arithmetic; forced,
    /// the forward pass refuses it against the context window.
    func testFlowRefusesBadLayersAndHugeInputsWithoutOverflow() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let ids = Array(0..<6)
        for start in [Int.min, -1, 2, Int.max] {
            XCTAssertThrowsError(try AttentionFlow.explain(model, .tokens(ids, types: nil), position: 0,
                                                           options: RolloutOptions(startLayer: start))) { error in
                XCTAssertEqual(error as? AnalysisError, .layerOutOfRange(start, layers: 2))
            }
        }
        let huge = ModelInput.tokens(Array(repeating: 1, count: 2_200_000), types: nil)
        XCTAssertThrowsError(try AttentionFlow.explain(model, huge, position: 0)) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("attention flow over 2200000 tokens and 2 layers needs 2200000 "
                                                               + "max-flow runs on 9680000000000 edges"), error.localizedDescription)
        }
        XCTAssertThrowsError(try AttentionFlow.explain(model, huge, position: 0, force: true)) { error in
            XCTAssertEqual(error as? InputError, .tooLong(length: 2_200_000, contextLength: 32))
        }
    }

    func testViTRolloutReadsTheCLSRowAsAPatchGrid() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("vit-tiny"))
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("vit-tiny/random-a.safetensors"))
        let scores = try AttentionRollout.explain(model, .pixels(try golden.tensor("pixel_values")), position: 0)
        XCTAssertEqual(scores.scores.count, 17)
        XCTAssertEqual(scores.patchGrid?.count, 4)
        XCTAssertEqual(scores.patchGrid?.first?.count, 4)
        XCTAssertEqual(scores.patchGrid?[1][2], scores.scores[1 + 4 + 2])
    }
}
