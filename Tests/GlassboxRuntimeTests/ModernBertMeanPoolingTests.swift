import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// `ModernBertForSequenceClassification` with `classifier_pooling` "mean": modernbert-mean (2 classes
/// from `num_labels`, gelu head without bias, norm_bias off) against transformers 4.53.3 eager at
/// 1e-4 — every hook point, `pooler.hook_out` being `norm(act(dense(mean_i final_norm_i)))` (the masked
/// mean under a mask of ones) and `unembed.hook_out` the class logits (scripts/fixtures/hf_hooks_modernbert.py);
/// reading row 0 instead gives other logits; the perturbation engines and the class lens, which read
/// one pooled row, refuse it naming classifier_pooling.
final class ModernBertMeanPoolingTests: XCTestCase {
    private let ids = [75, 3, 14, 9, 40, 76]             // [CLS] … [SEP]

    func testEveryHookMatchesTransformers() throws {
        try assertEveryHookMatchesGoldens(Fixtures.load("modernbert-mean"), "modernbert-mean")
    }

    /// The head reads the mean of every row; num_parameters() 12022 (transformers).
    func testHeadLayout() throws {
        let m = try Fixtures.load("modernbert-mean")
        XCTAssertEqual(m.architecture.head, .sequenceClassification(labels: ["LABEL_0", "LABEL_1"], pooling: .mean))
        XCTAssertEqual(m.architecture.classifierPosition(ids: ids), 0)
        XCTAssertNil(m.weights.head.pooler?.bias)
        XCTAssertEqual(m.weights.head.poolerActivation, .model(.gelu))
        XCTAssertNil(m.weights.head.poolerNorm?.bias)
        XCTAssertEqual(m.weights.parameterCount, 12022)   // ModernBertForSequenceClassification.num_parameters()
    }

    /// The same weights read as `cls` give logits more than 1e-2 from transformers' mean-pooled ones
    /// on the golden "full" input, so the hook comparison can tell the two poolings apart.
    func testRowZeroIsNotTheMean() throws {
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("modernbert-mean/full.safetensors"))
        let want = try golden.tensor("unembed.hook_out")
        let mean = try Fixtures.load("modernbert-mean").forward(.tokens(golden.inputIDs, types: nil)).logits!
        assertClose(mean, want, tolerance: 1e-4, "mean")
        let folder = try Fixtures.folder(config: Fixtures.editedConfigText("modernbert-mean", ["classifier_pooling": "cls"]),
                                         weights: Fixtures.weights("modernbert-mean"), test: self, label: "modernbert-mean")
        let cls = try TransformerModel.load(directory: folder)
        XCTAssertEqual(cls.architecture.head, .sequenceClassification(labels: ["LABEL_0", "LABEL_1"]))
        let row0 = try cls.forward(.tokens(golden.inputIDs, types: nil)).logits!
        XCTAssertGreaterThan(zip(row0.storage, want.storage).map { abs($0 - $1) }.max()!, 1e-2)
    }

    /// AtMan (the batched perturbation engine) and the class lens read one pooled row: refused with
    /// one line naming classifier_pooling; the natural lens readout (tied embeddings) still runs.
    func testOneRowMethodsAreRefused() throws {
        let m = try Fixtures.load("modernbert-mean")
        let input = ModelInput.tokens(ids, types: nil)
        XCTAssertThrowsError(try AtMan.explain(m, input, target: .label(1), options: AtMan.Options())) { error in
            XCTAssertTrue(error.localizedDescription.contains("classifier_pooling 'mean'"), error.localizedDescription)
        }
        XCTAssertThrowsError(try LensReadout.make(.classes, for: m)) { error in
            XCTAssertTrue(error.localizedDescription.contains("classifier_pooling 'mean'"), error.localizedDescription)
        }
        XCTAssertEqual(try LensReadout.natural(for: m).kind, .tiedEmbeddings)
    }
}
