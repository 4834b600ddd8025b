import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Config fields that only one head reads: `ViTModel`'s pooler (`pooler_act`,
/// `pooler_output_size`; `ViTForImageClassification` builds no pooler) and DistilBERT's
/// `seq_classif_dropout` (only `DistilBertForSequenceClassification` builds that dropout). A `null`
/// fails in transformers where the head reads it (KeyError in ACT2FN, TypeError in nn.Dropout: the
/// null-field reference, Tests/Fixtures/config-nulls, outcome "refused" for vit-odd and
/// distilbert-cls, "same" for vit-tiny and distilbert-mlm); Glassbox loaded both.
final class HeadOnlyConfigFieldTests: XCTestCase {
    /// `model`'s folder with `from` replaced by `to` in its config.json.
    private func edited(_ model: String, _ from: String, _ to: String) throws -> URL {
        try Fixtures.linkedCopy(of: model, test: self, replacing: "config.json") { data in
            let config = String(decoding: data, as: UTF8.self), edited = config.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(edited, config)
            return Data(edited.utf8)
        }
    }

    private func assertRefused(_ folder: URL, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder), file: file, line: line) { error in
            XCTAssertTrue(error.localizedDescription.contains(expected), error.localizedDescription, file: file, line: line)
        }
    }

    func testViTModelPoolerFields() throws {
        assertRefused(try edited("vit-odd", #""pooler_act": "tanh""#, #""pooler_act": null"#), "'pooler_act' is null")
        assertRefused(try edited("vit-odd", #""pooler_act": "tanh""#, #""pooler_act": "gelu""#),
                      "'pooler_act' is 'gelu': Glassbox runs ViTModel's pooler with its default tanh only")
        assertRefused(try edited("vit-odd", #""pooler_output_size": 30"#, #""pooler_output_size": 12"#),
                      "'pooler_output_size' (12) differs from hidden_size (30)")
        // null and 0 mean hidden_size in ViTConfig: the model loads with its pooler.
        for width in ["null", "0"] {
            let model = try TransformerModel.load(directory: try edited("vit-odd", #""pooler_output_size": 30"#, #""pooler_output_size": \#(width)"#))
            XCTAssertNotNil(model.weights.head.pooler, width)
        }
    }

    /// The classifier builds no pooler: its pooler fields are never read.
    func testViTClassifierIgnoresThePoolerFields() throws {
        let config = try String(contentsOf: Fixtures.model("vit-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        let anchor = #""model_type": "vit","#
        XCTAssertTrue(config.contains(anchor))
        let folder = try edited("vit-tiny", anchor, anchor + #" "pooler_act": null, "pooler_output_size": 3,"#)
        XCTAssertNoThrow(try TransformerModel.load(directory: folder))
    }

    func testDistilBertClassifierDropout() throws {
        assertRefused(try edited("distilbert-cls", #""seq_classif_dropout": 0.2"#, #""seq_classif_dropout": null"#),
                      "'seq_classif_dropout' is null")
        XCTAssertNoThrow(try TransformerModel.load(directory: try edited("distilbert-mlm", #""seq_classif_dropout": 0.2"#, #""seq_classif_dropout": null"#)))
    }
}
