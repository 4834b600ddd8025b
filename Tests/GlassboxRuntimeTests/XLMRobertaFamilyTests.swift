import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// XLM-RoBERTa and CamemBERT (`model_type` `xlm-roberta`, `camembert`) load through RoBERTa's
/// loader, as transformers 4.53.3 builds them from copies of RoBERTa's modules. Every hook point of
/// xlmr-mlm, xlmr-cls and camembert-mlm against transformers is GoldenTests' (1e-4); their
/// tokenizers EncoderFixtureTokenizerTests'. Here: the checkpoint's own type in the architecture and
/// messages, the heads, and CamemBERT's `<s>` at id 5 not moving the positions.
final class XLMRobertaFamilyTests: XCTestCase {

    func testHeadsAndTheCheckpointsOwnModelType() throws {
        let mlm = try Fixtures.load("xlmr-mlm"), cls = try Fixtures.load("xlmr-cls"), camembert = try Fixtures.load("camembert-mlm")
        XCTAssertEqual(mlm.architecture.modelType, "xlm-roberta")
        XCTAssertEqual(cls.architecture.modelType, "xlm-roberta")
        XCTAssertEqual(camembert.architecture.modelType, "camembert")
        XCTAssertEqual(mlm.architecture.head, .maskedLanguageModel)
        XCTAssertEqual(mlm.architecture.contextLength, 26 - 1 - 1)          // max_position_embeddings − pad − 1
        XCTAssertEqual(mlm.weights.head.transformActivation, .gelu)
        XCTAssertNil(mlm.weights.head.pooler)
        XCTAssertEqual(mlm.weights.embeddings.paddingIndex, 1)
        XCTAssertEqual(cls.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"]))
        XCTAssertEqual(cls.weights.head.poolerActivation, .tanh)
        XCTAssertEqual(camembert.architecture.head, .maskedLanguageModel)
        XCTAssertEqual(camembert.architecture.activation, .geluTanh)        // gelu_new in the MLP …
        XCTAssertEqual(camembert.weights.head.transformActivation, .gelu)   // … GELU in lm_head, as RoBERTa's
        XCTAssertEqual(camembert.architecture.contextLength, 24 - 1 - 1)
    }

    /// CamemBERT's `<s>` is id 5, but positions count non-pad tokens from pad_token_id + 1 whatever
    /// the ids: `<s> a <pad> b` reads rows 2, 3, 1, 4.
    func testCamembertPositionsCountFromThePaddingIndex() throws {
        let m = try Fixtures.load("camembert-mlm")
        let table = try XCTUnwrap(m.weights.embeddings.position)
        let pos = try XCTUnwrap(try m.forward([5, 17, 1, 40], capture: .points([.posEmbed])).cache[.posEmbed])
        for (row, expected) in [2, 3, 1, 4].enumerated() {
            assertClose(pos.rows(row..<(row + 1)), table.rows(expected..<(expected + 1)), tolerance: 0, "row \(row)")
        }
    }

    /// Config errors name the file and key, as RoBERTa's.
    func testConfigErrorsAreTyped() throws {
        for (json, fragment) in [
            (#"{"model_type": "xlm-roberta", "pad_token_id": -1}"#, "pad_token_id"),
            (#"{"model_type": "camembert", "hidden_size": 30, "num_attention_heads": 4}"#, "num_attention_heads"),
        ] {
            let folder = try Fixtures.linkedCopy(of: "xlmr-mlm", test: self, replacing: "config.json") { _ in Data(json.utf8) }
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig(let file, let key, _) = error else { return XCTFail("\(fragment): \(error)") }
                XCTAssertEqual(file, folder.appendingPathComponent("config.json").path)
                XCTAssertEqual(key, fragment)
            }
        }
    }
    /// A null `pad_token_id` fails in transformers' `create_position_ids_from_input_ids` (`ne()` of None)
    /// for all three types; the refusal names the key and the family's own embeddings class (red team 30:
    /// XLM-R's said RobertaEmbeddings).
    func testNullPaddingIdNamesTheFamilysEmbeddings() throws {
        for (name, type, embeddings) in [("xlmr-mlm", "xlm-roberta", "XLMRobertaEmbeddings"),
                                         ("camembert-mlm", "camembert", "CamembertEmbeddings"),
                                         ("roberta-mlm", "roberta", "RobertaEmbeddings")] {
            let folder = try Fixtures.linkedCopy(of: name, test: self, replacing: "config.json") { data in
                var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                XCTAssertEqual(config["model_type"] as? String, type)
                config["pad_token_id"] = NSNull()
                return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            }
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig(_, let key, let detail) = error else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(key, "pad_token_id")
                XCTAssertEqual(detail, "is null; \(embeddings) counts positions after the padding id (transformers fails on a null one)")
            }
        }
    }
}
