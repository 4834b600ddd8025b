import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The analyses on a decoder classifier read its pooled position, the last non-pad token (row 7 of
/// gpt2-cls's "padded" golden input, whose last two tokens are pads): checked against the class
/// logits transformers gave (`unembed.hook_out`, ≤ 1e-4), and a position other than the pooled one
/// is refused where the classifier has no logits there.
final class DecoderClassifierAnalysisTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func testLensDLAAndTargetsReadThePooledRow() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-cls"))
        let golden = try Fixtures.golden("gpt2-cls", "padded")
        let input = ModelInput.tokens(golden.inputIDs, types: nil)
        let logits = try golden.tensor("unembed.hook_out").storage                 // [1, 3]
        let top = logits.indices.max { logits[$0] < logits[$1] }!

        // The class lens (final norm + score, per token) is the natural readout; its last residual
        // entry at row 7 is the model's logits.
        let readout = try LensReadout.natural(for: model)
        XCTAssertEqual(readout.kind, .classes)
        XCTAssertEqual(readout.classLabels, ["negative", "neutral", "positive"])
        let last = BlockSite.residPost
        let run = try model.forward(input, capture: .points([.block(model.architecture.layers - 1, last)]))
        let h = try XCTUnwrap(run.cache[.block(model.architecture.layers - 1, last)])
        assertClose(readout.logits(h.rows(7..<8)), Tensor(shape: [1, 3], storage: logits), tolerance: Self.tolerance, "class lens at row 7")

        // Direct logit attribution: row 7 by default, its logit the model's; another row is refused.
        let dla = try DirectLogitAttribution.run(model, input, target: top)
        XCTAssertEqual(dla.position, 7)
        XCTAssertEqual(dla.logit, logits[top], accuracy: Self.tolerance)
        XCTAssertThrowsError(try DirectLogitAttribution.run(model, input, position: 9, target: top)) { error in
            XCTAssertTrue("\(error)".contains("reads position 7 only"), "\(error)")
        }

        // Relevance: the explained target sits at row 7; an explicit other row is refused.
        let lrp = try Relevance.explain(model, input, target: .top())
        XCTAssertEqual(lrp.target.position, 7)
        XCTAssertEqual(lrp.target.value, logits[top], accuracy: Self.tolerance)
        XCTAssertThrowsError(try Relevance.explain(model, input, target: .tokens([top], position: 9)))
    }

    /// Patching reads the pooled row and refuses a corrupted input that pools another one.
    func testPatchingReadsThePooledRow() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-cls"))
        let clean = try Fixtures.golden("gpt2-cls", "padded").inputIDs
        var moved = clean
        moved[7] = 100                                            // a pad: the pooled row becomes 6
        XCTAssertEqual(model.architecture.classifierPosition(ids: moved), 6)
        XCTAssertThrowsError(try ActivationPatching.run(model, clean: clean, corrupted: moved,
                                                        options: PatchingOptions(metric: .logitDiff(answer: 0, wrong: 1)))) { error in
            XCTAssertTrue("\(error)".contains("pools position 7 of the clean input but 6 of the corrupted one"), "\(error)")
        }
        var other = clean
        other[2] = 22                                             // same pooled row 7: runs, read there
        let result = try ActivationPatching.run(model, clean: clean, corrupted: other,
                                                options: PatchingOptions(metric: .logitDiff(answer: 0, wrong: 1)))
        XCTAssertEqual(result.position, 7)
    }
}
