import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The scripting conveniences of `ModelContext` (`nextTokenLoss`, `predict`) on inputs a caller
/// controls: refused with a `ScriptingError`, never a trap or a silent number.
final class ScriptingTests: XCTestCase {
    func context(_ name: String) throws -> ModelContext {
        try ModelContext.load(directory: Fixtures.model(name))
    }

    /// gpt2-tiny: the loss is the mean of `logsumexp(row) − row[next]` over the predicting rows of
    /// a plain forward pass (recomputed here in Double), for the default and an explicit range.
    func testNextTokenLossIsTheMeanNegativeLogLikelihood() throws {
        let gpt = try context("gpt2-tiny")
        let ids = [5, 17, 3, 99, 42, 8]
        let logits = try XCTUnwrap(try gpt.model.forward(ids).logits)       // [6, 128]
        func nll(_ p: Int) -> Double {
            let row = logits.row(p).storage.map(Double.init)
            let top = row.max()!
            return top + log(row.reduce(0) { $0 + exp($1 - top) }) - row[ids[p + 1]]
        }
        XCTAssertEqual(Double(try gpt.nextTokenLoss(ids)), (0..<5).map(nll).reduce(0, +) / 5, accuracy: 1e-5)
        XCTAssertEqual(Double(try gpt.nextTokenLoss(ids, positions: 2..<4)), (nll(2) + nll(3)) / 2, accuracy: 1e-5)
    }

    /// `predict` refuses `topK < 1` as `LogitLens` does (it returned `[]`); `topK` above the
    /// vocabulary returns every output, most likely first.
    func testPredictRefusesTopKBelowOne() throws {
        let gpt = try context("gpt2-tiny")
        let input = ModelInput.tokens([5, 17, 3], types: nil)
        for k in [0, -1, Int.min] {
            XCTAssertThrowsError(try gpt.predict(input, topK: k)) { error in
                XCTAssertEqual(error as? ScriptingError, .topK(k))
                XCTAssertEqual(error.localizedDescription, "topK must be at least 1, got \(k)")
            }
        }
        let all = try gpt.predict(input, topK: Int.max)
        XCTAssertEqual(all.count, 128)
        XCTAssertEqual(all.map(\.probability).reduce(0, +), 1, accuracy: 1e-4)
        XCTAssertEqual(try gpt.predict(input, topK: 1).map(\.id), [all[0].id])
    }

    /// ELECTRA's discriminator: `predict` reads the asked position's one logit, named `replaced`,
    /// with σ(logit) as its probability (it read row 0 and softmaxed one logit to 1).
    func testPredictOnTheDiscriminatorReadsThePosition() throws {
        let disc = try context("electra-disc")
        let ids = [2, 17, 4, 40, 3]
        let logits = try XCTUnwrap(try disc.model.forward(ids).logits)      // [5, 1]
        for p in [0, 3] {
            let prediction = try XCTUnwrap(try disc.predict(.tokens(ids, types: nil), position: p).first)
            XCTAssertEqual(prediction.text, "replaced")
            XCTAssertEqual(prediction.logit, logits[p, 0], accuracy: 1e-5)   // one row projected vs all: last bits
            XCTAssertEqual(Double(prediction.probability), 1 / (1 + exp(-Double(logits[p, 0]))), accuracy: 1e-6)
        }
        XCTAssertEqual(disc.outputTexts, ["replaced"])
    }

    /// Encoders, classifiers and vision models have no next-token loss: a BERT classifier used to
    /// trap (rows out of bounds) and a masked LM returned a number.
    func testNextTokenLossRefusesModelsThatAreNotCausalLMs() throws {
        for (name, type) in [("bert-cls", "bert"), ("bert-tiny-mlm", "bert"), ("vit-tiny", "vit")] {
            XCTAssertThrowsError(try context(name).nextTokenLoss([1, 2, 3]), name) { error in
                XCTAssertEqual(error as? ScriptingError, .notCausalLM(type))
                XCTAssertEqual(error.localizedDescription, "this \(type) model is not a causal language model, so it "
                               + "has no next-token loss (use a decoder such as GPT-2 or Llama)")
            }
        }
    }

    /// Out-of-range and empty position ranges are refused before the range is materialised
    /// (`0..<Int.max` used to try to build an array of Int.max positions).
    func testNextTokenLossRefusesBadPositions() throws {
        let gpt = try context("gpt2-tiny")
        let ids = [5, 17, 3, 99]
        for positions in [0..<Int.max, 0..<99, 0..<4, -1..<2, 2..<2, Int.max - 1..<Int.max] {
            XCTAssertThrowsError(try gpt.nextTokenLoss(ids, positions: positions), "\(positions)") { error in
                XCTAssertEqual(error as? ScriptingError, .noLossPositions(4))
            }
        }
        XCTAssertThrowsError(try gpt.nextTokenLoss([5])) { error in
            XCTAssertEqual(error as? ScriptingError, .noLossPositions(1))
        }
        XCTAssertNoThrow(try gpt.nextTokenLoss(ids, positions: 0..<3))
    }
}
