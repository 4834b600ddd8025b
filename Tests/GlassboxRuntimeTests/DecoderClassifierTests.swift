import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Decoder sequence classifiers (`GPT2ForSequenceClassification`, `LlamaForSequenceClassification`;
/// transformers 4.53.3): `score` on the final norm's output at the last non-pad token. Every hook
/// point is checked by GoldenTests (1e-4); here: the pooled position and logits against the
/// goldens of gpt2-cls (pad_token_id 100; its "padded" case pools position 7 of 10) and llama-cls
/// (pad_token_id null: the last token), the pooling rule's edge cases, and the typed refusals.
final class DecoderClassifierTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func testHeadsAreTheDecoderClassifiers() throws {
        let gpt2 = try TransformerModel.load(directory: Fixtures.model("gpt2-cls"))
        XCTAssertEqual(gpt2.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"],
                                                                        pooling: .lastNonPad(padTokenID: 100)))
        XCTAssertEqual(gpt2.architecture.classScores, .softmax)
        let llama = try TransformerModel.load(directory: Fixtures.model("llama-cls"))
        XCTAssertEqual(llama.architecture.head, .sequenceClassification(labels: ["rejected", "chosen"],
                                                                         pooling: .lastNonPad(padTokenID: nil)))
        XCTAssertEqual(llama.architecture.kvHeads, 2)
    }

    /// The logits are transformers' (`unembed.hook_out`), read at the pooled row: 7 in gpt2-cls's
    /// padded input (two pads after it, one inside), the last token elsewhere. Reading any other row
    /// (the last token, the first) gives other logits, so a wrong pooled row fails here.
    func testLogitsAreReadAtTheLastNonPadToken() throws {
        for (name, cases) in [("gpt2-cls", ["single", "short", "full", "padded"]), ("llama-cls", ["single", "short", "full"])] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for caseName in cases {
                let golden = try Fixtures.golden(name, caseName)
                let ids = golden.inputIDs
                let expected = caseName == "padded" ? 7 : ids.count - 1
                XCTAssertEqual(model.architecture.classifierPosition(ids: ids), expected, "\(name)/\(caseName)")
                let run = try model.forward(ids, capture: .points([.lnFinal(.normalized)]))
                XCTAssertEqual(run.logitPositions, [expected], "\(name)/\(caseName)")
                let logits = try XCTUnwrap(run.logits)
                XCTAssertEqual(logits.shape, [1, model.architecture.head.classLabels!.count])
                let want = try golden.tensor("unembed.hook_out")
                assertClose(logits, want, tolerance: Self.tolerance, "\(name)/\(caseName) logits")
                if caseName == "padded" {   // the last token's and the first token's rows are other logits
                    for other in [ids.count - 1, 0] {
                        let row = try model.forward(ids, capture: .points([.lnFinal(.normalized)])).hidden
                        let wrong = model.weights.head.unembed!(row.rows(other..<(other + 1)))
                        let gap = zip(wrong.storage, want.storage).map { abs($0 - $1) }.max()!
                        XCTAssertGreaterThan(gap, 0.05, "\(name)/padded: row \(other) would pass too")
                    }
                }
            }
        }
    }

    /// llama-cls relabelled `MistralForSequenceClassification` (`model_type` mistral, no sliding
    /// window) gives llama-cls's golden logits, as transformers does (generate.py checks that
    /// `MistralForSequenceClassification` on these weights returns the same logits).
    func testMistralClassifierIsTheLlamaCopy() throws {
        let folder = try Fixtures.linkedCopy(of: "llama-cls", test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config["model_type"] = "mistral"
            config["architectures"] = ["MistralForSequenceClassification"]
            config["sliding_window"] = NSNull()
            return try JSONSerialization.data(withJSONObject: config)
        }
        let model = try TransformerModel.load(directory: folder)
        XCTAssertEqual(model.architecture.head, .sequenceClassification(labels: ["rejected", "chosen"], pooling: .lastNonPad(padTokenID: nil)))
        for caseName in ["short", "full"] {
            let golden = try Fixtures.golden("llama-cls", caseName)
            assertClose(try XCTUnwrap(model.forward(golden.inputIDs).logits), try golden.tensor("unembed.hook_out"),
                        tolerance: Self.tolerance, "mistral relabel \(caseName)")
        }
    }

    /// transformers' `(arange(n) · (ids != pad)).argmax()`: the rightmost non-pad token, 0 when no
    /// token (or only the first) is one; without a pad id, the last token.
    func testPoolingRule() {
        let pad = ClassifierPooling.lastNonPad(padTokenID: 9)
        XCTAssertEqual(pad.position(ids: [3, 4, 9, 5, 9, 9]), 3)
        XCTAssertEqual(pad.position(ids: [9, 9, 9]), 0)
        XCTAssertEqual(pad.position(ids: [4, 9, 9]), 0)
        XCTAssertEqual(pad.position(ids: [9, 4]), 1)
        XCTAssertEqual(pad.position(ids: [4]), 0)
        XCTAssertEqual(ClassifierPooling.lastNonPad(padTokenID: nil).position(ids: [9, 9, 9]), 2)
        XCTAssertEqual(ClassifierPooling.firstToken.position(ids: [3, 4, 5]), 0)
    }

    /// Without `architectures`, `score.weight` makes the classifier (as `classifier.weight` does for
    /// encoders); an LM checkpoint named a classifier lacks `score.weight`; `pad_token_id` must be
    /// an integer or null; families whose loader has no `score` refuse their classifier class.
    func testLoadingAndRefusals() throws {
        let bare = try Fixtures.linkedCopy(of: "gpt2-cls", test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            config.removeValue(forKey: "architectures")
            return try JSONSerialization.data(withJSONObject: config)
        }
        XCTAssertEqual(try TransformerModel.load(directory: bare).architecture.head.classLabels, ["negative", "neutral", "positive"])

        for (model, className) in [("llama-gqa", "LlamaForSequenceClassification"), ("gpt2-tiny", "GPT2ForSequenceClassification")] {
            let folder = try Fixtures.linkedCopy(of: model, test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                config["architectures"] = [className]
                return try JSONSerialization.data(withJSONObject: config)
            }
            XCTAssertThrowsError(try TransformerModel.load(directory: folder), model) { error in
                XCTAssertEqual(error.localizedDescription, "weight 'score.weight' is missing from the checkpoint in \(folder.path)")
            }
        }

        let text = try Fixtures.linkedCopy(of: "gpt2-cls", test: self, replacing: "config.json") { data in
            Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: #""pad_token_id": 100"#, with: #""pad_token_id": "100""#).utf8)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: text)) { error in
            XCTAssertTrue(error.localizedDescription.contains("pad_token_id"), error.localizedDescription)
        }

        let gemma = try Fixtures.linkedCopy(of: "gemma-tiny", test: self, replacing: "config.json") { data in
            Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "GemmaForCausalLM", with: "GemmaForSequenceClassification").utf8)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: gemma)) { error in
            XCTAssertTrue(error.localizedDescription.contains("'architectures' names GemmaForSequenceClassification, a head Glassbox does not support; "
                                                              + "supported: GemmaForCausalLM, GemmaModel"), error.localizedDescription)
        }
    }

    /// The other head's weight beside the one `architectures` names is an unexpected key that
    /// transformers ignores (red-team 23: Glassbox refused "has weights this architecture does not
    /// use"): `lm_head.weight` beside gpt2-cls's and llama-cls's `score`, `score.weight` beside
    /// llama-gqa's LM head — each loads the fixture's own model, the same logits.
    func testTheOtherHeadsWeightIsIgnored() throws {
        for (name, extra, rows) in [("gpt2-cls", "lm_head.weight", 0), ("llama-cls", "lm_head.weight", 0), ("llama-gqa", "score.weight", 3)] {
            let source = Fixtures.model(name)
            let folder = try makeTemporaryFolder("other-head-\(name)")
            for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where !file.hasSuffix(".safetensors") {
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file), withDestinationURL: source.appendingPathComponent(file))
            }
            let original = try TransformerModel.load(directory: source)
            let checkpoint = try Checkpoint(directory: source)
            var tensors = try checkpoint.tensorNames.sorted().map { ($0, try checkpoint.tensor($0)) }
            let d = original.architecture.dModel, vocab = original.architecture.vocabSize
            let count = (rows == 0 ? vocab : rows) * d
            tensors.append((extra, Tensor(shape: [rows == 0 ? vocab : rows, d], storage: (0..<count).map { Float($0 % 7) * 0.1 })))
            try SafetensorsFile.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
            let ids = [5, 17, 33, 9, 2]
            let loaded = try TransformerModel.load(directory: folder)
            XCTAssertEqual(try XCTUnwrap(loaded.forward(ids).logits).storage, try XCTUnwrap(original.forward(ids).logits).storage, name)
        }
    }
}
