import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// `ModernBertForSequenceClassification` (classifier_pooling "cls"): modernbert-cls (3 named labels,
/// norm_bias and classifier_bias on, a relu head activation beside the gelu MLP, classifier_dropout
/// 0.1) against transformers 4.53.3 eager at 1e-4 — every hook point, `pooler.hook_out` being the
/// head's output `norm(act(dense(final_norm[0])))` and `unembed.hook_out` the class logits (goldens
/// from scripts/fixtures/hf_hooks_modernbert.py) — its layout and num_parameters(), and the fields
/// only the classifier reads, refused naming the key where transformers fails (`classifier_dropout`
/// null or outside [0, 1]; `classifier_pooling` "mean": ModernBertMeanPoolingTests).
final class ModernBertClassifierTests: XCTestCase {
    private func folder(_ edits: [String: Any?], weightsOf name: String = "modernbert-cls") throws -> URL {
        try Fixtures.folder(config: Fixtures.editedConfigText(name, edits), weights: Fixtures.weights(name), test: self,
                            label: "modernbert-cls")
    }

    func testEveryHookMatchesTransformers() throws {
        try assertEveryHookMatchesGoldens(Fixtures.load("modernbert-cls"), "modernbert-cls")
    }

    /// The head as a pooler (dense with bias, relu, LayerNorm with bias) on the final norm's row 0,
    /// the classifier with its bias, the labels; num_parameters() 17019.
    func testHeadLayout() throws {
        let m = try Fixtures.load("modernbert-cls")
        XCTAssertEqual(m.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"]))
        XCTAssertEqual(m.architecture.classScores, .softmax)
        XCTAssertEqual(m.architecture.activation, .gelu)
        let head = m.weights.head
        XCTAssertNotNil(head.finalNorm)
        XCTAssertNotNil(head.pooler?.bias)
        XCTAssertEqual(head.poolerActivation, .model(.relu))
        XCTAssertNotNil(head.poolerNorm?.bias)
        XCTAssertEqual(head.unembed?.weight.shape, [3, 24])
        XCTAssertNotNil(head.unembed?.bias)
        XCTAssertEqual(m.weights.parameterCount, 17019)   // ModernBertForSequenceClassification.num_parameters()
    }

    /// Without `architectures` the weights decide: `classifier.*` beside `head.*` is the classifier;
    /// the masked LM's weights (head.*, decoder.bias) stay the masked LM. Named `ModernBertModel`, the
    /// classifier checkpoint is the bare encoder (head.* and classifier.* ignored, as transformers does).
    func testWeightsDecideWithoutArchitectures() throws {
        let classifier = try TransformerModel.load(directory: folder(["architectures": nil]))
        XCTAssertEqual(classifier.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"]))
        let masked = try TransformerModel.load(directory: folder(["architectures": nil], weightsOf: "modernbert-tiny"))
        XCTAssertEqual(masked.architecture.head, .maskedLanguageModel)
        let bare = try TransformerModel.load(directory: folder(["architectures": ["ModernBertModel"]]))
        XCTAssertEqual(bare.architecture.head, .none)
        XCTAssertNil(bare.weights.head.poolerNorm)
    }

    /// `classifier_dropout` (`torch.nn.Dropout(classifier_dropout)` raises for null and outside
    /// [0, 1]) is refused for the classifier only; the masked LM never reads it.
    func testClassifierFieldsAreRefusedNamingTheKey() throws {
        for (edits, key) in [(["classifier_dropout": NSNull()] as [String: Any?], "'classifier_dropout' is null"),
                             (["classifier_dropout": 1.5], "'classifier_dropout' is 1.5"),
                             (["classifier_dropout": -0.1], "'classifier_dropout' is -0.1")] {
            XCTAssertThrowsError(try TransformerModel.load(directory: folder(edits)), key) { error in
                XCTAssertTrue(error.localizedDescription.contains(key), error.localizedDescription)
            }
            let masked = try TransformerModel.load(directory: folder(edits, weightsOf: "modernbert-tiny"))   // ModernBertForMaskedLM
            XCTAssertEqual(masked.architecture.head, .maskedLanguageModel, key)
        }
    }

    /// Direct logit attribution is refused on both ModernBERT heads (dense, activation and norm
    /// between the final norm and the output layer): it used to ignore them and read the output
    /// layer on the final norm's output directly.
    func testDirectLogitAttributionIsRefusedThroughTheHead() throws {
        for (name, ids) in [("modernbert-tiny", [96, 3, 100, 5, 97]), ("modernbert-cls", [85, 3, 4, 5, 86])] {
            XCTAssertThrowsError(try DirectLogitAttribution.run(Fixtures.load(name), .tokens(ids, types: nil)), name) { error in
                XCTAssertTrue(error.localizedDescription.contains("runs a dense layer, an activation and a norm"), error.localizedDescription)
            }
        }
    }

    /// The lens readouts run the model's own head on the last block's output: the masked LM's
    /// (final_norm, then head and decoder; it used to skip final_norm) and the classifier's class
    /// readout (final_norm, head, classifier) give the model's logits at the last entry.
    func testLensReadoutsAtTheLastEntryAreTheModelsLogits() throws {
        for (name, ids, kind) in [("modernbert-tiny", [96, 3, 100, 5, 97], LensReadout.Kind.vocabulary),
                                  ("modernbert-cls", [85, 3, 4, 5, 86], .classes)] {
            let model = try Fixtures.load(name)
            let last = HookPoint.block(model.architecture.layers - 1, .residPost)
            let run = try model.forward(.tokens(ids, types: nil), capture: .points([last]), logitRows: .positions([0]))
            let readout = try LensReadout.make(kind, for: model)
            let lens = readout.logits(try XCTUnwrap(run.cache[last]).rows(0..<1))
            assertClose(lens, try XCTUnwrap(run.logits), tolerance: 1e-5, name)
        }
    }

    /// A class count other than the classifier's rows is refused as `from_pretrained` refuses it.
    func testClassCountMismatchIsRefused() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(["id2label": nil, "label2id": nil, "num_labels": 2]))) { error in
            XCTAssertTrue(error.localizedDescription.contains("'id2label' gives 2 classes"), error.localizedDescription)
        }
    }
}
