import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// ELECTRA (`model_type` electra) against transformers 4.53.3: every hook point of electra-disc
/// (`ElectraForPreTraining`, embedding_size 16 < hidden_size 24, so `embeddings_project` runs),
/// electra-gen (`ElectraForMaskedLM`, 20 < 30, hidden_act relu under the head's GELU) and
/// electra-cls (`ElectraForSequenceClassification`, equal widths, hidden_act relu) within
/// GoldenTests' 1e-4 (scripts/fixtures/generate.py); the heads' typed parts and the refusals.
final class ElectraTests: XCTestCase {
    static let fixtures = ["electra-disc", "electra-gen", "electra-cls"]

    func testHooksMatchTransformers() throws {
        for name in Self.fixtures { try GoldenTests.assertHooksMatchGoldens(name) }
    }

    /// The discriminator's logits `[n, 1]` equal transformers' `[1, n]` (1e-4), and an edit of
    /// `blocks.0.hook_resid_pre` changes them: the projected embeddings are what block 0 reads.
    func testDiscriminatorLogitsAndProjection() throws {
        let m = try Fixtures.load("electra-disc")
        let golden = try Fixtures.golden("electra-disc", "full")
        let run = try m.forward(golden.inputIDs)
        let logits = try XCTUnwrap(run.logits)
        XCTAssertEqual(logits.shape, [golden.inputIDs.count, 1])
        assertClose(logits, try golden.tensor("unembed.hook_out"), tolerance: 1e-4, "logits")
        let normalized = try XCTUnwrap(m.forward(golden.inputIDs, capture: .points([.embedLN(.normalized), .block(0, .residPre)])).cache)
        XCTAssertEqual(normalized[.embedLN(.normalized)]?.shape, [golden.inputIDs.count, 16])
        XCTAssertEqual(normalized[.block(0, .residPre)]?.shape, [golden.inputIDs.count, 24])
        let zeroed = try m.forward(.tokens(golden.inputIDs, types: nil),
                                   interventions: Interventions(.block(0, .residPre)) { _, x in Tensor.zeros(x.shape) })
        XCTAssertGreaterThan(maxAbsDiff(try XCTUnwrap(zeroed.logits), logits), 1e-3)
    }

    func testHeadsAndArchitectures() throws {
        let disc = try Fixtures.load("electra-disc"), gen = try Fixtures.load("electra-gen"), cls = try Fixtures.load("electra-cls")
        XCTAssertEqual(disc.architecture.modelType, "electra")
        XCTAssertEqual(disc.architecture.head, .replacedTokenDetection)
        XCTAssertEqual(disc.architecture.activation, .geluTanh)              // the discriminator's dense reads hidden_act
        XCTAssertNil(disc.weights.head.transformActivation)
        XCTAssertEqual(disc.weights.head.unembed?.outFeatures, 1)
        XCTAssertEqual(disc.weights.embeddings.projection?.inFeatures, 16)
        XCTAssertEqual(disc.weights.embeddings.projection?.outFeatures, 24)
        XCTAssertEqual(disc.architecture.classScores, .sigmoid)
        XCTAssertEqual(disc.architecture.head.outputLabels, ["replaced"])
        XCTAssertNil(disc.architecture.head.classLabels)

        XCTAssertEqual(gen.architecture.head, .maskedLanguageModel)
        XCTAssertEqual(gen.architecture.activation, .relu)                  // the MLP's …
        XCTAssertEqual(gen.weights.head.transformActivation, .gelu)         // … but the generator head's is GELU
        XCTAssertEqual(gen.weights.head.transform?.outFeatures, 20)         // dense hidden_size → embedding_size
        XCTAssertTrue(try XCTUnwrap(gen.weights.head.unembed).weight.sharesStorage(with: gen.weights.embeddings.token))

        XCTAssertEqual(cls.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"]))
        XCTAssertEqual(cls.weights.head.poolerActivation, .model(.gelu))    // get_activation("gelu"), not hidden_act relu
        XCTAssertNil(cls.weights.embeddings.projection)                     // embedding_size = hidden_size
    }

    func testConfigRefusals() throws {
        let cases: [(String, String, String)] = [
            (#""embedding_size": 16"#, #""embedding_size": 0"#, "'embedding_size'"),
            (#""embedding_size": 16"#, #""embedding_size": null"#, "'embedding_size' is null"),
            (#""pad_token_id": 0"#, #""pad_token_id": 99"#, "'pad_token_id' (99) must be a token id within vocab_size (99)"),
            (#""ElectraForPreTraining""#, #""ElectraForTokenClassification""#, "ElectraForTokenClassification"),
        ]
        for (from, to, expected) in cases {
            let folder = try Fixtures.textEditedCopy(of: "electra-disc", test: self) { $0.replacingOccurrences(of: from, with: to) }
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), to) { error in
                XCTAssertTrue(error.localizedDescription.contains(expected), error.localizedDescription)
            }
        }
        // A negative padding index within the table and a null one load, as nn.Embedding takes them.
        for pad in ["-1", "null"] {
            let folder = try Fixtures.textEditedCopy(of: "electra-disc", test: self) {
                $0.replacingOccurrences(of: #""pad_token_id": 0"#, with: #""pad_token_id": \#(pad)"#)
            }
            XCTAssertNoThrow(try TransformerModel.load(directory: folder), pad)
        }
    }

    /// Without `architectures`, the discriminator's weights choose its head.
    func testHeadChosenByWeights() throws {
        let folder = try Fixtures.textEditedCopy(of: "electra-disc", test: self) {
            $0.replacingOccurrences(of: #""ElectraForPreTraining""#, with: "")
        }
        XCTAssertEqual(try TransformerModel.load(directory: folder).architecture.head, .replacedTokenDetection)
    }

    /// Embedding edits of the batched suffix engine (perturbation curves) replace `embedding_size`-wide
    /// rows and go through `embeddings_project`: equal to the hook path on electra-gen (E 20, d 30).
    func testEmbeddingEditsGoThroughTheProjection() throws {
        try EncoderFamilyTests.assertEmbeddingEditsMatchHookEdits(try Fixtures.load("electra-gen"), ids: [2, 17, 4, 40, 33, 4, 50, 3])
    }

    private func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
    }
}
